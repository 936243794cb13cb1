//! List envelopes: cursor pages with `next`/`previous` URLs, page-number pages with a count.

use axum::http::StatusCode;
use serde_json::Value;

use crate::support::{department, App};

async fn with_departments(count: usize) -> App {
    let app = App::new();
    for index in 0..count {
        app.create("departments", department(&format!("D{index:02}")))
            .await;
    }
    app
}

fn codes(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn cursor_pages_link_to_each_other_and_walk_every_row_once() {
    let app = with_departments(5).await;
    let first = app
        .get("/api/v1/departments?page_size=2&ordering=code")
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let first = first.json();
    assert!(first.get("count").is_none());
    assert_eq!(first["previous"], Value::Null);
    assert_eq!(codes(&first), ["D00", "D01"]);
    let mut seen = codes(&first);
    let mut next = first["next"].as_str().map(str::to_owned);
    while let Some(url) = next {
        assert!(url.starts_with("/api/v1/departments?"), "{url}");
        assert!(
            url.contains("page_size=2") && url.contains("ordering=code") && url.contains("cursor="),
            "{url}"
        );
        let page = app.get(&url).await.json();
        assert!(page["previous"].is_string(), "{page}");
        seen.extend(codes(&page));
        next = page["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ["D00", "D01", "D02", "D03", "D04"]);
}

#[tokio::test]
async fn page_number_pages_carry_a_count_and_page_links() {
    let app = with_departments(5).await;
    let page = app
        .get("/api/v1/departments?page=2&page_size=2&ordering=code")
        .await
        .json();
    assert_eq!(page["count"], 5);
    assert_eq!(
        page["count_exact"], true,
        "no count cap: the count is the total"
    );
    assert_eq!(codes(&page), ["D02", "D03"]);
    assert_eq!(
        page["next"],
        "/api/v1/departments?page_size=2&ordering=code&page=3"
    );
    assert_eq!(
        page["previous"],
        "/api/v1/departments?page_size=2&ordering=code&page=1"
    );
}

#[tokio::test]
async fn filters_and_search_narrow_the_list() {
    let app = with_departments(3).await;
    let page = app.get("/api/v1/departments?code=D01").await.json();
    assert_eq!(codes(&page), ["D01"]);
    let page = app
        .get("/api/v1/departments?code__in=D00,D02&ordering=code")
        .await
        .json();
    assert_eq!(codes(&page), ["D00", "D02"]);
    let page = app
        .get("/api/v1/departments?search=department%20d02")
        .await
        .json();
    assert_eq!(codes(&page), ["D02"]);
}
