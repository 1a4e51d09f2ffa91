//! The egui shell: menu bar, docked tabs around the 3D view, HUD, toasts, shortcuts, dialogs.
//!
//! Panels are functions `fn(&mut egui::Ui, &View) -> Vec<UiCommand>`: they read a snapshot and
//! emit commands; [`dispatch_commands`] turns commands into the messages other plugins apply.
//! The dock layout and settings persist as JSON in [`crate::model::settings::config_dir`].

pub mod timeline;

mod dialogs;
mod dispatch;
mod dock;
mod hud;
mod inspector;
mod menus;
mod persist;
mod prompts;
mod shortcuts;
use dispatch::*;

use menus::*;

use inspector::*;

pub use hud::*;

pub use shortcuts::*;

use dialogs::*;

use persist::*;

use prompts::*;

pub use dock::*;

use crate::model::commands::{ALL_TABS, Tab, UiCommand};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{CameraOutputMode, Viewport};
use bevy::input::ButtonState;
use bevy::input::keyboard::KeyboardInput;
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy::window::{FileDragAndDrop, PrimaryWindow};
use bevy_egui::{
    EguiContexts, EguiGlobalSettings, EguiPrimaryContextPass, PrimaryEguiContext, egui,
};
use egui_dock::{DockArea, DockState, NodeIndex, Style, TabViewer};
use mocap_data::{LengthUnit, Timecode, UpAxis};

use crate::cleanup::Cleanup;
use crate::cleanup::panel::{CleanupView, cleanup_ui};
use crate::history::UndoStack;
use crate::model::commands::CameraCommand;
use crate::model::commands::CleanupCommand;
use crate::model::commands::LiveCommand;
use crate::model::commands::PlaybackCommand;
use crate::model::commands::ViewPreset;
use crate::model::edit::EditCommand;
use crate::model::edit::HistoryCommand;
use crate::model::groups::{MarkerGroup, MarkerGroups};
use crate::model::hotkeys::{Action, Hotkeys};
use crate::model::lanes::TimelineLanes;
use crate::model::lanes::timecode_at;
use crate::model::library::LibraryCommand;
use crate::model::library::OpenLibrary;
use crate::model::library::TakeBrowser;
use crate::model::log::AppLog;
use crate::model::log::LogLevel;
use crate::model::recovery::{QuitPrompt, RecoveryCommand, RecoveryOffer, Unsaved};
use crate::model::session::Session;
use crate::model::session::SessionCommand;
use crate::model::settings::{Settings, config_dir, load_json, save_json};
use crate::model::subtitles::SubtitleCommand;
use crate::model::subtitles::SubtitleTracks;
use crate::playback::Playback;
use crate::subtitles::panel::{SubtitlesView, subtitles_ui};
use crate::subtitles::{ReferenceAudio, SubtitleSettings};
use crate::takes::panel::{ReviewView, TakesView, review_ui, status_edit, takes_ui};
use crate::ui::timeline::{LaneRegistry, TimelineView, timeline_ui};
use crate::viewport::camera::{SceneCamera, ViewportInput};
use crate::viewport::{MarkerWorld, Selection};

/// UI systems.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct UiSet;

/// The egui shell. `persist` controls whether layout and settings are read from and written to
/// the config directory (off for scripted screenshot runs, which must not depend on a user's
/// saved layout).
pub struct UiPlugin {
    /// Load and save layout/settings.
    pub persist: bool,
}

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Persistence {
            enabled: self.persist,
        })
        .init_resource::<TimelineLanes>()
        .init_resource::<LaneRegistry>()
        .init_resource::<FileDialogs>()
        .init_resource::<crate::viewport::GridLabels>()
        .init_resource::<HudStats>()
        .init_resource::<NoteFocus>()
        .init_resource::<crate::model::recovery::NoteDraft>()
        .init_resource::<Unsaved>()
        .init_resource::<QuitPrompt>()
        .add_message::<RecoveryCommand>()
        .add_message::<UiCommand>()
        .add_message::<LiveCommand>()
        .add_systems(PreStartup, (load_persisted, setup_egui_camera))
        .add_systems(
            PreUpdate,
            (
                keyboard_shortcuts,
                file_drops,
                poll_file_dialogs,
                close_requested,
            )
                .in_set(UiSet),
        )
        .add_systems(
            EguiPrimaryContextPass,
            (ui_system, builtin_file_dialog).chain().in_set(UiSet),
        )
        .add_systems(
            Update,
            (dispatch_commands, rebuild_lanes, hud_stats, window_title).in_set(UiSet),
        )
        .add_systems(Last, (autosave, save_on_exit));
    }
}

/// The camera egui draws with (on top of the scene camera, drawing nothing else).
fn setup_egui_camera(mut commands: Commands, mut egui_settings: ResMut<EguiGlobalSettings>) {
    egui_settings.auto_create_primary_context = false;
    commands.spawn((
        Name::new("UI camera"),
        PrimaryEguiContext,
        Camera2d,
        RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: CameraOutputMode::Write {
                blend_state: Some(BlendState::ALPHA_BLENDING),
                clear_color: ClearColorConfig::None,
            },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    ));
}

fn rebuild_lanes(
    session: Res<Session>,
    registry: Res<LaneRegistry>,
    mut lanes: ResMut<TimelineLanes>,
) {
    if !session.is_changed() && !registry.is_changed() {
        return;
    }
    // Gaps depend on content (generation); events and labels may change with edits.
    lanes.lanes = session
        .take
        .as_ref()
        .map(|t| registry.build(t))
        .unwrap_or_default();
    lanes.generation = session.generation;
}

#[derive(bevy::ecs::system::SystemParam)]
struct UiData<'w> {
    session: Res<'w, Session>,
    playback: Res<'w, Playback>,
    settings: Res<'w, Settings>,
    undo: Res<'w, UndoStack>,
    lanes: Res<'w, TimelineLanes>,
    log: Res<'w, AppLog>,
    selection: Res<'w, Selection>,
    marker_world: Res<'w, MarkerWorld>,
    groups: Res<'w, MarkerGroups>,
    unsaved: Res<'w, Unsaved>,
    offer: Option<Res<'w, RecoveryOffer>>,
    quit_prompt: Option<Res<'w, QuitPrompt>>,
    grid_labels: Res<'w, crate::viewport::GridLabels>,
    stats: Res<'w, HudStats>,
    time: Res<'w, Time<Real>>,
    browser: Option<Res<'w, TakeBrowser>>,
    library: Option<Res<'w, OpenLibrary>>,
    cleanup: Option<Res<'w, Cleanup>>,
    subtitles: Option<Res<'w, SubtitleTracks>>,
    reference_audio: Option<Res<'w, ReferenceAudio>>,
    subtitle_settings: Option<Res<'w, SubtitleSettings>>,
    live: Option<Res<'w, crate::live::LiveLink>>,
    note_draft: Res<'w, crate::model::recovery::NoteDraft>,
    face_cleanup: Option<Res<'w, crate::cleanup::face::FaceCleanup>>,
    comparison: Option<Res<'w, crate::model::compare::Comparison>>,
    bone_maps: Option<Res<'w, crate::model::bonemap::CharacterBoneMaps>>,
    bone_panel: Option<Res<'w, crate::model::bonemap::BoneMapPanel>>,
    face_maps: Option<Res<'w, crate::model::facemap::CharacterFaceMaps>>,
    face_panel: Option<Res<'w, crate::model::facemap::FaceMapPanel>>,
    characters: Option<Res<'w, crate::model::scene::CharacterStatus>>,
    opening: Option<Res<'w, crate::model::session::Opening>>,
}

fn ui_system(
    mut contexts: EguiContexts,
    data: UiData,
    mut note_focus: ResMut<NoteFocus>,
    mut layout: ResMut<DockLayout>,
    mut input: ResMut<ViewportInput>,
    mut scene_cam: Query<&mut Camera, With<SceneCamera>>,
    window: Query<&Window, With<PrimaryWindow>>,
    mut out: MessageWriter<UiCommand>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let take = data.session.take.as_ref();
    let frame = data.playback.frame();
    let timecode = take
        .map(|t| {
            timecode_at(frame, t.rate, t.start_timecode, data.settings.display_rate).to_string()
        })
        .unwrap_or_else(|| "--:--:--:--".into());
    let subtitles = match (
        &data.subtitles,
        &data.reference_audio,
        &data.subtitle_settings,
    ) {
        (Some(tracks), Some(audio), Some(settings)) => Some(SubtitlesView {
            tracks,
            audio,
            settings,
            playhead_ms: (data.playback.position_s * 1000.0).round() as i64,
            rate: data.playback.rate,
        }),
        _ => None,
    };
    let timeline = TimelineView {
        frame,
        frame_count: data.playback.frame_count,
        rate: data.playback.rate,
        in_frame: take.and_then(|t| t.in_frame),
        out_frame: take.and_then(|t| t.out_frame),
        playing: data.playback.playing,
        speed: data.playback.speed,
        direction: data.playback.direction,
        looping: data.playback.looping,
        timecode: timecode.clone(),
        display_rate: data.settings.display_rate,
        show_frames: data.settings.show_frames,
        lanes: data.lanes.all(),
        start_timecode: take.map(|t| t.start_timecode),
        subtitles,
    };
    let hud = (data.settings.show_hud && take.is_some()).then(|| hud_view(&data, frame, &timecode));
    let mut viewer = Viewer {
        timeline,
        hud,
        inspector: InspectorView {
            session: &data.session,
            selection: data.selection.marker,
            joint: data.selection.joint,
            actor: data.selection.actor,
            frame,
            settings: &data.settings,
            marker_world: &data.marker_world,
            groups: &data.groups,
        },
        log: &data.log,
        subtitles,
        takes: data.browser.as_ref().map(|b| takes_view(&data, b)),
        cleanup: cleanup_view(&data, frame),
        live: data
            .live
            .as_ref()
            .map(|l| l.view(l.folder(data.browser.as_ref().and_then(|b| b.path.as_deref())))),
        compare: data
            .comparison
            .as_ref()
            .map(|c| crate::compare::panel::CompareView {
                comparison: c,
                take_name: take.map(|t| t.name.as_str()),
                can_resolve: can_resolve(&data),
                frame,
                rate: data.playback.rate,
            }),
        review: review_view(&data, frame, std::mem::take(&mut note_focus.0)),
        bonemap: bonemap_view(&data),
        facemap: facemap_view(&data),
        commands: Vec::new(),
        viewport_rect: None,
        viewport_hovered: false,
    };

    let mut root = egui::Ui::new(
        ctx.clone(),
        "studio-root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    let mut commands = Vec::new();
    let open_tabs: Vec<Tab> = layout.0.iter_all_tabs().map(|(_, t)| *t).collect();
    egui::Panel::top("menu_bar").show(&mut root, |ui| {
        let has_character = take.is_some_and(|t| t.skeleton.is_some() && t.motion.is_some());
        commands.extend(menu_bar(
            ui,
            &data.settings,
            &data.undo,
            &open_tabs,
            has_character,
            can_resolve(&data),
            data.browser
                .as_ref()
                .filter(|b| b.path.is_some())
                .map(|b| b.unread),
        ));
    });
    egui::CentralPanel::no_frame().show(&mut root, |ui| {
        DockArea::new(&mut layout.0)
            .style(Style::from_egui(ui.style()))
            .show_leaf_collapse_buttons(false)
            .show_inside(ui, &mut viewer);
    });
    commands.append(&mut viewer.commands);
    warm_glyphs(&ctx);
    toasts(&ctx, &data.log, data.time.elapsed_secs_f64());
    commands.extend(prompts_ui(
        &ctx,
        &data.unsaved,
        data.offer.as_deref(),
        data.quit_prompt.as_deref(),
    ));

    // Put the 3D camera's viewport on the Viewport tab (physical pixels).
    let ppp = ctx.pixels_per_point();
    let window_size = window
        .single()
        .map(|w| w.physical_size())
        .unwrap_or(UVec2::ONE);
    if let Ok(mut cam) = scene_cam.single_mut() {
        place_viewport(&mut cam, viewer.viewport_rect, ppp, window_size);
    }
    input.rect = viewer
        .viewport_rect
        .map(|r| Rect::new(r.min.x, r.min.y, r.max.x, r.max.y));
    input.hovered = viewer.viewport_hovered && !ctx.egui_is_using_pointer();
    input.keyboard_captured = ctx.egui_wants_keyboard_input();
    for c in commands {
        out.write(c);
    }
    Ok(())
}

/// The HUD's lines: frame and timecode, playback and render rates, the take (and characters
/// still loading), the grid's labels.
fn hud_view(data: &UiData, frame: usize, timecode: &str) -> HudView {
    let take = data.session.take.as_ref();
    HudView {
        frame: (frame, data.playback.frame_count.saturating_sub(1)),
        timecode: format!("{timecode} @{}", data.settings.display_rate.label()),
        playback: format!(
            "take {} Hz × {:.2}{}  ·  playback {:.1} fps",
            data.playback.rate,
            data.playback.speed,
            if data.playback.direction < 0.0 {
                " ◀"
            } else {
                ""
            },
            if data.playback.playing {
                data.playback.measured_fps
            } else {
                0.0
            }
        ),
        render: format!(
            "render {:.1} fps  ·  CPU frame {:.1} ms",
            data.stats.render_fps, data.stats.frame_ms
        ),
        // Characters being read and prepared in the background: the viewport keeps drawing.
        take: match data.characters.as_deref().map_or(0, |c| c.loading) {
            0 => take.map(|t| t.name.clone()).unwrap_or_default(),
            n => format!(
                "{}  ·  loading {n} character{}…",
                take.map(|t| t.name.as_str()).unwrap_or_default(),
                if n == 1 { "" } else { "s" }
            ),
        },
        // Files being read in the background: the viewport keeps drawing meanwhile.
        opening: data
            .opening
            .as_deref()
            .and_then(|o| o.status_line(data.time.elapsed_secs_f64())),
        grid_labels: data
            .grid_labels
            .labels
            .iter()
            .map(|(p, t)| (egui::vec2(p.x, p.y), t.clone()))
            .collect(),
    }
}

/// The Takes browser's view of the open library.
fn takes_view<'a>(data: &'a UiData, b: &'a TakeBrowser) -> TakesView<'a> {
    TakesView {
        path: b.path.as_deref(),
        rows: &b.rows,
        total: b.total,
        scenes: &b.scenes,
        sessions: &b.sessions,
        filter: &b.filter,
        sort: b.sort,
        selected: b.selected,
        picked: &b.picked,
        active: b.active.as_ref().map(|a| a.summary.id),
        error: b.error.as_deref(),
        author: &b.author,
        farm: b
            .farm
            .as_ref()
            .map(|(w, t)| (w.as_str(), t.elapsed().as_secs_f64())),
        farm_progress: b.farm_progress,
        engines: &b.engines,
        recent: &data.settings.recent_libraries,
        opening: b.opening.as_deref(),
        notices: &b.notices,
        unread: b.unread,
        show_notices: b.show_notices,
        playlists: &b.playlists,
        dailies: b.dailies.as_ref(),
        importing: b.importing.as_ref().map(|(f, p)| {
            use std::sync::atomic::Ordering::Relaxed;
            (
                f.as_path(),
                p.files_done.load(Relaxed),
                p.files_total.load(Relaxed),
            )
        }),
    }
}

/// The Review panel's view of the reviewed take.
fn review_view<'a>(data: &'a UiData, frame: usize, focus_note: bool) -> ReviewView<'a> {
    let take = data.session.take.as_ref();
    ReviewView {
        take: data.browser.as_ref().and_then(|b| b.active.as_ref()),
        has_library: data
            .library
            .as_ref()
            .is_some_and(|l| l.with(|_| ()).is_some()),
        frame,
        range: take
            .filter(|t| t.in_frame.is_some() || t.out_frame.is_some())
            .map(|t| t.range()),
        rate: data.playback.rate,
        start_timecode: take
            .map(|t| t.start_timecode)
            .unwrap_or_else(|| Timecode::from_frame_count(0, data.settings.display_rate.format())),
        display_rate: data.settings.display_rate,
        author: data
            .browser
            .as_ref()
            .map_or("studio", |b| b.author.as_str()),
        focus_note,
        draft: &data.note_draft,
    }
}

/// Puts the 3D camera's viewport on the Viewport tab's rectangle (logical `rect`, physical
/// pixels out); a hidden tab or a minimised window renders nothing.
fn place_viewport(cam: &mut Camera, rect: Option<egui::Rect>, ppp: f32, window_size: UVec2) {
    match rect {
        // A minimised (zero-sized) window has no room for a viewport: render nothing.
        Some(r)
            if r.width() >= 2.0
                && r.height() >= 2.0
                && window_size.x >= 2
                && window_size.y >= 2 =>
        {
            let min = UVec2::new(
                (r.min.x * ppp).max(0.0) as u32,
                (r.min.y * ppp).max(0.0) as u32,
            )
            .min(window_size.saturating_sub(UVec2::ONE));
            let size = UVec2::new((r.width() * ppp) as u32, (r.height() * ppp) as u32)
                .min(window_size - min)
                .max(UVec2::ONE);
            cam.is_active = true;
            cam.viewport = Some(Viewport {
                physical_position: min,
                physical_size: size,
                ..default()
            });
        }
        _ => cam.is_active = false,
    }
}

/// Whether the take has a re-solve and the motion it was opened with (to compare them).
fn can_resolve(data: &UiData) -> bool {
    data.session
        .take
        .as_ref()
        .is_some_and(|t| t.solved.is_some())
        && data
            .cleanup
            .as_ref()
            .is_some_and(|c| c.motion.original().is_some())
}

/// The Bone Map tab's view of the characters' maps.
fn bonemap_view<'a>(data: &'a UiData) -> crate::character::bonemap_panel::BoneMapView<'a> {
    let shown = match (&data.bone_maps, &data.bone_panel) {
        (Some(m), Some(p)) => crate::character::bonemap::shown_character(m, p),
        _ => None,
    };
    crate::character::bonemap_panel::BoneMapView {
        characters: data
            .bone_maps
            .as_ref()
            .map(|m| m.maps.keys().map(|p| p.as_path()).collect())
            .unwrap_or_default(),
        motions: data
            .bone_maps
            .as_ref()
            .map(|m| m.motions.keys().map(|p| p.as_path()).collect())
            .unwrap_or_default(),
        shown,
        picking: data.bone_panel.as_ref().and_then(|p| p.picking),
    }
}

/// The Face Map tab's view of the characters' face maps.
fn facemap_view<'a>(data: &'a UiData) -> crate::face::facemap_panel::FaceMapView<'a> {
    let shown = match (&data.face_maps, &data.face_panel) {
        (Some(m), Some(p)) => crate::model::facemap::shown_character(m, p),
        _ => None,
    };
    crate::face::facemap_panel::FaceMapView {
        characters: data
            .face_maps
            .as_ref()
            .map(|m| m.maps.keys().map(|p| p.as_path()).collect())
            .unwrap_or_default(),
        shown,
    }
}

/// The Cleanup panel's view of the take, its stack and the selection.
fn cleanup_view<'a>(data: &'a UiData, frame: usize) -> Option<CleanupView<'a>> {
    let take = data.session.take.as_ref();
    data.cleanup.as_ref().map(|c| CleanupView {
        stack: take.filter(|t| t.markers.is_some()).map(|t| &t.cleanup),
        // Saved: the sidecar on disk holds this stack; with none, only an empty stack (a
        // solve stage alone is something to save).
        saved: take.is_some_and(|t| !crate::recovery::stack_unsaved(&t.cleanup, c.saved.as_ref())),
        source: c.source.as_deref(),
        rows: &c.rows,
        groups: &data.groups,
        sort: c.sort,
        selected_entry: c.selected_entry,
        outcomes: &c.outcomes,
        last_eval: c.last_eval,
        marker: data.selection.marker,
        swaps: c.swaps.as_deref(),
        motion: c.motion.view(),
        joint: take.and_then(|t| {
            let j = data.selection.joint?;
            let (skeleton, after) = t.actor(data.selection.actor)?;
            let before = t
                .solved
                .as_ref()
                .filter(|s| {
                    data.selection.actor == 0
                        && s.motion.channels_per_frame == skeleton.channel_count()
                })
                .map(|s| &s.motion);
            Some(crate::cleanup::panel::JointCurves {
                name: &skeleton.joints.get(j)?.name,
                skeleton,
                index: j,
                after,
                before,
                take_rate: t.rate,
                take_frames: t.frame_count,
            })
        }),
        face: take.and_then(|t| {
            Some(crate::cleanup::panel::FaceCurvesView {
                face: t.face.as_ref()?,
                take_rate: t.rate,
                take_frames: t.frame_count,
                frame,
            })
        }),
        face_outcomes: data
            .face_cleanup
            .as_ref()
            .map_or(&[][..], |f| f.outcomes.as_slice()),
        raw: c.raw().or_else(|| take.and_then(|t| t.markers.as_ref())),
        result: take.and_then(|t| t.markers.as_ref()),
        frame,
        io: take
            .filter(|t| t.in_frame.is_some() || t.out_frame.is_some())
            .map(|t| {
                let (a, b) = t.range();
                mocap_solver::gaps::FrameRange::new(a, b + 1)
            }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_map_to_commands() {
        use PlaybackCommand as P;
        assert_eq!(
            shortcut_for(KeyCode::Space, false, false),
            Some(UiCommand::Playback(P::TogglePlay))
        );
        assert_eq!(
            shortcut_for(KeyCode::KeyL, false, false),
            Some(UiCommand::Playback(P::ShuttleForward))
        );
        assert_eq!(
            shortcut_for(KeyCode::ArrowLeft, false, true),
            Some(UiCommand::Playback(P::Step(-10)))
        );
        assert_eq!(
            shortcut_for(KeyCode::KeyZ, true, false),
            Some(UiCommand::History(HistoryCommand::Undo))
        );
        assert_eq!(
            shortcut_for(KeyCode::KeyZ, true, true),
            Some(UiCommand::History(HistoryCommand::Redo))
        );
        assert_eq!(
            shortcut_for(KeyCode::KeyY, true, false),
            Some(UiCommand::History(HistoryCommand::Redo))
        );
        assert_eq!(shortcut_for(KeyCode::KeyZ, false, false), None);
        assert_eq!(
            shortcut_for(KeyCode::KeyF, false, true),
            Some(UiCommand::Camera(CameraCommand::ToggleFollow))
        );
        assert_eq!(
            shortcut_for(KeyCode::KeyF, false, false),
            Some(UiCommand::Camera(CameraCommand::Frame))
        );
    }

    #[test]
    fn default_layout_has_every_tab_once() {
        let d = default_layout();
        let tabs: Vec<Tab> = d.iter_all_tabs().map(|(_, t)| *t).collect();
        for t in [
            Tab::Viewport,
            Tab::Timeline,
            Tab::Takes,
            Tab::Review,
            Tab::Cleanup,
            Tab::Subtitles,
            Tab::Inspector,
            Tab::Log,
            Tab::Live,
            Tab::Compare,
            Tab::BoneMap,
            Tab::FaceMap,
        ] {
            assert_eq!(tabs.iter().filter(|x| **x == t).count(), 1, "{t:?}");
        }
        // The layout survives the save/load round trip (persistence between runs), including
        // its not-yet-laid-out (infinite) rectangles.
        let dir = std::env::temp_dir().join(format!("mocap-studio-layout-{}", std::process::id()));
        save_json(&dir, LAYOUT_FILE, &d).unwrap();
        let back: DockState<Tab> = load_json(&dir, LAYOUT_FILE).unwrap().unwrap();
        let back_tabs: Vec<Tab> = back.iter_all_tabs().map(|(_, t)| *t).collect();
        assert_eq!(back_tabs, tabs);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
