//! A walk (what an export reads) gives exactly the rows the list route gives page by page,
//! in the same order, with the same fields hidden: for filters, search, orderings with
//! ties, custom fields, a row scope and a field scope, over more than two walk pages. And
//! it reads past the cache: walking fills no cache entry.
#![cfg(feature = "memory")]

use campushub_core::scope::RecordLinks;
use campushub_core::service::WALK_PAGE_ROWS;
use campushub_core::{Error, Principal, ReadOptions, Role};
use serde_json::{json, Map, Value};

use crate::support::service::{admin, definition_body, student_body, with, with_role, Campus};

type Row = Map<String, Value>;

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Every row of `query` through the list, following its cursors, or the list's refusal.
async fn listed(
    campus: &Campus,
    caller: &Principal,
    query: &[(String, String)],
) -> Result<Vec<Row>, Error> {
    let read = ReadOptions::default();
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = query.to_vec();
        params.push(("page_size".into(), "200".into()));
        if let Some(cursor) = cursor.take() {
            params.push(("cursor".into(), cursor));
        }
        let page = campus.students.list(caller, &params, &read).await?;
        let values: Vec<Row> = serde_json::from_slice(page.results.json()).expect("rows");
        rows.extend(values);
        match page.next {
            Some(campushub_core::query::PageLink::Cursor(next)) => cursor = Some(next),
            _ => return Ok(rows),
        }
    }
}

/// Every row of `query` through a walk, or the walk's refusal.
async fn try_walk(
    campus: &Campus,
    caller: &Principal,
    query: &[(String, String)],
) -> Result<Vec<Row>, Error> {
    let mut walk = campus
        .students
        .walk(caller, query, &ReadOptions::default())
        .await?;
    let mut rows = Vec::new();
    while let Some(page) = walk.next_page().await? {
        assert!(page.len() <= WALK_PAGE_ROWS as usize);
        rows.extend(page);
    }
    Ok(rows)
}

async fn walked(campus: &Campus, caller: &Principal, query: &[(String, String)]) -> Vec<Row> {
    try_walk(campus, caller, query).await.expect("a walk")
}

#[tokio::test]
async fn a_walk_gives_the_list_routes_rows_in_its_order() {
    let campus = Campus::new();
    campus
        .define(definition_body("student", "credits", "number"))
        .await;
    let rows = 2 * WALK_PAGE_ROWS as usize + 150;
    let mut own = None;
    for n in 0..rows {
        let body = with(
            student_body(&format!("W{n:05}")),
            "year_of_study",
            json!(1 + n % 4),
        );
        let body = with(body, "email", json!(format!("w{n}@uni.example")));
        let body = with(body, "admission_date", json!(format!("202{}-08-01", n % 3)));
        let body = with(body, "custom_fields", json!({ "credits": n % 7 }));
        let student = campus.student_from(body).await;
        if n == 17 {
            own = Some(student.meta.id);
        }
    }
    let student = Principal::new("s-user", [Role::STUDENT]).with_links(RecordLinks {
        student_id: own,
        ..RecordLinks::default()
    });
    let faculty = with_role(Role::FACULTY);
    let queries = [
        params(&[]),
        params(&[("ordering", "-roll_number")]),
        // Ties on the ordering key: the id breaks them, in both.
        params(&[("ordering", "admission_date")]),
        params(&[("ordering", "-admission_date"), ("year_of_study", "2")]),
        params(&[("search", "W001")]),
        params(&[("cf.credits", "3"), ("ordering", "-year_of_study")]),
    ];
    // (queries answered, queries refused) by both.
    let mut refusals = (0, 0);
    for caller in [admin(), faculty.clone(), student.clone()] {
        for query in &queries {
            let from_list = listed(&campus, &caller, query).await;
            let from_walk = try_walk(&campus, &caller, query).await;
            match (from_list, from_walk) {
                (Ok(from_list), Ok(from_walk)) => {
                    assert_eq!(from_walk.len(), from_list.len(), "{query:?} as {caller:?}");
                    assert!(
                        from_walk == from_list,
                        "{query:?} as {caller:?}: rows differ"
                    );
                    refusals.0 += 1;
                }
                (Err(list), Err(walk)) => {
                    assert_eq!(walk.to_string(), list.to_string(), "{query:?}");
                    refusals.1 += 1;
                }
                (list, walk) => panic!("{query:?} as {caller:?}: {list:?} but {walk:?}"),
            }
        }
    }
    assert_eq!(
        refusals,
        (17, 1),
        "the faculty's search covers hidden fields"
    );
    assert_eq!(walked(&campus, &admin(), &[]).await.len(), rows);
    assert_eq!(walked(&campus, &student, &[]).await.len(), 1, "its own row");
    let as_faculty = walked(&campus, &faculty, &[]).await;
    assert!(as_faculty.iter().all(|row| !row.contains_key("email")));

    // Refusals are the list's: a hidden field, an unknown parameter; and page parameters.
    for (caller, query) in [
        (faculty.clone(), params(&[("email", "w1@uni.example")])),
        (admin(), params(&[("colour", "red")])),
        (admin(), params(&[("page_size", "10")])),
    ] {
        let outcome = campus
            .students
            .walk(&caller, &query, &ReadOptions::default())
            .await;
        assert!(matches!(outcome, Err(Error::Validation(_))), "{query:?}");
    }
    let loads = campus.cache.loads();
    walked(&campus, &admin(), &params(&[("ordering", "roll_number")])).await;
    assert_eq!(
        campus.cache.loads(),
        loads,
        "a walk does not go through the cache"
    );
}
