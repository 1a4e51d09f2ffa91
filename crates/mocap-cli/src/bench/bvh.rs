//! `mocap bench bvh` (in progress).

/// Arguments of `mocap bench bvh`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `mocap bench bvh`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::bail!(
        "`mocap bench bvh` is not implemented yet (arguments: {:?})",
        args.rest
    )
}
