//! The live take: the last [`LIVE_WINDOW_S`] seconds of every stream as one take — markers
//! (labels from the model definitions, metres, Y-up), the skeleton motion of each actor (a
//! skeleton stream's bones, or the live solve's poses) at the markers' rate, and the face
//! (ARKit weights and head/eye rotations at the face's own rate) — each a ring that scrolls as
//! frames arrive, so the viewport, characters and faces read it as they read any take.

use std::path::PathBuf;

use mocap_data::face::{ARKIT_BLENDSHAPES, Curve, FACE_ROTATIONS};
use mocap_data::{
    FaceCurves, FrameRate, LengthUnit, MarkerTrajectories, Motion, Skeleton, Timecode,
    TimecodeFormat, UpAxis,
};

use crate::model::session::{Actor, AxisConvention, Take};

/// Seconds of the stream the live take keeps (a ring: older frames scroll out).
pub const LIVE_WINDOW_S: f64 = 4.0;

/// What a live take holds (it is rebuilt when this changes).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveShape {
    /// Marker labels (`SET:MARKER`; empty: no markers, a skeleton stream).
    pub labels: Vec<String>,
    /// The body stream's rate (markers and skeleton motions).
    pub rate: FrameRate,
    /// One skeleton per actor (name, skeleton in its own unit, Y-up): actor 0 is the take's
    /// skeleton, others its further actors.
    pub skeletons: Vec<(String, Skeleton)>,
    /// The face's rate, when faces arrive.
    pub face_rate: Option<FrameRate>,
}

/// Frames of a ring of [`LIVE_WINDOW_S`] at `rate`.
pub fn ring_frames(rate: FrameRate) -> usize {
    ((LIVE_WINDOW_S * rate.hz()).ceil() as usize).max(2)
}

/// An empty live take of `shape`: markers all gaps, motions all zeros, the face neutral.
pub fn live_take(name: String, shape: &LiveShape) -> Result<Take, mocap_data::DataError> {
    let rate = shape.rate;
    let frames = ring_frames(rate);
    let n = shape.labels.len();
    let markers = if n > 0 {
        Some(MarkerTrajectories::new(
            shape.labels.clone(),
            frames,
            rate,
            LengthUnit::Metre,
            UpAxis::Y,
        )?)
    } else {
        None
    };
    let mut motions = Vec::new();
    for (name, sk) in &shape.skeletons {
        motions.push((name.clone(), sk.clone(), Motion::zeros(sk, frames, rate)?));
    }
    let mut motions = motions.into_iter();
    let (skeleton, motion) = match motions.next() {
        Some((_, s, m)) => (Some(s), Some(m)),
        None => (None, None),
    };
    let actors = motions
        .map(|(name, skeleton, motion)| Actor {
            name,
            source: PathBuf::new(),
            skeleton,
            motion,
            axes: AxisConvention::Up(UpAxis::Y),
            unit_guess: None,
        })
        .collect();
    let face = shape.face_rate.map(|r| neutral_face(r, ring_frames(r)));
    Ok(Take {
        name,
        sources: Vec::new(),
        rate,
        frame_count: frames,
        start_timecode: Timecode::from_frame_count(0, TimecodeFormat::for_rate(rate)),
        skeleton,
        skeleton_axes: AxisConvention::Up(UpAxis::Y),
        skeleton_unit_guess: None,
        face,
        motion,
        markers,
        marker_segments: vec![None; n],
        events: Vec::new(),
        in_frame: None,
        out_frame: None,
        cleanup: Default::default(),
        actors,
        solved: None,
    })
}

/// The 52 ARKit weights and 9 head/eye rotations at 0 for `frames` frames.
pub fn neutral_face(rate: FrameRate, frames: usize) -> FaceCurves {
    let mut f = FaceCurves::zeros_arkit(rate, frames);
    f.rotations = FACE_ROTATIONS
        .iter()
        .map(|n| Curve {
            name: (*n).to_string(),
            values: vec![0.0; frames],
        })
        .collect();
    f
}

/// Moves every marker sample `shift` frames earlier; the last `shift` frames become gaps.
pub fn scroll_markers(markers: &mut MarkerTrajectories, shift: usize) {
    let n = markers.marker_count();
    let frames = markers.frame_count();
    let keep = frames.saturating_sub(shift) * n;
    let from = shift.min(frames) * n;
    markers.positions_mut().copy_within(from.., 0);
    markers.residuals_mut().copy_within(from.., 0);
    markers.camera_masks_mut().copy_within(from.., 0);
    let valid = markers.valid_mut();
    valid.copy_within(from.., 0);
    valid[keep..].fill(false);
}

/// Moves every motion frame `shift` frames earlier; the frames that open at the end hold the
/// pose that was last (a skeleton does not vanish while a frame is missing).
pub fn scroll_motion(motion: &mut Motion, shift: usize) {
    let cpf = motion.channels_per_frame;
    let frames = motion.frame_count();
    let shift = shift.min(frames.saturating_sub(1));
    if shift == 0 || cpf == 0 {
        return;
    }
    motion.values.copy_within(shift * cpf.., 0);
    let last = (frames - 1 - shift) * cpf;
    for f in frames - shift..frames {
        motion.values.copy_within(last..last + cpf, f * cpf);
    }
}

/// Writes `values` (one frame of channel values) as the motion's newest frame.
pub fn set_newest_pose(motion: &mut Motion, values: &[f32]) {
    let frames = motion.frame_count();
    if frames == 0 || values.len() != motion.channels_per_frame {
        return;
    }
    motion.frame_mut(frames - 1).copy_from_slice(values);
}

/// Scrolls the face `shift` frames (the opening frames hold the last values) and writes
/// `weights` (52 ARKit, unitless 0–1) and `rotations` (9, radians) as its newest frame.
pub fn push_face(face: &mut FaceCurves, shift: usize, weights: &[f32; 52], rotations: &[f32; 9]) {
    for c in face.blendshapes.iter_mut().chain(face.rotations.iter_mut()) {
        let frames = c.values.len();
        let s = shift.min(frames.saturating_sub(1));
        if s > 0 {
            c.values.copy_within(s.., 0);
            let hold = c.values[frames - 1 - s];
            c.values[frames - s..].fill(hold);
        }
    }
    for (c, w) in face.blendshapes.iter_mut().zip(weights) {
        if let Some(v) = c.values.last_mut() {
            *v = *w;
        }
    }
    for (c, r) in face.rotations.iter_mut().zip(rotations) {
        if let Some(v) = c.values.last_mut() {
            *v = *r;
        }
    }
    debug_assert_eq!(face.blendshapes.len(), ARKIT_BLENDSHAPES.len());
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::{Channel, DVec3, Joint};

    fn skeleton() -> Skeleton {
        let mut hips = Joint::new("Hips", None, DVec3::ZERO);
        hips.channels = Channel::POSITION_ROTATION_ZXY.to_vec();
        let mut spine = Joint::new("Spine", Some(0), DVec3::Y * 0.1);
        spine.channels = Channel::ROTATION_ZXY.to_vec();
        Skeleton {
            joints: vec![hips, spine],
            unit: LengthUnit::Metre,
            up_axis: UpAxis::Y,
        }
    }

    #[test]
    fn a_skeleton_stream_makes_a_take_without_markers_whose_motion_scrolls_and_holds() {
        let shape = LiveShape {
            labels: Vec::new(),
            rate: FrameRate::integer(60).expect("rate"),
            skeletons: vec![("VMC".into(), skeleton())],
            face_rate: Some(FrameRate::integer(60).expect("rate")),
        };
        let mut take = live_take("Live".into(), &shape).expect("take");
        assert!(take.markers.is_none());
        assert_eq!(take.frame_count, 240);
        let face = take.face.as_ref().expect("face");
        assert_eq!((face.blendshapes.len(), face.rotations.len()), (52, 9));
        let m = take.motion.as_mut().expect("motion");
        let pose: Vec<f32> = (0..9).map(|c| c as f32).collect();
        set_newest_pose(m, &pose);
        scroll_motion(m, 3);
        assert_eq!(m.frame(236), pose.as_slice(), "moved back by 3");
        assert_eq!(m.frame(239), pose.as_slice(), "held");
        assert_eq!(m.frame(235), [0.0; 9].as_slice());
        let face = take.face.as_mut().expect("face");
        let mut w = [0.0; 52];
        w[17] = 0.7;
        push_face(face, 1, &w, &[0.1; 9]);
        push_face(face, 2, &[0.0; 52], &[0.0; 9]);
        assert_eq!(face.blendshapes[17].values[236], 0.0);
        assert_eq!(face.blendshapes[17].values[237], 0.7, "moved back by 2");
        assert_eq!(
            face.blendshapes[17].values[238], 0.7,
            "held over the lost frame"
        );
        assert_eq!(face.blendshapes[17].values[239], 0.0);
        assert_eq!(face.rotations[0].values[237], 0.1);
    }
}
