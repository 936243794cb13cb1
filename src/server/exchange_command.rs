//! `export` and `import`: a kind's records to stdout as CSV or XLSX, and a file imported by
//! natural key, through the same code as the HTTP routes (`campushub_http::exchange`) under
//! an administrator's principal. Progress goes to stderr: a bar over the rows an import
//! checks and a spinner while it writes on a terminal, plain lines otherwise; the summary and
//! every problem go to stdout.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::app::Core;
use super::args::{FileFormat, Kind};
use super::config::Config;
use super::progress::{spinner, Progress};
use super::BoxError;
use crate::core::exchange::{
    import_sheet, Columns, ImportReport, NaturalKeys, References, SheetRows,
};
use crate::core::service::{ImportOptions, ImportProgress};
use crate::core::{BatchMode, Department, Entity, EntityService, Principal, ReadOptions, Role};
use crate::http::exchange::{open_sheet, write_export, Format};

/// Who the commands act as.
fn operator() -> Principal {
    Principal::new("command-line", [Role::ADMIN])
}

/// `export KIND --format F [--where NAME=VALUE]...`.
pub(super) async fn export(
    kind: Kind,
    format: FileFormat,
    filters: Vec<(String, String)>,
    config: &Config,
) -> Result<(), BoxError> {
    let core = Core::open(config).await?;
    let services = &core.services;
    let format = match format {
        FileFormat::Csv => Format::Csv,
        FileFormat::Xlsx => Format::Xlsx,
    };
    let started = Instant::now();
    // Buffered: CSV is written a page at a time, not a line at a time.
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let rows = match kind {
        Kind::Departments => {
            let service = services.departments.clone();
            write_export(service, operator(), filters, format, &mut out).await?
        }
        Kind::Students => {
            let service = services.students.clone();
            write_export(service, operator(), filters, format, &mut out).await?
        }
        Kind::Faculty => {
            let service = services.faculty.clone();
            write_export(service, operator(), filters, format, &mut out).await?
        }
    };
    out.flush()?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "exported {rows} rows in {seconds:.2} s ({:.0} rows/s)",
        rows as f64 / seconds.max(1e-6)
    );
    Ok(())
}

/// `import FILE [--kind K] [--dry-run] [--best-effort]`.
pub(super) async fn import(
    file: &Path,
    kind: Option<Kind>,
    dry_run: bool,
    best_effort: bool,
    config: &Config,
) -> Result<(), BoxError> {
    let kind = match kind {
        Some(kind) => kind,
        None => kind_of(file)?,
    };
    let format = match file.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("xlsx") => Format::Xlsx,
        _ => Format::Csv,
    };
    let limits = config.imports;
    let terminal = std::io::stderr().is_terminal();
    let step = |message: &'static str| {
        if !terminal {
            eprintln!("{message}");
        }
        spinner(message)
    };
    let started = Instant::now();
    let reading = step("reading the file");
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if bytes.len() > limits.max_file_bytes {
        return Err(format!(
            "{}: larger than {} bytes",
            file.display(),
            limits.max_file_bytes
        )
        .into());
    }
    // Checked whole here (a malformed file is refused before anything is written), then
    // read again a batch at a time as the import goes.
    let sheet = open_sheet(bytes.into(), format, limits)
        .await
        .map_err(|problem| format!("{}: {problem:?}", file.display()))?;
    reading.finish_and_clear();
    eprintln!("read {} rows", sheet.rows());
    let core = Core::open(config).await?;
    let services = &core.services;
    let references = References::new().with(
        Department::KIND,
        Arc::new(services.departments.clone()) as Arc<dyn NaturalKeys>,
    );
    let options = ImportOptions {
        dry_run,
        mode: match best_effort {
            true => BatchMode::EachRow,
            false => BatchMode::AllOrNothing,
        },
    };
    // A bar over the rows checked (plain lines off a terminal) with the rows written beside
    // it; a spinner only where the store writes them in one go (see `CommandProgress`).
    let progress = CommandProgress {
        bar: Mutex::new(Progress::new(sheet.rows(), true)),
        written: AtomicUsize::new(0),
        writing: Mutex::new(None),
        terminal,
    };
    let report = match kind {
        Kind::Departments => {
            run(
                &services.departments,
                sheet,
                &references,
                options,
                &progress,
            )
            .await?
        }
        Kind::Students => run(&services.students, sheet, &references, options, &progress).await?,
        Kind::Faculty => run(&services.faculty, sheet, &references, options, &progress).await?,
    };
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let mut out = std::io::stdout().lock();
    for issue in &report.errors {
        let column = issue.column.as_deref().unwrap_or("(row)");
        writeln!(out, "row {}, {column}: {}", issue.row, issue.message)?;
    }
    let verb = if dry_run { "would create" } else { "created" };
    let updated = if dry_run { "would update" } else { "updated" };
    writeln!(
        out,
        "{} rows in {seconds:.2} s ({:.0} rows/s): {verb} {}, {updated} {}, {} problem(s){}",
        report.rows,
        report.rows as f64 / seconds.max(1e-6),
        report.created,
        report.updated,
        report.errors.len(),
        if report.written || dry_run {
            ""
        } else {
            "; nothing written"
        }
    )?;
    if report.errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{} problem(s) in {}", report.errors.len(), file.display()).into())
    }
}

async fn run<E: Entity>(
    service: &EntityService<E>,
    sheet: impl SheetRows,
    references: &References,
    options: ImportOptions,
    progress: &dyn ImportProgress,
) -> Result<ImportReport, BoxError> {
    let principal = operator();
    let definitions = service
        .custom_field_definitions(&ReadOptions::default())
        .await?;
    let columns = Columns::of(E::schema(), &definitions, true);
    let report = import_sheet(
        service, &principal, sheet, &columns, references, options, progress,
    );
    Ok(report.await?)
}

/// An import's progress on stderr: the seed command's bar over the rows checked, with the
/// rows written beside it (a batch is written as soon as it is checked); a spinner while
/// the rows are written in one go, where the store cannot take them batch by batch.
struct CommandProgress {
    bar: Mutex<Progress>,
    written: AtomicUsize,
    writing: Mutex<Option<indicatif::ProgressBar>>,
    terminal: bool,
}

impl CommandProgress {
    fn finish(&self) {
        self.bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .finish();
        if let Some(spinner) = self
            .writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            spinner.finish_and_clear();
        }
    }
}

impl ImportProgress for CommandProgress {
    fn checked(&self, rows: usize) {
        self.bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .advance(rows);
    }

    fn writing(&self, rows: usize) {
        self.bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .finish();
        if !self.terminal {
            eprintln!("writing {rows} rows in one transaction");
        }
        let spinner = spinner("writing the rows in one transaction");
        *self.writing.lock().unwrap_or_else(PoisonError::into_inner) = Some(spinner);
    }

    fn written(&self, rows: usize) {
        let written = self.written.fetch_add(rows, Ordering::Relaxed) + rows;
        self.bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .note(format!("{written} written"));
    }
}

/// The kind a file's name names (`students.csv`, `Faculty.xlsx`).
fn kind_of(file: &Path) -> Result<Kind, BoxError> {
    let stem = file
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match stem.as_str() {
        "departments" => Ok(Kind::Departments),
        "students" => Ok(Kind::Students),
        "faculty" => Ok(Kind::Faculty),
        _ => Err(format!(
            "{}: the file name does not name a kind; say --kind departments|students|faculty",
            file.display()
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_imports_progress_counts_the_rows_checked_and_written() {
        let progress = CommandProgress {
            bar: Mutex::new(Progress::new(2_500, false)),
            written: AtomicUsize::new(0),
            writing: Mutex::new(None),
            terminal: true,
        };
        progress.checked(1_000);
        progress.written(1_000);
        progress.checked(1_000);
        progress.written(990);
        progress.checked(500);
        assert_eq!(progress.bar.lock().expect("bar").done(), 2_500);
        assert_eq!(progress.bar.lock().expect("bar").noted(), "1990 written");
        progress.writing(2_500);
        assert!(progress.writing.lock().expect("spinner").is_some());
        progress.finish();
        assert!(progress.writing.lock().expect("spinner").is_none());
    }
}
