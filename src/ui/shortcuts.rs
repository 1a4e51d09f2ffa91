//! Keyboard shortcuts: configurable hotkeys turned into commands, review keys, and the Hotkeys editor.

#[allow(unused_imports)]
use super::*;

/// The command a key press triggers with the default hotkeys, if any (`ctrl` = Ctrl or Cmd);
/// actions that need the clock or the reviewed take (in/out points, review keys) give `None`.
pub fn shortcut_for(key: KeyCode, ctrl: bool, shift: bool) -> Option<UiCommand> {
    Hotkeys::default()
        .action_for(key, ctrl, shift)
        .and_then(command_for)
}

/// The command of a context-free hotkey action (`None` for in/out points and review actions,
/// which [`keyboard_shortcuts`] completes with the clock and the reviewed take).
pub fn command_for(action: Action) -> Option<UiCommand> {
    use PlaybackCommand as P;
    let pb = |c| Some(UiCommand::Playback(c));
    let view = |v| Some(UiCommand::Camera(CameraCommand::View(v)));
    match action {
        Action::PlayPause => pb(P::TogglePlay),
        Action::ShuttleReverse => pb(P::ShuttleReverse),
        Action::ShuttleStop => pb(P::ShuttleStop),
        Action::ShuttleForward => pb(P::ShuttleForward),
        Action::StepBack => pb(P::Step(-1)),
        Action::StepForward => pb(P::Step(1)),
        Action::StepBack10 => pb(P::Step(-10)),
        Action::StepForward10 => pb(P::Step(10)),
        Action::GoToStart => pb(P::GoToStart),
        Action::GoToEnd => pb(P::GoToEnd),
        Action::FrameSelection => Some(UiCommand::Camera(CameraCommand::Frame)),
        Action::FrameAll => Some(UiCommand::Camera(CameraCommand::FrameAll)),
        Action::ViewFront => view(ViewPreset::Front),
        Action::ViewSide => view(ViewPreset::Side),
        Action::ViewTop => view(ViewPreset::Top),
        Action::ViewPerspective => view(ViewPreset::Perspective),
        Action::ClearSelection => Some(UiCommand::SelectMarker(None)),
        Action::ToggleFollow => Some(UiCommand::Camera(CameraCommand::ToggleFollow)),
        Action::Undo => Some(UiCommand::History(HistoryCommand::Undo)),
        Action::Redo => Some(UiCommand::History(HistoryCommand::Redo)),
        Action::Open => Some(UiCommand::OpenDialog),
        Action::Quit => Some(UiCommand::Quit),
        Action::SetIn
        | Action::SetOut
        | Action::Circle
        | Action::Approve
        | Action::Reject
        | Action::Note => None,
    }
}

/// The review command a key sends (default hotkeys) for the take `target` (C circle — again:
/// uncircle —, A approve, R reject, N write a note).
pub fn review_shortcut(
    key: KeyCode,
    target: Option<(i64, take_library::TakeStatus)>,
    author: &str,
) -> Option<UiCommand> {
    review_action(
        Hotkeys::default().action_for(key, false, false)?,
        target,
        author,
    )
}

/// The review command of a hotkey action for the take `target` (`None` for other actions).
pub fn review_action(
    action: Action,
    target: Option<(i64, take_library::TakeStatus)>,
    author: &str,
) -> Option<UiCommand> {
    use take_library::TakeStatus as S;
    if action == Action::Note {
        return Some(UiCommand::FocusNote);
    }
    let (id, current) = target?;
    let status = match action {
        Action::Circle if current == S::Circled => S::None,
        Action::Circle => S::Circled,
        Action::Approve => S::Approved,
        Action::Reject => S::Rejected,
        _ => return None,
    };
    (status != current).then(|| status_edit(id, status, author, None))
}

/// Key presses become commands one by one, read as input messages rather than as the
/// keyboard's state: five quick presses between two slow frames step five frames. Held keys
/// repeat (at the platform's rate) for the stepping actions only.
pub(crate) fn keyboard_shortcuts(
    mut presses: MessageReader<KeyboardInput>,
    keys: Res<ButtonInput<KeyCode>>,
    settings: Res<Settings>,
    input: Res<ViewportInput>,
    playback: Res<Playback>,
    browser: Option<Res<TakeBrowser>>,
    mut out: MessageWriter<UiCommand>,
) {
    if input.keyboard_captured {
        presses.clear();
        return;
    }
    let ctrl = keys.any_pressed([
        KeyCode::ControlLeft,
        KeyCode::ControlRight,
        KeyCode::SuperLeft,
        KeyCode::SuperRight,
    ]);
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    let pressed: Vec<(KeyCode, bool)> = presses
        .read()
        .filter(|k| k.state == ButtonState::Pressed)
        .map(|k| (k.key_code, k.repeat))
        .collect();
    for (key, repeat) in pressed {
        let Some(action) = settings
            .hotkeys
            .action_for_in(key, ctrl, shift, input.hovered)
        else {
            continue;
        };
        if repeat && !action.repeats() {
            continue;
        }
        let cmd = match action {
            // In / out set the range at the current frame (they need the clock).
            Action::SetIn => Some(UiCommand::Edit(EditCommand::SetInPoint(Some(
                playback.frame(),
            )))),
            Action::SetOut => Some(UiCommand::Edit(EditCommand::SetOutPoint(Some(
                playback.frame(),
            )))),
            // Review keys act on the reviewed take (or the Takes panel's selection).
            Action::Circle | Action::Approve | Action::Reject | Action::Note => {
                browser.as_ref().and_then(|b| {
                    let target = b.target().and_then(|id| {
                        let status = b
                            .active
                            .as_ref()
                            .filter(|a| a.summary.id == id)
                            .map(|a| a.summary.status)
                            .or_else(|| {
                                b.rows
                                    .iter()
                                    .find(|r| r.summary.id == id)
                                    .map(|r| r.summary.status)
                            })?;
                        Some((id, status))
                    });
                    review_action(action, target, &b.author)
                })
            }
            other => command_for(other),
        };
        if let Some(c) = cmd {
            out.write(c);
        }
    }
}

/// Hotkey bindings: one editable line per action (comma-separated chords such as
/// `Ctrl+Shift+KeyZ`), conflicts in red, reset. Saved with the settings.
pub(crate) fn hotkeys_ui(ui: &mut egui::Ui, settings: &Settings) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let conflicts = settings.hotkeys.conflicts();
    egui::Grid::new("hotkeys_grid")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for action in Action::ALL {
                ui.label(action.label());
                let current =
                    crate::model::hotkeys::format_chords(&settings.hotkeys.chords(action));
                let clash = conflicts.iter().any(|(_, a)| a.contains(&action));
                let c = crate::widgets::commit_text(
                    ui,
                    ui.id().with(("hotkey", action)),
                    &current,
                    |t| {
                        egui::TextEdit::singleline(t)
                            .desired_width(150.0)
                            .font(egui::TextStyle::Monospace)
                            .text_color_opt(clash.then_some(egui::Color32::from_rgb(235, 87, 87)))
                    },
                );
                if let Some(text) = c.committed {
                    match crate::model::hotkeys::parse_chords(&text) {
                        Ok(chords) => {
                            let mut s = settings.clone();
                            s.hotkeys.set(action, chords);
                            out.push(UiCommand::SetSettings(Box::new(s)));
                        }
                        Err(e) => out.push(UiCommand::Report(format!(
                            "Hotkey for {} not changed: {e}",
                            action.label()
                        ))),
                    }
                }
                ui.end_row();
            }
        });
    for (chord, actions) in &conflicts {
        ui.colored_label(
            egui::Color32::from_rgb(235, 87, 87),
            format!(
                "{chord} is bound to {}: the first one wins",
                actions
                    .iter()
                    .map(|a| a.label())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        );
    }
    if ui
        .add_enabled(
            settings.hotkeys != Hotkeys::default(),
            egui::Button::new("Reset hotkeys to defaults"),
        )
        .clicked()
    {
        let mut s = settings.clone();
        s.hotkeys = Hotkeys::default();
        out.push(UiCommand::SetSettings(Box::new(s)));
    }
    out
}

/// The N hotkey asked the Review panel to focus its note field.
#[derive(Resource, Debug, Default)]
pub(crate) struct NoteFocus(pub(crate) bool);

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::input::InputPlugin;
    use bevy::input::keyboard::Key;

    #[derive(Resource, Default)]
    struct Seen(Vec<UiCommand>);

    fn collect(mut r: MessageReader<UiCommand>, mut seen: ResMut<Seen>) {
        seen.0.extend(r.read().cloned());
    }

    fn press(app: &mut App, key: KeyCode, state: ButtonState, repeat: bool) {
        app.world_mut().write_message(KeyboardInput {
            key_code: key,
            logical_key: Key::Unidentified(bevy::input::keyboard::NativeKey::Unidentified),
            state,
            text: None,
            repeat,
            window: Entity::PLACEHOLDER,
        });
    }

    #[test]
    fn every_quick_press_between_two_frames_counts() {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, InputPlugin))
            .add_message::<UiCommand>()
            .init_resource::<Settings>()
            .init_resource::<ViewportInput>()
            .init_resource::<Playback>()
            .init_resource::<Seen>()
            .add_systems(
                PreUpdate,
                keyboard_shortcuts.after(bevy::input::InputSystems),
            )
            .add_systems(Update, collect);
        app.update();
        let key = Hotkeys::default().chords(Action::StepForward)[0].key;
        // Five presses (and releases) arrive within one slow frame.
        for _ in 0..5 {
            press(&mut app, key, ButtonState::Pressed, false);
            press(&mut app, key, ButtonState::Released, false);
        }
        app.update();
        let steps = |app: &App| {
            app.world()
                .resource::<Seen>()
                .0
                .iter()
                .filter(|c| matches!(c, UiCommand::Playback(PlaybackCommand::Step(1))))
                .count()
        };
        assert_eq!(steps(&app), 5, "five presses step five frames");
        // A held key repeats stepping; a held play/pause key does not toggle again.
        press(&mut app, key, ButtonState::Pressed, false);
        press(&mut app, key, ButtonState::Pressed, true);
        press(&mut app, key, ButtonState::Pressed, true);
        let play = Hotkeys::default().chords(Action::PlayPause)[0].key;
        press(&mut app, play, ButtonState::Pressed, false);
        press(&mut app, play, ButtonState::Pressed, true);
        app.update();
        assert_eq!(steps(&app), 8);
        let toggles = app
            .world()
            .resource::<Seen>()
            .0
            .iter()
            .filter(|c| matches!(c, UiCommand::Playback(PlaybackCommand::TogglePlay)))
            .count();
        assert_eq!(toggles, 1);
        // Typing into a text field moves nothing.
        app.world_mut()
            .resource_mut::<ViewportInput>()
            .keyboard_captured = true;
        press(&mut app, key, ButtonState::Pressed, false);
        app.update();
        app.world_mut()
            .resource_mut::<ViewportInput>()
            .keyboard_captured = false;
        app.update();
        assert_eq!(steps(&app), 8);
    }
}
