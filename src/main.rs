//! Mocap Studio desktop application (placeholder until the studio app issue lands).

fn main() -> anyhow::Result<()> {
    println!("mocap-studio: the studio app is not built yet; use the `mocap` CLI.");
    Ok(())
}
