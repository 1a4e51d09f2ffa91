//! Alignment: copying timings from a master track, and snapping starts to speech onsets
//! detected in a WAV file.

use mocap_data::FrameRate;
use subtitles::align::{MatchBy, copy_timings, snap_to_onsets};
use subtitles::qc::{self, Field, Rule};
use subtitles::{Cue, Format, Time, Track, vad};

fn track(cues: &[(&str, i64, i64, &str)]) -> Track {
    let mut t = Track::new(Format::Srt);
    for (id, s, e, text) in cues {
        t.cues.push(Cue::new(*id, *s, *e, *text));
    }
    t
}

#[test]
fn copy_by_id_and_by_order() {
    let master = track(&[
        ("1", 1000, 2000, "Hello"),
        ("2", 3000, 4500, "Bye"),
        ("3", 6000, 7000, "Again"),
    ]);
    // The translation is missing cue 2 and has drifted timings.
    let fr = track(&[("1", 1100, 2100, "Bonjour"), ("3", 5900, 6900, "Encore")]);
    let mut by_id = fr.clone();
    let fixes = copy_timings(&master, &mut by_id, MatchBy::Id);
    assert_eq!(
        by_id
            .cues
            .iter()
            .map(|c| (c.start_ms(), c.end_ms()))
            .collect::<Vec<_>>(),
        [(1000, 2000), (6000, 7000)]
    );
    assert_eq!(fixes.len(), 4);
    assert!(fixes.iter().all(|f| f.rule == Rule::MasterTiming));
    let mut by_order = fr.clone();
    copy_timings(&master, &mut by_order, MatchBy::Order);
    assert_eq!(
        by_order.cues[1].start_ms(),
        3000,
        "order matching pairs the 2nd with the 2nd"
    );
    // Undo restores the translation exactly.
    qc::revert(&mut by_id, &fixes).expect("revert");
    assert_eq!(by_id, fr);
}

fn wav_with_bursts(bursts: &[(u32, u32)], total_ms: u32) -> Vec<u8> {
    let rate = 16_000u32;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cur = std::io::Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut cur, spec).expect("writer");
        let n = (rate as u64 * total_ms as u64 / 1000) as usize;
        let mut seed: u32 = 7;
        for i in 0..n {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let noise = ((seed >> 16) as f32 / 32768.0 - 1.0) * 0.003;
            let t = (i as u64 * 1000 / rate as u64) as u32;
            // Speech-like: a 180 Hz voice with a 4 Hz syllable envelope.
            let env = if bursts.iter().any(|&(a, b)| t >= a && t < b) {
                0.25 * (0.6
                    + 0.4 * (2.0 * std::f32::consts::PI * 4.0 * i as f32 / rate as f32).sin())
            } else {
                0.0
            };
            let x =
                noise + env * (2.0 * std::f32::consts::PI * 180.0 * i as f32 / rate as f32).sin();
            w.write_sample((x * 32767.0) as i16).expect("sample");
        }
        w.finalize().expect("finalize");
    }
    cur.into_inner()
}

#[test]
fn snap_starts_to_detected_speech() {
    let wav = wav_with_bursts(&[(1200, 2600), (4000, 5200), (8000, 9000)], 10_000);
    let audio = vad::read_wav_bytes(&wav).expect("wav");
    let onsets = vad::onsets(&audio, &vad::VadParams::default());
    assert_eq!(onsets, [1200, 4000, 8000]);
    let rate = FrameRate::FPS_25;
    let mut t = track(&[
        ("1", 1000, 2600, "a"),
        ("2", 4320, 5200, "b"),
        ("3", 7000, 9000, "c"),
    ]);
    let fixes = snap_to_onsets(&mut t, &onsets, 500, rate, 2);
    // Cue 1 moves 200 ms later, cue 2 320 ms earlier; cue 3 is 1 s away (beyond the window).
    assert_eq!(t.cues[0].start, Time::Frames { frame: 30, rate });
    assert_eq!(t.cues[1].start, Time::Frames { frame: 100, rate });
    assert_eq!(t.cues[2].start, Time::Ms(7000));
    assert_eq!(fixes.len(), 2);
    assert!(
        fixes
            .iter()
            .all(|f| f.field == Field::Start && f.rule == Rule::SpeechOnset)
    );
}
