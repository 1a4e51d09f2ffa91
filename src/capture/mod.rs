//! Scripted runs: `--exit-after-frames N` and `--screenshot OUT.png`.
//!
//! After N rendered frames (counted once the files opened at start are read) the app either exits
//! (code 0) or captures the primary window, writes the PNG and then exits 0. A capture that fails to save exits with code 1; a capture that never
//! arrives (no renderer) exits with code 2 after a timeout, so CI never hangs.

use std::num::NonZeroU8;
use std::path::PathBuf;
use std::time::Instant;

use bevy::diagnostic::FrameCount;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};

/// Capture systems.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaptureSet;

/// Exits after a number of frames, optionally saving a screenshot first.
#[derive(Debug, Clone)]
pub struct CapturePlugin {
    /// Where to save the screenshot.
    pub screenshot: Option<PathBuf>,
    /// Frames to render before capturing / exiting.
    pub exit_after_frames: Option<u32>,
}

/// Frames after the capture request before giving up.
const CAPTURE_TIMEOUT_FRAMES: u32 = 600;

#[derive(Resource, Debug, Clone)]
struct CaptureState {
    screenshot: Option<PathBuf>,
    exit_after: u32,
    frames: u32,
    requested_at: Option<u32>,
}

/// Outcome of the screenshot observer, read by [`finish`].
#[derive(Resource, Debug, Default)]
struct CaptureResult(Option<Result<(), String>>);

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        if self.screenshot.is_none() && self.exit_after_frames.is_none() {
            return;
        }
        app.insert_resource(CaptureState {
            screenshot: self.screenshot.clone(),
            // A screenshot needs a few frames for egui's layout and the first render.
            exit_after: self.exit_after_frames.unwrap_or(60).max(3),
            frames: 0,
            requested_at: None,
        })
        .init_resource::<CaptureResult>()
        .add_systems(Last, (count_and_request, finish).chain().in_set(CaptureSet));
    }
}

fn count_and_request(
    mut commands: Commands,
    mut state: ResMut<CaptureState>,
    mut exit: MessageWriter<AppExit>,
    opening: Option<Res<crate::model::session::Opening>>,
) {
    // Files given on the command line are read in the background: the frames to render before
    // the capture count from when they are in the take.
    if opening.is_some_and(|o| o.busy()) {
        return;
    }
    state.frames += 1;
    if state.frames < state.exit_after || state.requested_at.is_some() {
        return;
    }
    match state.screenshot.clone() {
        None => {
            info!(
                "Rendered {} frames; exiting (--exit-after-frames)",
                state.frames
            );
            exit.write(AppExit::Success);
        }
        Some(path) => {
            state.requested_at = Some(state.frames);
            commands.spawn(Screenshot::primary_window()).observe(
                move |captured: On<ScreenshotCaptured>, mut result: ResMut<CaptureResult>| {
                    let saved = captured
                        .image
                        .clone()
                        .try_into_dynamic()
                        .map_err(|e| format!("cannot convert the capture: {e}"))
                        .and_then(|img| {
                            img.to_rgb8()
                                .save(&path)
                                .map_err(|e| format!("cannot write {}: {e}", path.display()))
                        });
                    if saved.is_ok() {
                        info!("Screenshot saved to {}", path.display());
                    }
                    result.0 = Some(saved);
                },
            );
        }
    }
}

fn finish(
    state: Res<CaptureState>,
    mut result: ResMut<CaptureResult>,
    mut exit: MessageWriter<AppExit>,
) {
    match result.0.take() {
        Some(Ok(())) => {
            exit.write(AppExit::Success);
        }
        Some(Err(e)) => {
            error!("Screenshot failed: {e}");
            exit.write(AppExit::Error(NonZeroU8::MIN));
        }
        None => {
            if let Some(at) = state.requested_at
                && state.frames > at + CAPTURE_TIMEOUT_FRAMES
            {
                error!("Screenshot never arrived after {CAPTURE_TIMEOUT_FRAMES} frames");
                exit.write(AppExit::Error(NonZeroU8::new(2).unwrap_or(NonZeroU8::MIN)));
            }
        }
    }
}

/// Logs how long start-up took: from `started` (taken first thing in `main`) to the first frame
/// presented. Bevy renders frame N while the main world runs update N+1, so the figure is taken
/// when the third update begins (`FrameCount` = 2), i.e. once the first frame has been drawn.
/// `mocap-studio --demo --exit-after-frames 3` prints it (the README's start-up figure).
#[derive(Debug, Clone)]
pub struct StartupTimePlugin {
    /// Process start.
    pub started: Instant,
}

#[derive(Resource, Debug, Clone)]
struct StartupClock {
    started: Instant,
    logged: bool,
}

impl Plugin for StartupTimePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(StartupClock {
            started: self.started,
            logged: false,
        })
        .add_systems(First, log_first_frame.in_set(CaptureSet));
    }
}

fn log_first_frame(
    frames: Res<FrameCount>,
    mut clock: ResMut<StartupClock>,
    mut log: ResMut<crate::model::log::AppLog>,
) {
    if clock.logged || frames.0 < 2 {
        return;
    }
    clock.logged = true;
    let ms = clock.started.elapsed().as_secs_f64() * 1e3;
    // `AppLog::push` also writes it to the terminal.
    log.push(
        crate::model::log::LogLevel::Info,
        format!("Start-up: first frame presented {ms:.0} ms after process start"),
        0.0,
    );
}
