//! A one-line progress bar on stderr (redrawn in place on a terminal, one line per tenth
//! otherwise) with the rate in rows per second.

use std::io::{IsTerminal, Write};
use std::time::Instant;

/// Progress over a known number of rows.
pub(super) struct Progress {
    total: usize,
    done: usize,
    started: Instant,
    terminal: bool,
    shown_tenths: usize,
    enabled: bool,
}

impl Progress {
    /// A bar for `total` rows; silent when `enabled` is false.
    pub(super) fn new(total: usize, enabled: bool) -> Self {
        Progress {
            total: total.max(1),
            done: 0,
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            shown_tenths: 0,
            enabled,
        }
    }

    /// Rows per second so far.
    pub(super) fn rate(&self) -> f64 {
        self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-6)
    }

    /// Seconds since the start.
    pub(super) fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Records `rows` more rows and redraws.
    pub(super) fn advance(&mut self, rows: usize) {
        self.done += rows;
        if !self.enabled {
            return;
        }
        let tenths = self.done * 10 / self.total;
        if !self.terminal && tenths == self.shown_tenths {
            return;
        }
        self.shown_tenths = tenths;
        let width = 30;
        let filled = (self.done * width / self.total).min(width);
        let line = format!(
            "[{}{}] {}/{} rows, {:.0} rows/s",
            "#".repeat(filled),
            ".".repeat(width - filled),
            self.done,
            self.total,
            self.rate()
        );
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r{line}")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }

    /// Ends the bar's line.
    pub(super) fn finish(&self) {
        if self.enabled && self.terminal {
            eprintln!();
        }
    }
}
