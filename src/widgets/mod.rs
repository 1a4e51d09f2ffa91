//! egui widgets every panel shares, with the behaviour a DCC user expects of them.
//!
//! [`commit_text`]: a text field that keeps what the user types. Panels rebuild their values
//! from the model every frame, so a plain `TextEdit` over a copy loses each keystroke; this
//! field keeps a draft in egui's memory while it has focus, commits on Enter and on focus loss,
//! and Esc gives the value back unchanged. Uses no plugin and no model type.
//!
//! [`probe`]: where named controls are, for scripted end-to-end runs (`MOCAP_UI_PROBE`).

use bevy_egui::egui;

mod probe;
pub use probe::{probe, probe_rect};

/// What a [`commit_text`] field did this frame.
pub struct Commit {
    /// The field's response (hover text, focus requests).
    pub response: egui::Response,
    /// The text the user committed (Enter or focus loss, not Esc), when it differs from the
    /// value the field was given.
    pub committed: Option<String>,
}

/// A text field over `value` identified by `id` (stable across frames: e.g.
/// `ui.id().with("skeleton_path")`). `make` builds the `TextEdit` from the draft
/// (`egui::TextEdit::singleline` or `multiline`, plus width, hint, font); in a multi-line field
/// Enter inserts a line break and only focus loss commits.
pub fn commit_text(
    ui: &mut egui::Ui,
    id: egui::Id,
    value: &str,
    make: impl for<'a> FnOnce(&'a mut String) -> egui::TextEdit<'a>,
) -> Commit {
    let edit_id = id.with("commit_text");
    let focused = ui.memory(|m| m.has_focus(edit_id));
    let mut text = if focused {
        ui.data_mut(|d| d.get_temp::<String>(edit_id))
            .unwrap_or_else(|| value.to_owned())
    } else {
        value.to_owned()
    };
    let response = ui.add(make(&mut text).id(edit_id));
    if response.has_focus() {
        ui.data_mut(|d| d.insert_temp(edit_id, text));
        return Commit {
            response,
            committed: None,
        };
    }
    ui.data_mut(|d| d.remove::<String>(edit_id));
    let cancelled = ui.input(|i| i.key_pressed(egui::Key::Escape));
    let committed = (response.lost_focus() && !cancelled && text != value).then_some(text);
    Commit {
        response,
        committed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    #[derive(Default)]
    struct Field {
        value: String,
        commits: Vec<String>,
    }

    fn harness(value: &str) -> Harness<'static, Field> {
        Harness::new_ui_state(
            |ui, s: &mut Field| {
                let l = ui.label("Name");
                let c = commit_text(ui, egui::Id::new("name"), &s.value, |t| {
                    egui::TextEdit::singleline(t)
                });
                c.response.labelled_by(l.id);
                // The app rebuilds the value from its model every frame; a commit changes it.
                if let Some(t) = c.committed {
                    s.value = t.clone();
                    s.commits.push(t);
                }
                let _ = ui.button("Elsewhere");
            },
            Field {
                value: value.into(),
                commits: Vec::new(),
            },
        )
    }

    fn replace_text(h: &mut Harness<'static, Field>, text: &str) {
        h.get_by_label("Name").click();
        h.run();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.run();
        h.get_by_label("Name").type_text(text);
        h.run();
    }

    #[test]
    fn typing_is_kept_and_enter_commits() {
        let mut h = harness("old");
        replace_text(&mut h, "/takes/39.asf");
        assert!(h.state().commits.is_empty(), "nothing commits while typing");
        assert_eq!(
            h.get_by_label("Name").value().as_deref(),
            Some("/takes/39.asf"),
            "the field keeps what was typed although the value is rebuilt every frame"
        );
        h.key_press(egui::Key::Enter);
        h.run();
        assert_eq!(h.state().commits, ["/takes/39.asf"]);
        assert_eq!(h.state().value, "/takes/39.asf");
    }

    #[test]
    fn escape_cancels_and_focus_loss_commits() {
        let mut h = harness("LFHD");
        replace_text(&mut h, "typo");
        h.key_press(egui::Key::Escape);
        h.run();
        assert!(h.state().commits.is_empty(), "Esc commits nothing");
        assert_eq!(h.get_by_label("Name").value().as_deref(), Some("LFHD"));
        replace_text(&mut h, "RFHD");
        h.get_by_label("Elsewhere").click();
        h.run();
        assert_eq!(h.state().commits, ["RFHD"], "clicking elsewhere commits");
    }
}
