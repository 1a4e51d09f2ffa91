//! Zero-phase Butterworth low-pass filtering of marker trajectories.
//!
//! The coefficients are designed exactly as `scipy.signal.butter(order, cutoff_hz, fs=rate_hz)`
//! does (analogue prototype poles, frequency pre-warping, bilinear transform, zeros/poles →
//! transfer function), and [`filtfilt`] reproduces `scipy.signal.filtfilt(b, a, x)` with its
//! defaults: odd extension of `padlen = 3 · max(len(a), len(b))` samples at each end and
//! `lfilter_zi` initial conditions scaled by the first sample of each pass.
//!
//! Marker trajectories are filtered per marker, per axis and per **valid run**: gaps split the
//! signal and are never bridged or filled.

use crate::SolverError;
use crate::gaps::{FrameRange, MarkerSelection};
use crate::linalg::solve;
use mocap_data::MarkerTrajectories;
use serde::{Deserialize, Serialize};

/// Highest supported filter order (higher orders are numerically unreliable in
/// transfer-function form, as scipy's documentation warns).
pub const MAX_ORDER: usize = 8;

/// A digital IIR filter in transfer-function form, `a[0] = 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Iir {
    /// Numerator coefficients `b[0..=order]`.
    pub b: Vec<f64>,
    /// Denominator coefficients `a[0..=order]`, `a[0] = 1`.
    pub a: Vec<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct C64 {
    re: f64,
    im: f64,
}

impl C64 {
    fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }
    fn mul(self, o: Self) -> Self {
        Self::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
    fn div(self, o: Self) -> Self {
        let d = o.re * o.re + o.im * o.im;
        Self::new(
            (self.re * o.re + self.im * o.im) / d,
            (self.im * o.re - self.re * o.im) / d,
        )
    }
}

/// Coefficients of the monic polynomial with the given roots, highest power first (numpy's
/// `poly`).
fn poly(roots: &[C64]) -> Vec<C64> {
    let mut c = vec![C64::new(1.0, 0.0)];
    for r in roots {
        let mut next = vec![C64::new(0.0, 0.0); c.len() + 1];
        for (i, ci) in c.iter().enumerate() {
            next[i].re += ci.re;
            next[i].im += ci.im;
            let p = ci.mul(*r);
            next[i + 1].re -= p.re;
            next[i + 1].im -= p.im;
        }
        c = next;
    }
    c
}

/// Designs a digital Butterworth low-pass filter of `order` (1–[`MAX_ORDER`]) with −3 dB cutoff
/// `cutoff_hz` for a signal sampled at `rate_hz` (Hz), like
/// `scipy.signal.butter(order, cutoff_hz, btype="low", fs=rate_hz)`.
pub fn butter_lowpass(order: usize, cutoff_hz: f64, rate_hz: f64) -> Result<Iir, SolverError> {
    if !(1..=MAX_ORDER).contains(&order) {
        return Err(SolverError::InvalidParameter {
            name: "order",
            value: order.to_string(),
            expected: format!("an integer from 1 to {MAX_ORDER}"),
        });
    }
    if !(rate_hz.is_finite() && rate_hz > 0.0) {
        return Err(SolverError::InvalidParameter {
            name: "rate",
            value: rate_hz.to_string(),
            expected: "a positive sampling rate in Hz".into(),
        });
    }
    let nyquist = rate_hz / 2.0;
    if !(cutoff_hz.is_finite() && cutoff_hz > 0.0 && cutoff_hz < nyquist) {
        return Err(SolverError::InvalidParameter {
            name: "lowpass",
            value: cutoff_hz.to_string(),
            expected: format!(
                "a cutoff in Hz above 0 and below the Nyquist frequency {nyquist} Hz (half the {rate_hz} Hz frame rate); 6 Hz is typical for body markers"
            ),
        });
    }
    let n = order as i64;
    // buttap: poles on the left half of the unit circle.
    let poles: Vec<C64> = (0..order as i64)
        .map(|k| {
            let m = (-n + 1 + 2 * k) as f64;
            let theta = std::f64::consts::PI * m / (2.0 * n as f64);
            // -exp(j·theta)
            C64::new(-theta.cos(), -theta.sin())
        })
        .collect();
    // Pre-warp (scipy normalises to fs = 2).
    let wn = 2.0 * cutoff_hz / rate_hz;
    let fs = 2.0;
    let warped = 2.0 * fs * (std::f64::consts::PI * wn / fs).tan();
    // lp2lp_zpk: scale poles, gain = warped^order.
    let p: Vec<C64> = poles
        .iter()
        .map(|q| C64::new(q.re * warped, q.im * warped))
        .collect();
    let k = warped.powi(order as i32);
    // bilinear_zpk with fs = 2.
    let fs2 = C64::new(2.0 * fs, 0.0);
    let pz: Vec<C64> = p
        .iter()
        .map(|q| C64::new(fs2.re + q.re, q.im).div(C64::new(fs2.re - q.re, -q.im)))
        .collect();
    let zz = vec![C64::new(-1.0, 0.0); order];
    let mut den = C64::new(1.0, 0.0);
    for q in &p {
        den = den.mul(C64::new(fs2.re - q.re, -q.im));
    }
    let kz = k * C64::new(1.0, 0.0).div(den).re;
    let b: Vec<f64> = poly(&zz).iter().map(|c| c.re * kz).collect();
    let a: Vec<f64> = poly(&pz).iter().map(|c| c.re).collect();
    Ok(Iir { b, a })
}

/// Initial state of [`lfilter`] for a step response in steady state (`scipy.signal.lfilter_zi`).
pub fn lfilter_zi(f: &Iir) -> Result<Vec<f64>, SolverError> {
    let n = f.a.len().max(f.b.len());
    let mut a = f.a.clone();
    let mut b = f.b.clone();
    a.resize(n, 0.0);
    b.resize(n, 0.0);
    let a0 = a[0];
    if a0 == 0.0 {
        return Err(SolverError::InvalidParameter {
            name: "a[0]",
            value: "0".into(),
            expected: "a non-zero leading denominator coefficient".into(),
        });
    }
    for v in a.iter_mut().chain(b.iter_mut()) {
        *v /= a0;
    }
    let m = n - 1;
    if m == 0 {
        return Ok(Vec::new());
    }
    // I − companion(a)ᵀ, with companion(a) first row −a[1..], subdiagonal ones.
    let mut mat = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            let comp_t = if j == 0 {
                -a[i + 1]
            } else if i + 1 == j {
                1.0
            } else {
                0.0
            };
            mat[i * m + j] = if i == j { 1.0 } else { 0.0 } - comp_t;
        }
    }
    let rhs: Vec<f64> = (0..m).map(|i| b[i + 1] - a[i + 1] * b[0]).collect();
    solve(&mat, &rhs).ok_or_else(|| SolverError::InvalidParameter {
        name: "filter",
        value: format!("{f:?}"),
        expected: "a stable filter (lfilter_zi's system is singular)".into(),
    })
}

/// Direct-form II transposed filtering of `x` with initial state `zi` (`scipy.signal.lfilter`
/// with `zi`); `a[0]` must be 1.
pub fn lfilter(f: &Iir, x: &[f64], zi: &[f64]) -> Vec<f64> {
    let n = f.a.len().max(f.b.len());
    let coef = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(0.0);
    let mut z: Vec<f64> = (0..n.saturating_sub(1))
        .map(|i| zi.get(i).copied().unwrap_or(0.0))
        .collect();
    let mut y = Vec::with_capacity(x.len());
    for &xn in x {
        let yn = coef(&f.b, 0) * xn + z.first().copied().unwrap_or(0.0);
        for i in 0..z.len() {
            let next = z.get(i + 1).copied().unwrap_or(0.0);
            z[i] = coef(&f.b, i + 1) * xn + next - coef(&f.a, i + 1) * yn;
        }
        y.push(yn);
    }
    y
}

/// Zero-phase forward–backward filtering, `scipy.signal.filtfilt(b, a, x)` with its defaults
/// (`padtype="odd"`, `padlen = 3 · max(len(a), len(b))`). When `x` is not longer than that
/// padding, the padding is shortened to `x.len() − 1` (scipy's result with that explicit
/// `padlen`). Signals of fewer than 2 samples are returned unchanged.
pub fn filtfilt(f: &Iir, x: &[f64]) -> Result<Vec<f64>, SolverError> {
    if x.len() < 2 {
        return Ok(x.to_vec());
    }
    let default_pad = 3 * f.a.len().max(f.b.len());
    let padlen = default_pad.min(x.len() - 1);
    let zi = lfilter_zi(f)?;
    // Odd extension.
    let last = x.len() - 1;
    let mut ext = Vec::with_capacity(x.len() + 2 * padlen);
    ext.extend((1..=padlen).rev().map(|i| 2.0 * x[0] - x[i]));
    ext.extend_from_slice(x);
    ext.extend((1..=padlen).map(|i| 2.0 * x[last] - x[last - i]));
    let z0: Vec<f64> = zi.iter().map(|z| z * ext[0]).collect();
    let mut y = lfilter(f, &ext, &z0);
    y.reverse();
    let z1: Vec<f64> = zi.iter().map(|z| z * y[0]).collect();
    let mut y = lfilter(f, &y, &z1);
    y.reverse();
    Ok(y[padlen..padlen + x.len()].to_vec())
}

/// Parameters of [`apply`]. Serialisable (JSON/RON) for the app's operation stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LowpassParams {
    /// −3 dB cutoff frequency, Hz (must be below half the take's frame rate).
    pub cutoff_hz: f64,
    /// Butterworth order of each pass (the forward–backward result has twice the attenuation).
    pub order: usize,
}

impl Default for LowpassParams {
    fn default() -> Self {
        Self {
            cutoff_hz: 6.0,
            order: 4,
        }
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LowpassReport {
    /// The designed coefficients.
    pub filter: Option<Iir>,
    /// Valid runs filtered (per marker; each run's three axes count once).
    pub runs_filtered: usize,
    /// Samples (marker-frames) changed.
    pub samples_filtered: usize,
    /// Valid runs shorter than the default padding (`3·(order+1)` frames), filtered with
    /// shortened padding.
    pub short_runs: usize,
}

/// Low-pass filters the selected markers inside `range` (`None`: whole take), each valid run
/// separately (a run is cut at the range boundaries too). Positions change; validity, residuals
/// and camera masks do not. The take's frame rate is the sampling rate.
pub fn apply(
    params: &LowpassParams,
    t: &mut MarkerTrajectories,
    range: Option<FrameRange>,
    markers: &MarkerSelection,
) -> Result<LowpassReport, SolverError> {
    let f = butter_lowpass(params.order, params.cutoff_hz, t.rate.hz())?;
    let r = FrameRange::resolve(range, t.frame_count())?;
    let selected = markers.resolve(t)?;
    let n = t.marker_count();
    let default_pad = 3 * (params.order + 1);
    let mut report = LowpassReport {
        filter: Some(f.clone()),
        ..LowpassReport::default()
    };
    for m in selected {
        let mut fr = r.start;
        while fr < r.end {
            if !t.valid()[fr * n + m] {
                fr += 1;
                continue;
            }
            let s = fr;
            while fr < r.end && t.valid()[fr * n + m] {
                fr += 1;
            }
            let run = s..fr;
            if run.len() < 2 {
                continue;
            }
            report.runs_filtered += 1;
            report.samples_filtered += run.len();
            if run.len() <= default_pad {
                report.short_runs += 1;
            }
            for axis in 0..3 {
                let x: Vec<f64> = run
                    .clone()
                    .map(|k| t.positions()[k * n + m][axis] as f64)
                    .collect();
                let y = filtfilt(&f, &x)?;
                let pos = t.positions_mut();
                for (k, v) in run.clone().zip(y) {
                    pos[k * n + m][axis] = v as f32;
                }
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_matches_known_scipy_coefficients() {
        // scipy.signal.butter(2, 10, fs=100): b = [0.06745527, 0.13491055, 0.06745527],
        // a = [1, -1.1429805, 0.4128016]
        let f = butter_lowpass(2, 10.0, 100.0).unwrap();
        let b = [0.0674552738890719, 0.1349105477781438, 0.0674552738890719];
        let a = [1.0, -1.142_980_502_539_901_1, 0.412_801_598_096_188_8];
        for (x, y) in f.b.iter().zip(b).chain(f.a.iter().zip(a)) {
            assert!((x - y).abs() < 1e-12, "{f:?}");
        }
        // DC gain 1.
        let g: f64 = f.b.iter().sum::<f64>() / f.a.iter().sum::<f64>();
        assert!((g - 1.0).abs() < 1e-12);
        assert!(butter_lowpass(4, 60.0, 120.0).is_err());
        assert!(butter_lowpass(0, 6.0, 120.0).is_err());
        assert!(butter_lowpass(4, f64::NAN, 120.0).is_err());
    }

    #[test]
    fn constant_and_short_signals() {
        let f = butter_lowpass(4, 6.0, 120.0).unwrap();
        let y = filtfilt(&f, &[5.0; 40]).unwrap();
        assert!(y.iter().all(|v| (v - 5.0).abs() < 1e-9));
        assert_eq!(filtfilt(&f, &[1.0]).unwrap(), vec![1.0]);
        let y = filtfilt(&f, &[1.0, 2.0, 3.0]).unwrap();
        assert!(y.iter().all(|v| v.is_finite()));
    }
}
