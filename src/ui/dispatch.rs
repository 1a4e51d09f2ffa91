//! Routes the commands panels return (`UiCommand`) to the plugins that apply them, as Bevy messages.

#[allow(unused_imports)]
use super::*;

/// Applies [`UiCommand`]s by writing the owning plugins' messages.
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
    time: Res<Time<Real>>,
) {
    for cmd in commands.read() {
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
            UiCommand::OpenDialog => {
                dialogs.spawn(|| {
                    let picked = rfd::FileDialog::new()
                        .set_title("Open motion capture files")
                        .add_filter(
                            "Motion capture",
                            &["c3d", "trc", "bvh", "asf", "amc", "glb", "gltf"],
                        )
                        .add_filter("All files", &["*"])
                        .pick_files()
                        .unwrap_or_default();
                    (!picked.is_empty()).then_some(UiCommand::Session(SessionCommand::Open(picked)))
                });
            }
            UiCommand::LaneSpanMoved { key, from, to } => {
                panels
                    .cleanup
                    .write(CleanupCommand::MoveLaneSpan { key, from, to });
            }
            UiCommand::AddActorDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Add an actor's motion")
                        .add_filter("Skeleton motion", &["bvh", "amc"])
                        .pick_file()
                        .map(|p| UiCommand::Session(SessionCommand::AddActor(p)))
                });
            }
            UiCommand::ExportBvhDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Export the take's motion as BVH (one file per actor)")
                        .add_filter("BVH", &["bvh"])
                        .set_file_name("take.bvh")
                        .save_file()
                        .map(|p| UiCommand::Session(SessionCommand::ExportBvh(p)))
                });
            }
            UiCommand::ExportGlbDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Export the mannequin with the take's motion as GLB (one file per actor)")
                        .add_filter("glTF binary", &["glb"])
                        .set_file_name("take.glb")
                        .save_file()
                        .map(|p| UiCommand::Session(SessionCommand::ExportGlb(p)))
                });
            }
            UiCommand::Cleanup(c) => {
                panels.cleanup.write(c);
            }
            UiCommand::ExportCleanedDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Export the cleaned markers")
                        .add_filter("C3D", &["c3d"])
                        .add_filter("TRC (OpenSim)", &["trc"])
                        .set_file_name("cleaned.c3d")
                        .save_file()
                        .map(|p| UiCommand::Cleanup(CleanupCommand::Export(p)))
                });
            }
            UiCommand::Library(c) => {
                if let LibraryCommand::Open(p) = &c {
                    settings.last_library = Some(p.clone());
                }
                panels.library.write(c);
            }
            UiCommand::Subtitles(c) => {
                panels.subtitles.write(c);
            }
            UiCommand::SaveSubtitlesDialog(lang) => {
                dialogs.spawn(move || {
                    rfd::FileDialog::new()
                        .set_title(format!("Save the {lang} subtitles"))
                        .add_filter("Subtitles", ::subtitles::Format::EXTENSIONS)
                        .set_file_name(format!("subtitles.{lang}.srt"))
                        .save_file()
                        .map(|p| {
                            UiCommand::Subtitles(SubtitleCommand::Save {
                                lang,
                                path: Some(p),
                            })
                        })
                });
            }
            UiCommand::OpenShotsDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Open a shot list")
                        .add_filter("EDL or timecode list", &["edl", "txt"])
                        .pick_file()
                        .map(|p| UiCommand::Subtitles(SubtitleCommand::OpenShots(p)))
                });
            }
            UiCommand::OpenSubtitlesDialog(audio) => {
                dialogs.spawn(move || {
                    let d = rfd::FileDialog::new();
                    if audio {
                        d.set_title("Open the reference audio")
                            .add_filter("WAV", &["wav"])
                            .pick_file()
                            .map(|p| UiCommand::Subtitles(SubtitleCommand::OpenAudio(p)))
                    } else {
                        d.set_title("Open subtitle tracks")
                            .add_filter("Subtitles", ::subtitles::Format::EXTENSIONS)
                            .pick_file()
                            .map(|p| UiCommand::Subtitles(SubtitleCommand::Open(p)))
                    }
                });
            }
            UiCommand::OpenLibraryDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Open or create a take library")
                        .add_filter("Take library", &["db", "sqlite", "mocaplib"])
                        .set_file_name("takes.db")
                        .save_file()
                        .map(|p| UiCommand::Library(LibraryCommand::Open(p)))
                });
            }
            UiCommand::ImportFolderDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Import a capture folder into the take library")
                        .pick_folder()
                        .map(|p| UiCommand::Library(LibraryCommand::ImportFolder(p)))
                });
            }
            UiCommand::ExportReportDialog(scene, session) => {
                dialogs.spawn(move || {
                    let name = match (&session, &scene) {
                        (Some(d), Some(s)) => format!("review-{d}-scene-{s}.html"),
                        (None, Some(s)) => format!("review-scene-{s}.html"),
                        (Some(d), None) => format!("review-{d}.html"),
                        (None, None) => "review.html".into(),
                    };
                    rfd::FileDialog::new()
                        .set_title("Write the review report (HTML)")
                        .add_filter("HTML", &["html"])
                        .set_file_name(name)
                        .save_file()
                        .map(|path| {
                            UiCommand::Library(LibraryCommand::ExportReport {
                                path,
                                scene,
                                session,
                            })
                        })
                });
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
            UiCommand::SetDisplayRate(r) => settings.display_rate = r,
            UiCommand::SetShowFrames(f) => settings.show_frames = f,
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
                exit.write(AppExit::Success);
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
}
