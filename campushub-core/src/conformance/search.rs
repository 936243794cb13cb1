//! Cases: `search=` as a literal, case-insensitive substring whatever the term holds (a store
//! may answer long terms from an index and short ones by a scan: both must agree), and
//! searches that follow the records' writes.

use super::data::{create, department_input, named_student};
use super::support::{ids, ids_of, insert_all, revised, sorted};
use super::Fixture;
use crate::entities::{Department, Student};

/// Students whose names hold characters that are syntax in `LIKE`, regular expressions or
/// full-text query languages: `"`, `%`, `_`, `*`, `:`, `(`, and the word `OR`.
async fn punctuated(f: &Fixture) -> Vec<Student> {
    let names = [
        ("Jeanne", "D\"Arc"),
        ("Cent", "Full%Mark"),
        ("Snake", "Under_Score"),
        ("Star", "Wild*Card"),
        ("Colon", "Key:Value (Paren)"),
        ("Either", "This OR That"),
    ];
    let records = names
        .iter()
        .enumerate()
        .map(|(i, (first, last))| named_student(&format!("PX{i:03}"), first, last))
        .collect();
    insert_all(&*f.students, records).await
}

/// Asserts that `search=term` finds exactly `want` among the students.
async fn search_finds(f: &Fixture, term: &str, want: &[&Student]) {
    let got = sorted(ids(&*f.students, &[("search", term)], &[]).await);
    assert_eq!(got, sorted(ids_of(want)), "search={term:?}");
}

/// Every character of a term is literal: `%`, `_` and `*` are not wildcards, `"` and `:` are
/// not query syntax, and `OR` is a word like any other; a term made of syntax alone finds the
/// rows that hold it, or none, and is never an error.
pub async fn search_terms_are_literal(f: Fixture) {
    let s = punctuated(&f).await;
    search_finds(&f, "d\"ar", &[&s[0]]).await;
    search_finds(&f, "\"", &[&s[0]]).await;
    search_finds(&f, "\"\"\"", &[]).await;
    search_finds(&f, "l%m", &[&s[1]]).await;
    search_finds(&f, "%", &[&s[1]]).await;
    search_finds(&f, "%%%", &[]).await;
    search_finds(&f, "r_s", &[&s[2]]).await;
    search_finds(&f, "_", &[&s[2]]).await;
    search_finds(&f, "___", &[]).await;
    search_finds(&f, "d*c", &[&s[3]]).await;
    search_finds(&f, "wil*", &[]).await;
    search_finds(&f, "*", &[&s[3]]).await;
    search_finds(&f, "y:v", &[&s[4]]).await;
    search_finds(&f, "key:", &[&s[4]]).await;
    search_finds(&f, "(paren)", &[&s[4]]).await;
    search_finds(&f, "s or t", &[&s[5]]).await;
    for nothing in [
        "this AND that",
        "NEAR(this that)",
        "last_name:key",
        "^this",
        "-this",
        "this*",
        "{key}",
        "'",
        "\\",
        "a\"b OR c",
    ] {
        search_finds(&f, nothing, &[]).await;
    }
}

/// Terms of one and two characters (too short for a trigram index) match as longer ones do,
/// folding case beyond ASCII.
pub async fn search_short_terms(f: Fixture) {
    let muller = named_student("DE002", "Jürgen", "Müller");
    let ng = named_student("VN001", "Bao", "Ng");
    let s = insert_all(&*f.students, vec![muller, ng]).await;
    search_finds(&f, "Ü", &[&s[0]]).await;
    search_finds(&f, "üL", &[&s[0]]).await;
    search_finds(&f, "NG", &[&s[1]]).await;
    search_finds(&f, "g", &[&s[0], &s[1]]).await;
    search_finds(&f, "q", &[]).await;
}

/// Terms of three characters or more fold case beyond ASCII, also across scripts whose case
/// pairs came late to Unicode (Georgian Mtavruli, 2018).
pub async fn search_long_terms_fold_unicode_case(f: Fixture) {
    let polish = named_student("PL002", "Łukasz", "Żółkiewski");
    let greek = named_student("GR001", "Σοφία", "Παπαδοπούλου");
    let georgian = named_student("GE001", "ნინო", "ბერიძე");
    let s = insert_all(&*f.students, vec![polish, greek, georgian]).await;
    search_finds(&f, "ŻÓŁK", &[&s[0]]).await;
    search_finds(&f, "łUKASZ", &[&s[0]]).await;
    search_finds(&f, "ΣΟΦΊΑ", &[&s[1]]).await;
    search_finds(&f, "ΠΟΎΛ", &[&s[1]]).await;
    search_finds(&f, "ᲑᲔᲠ", &[&s[2]]).await;
    search_finds(&f, "ᲫᲔ", &[&s[2]]).await;
}

/// A search sees the records as written: an update's new value is found and its old one no
/// longer is, and a deleted record is gone (on every kind with search fields).
pub async fn search_follows_writes(f: Fixture) {
    let record = named_student("QX001", "Alonso", "Quixote");
    f.students.insert(&record).await.expect("insert");
    search_finds(&f, "quix", &[&record]).await;
    let renamed = revised(&record, |s| s.person.last_name = "Sancho".into());
    f.students.update(&renamed, 1).await.expect("update");
    search_finds(&f, "quix", &[]).await;
    search_finds(&f, "sanch", &[&renamed]).await;
    let moved = revised(&renamed, |s| s.year_of_study = 2);
    f.students.update(&moved, 2).await.expect("update");
    search_finds(&f, "sanch", &[&moved]).await;
    f.students.delete(record.meta.id, 3).await.expect("delete");
    search_finds(&f, "sanch", &[]).await;

    let department = create::<Department>(department_input("AST", "Astronomy"));
    f.departments.insert(&department).await.expect("insert");
    let found = ids(&*f.departments, &[("search", "TRONOM")], &[]).await;
    assert_eq!(found, vec![department.meta.id]);
    let renamed = revised(&department, |d| d.name = "Astrophysics".into());
    f.departments.update(&renamed, 1).await.expect("update");
    assert!(ids(&*f.departments, &[("search", "TRONOM")], &[])
        .await
        .is_empty());
    let found = ids(&*f.departments, &[("search", "PHYSIC")], &[]).await;
    assert_eq!(found, vec![department.meta.id]);
}
