//! Time-stamped events (foot strike, foot off, cut marks).

use serde::{Deserialize, Serialize};

/// An event on the take's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Label, e.g. `Foot Strike`.
    pub label: String,
    /// Context, e.g. `Left`, `Right`, `General`; empty when none.
    pub context: String,
    /// Time in seconds from the start of the trial (C3D's EVENT:TIMES convention).
    pub time_s: f64,
    /// Free-form description; empty when none.
    pub description: String,
}
