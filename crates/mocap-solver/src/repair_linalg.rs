//! Small dense linear algebra used by the repair side (fill, filter): a Gaussian-elimination
//! solve, a Jacobi eigen-decomposition of small symmetric matrices and Horn's absolute
//! orientation.

use glam::{DQuat, DVec3};

/// Solves `a · x = b` (`a` is `n × n`, row-major) by Gaussian elimination with partial pivoting.
/// `None` when the matrix is singular (pivot below 1e-300) or the sizes disagree.
pub(crate) fn solve(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    if a.len() != n * n {
        return None;
    }
    let mut m = a.to_vec();
    let mut x = b.to_vec();
    for col in 0..n {
        let piv =
            (col..n).max_by(|&i, &j| m[i * n + col].abs().total_cmp(&m[j * n + col].abs()))?;
        if m[piv * n + col].abs() < 1e-300 || !m[piv * n + col].is_finite() {
            return None;
        }
        if piv != col {
            for k in 0..n {
                m.swap(piv * n + k, col * n + k);
            }
            x.swap(piv, col);
        }
        for r in col + 1..n {
            let f = m[r * n + col] / m[col * n + col];
            if f != 0.0 {
                for k in col..n {
                    m[r * n + k] -= f * m[col * n + k];
                }
                x[r] -= f * x[col];
            }
        }
    }
    for r in (0..n).rev() {
        let mut s = x[r];
        for k in r + 1..n {
            s -= m[r * n + k] * x[k];
        }
        x[r] = s / m[r * n + r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Eigenvalues and eigenvectors of a symmetric `N × N` matrix by cyclic Jacobi rotations.
/// Returns `(values, vectors)` with `vectors[k]` the unit eigenvector of `values[k]`, sorted by
/// descending eigenvalue.
pub(crate) fn sym_eigen<const N: usize>(a: [[f64; N]; N]) -> ([f64; N], [[f64; N]; N]) {
    let mut a = a;
    let mut v = [[0.0; N]; N];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _sweep in 0..64 {
        let mut off = 0.0;
        for i in 0..N {
            for j in i + 1..N {
                off += a[i][j] * a[i][j];
            }
        }
        let scale: f64 = (0..N).map(|i| a[i][i] * a[i][i]).sum::<f64>() + off;
        if off <= 1e-30 * scale.max(1e-300) {
            break;
        }
        for p in 0..N {
            for q in p + 1..N {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = if theta == 0.0 {
                    1.0
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..N {
                    let akp = a[k][p];
                    let akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for k in 0..N {
                    let apk = a[p][k];
                    let aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let vp = row[p];
                    let vq = row[q];
                    row[p] = c * vp - s * vq;
                    row[q] = s * vp + c * vq;
                }
            }
        }
    }
    let mut idx: [usize; N] = std::array::from_fn(|i| i);
    idx.sort_by(|&i, &j| a[j][j].total_cmp(&a[i][i]));
    let values = std::array::from_fn(|k| a[idx[k]][idx[k]]);
    let vectors = std::array::from_fn(|k| std::array::from_fn(|r| v[r][idx[k]]));
    (values, vectors)
}

/// Variance of a point set along its second principal axis (length unit squared); near 0 when
/// the points are (almost) collinear, so a rigid transform fitted to them is ambiguous.
pub(crate) fn second_principal_variance(points: &[DVec3]) -> f64 {
    if points.is_empty() {
        return 0.0;
    }
    let c = points.iter().copied().sum::<DVec3>() / points.len() as f64;
    let mut m = [[0.0; 3]; 3];
    for p in points {
        let d = (*p - c).to_array();
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += d[i] * d[j];
            }
        }
    }
    let (vals, _) = sym_eigen(m);
    vals[1] / points.len() as f64
}

/// The rigid transform (rotation `r`, translation `t`) minimising `Σ |r·src_i + t − dst_i|²`,
/// by Horn's closed-form quaternion method (1987). `None` for fewer than 3 points, mismatched
/// lengths or non-finite input.
pub(crate) fn horn(src: &[DVec3], dst: &[DVec3]) -> Option<(DQuat, DVec3)> {
    if src.len() < 3 || src.len() != dst.len() {
        return None;
    }
    let n = src.len() as f64;
    let cs = src.iter().copied().sum::<DVec3>() / n;
    let cd = dst.iter().copied().sum::<DVec3>() / n;
    let mut s = [[0.0; 3]; 3];
    for (a, b) in src.iter().zip(dst) {
        let a = (*a - cs).to_array();
        let b = (*b - cd).to_array();
        for i in 0..3 {
            for j in 0..3 {
                s[i][j] += a[i] * b[j];
            }
        }
    }
    let [[sxx, sxy, sxz], [syx, syy, syz], [szx, szy, szz]] = s;
    let nmat = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ];
    if nmat.iter().flatten().any(|v| !v.is_finite()) {
        return None;
    }
    let (_, vecs) = sym_eigen(nmat);
    let [w, x, y, z] = vecs[0];
    let q = DQuat::from_xyzw(x, y, z, w).normalize();
    if !q.is_finite() {
        return None;
    }
    Some((q, cd - q * cs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_small_system() {
        let a = [2.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 4.0];
        let x = solve(&a, &[3.0, 5.0, 5.0]).expect("solvable");
        for v in x {
            assert!((v - 1.0).abs() < 1e-12);
        }
        assert!(solve(&[1.0, 2.0, 2.0, 4.0], &[1.0, 2.0]).is_none());
    }

    #[test]
    fn horn_recovers_a_known_transform() {
        let r = DQuat::from_euler(glam::EulerRot::ZXY, 0.7, -0.3, 2.1);
        let t = DVec3::new(10.0, -4.0, 250.0);
        let src = [
            DVec3::new(0.0, 0.0, 0.0),
            DVec3::new(100.0, 0.0, 0.0),
            DVec3::new(0.0, 80.0, 10.0),
            DVec3::new(30.0, 20.0, 60.0),
        ];
        let dst: Vec<DVec3> = src.iter().map(|p| r * *p + t).collect();
        let (q, tt) = horn(&src, &dst).expect("fit");
        assert!(q.dot(r).abs() > 1.0 - 1e-12);
        assert!((tt - t).length() < 1e-9);
        assert!(second_principal_variance(&src) > 100.0);
        let line = [DVec3::ZERO, DVec3::X, DVec3::X * 2.0];
        assert!(second_principal_variance(&line) < 1e-20);
    }
}
