//! Waveform peaks for drawing audio under a subtitle lane: a min/max summary of an
//! [`Audio`] at several resolutions (a mip chain, ×4 per level), so a view of any zoom gets one
//! (min, max) pair per pixel in O(width) time.
//!
//! Level 0 holds the min and max of each `samples_per_bucket` samples; level `k` covers
//! `samples_per_bucket · 4^k` samples per bucket; the chain ends at a single bucket. The whole
//! chain takes about 4/3 of level 0's memory (8 bytes per bucket): 10 minutes of 48 kHz
//! audio at 256 samples per bucket is about 150 k buckets, 1.2 MB.

use crate::vad::Audio;

/// Buckets merged per level.
const FACTOR: usize = 4;

/// A multi-resolution min/max summary of mono audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Peaks {
    sample_rate: u32,
    len: usize,
    base: usize,
    levels: Vec<Vec<(f32, f32)>>,
}

fn merge(a: (f32, f32), b: (f32, f32)) -> (f32, f32) {
    (a.0.min(b.0), a.1.max(b.1))
}

/// Min and max of `samples` ((0, 0) when empty or all NaN). Eight independent lanes so the
/// loop vectorises.
fn min_max(samples: &[f32]) -> (f32, f32) {
    let mut lo = [f32::INFINITY; 8];
    let mut hi = [f32::NEG_INFINITY; 8];
    let chunks = samples.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            lo[k] = lo[k].min(c[k]);
            hi[k] = hi[k].max(c[k]);
        }
    }
    for (k, &x) in rest.iter().enumerate() {
        lo[k] = lo[k].min(x);
        hi[k] = hi[k].max(x);
    }
    let lo = lo.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = hi.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if lo > hi { (0.0, 0.0) } else { (lo, hi) }
}

impl Peaks {
    /// Summarises `audio` with `samples_per_bucket` samples per finest bucket (at least 1;
    /// 128–512 suits 48 kHz audio: a few milliseconds). NaN samples are ignored.
    pub fn build(audio: &Audio, samples_per_bucket: usize) -> Peaks {
        let base = samples_per_bucket.max(1);
        let level0: Vec<(f32, f32)> = audio.samples.chunks(base).map(min_max).collect();
        let mut levels = vec![level0];
        while let Some(last) = levels.last()
            && last.len() > 1
        {
            let next = last
                .chunks(FACTOR)
                .map(|c| {
                    c.iter()
                        .copied()
                        .fold((f32::INFINITY, f32::NEG_INFINITY), merge)
                })
                .collect();
            levels.push(next);
        }
        Peaks {
            sample_rate: audio.sample_rate.max(1),
            len: audio.samples.len(),
            base,
            levels,
        }
    }

    /// The audio's sample rate (Hz).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The audio's length in milliseconds (rounded down).
    pub fn duration_ms(&self) -> i64 {
        (self.len as u128 * 1000 / self.sample_rate as u128) as i64
    }

    /// Number of resolution levels (level 0 is the finest).
    pub fn level_count(&self) -> usize {
        self.levels.len()
    }

    /// Samples per bucket at `level`.
    pub fn bucket_samples(&self, level: usize) -> usize {
        self.base
            .saturating_mul(FACTOR.saturating_pow(level.min(u32::MAX as usize) as u32))
    }

    /// The (min, max) buckets of `level` (empty for a level that does not exist).
    pub fn level(&self, level: usize) -> &[(f32, f32)] {
        self.levels.get(level).map(Vec::as_slice).unwrap_or(&[])
    }

    /// One (min, max) pair per pixel for `width_px` pixels spanning `start_ms`–`end_ms`.
    /// Pixel `i` covers the samples from `start + i·span/width` to `start + (i+1)·span/width`,
    /// widened to whole buckets of the coarsest level whose buckets are no wider than a pixel
    /// (so a peak is never missed, and each pixel reads at most a few buckets). Pixels outside
    /// the audio, or an empty span, give (0, 0). When zoomed in past the finest level, each
    /// pixel shows the finest bucket it falls in.
    pub fn range(&self, start_ms: i64, end_ms: i64, width_px: usize) -> Vec<(f32, f32)> {
        if width_px == 0 {
            return Vec::new();
        }
        if end_ms <= start_ms || self.len == 0 {
            return vec![(0.0, 0.0); width_px];
        }
        let rate = self.sample_rate as f64 / 1000.0;
        let s0 = start_ms as f64 * rate;
        let span = (end_ms - start_ms) as f64 * rate;
        let spp = span / width_px as f64;
        // Coarsest level with buckets no wider than a pixel.
        let mut k = 0;
        while k + 1 < self.levels.len() && (self.bucket_samples(k + 1) as f64) <= spp {
            k += 1;
        }
        let b = self.bucket_samples(k) as f64;
        let buckets = &self.levels[k];
        let n = buckets.len() as f64;
        (0..width_px)
            .map(|i| {
                let a = s0 + spp * i as f64;
                let z = s0 + spp * (i + 1) as f64;
                if z <= 0.0 || a >= self.len as f64 {
                    return (0.0, 0.0);
                }
                let first = (a / b).floor().clamp(0.0, n - 1.0);
                let last = ((z / b).ceil() - 1.0).clamp(first, n - 1.0);
                let (lo, hi) = buckets[first as usize..=last as usize]
                    .iter()
                    .copied()
                    .fold((f32::INFINITY, f32::NEG_INFINITY), merge);
                if lo > hi { (0.0, 0.0) } else { (lo, hi) }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn burst(rate: u32) -> Audio {
        // 1 s silence, 1 s of a 0.5-amplitude 440 Hz sine, 1 s silence.
        let n = rate as usize * 3;
        let samples = (0..n)
            .map(|i| {
                if (rate as usize..2 * rate as usize).contains(&i) {
                    0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin()
                } else {
                    0.0
                }
            })
            .collect();
        Audio {
            sample_rate: rate,
            samples,
        }
    }

    #[test]
    fn sine_burst_and_silence() {
        let p = Peaks::build(&burst(48_000), 256);
        assert_eq!(p.duration_ms(), 3000);
        assert!(p.level_count() > 3);
        assert_eq!(p.level(p.level_count() - 1).len(), 1);
        for width in [30, 300, 1000] {
            let v = p.range(0, 3000, width);
            assert_eq!(v.len(), width);
            let (per_s, pad) = (width / 3, width / 30);
            for (i, &(lo, hi)) in v.iter().enumerate() {
                if i < per_s - pad || i >= 2 * per_s + pad {
                    assert!(lo.abs() < 1e-6 && hi.abs() < 1e-6, "silent px {i}/{width}");
                } else if i > per_s + pad && i < 2 * per_s - pad {
                    assert!((hi - 0.5).abs() < 0.02 && (lo + 0.5).abs() < 0.02, "px {i}");
                }
            }
        }
        // Outside the audio and degenerate spans.
        assert_eq!(p.range(5000, 6000, 4), vec![(0.0, 0.0); 4]);
        assert_eq!(p.range(-1000, 0, 2), vec![(0.0, 0.0); 2]);
        assert_eq!(p.range(100, 100, 3), vec![(0.0, 0.0); 3]);
        assert!(p.range(0, 10, 0).is_empty());
        // Zoomed in past level 0: 2 ms over 100 px inside the sine still shows it.
        let z = p.range(1500, 1502, 100);
        assert!(z.iter().all(|&(lo, hi)| lo < -0.3 && hi > 0.3));
    }

    #[test]
    fn pixels_cover_their_samples() {
        // A deterministic noisy signal: every pixel's pair must contain the exact min/max of
        // its samples and stay within those of the samples widened by one bucket each side.
        let rate = 8000;
        let mut seed = 7u32;
        let samples: Vec<f32> = (0..rate * 5)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
            })
            .map(|x| x * x * x)
            .collect();
        let audio = Audio {
            sample_rate: rate as u32,
            samples,
        };
        let p = Peaks::build(&audio, 16);
        for (s, e, w) in [
            (0, 5000, 37),
            (1234, 2345, 500),
            (0, 5000, 3),
            (100, 140, 7),
        ] {
            let v = p.range(s, e, w);
            let spp = (e - s) as f64 * 8.0 / w as f64;
            let mut k = 0;
            while k + 1 < p.level_count() && p.bucket_samples(k + 1) as f64 <= spp {
                k += 1;
            }
            let bsz = p.bucket_samples(k);
            for (i, &(lo, hi)) in v.iter().enumerate() {
                let a = (s as f64 * 8.0 + spp * i as f64) as usize;
                let z = ((s as f64 * 8.0 + spp * (i + 1) as f64).ceil() as usize).max(a + 1);
                let exact = min_max(&audio.samples[a..z]);
                let wide = min_max(&audio.samples[a.saturating_sub(bsz)..(z + bsz).min(40_000)]);
                assert!(lo <= exact.0 && hi >= exact.1, "{s}-{e}/{w} px {i}");
                assert!(lo >= wide.0 && hi <= wide.1, "{s}-{e}/{w} px {i}");
            }
        }
    }
}
