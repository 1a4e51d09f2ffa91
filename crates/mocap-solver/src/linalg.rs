//! Small dense linear algebra for the solver and the repair tools: Cholesky (dense and
//! tree-structured), weighted rigid alignment (Horn's quaternion method), symmetric
//! eigenvalues and a Gaussian-elimination solve.

use mocap_data::{DQuat, DVec3};

/// Cholesky factorisation `A = L·Lᵀ` of the symmetric `n×n` matrix whose **upper** triangle is
/// stored row-major in `a` (`a[i*n + j]`, `i ≤ j`); `l` receives `L` row-major (lower triangle).
/// Returns `false` when `A` is not positive definite.
pub fn cholesky_upper(a: &[f64], l: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let (rows_before, row_j_and_after) = l.split_at_mut(j * n);
        let row_j = &mut row_j_and_after[..n];
        let mut s = a[j * n + j];
        for v in &row_j[..j] {
            s -= v * v;
        }
        if s.is_nan() || s <= 0.0 {
            return false;
        }
        let d = s.sqrt();
        row_j[j] = d;
        let inv = 1.0 / d;
        let _ = rows_before;
        for i in j + 1..n {
            // L[i][j] = (A[j][i] − Σ_k<j L[i][k]·L[j][k]) / L[j][j]
            let (head, tail) = l.split_at_mut(i * n);
            let lj = &head[j * n..j * n + j];
            let li = &mut tail[..n];
            let mut s = a[j * n + i];
            for (x, y) in li[..j].iter().zip(lj) {
                s -= x * y;
            }
            li[j] = s * inv;
        }
    }
    true
}

/// Solves `L·Lᵀ·x = b` in place (`b` becomes `x`), `L` from [`cholesky_upper`].
pub fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let row = &l[i * n..i * n + i];
        let mut s = b[i];
        for (x, y) in row.iter().zip(&b[..i]) {
            s -= x * y;
        }
        b[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Sparse Cholesky for the solver's normal matrices, `A = U·Uᵀ` with `U` upper triangular,
/// eliminating the highest index first. Row/column `k` of `A` may be non-zero only with the
/// indices in `pattern[k]` (all `< k`: the DOFs of the joint's ancestors and its own earlier
/// DOFs); with that ordering there is no fill-in, so the cost is `Σ |pattern[k]|²/2` instead of
/// `n³/6`. `a` holds the upper triangle row-major (`a[i*n + j]`, `i ≤ j`) and is overwritten
/// with `U` in the same layout; `col` is scratch of at least the longest pattern's length.
/// Returns `false` when `A` is not positive definite.
pub fn tree_cholesky(a: &mut [f64], n: usize, pattern: &[Vec<usize>], col: &mut [f64]) -> bool {
    for k in (0..n).rev() {
        let d = a[k * n + k];
        if d.is_nan() || d <= 0.0 {
            return false;
        }
        let d = d.sqrt();
        a[k * n + k] = d;
        let inv = 1.0 / d;
        let pat = &pattern[k];
        let col = &mut col[..pat.len()];
        // Column k of U, gathered once (it is read for every pair below).
        for (c, &i) in col.iter_mut().zip(pat) {
            let v = a[i * n + k] * inv;
            a[i * n + k] = v;
            *c = v;
        }
        for (x, &i) in pat.iter().enumerate() {
            let uik = col[x];
            if uik == 0.0 {
                continue;
            }
            // i ≤ j < k: A(i, j) −= U(i, k)·U(j, k), along row i.
            let row = &mut a[i * n..(i + 1) * n];
            for (&j, &ujk) in pat[x..].iter().zip(&col[x..]) {
                row[j] -= uik * ujk;
            }
        }
    }
    true
}

/// Solves `U·Uᵀ·x = b` in place with `U` from [`tree_cholesky`].
pub fn tree_cholesky_solve(u: &[f64], n: usize, pattern: &[Vec<usize>], b: &mut [f64]) {
    for k in (0..n).rev() {
        let y = b[k] / u[k * n + k];
        b[k] = y;
        for &i in &pattern[k] {
            b[i] -= u[i * n + k] * y;
        }
    }
    for k in 0..n {
        let mut s = b[k];
        for &i in &pattern[k] {
            s -= u[i * n + k] * b[i];
        }
        b[k] = s / u[k * n + k];
    }
}

/// Storage of a normal matrix with the sparsity of [`tree_cholesky`], column by column: column
/// `k` holds `A(pattern[k][x], k)` for each `x`, then the diagonal `A(k, k)`, contiguous from
/// `start[k]` (`start` ascending, `start[n]` the total length). The patterns must be
/// *nested*: for every `j = pattern[k][y]`, `pattern[j] == pattern[k][..y]` (true for the
/// ancestor-DOF patterns of a kinematic tree numbered parents first). Build the offsets with
/// [`packed_tree_offsets`].
///
/// Returns `start` (length `n + 1`) for `pattern`, or `None` when the patterns are not nested.
pub fn packed_tree_offsets(pattern: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut start = Vec::with_capacity(pattern.len() + 1);
    let mut at = 0usize;
    for (k, pat) in pattern.iter().enumerate() {
        for (y, &j) in pat.iter().enumerate() {
            if j >= k || pattern[j].as_slice() != &pat[..y] {
                return None;
            }
        }
        start.push(at);
        at += pat.len() + 1;
    }
    start.push(at);
    Some(start)
}

/// [`tree_cholesky`] on the packed column storage of [`packed_tree_offsets`]: `A = U·Uᵀ`,
/// highest index eliminated first, `a` overwritten with `U` (same layout). Every update is a
/// contiguous AXPY on a column prefix (the nesting makes column `j`'s storage line up with the
/// first entries of column `k`). Returns `false` when `A` is not positive definite.
pub fn packed_tree_cholesky(a: &mut [f64], start: &[usize], pattern: &[Vec<usize>]) -> bool {
    let n = pattern.len();
    for k in (0..n).rev() {
        let len = pattern[k].len();
        let (head, tail) = a.split_at_mut(start[k]);
        let col = &mut tail[..len + 1];
        let d = col[len];
        if d.is_nan() || d <= 0.0 {
            return false;
        }
        let d = d.sqrt();
        col[len] = d;
        let inv = 1.0 / d;
        for v in &mut col[..len] {
            *v *= inv;
        }
        for (y, &j) in pattern[k].iter().enumerate() {
            let ujk = col[y];
            if ujk == 0.0 {
                continue;
            }
            // A(pattern[k][x], j) −= U(x, k)·U(j, k) for x ≤ y (x = y: the diagonal of j).
            let cj = &mut head[start[j]..start[j] + y + 1];
            for (t, &u) in cj.iter_mut().zip(&col[..y + 1]) {
                *t -= u * ujk;
            }
        }
    }
    true
}

/// Solves `U·Uᵀ·x = b` in place with `U` from [`packed_tree_cholesky`].
pub fn packed_tree_cholesky_solve(
    u: &[f64],
    start: &[usize],
    pattern: &[Vec<usize>],
    b: &mut [f64],
) {
    let n = pattern.len();
    for k in (0..n).rev() {
        let s = start[k];
        let len = pattern[k].len();
        let y = b[k] / u[s + len];
        b[k] = y;
        for (&i, &v) in pattern[k].iter().zip(&u[s..s + len]) {
            b[i] -= v * y;
        }
    }
    for k in 0..n {
        let s = start[k];
        let len = pattern[k].len();
        let mut acc = b[k];
        for (&i, &v) in pattern[k].iter().zip(&u[s..s + len]) {
            acc -= v * b[i];
        }
        b[k] = acc / u[s + len];
    }
}

/// Weighted rigid alignment: the rotation `R` and translation `t` minimising
/// `Σ wᵢ |R·srcᵢ + t − dstᵢ|²` (Horn 1987). Returns `None` with fewer than 3 weighted points or
/// non-finite input.
pub fn rigid_fit(src: &[DVec3], dst: &[DVec3], w: &[f64]) -> Option<(DQuat, DVec3)> {
    let wsum: f64 = w.iter().sum();
    if src.len() < 3 || wsum.is_nan() || wsum <= 0.0 {
        return None;
    }
    let mut cs = DVec3::ZERO;
    let mut cd = DVec3::ZERO;
    for ((a, b), wi) in src.iter().zip(dst).zip(w) {
        cs += *a * *wi;
        cd += *b * *wi;
    }
    cs /= wsum;
    cd /= wsum;
    let mut s = [[0.0f64; 3]; 3];
    for ((a, b), wi) in src.iter().zip(dst).zip(w) {
        let a = *a - cs;
        let b = *b - cd;
        let (a, b) = (a.to_array(), b.to_array());
        for i in 0..3 {
            for j in 0..3 {
                s[i][j] += wi * a[i] * b[j];
            }
        }
    }
    let q = quat_from_cross_covariance(s)?;
    Some((q, cd - q * cs))
}

/// Weighted rotation about the origin: the `R` minimising `Σ wᵢ |R·srcᵢ − dstᵢ|²` (no
/// translation). `None` when fewer than 2 weighted points or non-finite input.
pub fn rotation_fit(src: &[DVec3], dst: &[DVec3], w: &[f64]) -> Option<DQuat> {
    let wsum: f64 = w.iter().sum();
    if src.len() < 2 || wsum.is_nan() || wsum <= 0.0 {
        return None;
    }
    let mut s = [[0.0f64; 3]; 3];
    for ((a, b), wi) in src.iter().zip(dst).zip(w) {
        let (a, b) = (a.to_array(), b.to_array());
        for i in 0..3 {
            for j in 0..3 {
                s[i][j] += wi * a[i] * b[j];
            }
        }
    }
    quat_from_cross_covariance(s)
}

fn quat_from_cross_covariance(s: [[f64; 3]; 3]) -> Option<DQuat> {
    let (sxx, sxy, sxz) = (s[0][0], s[0][1], s[0][2]);
    let (syx, syy, syz) = (s[1][0], s[1][1], s[1][2]);
    let (szx, szy, szz) = (s[2][0], s[2][1], s[2][2]);
    let mut n = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ];
    if n.iter().flatten().any(|v| !v.is_finite()) {
        return None;
    }
    let v = top_eigenvector4(&mut n);
    let q = DQuat::from_xyzw(v[1], v[2], v[3], v[0]);
    if !q.is_finite() || q.length_squared() < 1e-12 {
        return None;
    }
    Some(q.normalize())
}

/// Eigenvalues of a symmetric 3×3 matrix (cyclic Jacobi), unordered.
pub fn symmetric_eigenvalues3(m: [[f64; 3]; 3]) -> [f64; 3] {
    let mut a = [[0.0f64; 4]; 4];
    for i in 0..3 {
        for j in 0..3 {
            a[i][j] = m[i][j];
        }
    }
    // Embed in 4×4 with an isolated zero eigenvalue; Jacobi leaves the block structure intact.
    let _ = top_eigenvector4(&mut a);
    [a[0][0], a[1][1], a[2][2]]
}

/// Eigenvector of the largest eigenvalue of a symmetric 4×4 matrix (cyclic Jacobi); `a` is
/// left diagonalised (its diagonal holds the eigenvalues).
fn top_eigenvector4(a: &mut [[f64; 4]; 4]) -> [f64; 4] {
    let mut v = [[0.0f64; 4]; 4];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    // The Frobenius norm is invariant under the rotations: stop when the off-diagonal part is
    // negligible relative to it (an absolute threshold would run all sweeps on mm² sums).
    let total: f64 = a.iter().flatten().map(|x| x * x).sum();
    for _sweep in 0..50 {
        let off: f64 = (0..4)
            .flat_map(|i| (0..4).filter(move |j| *j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-30 || off <= 1e-28 * total {
            break;
        }
        for p in 0..3 {
            for q in p + 1..4 {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..4 {
                    let akp = a[k][p];
                    let akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for k in 0..4 {
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
    let mut best = 0;
    for i in 1..4 {
        if a[i][i] > a[best][best] {
            best = i;
        }
    }
    [v[0][best], v[1][best], v[2][best], v[3][best]]
}

/// Second-largest eigenvalue of the covariance of `pts` (units²): near zero when the points are
/// (nearly) collinear or coincident. Zero for fewer than three points.
pub fn second_principal_variance(pts: &[DVec3]) -> f64 {
    if pts.len() < 3 {
        return 0.0;
    }
    let c = pts.iter().copied().sum::<DVec3>() / pts.len() as f64;
    let mut cov = [[0.0f64; 3]; 3];
    for p in pts {
        let d = (*p - c).to_array();
        for i in 0..3 {
            for j in 0..3 {
                cov[i][j] += d[i] * d[j] / pts.len() as f64;
            }
        }
    }
    let mut ev = symmetric_eigenvalues3(cov);
    ev.sort_by(|a, b| b.total_cmp(a));
    ev[1].max(0.0)
}

/// Solves `a · x = b` (`a` is `n × n`, row-major) by Gaussian elimination with partial pivoting.
/// `None` when the matrix is singular (pivot below 1e-300) or the sizes disagree.
pub fn solve(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
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
    fn packed_tree_cholesky_matches_dense() {
        // A small tree: 0 ← 1 ← 2, 0 ← 3 ← 4 (ancestor patterns, parents first).
        let pattern: Vec<Vec<usize>> = vec![vec![], vec![0], vec![0, 1], vec![0], vec![0, 3]];
        let start = packed_tree_offsets(&pattern).expect("nested");
        assert!(packed_tree_offsets(&[vec![], vec![], vec![1]]).is_some());
        assert!(packed_tree_offsets(&[vec![], vec![0], vec![1]]).is_none());
        let n = 5;
        // Symmetric, diagonally dominant (so positive definite), non-zero only on the pattern.
        let mut full = vec![0.0f64; n * n];
        for i in 0..n {
            full[i * n + i] = 4.0 + i as f64;
            for &j in &pattern[i] {
                let v = 0.3 + 0.1 * (i + j) as f64;
                full[i * n + j] = v;
                full[j * n + i] = v;
            }
        }
        let mut packed = vec![0.0; start[n]];
        for k in 0..n {
            for (x, &i) in pattern[k].iter().enumerate() {
                packed[start[k] + x] = full[i * n + k];
            }
            packed[start[k] + pattern[k].len()] = full[k * n + k];
        }
        assert!(packed_tree_cholesky(&mut packed, &start, &pattern));
        let rhs = [1.0, -2.0, 0.5, 3.0, -1.0];
        let mut x = rhs;
        packed_tree_cholesky_solve(&packed, &start, &pattern, &mut x);
        for i in 0..n {
            let r: f64 = (0..n).map(|j| full[i * n + j] * x[j]).sum();
            assert!((r - rhs[i]).abs() < 1e-12, "row {i}: {r}");
        }
        let mut not_pd = vec![1.0, 2.0, 1.0];
        assert!(!packed_tree_cholesky(
            &mut not_pd,
            &[0, 1, 3],
            &[vec![], vec![0]]
        ));
    }

    #[test]
    fn cholesky_solves_spd_system() {
        let n = 3;
        // A = [[4,2,0],[2,5,1],[0,1,3]] (upper stored).
        let a = [4.0, 2.0, 0.0, 0.0, 5.0, 1.0, 0.0, 0.0, 3.0];
        let mut l = [0.0; 9];
        assert!(cholesky_upper(&a, &mut l, n));
        let mut b = [2.0, 1.0, 4.0];
        cholesky_solve(&l, n, &mut b);
        let full = [[4.0, 2.0, 0.0], [2.0, 5.0, 1.0], [0.0, 1.0, 3.0]];
        for i in 0..3 {
            let r: f64 = (0..3).map(|j| full[i][j] * b[j]).sum();
            assert!((r - [2.0, 1.0, 4.0][i]).abs() < 1e-12);
        }
        let not_pd = [1.0, 2.0, 0.0, 1.0];
        let mut l2 = [0.0; 4];
        assert!(!cholesky_upper(&not_pd, &mut l2, 2));
    }

    #[test]
    fn tree_cholesky_matches_dense_on_a_chain_pattern() {
        // DOFs 0..5 on a chain 0 → 1 → {2, 3 → 4}: ancestors pattern.
        let pattern: Vec<Vec<usize>> = vec![vec![], vec![0], vec![0, 1], vec![0, 1], vec![0, 1, 3]];
        let n = 5;
        let mut a = vec![0.0; n * n];
        // SPD matrix with that sparsity: identity·5 + couplings along the pattern.
        for k in 0..n {
            a[k * n + k] = 5.0 + k as f64;
            for &i in &pattern[k] {
                a[i * n + k] = 0.5 + 0.1 * (i + k) as f64;
            }
        }
        let b = [1.0, -2.0, 0.5, 3.0, -1.0];
        let mut dense_l = vec![0.0; n * n];
        assert!(cholesky_upper(&a, &mut dense_l, n));
        let mut x1 = b;
        cholesky_solve(&dense_l, n, &mut x1);
        let mut u = a.clone();
        assert!(tree_cholesky(&mut u, n, &pattern, &mut [0.0; 5]));
        let mut x2 = b;
        tree_cholesky_solve(&u, n, &pattern, &mut x2);
        for k in 0..n {
            assert!((x1[k] - x2[k]).abs() < 1e-12, "{x1:?} {x2:?}");
        }
    }

    #[test]
    fn rigid_fit_recovers_transform() {
        let q = DQuat::from_euler(glam::EulerRot::ZXY, 0.7, -1.2, 2.5);
        let t = DVec3::new(100.0, -20.0, 5.0);
        let src = [
            DVec3::new(0.0, 0.0, 0.0),
            DVec3::new(100.0, 0.0, 0.0),
            DVec3::new(0.0, 50.0, 0.0),
            DVec3::new(10.0, 20.0, 80.0),
        ];
        let dst: Vec<DVec3> = src.iter().map(|p| q * *p + t).collect();
        let (r, tt) = rigid_fit(&src, &dst, &[1.0; 4]).expect("fit");
        assert!(r.dot(q).abs() > 1.0 - 1e-10);
        assert!((tt - t).length() < 1e-8);
        assert!(rigid_fit(&src[..2], &dst[..2], &[1.0; 2]).is_none());
    }
}
