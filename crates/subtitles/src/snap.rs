//! Snapping for a timeline lane: while a cue edge is dragged, pull it to the nearest
//! interesting time — a shot change, another cue's start or end, a speech onset or offset —
//! and finally onto the frame grid.
//!
//! Rule: the nearest target within the tolerance wins (ties: shot change, then cue edges,
//! then speech); frame snapping applies last, so with a frame rate the result is always on a
//! frame boundary (the target's nearest frame; the dragged time's nearest frame when no
//! target is near).

use crate::model::Track;
use crate::time::snap_ms;
use mocap_data::FrameRate;

/// What a time snapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapKind {
    /// Only the frame grid (no other target was within the tolerance).
    Frame,
    /// A shot change given by the caller.
    ShotChange,
    /// Another cue's start.
    CueStart,
    /// Another cue's end.
    CueEnd,
    /// A speech onset found by [`crate::vad`].
    SpeechOnset,
    /// A speech offset found by [`crate::vad`].
    SpeechOffset,
}

/// Candidate times (milliseconds) to snap to, by kind, kept sorted. Build with the chained
/// methods: `SnapTargets::new().frames(rate).cues(&track, Some(i)).speech(&regions)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapTargets {
    rate: Option<FrameRate>,
    /// In tie priority order: shot changes, cue starts, cue ends, speech onsets, offsets.
    lists: [(SnapKind, Vec<i64>); 5],
}

impl Default for SnapTargets {
    fn default() -> Self {
        SnapTargets::new()
    }
}

impl SnapTargets {
    /// No targets and no frame grid.
    pub fn new() -> Self {
        SnapTargets {
            rate: None,
            lists: [
                (SnapKind::ShotChange, Vec::new()),
                (SnapKind::CueStart, Vec::new()),
                (SnapKind::CueEnd, Vec::new()),
                (SnapKind::SpeechOnset, Vec::new()),
                (SnapKind::SpeechOffset, Vec::new()),
            ],
        }
    }

    /// Snaps results onto the frame grid of `rate`.
    pub fn frames(mut self, rate: FrameRate) -> Self {
        self.rate = Some(rate);
        self
    }

    /// Adds shot changes (milliseconds).
    pub fn shot_changes(mut self, ms: &[i64]) -> Self {
        self.add(SnapKind::ShotChange, ms.iter().copied());
        self
    }

    /// Adds the starts and ends of `track`'s cues, except cue `exclude` (the one being
    /// edited).
    pub fn cues(mut self, track: &Track, exclude: Option<usize>) -> Self {
        let others = || {
            track
                .cues
                .iter()
                .enumerate()
                .filter(move |(j, _)| Some(*j) != exclude)
                .map(|(_, c)| c)
        };
        self.add(SnapKind::CueStart, others().map(|c| c.start_ms()));
        self.add(SnapKind::CueEnd, others().map(|c| c.end_ms()));
        self
    }

    /// Adds speech onsets and offsets from [`crate::vad::speech_regions`] output.
    pub fn speech(mut self, regions: &[(i64, i64)]) -> Self {
        self.add(SnapKind::SpeechOnset, regions.iter().map(|r| r.0));
        self.add(SnapKind::SpeechOffset, regions.iter().map(|r| r.1));
        self
    }

    /// The frame rate results are snapped to, if any.
    pub fn rate(&self) -> Option<FrameRate> {
        self.rate
    }

    fn add(&mut self, kind: SnapKind, times: impl Iterator<Item = i64>) {
        if let Some((_, v)) = self.lists.iter_mut().find(|(k, _)| *k == kind) {
            v.extend(times);
            v.sort_unstable();
            v.dedup();
        }
    }

    /// The nearest non-frame target within `tolerance_ms` of `t_ms`: (time, kind, distance).
    fn nearest(&self, t_ms: i64, tolerance_ms: i64) -> Option<(i64, SnapKind, i64)> {
        let mut best: Option<(i64, SnapKind, i64)> = None;
        for (kind, v) in &self.lists {
            let i = v.partition_point(|&x| x < t_ms);
            for x in [i.checked_sub(1).and_then(|j| v.get(j)), v.get(i)]
                .into_iter()
                .flatten()
            {
                let d = x.abs_diff(t_ms).min(i64::MAX as u64) as i64;
                if d <= tolerance_ms && best.is_none_or(|b| d < b.2) {
                    best = Some((*x, *kind, d));
                }
            }
        }
        best
    }
}

/// Snaps `t_ms` to the nearest target within `tolerance_ms`, then onto the frame grid when the
/// targets have a rate. `None` when no target is near and there is no frame grid.
pub fn snap_time(t_ms: i64, targets: &SnapTargets, tolerance_ms: i64) -> Option<(i64, SnapKind)> {
    let hit = targets.nearest(t_ms, tolerance_ms);
    match (hit, targets.rate) {
        (Some((x, kind, _)), Some(rate)) => Some((snap_ms(x, rate), kind)),
        (Some((x, kind, _)), None) => Some((x, kind)),
        (None, Some(rate)) => Some((snap_ms(t_ms, rate), SnapKind::Frame)),
        (None, None) => None,
    }
}

/// Snaps a whole-cue drag: the cue (`start_ms`–`end_ms`) is being moved by `delta_ms`; returns
/// the delta to use instead so that whichever edge is nearer a target lands on it (then on the
/// frame grid; with no target near, the start lands on the grid). `None` as for
/// [`snap_time`].
pub fn snap_move(
    start_ms: i64,
    end_ms: i64,
    delta_ms: i64,
    targets: &SnapTargets,
    tolerance_ms: i64,
) -> Option<(i64, SnapKind)> {
    let s = start_ms.saturating_add(delta_ms);
    let e = end_ms.saturating_add(delta_ms);
    let hs = targets.nearest(s, tolerance_ms);
    let he = targets.nearest(e, tolerance_ms);
    let (edge, hit) = match (hs, he) {
        (Some(a), Some(b)) if b.2 < a.2 => (end_ms, Some(b)),
        (Some(a), _) => (start_ms, Some(a)),
        (None, Some(b)) => (end_ms, Some(b)),
        (None, None) => (start_ms, None),
    };
    let (t, kind) = match hit {
        Some((x, kind, _)) => (x, kind),
        None => (edge.saturating_add(delta_ms), SnapKind::Frame),
    };
    let t = match (targets.rate, kind) {
        (Some(rate), _) => snap_ms(t, rate),
        (None, SnapKind::Frame) => return None,
        (None, _) => t,
    };
    Some((t - edge, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cue, Format};

    fn targets() -> SnapTargets {
        let mut t = Track::new(Format::Srt);
        t.cues = vec![
            Cue::new("1", 1000, 2000, "a"),
            Cue::new("2", 3000, 4000, "b"),
            Cue::new("3", 5000, 6000, "c"),
        ];
        SnapTargets::new()
            .cues(&t, Some(1))
            .speech(&[(2990, 3950)])
            .shot_changes(&[4420])
    }

    #[test]
    fn nearest_target_wins() {
        let t = targets();
        // Cue 2 is excluded: 3000 is not a target, the speech onset at 2990 is.
        assert_eq!(snap_time(3010, &t, 50), Some((2990, SnapKind::SpeechOnset)));
        assert_eq!(snap_time(2030, &t, 50), Some((2000, SnapKind::CueEnd)));
        assert_eq!(snap_time(4980, &t, 50), Some((5000, SnapKind::CueStart)));
        assert_eq!(
            snap_time(3930, &t, 50),
            Some((3950, SnapKind::SpeechOffset))
        );
        assert_eq!(snap_time(4400, &t, 50), Some((4420, SnapKind::ShotChange)));
        assert_eq!(snap_time(4400, &t, 10), None, "out of tolerance, no grid");
    }

    #[test]
    fn ties_prefer_shot_changes() {
        let t = SnapTargets::new()
            .speech(&[(1000, 2000)])
            .shot_changes(&[1000]);
        assert_eq!(snap_time(1005, &t, 50), Some((1000, SnapKind::ShotChange)));
    }

    #[test]
    fn frame_snapping_applies_last() {
        let r = FrameRate::FPS_25;
        let t = targets().frames(r);
        // Shot change at 4420 ms lies inside frame 110.5 → frame boundary 4440 (half away).
        let (ms, kind) = snap_time(4400, &t, 50).expect("snaps");
        assert_eq!(kind, SnapKind::ShotChange);
        assert_eq!(ms % 40, 0);
        assert!((ms - 4420).abs() <= 20);
        // No target near: the grid alone.
        assert_eq!(snap_time(7013, &t, 50), Some((7000, SnapKind::Frame)));
        // 23.976: every result is a frame boundary.
        let r = FrameRate::FPS_23_976;
        let t = targets().frames(r);
        for ms in (0..8000).step_by(7) {
            let (s, _) = snap_time(ms, &t, 60).expect("grid");
            assert_eq!(snap_ms(s, r), s);
        }
    }

    #[test]
    fn moves_snap_by_the_nearer_edge() {
        let t = targets();
        // Cue 3000–4000 dragged by +400: the end (4400) is 20 ms from the shot change.
        assert_eq!(
            snap_move(3000, 4000, 400, &t, 50),
            Some((420, SnapKind::ShotChange))
        );
        // Dragged by -985: the start (2015) is 15 ms from cue 1's end.
        assert_eq!(
            snap_move(3000, 4000, -985, &t, 50),
            Some((-1000, SnapKind::CueEnd))
        );
        assert_eq!(snap_move(3000, 4000, 200, &t, 50), None);
        let t = t.frames(FrameRate::FPS_25);
        assert_eq!(
            snap_move(3000, 4000, 213, &t, 50),
            Some((200, SnapKind::Frame))
        );
    }
}
