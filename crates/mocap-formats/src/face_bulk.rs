//! The face CSV reader's bulk work: reading the file (in pieces, one thread per core), splitting
//! the body at line boundaries and counting its lines, writing parsed row blocks out per curve,
//! and repairing curves (held missing samples, clamped weights) in parallel.

use std::path::Path;

/// The whole file. A large one (16 MiB or more, as its length says) is read in pieces by a
/// thread per core into one buffer sized from that length (the copy out of the page cache is
/// a large part of reading an hour-long take); a file that is not the length it said is read
/// again the plain way.
pub(crate) fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        // Lengths past what the address space can hold are not believed.
        let len = usize::try_from(meta.len()).unwrap_or(0);
        if meta.is_file() && ((16 << 20)..=(isize::MAX as usize) / 2).contains(&len) && threads > 1
        {
            let mut buf = vec![0u8; len];
            let per = len.div_ceil(threads.min(16));
            let ok = std::thread::scope(|s| {
                let handles: Vec<_> = buf
                    .chunks_mut(per)
                    .enumerate()
                    .map(|(k, piece)| {
                        let file = &file;
                        s.spawn(move || file.read_exact_at(piece, (k * per) as u64))
                    })
                    .collect();
                handles
                    .into_iter()
                    .all(|h| h.join().is_ok_and(|r| r.is_ok()))
            });
            // Nothing past the length read: the file did not grow meanwhile.
            let mut probe = [0u8; 1];
            if ok && file.read_at(&mut probe, len as u64)? == 0 {
                return Ok(buf);
            }
        }
    }
    std::fs::read(path)
}

/// Writes `rows` row-major rows of `block` (one value per curve each) to rows `base..` of the
/// curves `dst`.
#[inline]
pub(crate) fn flush_block(block: &[f32], rows: usize, base: usize, dst: &mut [&mut [f32]]) {
    let nvals = dst.len();
    for (slot, d) in dst.iter_mut().enumerate() {
        if let Some(out) = d.get_mut(base..base + rows) {
            for (o, v) in out.iter_mut().zip(block.iter().skip(slot).step_by(nvals)) {
                *o = *v;
            }
        }
    }
}

/// Rows a piece of the body can hold: its lines, and at most one per `ncols` bytes (a row of
/// `ncols` cells has `ncols - 1` commas and a newline), so a short file never allocates for a
/// wide header.
pub(crate) fn row_capacity(piece: &[u8], newlines: usize, ncols: usize) -> usize {
    let lines = newlines + usize::from(piece.last().is_some_and(|&b| b != b'\n'));
    lines.min(piece.len() / ncols.max(1) + 1)
}

/// Newlines in `b`: 32 bytes compared at a time into byte counters (vectorised), summed every
/// 255 blocks before they could overflow.
pub(crate) fn count_newlines(b: &[u8]) -> usize {
    let mut blocks = b.chunks_exact(32);
    let mut total = 0usize;
    loop {
        let mut acc = [0u8; 32];
        let mut n = 0;
        for blk in blocks.by_ref().take(255) {
            if let Ok(blk) = <&[u8; 32]>::try_from(blk) {
                for (a, &x) in acc.iter_mut().zip(blk) {
                    *a += u8::from(x == b'\n');
                }
            }
            n += 1;
        }
        total += acc.iter().map(|&a| a as usize).sum::<usize>();
        if n < 255 {
            break;
        }
    }
    total + blocks.remainder().iter().filter(|&&x| x == b'\n').count()
}

/// `f` over every item, one scoped thread per item when there are several.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = items.iter().map(|it| s.spawn(move || f(it))).collect();
        handles
            .into_iter()
            .zip(items)
            // A thread that panicked (it cannot: plain loops) is redone here.
            .map(|(h, it)| h.join().unwrap_or_else(|_| f(it)))
            .collect()
    })
}

/// Splits `body` into about `n` pieces at line boundaries.
pub(crate) fn split_lines(body: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = (body.len() * k / n).max(start);
        if target >= body.len() {
            break;
        }
        match body[target..].iter().position(|&b| b == b'\n') {
            Some(p) => {
                out.push(&body[start..target + p + 1]);
                start = target + p + 1;
            }
            None => break,
        }
    }
    out.push(&body[start..]);
    out
}

/// What repairing one curve did.
#[derive(Default)]
pub(crate) struct Repair {
    /// Samples held from the previous frame (count).
    pub(crate) filled: usize,
    /// Frame index (0-based, in the curve) of the first held sample.
    pub(crate) first_filled: Option<usize>,
    /// Weights clamped to 0–1 by more than 1e-3 (count).
    pub(crate) clamped: usize,
    /// Frame index and value (unitless weight, as read) of the first such weight.
    pub(crate) first_clamped: Option<(usize, f32)>,
}

/// [`repair`] for each curve of a group (`weight`: whether each is a 0–1 weight).
pub(crate) fn repair_group(weight: &[bool], vals: &mut [Vec<f32>]) -> Vec<Repair> {
    weight
        .iter()
        .zip(vals.iter_mut())
        .map(|(&w, v)| repair(w, v))
        .collect()
}

/// Holds missing samples (non-finite) at the previous frame's value (0 at the start) and, for a
/// weight, clamps it to 0–1 (counting those more than 1e-3 out).
pub(crate) fn repair(weight: bool, vals: &mut [f32]) -> Repair {
    let mut r = Repair::default();
    // Most curves need nothing: check first, without writing, in blocks the compiler
    // vectorises (no early exit inside a block; NaN fails every comparison).
    let clean = if weight {
        vals.chunks(1024)
            .all(|c| c.iter().fold(true, |ok, v| ok & (0.0..=1.0).contains(v)))
    } else {
        vals.chunks(1024)
            .all(|c| c.iter().fold(true, |ok, &v| ok & v.is_finite()))
    };
    if clean {
        return r;
    }
    let mut prev = 0.0f32;
    for (f, v) in vals.iter_mut().enumerate() {
        if !v.is_finite() {
            r.filled += 1;
            r.first_filled.get_or_insert(f);
            *v = prev;
        } else if weight && !(0.0..=1.0).contains(v) {
            if (*v - v.clamp(0.0, 1.0)).abs() > 1e-3 {
                r.clamped += 1;
                r.first_clamped.get_or_insert((f, *v));
            }
            *v = v.clamp(0.0, 1.0);
        }
        prev = *v;
    }
    r
}
