//! Facial performance: ARKit blendshape curves plus head and eye rotations.
//!
//! The canonical channel set is Apple ARKit's 52 blendshapes, named in camelCase
//! ([`ARKIT_BLENDSHAPES`], in Live Link Face's UDP order), and the nine head/eye rotations Live Link
//! Face sends after them ([`FACE_ROTATIONS`]). Weights are unitless, 0 (neutral) to 1 (full
//! shape). Rotations are **radians**, in the subject's head space as ARKit reports them: yaw about
//! the head's up axis, pitch about its right axis, roll about its forward axis; the head's angles are
//! relative to the capture device's neutral pose, each eye's relative to the head.
//!
//! Names found in files and on characters are normalised by [`normalize_name`]: case is ignored,
//! as are `_`, `-`, `.` and spaces; a namespace before the last `.` (`blendShape1.jawOpen`) and
//! common prefixes (`head_`, `arkit_`, `bs_`, `blendshape_`, `face_`, …) are dropped, and ARKit's
//! raw `_L`/`_R` suffixes (`eyeBlink_L`) become `Left`/`Right`.

use crate::{DataError, FrameRate, Timecode};
use serde::{Deserialize, Serialize};

/// Apple ARKit's 52 blendshape names (camelCase), in Live Link Face's UDP packet order.
pub const ARKIT_BLENDSHAPES: [&str; 52] = [
    "eyeBlinkLeft",
    "eyeLookDownLeft",
    "eyeLookInLeft",
    "eyeLookOutLeft",
    "eyeLookUpLeft",
    "eyeSquintLeft",
    "eyeWideLeft",
    "eyeBlinkRight",
    "eyeLookDownRight",
    "eyeLookInRight",
    "eyeLookOutRight",
    "eyeLookUpRight",
    "eyeSquintRight",
    "eyeWideRight",
    "jawForward",
    "jawLeft",
    "jawRight",
    "jawOpen",
    "mouthClose",
    "mouthFunnel",
    "mouthPucker",
    "mouthLeft",
    "mouthRight",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "noseSneerLeft",
    "noseSneerRight",
    "tongueOut",
];

/// The nine head and eye rotations Live Link Face sends after the blendshapes (radians).
pub const FACE_ROTATIONS: [&str; 9] = [
    "headYaw",
    "headPitch",
    "headRoll",
    "leftEyeYaw",
    "leftEyePitch",
    "leftEyeRoll",
    "rightEyeYaw",
    "rightEyePitch",
    "rightEyeRoll",
];

/// A canonical face channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaceChannel {
    /// Index into [`ARKIT_BLENDSHAPES`].
    Blendshape(usize),
    /// Index into [`FACE_ROTATIONS`].
    Rotation(usize),
}

impl FaceChannel {
    /// The canonical camelCase name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Blendshape(i) => ARKIT_BLENDSHAPES[i],
            Self::Rotation(i) => FACE_ROTATIONS[i],
        }
    }
}

/// Prefixes dropped from names before matching (compared after lower-casing and removing
/// separators), longest first.
const PREFIXES: [&str; 8] = [
    "blendshapes",
    "blendshape",
    "shapekey",
    "arkit",
    "morph",
    "head",
    "face",
    "bs",
];

fn key_of(name: &str) -> String {
    // Namespace before the last '.' (Maya/FBX `blendShape1.jawOpen`).
    let tail = name.rsplit('.').next().unwrap_or(name);
    let mut s = tail.trim().to_string();
    // ARKit's raw rawValue spelling: eyeBlink_L, mouthSmile_R.
    for (suf, full) in [
        ("_L", "Left"),
        ("_R", "Right"),
        ("_l", "Left"),
        ("_r", "Right"),
    ] {
        if let Some(stem) = s.strip_suffix(suf) {
            s = format!("{stem}{full}");
            break;
        }
    }
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn lookup(key: &str) -> Option<FaceChannel> {
    if let Some(i) = ARKIT_BLENDSHAPES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(key))
    {
        return Some(FaceChannel::Blendshape(i));
    }
    FACE_ROTATIONS
        .iter()
        .position(|n| n.eq_ignore_ascii_case(key))
        .map(FaceChannel::Rotation)
}

/// The canonical channel a name stands for, in any common spelling (see the module docs):
/// `EyeBlinkLeft`, `eyeBlinkLeft`, `blendShape1.jawOpen`, `head_jawOpen`, `eyeBlink_L`,
/// `HeadYaw` all match. `None` for names that are not ARKit channels.
pub fn normalize_name(name: &str) -> Option<FaceChannel> {
    let key = key_of(name);
    if let Some(c) = lookup(&key) {
        return Some(c);
    }
    let mut rest = key.as_str();
    // Up to two prefixes (`head_bs_jawOpen`).
    for _ in 0..2 {
        let Some(p) = PREFIXES
            .iter()
            .find(|p| rest.len() > p.len() && rest.starts_with(*p))
        else {
            break;
        };
        rest = &rest[p.len()..];
        if let Some(c) = lookup(rest) {
            return Some(c);
        }
        // `blendShape1.` style numbered prefixes without a dot: drop digits too.
        let trimmed = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        if let Some(c) = lookup(trimmed) {
            return Some(c);
        }
        rest = trimmed;
    }
    None
}

/// Index into [`ARKIT_BLENDSHAPES`] of a name in any common spelling.
pub fn arkit_index(name: &str) -> Option<usize> {
    match normalize_name(name) {
        Some(FaceChannel::Blendshape(i)) => Some(i),
        _ => None,
    }
}

/// `eyeBlinkLeft` → `EyeBlinkLeft` (Live Link Face's CSV spelling).
pub fn pascal_case(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// One named curve sampled at the take's rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Channel name: the canonical camelCase name for ARKit channels, else as the source spelled it.
    pub name: String,
    /// One value per frame (blendshapes: unitless weight 0–1; rotations: radians).
    pub values: Vec<f32>,
}

/// Value range of a curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurveRange {
    /// Smallest value (same unit as the curve).
    pub min: f32,
    /// Largest value.
    pub max: f32,
    /// Mean value.
    pub mean: f32,
}

impl Curve {
    /// Min, max and mean of the values (all 0 for an empty curve).
    pub fn range(&self) -> CurveRange {
        if self.values.is_empty() {
            return CurveRange {
                min: 0.0,
                max: 0.0,
                mean: 0.0,
            };
        }
        let (mut lo, mut hi, mut sum) = (f32::INFINITY, f32::NEG_INFINITY, 0.0f64);
        for &v in &self.values {
            lo = lo.min(v);
            hi = hi.max(v);
            sum += v as f64;
        }
        CurveRange {
            min: lo,
            max: hi,
            mean: (sum / self.values.len() as f64) as f32,
        }
    }

    /// Linearly interpolated value at fractional frame `f` (clamped to the ends; 0 when empty).
    pub fn sample(&self, f: f64) -> f32 {
        let n = self.values.len();
        if n == 0 {
            return 0.0;
        }
        let f = f.clamp(0.0, (n - 1) as f64);
        let i = f.floor() as usize;
        let t = (f - i as f64) as f32;
        let a = self.values[i];
        let b = self.values[(i + 1).min(n - 1)];
        a + (b - a) * t
    }
}

/// A facial performance: blendshape weight curves and head/eye rotation curves at one rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceCurves {
    /// Sampling rate; frame `f` is at `f / rate` seconds from the take's start.
    pub rate: FrameRate,
    /// Timecode of frame 0, when the source had one.
    pub start_timecode: Option<Timecode>,
    /// Blendshape weights (unitless, 0–1): ARKit channels under their camelCase names first,
    /// then any other named weight the source had.
    pub blendshapes: Vec<Curve>,
    /// Head and eye rotations, radians (names from [`FACE_ROTATIONS`]); empty when the source had
    /// none.
    pub rotations: Vec<Curve>,
}

impl FaceCurves {
    /// Curves from parts, checking that every curve has the same number of frames.
    pub fn new(
        rate: FrameRate,
        start_timecode: Option<Timecode>,
        blendshapes: Vec<Curve>,
        rotations: Vec<Curve>,
    ) -> Result<Self, DataError> {
        let s = Self {
            rate,
            start_timecode,
            blendshapes,
            rotations,
        };
        s.check()?;
        Ok(s)
    }

    /// All 52 ARKit channels (canonical order) at zero for `frames` frames, no rotations.
    pub fn zeros_arkit(rate: FrameRate, frames: usize) -> Self {
        Self {
            rate,
            start_timecode: None,
            blendshapes: ARKIT_BLENDSHAPES
                .iter()
                .map(|n| Curve {
                    name: (*n).to_string(),
                    values: vec![0.0; frames],
                })
                .collect(),
            rotations: Vec::new(),
        }
    }

    /// Checks that every curve has [`Self::frame_count`] values.
    pub fn check(&self) -> Result<(), DataError> {
        let n = self.frame_count();
        for c in self.blendshapes.iter().chain(&self.rotations) {
            if c.values.len() != n {
                return Err(DataError::LengthMismatch {
                    what: "face curve",
                    expected: n,
                    actual: c.values.len(),
                });
            }
        }
        Ok(())
    }

    /// Number of frames (of the first curve; all curves agree, see [`Self::check`]).
    pub fn frame_count(&self) -> usize {
        self.blendshapes
            .iter()
            .chain(&self.rotations)
            .next()
            .map_or(0, |c| c.values.len())
    }

    /// Duration in seconds: frame count / rate.
    pub fn duration_s(&self) -> f64 {
        self.frame_count() as f64 * self.rate.frame_duration_s()
    }

    /// The blendshape or rotation curve for a name in any spelling [`normalize_name`] accepts
    /// (exact name for non-ARKit curves).
    pub fn curve(&self, name: &str) -> Option<&Curve> {
        let canon = normalize_name(name).map(FaceChannel::name);
        let want = canon.unwrap_or(name);
        self.blendshapes
            .iter()
            .chain(&self.rotations)
            .find(|c| c.name == want)
    }

    /// Mutable curve by name, as [`Self::curve`].
    pub fn curve_mut(&mut self, name: &str) -> Option<&mut Curve> {
        let canon = normalize_name(name).map(FaceChannel::name);
        let want = canon.unwrap_or(name);
        self.blendshapes
            .iter_mut()
            .chain(self.rotations.iter_mut())
            .find(|c| c.name == want)
    }

    /// For each of the 52 ARKit channels, the index of its curve in `blendshapes` (if present).
    pub fn arkit_lookup(&self) -> [Option<usize>; 52] {
        let mut out = [None; 52];
        for (ci, c) in self.blendshapes.iter().enumerate() {
            if let Some(i) = arkit_index(&c.name) {
                out[i].get_or_insert(ci);
            }
        }
        out
    }

    /// The 52 ARKit weights at time `t_s` seconds from frame 0 (linear interpolation; channels
    /// the take lacks are 0). `lookup` is [`Self::arkit_lookup`], computed once by the caller.
    pub fn arkit_at(&self, lookup: &[Option<usize>; 52], t_s: f64) -> [f32; 52] {
        let f = t_s * self.rate.hz();
        let mut out = [0.0; 52];
        for (o, l) in out.iter_mut().zip(lookup) {
            if let Some(ci) = l {
                *o = self.blendshapes[*ci].sample(f);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_from_common_spellings() {
        let jaw = Some(FaceChannel::Blendshape(17));
        assert_eq!(ARKIT_BLENDSHAPES[17], "jawOpen");
        for s in [
            "jawOpen",
            "JawOpen",
            "blendShape1.jawOpen",
            "head_jawOpen",
            "ARKit_JawOpen",
            "BS_jaw_open",
            "Face.Blendshapes.JAWOPEN",
        ] {
            assert_eq!(normalize_name(s), jaw, "{s}");
        }
        assert_eq!(
            normalize_name("eyeBlink_L"),
            Some(FaceChannel::Blendshape(0))
        );
        assert_eq!(
            normalize_name("mouthSmile_R"),
            arkit_index("mouthSmileRight").map(FaceChannel::Blendshape)
        );
        assert_eq!(normalize_name("HeadYaw"), Some(FaceChannel::Rotation(0)));
        assert_eq!(
            normalize_name("RightEyeRoll"),
            Some(FaceChannel::Rotation(8))
        );
        assert_eq!(normalize_name("Timecode"), None);
        assert_eq!(normalize_name("smile"), None);
        assert_eq!(normalize_name(""), None);
        // Every canonical name round-trips through its PascalCase form.
        for (i, n) in ARKIT_BLENDSHAPES.iter().enumerate() {
            assert_eq!(arkit_index(&pascal_case(n)), Some(i));
        }
    }

    #[test]
    fn curves_sample_and_check_lengths() {
        let mut f = FaceCurves::zeros_arkit(FrameRate::FPS_60, 3);
        f.curve_mut("JawOpen").unwrap().values = vec![0.0, 1.0, 0.5];
        let lk = f.arkit_lookup();
        let w = f.arkit_at(&lk, 0.5 / 60.0);
        assert!((w[17] - 0.5).abs() < 1e-6);
        assert!((f.arkit_at(&lk, 1.5 / 60.0)[17] - 0.75).abs() < 1e-6);
        assert_eq!(f.curve("jaw_open").unwrap().range().max, 1.0);
        assert!((f.duration_s() - 0.05).abs() < 1e-12);
        f.blendshapes[3].values.pop();
        assert!(f.check().is_err());
    }
}
