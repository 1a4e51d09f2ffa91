//! The Face Map tab: for the shown character, every morph target with the ARKit channel(s) that
//! drive it (a combo of the 52 channels to reassign it, or "(none)" to leave it still), the
//! gains of a blend (VRM expressions), where each assignment came from, the naming preset
//! detected, the targets nothing drives and the ARKit channels no target uses; "Save map" writes
//! `CHARACTER.facemap.json` beside the character (what `mocap export-glb --face-map` reads). A
//! panel: reads a [`FaceMapView`], returns commands.

use std::path::Path;

use bevy_egui::egui;
use mocap_data::face::ARKIT_BLENDSHAPES;

use crate::model::commands::UiCommand;
use crate::model::edit::EditCommand;
use crate::model::facemap::{CharacterFaceMap, FaceMapCommand, is_mannequin, sidecar_path};

/// What the Face Map tab shows.
pub struct FaceMapView<'a> {
    /// Every character with a face map (file paths; the mannequin's key), for the choice.
    pub characters: Vec<&'a Path>,
    /// The shown character and its map.
    pub shown: Option<(&'a Path, &'a CharacterFaceMap)>,
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn channel(i: usize) -> &'static str {
    ARKIT_BLENDSHAPES.get(i).copied().unwrap_or("?")
}

/// Draws the Face Map tab.
pub fn facemap_ui(ui: &mut egui::Ui, v: &FaceMapView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let Some((path, m)) = v.shown else {
        ui.add_space(12.0);
        ui.vertical_centered(|ui| {
            ui.heading("Face Map");
            ui.weak(
                "Characters with morph targets appear here once loaded (the demo's mannequin \
                 has the 52 ARKit targets).",
            );
        });
        return out;
    };
    ui.horizontal(|ui| {
        if v.characters.len() > 1 {
            egui::ComboBox::from_label("Character")
                .selected_text(file_name(path))
                .show_ui(ui, |ui| {
                    for c in &v.characters {
                        if ui.selectable_label(*c == path, file_name(c)).clicked() && *c != path {
                            out.push(UiCommand::FaceMap(FaceMapCommand::Select(c.to_path_buf())));
                        }
                    }
                });
        } else {
            ui.strong(file_name(path));
        }
        ui.label(format!(
            "preset {} · {}/{} targets driven",
            m.detected.label(),
            m.map.bindings.len(),
            m.targets.len()
        ));
    });
    ui.horizontal(|ui| {
        let builtin = is_mannequin(path);
        let file = sidecar_path(path);
        let save = ui
            .add_enabled(!m.saved && !builtin, egui::Button::new("Save map"))
            .on_hover_text(format!(
                "Write {} (the map `mocap export-glb --face-map` reads; the studio uses it when \
                 it loads this character)",
                file.display()
            ))
            .on_disabled_hover_text(if builtin {
                "The built-in mannequin has no file: its map lasts this session".to_string()
            } else {
                format!("{} holds this map", file.display())
            });
        if save.clicked() {
            out.push(UiCommand::FaceMap(FaceMapCommand::Save(path.to_path_buf())));
        }
        if builtin {
            ui.weak("built-in: not saved");
        } else if m.saved {
            ui.weak(format!("saved in {}", file_name(&file)));
        } else {
            ui.weak("unsaved");
        }
    });
    let unused = m.map.unused_channels();
    ui.label(format!("Unmapped targets ({}): ", m.map.unmapped.len()))
        .on_hover_text("Morph targets no ARKit channel drives: they stay at 0");
    ui.weak(if m.map.unmapped.is_empty() {
        "none".to_string()
    } else {
        m.map.unmapped.join(", ")
    });
    ui.label(format!(
        "ARKit channels no target uses ({}): ",
        unused.len()
    ))
    .on_hover_text("The take's values for these channels show on no morph target");
    ui.weak(if unused.is_empty() {
        "none".to_string()
    } else {
        unused.join(", ")
    });
    ui.separator();
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("facemap_grid")
                .num_columns(4)
                .striped(true)
                .spacing([8.0, 4.0])
                .show(ui, |ui| {
                    for (h, tip) in [
                        ("Morph target", "The character's morph target (glTF target name)"),
                        (
                            "ARKit channel",
                            "The channel that drives it; choose another, or (none)",
                        ),
                        (
                            "Gain",
                            "weight = Σ gain · channel, clamped to 0–1 (blends for VRM expressions)",
                        ),
                        (
                            "Source",
                            "The preset that matched the name, file (saved map) or edited",
                        ),
                    ] {
                        ui.strong(h).on_hover_text(tip);
                    }
                    ui.end_row();
                    for (t, name) in m.targets.iter().enumerate() {
                        target_row(ui, path, m, t, name, &mut out);
                        ui.end_row();
                    }
                });
        });
    out
}

fn target_row(
    ui: &mut egui::Ui,
    path: &Path,
    m: &CharacterFaceMap,
    t: usize,
    name: &str,
    out: &mut Vec<UiCommand>,
) {
    ui.label(name);
    let terms = m.map.terms_of(name).unwrap_or(&[]);
    let set = |terms: Vec<(usize, f32)>| {
        UiCommand::Edit(EditCommand::SetMorph {
            character: path.to_path_buf(),
            target: name.to_string(),
            terms,
        })
    };
    let shown = match terms {
        [] => "(none)".to_string(),
        [(c, _)] => channel(*c).to_string(),
        [(c, _), rest @ ..] => format!("{} + {}", channel(*c), rest.len()),
    };
    let single = match terms {
        [(c, _)] => Some(*c),
        _ => None,
    };
    egui::ComboBox::from_id_salt(("facemap_channel", t))
        .selected_text(shown.clone())
        .width(170.0)
        .height(360.0)
        .show_ui(ui, |ui| {
            if ui.selectable_label(terms.is_empty(), "(none)").clicked() && !terms.is_empty() {
                out.push(set(Vec::new()));
            }
            for (i, c) in ARKIT_BLENDSHAPES.iter().enumerate() {
                let on = single == Some(i) && terms.first().is_some_and(|&(_, g)| g == 1.0);
                if ui.selectable_label(on, *c).clicked() && !on {
                    out.push(set(vec![(i, 1.0)]));
                }
            }
        })
        .response
        .on_hover_text(format!("{name}: {shown}"));
    match terms {
        [] => ui.weak("—"),
        [(_, g)] => ui.label(format!("{g:.2}")),
        _ => ui.label(
            terms
                .iter()
                .map(|&(c, g)| format!("{g:.2} {}", channel(c)))
                .collect::<Vec<_>>()
                .join(" + "),
        ),
    };
    match (terms.is_empty(), m.sources.get(name)) {
        (false, Some(s)) => ui.label(s.label()),
        (false, None) => ui.label("—"),
        (true, _) => ui.weak("unmapped"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bonemap::MapSource;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use mocap_data::face::arkit_index;
    use std::path::PathBuf;

    struct State {
        path: PathBuf,
        map: CharacterFaceMap,
        commands: Vec<UiCommand>,
    }

    fn state() -> State {
        let names: Vec<String> = ["JawOpen", "Wrinkles", "EyeBlinkLeft"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        State {
            path: PathBuf::from("/chars/Head.glb"),
            map: CharacterFaceMap::new(&names, None),
            commands: Vec::new(),
        }
    }

    /// The panel over a map it owns: morph edits are applied as the app would.
    fn harness() -> Harness<'static, State> {
        Harness::builder()
            .with_size(egui::vec2(900.0, 900.0))
            .build_ui_state(
                |ui, s: &mut State| {
                    let path = s.path.clone();
                    let view = FaceMapView {
                        characters: vec![&path],
                        shown: Some((&path, &s.map)),
                    };
                    for c in facemap_ui(ui, &view) {
                        if let UiCommand::Edit(EditCommand::SetMorph { target, terms, .. }) = &c {
                            s.map.set_terms(target, terms.clone()).expect("valid edit");
                        }
                        s.commands.push(c);
                    }
                },
                state(),
            )
    }

    #[test]
    fn choosing_a_channel_drives_an_unmapped_target_and_none_clears_one() {
        let mut h = harness();
        h.run();
        h.get_by_label_contains("preset ARKit names (any spelling) · 2/3 targets driven");
        h.get_by_label_contains("Unmapped targets (1)");
        // The unmapped target: drive it by a channel near the top of the list.
        h.get_by(|n| {
            n.role() == egui::accesskit::Role::ComboBox && n.value().as_deref() == Some("(none)")
        })
        .click();
        h.run();
        h.get_by_label("eyeLookDownLeft").click();
        h.run();
        let smile = arkit_index("eyeLookDownLeft").unwrap();
        assert_eq!(
            h.state().commands,
            vec![UiCommand::Edit(EditCommand::SetMorph {
                character: PathBuf::from("/chars/Head.glb"),
                target: "Wrinkles".into(),
                terms: vec![(smile, 1.0)],
            })]
        );
        assert_eq!(h.state().map.sources["Wrinkles"], MapSource::Edited);
        h.get_by_label("edited");
        h.get_by_label_contains("Unmapped targets (0)");
        // Clear the jaw.
        h.get_by(|n| {
            n.role() == egui::accesskit::Role::ComboBox && n.value().as_deref() == Some("jawOpen")
        })
        .click();
        h.run();
        h.get_by_label("(none)").click();
        h.run();
        assert_eq!(
            h.state().commands.last(),
            Some(&UiCommand::Edit(EditCommand::SetMorph {
                character: PathBuf::from("/chars/Head.glb"),
                target: "JawOpen".into(),
                terms: vec![],
            }))
        );
        assert_eq!(h.state().map.map.unmapped, ["JawOpen"]);
        // Unsaved now: Save writes the map beside the character.
        h.get_by_label("Save map").click();
        h.run();
        assert_eq!(
            h.state().commands.last(),
            Some(&UiCommand::FaceMap(FaceMapCommand::Save(PathBuf::from(
                "/chars/Head.glb"
            ))))
        );
    }
}
