//! `mocap info` (in progress).

/// Arguments of `mocap info`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `mocap info`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::bail!(
        "`mocap info` is not implemented yet (arguments: {:?})",
        args.rest
    )
}
