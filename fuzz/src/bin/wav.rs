//! Any bytes: the WAV reader (reference audio under the subtitle lanes) returns Ok or an error,
//! never panics. What it reads feeds the waveform peaks, the voice activity detection and the
//! writer, and the written 16-bit file reads back with the same rate, length and samples: the
//! clipped value within 1.5 steps of 1/32 768 (the writer rounds to `x · 32 767`, the reader
//! divides by 32 768, the usual asymmetric full scale).
use subtitles::vad::{self, VadParams};
use subtitles::waveform::Peaks;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Ok(audio) = vad::read_wav_bytes(data) else {
            return;
        };
        let peaks = Peaks::build(&audio, 256);
        let _ = peaks.range(0, peaks.duration_ms(), 64);
        let _ = vad::onsets(&audio, &VadParams::default());
        let bytes = vad::write_wav_bytes(&audio).expect("a read WAV (rate > 0) writes");
        let back = vad::read_wav_bytes(&bytes).expect("our own WAV reads back");
        assert_eq!(back.sample_rate, audio.sample_rate);
        assert_eq!(back.samples.len(), audio.samples.len());
        for (a, b) in audio.samples.iter().zip(&back.samples) {
            let want = if a.is_nan() { 0.0 } else { a.clamp(-1.0, 1.0) };
            assert!((want - b).abs() <= 1.5 / 32768.0, "{a} wrote as {b}");
        }
    });
}
