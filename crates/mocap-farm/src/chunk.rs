//! Long takes solved in frame chunks with overlap, then stitched.
//!
//! The solver cuts every take into fixed batches of [`SOLVER_CHUNK`] frames, each started cold a
//! few warm-up frames before its first frame (`mocap_solver::ik`). A farm chunk covers frames
//! `[S, E)` with `S` a multiple of [`SOLVER_CHUNK`] and is solved from `S - overlap` with
//! `overlap = SOLVER_CHUNK`: its batches then fall on the same frames as a one-piece solve's, so
//! from `S` on it computes the same poses from the same markers. The overlap frames are dropped
//! when stitching; Euler channels of each chunk are shifted by whole turns to continue the
//! previous chunk (the solver unwraps angles over the frames it saw).

use crate::error::{FarmError, Result};
use mocap_data::{Motion, Skeleton};
use mocap_formats::bvh;
use std::path::{Path, PathBuf};

/// Frames per batch of the solver (`mocap_solver::ik::SolveOptions::chunk_frames` default).
pub const SOLVER_CHUNK: u64 = 256;

/// How a take is cut: chunks of `chunk` frames, each solved from `overlap` frames earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLayout {
    /// Frames (samples) in the take.
    pub frames: u64,
    /// Frames per chunk (a multiple of [`SOLVER_CHUNK`]).
    pub chunk: u64,
    /// Frames solved before each chunk (after the first) and dropped when stitching.
    pub overlap: u64,
}

impl ChunkLayout {
    /// The layout for a take of `frames` frames with chunks of `chunk_frames` (rounded up to a
    /// multiple of [`SOLVER_CHUNK`]); `None` when chunking is off (0), the length is unknown, or
    /// the take fits in one chunk.
    pub fn for_take(frames: Option<u64>, chunk_frames: usize) -> Option<ChunkLayout> {
        let frames = frames?;
        if chunk_frames == 0 {
            return None;
        }
        let chunk = (chunk_frames as u64).div_ceil(SOLVER_CHUNK).max(1) * SOLVER_CHUNK;
        (frames > chunk).then_some(ChunkLayout {
            frames,
            chunk,
            overlap: SOLVER_CHUNK,
        })
    }

    /// Frame ranges `[A, B)` to solve (0-based samples, B exclusive), overlap included.
    pub fn ranges(&self) -> Vec<(u64, u64)> {
        (0..self.frames.div_ceil(self.chunk))
            .map(|k| {
                let s = k * self.chunk;
                (
                    s.saturating_sub(self.overlap),
                    ((k + 1) * self.chunk).min(self.frames),
                )
            })
            .collect()
    }
}

fn same_layout(a: &Skeleton, b: &Skeleton) -> bool {
    a.joints.len() == b.joints.len()
        && a.joints
            .iter()
            .zip(&b.joints)
            .all(|(x, y)| x.name == y.name && x.channels == y.channels)
}

/// Stitches chunk motions (in take order; every chunk after the first starts with `overlap`
/// frames already covered by the previous one) into one motion. Rotation channels (degrees) of
/// each chunk are shifted by whole turns so that the last overlap frame matches the previous
/// chunk.
pub fn stitch(skeleton: &Skeleton, chunks: &[(PathBuf, Motion)], overlap: usize) -> Result<Motion> {
    let Some((_, first)) = chunks.first() else {
        return Err(FarmError::Invalid("no chunks to stitch".into()));
    };
    let cpf = skeleton.channel_count();
    let rot: Vec<bool> = skeleton
        .joints
        .iter()
        .flat_map(|j| j.channels.iter().map(|c| c.is_rotation()))
        .collect();
    let mut out = first.clone();
    for (path, m) in &chunks[1..] {
        if m.channels_per_frame != cpf || m.frame_count() <= overlap || overlap == 0 {
            return Err(FarmError::Stitch {
                path: path.clone(),
                message: format!(
                    "{} frames of {} channels; expected more than the {overlap} overlap frames of {cpf} channels",
                    m.frame_count(),
                    m.channels_per_frame
                ),
            });
        }
        let prev_last = &out.values[out.values.len() - cpf..];
        let mine_last = &m.values[(overlap - 1) * cpf..overlap * cpf];
        let shift: Vec<f32> = (0..cpf)
            .map(|c| {
                if rot[c] {
                    ((prev_last[c] - mine_last[c]) / 360.0).round() * 360.0
                } else {
                    0.0
                }
            })
            .collect();
        for f in overlap..m.frame_count() {
            let row = &m.values[f * cpf..(f + 1) * cpf];
            out.values.extend(
                row.iter()
                    .zip(&shift)
                    .map(|(v, s)| if *s == 0.0 { *v } else { v + s }),
            );
        }
    }
    Ok(out)
}

/// Reads chunk BVH files, stitches them ([`stitch`]) and writes `output` (the first chunk's
/// skeleton). Every chunk must have the same joints and channels.
pub fn stitch_files(chunks: &[PathBuf], overlap: usize, output: &Path) -> Result<usize> {
    let mut skeleton: Option<Skeleton> = None;
    let mut motions = Vec::with_capacity(chunks.len());
    for p in chunks {
        let f = bvh::read_path(p).map_err(|e| FarmError::Stitch {
            path: p.clone(),
            message: e.to_string(),
        })?;
        if let Some(s) = &skeleton {
            if !same_layout(s, &f.skeleton) {
                return Err(FarmError::Stitch {
                    path: p.clone(),
                    message: "its joints or channels differ from the first chunk's; solve every chunk with the same skeleton and subject".into(),
                });
            }
        } else {
            skeleton = Some(f.skeleton);
        }
        motions.push((p.clone(), f.motion));
    }
    let Some(skeleton) = skeleton else {
        return Err(FarmError::Invalid("no chunks to stitch".into()));
    };
    let motion = stitch(&skeleton, &motions, overlap)?;
    bvh::write_path(&skeleton, &motion, output).map_err(|e| FarmError::Stitch {
        path: output.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(motion.frame_count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solver_chunk_is_the_solvers_batch() {
        let o = mocap_solver::ik::SolveOptions::default();
        assert_eq!(o.chunk_frames as u64, SOLVER_CHUNK);
        assert!((o.warmup_frames as u64) < SOLVER_CHUNK);
    }

    #[test]
    fn layout_aligns_chunks_to_solver_batches() {
        assert_eq!(ChunkLayout::for_take(Some(1000), 0), None);
        assert_eq!(ChunkLayout::for_take(Some(500), 512), None);
        assert_eq!(ChunkLayout::for_take(None, 512), None);
        let l = ChunkLayout::for_take(Some(1300), 500).expect("chunked");
        assert_eq!(l.chunk, 512);
        assert_eq!(l.ranges(), vec![(0, 512), (256, 1024), (768, 1300)]);
        for (a, _) in l.ranges() {
            assert_eq!(a % SOLVER_CHUNK, 0);
        }
    }
}
