//! Number cells of face CSVs: a fast path for plain decimals that gives the same bits as
//! `str::parse::<f32>` on every input, and `str::parse` for everything else.
//!
//! The fast path reads `[-]digits[.digits]` as an integer mantissa `m` (below 2^53, so exact as
//! an `f64`) and a count `k` of fraction digits (at most 22, so `10^k` is exact as an `f64`), and
//! divides once: `q = m / 10^k` is the decimal correctly rounded to `f64`. Rounding `q` again to
//! `f32` gives the decimal correctly rounded to `f32` unless `q` is itself a midpoint between two
//! `f32`s (no other `f64` lies between the decimal and `q`, and every `f32` midpoint of the normal
//! range is an `f64`); those inputs, and results in `f32`'s subnormal or overflow range, go to
//! `str::parse`. The unconditional cast (no midpoint check) gave a different `f32` than
//! `str::parse` for about 0.4 % of 14–15 digit decimals near a midpoint, e.g. `0.99013552069664`.

/// Powers of ten exact as `f64`.
const P10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `±mant / 10^frac` rounded to `f32` exactly as `str::parse::<f32>` rounds it, or `None` when the
/// fast path cannot promise that (the caller then parses the text).
#[inline]
fn decimal_to_f32(mant: u64, frac: usize, neg: bool) -> Option<f32> {
    if mant >= 1 << 53 {
        return None;
    }
    let q = mant as f64 / *P10.get(frac)?;
    // An f32 keeps the top 23 of f64's 52 fraction bits: a midpoint drops exactly `1000…0`.
    let midpoint = q.to_bits() & 0x1FFF_FFFF == 0x1000_0000;
    let normal = (f32::MIN_POSITIVE as f64..=f32::MAX as f64).contains(&q);
    if q != 0.0 && (midpoint || !normal) {
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

/// `10^n` for the digit counts [`swar_digits`] returns.
const P10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The leading ASCII digits (at most 8) of `rest`, read eight bytes at once: (their value,
/// how many). `None` when fewer than 8 bytes remain.
#[inline]
fn swar_digits(rest: &[u8]) -> Option<(u64, usize)> {
    const H: u64 = 0x8080_8080_8080_8080;
    const L: u64 = 0x0101_0101_0101_0101;
    let w = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
    // Per byte, no borrow across bytes (each minuend byte is at least 0x80): the high bit says
    // (b & 0x7F) >= '0', resp. > '9'; a digit also has its own high bit clear.
    let ge0 = (w | H).wrapping_sub(L * 0x30);
    let gt9 = (w | H).wrapping_sub(L * 0x3A);
    let digit = !w & ge0 & !gt9 & H;
    let n = ((!digit & H).trailing_zeros() / 8) as usize;
    if n == 0 {
        return Some((0, 0));
    }
    // The n digits right-aligned behind '0's (first digit in the lowest byte, little-endian),
    // then the eight-digit conversion of fast_float (Lemire).
    let x = (w << (8 * (8 - n))) | 0x3030_3030_3030_3030u64.checked_shr(8 * n as u32).unwrap_or(0);
    let d = x.wrapping_sub(L * 0x30);
    let d = d.wrapping_mul(10).wrapping_add(d >> 8);
    let v1 = (d & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let v2 = ((d >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    Some((((v1.wrapping_add(v2) >> 32) as u32) as u64, n))
}

/// Reads the digits of `rest` from `k` into `mant` (wrapping past 19 digits; callers check `nd`):
/// returns the index after them, the mantissa and the digit count so far.
#[inline]
fn read_digits(rest: &[u8], mut k: usize, mut mant: u64, mut nd: usize) -> (usize, u64, usize) {
    while let Some((v, n)) = rest.get(k..).and_then(swar_digits) {
        let scale = P10_U64.get(n).copied().unwrap_or(1);
        mant = mant.wrapping_mul(scale).wrapping_add(v);
        nd += n;
        k += n;
        if n < 8 {
            return (k, mant, nd);
        }
    }
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
#[inline]
pub(crate) fn scan_num(b: &[u8], i: usize) -> (Option<Result<f32, ()>>, usize) {
    let rest = b.get(i..).unwrap_or(&[]);
    let neg = rest.first() == Some(&b'-');
    let (mut k, mut mant, mut nd) = read_digits(rest, neg as usize, 0, 0);
    let mut frac = 0usize;
    if rest.get(k) == Some(&b'.') {
        let int_digits = nd;
        (k, mant, nd) = read_digits(rest, k + 1, mant, nd);
        frac = nd - int_digits;
    }
    // A CR before the newline belongs to the line end, not the number.
    let end = if rest.get(k) == Some(&b'\r') { k + 1 } else { k };
    // 19 digits never wrap a u64; `decimal_to_f32` refuses mantissas of 2^53 and more.
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
            "0", "-0", "-0.0", "+0", "0.", ".5", "-.5", "5.", ".", "-", "+", "", " ", "1e5",
            "-1.5E-3", "1e-45", "1e-46", "3.4028235e38", "3.4028236e38", "1e39", "NaN", "nan",
            "inf", "-inf", "Infinity", "0x10", "1.2.3", "12a", " 0.25 ", "\t-3\r",
            "0.99013552069664", "1.85255366563797", "0.000000000000000000001",
            "123456789012345678901234", "9007199254740993", "0.30000000000000004",
            "16777217", "16777216.5", "1.00000005960464477539", "340282356779733661637539395458142568448",
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

    #[test]
    fn eight_byte_digit_reads_match_byte_by_byte() {
        for s in [
            "00000000", "12345678", "1234567,", "1,345678", ",2345678", "9/:09\u{7f}0.5",
            "98765432109876543210,", "0.1234567890123,x", "\u{b0}\u{b9}123456",
        ] {
            let b = s.as_bytes();
            let mut want = (0usize, 0u64);
            for &c in b.iter().take(8) {
                if !c.is_ascii_digit() {
                    break;
                }
                want = (want.0 + 1, want.1 * 10 + (c - b'0') as u64);
            }
            let got = swar_digits(b).expect("8 bytes");
            assert_eq!((got.1, got.0), want, "{s:?}");
        }
    }

    /// The fast path alone (no fallback), for the test's bookkeeping.
    fn parse_fast_only(s: &str) -> Option<f32> {
        let (neg, body) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let mant: u64 = format!("{int}{frac}").parse().ok()?;
        decimal_to_f32(mant, frac.len(), neg)
    }
}
