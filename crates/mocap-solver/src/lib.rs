//! The mocap solver: labelled optical markers → skeleton motion, marker repair, filters and
//! retargeting. Headless (no Bevy/egui/wgpu/winit); shared by the studio app and the `mocap` CLI.
//!
//! Units: the solver works in millimetres and seconds unless a function says otherwise.

// --- model, calibration and solve (IK) ---
pub mod calibrate;
pub mod ik;
pub mod linalg;
pub mod mannequin;
pub mod mannequin_face;
pub mod markerset;
pub mod model;
pub mod pipeline;
pub mod resolve;
pub mod synth;
pub mod synth_real;

// --- repair, filters, contacts, retargeting ---
pub mod face_demo;
pub mod face_ops;
pub mod fill;
pub mod filter;
pub mod foot;
pub mod gaps;
pub mod retarget;
pub mod spikes;
pub mod stack;
pub mod swaps;

// --- shared by the repair side ---
pub mod clean;
pub mod compare;
pub mod error;

pub use error::SolverError;
