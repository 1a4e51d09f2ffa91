//! Low-level text helpers shared by the readers and writers: a line cursor that accepts CR, LF
//! and CRLF (also mixed), and fast fixed-width number formatting.

/// Iterates over the lines of a text, accepting `\n`, `\r\n` and bare `\r` terminators.
#[derive(Debug, Clone)]
pub(crate) struct Lines<'a> {
    s: &'a str,
    pos: usize,
    /// 1-based number of the next line returned.
    pub line_no: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Lines {
            s,
            pos: 0,
            line_no: 1,
        }
    }

    /// Byte offset of the next line.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The next line and the offset after its terminator, without consuming it.
    #[inline]
    pub(crate) fn peek(&self) -> Option<(&'a str, usize)> {
        if self.pos >= self.s.len() {
            return None;
        }
        let bytes = self.s.as_bytes();
        let rest = &bytes[self.pos..];
        if let Some(i) = memchr::memchr2(b'\n', b'\r', rest) {
            let next = if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                i + 2
            } else {
                i + 1
            };
            return Some((&self.s[self.pos..self.pos + i], self.pos + next));
        }
        Some((&self.s[self.pos..], self.s.len()))
    }

    /// Moves to byte offset `pos` (which must start a line).
    #[inline]
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.s.len());
    }

    /// Consumes up to `next` (from [`Lines::peek`]).
    #[inline]
    pub(crate) fn advance(&mut self, next: usize) {
        self.pos = next;
        self.line_no += 1;
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;
    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let (line, next) = self.peek()?;
        self.advance(next);
        Some(line)
    }
}

/// Whether a line is empty or only spaces/tabs.
#[inline]
pub(crate) fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| b == b' ' || b == b'\t')
}

/// Joins the lines of `block` (which may use CR or CRLF terminators) with `\n`, dropping one
/// trailing terminator.
pub(crate) fn normalize_newlines(block: &str) -> String {
    if !block.contains('\r') {
        return block.to_string();
    }
    let mut out = String::with_capacity(block.len());
    let mut first = true;
    for line in Lines::new(block) {
        if !first {
            out.push('\n');
        }
        first = false;
        out.push_str(line);
    }
    out
}

/// Appends `v` as at least `width` decimal digits (zero padded). `v` must be ≥ 0.
#[inline]
pub(crate) fn push_padded(out: &mut Vec<u8>, v: u64, width: usize) {
    let mut buf = [0u8; 20];
    let mut n = v;
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = buf.len() - i;
    for _ in digits..width {
        out.push(b'0');
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `HH:MM:SS<sep>mmm` for a millisecond time (negative times are clamped to 0, which
/// the text formats cannot express).
#[inline]
pub(crate) fn push_hms_ms(out: &mut Vec<u8>, ms: i64, sep: u8) {
    let ms = ms.max(0) as u64;
    let h = ms / 3_600_000;
    let m = (ms / 60_000) % 60;
    let s = (ms / 1000) % 60;
    let f = ms % 1000;
    push_padded(out, h, 2);
    out.push(b':');
    push_padded(out, m, 2);
    out.push(b':');
    push_padded(out, s, 2);
    out.push(sep);
    push_padded(out, f, 3);
}

/// Parses a run of ASCII digits at the start of `b`: (value, digit count). Saturates instead
/// of overflowing; the caller decides what a too-large value means.
#[inline]
pub(crate) fn digits(b: &[u8]) -> (u64, usize) {
    let mut v: u64 = 0;
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add((b[i] - b'0') as u64);
        i += 1;
    }
    (v, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_accept_mixed_terminators() {
        let l: Vec<&str> = Lines::new("a\r\nb\rc\nd").collect();
        assert_eq!(l, ["a", "b", "c", "d"]);
        let l: Vec<&str> = Lines::new("a\n\n").collect();
        assert_eq!(l, ["a", ""]);
        assert_eq!(normalize_newlines("x\r\ny\rz"), "x\ny\nz");
    }

    #[test]
    fn hms_formatting() {
        let mut v = Vec::new();
        push_hms_ms(&mut v, 3_723_004, b',');
        assert_eq!(v, b"01:02:03,004");
        let mut v = Vec::new();
        push_hms_ms(&mut v, 100 * 3_600_000, b'.');
        assert_eq!(v, b"100:00:00.000");
    }
}
