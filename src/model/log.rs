//! The app log: lines for the Log panel and toasts, with their severity and time.

use bevy::prelude::*;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Informational.
    Info,
    /// Something was skipped or approximated.
    Warning,
    /// An operation failed.
    Error,
}

/// One log line shown in the Log panel (and as a toast when recent).
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// Severity.
    pub level: LogLevel,
    /// Message text.
    pub text: String,
    /// The frame clock's seconds when it was logged (`Time<Real>`; toasts fade by it).
    pub at_s: f64,
    /// Seconds since the log was created (the app's start) when it was logged, measured by
    /// the wall clock: what the Log panel shows (lines logged in the first frame, before the
    /// frame clock runs, still get distinct stamps).
    pub since_start_s: f64,
}

/// Messages for the user (log panel + toasts).
#[derive(Resource, Debug)]
pub struct AppLog {
    /// All entries, oldest first.
    pub entries: Vec<LogEntry>,
    /// When the log was created.
    started: std::time::Instant,
}

impl Default for AppLog {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            started: std::time::Instant::now(),
        }
    }
}

impl AppLog {
    /// Appends an entry and mirrors it to the terminal log.
    pub fn push(&mut self, level: LogLevel, text: impl Into<String>, at_s: f64) {
        let text = text.into();
        match level {
            LogLevel::Info => info!("{text}"),
            LogLevel::Warning => warn!("{text}"),
            LogLevel::Error => error!("{text}"),
        }
        let since_start_s = self.started.elapsed().as_secs_f64();
        self.entries.push(LogEntry {
            level,
            text,
            at_s,
            since_start_s,
        });
    }
}

/// The last `n` error lines of the app log (for reports from headless runs).
pub fn last_errors(world: &World, n: usize) -> Vec<String> {
    world
        .get_resource::<AppLog>()
        .map(|log| {
            let errs: Vec<String> = log
                .entries
                .iter()
                .filter(|e| e.level == LogLevel::Error)
                .map(|e| e.text.clone())
                .collect();
            errs[errs.len().saturating_sub(n)..].to_vec()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_logged_before_the_frame_clock_runs_get_distinct_stamps() {
        let mut log = AppLog::default();
        log.push(LogLevel::Info, "opened", 0.0);
        std::thread::sleep(std::time::Duration::from_millis(5));
        log.push(LogLevel::Info, "retargeted", 0.0);
        let [a, b] = [&log.entries[0], &log.entries[1]];
        assert!(b.since_start_s - a.since_start_s >= 0.004);
        assert!(b.since_start_s > 0.0);
    }
}
