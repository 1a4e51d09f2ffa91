//! `mocap clean` (in progress).

/// Arguments of `mocap clean`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `mocap clean`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::bail!(
        "`mocap clean` is not implemented yet (arguments: {:?})",
        args.rest
    )
}
