//! Order statistics shared by the solver, the clean-up filters and every benchmark: one `median`
//! and one percentile rule for the workspace.

/// The median of `v` (sorted in place with `f64::total_cmp`): the middle value, or the mean of the
/// two middle values for an even count; `0.0` for an empty slice.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The `q`-quantile (0 ≤ `q` ≤ 1) of `sorted` (ascending) by the nearest rank
/// `round((n − 1) · q)`; `0.0` for an empty slice. `q` outside 0–1 is clamped.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Median, 99th percentile and maximum of `v` (sorted in place), as benchmarks report them.
pub fn p50_p99_max(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (
        quantile_sorted(v, 0.5),
        quantile_sorted(v, 0.99),
        v.last().copied().unwrap_or(0.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let (p50, p99, max) = p50_p99_max(&mut v);
        assert_eq!((p50, p99, max), (51.0, 99.0, 100.0));
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 7.0), 100.0);
    }
}
