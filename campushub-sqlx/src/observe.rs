//! The bookkeeping around every statement a pool sends: it is counted (per pool and in the
//! request's [`StatementCounter`](crate::StatementCounter) scope), run inside a `db.statement`
//! span that carries its text (placeholders, never values), timed, reported at `warn` and
//! counted when slower than the pool's threshold, and counted as an error when it fails.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::counter::PoolCounters;

#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
impl PoolCounters {
    /// Runs `run`, the statement `sql`, on a connection or transaction already held; `wait` is
    /// the time spent getting that connection for this statement (zero if it served others
    /// before), counted in the statement's duration.
    pub(crate) async fn counted<T, E>(
        &self,
        sql: &str,
        wait: Duration,
        run: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        self.observed(sql, wait, async { (run.await, Duration::ZERO) })
            .await
    }

    /// Takes a connection from `pool` and runs the statement `sql` that `run` sends on it: the
    /// wait for the connection is part of the statement (its duration, its span, and its
    /// failure when no connection comes).
    pub(crate) async fn counted_on<DB, T, Run, Fut>(
        &self,
        pool: &sqlx::Pool<DB>,
        sql: &str,
        run: Run,
    ) -> crate::Result<T>
    where
        DB: sqlx::Database,
        Run: FnOnce(sqlx::pool::PoolConnection<DB>) -> Fut,
        Fut: Future<Output = crate::Result<T>>,
    {
        self.observed(sql, Duration::ZERO, async {
            let started = Instant::now();
            match pool.acquire().await {
                Ok(connection) => {
                    let wait = started.elapsed();
                    (run(connection).await, wait)
                }
                Err(error) => (Err(error.into()), started.elapsed()),
            }
        })
        .await
    }

    /// The bookkeeping around `run`, which sends `sql` and says how long it waited for a
    /// connection; `waited` is a wait that came before `run` started (a connection taken
    /// earlier for this statement), counted in the statement's duration too.
    async fn observed<T, E>(
        &self,
        sql: &str,
        waited: Duration,
        run: impl Future<Output = (Result<T, E>, Duration)>,
    ) -> Result<T, E> {
        self.statement();
        let operation = sql.split_whitespace().next().unwrap_or("statement");
        // Named and typed as OpenTelemetry's database conventions have it, for the exporters
        // that turn spans into traces (`otel.*` fields are theirs).
        let span = tracing::info_span!(
            "db.statement",
            otel.name = operation,
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            db.system.name = self.system,
            db.query.text = sql,
            db.pool = &*self.name,
        );
        let started = Instant::now();
        let (result, wait) = run.instrument(span.clone()).await;
        let wait = wait + waited;
        let elapsed = started.elapsed() + waited;
        self.finished(wait, elapsed);
        let threshold = self.slow_threshold_micros.load(Ordering::Relaxed);
        if elapsed.as_micros() >= u128::from(threshold) {
            self.slow_statements.fetch_add(1, Ordering::Relaxed);
            // Outside the statement's span, so that the event carries the request's fields
            // (route, request id, trace id) and not the statement's twice.
            tracing::warn!(
                pool = &*self.name,
                elapsed_ms = elapsed.as_secs_f64() * 1e3,
                wait_ms = wait.as_secs_f64() * 1e3,
                statement = sql,
                failed = result.is_err(),
                "slow statement"
            );
        }
        if result.is_err() {
            self.error();
            span.record("otel.status_code", "ERROR");
        }
        result
    }
}
