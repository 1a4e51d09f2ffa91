//! Routes the commands panels return (`UiCommand`) to the plugins that apply them, as Bevy messages.

#[allow(unused_imports)]
use super::*;

/// The unsaved-changes prompt and the recovery offer's answers.
#[derive(bevy::ecs::system::SystemParam)]
pub(crate) struct Prompts<'w> {
    quit: ResMut<'w, QuitPrompt>,
    recovery: MessageWriter<'w, RecoveryCommand>,
    unsaved: Res<'w, Unsaved>,
    groups: ResMut<'w, MarkerGroups>,
    draft: ResMut<'w, crate::model::recovery::NoteDraft>,
}

/// Applies [`UiCommand`]s by writing the owning plugins' messages.
// long function: one short arm per `UiCommand` variant, the one place a panel command is routed.
pub(crate) fn dispatch_commands(
    mut commands: MessageReader<UiCommand>,
    mut playback: MessageWriter<PlaybackCommand>,
    mut edits: MessageWriter<EditCommand>,
    mut history: MessageWriter<HistoryCommand>,
    mut session: MessageWriter<SessionCommand>,
    mut camera: MessageWriter<CameraCommand>,
    mut panels: PanelWriters,
    mut note_focus: ResMut<NoteFocus>,
    mut exit: MessageWriter<AppExit>,
    mut selection: ResMut<Selection>,
    mut settings: ResMut<Settings>,
    mut dialogs: ResMut<FileDialogs>,
    mut layout: Option<ResMut<DockLayout>>,
    mut log: ResMut<AppLog>,
    mut prompts: Prompts,
    time: Res<Time<Real>>,
) {
    for cmd in commands.read() {
        if let Some(req) = file_request(cmd.clone()) {
            dialogs.request(req);
            continue;
        }
        match cmd.clone() {
            UiCommand::Playback(c) => {
                playback.write(c);
            }
            UiCommand::Edit(e) => {
                edits.write(e);
            }
            UiCommand::History(h) => {
                history.write(h);
            }
            UiCommand::Session(s) => {
                if let SessionCommand::Open(paths) = &s {
                    for p in paths.iter().filter(|p| p.exists()) {
                        settings.add_recent(p);
                    }
                }
                session.write(s);
            }
            UiCommand::Camera(c) => {
                camera.write(c);
            }
            UiCommand::SelectMarker(m) => selection.select_marker(m),
            UiCommand::SelectJoint(actor, j) => selection.select_actor_joint(actor, j),
            UiCommand::LaneSpanMoved { key, from, to } => {
                panels
                    .cleanup
                    .write(CleanupCommand::MoveLaneSpan { key, from, to });
            }
            UiCommand::Cleanup(c) => {
                panels.cleanup.write(c);
            }
            UiCommand::Library(c) => {
                match &c {
                    LibraryCommand::Open(p) => {
                        settings.add_recent_library(p);
                        if !take_library::store::is_postgres_url(&p.to_string_lossy()) {
                            settings.last_library = Some(p.clone());
                        }
                    }
                    LibraryCommand::SetAuthor(a) if !a.trim().is_empty() => {
                        settings.user = a.trim().to_string();
                    }
                    _ => {}
                }
                panels.library.write(c);
            }
            UiCommand::Subtitles(c) => {
                panels.subtitles.write(c);
            }
            UiCommand::Live(c) => {
                panels.live.write(c);
            }
            UiCommand::Compare(c) => {
                panels.compare.write(c);
                if let Some(l) = layout.as_mut() {
                    focus_tab(&mut l.0, Tab::Compare);
                }
            }
            UiCommand::BoneMap(c) => {
                panels.bonemap.write(c);
            }
            UiCommand::FaceMap(c) => {
                panels.facemap.write(c);
            }
            UiCommand::FocusTab(tab) => {
                if let Some(l) = layout.as_mut() {
                    focus_tab(&mut l.0, tab);
                }
            }
            UiCommand::FocusNote => {
                if let Some(l) = layout.as_mut() {
                    focus_tab(&mut l.0, Tab::Review);
                }
                note_focus.0 = true;
            }
            UiCommand::NoteDraft {
                take_id,
                take_name,
                text,
            } => {
                let d = &mut prompts.draft;
                let take = Some((take_id, take_name));
                if d.take != take || d.text != text || d.restore.is_some() {
                    d.take = take;
                    d.text = text;
                    d.restore = None;
                }
            }
            UiCommand::SetDisplayRate(r) => settings.display_rate = r,
            UiCommand::SetShowFrames(f) => settings.show_frames = f,
            UiCommand::ShowMarkerGroup(g, shown) => prompts.groups.set_shown(&g, shown),
            UiCommand::SetSettings(s) => *settings = *s,
            UiCommand::ResetLayout => {
                if let Some(l) = layout.as_mut() {
                    l.0 = default_layout();
                }
            }
            UiCommand::Report(text) => log.push(LogLevel::Warning, text, time.elapsed_secs_f64()),
            UiCommand::OpenTab(tab) => {
                if let Some(l) = layout.as_mut()
                    && l.0.find_tab(&tab).is_none()
                {
                    l.0.push_to_first_leaf(tab);
                }
            }
            UiCommand::Quit => {
                if prompts.unsaved.docs.is_empty() {
                    exit.write(AppExit::Success);
                } else {
                    prompts.quit.0 = true;
                }
            }
            UiCommand::QuitDiscard => {
                prompts.quit.0 = false;
                exit.write(AppExit::Success);
            }
            UiCommand::CancelQuit => prompts.quit.0 = false,
            // Shown by `file_request` above.
            UiCommand::OpenDialog
            | UiCommand::AddActorDialog
            | UiCommand::CompareDialog
            | UiCommand::ExportBvhDialog
            | UiCommand::ExportGlbDialog
            | UiCommand::ExportCleanedDialog
            | UiCommand::SaveSubtitlesDialog(_)
            | UiCommand::OpenShotsDialog
            | UiCommand::OpenSubtitlesDialog(_)
            | UiCommand::OpenLibraryDialog
            | UiCommand::ExportPlaylistDialog(_)
            | UiCommand::ImportFolderDialog
            | UiCommand::ExportReportDialog(..) => {}
            UiCommand::Recovery(c) => {
                prompts.recovery.write(c);
            }
        }
    }
}

/// Writers of the panel plugins' messages (grouped: a system takes at most 16 parameters).
#[derive(bevy::ecs::system::SystemParam)]
pub(crate) struct PanelWriters<'w> {
    library: MessageWriter<'w, LibraryCommand>,
    cleanup: MessageWriter<'w, CleanupCommand>,
    subtitles: MessageWriter<'w, SubtitleCommand>,
    live: MessageWriter<'w, LiveCommand>,
    compare: MessageWriter<'w, crate::model::compare::CompareCommand>,
    bonemap: MessageWriter<'w, crate::model::bonemap::BoneMapCommand>,
    facemap: MessageWriter<'w, crate::model::facemap::FaceMapCommand>,
}
