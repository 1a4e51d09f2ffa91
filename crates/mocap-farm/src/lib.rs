//! The studio pipeline on a render farm (headless).
//!
//! - [`plan`]: `mocap farm plan` — one job per take and step (clean → solve → export → qc) with
//!   dependencies; work whose inputs (hashes), operations and tool version match a recorded result
//!   is skipped.
//! - [`engine`]: `mocap farm run` — the local process pool, Slurm (`sbatch` arrays with
//!   dependencies, status files, retries) and OpenCue (`cuecmd`).
//! - [`store`]: results recorded as versions in the take library (or a folder's JSON).
//! - [`select`]: the takes a plan covers (library search, selected ids, a folder).
//! - [`chunk`]: long takes solved in overlapping frame chunks and stitched.
//! - [`send`]: the studio's "Send to farm": chosen library takes planned and run locally.
//!
//! Every job runs an existing `mocap` subcommand, so farm results equal local ones byte for byte.

pub mod chunk;
pub mod engine;
pub mod error;
pub mod plan;
pub mod select;
pub mod send;
pub mod store;

pub use engine::{Engine, JobOutcome, RunOptions, RunReport, run_plan};
pub use error::{FarmError, Result};
pub use plan::{Job, Plan, PlanRequest, Step, StepOptions, TakeInput};
pub use store::{Store, StoreSpec};
