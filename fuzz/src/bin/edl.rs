//! Any bytes: the first byte is the nominal timecode rate, the rest an EDL or timecode list. The
//! shot-list reader returns Ok or an error naming the line, never panics; what it returns is
//! sorted without duplicates, and the shot changes measured from the first shot start at 0 ms
//! and never decrease.
use mocap_data::FrameRate;
use std::path::Path;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Some((&fps, rest)) = data.split_first() else {
            return;
        };
        let text = String::from_utf8_lossy(rest);
        let fps = u32::from(fps);
        let Ok(shots) = subtitles::shots::parse_shot_list(&text, fps, Path::new("fuzz.edl")) else {
            return;
        };
        let frames: Vec<i64> = shots.iter().map(|t| t.to_frame_count()).collect();
        assert!(frames.windows(2).all(|w| w[0] < w[1]), "{frames:?}");
        let (Some(&first), Ok(rate)) = (shots.first(), FrameRate::new(fps.max(1), 1)) else {
            return;
        };
        let ms = subtitles::shots::shot_changes_ms(&shots, first, rate);
        assert_eq!(ms.len(), shots.len());
        assert_eq!(ms.first(), Some(&0));
        assert!(ms.windows(2).all(|w| w[0] <= w[1]), "{ms:?}");
    });
}
