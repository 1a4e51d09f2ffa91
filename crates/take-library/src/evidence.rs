//! Rights-evidence manifests: a take's content hashes, its ledger events (with signatures and
//! timestamps) and the chain head, in one self-checking JSON file.

use crate::error::{LibraryError, Result};
use crate::ledger::{LedgerEvent, canonical_json};
use crate::library::Library;
use crate::util::{format_utc_ms, hash_file, now_utc_ms, sha256_hex};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// Format identifier written into every manifest.
pub const MANIFEST_FORMAT: &str = "mocap-take-evidence/1";

/// The chain head at export time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// Number of events in the whole ledger.
    pub count: i64,
    /// Hash of the last event.
    pub hash: String,
}

/// A take file in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    /// Kind (`c3d`, `bvh`, `audio`, …).
    pub kind: String,
    /// Absolute path at export time.
    pub path: String,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size_bytes: u64,
}

/// The take described by a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceTake {
    /// Library id of the take.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Scene.
    pub scene: String,
    /// Status at export time.
    pub status: String,
    /// Length in frames, when known.
    pub duration_frames: Option<u64>,
    /// Exact frame rate (`"120"`, `"24000/1001"`) in frames per second, when known.
    pub rate_fps: Option<String>,
}

/// A rights-evidence manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceManifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// Tool and version that wrote it (`mocap 0.1.0`).
    pub tool: String,
    /// Export time, RFC 3339 UTC.
    pub generated_utc: String,
    /// Export time, milliseconds since the Unix epoch (UTC).
    pub generated_utc_ms: i64,
    /// Random id of the library the take lives in.
    pub library_id: String,
    /// Ledger head at export time.
    pub chain_head: ChainHead,
    /// The last event of the whole ledger (so the head hash can be checked).
    pub head_event: Option<LedgerEvent>,
    /// The take.
    pub take: EvidenceTake,
    /// Its files.
    pub files: Vec<EvidenceFile>,
    /// Every ledger event about the take, in chain order.
    pub events: Vec<LedgerEvent>,
    /// SHA-256 of the canonical JSON of this manifest without this field.
    pub manifest_sha256: String,
}

/// Result of checking a manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EvidenceCheck {
    /// Files re-hashed.
    pub files_checked: u64,
    /// Events checked.
    pub events_checked: u64,
    /// Problems found (empty = the manifest is intact and matches the files).
    pub problems: Vec<String>,
}

fn manifest_hash(m: &EvidenceManifest) -> Result<String> {
    let mut v = serde_json::to_value(m)
        .map_err(|e| LibraryError::Corrupt(format!("cannot encode manifest: {e}")))?;
    if let Value::Object(map) = &mut v {
        map.remove("manifest_sha256");
    }
    Ok(sha256_hex(canonical_json(&v).as_bytes()))
}

impl Library {
    /// Checks a manifest against this library: same library id, and every event it lists (and
    /// its chain head) still in the chain at the same position with the same hash. Returns the
    /// problems found (empty = consistent).
    pub fn check_manifest(&mut self, m: &EvidenceManifest) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let id = self.library_id()?;
        if id != m.library_id {
            problems.push(format!(
                "the manifest comes from library {}, this is library {id}",
                m.library_id
            ));
            return Ok(problems);
        }
        let head = std::iter::once((m.chain_head.count, m.chain_head.hash.as_str()))
            .filter(|(count, _)| *count > 0);
        for (seq, hash) in m
            .events
            .iter()
            .map(|e| (e.seq, e.hash.as_str()))
            .chain(head)
        {
            match self.find_event(hash)? {
                Some(found) if found == seq => {}
                Some(found) => problems.push(format!(
                    "event {hash} is #{found} in the library but #{seq} in the manifest"
                )),
                None => problems.push(format!(
                    "event #{seq} ({hash}) is no longer in the library's ledger: it was rewritten"
                )),
            }
        }
        Ok(problems)
    }

    /// Builds the evidence manifest of a take. `tool` names the exporting tool and version.
    pub fn evidence(&mut self, take_id: i64, tool: &str) -> Result<EvidenceManifest> {
        let detail = self.take(take_id)?;
        let events = self.events(Some(take_id))?;
        let (count, hash) = self.ledger_head()?;
        let all_last =
            self.read(|c| Ok(crate::ledger::read_events(c, None)?.into_iter().next_back()))?;
        let now = now_utc_ms();
        let mut m = EvidenceManifest {
            format: MANIFEST_FORMAT.into(),
            tool: tool.into(),
            generated_utc: format_utc_ms(now),
            generated_utc_ms: now,
            library_id: self.library_id()?,
            chain_head: ChainHead { count, hash },
            head_event: all_last,
            take: EvidenceTake {
                id: detail.summary.id,
                name: detail.summary.name,
                scene: detail.summary.scene,
                status: detail.summary.status.as_str().into(),
                duration_frames: detail.summary.duration_frames,
                rate_fps: detail.summary.rate.map(crate::model::rate_text),
            },
            files: detail
                .files
                .into_iter()
                .map(|f| EvidenceFile {
                    kind: f.kind.as_str().into(),
                    path: f.path,
                    sha256: f.sha256,
                    size_bytes: f.size_bytes,
                })
                .collect(),
            events,
            manifest_sha256: String::new(),
        };
        m.manifest_sha256 = manifest_hash(&m)?;
        Ok(m)
    }
}

/// Writes a manifest as pretty JSON.
pub fn write_manifest(m: &EvidenceManifest, path: &Path) -> Result<()> {
    let text = serde_json::to_string_pretty(m)
        .map_err(|e| LibraryError::Corrupt(format!("cannot encode manifest: {e}")))?;
    std::fs::write(path, text + "\n").map_err(|e| LibraryError::io("write", path, e))
}

/// Reads a manifest (format checked, nothing else).
pub fn read_manifest(path: &Path) -> Result<EvidenceManifest> {
    let text = std::fs::read_to_string(path).map_err(|e| LibraryError::io("read", path, e))?;
    let bad = |detail: String| LibraryError::Manifest {
        path: path.to_path_buf(),
        detail,
    };
    let m: EvidenceManifest = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "not an evidence manifest ({e}); export one with `mocap takes evidence TAKE -o FILE`"
        ))
    })?;
    if m.format != MANIFEST_FORMAT {
        return Err(bad(format!(
            "format `{}` is not `{MANIFEST_FORMAT}`",
            m.format
        )));
    }
    Ok(m)
}

/// Reads and checks a manifest: its own hash, every event's hash and signature, the head, the
/// files list against the last event's content hashes, and every file on disk (at its recorded
/// path, or next to the manifest under the same file name).
pub fn verify_manifest(path: &Path) -> Result<EvidenceCheck> {
    let m = read_manifest(path)?;
    let mut check = EvidenceCheck::default();
    let mut p = |s: String| check.problems.push(s);
    let h = manifest_hash(&m)?;
    if h != m.manifest_sha256 {
        p(format!(
            "manifest_sha256 {} does not match its content ({h}): the manifest was edited",
            m.manifest_sha256
        ));
    }
    let mut last_seq = 0;
    for e in &m.events {
        if let Err(why) = e.check_self() {
            p(format!("event #{}: {why}", e.seq));
        }
        if e.take_id != Some(m.take.id) {
            p(format!("event #{} is about another take", e.seq));
        }
        if e.seq <= last_seq {
            p(format!("event #{} is out of order", e.seq));
        }
        last_seq = e.seq;
    }
    match &m.head_event {
        Some(e) => {
            if let Err(why) = e.check_self() {
                p(format!("head event #{}: {why}", e.seq));
            }
            if e.hash != m.chain_head.hash || e.seq != m.chain_head.count {
                p("the head event does not match the recorded chain head".into());
            }
            if last_seq > e.seq {
                p("the take has events after the chain head".into());
            }
        }
        None if m.chain_head.count != 0 => p("the chain head event is missing".into()),
        None => {}
    }
    if let Some(last) = m.events.last() {
        let files: Vec<Value> = m
            .files
            .iter()
            .map(|f| serde_json::json!({"kind": f.kind, "path": f.path, "sha256": f.sha256}))
            .collect();
        let mut sorted = files.clone();
        sorted.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
        if canonical_json(&Value::Array(sorted)) != last.content_hashes {
            p(
                "the files listed differ from the content hashes recorded by the take's last event"
                    .into(),
            );
        }
        let last_status = m
            .events
            .iter()
            .filter_map(|e| serde_json::from_str::<Value>(&e.body).ok())
            .filter(|b| b["type"] == "status")
            .filter_map(|b| b["to"].as_str().map(str::to_owned))
            .next_back()
            .unwrap_or_else(|| "none".into());
        if last_status != m.take.status {
            p(format!(
                "status `{}` differs from the ledger's `{last_status}`",
                m.take.status
            ));
        }
    } else {
        p("the manifest has no ledger events for the take".into());
    }
    check.events_checked = m.events.len() as u64;
    let dir = path.parent().unwrap_or(Path::new("."));
    for f in &m.files {
        check.files_checked += 1;
        let recorded = Path::new(&f.path);
        let local = recorded.file_name().map(|n| dir.join(n));
        let found = if recorded.exists() {
            Some(recorded.to_path_buf())
        } else {
            local.filter(|l| l.exists())
        };
        match found {
            None => check.problems.push(format!(
                "file {} not found (nor next to the manifest)",
                f.path
            )),
            Some(at) => match hash_file(&at) {
                Ok((sha, _)) if sha == f.sha256 => {}
                Ok((sha, _)) => check.problems.push(format!(
                    "file {} has sha256 {sha}, the manifest records {}",
                    at.display(),
                    f.sha256
                )),
                Err(e) => check.problems.push(e.to_string()),
            },
        }
    }
    Ok(check)
}
