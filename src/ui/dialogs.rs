//! File dialogs (the platform's, off the UI thread) and files dropped on the window.

#[allow(unused_imports)]
use super::*;

impl FileDialogs {
    /// Runs a blocking native dialog on a worker thread (one at a time); its command comes back
    /// through the channel.
    pub(crate) fn spawn(&mut self, dialog: impl FnOnce() -> Option<UiCommand> + Send + 'static) {
        if self.open {
            return;
        }
        self.open = true;
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            // The app may have quit meanwhile: nothing to do then.
            let _ = tx.send(dialog());
        });
    }
}

impl Default for FileDialogs {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self {
            tx,
            rx: Mutex::new(rx),
            open: false,
        }
    }
}

pub(crate) fn poll_file_dialogs(
    mut dialogs: ResMut<FileDialogs>,
    mut out: MessageWriter<UiCommand>,
) {
    let received: Vec<Option<UiCommand>> = match dialogs.rx.lock() {
        Ok(rx) => rx.try_iter().collect(),
        Err(_) => Vec::new(),
    };
    for cmd in received {
        dialogs.open = false;
        if let Some(cmd) = cmd {
            out.write(cmd);
        }
    }
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

/// Pending results of native file dialogs (run on a worker thread so rendering continues).
#[derive(Resource)]
pub(crate) struct FileDialogs {
    /// Commands produced by a dialog's worker thread (open these files, export there).
    tx: Sender<Option<UiCommand>>,
    rx: Mutex<Receiver<Option<UiCommand>>>,
    open: bool,
}
