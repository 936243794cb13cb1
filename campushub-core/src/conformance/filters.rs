//! Cases: every filter operator on every value type, combined filters, search and count.

use super::data::named_student;
use super::seed::{people, People};
use super::support::insert_all;
use super::support::{fresh, ids, ids_of, query, sorted};
use super::Fixture;
use crate::entities::Student;

/// Asserts that `params` select exactly the seeded students at `expected`.
async fn selects(f: &Fixture, people: &People, params: &[(&str, &str)], expected: &[usize]) {
    let got = sorted(ids(&*f.students, params, &[]).await);
    let want = sorted(ids_of(&people.at(expected)));
    assert_eq!(got, want, "{params:?} should select students {expected:?}");
}

/// `field=v` matches equal values exactly (case-sensitive).
pub async fn filter_eq(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("last_name", "Turing")], &[1]).await;
    selects(&f, &p, &[("last_name", "turing")], &[]).await;
    selects(&f, &p, &[("year_of_study", "3")], &[2, 5]).await;
}

/// `field__in=a,b` matches any listed value; unknown values match nothing.
pub async fn filter_in(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("roll_number__in", "CS001,EE004,NOPE")], &[0, 3]).await;
    selects(&f, &p, &[("year_of_study__in", "2,5")], &[1, 4]).await;
}

/// `__gt` is strictly greater.
pub async fn filter_gt(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("year_of_study__gt", "3")], &[3, 4]).await;
}

/// `__gte` includes the bound.
pub async fn filter_gte(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("year_of_study__gte", "3")], &[2, 3, 4, 5]).await;
}

/// `__lt` is strictly less.
pub async fn filter_lt(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("year_of_study__lt", "2")], &[0]).await;
}

/// `__lte` includes the bound.
pub async fn filter_lte(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("year_of_study__lte", "2")], &[0, 1]).await;
}

/// `__icontains` ignores case on both sides.
pub async fn filter_icontains(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("last_name__icontains", "KNU")], &[5]).await;
    selects(&f, &p, &[("first_name__icontains", "ar")], &[4]).await;
    selects(&f, &p, &[("email__icontains", "UNI.EXAMPLE")], &[0, 1]).await;
}

/// `__icontains` and `search=` fold case beyond ASCII: `MÜLL` finds `Müller`, `łuk` finds
/// `Łukasz`.
pub async fn icontains_and_search_fold_unicode_case(f: Fixture) {
    let muller = named_student("DE001", "Jürgen", "Müller");
    let lukasz = named_student("PL001", "Łukasz", "Żółkiewski");
    let inserted = insert_all(&*f.students, vec![muller, lukasz]).await;
    let (muller, lukasz) = (&inserted[0], &inserted[1]);
    finds(&f, &[("last_name__icontains", "MÜLL")], &[muller]).await;
    finds(&f, &[("first_name__icontains", "jÜrgen")], &[muller]).await;
    finds(&f, &[("last_name__icontains", "żółk")], &[lukasz]).await;
    finds(&f, &[("search", "łuk")], &[lukasz]).await;
    finds(&f, &[("search", "ÜLLER")], &[muller]).await;
}

/// Asserts that `params` select exactly `want`.
async fn finds(f: &Fixture, params: &[(&str, &str)], want: &[&Student]) {
    let got = sorted(ids(&*f.students, params, &[]).await);
    assert_eq!(got, sorted(ids_of(want)), "{params:?}");
}

/// `__startswith` is a case-sensitive prefix.
pub async fn filter_startswith(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("roll_number__startswith", "EE")], &[2, 3]).await;
    selects(&f, &p, &[("last_name__startswith", "k")], &[5]).await;
    selects(&f, &p, &[("last_name__startswith", "K")], &[]).await;
}

/// `__isnull=true` matches missing values only.
pub async fn filter_isnull_true(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("middle_name__isnull", "true")], &[1, 2, 3, 5]).await;
}

/// `__isnull=false` matches present values only; a null never matches a comparison.
pub async fn filter_isnull_false(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("middle_name__isnull", "false")], &[0, 4]).await;
    selects(&f, &p, &[("middle_name__startswith", "K")], &[0]).await;
}

/// Choice fields filter by their uppercase values.
pub async fn filter_choice(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("gender", "F")], &[0, 2, 4]).await;
    selects(&f, &p, &[("status__in", "GRADUATED,DROPPED")], &[2, 5]).await;
}

/// UUID fields filter by equality, membership and null.
pub async fn filter_uuid(f: Fixture) {
    let p = people(&f).await;
    let cse = p.cse.meta.id.to_string();
    let both = format!("{},{}", p.cse.meta.id, p.ee.meta.id);
    selects(&f, &p, &[("department_id", &cse)], &[0, 1]).await;
    selects(&f, &p, &[("department_id__in", &both)], &[0, 1, 2, 3]).await;
    selects(&f, &p, &[("department_id__isnull", "true")], &[4, 5]).await;
    let first = p.students[0].meta.id.to_string();
    selects(&f, &p, &[("id", &first)], &[0]).await;
}

/// Date fields filter by ranges.
pub async fn filter_date(f: Fixture) {
    let p = people(&f).await;
    let range = [
        ("admission_date__gte", "2021-08-01"),
        ("admission_date__lt", "2023-01-01"),
    ];
    selects(&f, &p, &range, &[0, 1]).await;
    selects(&f, &p, &[("admission_date", "2019-08-01")], &[3]).await;
}

/// Date-time fields filter by instants, whatever the offset they are written in.
pub async fn filter_datetime(f: Fixture) {
    let p = people(&f).await;
    let third = p.created(2).to_rfc3339();
    selects(&f, &p, &[("created_at__gte", &third)], &[2, 3, 4, 5]).await;
    selects(&f, &p, &[("created_at__lt", &third)], &[0, 1]).await;
    let india = chrono::FixedOffset::east_opt(5 * 3600 + 1800).expect("a valid offset");
    let shifted = p.created(2).with_timezone(&india).to_rfc3339();
    selects(&f, &p, &[("created_at", &shifted)], &[2]).await;
}

/// Several filters must all hold.
pub async fn filters_combine(f: Fixture) {
    let p = people(&f).await;
    selects(
        &f,
        &p,
        &[("gender", "F"), ("year_of_study__gte", "3")],
        &[2, 4],
    )
    .await;
    selects(&f, &p, &[("gender", "M"), ("status", "GRADUATED")], &[]).await;
}

/// `search=` matches any search field (roll number, names, email), ignoring case.
pub async fn search_matches_any_search_field(f: Fixture) {
    let p = people(&f).await;
    selects(&f, &p, &[("search", "LOVE")], &[0]).await;
    selects(&f, &p, &[("search", "cs00")], &[0, 1]).await;
    selects(&f, &p, &[("search", "jane")], &[4]).await;
    selects(&f, &p, &[("search", "alan@")], &[1]).await;
    selects(&f, &p, &[("search", "B.Tech")], &[]).await;
    selects(&f, &p, &[("search", "a"), ("gender", "M")], &[1, 3]).await;
}

/// `count` counts every matching row, ignoring pagination.
pub async fn count_ignores_pagination(f: Fixture) {
    let _people = people(&f).await;
    let active = query::<Student>(&[("status", "ACTIVE"), ("page_size", "1")], &[]);
    assert_eq!(f.students.count(&active, &fresh()).await.expect("count"), 3);
    let all = query::<Student>(&[("page", "2"), ("page_size", "1")], &[]);
    assert_eq!(f.students.count(&all, &fresh()).await.expect("count"), 6);
}
