//! Timeline lanes as data: [`Lane`]s of spans that plugins contribute through
//! [`TimelineLanes`], the display rate of timecodes ([`DisplayRate`], [`timecode_at`]).

use bevy::prelude::*;
use mocap_data::{FrameIndex, FrameRate, Timecode, TimecodeFormat};
use serde::{Deserialize, Serialize};

/// Rates the timecode can be displayed at (independent of the take's sampling rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DisplayRate {
    /// 23.976 fps (24000/1001), non-drop.
    Fps23_976,
    /// 24 fps.
    Fps24,
    /// 25 fps.
    Fps25,
    /// 29.97 fps drop-frame.
    Fps29_97Df,
    /// 30 fps.
    #[default]
    Fps30,
    /// 50 fps.
    Fps50,
    /// 59.94 fps drop-frame.
    Fps59_94Df,
    /// 60 fps.
    Fps60,
}

impl DisplayRate {
    /// All choices, in menu order.
    pub const ALL: [DisplayRate; 8] = [
        Self::Fps23_976,
        Self::Fps24,
        Self::Fps25,
        Self::Fps29_97Df,
        Self::Fps30,
        Self::Fps50,
        Self::Fps59_94Df,
        Self::Fps60,
    ];

    /// The exact frame rate.
    pub fn rate(self) -> FrameRate {
        match self {
            Self::Fps23_976 => FrameRate::FPS_23_976,
            Self::Fps24 => FrameRate::FPS_24,
            Self::Fps25 => FrameRate::FPS_25,
            Self::Fps29_97Df => FrameRate::FPS_29_97,
            Self::Fps30 => FrameRate::FPS_30,
            Self::Fps50 => FrameRate::FPS_50,
            Self::Fps59_94Df => FrameRate::FPS_59_94,
            Self::Fps60 => FrameRate::FPS_60,
        }
    }

    /// Timecode counting for this rate (drop-frame for 29.97 and 59.94).
    pub fn format(self) -> TimecodeFormat {
        TimecodeFormat::for_rate(self.rate())
    }

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Fps23_976 => "23.976",
            Self::Fps24 => "24",
            Self::Fps25 => "25",
            Self::Fps29_97Df => "29.97 DF",
            Self::Fps30 => "30",
            Self::Fps50 => "50",
            Self::Fps59_94Df => "59.94 DF",
            Self::Fps60 => "60",
        }
    }
}

/// Timecode of take frame `frame` (sampled at `take_rate`), counted at `display` from the take's
/// start timecode. The start timecode is converted through real time when its format differs.
pub fn timecode_at(
    frame: FrameIndex,
    take_rate: FrameRate,
    start: Timecode,
    display: DisplayRate,
) -> Timecode {
    let disp = display.rate();
    let fmt = display.format();
    let start_count = if start.format == fmt {
        start.to_frame_count()
    } else {
        // Real seconds of the start timecode at its own rate, then frames at the display rate.
        let start_rate = if start.format.drop_frame {
            FrameRate::new(start.format.nominal_fps * 1000, 1001).unwrap_or(FrameRate::FPS_30)
        } else {
            FrameRate::integer(start.format.nominal_fps).unwrap_or(FrameRate::FPS_30)
        };
        disp.seconds_to_frame_round(start_rate.frames_to_seconds(start.to_frame_count()))
    };
    // Exact rational: frame × (disp_num × take_den) / (disp_den × take_num), floored.
    let num = frame as i128 * disp.num() as i128 * take_rate.den() as i128;
    let den = disp.den() as i128 * take_rate.num() as i128;
    let offset = if den > 0 { (num / den) as i64 } else { 0 };
    Timecode::from_frame_count(start_count + offset, fmt)
}

/// One lane of marks under the ruler.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// Name shown at the left of the lane.
    pub name: String,
    /// Spans `[first, last]` (inclusive frames) with a colour and a tooltip.
    pub spans: Vec<(FrameIndex, FrameIndex, [u8; 3], String)>,
    /// Instant marks (frame, colour, tooltip).
    pub ticks: Vec<(FrameIndex, [u8; 3], String)>,
    /// Key (in [`TimelineLanes::extra`]) of a lane whose spans can be resized by dragging their
    /// ends; a drag sends [`UiCommand::LaneSpanMoved`]. `None`: read-only.
    pub edit_key: Option<String>,
}

/// A span end being dragged on an editable lane (UI state between frames).
#[derive(Debug, Clone, PartialEq)]
pub struct LaneSpanDrag {
    /// The lane's [`Lane::edit_key`].
    pub key: String,
    /// The span as it was, inclusive frames.
    pub from: (FrameIndex, FrameIndex),
    /// Dragging its last frame (else its first).
    pub end: bool,
}

impl LaneSpanDrag {
    /// The span with the dragged end at `frame`, kept at least one frame long.
    pub fn moved_to(&self, frame: FrameIndex) -> (FrameIndex, FrameIndex) {
        if self.end {
            (self.from.0, frame.max(self.from.0))
        } else {
            (frame.min(self.from.1), self.from.1)
        }
    }
}

/// Lanes of the current take, rebuilt when the session changes.
#[derive(Resource, Debug, Default, Clone)]
pub struct TimelineLanes {
    /// Lanes built from the take, top to bottom.
    pub lanes: Vec<Lane>,
    /// Session generation they were built from.
    pub generation: u64,
    /// Lanes set by plugins from data outside the take (review notes, subtitles, audio), by key,
    /// drawn below the take's lanes in key order.
    pub extra: std::collections::BTreeMap<String, Lane>,
}

impl TimelineLanes {
    /// Every lane, top to bottom.
    pub fn all(&self) -> Vec<&Lane> {
        self.lanes.iter().chain(self.extra.values()).collect()
    }
}
