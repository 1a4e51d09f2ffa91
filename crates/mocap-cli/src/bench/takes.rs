//! `mocap bench takes` (in progress).

/// Arguments of `mocap bench takes`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `mocap bench takes`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::bail!(
        "`mocap bench takes` is not implemented yet (arguments: {:?})",
        args.rest
    )
}
