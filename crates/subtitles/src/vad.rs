//! Energy-based voice activity detection on WAV audio, for snapping cue starts to speech.
//!
//! Reads PCM 8/16/24/32-bit integer and 32-bit float WAV (via `hound`), mixes to mono, and
//! measures energy in 10 ms frames (dBFS). A noise floor is tracked adaptively (it follows
//! drops at once and rises slowly); a frame is speech when it is `threshold_db` above the
//! floor and above an absolute gate. Speech must last `min_speech_ms` to count, and a
//! `hangover_ms` of quiet is needed to end it, so short pauses inside a phrase do not
//! create new onsets.

use crate::error::{Result, SubError};
use std::path::Path;

/// VAD parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadParams {
    /// Analysis frame length, milliseconds.
    pub frame_ms: u32,
    /// Level above the noise floor that counts as speech, dB.
    pub threshold_db: f64,
    /// Absolute gate: quieter frames are never speech, dBFS.
    pub min_level_dbfs: f64,
    /// Minimum speech run to report an onset, milliseconds.
    pub min_speech_ms: u32,
    /// Quiet needed to end a speech run, milliseconds.
    pub hangover_ms: u32,
}

impl Default for VadParams {
    fn default() -> Self {
        VadParams {
            frame_ms: 10,
            threshold_db: 12.0,
            min_level_dbfs: -55.0,
            min_speech_ms: 60,
            hangover_ms: 250,
        }
    }
}

/// Mono audio samples in [-1, 1] and their rate.
#[derive(Debug, Clone)]
pub struct Audio {
    /// Samples per second (Hz).
    pub sample_rate: u32,
    /// Mono samples, full scale = 1.0.
    pub samples: Vec<f32>,
}

/// Reads a WAV file and mixes it to mono.
pub fn read_wav(path: &Path) -> Result<Audio> {
    let reader = hound::WavReader::open(path).map_err(|e| {
        SubError::Audio(format!(
            "{}: {e}; give a PCM or float WAV file",
            path.display()
        ))
    })?;
    from_reader(reader).map_err(|e| SubError::Audio(format!("{}: {e}", path.display())))
}

/// Reads WAV bytes and mixes to mono.
pub fn read_wav_bytes(bytes: &[u8]) -> Result<Audio> {
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes))
        .map_err(|e| SubError::Audio(format!("{e}; give a PCM or float WAV file")))?;
    from_reader(reader)
}

fn from_reader<R: std::io::Read>(reader: hound::WavReader<R>) -> Result<Audio> {
    let spec = reader.spec();
    let ch = spec.channels.max(1) as usize;
    if spec.sample_rate == 0 {
        return Err(SubError::Audio("sample rate 0 in the WAV header".into()));
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .into_samples::<f32>()
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| SubError::Audio(format!("float samples: {e}")))?,
        hound::SampleFormat::Int => {
            let bits = spec.bits_per_sample.clamp(1, 32);
            let scale = 1.0 / (1u64 << (bits - 1)) as f64;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| (v as f64 * scale) as f32))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| SubError::Audio(format!("{bits}-bit samples: {e}")))?
        }
    };
    let samples = interleaved
        .chunks(ch)
        .map(|c| c.iter().sum::<f32>() / c.len() as f32)
        .collect();
    Ok(Audio {
        sample_rate: spec.sample_rate,
        samples,
    })
}

/// Encodes mono audio as a 16-bit PCM WAV file in memory (samples clipped to [-1, 1]; the
/// RIFF and data chunk sizes are exact). [`read_wav_bytes`] reads it back.
pub fn write_wav_bytes(audio: &Audio) -> Result<Vec<u8>> {
    if audio.sample_rate == 0 {
        return Err(SubError::Audio(
            "sample rate 0: give the audio a sample rate before writing it".into(),
        ));
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: audio.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let err = |e: hound::Error| SubError::Audio(format!("writing WAV: {e}"));
    let mut cur = std::io::Cursor::new(Vec::with_capacity(44 + audio.samples.len() * 2));
    {
        let mut w = hound::WavWriter::new(&mut cur, spec).map_err(err)?;
        let mut w16 = w.get_i16_writer(audio.samples.len() as u32);
        for &x in &audio.samples {
            let v = if x.is_nan() { 0.0 } else { x.clamp(-1.0, 1.0) };
            w16.write_sample((v * 32767.0).round() as i16);
        }
        w16.flush().map_err(err)?;
        w.finalize().map_err(err)?;
    }
    Ok(cur.into_inner())
}

/// Writes mono audio to `path` as a 16-bit PCM WAV file (see [`write_wav_bytes`]).
pub fn write_wav(path: &Path, audio: &Audio) -> Result<()> {
    let bytes =
        write_wav_bytes(audio).map_err(|e| SubError::Audio(format!("{}: {e}", path.display())))?;
    std::fs::write(path, bytes).map_err(|error| SubError::Io {
        path: path.display().to_string(),
        error,
    })
}

/// Frame energies in dBFS (frame `k` covers `k·frame_ms` … `(k+1)·frame_ms`).
pub fn frame_energies(audio: &Audio, frame_ms: u32) -> Vec<f64> {
    let len = ((audio.sample_rate as u64 * frame_ms.max(1) as u64) / 1000).max(1) as usize;
    audio
        .samples
        .chunks(len)
        .map(|c| {
            let e = c.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>() / c.len() as f64;
            10.0 * (e + 1e-12).log10()
        })
        .collect()
}

/// Speech regions as (onset, offset) in milliseconds.
pub fn speech_regions(audio: &Audio, p: &VadParams) -> Vec<(i64, i64)> {
    let fm = p.frame_ms.max(1) as i64;
    let e = frame_energies(audio, p.frame_ms);
    if e.is_empty() {
        return Vec::new();
    }
    // Initial floor: the 10th percentile of the first 2 s (or the whole file).
    let head = &e[..e.len().min((2000 / fm) as usize).max(1)];
    let mut sorted = head.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mut floor = sorted[sorted.len() / 10];
    let min_run = (p.min_speech_ms as i64 / fm).max(1) as usize;
    let hang = (p.hangover_ms as i64 / fm).max(1) as usize;
    let mut out = Vec::new();
    let mut in_speech = false;
    let mut run = 0usize;
    let mut quiet = 0usize;
    let mut start = 0usize;
    let mut last_loud = 0usize;
    for (k, &v) in e.iter().enumerate() {
        let loud = v >= floor + p.threshold_db && v >= p.min_level_dbfs;
        if !in_speech {
            if loud {
                if run == 0 {
                    start = k;
                }
                run += 1;
                if run >= min_run {
                    in_speech = true;
                    quiet = 0;
                    last_loud = k;
                }
            } else {
                run = 0;
                // Track the floor only outside speech: follow drops at once, rises slowly.
                if v < floor {
                    floor = v;
                } else {
                    floor += (v - floor) * 0.01;
                }
            }
        } else if loud {
            quiet = 0;
            last_loud = k;
        } else {
            quiet += 1;
            if quiet >= hang {
                out.push((start as i64 * fm, (last_loud as i64 + 1) * fm));
                in_speech = false;
                run = 0;
            }
        }
    }
    if in_speech {
        out.push((start as i64 * fm, (last_loud as i64 + 1) * fm));
    }
    out
}

/// Speech onsets in milliseconds.
pub fn onsets(audio: &Audio, p: &VadParams) -> Vec<i64> {
    speech_regions(audio, p)
        .into_iter()
        .map(|(a, _)| a)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic test signal: low noise, with 440 Hz bursts at the given (start, end) ms.
    pub(crate) fn synth(rate: u32, total_ms: u32, bursts: &[(u32, u32)]) -> Vec<f32> {
        let n = (rate as u64 * total_ms as u64 / 1000) as usize;
        let mut seed: u32 = 12345;
        (0..n)
            .map(|i| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let noise = ((seed >> 16) as f32 / 32768.0 - 1.0) * 0.002;
                let t_ms = (i as u64 * 1000 / rate as u64) as u32;
                let on = bursts.iter().any(|&(a, b)| t_ms >= a && t_ms < b);
                let tone = if on {
                    0.3 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin()
                } else {
                    0.0
                };
                noise + tone
            })
            .collect()
    }

    fn wav(spec: hound::WavSpec, s: &[f32]) -> Vec<u8> {
        let mut cur = std::io::Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut cur, spec).expect("writer");
            for &x in s {
                for _ in 0..spec.channels {
                    match (spec.sample_format, spec.bits_per_sample) {
                        (hound::SampleFormat::Float, _) => w.write_sample(x).expect("write"),
                        (_, 16) => w.write_sample((x * 32767.0) as i16).expect("write"),
                        (_, b) => w
                            .write_sample((x as f64 * ((1i64 << (b - 1)) - 1) as f64) as i32)
                            .expect("write"),
                    }
                }
            }
            w.finalize().expect("finalize");
        }
        cur.into_inner()
    }

    #[test]
    fn onsets_found_in_every_sample_format() {
        let bursts = [(1000, 1800), (2500, 2600), (2700, 3500), (5000, 6000)];
        let s = synth(16_000, 7000, &bursts);
        for (fmt, bits, ch) in [
            (hound::SampleFormat::Int, 16, 1),
            (hound::SampleFormat::Int, 24, 2),
            (hound::SampleFormat::Int, 32, 1),
            (hound::SampleFormat::Float, 32, 2),
        ] {
            let spec = hound::WavSpec {
                channels: ch,
                sample_rate: 16_000,
                bits_per_sample: bits,
                sample_format: fmt,
            };
            let audio = read_wav_bytes(&wav(spec, &s)).expect("readable");
            let on = onsets(&audio, &VadParams::default());
            // The 2500 burst is 100 ms and followed by a 100 ms pause (< hangover): one phrase.
            assert_eq!(on, vec![1000, 2500, 5000], "{fmt:?} {bits}-bit {ch} ch");
        }
    }

    #[test]
    fn wav_writer_round_trips() {
        let s = synth(22_050, 500, &[(100, 400)]);
        let mut samples = s.clone();
        samples.extend([1.5, -1.5, f32::NAN]);
        let audio = Audio {
            sample_rate: 22_050,
            samples,
        };
        let bytes = write_wav_bytes(&audio).expect("writes");
        // RIFF header sizes: 44-byte header, 2 bytes per sample.
        let data_len = audio.samples.len() as u32 * 2;
        assert_eq!(bytes.len() as u32, 44 + data_len);
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(bytes[4..8], (36 + data_len).to_le_bytes());
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        assert_eq!(&bytes[36..40], b"data");
        assert_eq!(bytes[40..44], data_len.to_le_bytes());
        let back = read_wav_bytes(&bytes).expect("reads back");
        assert_eq!(back.sample_rate, 22_050);
        assert_eq!(back.samples.len(), audio.samples.len());
        for (a, b) in s.iter().zip(&back.samples) {
            assert!((a - b).abs() < 1.0 / 32_000.0, "{a} vs {b}");
        }
        let n = back.samples.len();
        assert!(back.samples[n - 3] > 0.999 && back.samples[n - 2] < -0.999);
        assert_eq!(back.samples[n - 1], 0.0, "NaN written as silence");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.wav");
        write_wav(&path, &audio).expect("file");
        assert_eq!(read_wav(&path).expect("reads").samples, back.samples);
        assert!(
            write_wav_bytes(&Audio {
                sample_rate: 0,
                samples: vec![]
            })
            .is_err()
        );
    }
}
