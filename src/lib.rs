//! Mocap Studio, the desktop application: a Bevy viewport with egui panels docked around it.
//!
//! One plugin per concern, each with a public `SystemSet`:
//! [`session::SessionPlugin`] (what is loaded), [`playback::PlaybackPlugin`] (the clock),
//! [`history::HistoryPlugin`] (undoable edits), [`takes::TakesPlugin`] (take library, review),
//! [`cleanup::CleanupPlugin`] (operation stack), [`face::FacePlugin`] (the take's face on
//! characters), [`compare::ComparePlugin`] (a second take compared with the open one),
//! [`subtitles::SubtitlesPlugin`] (subtitle tracks, reference audio; overlay and playback in
//! [`subtitles::SubtitleOverlayPlugin`] and [`subtitles_audio::SubtitleAudioPlugin`]),
//! [`camera::CameraPlugin`],
//! [`viewport::ViewportPlugin`] (grid, markers, bones, mannequin),
//! [`character::CharacterPlugin`] (glTF characters driven by the take), [`live::LivePlugin`]
//! (a NatNet server's stream in the viewport, recording), [`ui::UiPlugin`] (egui
//! shell) and [`capture::CapturePlugin`] (scripted screenshot runs).
//!
//! Render-free plugins ([`core_plugins`]) run under `MinimalPlugins` in tests.

// Bevy system parameters (`Res<T>`, `Query<…>`, `Commands`) carry lifetimes that every Bevy
// codebase elides; spelling them out everywhere would only add noise.
#![allow(elided_lifetimes_in_paths)]

pub mod bench;
pub mod capture;
pub mod character;
pub mod cleanup;
pub mod cli;
pub mod compare;
pub mod face;
pub mod history;
pub mod live;
pub mod model;
pub mod playback;
pub mod recovery;
pub mod session;
pub mod subtitles;
pub mod takes;
pub mod ui;
pub mod viewport;
pub mod widgets;

use bevy::app::PluginGroupBuilder;
use bevy::prelude::*;

/// The plugins that need no window or GPU: session, playback, history, take library, clean-up,
/// faces, subtitles.
pub struct CorePlugins;

impl PluginGroup for CorePlugins {
    fn build(self) -> PluginGroupBuilder {
        PluginGroupBuilder::start::<Self>()
            .add(session::SessionPlugin)
            .add(playback::PlaybackPlugin)
            .add(history::HistoryPlugin)
            .add(takes::TakesPlugin)
            .add(cleanup::CleanupPlugin)
            .add(face::FacePlugin)
            .add(compare::ComparePlugin)
            .add(subtitles::SubtitlesPlugin)
            // Unsaved-change tracking; no recovery folder unless the app sets one.
            .add(recovery::RecoveryPlugin {
                folder: None,
                interval_s: 5.0,
            })
    }
}

/// The render-free plugin group (alias kept short for tests).
pub fn core_plugins() -> CorePlugins {
    CorePlugins
}
