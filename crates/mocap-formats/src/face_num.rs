//! Number cells of face CSVs: a fast path for plain decimals that gives the same bits as
//! `str::parse::<f32>` on every input, and `str::parse` for everything else.
//!
//! The fast path reads `[-]digits[.digits]` as an integer mantissa `m` (below 2^52, so exact as
//! an `f64`) and a count `k` of fraction digits (at most 22), and multiplies once by `10^-k`
//! rounded to `f64`: `q` is within 2 `f64` ulps of the decimal. Rounding `q` to `f32` gives the
//! decimal correctly rounded to `f32` unless `q` lies within a few `f64` ulps of a midpoint
//! between two `f32`s; those inputs (about 3 in 10^8), and results in `f32`'s subnormal or
//! overflow range, go to `str::parse`. The reader's earlier fast path (an `f64` division cast to
//! `f32`, no check) gave a different `f32` than `str::parse` for about 0.4 % of 14–15 digit
//! decimals near a midpoint, e.g. `0.99013552069664`.

/// Negative powers of ten, each rounded to `f64`.
const P10_INV: [f64; 23] = [
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14,
    1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22,
];

/// `±mant / 10^frac` rounded to `f32` exactly as `str::parse::<f32>` rounds it, or `None` when the
/// fast path cannot promise that (the caller then parses the text).
#[inline(always)]
fn decimal_to_f32(mant: u64, frac: usize, neg: bool) -> Option<f32> {
    if mant >= 1 << 52 {
        return None;
    }
    // `mant as f64` (exact) without cvtsi2sd, whose partial register write chains cells.
    let m = f64::from_bits(0x4330_0000_0000_0000 | mant) - 4_503_599_627_370_496.0;
    // A multiplication, not a division (the division was most of the reader's time): `q` is
    // within 2 f64 ulps of the decimal (two roundings of 2^-53 each).
    let q = m * *P10_INV.get(frac)?;
    // An f32 keeps the top 23 of f64's 52 fraction bits; the 29 dropped bits of an f32 midpoint
    // are exactly `1000…0`. More than 8 ulps away from one, `q` and the decimal round to the same
    // f32 (near a power of two the dropped bits are near 0 or all ones: far from a midpoint).
    let dropped = q.to_bits() & 0x1FFF_FFFF;
    let near_midpoint = dropped.abs_diff(0x1000_0000) <= 8;
    let normal = (f32::MIN_POSITIVE as f64..=f32::MAX as f64).contains(&q);
    if q != 0.0 && (near_midpoint || !normal) {
        return None;
    }
    let v = q as f32;
    Some(if neg { -v } else { v })
}

/// Parses a whole cell: surrounding spaces, tabs and CR are ignored; `None` for an empty cell,
/// `Some(Err)` for text that is not a number (`NaN`, `inf`, exponents are numbers, as for
/// `str::parse::<f32>`).
#[inline]
pub(crate) fn parse_cell(cell: &[u8]) -> Option<Result<f32, ()>> {
    let mut s = cell;
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    if s.is_empty() {
        return None;
    }
    let (neg, body) = match s {
        [b'-', r @ ..] => (true, r),
        [b'+', r @ ..] => (false, r),
        _ => (false, s),
    };
    if !body.is_empty() && body.len() <= 20 {
        let mut mant: u64 = 0;
        let mut digits = 0usize;
        let mut frac = 0usize;
        let mut seen_dot = false;
        let mut plain = true;
        for &b in body {
            match b {
                // A u64 holds any 19 digits; more go to `str::parse` (exact either way).
                b'0'..=b'9' if digits >= 19 => {
                    plain = false;
                    break;
                }
                b'0'..=b'9' => {
                    mant = mant * 10 + (b - b'0') as u64;
                    digits += 1;
                    frac += seen_dot as usize;
                }
                b'.' if !seen_dot => seen_dot = true,
                _ => {
                    plain = false;
                    break;
                }
            }
        }
        if plain
            && digits > 0
            && let Some(v) = decimal_to_f32(mant, frac, neg)
        {
            return Some(Ok(v));
        }
    }
    Some(
        std::str::from_utf8(s)
            .ok()
            .and_then(|t| t.parse::<f32>().ok())
            .ok_or(()),
    )
}

/// The index of the next `,` or `\n` at or after `i` (or `b.len()`).
#[inline]
pub(crate) fn cell_end(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .and_then(|r| r.iter().position(|&c| c == b',' || c == b'\n'))
        .map_or(b.len(), |p| i + p)
}

/// Reads the digits of `rest` from `k` into `mant` (wrapping past 19 digits; callers check `nd`):
/// returns the index after them, the mantissa and the digit count so far.
#[inline(always)]
fn read_digits(rest: &[u8], mut k: usize, mut mant: u64, mut nd: usize) -> (usize, u64, usize) {
    // Byte by byte: reading eight bytes at once (SWAR) measured slower on these short cells.
    while let Some(&c) = rest.get(k) {
        let d = c.wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        mant = mant.wrapping_mul(10).wrapping_add(d as u64);
        nd += 1;
        k += 1;
    }
    (k, mant, nd)
}

/// Parses the number cell starting at `i` in `b`: a fast path for plain decimals that stops at
/// the delimiter, else [`parse_cell`] on the whole cell. Returns the value (as [`parse_cell`])
/// and the index of the delimiter (`,`, `\n` or `b.len()`).
#[inline(always)]
pub(crate) fn scan_num(b: &[u8], i: usize) -> (Option<Result<f32, ()>>, usize) {
    let rest = b.get(i..).unwrap_or(&[]);
    // A bare `0` (most channels of a face are still most of the time): no number to build.
    if let [b'0', b',' | b'\n', ..] = rest {
        return (Some(Ok(0.0)), i + 1);
    }
    let neg = rest.first() == Some(&b'-');
    let (mut k, mut mant, mut nd) = read_digits(rest, neg as usize, 0, 0);
    let mut frac = 0usize;
    if rest.get(k) == Some(&b'.') {
        let int_digits = nd;
        (k, mant, nd) = read_digits(rest, k + 1, mant, nd);
        frac = nd - int_digits;
    }
    // A CR before the newline belongs to the line end, not the number.
    let end = if rest.get(k) == Some(&b'\r') {
        k + 1
    } else {
        k
    };
    // 19 digits never wrap a u64; `decimal_to_f32` refuses mantissas of 2^52 and more.
    if nd > 0
        && nd <= 19
        && matches!(rest.get(end), None | Some(b',' | b'\n'))
        && let Some(v) = decimal_to_f32(mant, frac, neg)
    {
        return (Some(Ok(v)), i + end);
    }
    let end = cell_end(b, i);
    (parse_cell(b.get(i..end).unwrap_or(&[])), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(s: &str) -> Option<Result<f32, ()>> {
        let t = s.trim_matches([' ', '\t', '\r']);
        if t.is_empty() {
            None
        } else {
            Some(t.parse::<f32>().map_err(|_| ()))
        }
    }

    fn same(a: Option<Result<f32, ()>>, b: Option<Result<f32, ()>>) -> bool {
        match (a, b) {
            (Some(Ok(x)), Some(Ok(y))) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
            (x, y) => x == y,
        }
    }

    fn check(s: &str) {
        let want = reference(s);
        assert!(same(parse_cell(s.as_bytes()), want), "parse_cell({s:?})");
        let line = format!("{s},7\n");
        let (got, end) = scan_num(line.as_bytes(), 0);
        assert!(same(got, want), "scan_num({s:?}): {got:?} vs {want:?}");
        assert_eq!(end, s.len(), "scan_num({s:?}) stops at the comma");
    }

    #[test]
    fn awkward_cells_match_str_parse() {
        for s in [
            // 20 digits overflow a u64 mantissa (the face fuzz target's find).
            "61111111111111111111",
            "99999999999999999999",
            "-18446744073709551616",
            "1234567890.123456789",
            "0",
            "-0",
            "-0.0",
            "+0",
            "0.",
            ".5",
            "-.5",
            "5.",
            ".",
            "-",
            "+",
            "",
            " ",
            "1e5",
            "-1.5E-3",
            "1e-45",
            "1e-46",
            "3.4028235e38",
            "3.4028236e38",
            "1e39",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "Infinity",
            "0x10",
            "1.2.3",
            "12a",
            " 0.25 ",
            "\t-3\r",
            "0.99013552069664",
            "1.85255366563797",
            "0.000000000000000000001",
            "123456789012345678901234",
            "9007199254740993",
            "0.30000000000000004",
            "16777217",
            "16777216.5",
            "1.00000005960464477539",
            "340282356779733661637539395458142568448",
        ] {
            check(s);
        }
    }

    #[test]
    fn decimals_near_f32_midpoints_match_str_parse() {
        // Midpoints between neighbouring f32s, written with 6 to 17 fraction digits: the inputs
        // where rounding through f64 can go wrong.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut fallbacks = 0;
        for n in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Exponents from 2^-20 to 2^9 (weights, degrees, radians, centimetres).
            let bits = ((107 + (x >> 40) % 30) << 23) as u32 | (x as u32 & 0x7F_FFFF);
            let a = f32::from_bits(bits);
            let mid = (a as f64 + f32::from_bits(bits + 1) as f64) / 2.0;
            let digits = 6 + n % 12;
            let s = format!("{:.*}", digits, if n % 2 == 0 { mid } else { -mid });
            check(&s);
            if parse_fast_only(&s).is_none() {
                fallbacks += 1;
            }
        }
        // The check above exercises the fallback, not only the fast path.
        assert!(fallbacks > 0);
    }

    /// The fast path alone (no fallback), for the test's bookkeeping.
    fn parse_fast_only(s: &str) -> Option<f32> {
        let (neg, body) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let mant: u64 = format!("{int}{frac}").parse().ok()?;
        decimal_to_f32(mant, frac.len(), neg)
    }
}
