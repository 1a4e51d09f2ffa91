//! Nothing the user did is lost. Documents with unsaved changes (the take's clean-up stack,
//! subtitle tracks) are listed in [`Unsaved`] for the title bar and the quit prompt, written to
//! a recovery folder every few seconds, and offered back ([`RecoveryOffer`]) at the next start
//! after a crash or a killed process. Restoring opens the take again and applies the documents
//! as ordinary undoable edits.
//!
//! The folder (`$XDG_STATE_HOME/mocap-studio/recovery`, else `~/.local/state/…`, or
//! `MOCAP_RECOVERY_DIR`) holds the documents and `manifest.json`, written last and atomically:
//! a kill at any moment leaves the previous complete state or the new one.

use crate::cleanup::Cleanup;
use crate::model::edit::EditCommand;
use crate::model::log::{AppLog, LogLevel};
use crate::model::recovery::{
    NoteDraft, QuitPrompt, RecoveredNote, RecoveredTrack, RecoveryCommand, RecoveryManifest,
    RecoveryOffer, Unsaved,
};
use crate::model::session::{Session, SessionCommand};
use crate::model::subtitles::{SubtitleCommand, SubtitleTracks};
use crate::model::util::write_atomically;
use bevy::prelude::*;
use mocap_solver::stack::OpStack;
use std::path::{Path, PathBuf};

/// The recovery's systems.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecoverySet;

/// Unsaved-change tracking always; the recovery folder when `folder` is set (scripted runs
/// and tests without one never write or offer anything).
pub struct RecoveryPlugin {
    /// Where unsaved work goes ([`default_folder`] in the studio).
    pub folder: Option<PathBuf>,
    /// Seconds between writes of changed work.
    pub interval_s: f64,
}

impl Default for RecoveryPlugin {
    fn default() -> Self {
        Self {
            folder: default_folder(),
            interval_s: 5.0,
        }
    }
}

/// The recovery folder: `MOCAP_RECOVERY_DIR`, else `$XDG_STATE_HOME/mocap-studio/recovery`,
/// else `~/.local/state/mocap-studio/recovery`.
pub fn default_folder() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("MOCAP_RECOVERY_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|x| !x.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })?;
    Some(state.join("mocap-studio").join("recovery"))
}

/// The folder and how often it is written.
#[derive(Resource, Debug, Clone)]
pub struct RecoveryFolder {
    /// Where (`None`: no recovery).
    pub path: Option<PathBuf>,
    /// Seconds between writes.
    pub interval_s: f64,
}

/// A restore in progress: the take is being opened; the documents follow once it is.
#[derive(Resource, Debug, Clone, Default)]
struct PendingRestore(Option<RecoveryManifest>);

const MANIFEST: &str = "manifest.json";
const STACK_FILE: &str = "cleanup.ops.ron";

impl Plugin for RecoveryPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(RecoveryFolder {
            path: self.folder.clone(),
            interval_s: self.interval_s,
        })
        .init_resource::<Unsaved>()
        .init_resource::<NoteDraft>()
        .init_resource::<RecoveryOffer>()
        .init_resource::<QuitPrompt>()
        .init_resource::<PendingRestore>()
        .add_message::<RecoveryCommand>()
        .add_systems(Startup, find_recovery)
        .add_systems(
            Update,
            (track_unsaved, answer_offer, finish_restore)
                .chain()
                .in_set(RecoverySet),
        )
        .add_systems(Last, (write_recovery, clear_on_exit).chain());
    }
}

/// Reads `folder`'s manifest, if it holds one.
pub fn read_manifest(folder: &Path) -> Option<RecoveryManifest> {
    let text = std::fs::read_to_string(folder.join(MANIFEST)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The clean-up stack a recovery folder holds, if any.
pub fn read_stack(folder: &Path, m: &RecoveryManifest) -> Option<OpStack> {
    OpStack::load(&folder.join(m.stack.as_ref()?)).ok()
}

fn process_alive(pid: u32) -> bool {
    pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists()
}

fn find_recovery(folder: Res<RecoveryFolder>, mut offer: ResMut<RecoveryOffer>) {
    let Some(dir) = &folder.path else { return };
    if let Some(m) = read_manifest(dir)
        && !process_alive(m.pid)
    {
        offer.0 = Some(m);
    }
}

/// The unsaved documents, in words.
fn track_unsaved(
    session: Res<Session>,
    cleanup: Option<Res<Cleanup>>,
    subtitles: Option<Res<SubtitleTracks>>,
    draft: Res<NoteDraft>,
    mut unsaved: ResMut<Unsaved>,
) {
    let changed = session.is_changed()
        || cleanup.as_ref().is_some_and(|c| c.is_changed())
        || subtitles.as_ref().is_some_and(|s| s.is_changed())
        || draft.is_changed();
    if !changed {
        return;
    }
    let mut docs = Vec::new();
    if let (Some(take), Some(c)) = (session.take.as_ref(), cleanup.as_ref())
        && stack_unsaved(&take.cleanup, c.saved.as_ref())
    {
        docs.push(format!(
            "Clean-up stack of {} ({} operations{})",
            take.name,
            take.cleanup.entries.len(),
            if take.cleanup.solve.is_some() {
                ", solve stage"
            } else {
                ""
            }
        ));
    }
    if let Some(s) = subtitles.as_ref() {
        for t in s.tracks.iter().filter(|t| t.is_modified()) {
            docs.push(format!("Subtitles ({})", t.lang));
        }
    }
    if let Some(d) = draft_to_keep(&draft) {
        docs.push(format!(
            "Note draft on {} ({} characters, not added)",
            d.take_name,
            d.text.chars().count()
        ));
    }
    if unsaved.docs != docs {
        unsaved.docs = docs;
    }
}

/// The note draft worth keeping: typed (not blank) for a library take, or recovered and not yet
/// back in the note field.
fn draft_to_keep(d: &NoteDraft) -> Option<RecoveredNote> {
    let (take_id, take_name) = d.take.clone()?;
    let text = d.restore.clone().unwrap_or_else(|| d.text.clone());
    (!text.trim().is_empty()).then_some(RecoveredNote {
        take_id,
        take_name,
        text,
    })
}

/// Whether `stack` differs from what its sidecar holds (`saved`; none: only an empty stack is
/// saved).
pub fn stack_unsaved(stack: &OpStack, saved: Option<&OpStack>) -> bool {
    match saved {
        Some(s) => s != stack,
        None => !stack.is_empty(),
    }
}

/// Writes the unsaved documents every `interval_s` when they changed; clears the folder when
/// nothing is unsaved. Paused while a recovery is on offer (it must not be overwritten).
#[allow(clippy::too_many_arguments)]
fn write_recovery(
    folder: Res<RecoveryFolder>,
    offer: Res<RecoveryOffer>,
    pending: Res<PendingRestore>,
    unsaved: Res<Unsaved>,
    session: Res<Session>,
    cleanup: Option<Res<Cleanup>>,
    subtitles: Option<Res<SubtitleTracks>>,
    draft: Res<NoteDraft>,
    time: Res<Time<Real>>,
    mut last: Local<(f64, Option<String>)>,
) {
    let Some(dir) = &folder.path else { return };
    if offer.0.is_some() || pending.0.is_some() {
        return;
    }
    let now = time.elapsed_secs_f64();
    if now - last.0 < folder.interval_s {
        return;
    }
    last.0 = now;
    if unsaved.docs.is_empty() {
        if last.1.take().is_some() || dir.join(MANIFEST).exists() {
            clear(dir);
        }
        return;
    }
    let Some(take) = session.take.as_ref() else {
        return;
    };
    // What would be written, to skip unchanged states cheaply.
    let stack = cleanup
        .as_ref()
        .filter(|c| stack_unsaved(&take.cleanup, c.saved.as_ref()))
        .map(|_| take.cleanup.to_ron());
    let tracks: Vec<_> = subtitles
        .as_ref()
        .map(|s| s.tracks.iter().filter(|t| t.is_modified()).collect())
        .unwrap_or_default();
    let texts: Vec<(String, String, Option<PathBuf>, String)> = tracks
        .iter()
        .map(|t| {
            let format = t
                .source
                .as_ref()
                .and_then(|p| p.extension())
                .and_then(|e| e.to_str())
                .and_then(::subtitles::Format::from_extension)
                .unwrap_or(::subtitles::Format::WebVtt);
            let ext = match format {
                ::subtitles::Format::Srt => "srt",
                ::subtitles::Format::WebVtt => "vtt",
                ::subtitles::Format::Ass => "ass",
                ::subtitles::Format::Ssa => "ssa",
                ::subtitles::Format::Ttml => "ttml",
            };
            let file = format!("subtitles.{}.{ext}", sanitize(&t.lang));
            (
                t.lang.clone(),
                file,
                t.source.clone(),
                ::subtitles::write_text(&t.track, format),
            )
        })
        .collect();
    let note_draft = draft_to_keep(&draft);
    let fingerprint = format!(
        "{take_name}{stack:?}{texts:?}{note_draft:?}",
        take_name = take.name
    );
    if last.1.as_deref() == Some(fingerprint.as_str()) {
        return;
    }
    let manifest = RecoveryManifest {
        version: 1,
        written_unix_s: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        pid: std::process::id(),
        take_sources: take.sources.clone(),
        take_name: take.name.clone(),
        stack: stack.as_ref().map(|_| STACK_FILE.to_string()),
        subtitles: texts
            .iter()
            .map(|(lang, file, source, _)| RecoveredTrack {
                lang: lang.clone(),
                source: source.clone(),
                file: file.clone(),
            })
            .collect(),
        note_draft,
    };
    let result = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        if let Some(ron) = &stack {
            write_atomically(&dir.join(STACK_FILE), ron.as_bytes())?;
        }
        for (_, file, _, text) in &texts {
            write_atomically(&dir.join(file), text.as_bytes())?;
        }
        let json = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
        write_atomically(&dir.join(MANIFEST), &json)
    })();
    match result {
        Ok(()) => last.1 = Some(fingerprint),
        Err(e) => warn!("Cannot write the recovery folder {}: {e}", dir.display()),
    }
}

/// A deliberate quit (after the unsaved-changes prompt) leaves nothing to recover; a pending
/// offer the user did not answer stays for the next start.
fn clear_on_exit(
    mut exit: MessageReader<AppExit>,
    folder: Res<RecoveryFolder>,
    offer: Res<RecoveryOffer>,
) {
    if exit.read().count() == 0 || offer.0.is_some() {
        return;
    }
    if let Some(dir) = &folder.path
        && read_manifest(dir).is_none_or(|m| m.pid == std::process::id())
    {
        clear(dir);
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Empties the recovery folder (only the files it writes).
fn clear(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(MANIFEST));
    let _ = std::fs::remove_file(dir.join(STACK_FILE));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with("subtitles.") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn answer_offer(
    mut commands: MessageReader<RecoveryCommand>,
    folder: Res<RecoveryFolder>,
    mut offer: ResMut<RecoveryOffer>,
    mut pending: ResMut<PendingRestore>,
    session: Res<Session>,
    mut open: MessageWriter<SessionCommand>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    for cmd in commands.read() {
        let Some(m) = offer.0.take() else { continue };
        match cmd {
            RecoveryCommand::Discard => {
                if let Some(dir) = &folder.path {
                    clear(dir);
                }
                log.push(
                    LogLevel::Info,
                    "Recovered work discarded",
                    time.elapsed_secs_f64(),
                );
            }
            RecoveryCommand::Restore => {
                let current = session.take.as_ref().map(|t| t.sources.clone());
                if current.as_ref() != Some(&m.take_sources) {
                    if m.take_sources.is_empty() {
                        open.write(SessionCommand::LoadDemo);
                    } else {
                        open.write(SessionCommand::Open(m.take_sources.clone()));
                    }
                }
                pending.0 = Some(m);
            }
        }
    }
}

/// Applies a restore once its take is open and the clean-up engine has caught up with it.
#[allow(clippy::too_many_arguments)]
fn finish_restore(
    mut pending: ResMut<PendingRestore>,
    folder: Res<RecoveryFolder>,
    session: Res<Session>,
    cleanup: Option<Res<Cleanup>>,
    mut edits: MessageWriter<EditCommand>,
    mut subs: MessageWriter<SubtitleCommand>,
    mut draft: ResMut<NoteDraft>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let Some(m) = pending.0.as_ref() else { return };
    let Some(dir) = folder.path.clone() else {
        pending.0 = None;
        return;
    };
    let Some(take) = session.take.as_ref() else {
        return;
    };
    let ready = take.sources == m.take_sources
        && cleanup
            .as_ref()
            .is_none_or(|c| c.generation() == Some(session.generation));
    if !ready {
        return;
    }
    let now = time.elapsed_secs_f64();
    if let Some(stack) = read_stack(&dir, m) {
        edits.write(EditCommand::SetCleanupStack {
            stack: Box::new(stack),
            what: "Restore the unsaved clean-up stack".into(),
            merge: None,
        });
    } else if m.stack.is_some() {
        log.push(
            LogLevel::Error,
            format!(
                "The recovered clean-up stack in {} could not be read",
                dir.display()
            ),
            now,
        );
    }
    for t in &m.subtitles {
        let file = dir.join(&t.file);
        match ::subtitles::read_file(&file, None) {
            Ok(track) => {
                subs.write(SubtitleCommand::Restore {
                    lang: t.lang.clone(),
                    track: Box::new(track),
                    source: t.source.clone(),
                });
            }
            Err(e) => log.push(
                LogLevel::Error,
                format!(
                    "The recovered {} subtitles in {} could not be read: {e}",
                    t.lang,
                    file.display()
                ),
                now,
            ),
        }
    }
    if let Some(n) = &m.note_draft {
        // Back into the Review panel's note field when it shows that take.
        draft.take = Some((n.take_id, n.take_name.clone()));
        draft.text.clear();
        draft.restore = Some(n.text.clone());
        log.push(
            LogLevel::Info,
            format!(
                "Your note draft on {} is back in the Review panel's note field (open that take to see it)",
                n.take_name
            ),
            now,
        );
    }
    log.push(
        LogLevel::Info,
        format!(
            "Restored the unsaved work of {} (undo takes it back)",
            m.take_name
        ),
        now,
    );
    pending.0 = None;
}
