//! Marker sets: which markers sit on which segment, where, and how much they count.
//!
//! Marker sets are **data** (JSON files in `crates/mocap-solver/presets/markersets/`, schema in
//! the README there), embedded into the binary for the presets and loadable from any path for
//! users' own sets. A marker names its segment (a joint name of the skeleton, with optional
//! alternative names), an optional anchor point (a joint's rest position, optionally moved a
//! fraction `along` that joint's bone) and an offset in millimetres, either in the skeleton's
//! rest-pose world axes (`"offset_frame": "rest_world"`) or in the segment's own frame
//! (`"segment"`). Placing a set on a [`SolverModel`] gives each marker a fixed offset in its
//! segment's frame (mm); calibration refines those offsets per subject.
//!
//! Take labels may carry a subject prefix (`SteveWalk:LFHD`, `Actor1:LFHD`): everything up to
//! the last `:` is the actor name; matching uses the rest.

use crate::error::SolverError;
use crate::model::{Pose, SolverModel, WorldPose, unit_axis};
use mocap_data::DVec3;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Names of the built-in marker sets.
pub const PRESET_NAMES: &[&str] = &["cmu41", "fullbody53"];

const CMU41_JSON: &str = include_str!("../presets/markersets/cmu41.json");
const FULLBODY53_JSON: &str = include_str!("../presets/markersets/fullbody53.json");

/// Frame in which marker offsets of a set are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OffsetFrame {
    /// The skeleton's world axes with every channel at zero (rest pose), millimetres.
    #[default]
    RestWorld,
    /// The segment's own joint frame (rest rotation included), millimetres.
    Segment,
}

/// One or several accepted names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Names {
    /// A single name.
    One(String),
    /// Alternatives, first match on the skeleton wins.
    Many(Vec<String>),
}

impl Names {
    /// The names as a slice-like iterator.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let v: Vec<&str> = match self {
            Names::One(s) => vec![s.as_str()],
            Names::Many(v) => v.iter().map(|s| s.as_str()).collect(),
        };
        v.into_iter()
    }
}

fn default_weight() -> f64 {
    1.0
}

/// One marker of a [`MarkerSet`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerDef {
    /// Marker label without subject prefix (`LFHD`).
    pub name: String,
    /// Segment (joint) the marker is rigidly attached to; alternatives allowed.
    pub segment: Names,
    /// Joint whose rest position is the origin of `offset_mm`; defaults to the segment's joint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Names>,
    /// Fraction (0–1) of the anchor joint's bone (towards its first child or end site) to move
    /// the origin along before applying the offset.
    #[serde(default)]
    pub along: f64,
    /// Offset from the anchor point in millimetres, in the set's [`OffsetFrame`].
    pub offset_mm: [f64; 3],
    /// Relative weight in the solve (1 = normal; 0 disables the marker).
    #[serde(default = "default_weight")]
    pub weight: f64,
}

/// A marker set (see the module docs and `presets/markersets/README.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerSet {
    /// Short name (`cmu41`).
    pub name: String,
    /// Free text: origin, intended skeleton, axis convention of the offsets.
    #[serde(default)]
    pub description: String,
    /// Frame of every `offset_mm`.
    #[serde(default)]
    pub offset_frame: OffsetFrame,
    /// The markers.
    pub markers: Vec<MarkerDef>,
    /// Joint stiffness the set needs (joints its markers cannot tell apart, such as a spine
    /// with one marker between three joints); used by every solve and calibration with this
    /// set (see [`crate::ik::SolveOptions::stiffness`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stiffness: Vec<crate::ik::JointStiffness>,
}

/// A marker placed on a model: fixed offset in its segment's frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacedMarker {
    /// Marker label without prefix.
    pub name: String,
    /// Segment joint name.
    pub segment: String,
    /// Offset from the segment's joint origin, mm, in the segment's joint frame.
    pub offset_mm: [f64; 3],
    /// Relative weight.
    pub weight: f64,
}

/// A placed marker matched to a column of a take.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundMarker {
    /// Marker label without prefix.
    pub name: String,
    /// Column of the marker in the take's [`mocap_data::MarkerTrajectories`].
    pub take_index: usize,
    /// Segment joint index in the model.
    pub segment: usize,
    /// Offset from the segment's joint origin, mm, segment frame.
    pub offset_mm: DVec3,
    /// Relative weight.
    pub weight: f64,
}

/// The markers of one actor found in a take.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerBinding {
    /// Actor name: the take labels' prefix before `:` (empty when labels have none).
    pub actor: String,
    /// Markers found in the take.
    pub markers: Vec<BoundMarker>,
    /// Marker-set names the take lacks for this actor.
    pub missing: Vec<String>,
}

impl MarkerSet {
    /// A built-in preset by name (see [`PRESET_NAMES`]).
    pub fn preset(name: &str) -> Result<Self, SolverError> {
        let text = match name.to_ascii_lowercase().as_str() {
            "cmu41" => CMU41_JSON,
            "fullbody53" => FULLBODY53_JSON,
            _ => return Err(SolverError::UnknownMarkerSet(name.to_string())),
        };
        Self::from_json(text, name)
    }

    /// Parses a marker-set JSON document; `source` names it in errors.
    pub fn from_json(text: &str, source: &str) -> Result<Self, SolverError> {
        let set: MarkerSet = serde_json::from_str(text).map_err(|e| SolverError::BadMarkerSet {
            name: source.to_string(),
            reason: e.to_string(),
        })?;
        set.check(source)?;
        Ok(set)
    }

    /// A preset name, or else a path to a JSON file.
    pub fn load(name_or_path: &str) -> Result<Self, SolverError> {
        if PRESET_NAMES
            .iter()
            .any(|p| p.eq_ignore_ascii_case(name_or_path))
        {
            return Self::preset(name_or_path);
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(SolverError::UnknownMarkerSet(name_or_path.to_string()));
        }
        let text = std::fs::read_to_string(path).map_err(|source| SolverError::Io {
            path: path.to_path_buf(),
            error: source,
        })?;
        Self::from_json(&text, name_or_path)
    }

    fn check(&self, source: &str) -> Result<(), SolverError> {
        let bad = |reason: String| SolverError::BadMarkerSet {
            name: source.to_string(),
            reason,
        };
        if self.markers.is_empty() {
            return Err(bad("it lists no markers".into()));
        }
        for (i, m) in self.markers.iter().enumerate() {
            if m.name.is_empty() {
                return Err(bad(format!("marker #{i} has an empty name")));
            }
            if self.markers[..i].iter().any(|o| o.name == m.name) {
                return Err(bad(format!("marker {} is listed twice", m.name)));
            }
            if !m.offset_mm.iter().all(|v| v.is_finite())
                || !m.along.is_finite()
                || !m.weight.is_finite()
                || m.weight < 0.0
            {
                return Err(bad(format!(
                    "marker {} has a non-finite offset/along or a negative weight",
                    m.name
                )));
            }
            if m.segment.iter().next().is_none() {
                return Err(bad(format!("marker {} names no segment", m.name)));
            }
        }
        for (i, st) in self.stiffness.iter().enumerate() {
            if st.joints.is_empty() {
                return Err(bad(format!("stiffness entry #{i} names no joint")));
            }
            if !st.weight.is_finite() || st.weight < 0.0 {
                return Err(bad(format!(
                    "stiffness entry #{i} ({}) has weight {}; use a finite weight of 0 or more",
                    st.joints.join(", "),
                    st.weight
                )));
            }
        }
        Ok(())
    }

    /// Places the set on `model`: offsets in segment frames (mm). Markers whose segment or
    /// anchor is not a joint of the model are returned in the second list.
    pub fn place(&self, model: &SolverModel) -> (Vec<PlacedMarker>, Vec<String>) {
        let n = model.joints.len();
        let mut world = WorldPose::new(n);
        let rest: Pose = model.rest_pose();
        model.forward(&rest, &mut world);
        let find = |names: &Names| names.iter().find_map(|s| model.joint_index(s));
        let mut placed = Vec::new();
        let mut unplaced = Vec::new();
        for m in &self.markers {
            let Some(seg) = find(&m.segment) else {
                unplaced.push(m.name.clone());
                continue;
            };
            let anchor = match &m.anchor {
                Some(a) => match find(a) {
                    Some(i) => i,
                    None => {
                        unplaced.push(m.name.clone());
                        continue;
                    }
                },
                None => seg,
            };
            let a_rot = world.rotation[anchor];
            let origin =
                world.position_mm[anchor] + a_rot * (model.joints[anchor].bone_end_mm * m.along);
            let off = DVec3::from_array(m.offset_mm);
            let p = match self.offset_frame {
                OffsetFrame::RestWorld => origin + off,
                OffsetFrame::Segment => origin + world.rotation[seg] * off,
            };
            let local = world.rotation[seg].inverse() * (p - world.position_mm[seg]);
            placed.push(PlacedMarker {
                name: m.name.clone(),
                segment: model.joints[seg].name.clone(),
                offset_mm: local.to_array(),
                weight: m.weight,
            });
        }
        (placed, unplaced)
    }

    /// An automatic set for any skeleton: three non-collinear markers on every segment, spread
    /// along its bone and 50–90 mm off it, named `<joint>_m0..2`. Used when a named set does not
    /// fit the skeleton (synthetic benchmarks on arbitrary BVH).
    pub fn automatic(model: &SolverModel) -> Self {
        let mut markers = Vec::new();
        for joint in &model.joints {
            let b = joint.bone_end_mm;
            let len = b.length();
            let dir = if len > 1.0 { b / len } else { DVec3::Y };
            let len = len.max(100.0);
            let d = (0.3 * len).clamp(50.0, 90.0);
            // Two unit vectors perpendicular to the bone.
            let helper = if dir.x.abs() < 0.9 {
                unit_axis(0)
            } else {
                unit_axis(1)
            };
            let u = dir.cross(helper).normalize();
            let v = dir.cross(u);
            let pts = [
                dir * (0.3 * len) + u * d,
                dir * (0.6 * len) + v * d,
                dir * (0.85 * len) - u * d,
            ];
            for (k, p) in pts.iter().enumerate() {
                markers.push(MarkerDef {
                    name: format!("{}_m{k}", joint.name),
                    segment: Names::One(joint.name.clone()),
                    anchor: None,
                    along: 0.0,
                    offset_mm: p.to_array(),
                    weight: 1.0,
                });
            }
        }
        MarkerSet {
            stiffness: Vec::new(),
            name: "automatic".into(),
            description: "three markers per segment, generated from the skeleton".into(),
            offset_frame: OffsetFrame::Segment,
            markers,
        }
    }

    /// Serialises to pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Splits a take label into (actor prefix, marker name) at the last `:`.
pub fn split_label(label: &str) -> (&str, &str) {
    match label.rfind(':') {
        Some(i) => (&label[..i], &label[i + 1..]),
        None => ("", label),
    }
}

/// Actor prefixes present in `labels`, in order of first appearance, keeping only those with at
/// least `min_matches` labels that are names in `names` (empty prefix for unprefixed labels).
pub fn actors_in_take<'a>(
    labels: &[String],
    names: impl Iterator<Item = &'a str> + Clone,
    min_matches: usize,
) -> Vec<String> {
    let mut prefixes: Vec<(String, usize)> = Vec::new();
    for l in labels {
        let (p, n) = split_label(l.trim());
        let hit = names.clone().any(|m| m.eq_ignore_ascii_case(n));
        match prefixes.iter_mut().find(|(q, _)| q == p) {
            Some((_, c)) => *c += hit as usize,
            None => prefixes.push((p.to_string(), hit as usize)),
        }
    }
    prefixes
        .into_iter()
        .filter(|(_, c)| *c >= min_matches.max(1))
        .map(|(p, _)| p)
        .collect()
}

/// Matches placed markers to the take columns of `actor` (label prefix; empty for none).
/// Matching is by name after the prefix, exact first, then ASCII case-insensitive; the first
/// column wins when a label repeats.
pub fn bind(
    model: &SolverModel,
    placed: &[PlacedMarker],
    labels: &[String],
    actor: &str,
) -> MarkerBinding {
    let mut markers = Vec::new();
    let mut missing = Vec::new();
    for pm in placed {
        let col = labels
            .iter()
            .position(|l| split_label(l.trim()) == (actor, pm.name.as_str()))
            .or_else(|| {
                labels.iter().position(|l| {
                    let (p, n) = split_label(l.trim());
                    p == actor && n.eq_ignore_ascii_case(&pm.name)
                })
            });
        let seg = model.joint_index(&pm.segment);
        match (col, seg) {
            (Some(c), Some(s)) if pm.weight > 0.0 => markers.push(BoundMarker {
                name: pm.name.clone(),
                take_index: c,
                segment: s,
                offset_mm: DVec3::from_array(pm.offset_mm),
                weight: pm.weight,
            }),
            (_, _) if pm.weight <= 0.0 => {}
            _ => missing.push(pm.name.clone()),
        }
    }
    MarkerBinding {
        actor: actor.to_string(),
        markers,
        missing,
    }
}

/// Minimum number of markers for a solve: half the set, at least 4.
pub fn minimum_markers(set_size: usize) -> usize {
    set_size.div_ceil(2).max(4)
}

/// Checks that a binding has enough markers: an error when fewer than [`minimum_markers`]
/// remain; otherwise the names that are missing (the caller warns).
pub fn check_binding(binding: &MarkerBinding, set_size: usize) -> Result<(), SolverError> {
    let needed = minimum_markers(set_size);
    if binding.markers.len() < needed {
        let mut missing = binding
            .missing
            .iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if binding.missing.len() > 12 {
            missing.push_str(", …");
        }
        return Err(SolverError::TooFewMarkers {
            actor: if binding.actor.is_empty() {
                "the take".into()
            } else {
                format!("actor `{}`", binding.actor)
            },
            found: binding.markers.len(),
            wanted: set_size,
            needed,
            missing,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_with_expected_sizes() {
        let a = MarkerSet::preset("cmu41").expect("cmu41");
        assert_eq!(a.markers.len(), 41);
        let b = MarkerSet::preset("fullbody53").expect("fullbody53");
        assert_eq!(b.markers.len(), 53);
        for n in ["LFWT", "RFWT", "LBWT", "RBWT", "LFHD"] {
            assert!(b.markers.iter().any(|m| m.name == n), "{n}");
        }
        assert!(matches!(
            MarkerSet::load("nope"),
            Err(SolverError::UnknownMarkerSet(_))
        ));
    }

    #[test]
    fn labels_split_and_actors() {
        assert_eq!(split_label("SteveWalk:LFHD"), ("SteveWalk", "LFHD"));
        assert_eq!(split_label("LFHD"), ("", "LFHD"));
        let labels: Vec<String> = ["A:LFHD", "A:RFHD", "B:LFHD", "B:RFHD", "C:x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let names = ["LFHD", "RFHD"];
        assert_eq!(
            actors_in_take(&labels, names.iter().copied(), 2),
            vec!["A".to_string(), "B".to_string()]
        );
    }

    #[test]
    fn bad_json_is_a_clear_error() {
        let e = MarkerSet::from_json(r#"{"name":"x","markers":[]}"#, "x.json");
        assert!(matches!(e, Err(SolverError::BadMarkerSet { .. })));
        let e = MarkerSet::from_json(
            r#"{"name":"x","markers":[{"name":"A","segment":"s","offset_mm":[0,0,"z"]}]}"#,
            "x.json",
        );
        assert!(matches!(e, Err(SolverError::BadMarkerSet { .. })));
    }
}
