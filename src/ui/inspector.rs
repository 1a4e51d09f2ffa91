//! The Inspector: the selected marker or joint, take metadata, display settings.

#[allow(unused_imports)]
use super::*;

/// Editable start timecode (at the take's timecode base; `;` before the frames = drop-frame).
/// Commits on Enter / focus loss as an undoable edit; a malformed entry is reported, not applied.
pub(crate) fn start_timecode_field(ui: &mut egui::Ui, current: Timecode) -> Option<UiCommand> {
    let c = crate::widgets::commit_text(
        ui,
        ui.id().with("start_tc_edit"),
        &current.to_string(),
        |t| {
            egui::TextEdit::singleline(t)
                .desired_width(110.0)
                .font(egui::TextStyle::Monospace)
        },
    );
    c.response.on_hover_text(format!(
        "Timecode of frame 0 at {} fps (HH:MM:SS:FF; ';' for drop-frame). Enter applies, Esc \
         cancels. Undoable.",
        current.format.nominal_fps
    ));
    let text = c.committed?;
    match Timecode::parse(&text, current.format.nominal_fps) {
        Ok(tc) if tc != current => Some(UiCommand::Edit(EditCommand::SetStartTimecode(tc))),
        Ok(_) => None,
        Err(e) => Some(UiCommand::Report(format!(
            "Start timecode not changed: {e}"
        ))),
    }
}

/// Marker groups: modelled points and each actor, shown or hidden in the viewport and the
/// marker tables.
fn marker_groups_ui(ui: &mut egui::Ui, g: &MarkerGroups, out: &mut Vec<UiCommand>) {
    if g.prefix.is_empty() {
        return;
    }
    egui::CollapsingHeader::new("Marker groups")
        .default_open(true)
        .show(ui, |ui| {
            let modelled = g.modelled_count();
            if modelled > 0 {
                let mut on = g.show_modelled;
                if ui
                    .checkbox(&mut on, format!("Modelled points ({modelled})"))
                    .on_hover_text(
                        "Points the capture software computed (joint centres, segment axes: \
                         Vicon's PEL0, LFEM1, …): residual 0 and no camera. Hidden by default.",
                    )
                    .changed()
                {
                    out.push(UiCommand::ShowMarkerGroup(MarkerGroup::Modelled, on));
                }
            }
            for (actor, real, virt) in g.actors() {
                let mut on = !g.hidden_actors.contains(&actor);
                let name = if actor.is_empty() {
                    "(no prefix)".to_string()
                } else {
                    actor.clone()
                };
                let text = if virt > 0 {
                    format!("{name}: {real} markers + {virt} modelled")
                } else {
                    format!("{name}: {real} markers")
                };
                if ui.checkbox(&mut on, text).changed() {
                    out.push(UiCommand::ShowMarkerGroup(MarkerGroup::Actor(actor), on));
                }
            }
        });
}

pub(crate) fn inspector_ui(ui: &mut egui::Ui, v: &InspectorView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    take_section(ui, v, &mut out);
    selection_section(ui, v, &mut out);
    marker_groups_ui(ui, v.groups, &mut out);
    display_section(ui, v, &mut out);
    egui::CollapsingHeader::new("Hotkeys")
        .default_open(false)
        .show(ui, |ui| out.extend(hotkeys_ui(ui, v.settings)));
    out
}

/// The take: name, files, rate, frames, start timecode, events.
fn take_section(ui: &mut egui::Ui, v: &InspectorView<'_>, out: &mut Vec<UiCommand>) {
    egui::CollapsingHeader::new("Take")
        .default_open(true)
        .show(ui, |ui| match &v.session.take {
            None => {
                ui.weak("No take loaded.");
            }
            Some(t) => {
                egui::Grid::new("take_grid").num_columns(2).show(ui, |ui| {
                    ui.label("Name");
                    ui.label(&t.name);
                    ui.end_row();
                    ui.label("Rate");
                    ui.label(format!("{} Hz", t.rate));
                    ui.end_row();
                    ui.label("Frames");
                    ui.label(format!(
                        "{} ({:.2} s)",
                        t.frame_count,
                        t.rate.frames_to_seconds(t.frame_count as i64)
                    ));
                    ui.end_row();
                    ui.label("Start TC");
                    out.extend(start_timecode_field(ui, t.start_timecode));
                    ui.end_row();
                    let (a, b) = t.range();
                    ui.label("Range");
                    ui.label(format!("{a} – {b}"));
                    ui.end_row();
                    if let Some(m) = &t.markers {
                        ui.label("Markers");
                        ui.label(format!(
                            "{} ({}, {:?}-up), {:.2} % valid",
                            m.marker_count(),
                            m.unit,
                            m.up_axis,
                            m.valid_fraction() * 100.0
                        ));
                        ui.end_row();
                    }
                    if !t.actors.is_empty() {
                        ui.label("Actors");
                        ui.label(
                            std::iter::once(t.name.clone())
                                .chain(t.actors.iter().map(|a| a.name.clone()))
                                .collect::<Vec<_>>()
                                .join(", "),
                        );
                        ui.end_row();
                    }
                    if let Some(s) = &t.skeleton {
                        ui.label("Skeleton");
                        let axes = match t.skeleton_axes {
                            crate::model::session::AxisConvention::ViconAsf => {
                                "Vicon ASF axes".to_string()
                            }
                            crate::model::session::AxisConvention::Up(up) => format!("{up:?}-up"),
                        };
                        ui.label(format!("{} joints ({axes})", s.joints.len()));
                        ui.end_row();
                        if let Some(g) = &t.skeleton_unit_guess {
                            // BVH states no unit: the guess, which the user may correct.
                            ui.label("Skeleton unit");
                            out.extend(skeleton_unit_combo(ui, s.unit, g));
                            ui.end_row();
                        } else {
                            ui.label("Skeleton unit");
                            ui.label(s.unit.to_string());
                            ui.end_row();
                        }
                    }
                    ui.label("Events");
                    ui.label(t.events.len().to_string());
                    ui.end_row();
                });
            }
        });
}

/// The skeleton unit of a BVH take (actor 0) as a combo: the guess, marked as such, with its
/// reason on hover; choosing another unit is an undoable [`EditCommand::SetSkeletonUnit`].
pub(crate) fn skeleton_unit_combo(
    ui: &mut egui::Ui,
    unit: LengthUnit,
    guess: &crate::model::session::UnitGuess,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let label = |u: LengthUnit| {
        if u == guess.unit {
            format!("{u} (guessed)")
        } else {
            u.to_string()
        }
    };
    egui::ComboBox::from_id_salt("inspector_skeleton_unit")
        .selected_text(label(unit))
        .show_ui(ui, |ui| {
            for u in [
                LengthUnit::Millimetre,
                LengthUnit::Centimetre,
                LengthUnit::Metre,
                LengthUnit::Inch,
            ] {
                if ui.selectable_label(u == unit, label(u)).clicked() && u != unit {
                    out.push(UiCommand::Edit(EditCommand::SetSkeletonUnit {
                        actor: 0,
                        unit: u,
                    }));
                }
            }
        })
        .response
        .on_hover_text(format!(
            "BVH states no unit. {} Choose the unit of the file's offsets and positions: the skeleton is placed again at that size.",
            guess.reason
        ));
    out
}

/// The selected marker (label, position, residual) or joint.
fn selection_section(ui: &mut egui::Ui, v: &InspectorView<'_>, out: &mut Vec<UiCommand>) {
    let unit = v.settings.display_unit;
    egui::CollapsingHeader::new("Selection")
        .default_open(true)
        .show(ui, |ui| {
            let marker = v.session.take.as_ref().and_then(|t| t.markers.as_ref());
            match (marker, v.selection) {
                (Some(m), Some(k)) if k < m.marker_count() => {
                    ui.horizontal(|ui| {
                        let l = ui.label("Label");
                        let c = crate::widgets::commit_text(
                            ui,
                            egui::Id::new(("marker_label", k)),
                            &m.labels[k],
                            |t| egui::TextEdit::singleline(t),
                        );
                        c.response.labelled_by(l.id);
                        if let Some(label) = c.committed
                            && !label.trim().is_empty()
                        {
                            out.push(UiCommand::Edit(EditCommand::RenameMarker {
                                index: k,
                                label: label.trim().to_string(),
                            }));
                        }
                    });
                    let f = v.frame.min(m.frame_count().saturating_sub(1));
                    let s = m.sample(f, k);
                    if s.valid {
                        let fct = m.unit.factor_to(unit);
                        ui.label(format!(
                            "Position ({}, {:?}-up lab): {:.1}, {:.1}, {:.1} {}",
                            unit,
                            m.up_axis,
                            s.position[0] as f64 * fct,
                            s.position[1] as f64 * fct,
                            s.position[2] as f64 * fct,
                            unit
                        ));
                        ui.label(format!("Residual: {:.2} {}", s.residual as f64 * fct, unit));
                        if let Some(Some(w)) = v.marker_world.positions.get(k) {
                            ui.weak(format!(
                                "Viewport (m, Y-up): {:.3}, {:.3}, {:.3}",
                                w.x, w.y, w.z
                            ));
                        }
                    } else {
                        ui.colored_label(egui::Color32::from_rgb(235, 87, 87), "Gap at this frame");
                    }
                    if ui.button("Frame selection (F)").clicked() {
                        out.push(UiCommand::Camera(CameraCommand::Frame));
                    }
                }
                _ => match v.session.take.as_ref().zip(v.joint) {
                    Some((t, j)) => out.extend(joint_ui(ui, t, v.actor, j, v.frame, unit)),
                    None => {
                        ui.weak("Click a marker or joint in the viewport to select it.");
                    }
                },
            }
        });
}

/// Display settings: what is drawn, sizes, units, colours.
fn display_section(ui: &mut egui::Ui, v: &InspectorView<'_>, out: &mut Vec<UiCommand>) {
    egui::CollapsingHeader::new("Display")
        .default_open(true)
        .show(ui, |ui| {
            let mut s = v.settings.clone();
            // Labels left, controls right, and nothing wider than a 1280×720 window's Inspector.
            ui.spacing_mut().slider_width = 110.0;
            egui::Grid::new("display_grid")
                .num_columns(2)
                .spacing([8.0, 4.0])
                .show(ui, |ui| {
                    ui.label("Show");
                    ui.horizontal(|ui| {
                        ui.checkbox(&mut s.show_markers, "Markers");
                        ui.checkbox(&mut s.show_bones, "Bones");
                        ui.checkbox(&mut s.show_hud, "HUD");
                    });
                    ui.end_row();
                    ui.label("");
                    ui.horizontal(|ui| {
                        ui.checkbox(&mut s.show_mannequin, "Mannequin");
                        ui.checkbox(&mut s.show_grid, "Grid");
                    });
                    ui.end_row();
                    ui.label("Trails").on_hover_text(
                        "Marker trails, frames either side of the playhead (0: off)",
                    );
                    ui.horizontal(|ui| {
                        ui.add(egui::Slider::new(&mut s.trail_frames, 0..=240).suffix(" fr"));
                        ui.checkbox(&mut s.trail_all, "all").on_hover_text(
                            "Every marker has a trail; off: only the selected marker",
                        );
                    });
                    ui.end_row();
                    ui.label("Marker radius");
                    ui.add(egui::Slider::new(&mut s.marker_radius_mm, 4.0..=40.0).suffix(" mm"));
                    ui.end_row();
                    ui.label("Display unit");
                    egui::ComboBox::from_id_salt("display_unit")
                        .selected_text(s.display_unit.symbol())
                        .show_ui(ui, |ui| {
                            for u in [
                                LengthUnit::Millimetre,
                                LengthUnit::Centimetre,
                                LengthUnit::Metre,
                                LengthUnit::Inch,
                            ] {
                                ui.selectable_value(&mut s.display_unit, u, u.symbol());
                            }
                        });
                    ui.end_row();
                    ui.label("Default up")
                        .on_hover_text("Up axis for files that don't say (TRC, some C3D)");
                    egui::ComboBox::from_id_salt("default_up_axis")
                        .selected_text(format!("{:?}", s.default_up_axis))
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut s.default_up_axis, UpAxis::Y, "Y");
                            ui.selectable_value(&mut s.default_up_axis, UpAxis::Z, "Z");
                        });
                    ui.end_row();
                    for (label, c) in [
                        ("Background", &mut s.colours.background),
                        ("Left markers", &mut s.colours.marker_left),
                        ("Right markers", &mut s.colours.marker_right),
                        ("Centre markers", &mut s.colours.marker_centre),
                        ("Bones", &mut s.colours.bones),
                    ] {
                        ui.label(label);
                        ui.color_edit_button_srgb(c);
                        ui.end_row();
                    }
                });
            if s != *v.settings {
                out.push(UiCommand::SetSettings(Box::new(s)));
            }
        });
}

/// The selected joint: name, parent, channel values at the current frame (degrees; translations
/// in the display unit), limits, and its world position in the take's space.
pub(crate) fn joint_ui(
    ui: &mut egui::Ui,
    take: &crate::model::session::Take,
    actor: usize,
    j: usize,
    frame: usize,
    unit: mocap_data::LengthUnit,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let sk = match actor {
        0 => take.skeleton.as_ref(),
        _ => take.actors.get(actor - 1).map(|a| &a.skeleton),
    };
    let Some(sk) = sk else {
        return out;
    };
    let Some(joint) = sk.joints.get(j) else {
        return out;
    };
    let fct = sk.unit.factor_to(unit);
    egui::Grid::new("joint_grid").num_columns(2).show(ui, |ui| {
        if take.actor_count() > 1 {
            ui.label("Actor");
            ui.label(take.actor_name(actor));
            ui.end_row();
        }
        ui.label("Joint");
        ui.strong(&joint.name);
        ui.end_row();
        ui.label("Parent");
        match joint
            .parent
            .and_then(|p| sk.joints.get(p).map(|pj| (p, pj)))
        {
            Some((p, pj)) => {
                if ui.link(&pj.name).clicked() {
                    out.push(UiCommand::SelectJoint(actor, Some(p)));
                }
            }
            None => {
                ui.weak("(root)");
            }
        }
        ui.end_row();
        let children: Vec<usize> = sk.children(j).collect();
        if !children.is_empty() {
            ui.label("Children");
            ui.horizontal_wrapped(|ui| {
                for c in children {
                    if ui.link(&sk.joints[c].name).clicked() {
                        out.push(UiCommand::SelectJoint(actor, Some(c)));
                    }
                }
            });
            ui.end_row();
        }
        ui.label("Offset");
        ui.label(format!(
            "{:.1}, {:.1}, {:.1} {unit}",
            joint.offset.x * fct,
            joint.offset.y * fct,
            joint.offset.z * fct
        ));
        ui.end_row();
    });
    let motion = take
        .actor(actor)
        .map(|(_, m)| m)
        .filter(|m| m.frame_count() > 0 && m.channels_per_frame == sk.channel_count());
    let Some(motion) = motion else {
        ui.weak("No motion for this skeleton.");
        return out;
    };
    let f =
        crate::model::session::motion_frame(take.rate, frame, motion.rate, motion.frame_count());
    let values = motion.frame(f);
    let start = sk.channel_offsets()[j];
    if joint.channels.is_empty() {
        ui.weak("No channels (fixed joint).");
    }
    egui::Grid::new("joint_channels")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for (c, ch) in joint.channels.iter().enumerate() {
                let v = values.get(start + c).copied().unwrap_or(f32::NAN) as f64;
                ui.monospace(ch.name());
                if ch.is_rotation() {
                    ui.monospace(format!("{v:>9.2}°"));
                } else {
                    ui.monospace(format!("{:>9.1} {unit}", v * fct));
                }
                match joint.limits.get(c).copied().flatten() {
                    Some((lo, hi)) if ch.is_rotation() => ui.weak(format!("[{lo:.0}°, {hi:.0}°]")),
                    Some((lo, hi)) => ui.weak(format!("[{:.0}, {:.0}]", lo * fct, hi * fct)),
                    None => ui.weak(""),
                };
                ui.end_row();
            }
        });
    let pose = mocap_data::fk::pose(sk, values);
    if let Some(w) = pose.get(j) {
        let p = w.translation * fct;
        ui.label(format!(
            "World position ({unit}, {:?}-up): {:.1}, {:.1}, {:.1}",
            sk.up_axis, p.x, p.y, p.z
        ));
    }
    if ui.button("Frame selection (F)").clicked() {
        out.push(UiCommand::Camera(CameraCommand::Frame));
    }
    out
}

/// Snapshot for the inspector.
pub(crate) struct InspectorView<'a> {
    pub(crate) session: &'a Session,
    pub(crate) selection: Option<usize>,
    pub(crate) joint: Option<usize>,
    pub(crate) actor: usize,
    pub(crate) frame: usize,
    pub(crate) settings: &'a Settings,
    pub(crate) marker_world: &'a MarkerWorld,
    pub(crate) groups: &'a MarkerGroups,
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    fn harness() -> Harness<'static, Vec<UiCommand>> {
        let session = Session::default();
        let settings = Settings::default();
        let world = MarkerWorld::default();
        let groups = MarkerGroups::default();
        Harness::builder()
            .with_size(egui::vec2(330.0, 700.0))
            .build_ui_state(
                move |ui, out: &mut Vec<UiCommand>| {
                    let v = InspectorView {
                        session: &session,
                        selection: None,
                        joint: None,
                        actor: 0,
                        frame: 0,
                        settings: &settings,
                        marker_world: &world,
                        groups: &groups,
                    };
                    out.extend(inspector_ui(ui, &v));
                },
                Vec::new(),
            )
    }

    fn settings_sent(out: &[UiCommand]) -> Option<&Settings> {
        out.iter().rev().find_map(|c| match c {
            UiCommand::SetSettings(s) => Some(&**s),
            _ => None,
        })
    }

    #[test]
    fn display_toggles_change_the_settings() {
        let mut h = harness();
        h.get_by_label("Grid").click();
        h.run();
        let s = settings_sent(h.state()).expect("settings sent");
        assert_eq!(s.show_grid, !Settings::default().show_grid);
        h.get_by_label("all").click();
        h.run();
        let s = settings_sent(h.state()).expect("settings sent");
        assert_eq!(s.trail_all, !Settings::default().trail_all);
    }

    #[test]
    fn the_display_section_fits_a_1280_wide_window() {
        // At 1280×720 the Inspector is ~330 points wide: no Display control may reach past it.
        let mut h = harness();
        h.run();
        for label in ["Markers", "Bones", "HUD", "Mannequin", "Grid", "all"] {
            for node in h.get_all_by_label(label) {
                let r = node.rect();
                assert!(r.right() <= 330.0, "{label} ends at {}", r.right());
            }
        }
    }
}
