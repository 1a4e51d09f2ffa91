//! Comparing two takes (or a take and its re-solve): items matched by name, distances in
//! millimetres at one frame and over the take.
//!
//! Both sides are position sets as [`MarkerTrajectories`]: optical markers as captured, or a
//! skeleton's joints as markers named after the joints (`mocap_formats::world::joints_as_markers`).
//! Items pair by exact name first, then by the name without its actor prefix (`Subject:LFHD` and
//! `Other:LFHD` are the same marker), case-insensitive. The second set is brought into the first
//! one's unit and up axis before measuring; its time runs `offset_s` ahead: frame `f` of `a` meets
//! `b` at `t_a(f) + offset_s`, the nearest frame of `b`, nothing outside `b`.

use mocap_data::{FrameIndex, FrameRate, LengthUnit, MarkerTrajectories};

/// The name of an item without its actor prefix (`"Steve:LFHD"` → `"LFHD"`).
pub fn unprefixed(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Pairs `(index in a, index in b)` of items that name the same thing, in `a`'s order: an exact
/// name match, else the same name without actor prefix, ignoring case. Each item of `b` pairs at
/// most once.
pub fn match_by_name(a: &[String], b: &[String]) -> Vec<(usize, usize)> {
    let mut used = vec![false; b.len()];
    let mut out = Vec::new();
    for (i, name) in a.iter().enumerate() {
        let exact = b
            .iter()
            .enumerate()
            .position(|(k, n)| !used[k] && n == name);
        let found = exact.or_else(|| {
            let bare = unprefixed(name);
            b.iter()
                .enumerate()
                .position(|(k, n)| !used[k] && unprefixed(n).eq_ignore_ascii_case(bare))
        });
        if let Some(k) = found {
            used[k] = true;
            out.push((i, k));
        }
    }
    out
}

/// The frame of a set sampled at `b_rate` (`b_frames` frames) that meets frame `a_frame` of a set
/// sampled at `a_rate` when `b` is shifted by `offset_s` seconds (`b`'s time = `a`'s + offset),
/// nearest frame; `None` before `b`'s first or after its last frame.
pub fn frame_at(
    a_rate: FrameRate,
    a_frame: FrameIndex,
    offset_s: f64,
    b_rate: FrameRate,
    b_frames: usize,
) -> Option<FrameIndex> {
    let t = a_rate.frames_to_seconds(a_frame as i64) + offset_s;
    let f = b_rate.seconds_to_frame_round(t);
    usize::try_from(f).ok().filter(|f| *f < b_frames)
}

/// Mean and largest of a set of distances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Mean distance, millimetres.
    pub mean_mm: f32,
    /// Largest distance, millimetres.
    pub max_mm: f32,
    /// Number of distances measured (pairs where both sides had a position).
    pub count: usize,
}

/// Mean and max of the measured distances (`None` entries skipped); `None` when none was
/// measured.
pub fn summarize(distances_mm: &[Option<f32>]) -> Option<Summary> {
    let (mut sum, mut max, mut count) = (0.0f64, 0.0f32, 0usize);
    for d in distances_mm.iter().flatten() {
        sum += f64::from(*d);
        max = max.max(*d);
        count += 1;
    }
    (count > 0).then(|| Summary {
        mean_mm: (sum / count as f64) as f32,
        max_mm: max,
        count,
    })
}

/// Maps positions of `b` into `a`'s unit and up axis.
struct ToA {
    scale: f64,
    from: mocap_data::UpAxis,
    to: mocap_data::UpAxis,
}

impl ToA {
    fn new(a: &MarkerTrajectories, b: &MarkerTrajectories) -> Self {
        Self {
            scale: b.unit.factor_to(a.unit),
            from: b.up_axis,
            to: a.up_axis,
        }
    }

    fn apply(&self, p: [f32; 3]) -> [f64; 3] {
        let p = p.map(|c| f64::from(c) * self.scale);
        self.from.convert_point(self.to, p)
    }
}

/// Measures distances between items of `a` and `b` in millimetres.
struct Measure<'s> {
    a: &'s MarkerTrajectories,
    b: &'s MarkerTrajectories,
    map: ToA,
    to_mm: f64,
}

impl<'s> Measure<'s> {
    fn new(a: &'s MarkerTrajectories, b: &'s MarkerTrajectories) -> Self {
        Self {
            a,
            b,
            map: ToA::new(a, b),
            to_mm: a.unit.factor_to(LengthUnit::Millimetre),
        }
    }

    /// Item `ia` of `a` at `fa` against item `ib` of `b` at `fb`; `None` where either is a gap,
    /// out of range or not finite.
    fn distance(&self, fa: FrameIndex, ia: usize, fb: FrameIndex, ib: usize) -> Option<f32> {
        if fa >= self.a.frame_count()
            || fb >= self.b.frame_count()
            || ia >= self.a.marker_count()
            || ib >= self.b.marker_count()
        {
            return None;
        }
        let pa = self.a.position(fa, ia)?;
        let pb = self.map.apply(self.b.position(fb, ib)?);
        let d2: f64 = (0..3).map(|k| (f64::from(pa[k]) - pb[k]).powi(2)).sum();
        let d = (d2.sqrt() * self.to_mm) as f32;
        d.is_finite().then_some(d)
    }
}

/// Per pair, the distance in millimetres between the two items at frame `a_frame` of `a` (and
/// the frame of `b` that meets it, see [`frame_at`]); `None` for a gap, or for every pair when
/// `b` has no frame there or `a_frame` is past `a`'s end.
pub fn distances_at(
    a: &MarkerTrajectories,
    b: &MarkerTrajectories,
    pairs: &[(usize, usize)],
    a_frame: FrameIndex,
    offset_s: f64,
) -> Vec<Option<f32>> {
    let fb = (a_frame < a.frame_count())
        .then(|| frame_at(a.rate, a_frame, offset_s, b.rate, b.frame_count()))
        .flatten();
    let m = Measure::new(a, b);
    pairs
        .iter()
        .map(|&(ia, ib)| m.distance(a_frame, ia, fb?, ib))
        .collect()
}

/// The difference between two position sets over `a`'s frames.
#[derive(Debug, Clone, PartialEq)]
pub struct DifferenceSeries {
    /// `(index in a, index in b)` of the matched items ([`match_by_name`]).
    pub pairs: Vec<(usize, usize)>,
    /// Per frame of `a`: mean distance over the pairs measured, millimetres (NaN where none was).
    pub mean_mm: Vec<f32>,
    /// Per frame of `a`: largest distance, millimetres (NaN where none was measured).
    pub max_mm: Vec<f32>,
    /// Per pair: mean distance over the frames it was measured, millimetres (NaN if never).
    pub item_mean_mm: Vec<f32>,
    /// Offset of `b`'s time against `a`'s, seconds.
    pub offset_s: f64,
}

impl DifferenceSeries {
    /// Mean and max over every frame's mean (the take's overall figure), `None` when no frame
    /// was measured.
    pub fn overall(&self) -> Option<Summary> {
        let means: Vec<Option<f32>> = self
            .mean_mm
            .iter()
            .map(|v| v.is_finite().then_some(*v))
            .collect();
        let mut s = summarize(&means)?;
        s.max_mm = self
            .max_mm
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0, |m, v| m.max(*v));
        Some(s)
    }
}

/// The difference of `b` against `a` on every frame of `a` (items paired by [`match_by_name`],
/// `b` shifted by `offset_s` seconds).
pub fn difference_series(
    a: &MarkerTrajectories,
    b: &MarkerTrajectories,
    offset_s: f64,
) -> DifferenceSeries {
    let pairs = match_by_name(&a.labels, &b.labels);
    let m = Measure::new(a, b);
    let n = a.frame_count();
    let (mut mean_mm, mut max_mm) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut item_sum = vec![(0.0f64, 0usize); pairs.len()];
    for fa in 0..n {
        let Some(fb) = frame_at(a.rate, fa, offset_s, b.rate, b.frame_count()) else {
            mean_mm.push(f32::NAN);
            max_mm.push(f32::NAN);
            continue;
        };
        let (mut sum, mut max, mut count) = (0.0f64, 0.0f32, 0usize);
        for (k, &(ia, ib)) in pairs.iter().enumerate() {
            if let Some(d) = m.distance(fa, ia, fb, ib) {
                sum += f64::from(d);
                max = max.max(d);
                count += 1;
                item_sum[k].0 += f64::from(d);
                item_sum[k].1 += 1;
            }
        }
        if count == 0 {
            mean_mm.push(f32::NAN);
            max_mm.push(f32::NAN);
        } else {
            mean_mm.push((sum / count as f64) as f32);
            max_mm.push(max);
        }
    }
    DifferenceSeries {
        pairs,
        mean_mm,
        max_mm,
        item_mean_mm: item_sum
            .into_iter()
            .map(|(s, c)| {
                if c == 0 {
                    f32::NAN
                } else {
                    (s / c as f64) as f32
                }
            })
            .collect(),
        offset_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::{MarkerSample, UpAxis};

    fn c3d(rel: &str) -> Option<MarkerTrajectories> {
        let path = mocap_testkit::data(rel)?;
        Some(
            mocap_formats::c3d::read_path(&path)
                .expect("corpus C3D")
                .points,
        )
    }

    const T39: &str = "c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d";
    const T02: &str = "c3d_plus_skeleton/cmu_02_01_walk/02_01.c3d";

    #[test]
    fn names_pair_exactly_then_without_actor_prefix() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let a = s(&["Steve:LFHD", "Steve:RFHD", "Hips", "only_a"]);
        let b = s(&["hips", "Takeo:rfhd", "Takeo:LFHD", "Steve:LFHD"]);
        assert_eq!(match_by_name(&a, &b), vec![(0, 3), (1, 1), (2, 0)]);
        assert_eq!(unprefixed("A:B:C"), "C");
    }

    #[test]
    fn frames_meet_by_time_with_the_offset() {
        let r120 = FrameRate::FPS_120;
        let r60 = FrameRate::FPS_60;
        assert_eq!(frame_at(r120, 10, 0.0, r120, 100), Some(10));
        assert_eq!(frame_at(r120, 10, 0.5, r120, 100), Some(70));
        assert_eq!(frame_at(r120, 10, -0.5, r120, 100), None);
        assert_eq!(frame_at(r120, 120, 0.0, r60, 100), Some(60));
        assert_eq!(frame_at(r120, 0, 10.0, r60, 100), None);
    }

    #[test]
    fn a_real_take_against_itself_differs_by_nothing() {
        let Some(a) = c3d(T39) else { return };
        let s = difference_series(&a, &a, 0.0);
        assert_eq!(s.pairs.len(), a.marker_count());
        assert!(s.pairs.iter().all(|(i, k)| i == k));
        let o = s.overall().expect("measured");
        assert_eq!(o.count, a.frame_count());
        assert_eq!(o.max_mm, 0.0);
        assert_eq!(o.mean_mm, 0.0);
        let at = distances_at(&a, &a, &s.pairs, 100, 0.0);
        assert!(at.iter().flatten().all(|d| *d == 0.0));
        assert!(at.iter().flatten().count() > 300);
    }

    #[test]
    fn the_same_take_in_metres_and_y_up_still_differs_by_nothing() {
        let Some(a) = c3d(T39) else { return };
        let f = a.unit.factor_to(LengthUnit::Metre);
        let b = MarkerTrajectories::from_fn(
            a.labels.clone(),
            a.frame_count(),
            a.rate,
            LengthUnit::Metre,
            UpAxis::Y,
            |fr, m| {
                let s = a.sample(fr, m);
                let p = a
                    .up_axis
                    .convert_point(UpAxis::Y, s.position.map(|c| f64::from(c) * f));
                MarkerSample {
                    position: p.map(|c| c as f32),
                    ..s
                }
            },
        )
        .expect("same shape");
        let o = difference_series(&a, &b, 0.0).overall().expect("measured");
        assert!(o.max_mm < 0.01, "{o:?}");
    }

    #[test]
    fn a_one_frame_offset_measures_the_walk() {
        let Some(a) = c3d(T39) else { return };
        let dt = 1.0 / a.rate.hz();
        let s = difference_series(&a, &a, dt);
        // The last frame meets nothing.
        assert!(s.mean_mm.last().is_some_and(|v| v.is_nan()));
        let o = s.overall().expect("measured");
        assert_eq!(o.count, a.frame_count() - 1);
        // A walk at about 1.3 m/s moves ~11 mm in 1/120 s; limbs swing faster.
        assert!(o.mean_mm > 3.0 && o.mean_mm < 40.0, "{o:?}");
        assert!(o.max_mm > o.mean_mm, "{o:?}");
    }

    #[test]
    fn two_subjects_pair_by_marker_name_and_differ() {
        let (Some(a), Some(b)) = (c3d(T39), c3d(T02)) else {
            return;
        };
        let s = difference_series(&a, &b, 0.0);
        // 02_01's 41 markers are the standard CMU set, all also in 39_01 (other prefix).
        assert!(s.pairs.len() >= 35, "{} pairs", s.pairs.len());
        for &(i, k) in &s.pairs {
            assert_eq!(unprefixed(&a.labels[i]), unprefixed(&b.labels[k]));
        }
        let o = s.overall().expect("measured");
        // 39_01 (378 frames) is longer than 02_01 (343): later frames meet nothing.
        assert_eq!(o.count, b.frame_count().min(a.frame_count()));
        assert!(o.mean_mm > 100.0, "{o:?}");
        assert!(
            s.item_mean_mm.iter().all(|v| *v > 0.0),
            "{:?}",
            s.item_mean_mm
        );
        let at = distances_at(&a, &b, &s.pairs, 0, 0.0);
        let sum = summarize(&at).expect("frame 0 measured");
        assert!((sum.mean_mm - s.mean_mm[0]).abs() < 1e-3);
        assert!(
            distances_at(&a, &b, &s.pairs, 370, 0.0)
                .iter()
                .all(Option::is_none)
        );
    }
}
