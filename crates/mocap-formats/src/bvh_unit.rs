//! BVH has no unit field: the length unit guessed from the skeleton's size.
//!
//! A person is about 1.7 m tall (1.5–2.0 m; a T-pose's arm span is about the same), so the
//! unit that makes the rest pose's largest extent closest to 1.7 m is the guess. The reason
//! string says what was measured and what the other units would mean, for the Inspector and
//! `mocap info`.

use mocap_data::{DQuat, DVec3, LengthUnit, Skeleton};

/// The size a human skeleton is assumed to have, metres.
const HUMAN_M: f64 = 1.7;

/// Sizes (metres) taken as a plausible person or humanoid character.
const PLAUSIBLE_M: (f64, f64) = (0.9, 2.6);

/// A guessed length unit for a skeleton whose file does not state one.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitGuess {
    /// The guessed unit of the file's offsets and position channels.
    pub unit: LengthUnit,
    /// Largest extent of the rest pose (joints and end sites), in the file's own numbers.
    pub extent: f64,
    /// That extent in metres under the guess.
    pub size_m: f64,
    /// Whether `size_m` is a plausible human size (0.9–2.6 m); when false the guess is only the
    /// nearest unit and the user should set it.
    pub plausible: bool,
    /// One sentence: what was measured and why this unit (shown to the user).
    pub reason: String,
}

/// Rest-pose positions of the figure: every joint and end site under the first joint that
/// branches (the hips of a humanoid), relative to it. The chain above it (a root at the origin,
/// Bandai Namco's `joint_Root` → `Hips` offset that also places the figure 4 m away) says where
/// the figure stands, not how big it is. Numbers in the skeleton's own unit.
fn rest_points(s: &Skeleton) -> Vec<DVec3> {
    let n = s.joints.len();
    let mut children = vec![0usize; n];
    for j in &s.joints {
        if let Some(p) = j.parent.filter(|&p| p < n) {
            children[p] += 1;
        }
    }
    let top = (0..n).find(|&i| children[i] >= 2).unwrap_or(0);
    let mut world: Vec<Option<(DVec3, DQuat)>> = vec![None; n];
    let mut out = Vec::with_capacity(n * 2);
    for (i, j) in s.joints.iter().enumerate() {
        let here = if i == top {
            Some((DVec3::ZERO, DQuat::IDENTITY))
        } else {
            j.parent
                .and_then(|p| world.get(p).copied().flatten())
                .map(|(pp, pq)| (pp + pq * j.offset, pq * j.rest_rotation))
        };
        let Some((p, q)) = here else {
            continue;
        };
        world[i] = Some((p, q));
        out.push(p);
        if let Some(e) = j.end_site {
            out.push(p + q * e);
        }
    }
    out
}

/// Guesses the unit of `skeleton`'s lengths (its `unit` field is ignored) from the size of its
/// rest pose: the unit among millimetres, centimetres, metres and inches that makes the largest
/// extent closest to a 1.7 m person.
pub fn guess_unit(skeleton: &Skeleton) -> UnitGuess {
    let pts = rest_points(skeleton);
    let mut extent = 0.0f64;
    for axis in 0..3 {
        let (lo, hi) = pts
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p[axis]), hi.max(p[axis]))
            });
        if hi >= lo {
            extent = extent.max(hi - lo);
        }
    }
    const UNITS: [LengthUnit; 4] = [
        LengthUnit::Millimetre,
        LengthUnit::Centimetre,
        LengthUnit::Metre,
        LengthUnit::Inch,
    ];
    if !(extent.is_finite() && extent > 0.0) {
        return UnitGuess {
            unit: LengthUnit::Centimetre,
            extent,
            size_m: extent * 0.01,
            plausible: false,
            reason: "the rest pose has no size (all offsets zero): assuming centimetres, as \
                     MotionBuilder and Blender do; set the unit"
                .into(),
        };
    }
    let size = |u: LengthUnit| extent * u.to_mm() / 1000.0;
    let unit = UNITS
        .into_iter()
        .min_by(|a, b| {
            let d = |u: LengthUnit| (size(u) / HUMAN_M).ln().abs();
            d(*a).total_cmp(&d(*b))
        })
        .unwrap_or(LengthUnit::Centimetre);
    let size_m = size(unit);
    let plausible = (PLAUSIBLE_M.0..=PLAUSIBLE_M.1).contains(&size_m);
    let others: Vec<String> = UNITS
        .iter()
        .filter(|u| **u != unit)
        .map(|u| format!("{} {}", u.symbol(), fmt_m(size(*u))))
        .collect();
    let reason = if plausible {
        format!(
            "the rest pose spans {extent:.4} units: {} in {} fits a person (1.5–2.0 m); \
             other units would make it {}",
            fmt_m(size_m),
            unit.symbol(),
            others.join(", ")
        )
    } else {
        format!(
            "the rest pose spans {extent:.4} units, no unit makes it person-sized \
             ({} in {}, the nearest; {}): check the unit",
            fmt_m(size_m),
            unit.symbol(),
            others.join(", ")
        )
    };
    UnitGuess {
        unit,
        extent,
        size_m,
        plausible,
        reason,
    }
}

fn fmt_m(m: f64) -> String {
    if m >= 10.0 {
        format!("{m:.0} m")
    } else {
        format!("{m:.2} m")
    }
}
