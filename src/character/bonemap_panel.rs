//! The Bone Map tab: for the shown character, every humanoid bone with the character's joint
//! that plays it (a combo of the character's joints to reassign it, or "Pick" then a click on
//! the joint in the viewport), the confidence and source of each assignment, and the take's
//! joint that drives it; "Save map" writes `CHARACTER.bonemap.json` beside the character (the
//! `--map` file of `mocap retarget`). The take's skeleton (the retarget's source, "take skeleton:
//! MOTION" in the Skeleton list) is shown and reassigned the same way and saved beside the
//! motion. A panel: reads a [`BoneMapView`], returns commands.

use std::path::Path;

use bevy_egui::egui;
use mocap_solver::retarget::HumanBone;

use crate::model::bonemap::{BoneMapCommand, CharacterMap, sidecar_path};
use crate::model::commands::UiCommand;
use crate::model::edit::EditCommand;

/// What the Bone Map tab shows.
pub struct BoneMapView<'a> {
    /// Every character with a map (file paths), for the character choice.
    pub characters: Vec<&'a Path>,
    /// Every motion file whose skeleton (the take's, the retarget's source) has a map: shown
    /// and edited the same way, listed after the characters.
    pub motions: Vec<&'a Path>,
    /// The shown character and its map.
    pub shown: Option<(&'a Path, &'a CharacterMap)>,
    /// The bone waiting for a joint picked in the viewport.
    pub picking: Option<HumanBone>,
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Draws the Bone Map tab.
pub fn bonemap_ui(ui: &mut egui::Ui, v: &BoneMapView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let Some((path, m)) = v.shown else {
        ui.add_space(12.0);
        ui.vertical_centered(|ui| {
            ui.heading("Bone Map");
            ui.weak("Open a glTF/GLB character with a skeleton motion to see its bone map.");
        });
        return out;
    };
    let motion = v.motions.contains(&path);
    let label = |p: &Path| {
        if v.motions.contains(&p) {
            format!("take skeleton: {}", file_name(p))
        } else {
            file_name(p)
        }
    };
    ui.horizontal(|ui| {
        if v.characters.len() + v.motions.len() > 1 {
            egui::ComboBox::from_label("Skeleton")
                .selected_text(label(path))
                .show_ui(ui, |ui| {
                    for c in v.characters.iter().chain(&v.motions) {
                        if ui.selectable_label(*c == path, label(c)).clicked() && *c != path {
                            out.push(UiCommand::BoneMap(BoneMapCommand::Select(c.to_path_buf())));
                        }
                    }
                })
                .response
                .on_hover_text(
                    "A character's map, or the map of the take's skeleton that drives the characters",
                );
        } else {
            ui.strong(label(path));
        }
        ui.label(format!(
            "map {} · {}/{} bones · {} joints",
            m.map.name,
            m.map.bones.len(),
            HumanBone::ALL.len(),
            m.joints.len()
        ));
    });
    ui.horizontal(|ui| {
        let file = sidecar_path(path);
        let save = ui
            .add_enabled(!m.saved, egui::Button::new("Save map"))
            .on_hover_text(if motion {
                format!(
                    "Write {} (the studio uses it as the take skeleton's map when it opens this motion)",
                    file.display()
                )
            } else {
                format!(
                    "Write {} (the map `mocap retarget --map` reads; the studio uses it when it loads this character)",
                    file.display()
                )
            })
            .on_disabled_hover_text(format!("{} holds this map", file.display()));
        if save.clicked() {
            out.push(UiCommand::BoneMap(BoneMapCommand::Save(path.to_path_buf())));
        }
        match v.picking {
            Some(b) => {
                ui.colored_label(
                    egui::Color32::from_rgb(255, 196, 0),
                    format!("Click the joint for {} in the viewport", b.name()),
                );
                if ui.button("Cancel pick").clicked() {
                    out.push(UiCommand::BoneMap(BoneMapCommand::Pick(None)));
                }
            }
            None if m.saved => {
                ui.weak(format!("saved in {}", file_name(&file)));
            }
            None => {
                ui.weak("unsaved");
            }
        }
    });
    ui.separator();
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("bonemap_grid")
                .num_columns(6)
                .striped(true)
                .spacing([8.0, 4.0])
                .show(ui, |ui| {
                    for (h, tip) in [
                        ("Bone", "Humanoid bone (glTF/VRM names, as in map files)"),
                        (
                            "",
                            "Pick, then click the joint on the character in the viewport",
                        ),
                        if motion {
                            (
                                "Take joint",
                                "The take's joint that drives the bone on every character",
                            )
                        } else {
                            (
                                "Character joint",
                                "The character's joint that plays the bone",
                            )
                        },
                        (
                            "Conf.",
                            "Confidence, 0–1 (1 for presets, map files and edits)",
                        ),
                        (
                            "Source",
                            "A preset's name, auto (topology and names), file or edited",
                        ),
                        if motion {
                            ("", "")
                        } else {
                            (
                                "Take joint",
                                "The take's joint that drives it (its confidence); reassign it under \"take skeleton\"",
                            )
                        },
                    ] {
                        ui.strong(h).on_hover_text(tip);
                    }
                    ui.end_row();
                    for bone in HumanBone::ALL {
                        bone_row(ui, path, m, bone, v.picking, motion, &mut out);
                        ui.end_row();
                    }
                });
        });
    out
}

fn bone_row(
    ui: &mut egui::Ui,
    path: &Path,
    m: &CharacterMap,
    bone: HumanBone,
    picking: Option<HumanBone>,
    motion: bool,
    out: &mut Vec<UiCommand>,
) {
    ui.label(bone.name());
    let current = m.map.bones.get(&bone);
    let set = |joint: Option<String>| {
        UiCommand::Edit(EditCommand::SetBone {
            character: path.to_path_buf(),
            bone,
            joint,
        })
    };
    let pick = if motion {
        // The take's skeleton is reassigned from the list.
        ui.weak("")
    } else {
        ui.selectable_label(picking == Some(bone), "Pick")
            .on_hover_text(format!(
                "Then click the joint for {} on the character in the viewport",
                bone.name()
            ))
    };
    if !motion && pick.clicked() {
        out.push(UiCommand::BoneMap(BoneMapCommand::Pick(
            (picking != Some(bone)).then_some(bone),
        )));
    }
    let shown = current.cloned().unwrap_or_else(|| "(none)".into());
    egui::ComboBox::from_id_salt(("bonemap_joint", bone))
        .selected_text(shown.clone())
        .width(160.0)
        .show_ui(ui, |ui| {
            if ui.selectable_label(current.is_none(), "(none)").clicked() && current.is_some() {
                out.push(set(None));
            }
            for j in &m.joints {
                if ui.selectable_label(current == Some(j), j).clicked() && current != Some(j) {
                    out.push(set(Some(j.clone())));
                }
            }
        })
        .response
        .on_hover_text(format!("{}: {shown}", bone.name()));
    match (current, m.confidence.get(&bone)) {
        (Some(_), Some(c)) => {
            let colour = if *c >= 0.8 {
                egui::Color32::from_rgb(110, 210, 120)
            } else if *c >= 0.5 {
                egui::Color32::from_rgb(240, 190, 60)
            } else {
                egui::Color32::from_rgb(235, 87, 87)
            };
            ui.colored_label(colour, format!("{c:.2}"));
        }
        _ => {
            ui.weak("—");
        }
    }
    match (current, m.sources.get(&bone)) {
        (Some(_), Some(s)) => ui.label(s.label()),
        _ => ui.weak("unmapped"),
    };
    match m.source_bones.get(&bone) {
        _ if motion => ui.weak(""),
        Some((j, c)) => ui.label(format!("{j} ({c:.2})")),
        None => ui.weak("—"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bonemap::MapSource;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use mocap_solver::retarget::BoneMap;
    use std::path::PathBuf;

    struct State {
        path: PathBuf,
        map: CharacterMap,
        picking: Option<HumanBone>,
        commands: Vec<UiCommand>,
    }

    fn state() -> State {
        let joints: Vec<String> = ["Hips", "Spine", "Head", "UpperArmL", "HandL", "HandL_end"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let map = BoneMap {
            name: "auto".into(),
            description: String::new(),
            bones: [
                (HumanBone::Hips, "Hips".to_string()),
                (HumanBone::Head, "Head".to_string()),
                (HumanBone::LeftHand, "HandL_end".to_string()),
            ]
            .into(),
        };
        let conf = [
            (HumanBone::Hips, 0.95),
            (HumanBone::Head, 0.9),
            (HumanBone::LeftHand, 0.4),
        ]
        .into();
        let mut map = CharacterMap::new(map, conf, joints, false);
        map.source_bones
            .insert(HumanBone::Hips, ("Hips_src".to_string(), 1.0));
        State {
            path: PathBuf::from("/chars/Robot.glb"),
            map,
            picking: None,
            commands: Vec::new(),
        }
    }

    /// The panel over a map it owns: bone edits are applied as the app would.
    fn harness() -> Harness<'static, State> {
        Harness::builder()
            .with_size(egui::vec2(900.0, 800.0))
            .build_ui_state(
                |ui, s: &mut State| {
                    let path = s.path.clone();
                    let view = BoneMapView {
                        characters: vec![&path],
                        motions: Vec::new(),
                        shown: Some((&path, &s.map)),
                        picking: s.picking,
                    };
                    let cmds = bonemap_ui(ui, &view);
                    for c in cmds {
                        match &c {
                            UiCommand::Edit(EditCommand::SetBone { bone, joint, .. }) => {
                                s.map.set_bone(*bone, joint.clone());
                            }
                            UiCommand::BoneMap(BoneMapCommand::Pick(b)) => s.picking = *b,
                            _ => {}
                        }
                        s.commands.push(c);
                    }
                },
                state(),
            )
    }

    #[test]
    fn reassigning_a_bone_from_the_combo_edits_the_map() {
        let mut h = harness();
        h.run();
        h.get_by_label_contains("map auto · 3/22 bones · 6 joints");
        h.get_by_label("Hips_src (1.00)");
        // The low-confidence hand: give it the hand joint instead of its end.
        h.get_by(|n| {
            n.role() == egui::accesskit::Role::ComboBox && n.value().as_deref() == Some("HandL_end")
        })
        .click();
        h.run();
        h.get_by_label("HandL").click();
        h.run();
        assert_eq!(h.state().map.map.bones[&HumanBone::LeftHand], "HandL");
        assert_eq!(
            h.state().map.sources[&HumanBone::LeftHand],
            MapSource::Edited
        );
        assert_eq!(
            h.state().commands,
            vec![UiCommand::Edit(EditCommand::SetBone {
                character: PathBuf::from("/chars/Robot.glb"),
                bone: HumanBone::LeftHand,
                joint: Some("HandL".into()),
            })]
        );
        h.get_by_label("edited");
        // Unsaved now: Save writes the map beside the character.
        h.get_by_label("Save map").click();
        h.run();
        assert_eq!(
            h.state().commands.last(),
            Some(&UiCommand::BoneMap(BoneMapCommand::Save(PathBuf::from(
                "/chars/Robot.glb"
            ))))
        );
    }

    #[test]
    fn pick_waits_for_a_viewport_click_and_can_be_cancelled() {
        let mut h = harness();
        h.run();
        // Rows in `HumanBone::ALL` order: the first "Pick" is the hips'.
        h.get_all_by_label("Pick")
            .next()
            .expect("pick buttons")
            .click();
        h.run();
        assert_eq!(h.state().picking, Some(HumanBone::Hips));
        h.get_by_label_contains("Click the joint for hips in the viewport");
        h.get_by_label("Cancel pick").click();
        h.run();
        assert_eq!(h.state().picking, None);
    }
}
