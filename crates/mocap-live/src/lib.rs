//! The live stage, headless: NatNet 4.1 (OptiTrack Motive's protocol) client and server,
//! bounded queues between the network threads and their consumers, recording a stream into a
//! take and solving it live with `mocap-solver`.
//!
//! - [`natnet`]: the wire codec (on the `natnet` crate) and [`natnet::fuzz_decode`];
//! - [`server`]: replays a [`stream::TakeStream`] in real time (`mocap live serve`);
//! - [`client`]: receives a stream (`mocap live record`, the studio's Live panel);
//! - [`livelink`]: receives Live Link Face (iPhone ARKit face) UDP packets;
//! - [`face_record`]: one Live Link Face subject → face curves, counters;
//! - [`record`]: frames → take, counters, latency report;
//! - [`solve`]: per-actor live solve, warm-started frame to frame;
//! - [`queue`]: the bounded drop-oldest queue;
//! - [`impair`]: a relay that drops, reorders and garbles a stream on purpose, and counts it;
//! - [`skeleton_stream`]: NatNet skeletons (descriptions + per-frame bone poses) as skeleton
//!   motions that drive characters without the marker solve;
//! - [`vmc`]: VMC over OSC out (humanoid bones, port 39539);
//! - [`vmc_in`]: VMC over OSC in (skeleton streams from suits and VMC apps), [`vmc_take`]:
//!   its frames as a humanoid skeleton motion and blendshape curves;
//! - [`worker`]: a session on its own thread for a frame-driven consumer (the studio).
//!
//! Units: NatNet positions are metres, Y-up (Motive's space); every type states its own.

pub mod client;
pub mod face_record;
pub mod impair;
pub mod library;
pub mod livelink;
pub mod natnet;
pub mod queue;
pub mod record;
pub mod server;
pub mod session;
pub mod skeleton_stream;
pub mod solve;
pub mod stream;
pub mod take;
pub mod vmc;
pub mod vmc_in;
pub mod vmc_take;
pub mod worker;

pub use client::{ClientConfig, LiveClient, LiveEvent, ReceivedFrame};
pub use face_record::{FaceRecordConfig, FaceRecorder, FaceRecording, FaceReport};
pub use livelink::{LiveLinkConfig, LiveLinkReceiver, ReceivedFace};
pub use queue::BoundedQueue;
pub use record::{LiveReport, RecordConfig, Recorder, Recording};
pub use server::{ServeConfig, ServerHandle, serve};
pub use session::{Session, SolveConfig};
pub use skeleton_stream::{SkeletonStream, StreamSkeleton};
pub use stream::TakeStream;
pub use vmc_in::{VmcFrame, VmcInConfig, VmcReceiver};
pub use worker::{LiveStatus, LiveUpdate, LiveWorker};
