//! File dialogs (the platform's, off the UI thread) and files dropped on the window.

#[allow(unused_imports)]
use super::*;

/// What a file dialog asks the user for.
pub(crate) enum PickMode {
    /// One or more existing files.
    OpenFiles,
    /// One existing file.
    OpenFile,
    /// A file to write (the name may be new).
    Save,
    /// A folder.
    Folder,
}

/// A file dialog request: shown natively when the platform has a dialog (xdg portal, zenity),
/// otherwise in the studio's own file browser. `then` turns the picked paths into the command.
pub(crate) struct FileRequest {
    /// Window title: what the paths are for.
    pub title: String,
    /// What is picked.
    pub mode: PickMode,
    /// Filters: a name and the extensions it accepts (lower case, no dot; `*` = any).
    pub filters: Vec<(String, Vec<&'static str>)>,
    /// File name proposed by a save dialog.
    pub file_name: Option<String>,
    /// The command for the picked paths (never called with none).
    pub then: Box<dyn FnOnce(Vec<PathBuf>) -> Option<UiCommand> + Send + Sync>,
}

impl FileRequest {
    pub(crate) fn new(
        title: impl Into<String>,
        mode: PickMode,
        then: impl FnOnce(Vec<PathBuf>) -> Option<UiCommand> + Send + Sync + 'static,
    ) -> Self {
        Self {
            title: title.into(),
            mode,
            filters: Vec::new(),
            file_name: None,
            then: Box::new(then),
        }
    }

    pub(crate) fn filter(mut self, name: impl Into<String>, extensions: &[&'static str]) -> Self {
        self.filters.push((name.into(), extensions.to_vec()));
        self
    }

    pub(crate) fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Runs the platform's dialog (blocking: call it off the UI thread).
    fn run_native(&self) -> Vec<PathBuf> {
        let mut d = rfd::FileDialog::new().set_title(&self.title);
        for (name, exts) in &self.filters {
            d = d.add_filter(name, exts);
        }
        if let Some(n) = &self.file_name {
            d = d.set_file_name(n);
        }
        match self.mode {
            PickMode::OpenFiles => d.pick_files().unwrap_or_default(),
            PickMode::OpenFile => d.pick_file().into_iter().collect(),
            PickMode::Save => d.save_file().into_iter().collect(),
            PickMode::Folder => d.pick_folder().into_iter().collect(),
        }
    }

    /// The studio's own file browser for this request.
    pub(crate) fn builtin(&self, start: Option<&Path>) -> egui_file_dialog::FileDialog {
        let mut d = egui_file_dialog::FileDialog::new()
            .title(&self.title)
            .id(egui::Id::new("builtin_file_dialog"))
            .default_size([760.0, 460.0]);
        if let Some(dir) = start.filter(|d| d.is_dir()) {
            d = d.initial_directory(dir.to_path_buf());
        }
        for (name, exts) in &self.filters {
            if exts.contains(&"*") {
                continue;
            }
            d = d.add_file_filter_extensions(name, exts.clone());
            if matches!(self.mode, PickMode::Save)
                && let Some(ext) = exts.first()
            {
                d = d.add_save_extension(name, ext);
            }
        }
        if let Some((name, _)) = self.filters.first() {
            d = d.default_file_filter(name);
        }
        if let Some(n) = &self.file_name {
            d = d.default_file_name(n);
        }
        match self.mode {
            PickMode::OpenFiles => d.pick_multiple(),
            PickMode::OpenFile => d.pick_file(),
            PickMode::Save => d.save_file(),
            PickMode::Folder => d.pick_directory(),
        }
        d
    }
}

/// A platform dialog that returns nothing this quickly was never shown (no portal, no zenity):
/// nobody cancels a dialog in under a quarter of a second.
const NO_NATIVE_DIALOG: Duration = Duration::from_millis(250);

/// Whether a platform dialog can open at all. On Linux and the BSDs rfd needs the xdg desktop
/// portal (on a D-Bus session bus) or zenity; without either it fails, and when D-Bus first tries
/// to start a bus that failure can take longer than [`NO_NATIVE_DIALOG`] on a loaded machine,
/// which would read as a cancel and show nothing.
fn native_dialog_possible() -> bool {
    if !cfg!(all(unix, not(target_os = "macos"))) {
        return true;
    }
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| Path::new(&d).join("bus").exists());
    let zenity = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("zenity").is_file()));
    bus || zenity
}

/// Which dialogs the studio shows (the `MOCAP_FILE_DIALOG` environment variable: `native`,
/// `builtin`; unset: native while it works, then the built-in browser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DialogBackend {
    /// The platform's dialog; the built-in browser when it does not open.
    Auto,
    /// The built-in browser always.
    BuiltIn,
}

impl DialogBackend {
    fn from_env() -> Self {
        match std::env::var("MOCAP_FILE_DIALOG").as_deref() {
            Ok("builtin") | Ok("built-in") | Ok("egui") => Self::BuiltIn,
            _ => Self::Auto,
        }
    }
}

/// What a native dialog's worker thread sends back.
enum DialogResult {
    /// Paths picked (empty: cancelled) and the command they make.
    Picked(Option<UiCommand>),
    /// No dialog was shown: the request comes back for the built-in browser.
    NoDialog(FileRequest),
}

impl FileDialogs {
    /// Shows a file dialog (one at a time); its command comes back through
    /// [`poll_file_dialogs`] (native) or [`builtin_file_dialog`] (the built-in browser).
    pub(crate) fn request(&mut self, req: FileRequest) {
        if self.open || self.builtin.is_some() {
            return;
        }
        if self.backend == DialogBackend::BuiltIn {
            self.open_builtin(req);
            return;
        }
        self.open = true;
        let tx = self.tx.clone();
        if !native_dialog_possible() {
            // Straight to the built-in browser (through the same path as a dialog that failed).
            let _ = tx.send(DialogResult::NoDialog(req));
            return;
        }
        std::thread::spawn(move || {
            let started = Instant::now();
            let picked = req.run_native();
            let result = if picked.is_empty() && started.elapsed() < NO_NATIVE_DIALOG {
                DialogResult::NoDialog(req)
            } else if picked.is_empty() {
                DialogResult::Picked(None)
            } else {
                DialogResult::Picked((req.then)(picked))
            };
            // The app may have quit meanwhile: nothing to do then.
            let _ = tx.send(result);
        });
    }

    fn open_builtin(&mut self, req: FileRequest) {
        let start = self
            .last_dir
            .clone()
            .or_else(|| std::env::current_dir().ok());
        let dialog = req.builtin(start.as_deref());
        self.builtin = Some((dialog, req.then));
    }

    /// Whether the built-in browser is showing.
    #[cfg(test)]
    pub(crate) fn builtin_open(&self) -> bool {
        self.builtin.is_some()
    }
}

impl Default for FileDialogs {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self {
            tx,
            rx: Mutex::new(rx),
            open: false,
            backend: DialogBackend::from_env(),
            builtin: None,
            last_dir: None,
        }
    }
}

pub(crate) fn poll_file_dialogs(
    mut dialogs: ResMut<FileDialogs>,
    mut out: MessageWriter<UiCommand>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let received: Vec<DialogResult> = match dialogs.rx.lock() {
        Ok(rx) => rx.try_iter().collect(),
        Err(_) => Vec::new(),
    };
    for result in received {
        dialogs.open = false;
        match result {
            DialogResult::Picked(Some(cmd)) => {
                out.write(cmd);
            }
            DialogResult::Picked(None) => {}
            DialogResult::NoDialog(req) => {
                log.push(
                    LogLevel::Info,
                    "No desktop file dialog here (no xdg portal, no zenity): the studio's own \
                     file browser opens instead (MOCAP_FILE_DIALOG=builtin chooses it always)",
                    time.elapsed_secs_f64(),
                );
                dialogs.backend = DialogBackend::BuiltIn;
                dialogs.open_builtin(req);
            }
        }
    }
}

/// Shows the built-in file browser while a request is open; the picked paths become the
/// request's command.
pub(crate) fn builtin_file_dialog(
    mut contexts: EguiContexts,
    mut dialogs: ResMut<FileDialogs>,
    mut out: MessageWriter<UiCommand>,
) -> Result {
    let Some((dialog, _)) = dialogs.builtin.as_mut() else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    dialog.update(ctx);
    if let Some(r) = ctx.memory(|m| m.area_rect(dialog.get_window_id())) {
        crate::widgets::probe_rect(ctx, "file_dialog", r, true);
    }
    let picked = match dialog.state() {
        egui_file_dialog::DialogState::Open => return Ok(()),
        egui_file_dialog::DialogState::Picked(p) => vec![p.clone()],
        egui_file_dialog::DialogState::PickedMultiple(p) => p.clone(),
        egui_file_dialog::DialogState::Closed | egui_file_dialog::DialogState::Cancelled => {
            Vec::new()
        }
    };
    let Some((_, then)) = dialogs.builtin.take() else {
        return Ok(());
    };
    if let Some(first) = picked.first() {
        dialogs.last_dir = first.parent().map(Path::to_path_buf).filter(|d| d.is_dir());
        if let Some(cmd) = then(picked) {
            out.write(cmd);
        }
    }
    Ok(())
}

pub(crate) fn file_drops(
    mut drops: MessageReader<FileDragAndDrop>,
    mut out: MessageWriter<UiCommand>,
) {
    let mut paths: Vec<PathBuf> = drops
        .read()
        .filter_map(|d| match d {
            FileDragAndDrop::DroppedFile { path_buf, .. } => Some(path_buf.clone()),
            _ => None,
        })
        .collect();
    // Subtitle files and WAVs go to the subtitle tracks, the rest to the session.
    paths.retain(|p| match crate::subtitles::dropped_file_command(p) {
        Some(c) => {
            out.write(UiCommand::Subtitles(c));
            false
        }
        None => true,
    });
    if !paths.is_empty() {
        out.write(UiCommand::Session(SessionCommand::Open(paths)));
    }
}

/// File dialogs: the platform's on a worker thread (so rendering continues), or the built-in
/// browser drawn by egui.
#[derive(Resource)]
pub(crate) struct FileDialogs {
    /// Results of a native dialog's worker thread.
    tx: Sender<DialogResult>,
    rx: Mutex<Receiver<DialogResult>>,
    /// A native dialog is showing.
    open: bool,
    backend: DialogBackend,
    /// The built-in browser and what its paths become.
    builtin: Option<(
        egui_file_dialog::FileDialog,
        Box<dyn FnOnce(Vec<PathBuf>) -> Option<UiCommand> + Send + Sync>,
    )>,
    /// The folder of the last path picked in the built-in browser (where it opens next).
    last_dir: Option<PathBuf>,
}

/// The file dialog a command asks for (`None` for other commands): what is picked and the
/// command the picked paths become.
pub(crate) fn file_request(cmd: UiCommand) -> Option<FileRequest> {
    match cmd {
        UiCommand::OpenDialog => Some(
            FileRequest::new("Open motion capture files", PickMode::OpenFiles, |p| {
                Some(UiCommand::Session(SessionCommand::Open(p)))
            })
            .filter(
                "Motion capture",
                &[
                    "c3d", "trc", "bvh", "asf", "amc", "glb", "gltf", "csv", "json",
                ],
            )
            .filter("Face take", &["csv", "json"])
            .filter("All files", &["*"]),
        ),
        UiCommand::CompareDialog => Some(
            FileRequest::new("Compare with…", PickMode::OpenFiles, |p| {
                Some(UiCommand::Compare(
                    crate::model::compare::CompareCommand::Open(p),
                ))
            })
            .filter("Take or motion", &["c3d", "trc", "bvh", "amc", "asf"])
            .filter("All files", &["*"]),
        ),
        UiCommand::AddActorDialog => Some(
            FileRequest::new("Add an actor's motion", PickMode::OpenFile, |p| {
                Some(UiCommand::Session(SessionCommand::AddActor(first(p)?)))
            })
            .filter("Skeleton motion", &["bvh", "amc"]),
        ),
        UiCommand::ExportBvhDialog => Some(
            FileRequest::new(
                "Export the take's motion as BVH (one file per actor)",
                PickMode::Save,
                |p| Some(UiCommand::Session(SessionCommand::ExportBvh(first(p)?))),
            )
            .filter("BVH", &["bvh"])
            .file_name("take.bvh"),
        ),
        UiCommand::ExportGlbDialog => Some(
            FileRequest::new(
                "Export the mannequin with the take's motion as GLB (one file per actor)",
                PickMode::Save,
                |p| Some(UiCommand::Session(SessionCommand::ExportGlb(first(p)?))),
            )
            .filter("glTF binary", &["glb"])
            .file_name("take.glb"),
        ),
        UiCommand::ExportCleanedDialog => Some(
            FileRequest::new("Export the cleaned markers", PickMode::Save, |p| {
                Some(UiCommand::Cleanup(CleanupCommand::Export(first(p)?)))
            })
            .filter("C3D", &["c3d"])
            .filter("TRC (OpenSim)", &["trc"])
            .file_name("cleaned.c3d"),
        ),
        UiCommand::SaveSubtitlesDialog(lang) => {
            let name = format!("subtitles.{lang}.srt");
            Some(
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
            )
        }
        UiCommand::OpenShotsDialog => Some(
            FileRequest::new("Open a shot list", PickMode::OpenFile, |p| {
                Some(UiCommand::Subtitles(SubtitleCommand::OpenShots(first(p)?)))
            })
            .filter("EDL or timecode list", &["edl", "txt"]),
        ),
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
            Some(req)
        }
        UiCommand::OpenLibraryDialog => Some(
            FileRequest::new("Open or create a take library", PickMode::Save, |p| {
                Some(UiCommand::Library(LibraryCommand::Open(first(p)?)))
            })
            .filter("Take library", &["db", "sqlite", "mocaplib"])
            .file_name("takes.db"),
        ),
        UiCommand::ExportPlaylistDialog(name) => {
            let file = format!("dailies-{}.html", name.replace(['/', '\\', ' '], "_"));
            Some(
                FileRequest::new(
                    "Write the dailies review report (HTML)",
                    PickMode::Save,
                    |p| {
                        Some(UiCommand::Library(LibraryCommand::ExportPlaylist {
                            name,
                            path: first(p)?,
                        }))
                    },
                )
                .filter("HTML", &["html"])
                .file_name(file),
            )
        }
        UiCommand::ImportFolderDialog => Some(FileRequest::new(
            "Import a capture folder into the take library",
            PickMode::Folder,
            |p| Some(UiCommand::Library(LibraryCommand::ImportFolder(first(p)?))),
        )),
        UiCommand::ExportReportDialog(scene, session) => {
            let name = match (&session, &scene) {
                (Some(d), Some(s)) => format!("review-{d}-scene-{s}.html"),
                (None, Some(s)) => format!("review-scene-{s}.html"),
                (Some(d), None) => format!("review-{d}.html"),
                (None, None) => "review.html".into(),
            };
            Some(
                FileRequest::new("Write the review report (HTML)", PickMode::Save, |p| {
                    Some(UiCommand::Library(LibraryCommand::ExportReport {
                        path: first(p)?,
                        scene,
                        session,
                    }))
                })
                .filter("HTML", &["html"])
                .file_name(name),
            )
        }
        _ => None,
    }
}

/// The one path of a single-path pick.
fn first(paths: Vec<PathBuf>) -> Option<PathBuf> {
    paths.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    /// The in-app browser a studio without a desktop dialog falls back to: Export BVH proposes
    /// `take.bvh` in the folder it opens in, and Save (or Enter) picks that path.
    #[test]
    fn the_builtin_browser_saves_where_the_user_points() {
        let dir = tempfile::tempdir().expect("temp dir");
        let req = FileRequest::new("Export BVH", PickMode::Save, |p| {
            Some(UiCommand::Session(SessionCommand::ExportBvh(
                p.into_iter().next()?,
            )))
        })
        .filter("BVH", &["bvh"])
        .file_name("take.bvh");
        let dialog = req.builtin(Some(dir.path()));
        let mut h = Harness::builder().with_size([900.0, 600.0]).build_ui_state(
            |ui, d: &mut egui_file_dialog::FileDialog| {
                d.update(ui.ctx());
            },
            dialog,
        );
        h.run_steps(3);
        h.get_by_label("📥  Save").click();
        h.run_steps(3);
        let want = dir.path().join("take.bvh");
        match h.state().state() {
            egui_file_dialog::DialogState::Picked(p) => assert_eq!(
                std::fs::canonicalize(p.parent().expect("folder")).expect("exists"),
                std::fs::canonicalize(dir.path()).expect("exists")
            ),
            other => panic!("expected {} picked, got {other:?}", want.display()),
        }
        // The request turns the path into the export command.
        let cmd = (req.then)(vec![want.clone()]);
        assert!(matches!(cmd, Some(UiCommand::Session(SessionCommand::ExportBvh(p))) if p == want));
    }

    #[test]
    fn builtin_backend_opens_the_browser_without_trying_the_platform() {
        let mut d = FileDialogs {
            backend: DialogBackend::BuiltIn,
            ..FileDialogs::default()
        };
        d.request(FileRequest::new("Open", PickMode::OpenFiles, |p| {
            Some(UiCommand::Session(SessionCommand::Open(p)))
        }));
        assert!(d.builtin_open());
        assert!(!d.open, "no native dialog thread");
    }
}
