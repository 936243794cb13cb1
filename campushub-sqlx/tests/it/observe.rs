//! Statement observation: every statement is timed into the request's scope, runs inside a
//! `db.statement` span with its text, and is reported (a `warn` event with its text and
//! duration) and counted when slower than the pool's threshold; pool statistics carry the
//! connections.

use campushub_core::BatchMode;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use campushub_core::{Department, ReadOptions, Repository};
use campushub_sqlx::{
    Backend, ColType, PoolStats, SqlRepository, SqliteStore, Statement, StatementCounter,
    DEFAULT_SLOW_STATEMENT,
};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::support::fixtures::department;
use crate::support::pgdb::TestDb;

/// A span or event as captured: its name (an event's message) and its fields as text.
#[derive(Debug, Clone)]
struct Captured {
    name: String,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<Vec<Captured>>>,
    events: Arc<Mutex<Vec<Captured>>>,
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: Context<'_, S>,
    ) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let name = attrs.metadata().name().to_owned();
        self.spans.lock().expect("spans").push(Captured {
            name,
            fields: fields.0,
        });
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let name = fields.0.remove("message").unwrap_or_default();
        let level = event.metadata().level().to_string();
        fields.0.insert("level".into(), level);
        self.events.lock().expect("events").push(Captured {
            name,
            fields: fields.0,
        });
    }
}

impl Capture {
    /// Captures what this thread emits until the guard drops (the tests run on a
    /// current-thread runtime, so the statements' tasks are on this thread too).
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::set_default(subscriber)
    }

    fn slow_reports(&self) -> Vec<Captured> {
        let events = self.events.lock().expect("events");
        events
            .iter()
            .filter(|e| e.name == "slow statement")
            .cloned()
            .collect()
    }

    fn statement_spans(&self) -> Vec<Captured> {
        let spans = self.spans.lock().expect("spans");
        spans
            .iter()
            .filter(|s| s.name == "db.statement")
            .cloned()
            .collect()
    }
}

fn query(sql: &str) -> Statement {
    Statement {
        sql: sql.into(),
        args: Vec::new(),
        returns: vec![ColType::Int],
    }
}

fn stats_of(stats: Vec<PoolStats>, name: &str) -> PoolStats {
    stats
        .into_iter()
        .find(|p| p.name == name)
        .expect("the pool's statistics")
}

#[tokio::test]
async fn every_statement_is_timed_and_spanned_in_its_scope() {
    let capture = Capture::default();
    let _guard = capture.install();
    let store = SqliteStore::memory().await.expect("store");
    let departments = SqlRepository::<Department, _>::new(store.clone());
    let rows = [department("OB1"), department("OB2")];
    let written = departments
        .insert_many(&rows, BatchMode::AllOrNothing)
        .await
        .expect("insert");
    let read = ReadOptions::after(written.token);
    let ((), counts) = StatementCounter::scope(async {
        let id = rows[0].meta.id;
        departments
            .get(id, &read)
            .await
            .expect("get")
            .expect("found");
        departments
            .get(id, &read)
            .await
            .expect("get")
            .expect("found");
    })
    .await;
    assert_eq!(counts.total(), 2);
    assert_eq!(
        counts.timings.len(),
        2,
        "one timing per statement: {counts:?}"
    );
    for timing in &counts.timings {
        assert_eq!(&*timing.pool, "sqlite");
        assert!(timing.elapsed >= timing.wait, "{timing:?}");
        assert!(timing.elapsed > Duration::ZERO, "{timing:?}");
    }
    let spans = capture.statement_spans();
    let select = spans
        .iter()
        .rev()
        .find(|s| s.fields.get("otel.name").map(String::as_str) == Some("SELECT"))
        .expect("a span for the SELECT");
    assert_eq!(select.fields["db.system.name"], "sqlite");
    assert_eq!(select.fields["db.pool"], "sqlite");
    let text = &select.fields["db.query.text"];
    assert!(text.contains("FROM") && text.contains('?'), "{text}");
    assert!(!text.contains("OB1"), "the text carries no values: {text}");
    assert!(
        capture.slow_reports().is_empty(),
        "nothing is slow at the default threshold of {DEFAULT_SLOW_STATEMENT:?}"
    );
}

#[tokio::test]
async fn statements_over_the_threshold_are_reported_and_counted() {
    let capture = Capture::default();
    let _guard = capture.install();
    let store = SqliteStore::memory().await.expect("store");
    let read = ReadOptions::default();
    store.set_slow_statement_threshold(Some(Duration::ZERO));
    let before = stats_of(store.pool_stats(), "sqlite");
    store.fetch(query("SELECT 1"), &read).await.expect("select");
    store.fetch(query("SELECT 2"), &read).await.expect("select");
    let after = stats_of(store.pool_stats(), "sqlite");
    assert_eq!(after.slow_statements - before.slow_statements, 2);
    let reports = capture.slow_reports();
    let texts: Vec<&str> = reports
        .iter()
        .map(|r| r.fields["statement"].as_str())
        .collect();
    assert_eq!(texts, ["SELECT 1", "SELECT 2"]);
    assert_eq!(reports[0].fields["level"], "WARN");
    assert_eq!(reports[0].fields["pool"], "sqlite");
    assert!(reports[0].fields.contains_key("elapsed_ms"));

    store.set_slow_statement_threshold(None);
    store.fetch(query("SELECT 3"), &read).await.expect("select");
    let off = stats_of(store.pool_stats(), "sqlite");
    assert_eq!(
        off.slow_statements, after.slow_statements,
        "off reports none"
    );
    assert_eq!(capture.slow_reports().len(), 2);
    assert_eq!(off.statements - before.statements, 3);
}

#[tokio::test]
async fn a_failed_statement_is_counted_as_an_error_once() {
    let store = SqliteStore::memory().await.expect("store");
    let before = stats_of(store.pool_stats(), "sqlite");
    let failed = store
        .fetch(
            query("SELECT * FROM no_such_table"),
            &ReadOptions::default(),
        )
        .await;
    assert!(failed.is_err());
    let after = stats_of(store.pool_stats(), "sqlite");
    assert_eq!(after.errors - before.errors, 1);
    assert_eq!(after.statements - before.statements, 1);
}

#[tokio::test]
async fn postgres_reports_what_is_slower_than_its_threshold_and_no_faster() {
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    let read = ReadOptions::default();
    // Opening the connection is part of the first statement's wait: open it before.
    let warm = router.fetch(query("SELECT 1::int8"), &read);
    warm.await.expect("warm-up");
    router.set_slow_statement_threshold(Some(Duration::from_millis(40)));
    let capture = Capture::default();
    let _guard = capture.install();
    let before = stats_of(router.stats(), "primary");
    router
        .fetch(query("SELECT 1::int8"), &read)
        .await
        .expect("fast");
    let ((), counts) = StatementCounter::scope(async {
        let slow = router.fetch(query("SELECT 1::int8 FROM pg_sleep(0.08)"), &read);
        slow.await.expect("slow");
    })
    .await;
    let after = stats_of(router.stats(), "primary");
    assert_eq!(after.slow_statements - before.slow_statements, 1);
    let reports = capture.slow_reports();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(
        reports[0].fields["statement"],
        "SELECT 1::int8 FROM pg_sleep(0.08)"
    );
    assert_eq!(reports[0].fields["pool"], "primary");
    assert_eq!(counts.timings.len(), 1);
    assert!(counts.timings[0].elapsed >= Duration::from_millis(80));
    let spans = capture.statement_spans();
    assert!(spans
        .iter()
        .all(|s| s.fields["db.system.name"] == "postgresql"));
    assert!(after.max_connections >= 1);
    assert!(after.connections >= after.idle_connections);
    assert!(after.connections >= 1, "a connection was opened: {after:?}");
}

#[tokio::test]
async fn postgres_cancels_a_statement_past_the_statement_timeout() {
    let db = TestDb::shared().await;
    let router = db
        .router(|config| config.with_statement_timeout(Some(Duration::from_millis(200))))
        .await;
    let read = ReadOptions::default().on(campushub_core::ReadRoute::Primary);
    let started = std::time::Instant::now();
    let error = router
        .fetch(query("SELECT 1::int8 FROM pg_sleep(5)"), &read)
        .await
        .expect_err("cancelled");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "cancelled early"
    );
    assert!(error.is_timeout(), "{error:?}");
    assert!(!error.is_connection(), "a timeout is not retried elsewhere");
    let core = campushub_core::Error::from(error);
    assert!(
        matches!(core, campushub_core::Error::Unavailable { .. }),
        "{core:?}"
    );
    // The connection stays usable, and the migrations ran without the timeout.
    router
        .fetch(query("SELECT 1::int8"), &read)
        .await
        .expect("fast");
}
