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
    mut groups: ResMut<MarkerGroups>,
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
                dialogs.request(
                    FileRequest::new("Open motion capture files", PickMode::OpenFiles, |p| {
                        Some(UiCommand::Session(SessionCommand::Open(p)))
                    })
                    .filter(
                        "Motion capture",
                        &["c3d", "trc", "bvh", "asf", "amc", "glb", "gltf"],
                    )
                    .filter("All files", &["*"]),
                );
            }
            UiCommand::LaneSpanMoved { key, from, to } => {
                panels
                    .cleanup
                    .write(CleanupCommand::MoveLaneSpan { key, from, to });
            }
            UiCommand::AddActorDialog => {
                dialogs.request(
                    FileRequest::new("Add an actor's motion", PickMode::OpenFile, |p| {
                        Some(UiCommand::Session(SessionCommand::AddActor(first(p)?)))
                    })
                    .filter("Skeleton motion", &["bvh", "amc"]),
                );
            }
            UiCommand::ExportBvhDialog => {
                dialogs.request(
                    FileRequest::new(
                        "Export the take's motion as BVH (one file per actor)",
                        PickMode::Save,
                        |p| Some(UiCommand::Session(SessionCommand::ExportBvh(first(p)?))),
                    )
                    .filter("BVH", &["bvh"])
                    .file_name("take.bvh"),
                );
            }
            UiCommand::ExportGlbDialog => {
                dialogs.request(
                    FileRequest::new(
                        "Export the mannequin with the take's motion as GLB (one file per actor)",
                        PickMode::Save,
                        |p| Some(UiCommand::Session(SessionCommand::ExportGlb(first(p)?))),
                    )
                    .filter("glTF binary", &["glb"])
                    .file_name("take.glb"),
                );
            }
            UiCommand::Cleanup(c) => {
                panels.cleanup.write(c);
            }
            UiCommand::ExportCleanedDialog => {
                dialogs.request(
                    FileRequest::new("Export the cleaned markers", PickMode::Save, |p| {
                        Some(UiCommand::Cleanup(CleanupCommand::Export(first(p)?)))
                    })
                    .filter("C3D", &["c3d"])
                    .filter("TRC (OpenSim)", &["trc"])
                    .file_name("cleaned.c3d"),
                );
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
            UiCommand::Live(c) => {
                panels.live.write(c);
            }
            UiCommand::SaveSubtitlesDialog(lang) => {
                let name = format!("subtitles.{lang}.srt");
                dialogs.request(
                    FileRequest::new(
                        format!("Save the {lang} subtitles"),
                        PickMode::Save,
                        move |p| {
                            Some(UiCommand::Subtitles(SubtitleCommand::Save {
                                lang,
                                path: Some(first(p)?),
                            }))
                        },
                    )
                    .filter("Subtitles", ::subtitles::Format::EXTENSIONS)
                    .file_name(name),
                );
            }
            UiCommand::OpenShotsDialog => {
                dialogs.request(
                    FileRequest::new("Open a shot list", PickMode::OpenFile, |p| {
                        Some(UiCommand::Subtitles(SubtitleCommand::OpenShots(first(p)?)))
                    })
                    .filter("EDL or timecode list", &["edl", "txt"]),
                );
            }
            UiCommand::OpenSubtitlesDialog(audio) => {
                let req = if audio {
                    FileRequest::new("Open the reference audio", PickMode::OpenFile, |p| {
                        Some(UiCommand::Subtitles(SubtitleCommand::OpenAudio(first(p)?)))
                    })
                    .filter("WAV", &["wav"])
                } else {
                    FileRequest::new("Open subtitle tracks", PickMode::OpenFile, |p| {
                        Some(UiCommand::Subtitles(SubtitleCommand::Open(first(p)?)))
                    })
                    .filter("Subtitles", ::subtitles::Format::EXTENSIONS)
                };
                dialogs.request(req);
            }
            UiCommand::OpenLibraryDialog => {
                dialogs.request(
                    FileRequest::new("Open or create a take library", PickMode::Save, |p| {
                        Some(UiCommand::Library(LibraryCommand::Open(first(p)?)))
                    })
                    .filter("Take library", &["db", "sqlite", "mocaplib"])
                    .file_name("takes.db"),
                );
            }
            UiCommand::ImportFolderDialog => {
                dialogs.request(FileRequest::new(
                    "Import a capture folder into the take library",
                    PickMode::Folder,
                    |p| Some(UiCommand::Library(LibraryCommand::ImportFolder(first(p)?))),
                ));
            }
            UiCommand::ExportReportDialog(scene, session) => {
                let name = match (&session, &scene) {
                    (Some(d), Some(s)) => format!("review-{d}-scene-{s}.html"),
                    (None, Some(s)) => format!("review-scene-{s}.html"),
                    (Some(d), None) => format!("review-{d}.html"),
                    (None, None) => "review.html".into(),
                };
                dialogs.request(
                    FileRequest::new("Write the review report (HTML)", PickMode::Save, |p| {
                        Some(UiCommand::Library(LibraryCommand::ExportReport {
                            path: first(p)?,
                            scene,
                            session,
                        }))
                    })
                    .filter("HTML", &["html"])
                    .file_name(name),
                );
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
            UiCommand::ShowMarkerGroup(g, shown) => groups.set_shown(&g, shown),
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
    live: MessageWriter<'w, LiveCommand>,
}

/// The one path of a single-path pick.
fn first(paths: Vec<PathBuf>) -> Option<PathBuf> {
    paths.into_iter().next()
}
