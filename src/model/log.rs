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
    /// Wall-clock seconds since app start when it was logged.
    pub at_s: f64,
}

/// Messages for the user (log panel + toasts).
#[derive(Resource, Debug, Default)]
pub struct AppLog {
    /// All entries, oldest first.
    pub entries: Vec<LogEntry>,
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
        self.entries.push(LogEntry { level, text, at_s });
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
