//! Cases: ordering by one key either way, by several keys, and the default.

use uuid::Uuid;

use super::seed::people;
use super::support::ids;
use super::Fixture;
use crate::entities::Student;

/// The ids of the seeded students at `indexes`, in that order.
fn in_order(students: &[Student], indexes: &[usize]) -> Vec<Uuid> {
    indexes
        .iter()
        .filter_map(|i| students.get(*i))
        .map(|s| s.meta.id)
        .collect()
}

/// `ordering=last_name` sorts ascending in byte order (uppercase before lowercase).
pub async fn ordering_ascending(f: Fixture) {
    let p = people(&f).await;
    let got = ids(&*f.students, &[("ordering", "last_name")], &[]).await;
    // Dijkstra, Hopper, Liskov, Lovelace, Turing, knuth
    assert_eq!(got, in_order(&p.students, &[3, 2, 4, 0, 1, 5]));
}

/// `ordering=-admission_date` sorts descending.
pub async fn ordering_descending(f: Fixture) {
    let p = people(&f).await;
    let got = ids(&*f.students, &[("ordering", "-admission_date")], &[]).await;
    assert_eq!(got, in_order(&p.students, &[4, 1, 0, 5, 2, 3]));
}

/// Several keys: the second breaks ties of the first.
pub async fn ordering_multi_key(f: Fixture) {
    let p = people(&f).await;
    let got = ids(
        &*f.students,
        &[("ordering", "-year_of_study,last_name")],
        &[],
    )
    .await;
    // 5 Liskov, 4 Dijkstra, 3 Hopper, 3 knuth, 2 Turing, 1 Lovelace
    assert_eq!(got, in_order(&p.students, &[4, 3, 2, 5, 1, 0]));
}

/// Ties on every key fall back to the id, in the last key's direction.
pub async fn ordering_ties_break_by_id(f: Fixture) {
    let p = people(&f).await;
    let mut ascending: Vec<&Student> = p.students.iter().filter(|s| s.year_of_study == 3).collect();
    ascending.sort_by_key(|s| s.meta.id);
    let want: Vec<Uuid> = ascending.iter().map(|s| s.meta.id).collect();
    let got = ids(
        &*f.students,
        &[("ordering", "year_of_study"), ("year_of_study", "3")],
        &[],
    )
    .await;
    assert_eq!(got, want);
    let got = ids(
        &*f.students,
        &[("ordering", "-year_of_study"), ("year_of_study", "3")],
        &[],
    )
    .await;
    assert_eq!(got, want.into_iter().rev().collect::<Vec<_>>());
}

/// Without `ordering`, the newest records come first.
pub async fn default_ordering_is_newest_first(f: Fixture) {
    let p = people(&f).await;
    let got = ids(&*f.students, &[], &[]).await;
    assert_eq!(got, in_order(&p.students, &[5, 4, 3, 2, 1, 0]));
}
