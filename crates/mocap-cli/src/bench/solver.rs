//! `mocap bench accuracy` and `mocap bench solve` (in progress).

/// Arguments of `mocap bench accuracy`.
#[derive(clap::Args, Debug)]
pub struct AccuracyArgs {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `mocap bench accuracy`.
pub fn run_accuracy(args: AccuracyArgs) -> anyhow::Result<()> {
    anyhow::bail!(
        "`mocap bench accuracy` is not implemented yet (arguments: {:?})",
        args.rest
    )
}

/// Arguments of `mocap bench solve`.
#[derive(clap::Args, Debug)]
pub struct SolveArgs {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `mocap bench solve`.
pub fn run_solve(args: SolveArgs) -> anyhow::Result<()> {
    anyhow::bail!(
        "`mocap bench solve` is not implemented yet (arguments: {:?})",
        args.rest
    )
}
