//! Gap filling of marker trajectories: linear, cubic spline, rigid body and pattern fills.
//!
//! Every fill reads only samples that were valid **before** the call (so the result does not
//! depend on the order markers are processed in) and writes filled samples with `valid = true`,
//! residual 0 and camera mask 0 ("interpolated", as C3D writers expect).
//!
//! A gap `[s, e)` has anchor frames `s − 1` and `e` (the valid samples around it). Linear and
//! spline fills need both anchors; rigid and pattern fills also fill gaps at the start or end of
//! the take from the one anchor they have.

use crate::SolverError;
use crate::gaps::{FrameRange, Gap, MarkerSelection, marker_gaps};
use crate::linalg::{rigid_fit, second_principal_variance, solve};
use glam::DVec3;
use mocap_data::{MarkerSample, MarkerTrajectories};
use serde::{Deserialize, Serialize};

/// How a gap is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillMethod {
    /// Straight line between the two anchor samples. Exact for motion at constant velocity.
    Linear,
    /// Not-a-knot cubic spline (the default of `scipy.interpolate.CubicSpline`) through the
    /// `spline_context` contiguous valid samples on each side of the gap (at least 2 each side),
    /// evaluated per axis at the missing frames.
    Spline,
    /// Rigid body: at every gap frame, the rigid transform (Horn's quaternion method, least
    /// squares) that carries the donor markers from an anchor frame to that frame is applied to
    /// the marker's anchor position; the predictions from the two anchors are blended linearly in
    /// time so the fill meets both ends. Needs ≥ 3 non-collinear donors visible through the gap.
    Rigid,
    /// Pattern: the gap copies one donor marker's motion, offset by the marker−donor difference
    /// at the anchors, the offset blended linearly from the first anchor to the second so both
    /// ends meet.
    Pattern,
}

impl std::fmt::Display for FillMethod {
    /// The name `FromStr` reads back (`linear`, `spline`, `rigid`, `pattern`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Linear => "linear",
            Self::Spline => "spline",
            Self::Rigid => "rigid",
            Self::Pattern => "pattern",
        })
    }
}

impl std::str::FromStr for FillMethod {
    type Err = SolverError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "linear" => Self::Linear,
            "spline" | "cubic" => Self::Spline,
            "rigid" => Self::Rigid,
            "pattern" => Self::Pattern,
            _ => {
                return Err(SolverError::InvalidParameter {
                    name: "fill",
                    value: s.to_string(),
                    expected: "one of linear, spline, rigid, pattern".into(),
                });
            }
        })
    }
}

/// Parameters of [`apply`]. Serialisable (JSON/RON) for the app's operation stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FillParams {
    /// Fill method.
    pub method: FillMethod,
    /// Longest gap that is filled, in frames; longer gaps are left alone (and reported).
    pub max_gap: usize,
    /// Spline: valid samples used on each side of the gap (≥ 2).
    pub spline_context: usize,
    /// Rigid/pattern: donor marker labels. Empty: donors are chosen automatically per gap (the
    /// markers whose distance to the gap marker varies least around the gap). Rigid uses every
    /// listed donor visible through the gap (≥ 3 needed); pattern uses the first one visible.
    pub donors: Vec<String>,
    /// Rigid, automatic donors: how many donors to use (≥ 3).
    pub rigid_donor_count: usize,
    /// Automatic donors: frames on each side of the gap over which the marker–donor distance
    /// variation is measured (≥ 1).
    pub donor_window: usize,
}

impl Default for FillParams {
    fn default() -> Self {
        Self {
            method: FillMethod::Linear,
            max_gap: 60,
            spline_context: 3,
            donors: Vec::new(),
            rigid_donor_count: 3,
            donor_window: 60,
        }
    }
}

/// Why a gap was not filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Longer than `max_gap` frames.
    TooLong,
    /// Touches the start or end of the take, and the method needs samples on both sides.
    AtTakeEdge,
    /// Not entirely inside the requested frame range.
    OutsideRange,
    /// Spline: fewer than 2 contiguous valid samples on a side.
    NotEnoughContext,
    /// Rigid/pattern: no usable donor(s) visible through the gap.
    NoDonors,
    /// The marker has no valid sample at all.
    NoValidSamples,
    /// The samples the fill would be computed from are not finite (NaN or infinite positions
    /// flagged valid in the file).
    NonFiniteInput,
}

/// One gap and what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapOutcome {
    /// Marker index in the take.
    pub marker: usize,
    /// Marker label.
    pub label: String,
    /// The gap (0-based frames).
    pub gap: Gap,
    /// Donor labels used (rigid/pattern), empty otherwise.
    pub donors: Vec<String>,
    /// `None` when filled, otherwise why not.
    pub skipped: Option<SkipReason>,
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FillReport {
    /// Every gap of the selected markers that intersects the range, filled or not.
    pub gaps: Vec<GapOutcome>,
    /// Number of gaps filled.
    pub gaps_filled: usize,
    /// Number of samples (marker-frames) filled.
    pub frames_filled: usize,
}

/// Fills gaps of the selected markers inside `range` (`None`: whole take) with `params`.
/// Only gaps lying entirely inside the range and at most `max_gap` frames long are filled.
pub fn apply(
    params: &FillParams,
    t: &mut MarkerTrajectories,
    range: Option<FrameRange>,
    markers: &MarkerSelection,
) -> Result<FillReport, SolverError> {
    check_params(params)?;
    let r = FrameRange::resolve(range, t.frame_count())?;
    let selected = markers.resolve(t)?;
    let explicit_donors: Vec<usize> = params
        .donors
        .iter()
        .map(|l| {
            t.marker_index(l)
                .ok_or_else(|| SolverError::UnknownMarker(l.clone()))
        })
        .collect::<Result<_, _>>()?;
    let src = t.clone();
    let nf = src.frame_count();
    let mut report = FillReport::default();
    for m in selected {
        let all_gaps = marker_gaps(&src, m);
        let no_valid = all_gaps.len() == 1 && all_gaps[0].len == nf;
        for gap in all_gaps {
            if gap.end() <= r.start || gap.start >= r.end {
                continue;
            }
            let mut outcome = GapOutcome {
                marker: m,
                label: src.labels[m].clone(),
                gap,
                donors: Vec::new(),
                skipped: None,
            };
            let before = gap.start.checked_sub(1);
            let after = (gap.end() < nf).then_some(gap.end());
            let skip = if no_valid {
                Some(SkipReason::NoValidSamples)
            } else if gap.start < r.start || gap.end() > r.end {
                Some(SkipReason::OutsideRange)
            } else if gap.len > params.max_gap {
                Some(SkipReason::TooLong)
            } else if matches!(params.method, FillMethod::Linear | FillMethod::Spline)
                && (before.is_none() || after.is_none())
            {
                Some(SkipReason::AtTakeEdge)
            } else {
                None
            };
            if skip.is_some() {
                outcome.skipped = skip;
                report.gaps.push(outcome);
                continue;
            }
            let filled: Result<Vec<DVec3>, SkipReason> = match params.method {
                FillMethod::Linear => linear(&src, m, gap),
                FillMethod::Spline => spline(&src, m, gap, params.spline_context),
                FillMethod::Rigid => {
                    let donors = pick_donors(&src, m, gap, params, &explicit_donors, true);
                    outcome.donors = donors.iter().map(|&d| src.labels[d].clone()).collect();
                    rigid(&src, m, gap, &donors)
                }
                FillMethod::Pattern => {
                    let donors = pick_donors(&src, m, gap, params, &explicit_donors, false);
                    outcome.donors = donors
                        .iter()
                        .take(1)
                        .map(|&d| src.labels[d].clone())
                        .collect();
                    match donors.first() {
                        Some(&d) => pattern(&src, m, gap, d),
                        None => Err(SkipReason::NoDonors),
                    }
                }
            };
            match filled {
                Ok(points) if points.len() == gap.len && points.iter().all(|p| p.is_finite()) => {
                    for (k, p) in points.iter().enumerate() {
                        t.set_sample(
                            gap.start + k,
                            m,
                            MarkerSample {
                                position: [p.x as f32, p.y as f32, p.z as f32],
                                residual: 0.0,
                                camera_mask: 0,
                                valid: true,
                            },
                        );
                    }
                    report.gaps_filled += 1;
                    report.frames_filled += gap.len;
                }
                Ok(_) => outcome.skipped = Some(SkipReason::NonFiniteInput),
                Err(reason) => outcome.skipped = Some(reason),
            }
            report.gaps.push(outcome);
        }
    }
    Ok(report)
}

fn check_params(p: &FillParams) -> Result<(), SolverError> {
    if p.spline_context < 2 {
        return Err(SolverError::InvalidParameter {
            name: "spline_context",
            value: p.spline_context.to_string(),
            expected: "at least 2 valid samples on each side".into(),
        });
    }
    if p.rigid_donor_count < 3 {
        return Err(SolverError::InvalidParameter {
            name: "rigid_donor_count",
            value: p.rigid_donor_count.to_string(),
            expected: "at least 3 donors (a rigid transform needs 3 non-collinear points)".into(),
        });
    }
    if p.donor_window == 0 {
        return Err(SolverError::InvalidParameter {
            name: "donor_window",
            value: "0".into(),
            expected: "at least 1 frame".into(),
        });
    }
    Ok(())
}

fn pos(t: &MarkerTrajectories, f: usize, m: usize) -> Option<DVec3> {
    t.position(f, m)
        .map(|p| DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64))
}

fn anchors(t: &MarkerTrajectories, gap: Gap) -> (Option<usize>, Option<usize>) {
    (
        gap.start.checked_sub(1),
        (gap.end() < t.frame_count()).then_some(gap.end()),
    )
}

/// Weight of the second anchor at frame `f` for anchors `a < b`.
fn blend(a: usize, b: usize, f: usize) -> f64 {
    (f - a) as f64 / (b - a) as f64
}

fn linear(t: &MarkerTrajectories, m: usize, gap: Gap) -> Result<Vec<DVec3>, SkipReason> {
    let (Some(a), Some(b)) = anchors(t, gap) else {
        return Err(SkipReason::AtTakeEdge);
    };
    let (Some(pa), Some(pb)) = (pos(t, a, m), pos(t, b, m)) else {
        return Err(SkipReason::AtTakeEdge);
    };
    Ok((gap.start..gap.end())
        .map(|f| pa.lerp(pb, blend(a, b, f)))
        .collect())
}

fn spline(
    t: &MarkerTrajectories,
    m: usize,
    gap: Gap,
    context: usize,
) -> Result<Vec<DVec3>, SkipReason> {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut f = gap.start;
    while f > 0 && xs.len() < context {
        f -= 1;
        match pos(t, f, m) {
            Some(p) => {
                xs.push(f as f64);
                ys.push(p);
            }
            None => break,
        }
    }
    let left = xs.len();
    xs.reverse();
    ys.reverse();
    let mut f = gap.end();
    while f < t.frame_count() && xs.len() - left < context {
        match pos(t, f, m) {
            Some(p) => {
                xs.push(f as f64);
                ys.push(p);
            }
            None => break,
        }
        f += 1;
    }
    if left < 2 || xs.len() - left < 2 {
        return Err(SkipReason::NotEnoughContext);
    }
    let mut out = vec![DVec3::ZERO; gap.len];
    for axis in 0..3 {
        let y: Vec<f64> = ys.iter().map(|p| p[axis]).collect();
        let m2 = not_a_knot_second_derivatives(&xs, &y).ok_or(SkipReason::NotEnoughContext)?;
        // The gap lies in the single knot interval [left-1, left].
        let i = left - 1;
        let (x0, x1) = (xs[i], xs[i + 1]);
        let h = x1 - x0;
        for (k, o) in out.iter_mut().enumerate() {
            let x = (gap.start + k) as f64;
            let a = x1 - x;
            let b = x - x0;
            o[axis] = m2[i] * a * a * a / (6.0 * h)
                + m2[i + 1] * b * b * b / (6.0 * h)
                + (y[i] / h - m2[i] * h / 6.0) * a
                + (y[i + 1] / h - m2[i + 1] * h / 6.0) * b;
        }
    }
    Ok(out)
}

/// Second derivatives at the knots of the not-a-knot cubic spline through `(x, y)`
/// (≥ 4 knots, strictly increasing `x`).
fn not_a_knot_second_derivatives(x: &[f64], y: &[f64]) -> Option<Vec<f64>> {
    let n = x.len();
    if n < 4 {
        return None;
    }
    let h: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let mut a = vec![0.0; n * n];
    let mut rhs = vec![0.0; n];
    // Not-a-knot: the third derivative is continuous at x[1] and x[n-2].
    a[0] = h[1];
    a[1] = -(h[0] + h[1]);
    a[2] = h[0];
    for i in 1..n - 1 {
        a[i * n + i - 1] = h[i - 1];
        a[i * n + i] = 2.0 * (h[i - 1] + h[i]);
        a[i * n + i + 1] = h[i];
        rhs[i] = 6.0 * ((y[i + 1] - y[i]) / h[i] - (y[i] - y[i - 1]) / h[i - 1]);
    }
    let r = (n - 1) * n;
    a[r + n - 3] = h[n - 2];
    a[r + n - 2] = -(h[n - 3] + h[n - 2]);
    a[r + n - 1] = h[n - 3];
    solve(&a, &rhs)
}

fn rigid(
    t: &MarkerTrajectories,
    m: usize,
    gap: Gap,
    donors: &[usize],
) -> Result<Vec<DVec3>, SkipReason> {
    if donors.len() < 3 {
        return Err(SkipReason::NoDonors);
    }
    let (a, b) = anchors(t, gap);
    let cluster =
        |f: usize| -> Option<Vec<DVec3>> { donors.iter().map(|&d| pos(t, f, d)).collect() };
    let anchor = |f: Option<usize>| -> Option<(Vec<DVec3>, DVec3)> {
        let f = f?;
        Some((cluster(f)?, pos(t, f, m)?))
    };
    let ca = anchor(a);
    let cb = anchor(b);
    if ca.is_none() && cb.is_none() {
        return Err(SkipReason::NoDonors);
    }
    for (c, _) in ca.iter().chain(cb.iter()) {
        if second_principal_variance(c) < 1.0e-6 {
            return Err(SkipReason::NoDonors);
        }
    }
    let mut out = Vec::with_capacity(gap.len);
    for f in gap.start..gap.end() {
        let now = cluster(f).ok_or(SkipReason::NoDonors)?;
        let predict = |c: &(Vec<DVec3>, DVec3)| -> Option<DVec3> {
            let (q, tr) = rigid_fit(&c.0, &now, &vec![1.0; now.len()])?;
            Some(q * c.1 + tr)
        };
        let p = match (&ca, &cb) {
            (Some(x), Some(y)) => {
                let pa = predict(x).ok_or(SkipReason::NoDonors)?;
                let pb = predict(y).ok_or(SkipReason::NoDonors)?;
                // Both anchors exist here, so `a` and `b` are Some.
                pa.lerp(pb, blend(gap.start - 1, gap.end(), f))
            }
            (Some(x), None) | (None, Some(x)) => predict(x).ok_or(SkipReason::NoDonors)?,
            (None, None) => return Err(SkipReason::NoDonors),
        };
        out.push(p);
    }
    Ok(out)
}

fn pattern(t: &MarkerTrajectories, m: usize, gap: Gap, d: usize) -> Result<Vec<DVec3>, SkipReason> {
    let (a, b) = anchors(t, gap);
    let offset = |f: Option<usize>| -> Option<DVec3> {
        let f = f?;
        Some(pos(t, f, m)? - pos(t, f, d)?)
    };
    let (oa, ob) = (offset(a), offset(b));
    (gap.start..gap.end())
        .map(|f| {
            let o = match (oa, ob) {
                (Some(x), Some(y)) => x.lerp(y, blend(gap.start - 1, gap.end(), f)),
                (Some(x), None) | (None, Some(x)) => x,
                (None, None) => return Err(SkipReason::NoDonors),
            };
            Ok(pos(t, f, d).ok_or(SkipReason::NoDonors)? + o)
        })
        .collect()
}

/// Whether marker `d` is valid at every frame a fill of `gap` reads: the gap and its anchors.
fn visible_through(t: &MarkerTrajectories, d: usize, gap: Gap) -> bool {
    let (a, b) = anchors(t, gap);
    let lo = a.unwrap_or(gap.start);
    let hi = b.unwrap_or(gap.end() - 1);
    (lo..=hi).all(|f| t.position(f, d).is_some())
}

/// Standard deviation of the distance between `m` and `d` over up to `window` frames before
/// and after the gap where both are valid; `None` with fewer than 2 such frames.
fn distance_spread(
    t: &MarkerTrajectories,
    m: usize,
    d: usize,
    gap: Gap,
    window: usize,
) -> Option<f64> {
    let lo = gap.start.saturating_sub(window);
    let hi = (gap.end() + window).min(t.frame_count());
    let mut n = 0.0;
    let mut s = 0.0;
    let mut s2 = 0.0;
    for f in (lo..gap.start).chain(gap.end()..hi) {
        if let (Some(pm), Some(pd)) = (pos(t, f, m), pos(t, f, d)) {
            let dist = (pm - pd).length();
            n += 1.0;
            s += dist;
            s2 += dist * dist;
        }
    }
    if n < 2.0 {
        return None;
    }
    let mean = s / n;
    Some((s2 / n - mean * mean).max(0.0).sqrt())
}

/// Donors for one gap: the explicit list filtered to those visible through the gap, or the
/// automatically ranked candidates (ascending distance spread; ties by index).
fn pick_donors(
    t: &MarkerTrajectories,
    m: usize,
    gap: Gap,
    p: &FillParams,
    explicit: &[usize],
    rigid: bool,
) -> Vec<usize> {
    if !explicit.is_empty() {
        return explicit
            .iter()
            .copied()
            .filter(|&d| d != m && visible_through(t, d, gap))
            .collect();
    }
    let mut ranked: Vec<(f64, usize)> = (0..t.marker_count())
        .filter(|&d| d != m && visible_through(t, d, gap))
        .filter_map(|d| Some((distance_spread(t, m, d, gap, p.donor_window)?, d)))
        .collect();
    ranked.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    if !rigid {
        return ranked.first().map(|r| vec![r.1]).unwrap_or_default();
    }
    // Take the best `rigid_donor_count`, then add more while the set is (nearly) collinear.
    let mut chosen: Vec<usize> = Vec::new();
    for (_, d) in ranked {
        chosen.push(d);
        if chosen.len() >= p.rigid_donor_count {
            let (a, b) = anchors(t, gap);
            let f = a.or(b).unwrap_or(0);
            let pts: Vec<DVec3> = chosen.iter().filter_map(|&c| pos(t, f, c)).collect();
            if second_principal_variance(&pts) >= 1.0e-6 {
                break;
            }
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gaps::test_util::{cut, make};
    use glam::DQuat;

    fn params(method: FillMethod) -> FillParams {
        FillParams {
            method,
            ..FillParams::default()
        }
    }

    fn max_err(
        a: &MarkerTrajectories,
        b: &MarkerTrajectories,
        m: usize,
        r: std::ops::Range<usize>,
    ) -> f64 {
        r.map(|f| {
            let p = a.position(f, m).expect("filled");
            let q = b.position(f, m).expect("truth");
            (0..3)
                .map(|k| (p[k] - q[k]).abs() as f64)
                .fold(0.0, f64::max)
        })
        .fold(0.0, f64::max)
    }

    #[test]
    fn linear_fill_of_a_line_is_exact() {
        let truth = make(1, 50, |f, _| {
            [3.0 * f as f32 - 10.0, 0.5 * f as f32, 200.0 - f as f32]
        });
        let mut t = truth.clone();
        cut(&mut t, 0, 10, 20);
        let r = apply(
            &params(FillMethod::Linear),
            &mut t,
            None,
            &MarkerSelection::All,
        )
        .unwrap();
        assert_eq!((r.gaps_filled, r.frames_filled), (1, 10));
        assert!(max_err(&t, &truth, 0, 10..20) < 1e-5);
        assert_eq!(t.sample(12, 0).residual, 0.0);
    }

    #[test]
    fn max_gap_range_and_edges_are_respected() {
        let truth = make(1, 100, |f, _| [f as f32, 0.0, 0.0]);
        let mut t = truth.clone();
        cut(&mut t, 0, 0, 5);
        cut(&mut t, 0, 10, 20);
        cut(&mut t, 0, 30, 35);
        cut(&mut t, 0, 60, 64);
        let p = FillParams {
            max_gap: 8,
            ..params(FillMethod::Linear)
        };
        let r = apply(
            &p,
            &mut t,
            Some(FrameRange::new(0, 50)),
            &MarkerSelection::All,
        )
        .unwrap();
        let reasons: Vec<_> = r.gaps.iter().map(|g| g.skipped).collect();
        assert_eq!(
            reasons,
            vec![
                Some(SkipReason::AtTakeEdge),
                Some(SkipReason::TooLong),
                None
            ]
        );
        assert!(t.position(2, 0).is_none() && t.position(15, 0).is_none());
        assert!(t.position(62, 0).is_none(), "outside the range: untouched");
        assert_eq!(t.position(32, 0), Some([32.0, 0.0, 0.0]));
    }

    #[test]
    fn spline_fill_of_a_smooth_curve() {
        // 1.5 Hz sine of 100 mm amplitude at 120 Hz, 12-frame gap.
        let truth = make(1, 240, |f, _| {
            let s = f as f32 / 120.0;
            let w = 2.0 * std::f32::consts::PI * 1.5;
            [100.0 * (w * s).sin(), 50.0 * (w * s).cos(), 10.0 * s]
        });
        let mut t = truth.clone();
        cut(&mut t, 0, 100, 112);
        let mut lin = t.clone();
        apply(
            &params(FillMethod::Spline),
            &mut t,
            None,
            &MarkerSelection::All,
        )
        .unwrap();
        apply(
            &params(FillMethod::Linear),
            &mut lin,
            None,
            &MarkerSelection::All,
        )
        .unwrap();
        let e_spline = max_err(&t, &truth, 0, 100..112);
        let e_lin = max_err(&lin, &truth, 0, 100..112);
        assert!(e_spline < 0.5, "spline error {e_spline} mm");
        assert!(
            e_spline * 10.0 < e_lin,
            "spline {e_spline} vs linear {e_lin}"
        );
        // A cubic is reproduced exactly by a not-a-knot spline.
        let cubic = make(1, 40, |f, _| {
            let x = f as f32 / 10.0;
            [x * x * x - 2.0 * x, 0.0, 1.0]
        });
        let mut c = cubic.clone();
        cut(&mut c, 0, 15, 22);
        apply(
            &params(FillMethod::Spline),
            &mut c,
            None,
            &MarkerSelection::All,
        )
        .unwrap();
        assert!(max_err(&c, &cubic, 0, 15..22) < 1e-4);
        // Too little context on one side.
        let mut c = cubic.clone();
        cut(&mut c, 0, 0, 2);
        cut(&mut c, 0, 3, 10);
        let r = apply(
            &params(FillMethod::Spline),
            &mut c,
            None,
            &MarkerSelection::All,
        )
        .unwrap();
        assert_eq!(r.gaps[1].skipped, Some(SkipReason::NotEnoughContext));
    }

    /// Four markers on a rigid body moving and rotating, plus a far-away unrelated marker.
    fn rigid_take() -> MarkerTrajectories {
        let local = [
            DVec3::new(0.0, 0.0, 0.0),
            DVec3::new(120.0, 0.0, 0.0),
            DVec3::new(0.0, 90.0, 0.0),
            DVec3::new(40.0, 30.0, 70.0),
        ];
        make(5, 200, |f, m| {
            let s = f as f64 / 120.0;
            if m == 4 {
                return [(500.0 * (3.0 * s).sin()) as f32, 1000.0, (300.0 * s) as f32];
            }
            let q = DQuat::from_euler(glam::EulerRot::ZXY, 1.3 * s, 0.4 * (2.0 * s).sin(), 0.2 * s);
            let p = q * local[m] + DVec3::new(800.0 * s, 100.0 * (4.0 * s).sin(), 900.0);
            [p.x as f32, p.y as f32, p.z as f32]
        })
    }

    #[test]
    fn rigid_fill_of_a_rigid_cluster_is_exact() {
        let truth = rigid_take();
        let mut t = truth.clone();
        cut(&mut t, 3, 50, 90);
        cut(&mut t, 0, 150, 200); // end of take: one anchor only
        let r = apply(
            &params(FillMethod::Rigid),
            &mut t,
            None,
            &MarkerSelection::All,
        )
        .unwrap();
        assert_eq!(r.gaps_filled, 2, "{r:?}");
        let mut donors = r.gaps[1].donors.clone();
        donors.sort();
        assert_eq!(
            donors,
            vec!["M0", "M1", "M2"],
            "automatic donors are the rigid ones"
        );
        assert!(max_err(&t, &truth, 3, 50..90) < 0.01);
        assert!(max_err(&t, &truth, 0, 150..200) < 0.01);
        // Explicit donors, one of them not visible through the gap.
        let mut t = truth.clone();
        cut(&mut t, 3, 50, 90);
        cut(&mut t, 2, 60, 61);
        let p = FillParams {
            donors: vec!["M0".into(), "M1".into(), "M2".into()],
            ..params(FillMethod::Rigid)
        };
        let r = apply(
            &p,
            &mut t,
            None,
            &MarkerSelection::Labels(vec!["M3".into()]),
        )
        .unwrap();
        assert_eq!(r.gaps[0].skipped, Some(SkipReason::NoDonors));
    }

    #[test]
    fn pattern_fill_follows_the_donor_and_meets_both_ends() {
        // Marker 1 = marker 0 + an offset drifting linearly: pattern fill is exact.
        let truth = make(2, 120, |f, m| {
            let s = f as f32 / 120.0;
            let base = [300.0 * (5.0 * s).sin(), 200.0 * (3.0 * s).cos(), 50.0 * s];
            let off = if m == 1 {
                [10.0 + 0.2 * f as f32, -5.0, 3.0]
            } else {
                [0.0; 3]
            };
            [base[0] + off[0], base[1] + off[1], base[2] + off[2]]
        });
        let mut t = truth.clone();
        cut(&mut t, 1, 40, 70);
        let r = apply(
            &params(FillMethod::Pattern),
            &mut t,
            None,
            &MarkerSelection::All,
        )
        .unwrap();
        assert_eq!(r.gaps[0].donors, vec!["M0"]);
        assert!(max_err(&t, &truth, 1, 40..70) < 1e-3);
    }

    #[test]
    fn params_round_trip_and_validation() {
        let p = FillParams {
            method: FillMethod::Rigid,
            donors: vec!["A".into()],
            ..FillParams::default()
        };
        let j = serde_json::to_string(&p).unwrap();
        assert!(j.contains("\"rigid\""));
        assert_eq!(serde_json::from_str::<FillParams>(&j).unwrap(), p);
        let mut t = make(1, 10, |_, _| [0.0; 3]);
        let bad = FillParams {
            spline_context: 1,
            ..FillParams::default()
        };
        assert!(apply(&bad, &mut t, None, &MarkerSelection::All).is_err());
        let unknown = FillParams {
            donors: vec!["nope".into()],
            ..FillParams::default()
        };
        assert!(matches!(
            apply(&unknown, &mut t, None, &MarkerSelection::All),
            Err(SolverError::UnknownMarker(_))
        ));
    }
}
