//! `mocap bench c3d` (in progress).

/// Arguments of `mocap bench c3d`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `mocap bench c3d`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::bail!(
        "`mocap bench c3d` is not implemented yet (arguments: {:?})",
        args.rest
    )
}
