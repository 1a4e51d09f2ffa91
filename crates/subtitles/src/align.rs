//! Aligning a translation to the performance: copy timings from a master track (by cue id or
//! by order), and snap cue starts to speech onsets in the reference audio. Both return
//! reversible [`Fix`] records (see [`crate::qc::apply`] / [`crate::qc::revert`]).

use crate::model::{Time, Track};
use crate::qc::{Field, Fix, Fixer, Rule, Value};
use mocap_data::FrameRate;

/// How master cues are matched to translation cues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchBy {
    /// Same cue id (cues without a match are left alone).
    Id,
    /// Same position in the track (extra cues on either side are left alone).
    Order,
}

/// Copies start and end times from `master` to `translation`.
pub fn copy_timings(master: &Track, translation: &mut Track, by: MatchBy) -> Vec<Fix> {
    let mut fixes = Vec::new();
    for i in 0..translation.cues.len() {
        let src = match by {
            MatchBy::Order => master.cues.get(i),
            MatchBy::Id => {
                let id = &translation.cues[i].id;
                if id.is_empty() {
                    None
                } else {
                    master.cues.iter().find(|m| &m.id == id)
                }
            }
        };
        let Some(src) = src else { continue };
        let cue = &mut translation.cues[i];
        for (field, new) in [(Field::Start, src.start), (Field::End, src.end)] {
            let slot = if field == Field::Start {
                &mut cue.start
            } else {
                &mut cue.end
            };
            if *slot != new {
                fixes.push(Fix {
                    cue_index: i,
                    cue_id: cue.id.clone(),
                    field,
                    before: Value::Time(*slot),
                    after: Value::Time(new),
                    rule: Rule::MasterTiming,
                });
                *slot = new;
            }
        }
    }
    fixes
}

/// Moves each cue start to the nearest speech onset within `window_ms`, on the frame grid of
/// `rate` (onsets are rounded down to the frame containing them). A start only moves if the
/// cue keeps at least one frame and stays `min_gap_frames` after the previous cue.
pub fn snap_to_onsets(
    track: &mut Track,
    onsets_ms: &[i64],
    window_ms: i64,
    rate: FrameRate,
    min_gap_frames: i64,
) -> Vec<Fix> {
    let mut sorted = onsets_ms.to_vec();
    sorted.sort_unstable();
    let n = track.cues.len();
    let mut fx = Fixer {
        track,
        rate,
        fixes: Vec::new(),
    };
    for i in 0..n {
        let s = fx.track.cues[i].start.ms();
        let k = sorted.partition_point(|&x| x < s);
        let cands = [k.checked_sub(1).and_then(|j| sorted.get(j)), sorted.get(k)];
        let Some(&best) = cands
            .into_iter()
            .flatten()
            .filter(|&&o| (o - s).abs() <= window_ms)
            .min_by_key(|&&o| (o - s).abs())
        else {
            continue;
        };
        let f = crate::time::ms_to_frame_floor(best, rate);
        let prev_ok = i == 0 || f >= fx.ef(i - 1) + min_gap_frames;
        if f < fx.ef(i) && prev_ok && (Time::Frames { frame: f, rate }).ms() != s {
            fx.set_time(i, Field::Start, f, Rule::SpeechOnset);
        }
    }
    fx.fixes
}
