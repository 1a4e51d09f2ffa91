//! `mocap takes` (in progress).

/// Arguments of `mocap takes`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `mocap takes`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::bail!(
        "`mocap takes` is not implemented yet (arguments: {:?})",
        args.rest
    )
}
