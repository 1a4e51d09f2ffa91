//! `mocap bench …`: benchmarks that print measured figures (speed and memory targets live here,
//! not in timed tests).

pub mod bvh;
pub mod c3d;
pub mod face;
pub mod farm;
pub mod live;
pub mod retarget;
pub mod solver;
pub mod stack;
pub mod subs;
pub mod takes;

/// The Python interpreter that holds the comparison peers (ezc3d, pybvh), as the tests find it:
/// `MOCAP_PYTHON`, else the virtual environment `.ci/run` builds from
/// `.ci/requirements-interop.txt` (`$HOME/.cache/mocap-studio/venv`) when it exists, else `python3`.
pub(crate) fn python() -> std::ffi::OsString {
    if let Some(p) = std::env::var_os("MOCAP_PYTHON") {
        return p;
    }
    std::env::var_os("HOME")
        .map(|h| std::path::Path::new(&h).join(".cache/mocap-studio/venv/bin/python"))
        .filter(|p| p.is_file())
        .map_or_else(|| "python3".into(), std::ffi::OsString::from)
}

/// Arguments of `mocap bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    which: Which,
}

#[derive(clap::Subcommand, Debug)]
enum Which {
    /// C3D read/write throughput and memory (generated 1-hour take), vs ezc3d when installed.
    C3d(c3d::Args),
    /// BVH parse throughput/memory and forward kinematics, vs pybvh when installed.
    Bvh(bvh::Args),
    /// Solver accuracy on real motion with synthetic markers and corruption.
    Accuracy(solver::AccuracyArgs),
    /// Solver speed (frames/s single core, batch scaling, live multi-actor latency).
    Solve(solver::SolveArgs),
    /// Subtitle parse/write throughput.
    Subs(subs::Args),
    /// Take library search latency on a generated library.
    Takes(takes::Args),
    /// Face take read time: a generated 1-hour 60 Hz Live Link Face CSV (61 channels).
    Face(face::Args),
    /// Clean-up operation stack: full vs incremental re-evaluation (10-minute 120 Hz take).
    Stack(stack::Args),
    /// Farm runners: Slurm per-job overhead and throughput against the local pool (needs Slurm).
    Farm(farm::Args),
    /// The live path over NatNet on loopback: 5 actors × 53 markers at 240 Hz, received →
    /// pose ready (live solve) p50/p99.
    Live(live::Args),
    /// Characters: GLB bytes → first retargeted frame, and per-frame retarget on demand over a
    /// 1-hour motion for 10 characters (the studio's character loading, headless).
    Retarget(retarget::Args),
}

/// Runs `mocap bench`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.which {
        Which::C3d(a) => c3d::run(a),
        Which::Bvh(a) => bvh::run(a),
        Which::Accuracy(a) => solver::run_accuracy(a),
        Which::Solve(a) => solver::run_solve(a),
        Which::Subs(a) => subs::run(a),
        Which::Takes(a) => takes::run(a),
        Which::Stack(a) => stack::run(a),
        Which::Farm(a) => farm::run(a),
        Which::Face(a) => face::run(a),
        Which::Live(a) => live::run(a),
        Which::Retarget(a) => retarget::run(a),
    }
}

/// The median of `v` ([`mocap_data::stats::median`]).
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    mocap_data::stats::median(&mut v)
}
