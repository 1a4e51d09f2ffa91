//! `mocap-studio`: the desktop app. See `mocap_studio::cli::Args` for the command line.

// Bevy system parameters (`Res<T>`, `Query<…>`, `Commands`) carry lifetimes that every Bevy
// codebase elides; spelling them out everywhere would only add noise.
#![allow(elided_lifetimes_in_paths)]

use anyhow::Result;
use bevy::asset::UnapprovedPathMode;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::window::WindowResolution;
use bevy_egui::EguiPlugin;
use clap::Parser;
use mocap_studio::{
    capture::{CapturePlugin, StartupTimePlugin},
    character::CharacterPlugin,
    cli::Args,
    core_plugins,
    live::LivePlugin,
    model::commands::{LiveCommand, PlaybackCommand, Tab, UiCommand},
    model::library::LibraryCommand,
    model::session::SessionCommand,
    model::subtitles::SubtitleCommand,
    recovery::RecoveryPlugin,
    subtitles::{SubtitleOverlayPlugin, audio::SubtitleAudioPlugin},
    ui::UiPlugin,
    viewport::{ViewportPlugin, camera::CameraPlugin},
};

fn main() -> Result<()> {
    let started = std::time::Instant::now();
    let args = Args::parse();
    if args.bench || args.bench_resolve {
        let dir = std::env::temp_dir().join(format!("mocap-studio-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let result = if args.bench {
            mocap_studio::bench::run(&dir)
        } else {
            mocap_studio::bench::run_resolve(&dir)
        };
        let _ = std::fs::remove_dir_all(&dir);
        return result;
    }
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: "Mocap Studio".into(),
                    resolution: WindowResolution::new(args.width, args.height),
                    ..default()
                }),
                // The close button asks first when work is unsaved (UiPlugin).
                close_when_requested: false,
                ..default()
            })
            .set(AssetPlugin {
                // Files opened by the user (glTF characters) live anywhere on disk.
                unapproved_path_mode: UnapprovedPathMode::Allow,
                ..default()
            })
            .set(RenderPlugin {
                // Scripted screenshots must not catch shaders still compiling in the background.
                synchronous_pipeline_compilation: args.screenshot.is_some(),
                ..default()
            }),
    )
    .add_plugins(EguiPlugin::default())
    .add_plugins(
        core_plugins().set(RecoveryPlugin {
            // Scripted runs neither write nor offer recovered work.
            folder: (!args.is_scripted())
                .then(mocap_studio::recovery::default_folder)
                .flatten(),
            interval_s: 5.0,
        }),
    )
    .add_plugins((
        CameraPlugin,
        ViewportPlugin,
        CharacterPlugin,
        LivePlugin,
        SubtitleOverlayPlugin,
        SubtitleAudioPlugin,
        mocap_studio::compare::CompareGhostPlugin,
        UiPlugin {
            persist: !args.is_scripted(),
        },
        CapturePlugin {
            screenshot: args.screenshot.clone(),
            exit_after_frames: args.exit_after_frames,
        },
        StartupTimePlugin { started },
    ));
    open_library(&mut app, &args);
    queue_startup(&mut app, &args)?;
    match app.run() {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => std::process::exit(code.get() as i32),
    }
}

/// The take library to open at start: `--library`, else (the demo session) a generated one in the
/// user's data folder (scenes, notes, verdicts, a dailies playlist), made once.
fn open_library(app: &mut App, args: &Args) {
    if let Some(db) = &args.library {
        app.world_mut()
            .write_message(LibraryCommand::Open(db.clone()));
    } else if args.wants_demo() && !args.is_scripted() {
        // The demo session comes with a generated take library (scenes, notes, verdicts, a
        // dailies playlist), made once in the user's data folder.
        let db = mocap_studio::model::settings::data_dir().join("demo-library.db");
        let made = db.exists() || {
            let _ = std::fs::create_dir_all(db.parent().unwrap_or(std::path::Path::new(".")));
            match take_library::demo::generate(&db) {
                Ok(_) => true,
                Err(e) => {
                    warn!("demo take library not made: {e}");
                    false
                }
            }
        };
        if made {
            app.world_mut().write_message(LibraryCommand::Open(db));
        }
    }
}

/// What the command line asks for at start, as the messages the app's plugins read: the tab,
/// the live stage, the selection, trails, the demo or files, a comparison, subtitles.
fn queue_startup(app: &mut App, args: &Args) -> Result<()> {
    if let Some(tab) = &args.tab {
        match Tab::parse(tab) {
            Some(t) => {
                app.world_mut().write_message(UiCommand::FocusTab(t));
            }
            None => anyhow::bail!(
                "--tab {tab}: no such tab ({})",
                mocap_studio::model::commands::ALL_TABS
                    .iter()
                    .map(|t| t.title().to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    if let Some(set) = &args.live_solve {
        app.world_mut()
            .write_message(LiveCommand::SetSolve(Some(set.clone())));
    }
    if let Some(server) = args.live_natnet {
        app.world_mut().write_message(LiveCommand::Connect {
            server,
            multicast: None,
            local: std::net::IpAddr::from([127, 0, 0, 1]),
        });
    }
    if let Some(bind) = args.live_faces {
        app.world_mut()
            .write_message(LiveCommand::ListenFaces(Some(bind)));
    }
    if let Some(label) = &args.marker {
        app.insert_resource(mocap_studio::viewport::StartupMarker(label.clone()));
    }
    if let Some(name) = &args.joint {
        app.insert_resource(mocap_studio::viewport::StartupJoint(name.clone()));
    }
    if let Some(n) = args.trails {
        app.insert_resource(mocap_studio::viewport::TrailOverride {
            frames: n,
            all: args.marker.is_none(),
        });
    }
    if args.wants_demo() {
        app.world_mut().write_message(SessionCommand::LoadDemo);
        app.world_mut().write_message(PlaybackCommand::Play);
    }
    if !args.files.is_empty() {
        app.world_mut()
            .write_message(SessionCommand::Open(args.files.clone()));
        // Like the demo, an opened take plays (a glTF character walks with a BVH at once).
        app.world_mut().write_message(PlaybackCommand::Play);
    }
    if let Some(c) = args.compare_command() {
        app.world_mut().write_message(c);
        app.world_mut()
            .write_message(UiCommand::FocusTab(Tab::Compare));
    }
    for c in args.compare_view_commands() {
        app.world_mut().write_message(c);
    }
    // After the demo: these add to (or, for the script test, replace) the demo's tracks.
    for f in &args.subtitles {
        app.world_mut()
            .write_message(SubtitleCommand::Open(f.clone()));
    }
    if let Some(wav) = &args.reference_audio {
        app.world_mut()
            .write_message(SubtitleCommand::OpenAudio(wav.clone()));
    }
    if let Some(shots) = &args.shots {
        app.world_mut()
            .write_message(SubtitleCommand::OpenShots(shots.clone()));
    }
    if args.demo_scripts {
        app.world_mut()
            .write_message(SubtitleCommand::LoadScriptTest);
    }
    Ok(())
}
