//! Progress of the long commands on stderr, drawn by indicatif: a bar with the rate for
//! `seed`, a spinner for `migrate`. indicatif hides them when stderr is not a terminal; there
//! the bar writes one plain line per tenth instead, so that CI logs still show progress, and
//! each command prints its own summary line to stdout.

use std::fmt;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// The bar's layout (indicatif's template keys, and `rate`).
const BAR: &str =
    "[{elapsed_precise}] [{bar:30}] {human_pos}/{human_len} rows, {rate} ({eta} left) {msg}";

/// Progress over a known number of rows.
#[derive(Debug)]
pub(super) struct Progress {
    bar: ProgressBar,
    /// Plain lines stand in for the hidden bar.
    lines: bool,
    shown_tenths: u64,
    /// What the bar says beside the count (also on the plain lines).
    note: String,
}

impl Progress {
    /// A bar for `total` rows; silent when `enabled` is false.
    pub(super) fn new(total: usize, enabled: bool) -> Self {
        let total = total.max(1) as u64;
        let bar = if enabled {
            ProgressBar::new(total)
        } else {
            ProgressBar::hidden()
        };
        // The template is a constant, checked by a test: the fallback is never taken.
        let style = ProgressStyle::with_template(BAR)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("#>.")
            // indicatif's `per_sec` shows four decimals; whole rows read better.
            .with_key("rate", |state: &ProgressState, out: &mut dyn fmt::Write| {
                let _ = write!(out, "{:.0} rows/s", state.per_sec());
            });
        bar.set_style(style);
        Progress {
            lines: enabled && bar.is_hidden(),
            bar,
            shown_tenths: 0,
            note: String::new(),
        }
    }

    /// Rows per second so far.
    pub(super) fn rate(&self) -> f64 {
        self.bar.position() as f64 / self.seconds().max(1e-6)
    }

    /// Rows recorded so far.
    #[cfg(test)]
    pub(super) fn done(&self) -> u64 {
        self.bar.position()
    }

    /// Seconds since the start.
    pub(super) fn seconds(&self) -> f64 {
        self.bar.elapsed().as_secs_f64()
    }

    /// Records `rows` more rows.
    pub(super) fn advance(&mut self, rows: usize) {
        self.bar.inc(rows as u64);
        if !self.lines {
            return;
        }
        let (done, total) = (self.bar.position(), self.bar.length().unwrap_or(1));
        let tenths = done * 10 / total.max(1);
        if tenths != self.shown_tenths {
            self.shown_tenths = tenths;
            let note = if self.note.is_empty() {
                String::new()
            } else {
                format!(", {}", self.note)
            };
            eprintln!("{done}/{total} rows, {:.0} rows/s{note}", self.rate());
        }
    }

    /// Shows `note` beside the count from now on (`12,000 written`).
    pub(super) fn note(&mut self, note: String) {
        self.bar.set_message(note.clone());
        self.note = note;
    }

    /// What the bar says beside the count.
    #[cfg(test)]
    pub(super) fn noted(&self) -> &str {
        &self.note
    }

    /// Removes the bar (the command prints its summary).
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A spinner showing `message` until it is finished (hidden off a terminal).
pub(super) fn spinner(message: &'static str) -> ProgressBar {
    let spinner = ProgressBar::new_spinner().with_message(message);
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_valid() {
        assert!(ProgressStyle::with_template(BAR).is_ok());
    }

    #[test]
    fn a_silent_bar_still_counts() {
        let mut progress = Progress::new(10, false);
        progress.advance(4);
        progress.advance(6);
        assert_eq!(progress.bar.position(), 10);
        assert!(!progress.lines);
        assert!(progress.rate() > 0.0);
        progress.finish();
    }
}
