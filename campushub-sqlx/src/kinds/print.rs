//! What the runner would run for the kinds, as SQL, without running it (`migrate --print`).

use std::fmt::Write as _;

use crate::backend::Dialect;
use crate::error::Result;
use crate::kinds::plan::Recorded;
use crate::kinds::plan::{self, LiveTable};
use crate::kinds::run::StepConnection;
use crate::kinds::KindSchema;

/// The SQL of one kind's step as a script: its creation, or its pending hand-written
/// migrations, or its additive changes; a drift that needs a migration is an error.
fn kind_script(
    schema: &KindSchema,
    dialect: Dialect,
    live: Option<&LiveTable>,
    recorded: &[Recorded],
) -> Result<String> {
    let (kind, table) = (schema.kind, schema.table);
    let pending = plan::pending(schema, recorded)?;
    let mut script = String::new();
    let Some(live) = live else {
        let _ = writeln!(script, "-- kind `{kind}`: create table `{table}`");
        for statement in (schema.create)(dialect) {
            let _ = writeln!(script, "{statement};");
        }
        if !pending.is_empty() {
            let versions: Vec<String> = pending.iter().map(|m| m.version.to_string()).collect();
            let _ = writeln!(
                script,
                "-- kind `{kind}`: migrations {} recorded as applied (the new table has them)",
                versions.join(", ")
            );
        }
        return Ok(script);
    };
    if !pending.is_empty() {
        for migration in pending {
            let _ = writeln!(script, "-- kind `{kind}`: migration {}", migration.version);
            let _ = writeln!(script, "{}", migration.sql.trim_end());
        }
        let _ = writeln!(
            script,
            "-- kind `{kind}`: then `{table}` is compared with the description again"
        );
        return Ok(script);
    }
    let statements = plan::evolve(schema, dialect, live).map_err(|c| schema.drift(c))?;
    if statements.is_empty() {
        let _ = writeln!(script, "-- kind `{kind}`: table `{table}` is up to date");
    } else {
        let _ = writeln!(script, "-- kind `{kind}`: evolve table `{table}`");
    }
    for statement in statements {
        let _ = writeln!(script, "{statement};");
    }
    Ok(script)
}

/// The scripts of `kinds`, read through `conn`.
async fn scripts<C: StepConnection>(conn: &mut C, kinds: &[KindSchema]) -> Result<String> {
    let mut script = String::new();
    for schema in kinds {
        let recorded = conn.recorded(schema.kind).await?;
        let live = conn.live(schema.table).await?;
        script += &kind_script(schema, C::DIALECT, live.as_ref(), &recorded)?;
    }
    Ok(script)
}

/// The scripts of `kinds` on Postgres.
#[cfg(feature = "postgres")]
pub(crate) async fn print_postgres(pool: &sqlx::PgPool, kinds: &[KindSchema]) -> Result<String> {
    scripts(&mut *pool.acquire().await?, kinds).await
}

/// The scripts of `kinds` on SQLite.
#[cfg(feature = "sqlite")]
pub(crate) async fn print_sqlite(pool: &sqlx::SqlitePool, kinds: &[KindSchema]) -> Result<String> {
    scripts(&mut *pool.acquire().await?, kinds).await
}
