//! Generated libraries for benchmarks and tests (no files on disk; hashes are synthetic).

use crate::error::Result;
use crate::library::{Library, NewFile, NewTake};
use crate::model::{FileKind, TakeStatus, TakeTiming};
use mocap_data::FrameRate;

/// Actor names used by the generator.
pub const ACTORS: [&str; 12] = [
    "Alice", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Jun", "Kofi",
    "Lena",
];
/// Tags used by the generator.
pub const TAGS: [&str; 10] = [
    "fight", "walk", "run", "dialogue", "stunt", "dance", "idle", "fall", "jump", "crowd",
];
const WORDS: [&str; 16] = [
    "sword", "parry", "stumble", "glance", "door", "stairs", "ladder", "crouch", "wave", "shout",
    "embrace", "throw", "catch", "kneel", "spin", "limp",
];

/// Deterministic splitmix64 generator.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Adds `count` generated takes (scenes of 20 takes, 1–3 actors, 1–2 tags, a description, a C3D
/// and a BVH each, captured over 60 days from 2026-01-01 UTC) in batches of 5 000, then gives
/// every 4th take a status through the ledger. Returns the number of takes added.
pub fn generate(lib: &mut Library, count: usize, seed: u64) -> Result<usize> {
    let mut rng = SplitMix::new(seed);
    let day0 = 1_767_225_600_000_i64; // 2026-01-01T00:00:00Z
    let mut added = 0;
    let mut batch = Vec::with_capacity(5000);
    let base = lib
        .search(&crate::model::TakeQuery {
            limit: 1,
            ..Default::default()
        })?
        .total as usize;
    for i in 0..count {
        let n = base + i;
        let scene = n / 20 + 1;
        let number = (n % 20 + 1) as i64;
        let name = format!("Scene_{scene:03}_Take_{number:03}");
        let actors: Vec<String> = (0..1 + rng.below(3))
            .map(|_| ACTORS[rng.below(ACTORS.len())].to_string())
            .collect();
        let tags: Vec<String> = (0..1 + rng.below(2))
            .map(|_| TAGS[rng.below(TAGS.len())].to_string())
            .collect();
        let description = (0..4)
            .map(|_| WORDS[rng.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ");
        let sha = |r: &mut SplitMix| {
            format!(
                "{:016x}{:016x}{:016x}{:016x}",
                r.next_u64(),
                r.next_u64(),
                r.next_u64(),
                r.next_u64()
            )
        };
        let files = vec![
            NewFile {
                kind: FileKind::C3d,
                path: format!("/capture/{name}.c3d"),
                sha256: sha(&mut rng),
                size_bytes: 1 << 20,
            },
            NewFile {
                kind: FileKind::Bvh,
                path: format!("/capture/{name}.bvh"),
                sha256: sha(&mut rng),
                size_bytes: 1 << 19,
            },
        ];
        batch.push(NewTake {
            name,
            scene: scene.to_string(),
            number: Some(number),
            session: Some((format!("day{:02}", n % 60 + 1), None)),
            timing: Some(TakeTiming {
                duration_frames: 600 + rng.below(20_000) as u64,
                rate: FrameRate::FPS_120,
            }),
            captured_utc_ms: Some(
                day0 + (n % 60) as i64 * 86_400_000 + rng.below(36_000_000) as i64,
            ),
            description,
            actors,
            tags,
            marker_set: Some("Standard-53".into()),
            character: Some(format!("Hero{}", rng.below(5))),
            start_timecode: None,
            files,
        });
        if batch.len() == 5000 || i + 1 == count {
            added += lib.add_takes(&batch, "generator")?.len();
            batch.clear();
        }
    }
    // Statuses through the ledger, in one transaction.
    lib.write(|c| {
        let ids: Vec<i64> = c.query_map(
            "SELECT id FROM take WHERE id % 4 = 0 ORDER BY id",
            crate::db::p![],
            |r| r.get(0),
        )?;
        if c.is_pg() {
            return pg_statuses(c, &ids);
        }
        for id in ids {
            let status = TakeStatus::ALL[1 + (id as usize / 4) % 4];
            c.execute("UPDATE take SET status = ?1 WHERE id = ?2", crate::db::p![status.as_str(), id])?;
            let body = serde_json::json!({"type": "status", "from": "none", "to": status.as_str(), "comment": null});
            crate::ledger::append(c, Some(id), "generator", &body, None)?;
        }
        Ok(())
    })?;
    Ok(added)
}

/// The status pass of [`generate`] on PostgreSQL: four set-based updates and one batch of ledger
/// events (the same rows and events as one by one, without 250 000 round trips).
fn pg_statuses(c: &crate::db::Db<'_>, ids: &[i64]) -> Result<()> {
    use crate::db::p;
    let mut files: std::collections::HashMap<i64, Vec<(String, String, String)>> =
        std::collections::HashMap::new();
    for r in c.query(
        "SELECT take_id, kind, path, sha256 FROM take_file WHERE take_id % 4 = 0",
        p![],
    )? {
        files
            .entry(r.get(0)?)
            .or_default()
            .push((r.get(1)?, r.get(2)?, r.get(3)?));
    }
    for k in 0..4i64 {
        let status = TakeStatus::ALL[1 + k as usize];
        c.execute(
            "UPDATE take SET status = ?1 WHERE id % 4 = 0 AND (id / 4) % 4 = ?2",
            p![status.as_str(), k],
        )?;
    }
    let events: Vec<crate::ledger::BatchEvent> = ids
        .iter()
        .map(|&id| {
            let status = TakeStatus::ALL[1 + (id as usize / 4) % 4];
            let body = serde_json::json!({"type": "status", "from": "none", "to": status.as_str(), "comment": null});
            let content = crate::ledger::files_json(files.remove(&id).unwrap_or_default());
            (Some(id), body, content)
        })
        .collect();
    crate::ledger::append_batch(c, "generator", &events)
}
