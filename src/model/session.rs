//! The open session: the loaded [`Take`] (markers, primary skeleton and motion, further
//! [`Actor`]s), the [`Session`] resource that holds it, and the [`SessionCommand`]s that change
//! what is loaded. The session plugin applies them; every other plugin reads them.

use std::path::PathBuf;

use bevy::prelude::*;
use mocap_data::{Event, FrameIndex, FrameRate, MarkerTrajectories, Motion, Skeleton, Timecode};
pub use mocap_formats::bvh::UnitGuess;
pub use mocap_formats::world::AxisConvention;

/// Requests that change what is loaded.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum SessionCommand {
    /// Replace the take with the generated demo performance.
    LoadDemo,
    /// Open files (C3D, TRC, BVH, ASF+AMC, glTF/GLB, face takes as .csv/.json); each contributes
    /// to the current take. A second skeleton motion (BVH, AMC) in the same batch joins the take
    /// as another actor; a face take becomes the open take's face (or a take of its own).
    Open(Vec<PathBuf>),
    /// Add a skeleton motion (BVH, or AMC with its ASF) to the open take as another actor.
    AddActor(PathBuf),
    /// Close the take.
    Close,
    /// Write the take's skeleton and motion as BVH (through `mocap_formats::bvh`).
    ExportBvh(PathBuf),
    /// Write the built-in mannequin playing the take's motion as GLB (through
    /// `mocap_solver::mannequin::to_glb`, the same writer as `mocap export-glb`).
    ExportGlb(PathBuf),
}

/// One take: what was captured in one recording, possibly with a character solved onto it.
#[derive(Debug, Clone)]
pub struct Take {
    /// Display name (file stem or "Demo").
    pub name: String,
    /// Files this take was assembled from.
    pub sources: Vec<PathBuf>,
    /// Sampling rate of the take's frames (markers' rate if any, else the motion's).
    pub rate: FrameRate,
    /// Number of frames (samples) in the take.
    pub frame_count: usize,
    /// Timecode of frame 0, in the format the source gave it.
    pub start_timecode: Timecode,
    /// Character skeleton, in its own unit and up axis.
    pub skeleton: Option<Skeleton>,
    /// How `skeleton`'s axes relate to the lab's (Vicon's ASF axes, or its up axis): with its
    /// unit, where its joints land in the markers' world ([`mocap_formats::world::Placement`]).
    pub skeleton_axes: AxisConvention,
    /// For a BVH skeleton, the unit guessed from the figure's size and why (BVH states none).
    pub skeleton_unit_guess: Option<UnitGuess>,
    /// Channel values for `skeleton`.
    pub motion: Option<Motion>,
    /// Optical markers, in their own unit and up axis.
    pub markers: Option<MarkerTrajectories>,
    /// Per marker: the segment (joint name) it is attached to, when known (demo, solved takes).
    pub marker_segments: Vec<Option<String>>,
    /// Events (foot strikes, slate marks…), seconds from frame 0.
    pub events: Vec<Event>,
    /// First frame of the working range (inclusive), if set.
    pub in_frame: Option<FrameIndex>,
    /// Last frame of the working range (inclusive), if set.
    pub out_frame: Option<FrameIndex>,
    /// Non-destructive marker clean-up: `markers` is the raw take run through this stack (see
    /// [`crate::cleanup`]).
    pub cleanup: mocap_solver::stack::OpStack,
    /// Further performers beside the primary `skeleton`/`motion` (actor 0): actor `k` is
    /// `actors[k - 1]`. Each keeps its own unit, up axis and rate.
    pub actors: Vec<Actor>,
    /// The stack's last re-solve (before its motion operations), when one was made: the
    /// take's skeleton and motion then show it (see [`crate::cleanup::motion`]).
    pub solved: Option<std::sync::Arc<mocap_solver::resolve::SolvedMotion>>,
    /// The facial performance (ARKit blendshape weights 0–1 and head/eye rotations in radians,
    /// at its own rate, frame 0 at the take's frame 0), when the take has one: a face file
    /// (Live Link Face CSV, generic CSV or JSON) opened beside it, or the demo's generated face.
    pub face: Option<mocap_data::FaceCurves>,
}

/// A performer's skeleton and motion, added to a take beside its primary one.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Display name (file stem).
    pub name: String,
    /// The file it was read from.
    pub source: PathBuf,
    /// Skeleton, in its own unit and up axis.
    pub skeleton: Skeleton,
    /// Channel values for `skeleton`, at their own rate.
    pub motion: Motion,
    /// How `skeleton`'s axes relate to the lab's (see [`Take::skeleton_axes`]).
    pub axes: AxisConvention,
    /// For a BVH skeleton, the unit guessed from the figure's size and why.
    pub unit_guess: Option<UnitGuess>,
}

/// The frame of a motion sampled at `motion_rate` shown at frame `take_frame` of a take sampled
/// at `take_rate` (same instant, nearest frame), clamped to the motion's `frames`; a motion
/// shorter than the take holds its last frame.
pub fn motion_frame(
    take_rate: FrameRate,
    take_frame: usize,
    motion_rate: FrameRate,
    frames: usize,
) -> usize {
    let last = frames.saturating_sub(1);
    if take_rate == motion_rate {
        return take_frame.min(last);
    }
    let t = take_rate.frames_to_seconds(take_frame as i64);
    usize::try_from(motion_rate.seconds_to_frame_round(t))
        .unwrap_or(0)
        .min(last)
}

impl Take {
    /// Number of actors with a skeleton motion (the primary one, if any, and `actors`).
    pub fn actor_count(&self) -> usize {
        usize::from(self.skeleton.is_some() && self.motion.is_some()) + self.actors.len()
    }

    /// A hash of the take's skeletons' shapes (per actor: none, or its joints' names and
    /// parents) and axes: what the viewport's joint entities are built from, beyond the take.
    pub fn skeleton_shape(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for k in 0..=self.actors.len() {
            let sk = match k {
                0 => self.skeleton.as_ref(),
                _ => self.actors.get(k - 1).map(|a| &a.skeleton),
            };
            match sk {
                None => 0u8.hash(&mut h),
                Some(sk) => {
                    1u8.hash(&mut h);
                    format!("{:?}", self.actor_axes(k)).hash(&mut h);
                    for j in &sk.joints {
                        j.name.hash(&mut h);
                        j.parent.hash(&mut h);
                    }
                }
            }
        }
        h.finish()
    }

    /// How actor `k`'s skeleton axes relate to the lab's (0: the primary skeleton).
    pub fn actor_axes(&self, k: usize) -> AxisConvention {
        match k {
            0 => self.skeleton_axes,
            _ => self
                .actors
                .get(k - 1)
                .map_or(AxisConvention::Up(mocap_data::UpAxis::Y), |a| a.axes),
        }
    }

    /// Skeleton and motion of actor `k` (0: the primary `skeleton`/`motion`; `k ≥ 1`:
    /// `actors[k - 1]`).
    pub fn actor(&self, k: usize) -> Option<(&Skeleton, &Motion)> {
        match k {
            0 => self.skeleton.as_ref().zip(self.motion.as_ref()),
            _ => self.actors.get(k - 1).map(|a| (&a.skeleton, &a.motion)),
        }
    }

    /// The motion file actor `k`'s skeleton was read from (BVH, AMC); `None` for generated
    /// motions (the demo) and solves not yet saved.
    pub fn actor_source(&self, k: usize) -> Option<&std::path::Path> {
        match k {
            0 => self
                .sources
                .iter()
                .filter(|p| !self.actors.iter().any(|a| a.source == **p))
                .find(|p| {
                    matches!(
                        mocap_formats::FileKind::from_path(p),
                        Some(mocap_formats::FileKind::Bvh | mocap_formats::FileKind::Amc)
                    )
                })
                .map(PathBuf::as_path),
            _ => self.actors.get(k - 1).map(|a| a.source.as_path()),
        }
    }

    /// Display name of actor `k`.
    pub fn actor_name(&self, k: usize) -> String {
        match k {
            0 => self.name.clone(),
            _ => self
                .actors
                .get(k - 1)
                .map_or_else(String::new, |a| a.name.clone()),
        }
    }

    /// Declares the length unit of actor `k`'s skeleton (0: the primary one): its offsets and
    /// root translation channels are read in `unit` from now on, which scales the figure and its
    /// path together (the numbers stay; the viewport places it again). Returns the unit it had,
    /// `None` when there is no such actor.
    pub fn set_actor_unit(
        &mut self,
        k: usize,
        unit: mocap_data::LengthUnit,
    ) -> Option<mocap_data::LengthUnit> {
        let sk = match k {
            0 => self.skeleton.as_mut()?,
            _ => &mut self.actors.get_mut(k - 1)?.skeleton,
        };
        Some(std::mem::replace(&mut sk.unit, unit))
    }

    /// The working range `[in, out]`, inclusive, clamped to the take.
    pub fn range(&self) -> (FrameIndex, FrameIndex) {
        let last = self.frame_count.saturating_sub(1);
        let a = self.in_frame.unwrap_or(0).min(last);
        let b = self.out_frame.unwrap_or(last).min(last);
        if a <= b { (a, b) } else { (b, a) }
    }
}

/// The loaded data. `generation` changes whenever the take's content (not its in/out points) is
/// replaced, so the viewport knows to rebuild its entities.
#[derive(Resource, Debug, Default)]
pub struct Session {
    /// The active take, if any.
    pub take: Option<Take>,
    /// Bumped when the take's skeleton/markers are replaced.
    pub generation: u64,
    /// glTF/GLB character files requested (spawned by the viewport through Bevy's glTF loader).
    pub characters: Vec<PathBuf>,
    /// An ASF skeleton waiting for its AMC motion.
    pub pending_asf: Option<(PathBuf, mocap_formats::asf::AsfSkeleton)>,
}

/// Files being read on a worker thread (File → Open, the command line, the Takes browser):
/// what the HUD shows while the viewport keeps drawing. The session plugin keeps it current.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct Opening {
    /// The file being read now: its path, size in bytes, and when its read started (real-time
    /// app clock, seconds). `None` when nothing is being read.
    pub current: Option<(PathBuf, u64, f64)>,
    /// Files of the running open not yet in the take, the current one included (count).
    pub files_left: usize,
    /// Session requests waiting behind the running open, it included (count); 0 when idle.
    pub queued: usize,
}

impl Opening {
    /// Whether files are being read or requests wait behind them.
    pub fn busy(&self) -> bool {
        self.queued > 0
    }

    /// The HUD's line: "Opening 39_01.c3d (12.4 MB)… 1.3 s", and how many files follow.
    pub fn status_line(&self, now_s: f64) -> Option<String> {
        let (path, bytes, since) = self.current.as_ref()?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        let size = if *bytes >= 1 << 20 {
            format!("{:.1} MB", *bytes as f64 / (1024.0 * 1024.0))
        } else {
            format!("{:.0} kB", (*bytes as f64 / 1024.0).ceil())
        };
        let more = match self.files_left.saturating_sub(1) {
            0 => String::new(),
            n => format!(", {n} more file{}", if n == 1 { "" } else { "s" }),
        };
        Some(format!(
            "Opening {name} ({size}{more})… {:.1} s",
            (now_s - since).max(0.0)
        ))
    }
}
