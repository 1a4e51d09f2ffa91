//! The shared data model of Mocap Studio.
//!
//! Every quantity states its unit and space in its type or doc comment:
//! - time: [`FrameRate`] is an exact rational (23.976 is `24000/1001`), frames are [`FrameIndex`]
//!   (0-based sample index into a take) unless a field says "frame number" (file numbering);
//! - lengths: [`LengthUnit`] travels with every container of positions; nothing is silently in metres;
//! - axes: [`UpAxis`] travels with every container of world-space data.
//!
//! Marker samples are stored contiguously, frame-major, with no allocation per sample.

pub mod analog;
pub mod error;
pub mod events;
pub mod face;
pub mod face_map;
pub mod fk;
pub mod markers;
pub mod motion;
pub mod rate;
pub mod skeleton;
pub mod stats;
pub mod timecode;
pub mod units;

pub use analog::AnalogData;
pub use error::DataError;
pub use events::Event;
pub use face::{Curve, FaceChannel, FaceCurves};
pub use face_map::{FaceMap, MorphPreset};
pub use markers::{MarkerSample, MarkerTrajectories};
pub use motion::Motion;
pub use rate::{FrameIndex, FrameRate};
pub use skeleton::{Channel, Joint, RotationOrder, Skeleton};
pub use timecode::{Timecode, TimecodeFormat};
pub use units::{LengthUnit, UpAxis};

/// Re-exported math types (glam, f64) used for skeleton offsets and rest rotations.
pub use glam::{DQuat, DVec3};
