//! Face channels in the Curves view: pick a channel of the take's face (a blendshape weight, 0–1,
//! or a head/eye rotation, radians) and see it over the take, sampled by time at the face's own
//! rate, with the playhead; a click seeks. The picked channel lives in egui's memory (a view
//! setting, not data).

#[allow(unused_imports)]
use super::*;

/// The take's face as the Curves view shows it.
#[derive(Debug, Clone, Copy)]
pub struct FaceCurvesView<'a> {
    /// The face performance.
    pub face: &'a mocap_data::FaceCurves,
    /// The take's rate (the plot's x axis is take frames).
    pub take_rate: mocap_data::FrameRate,
    /// Frames of the take.
    pub take_frames: usize,
    /// Current take frame.
    pub frame: FrameIndex,
}

/// egui memory key of the picked face channel.
pub fn face_channel_id() -> egui::Id {
    egui::Id::new("cleanup_face_channel")
}

/// The face channel picked in `ctx`, if any.
pub fn picked_face_channel(ctx: &egui::Context) -> Option<String> {
    ctx.data(|d| d.get_temp::<Option<String>>(face_channel_id()))
        .flatten()
}

/// Channel picker and, when a channel is picked, its plot. Returns whether a channel is shown
/// (the Curves view then shows nothing else) and the commands (seek on click).
pub fn face_curves_ui(ui: &mut egui::Ui, f: &FaceCurvesView<'_>) -> (bool, Vec<UiCommand>) {
    let mut out = Vec::new();
    let mut picked = picked_face_channel(ui.ctx());
    let names: Vec<&str> = f
        .face
        .blendshapes
        .iter()
        .chain(&f.face.rotations)
        .map(|c| c.name.as_str())
        .collect();
    if picked.as_deref().is_some_and(|p| !names.contains(&p)) {
        picked = None;
    }
    let before = picked.clone();
    egui::ComboBox::from_label("Face channel")
        .selected_text(picked.as_deref().unwrap_or("(none)"))
        .height(400.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut picked, None, "(none)");
            for n in &names {
                ui.selectable_value(&mut picked, Some((*n).to_string()), *n);
            }
        });
    if picked != before {
        let p = picked.clone();
        ui.ctx().data_mut(|d| d.insert_temp(face_channel_id(), p));
    }
    let Some(curve) = picked.as_deref().and_then(|p| f.face.curve(p)) else {
        return (false, out);
    };
    let rotation = f.face.rotations.iter().any(|c| c.name == curve.name);
    let hz = f.face.rate.hz();
    let value_at = |take_frame: usize| {
        let t = f.take_rate.frames_to_seconds(take_frame as i64);
        curve.sample(t * hz)
    };
    ui.label(
        egui::RichText::new(format!(
            "Face — {} ({}), {} Hz: {:.3} at frame {}",
            curve.name,
            if rotation { "radians" } else { "weight 0–1" },
            f.face.rate,
            value_at(f.frame),
            f.frame
        ))
        .strong(),
    );
    let n = f.take_frames.max(1);
    let step = (n / 4000).max(1);
    // Split at NaN samples (lost packets) so gaps are not bridged.
    let mut runs: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut cur = Vec::new();
    for tf in (0..n).step_by(step) {
        let v = value_at(tf);
        if v.is_finite() {
            cur.push([tf as f64, f64::from(v)]);
        } else if !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    let resp = Plot::new("cleanup_face_curves")
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.set_plot_bounds_x(0.0..=n.saturating_sub(1).max(1) as f64);
            if !rotation {
                plot.set_plot_bounds_y(-0.05..=1.05);
            }
            for run in runs {
                plot.line(Line::new(curve.name.clone(), run).color(CURVE_COLOURS[2]));
            }
            plot.vline(
                VLine::new("frame", f.frame as f64).color(egui::Color32::from_rgb(255, 196, 0)),
            );
            plot.pointer_coordinate()
        });
    if resp.response.clicked()
        && let Some(p) = resp.inner
    {
        out.push(UiCommand::Playback(PlaybackCommand::Seek(
            p.x.round().clamp(0.0, n.saturating_sub(1) as f64) as usize,
        )));
    }
    (true, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    struct State {
        face: mocap_data::FaceCurves,
        frame: FrameIndex,
        shown: bool,
        commands: Vec<UiCommand>,
    }

    fn harness() -> Harness<'static, State> {
        let face = crate::session::demo::demo_face(10.0);
        Harness::builder()
            .with_size(egui::vec2(700.0, 700.0))
            .build_ui_state(
                |ui, s: &mut State| {
                    let view = FaceCurvesView {
                        face: &s.face,
                        take_rate: mocap_data::FrameRate::FPS_120,
                        take_frames: 1200,
                        frame: s.frame,
                    };
                    let (shown, cmds) = face_curves_ui(ui, &view);
                    s.shown = shown;
                    s.commands.extend(cmds);
                },
                State {
                    face,
                    frame: 180,
                    shown: false,
                    commands: Vec::new(),
                },
            )
    }

    #[test]
    fn picking_jaw_open_plots_it_with_its_value_at_the_playhead() {
        let mut h = harness();
        h.run();
        assert!(!h.state().shown, "no channel picked at first");
        h.get_by_label("Face channel").click();
        h.run();
        // The list scrolls (61 channels): bring the entry into view first, as a user would.
        h.get_by_label("jawOpen").scroll_to_me();
        h.run();
        h.get_by_label("jawOpen").click();
        h.run();
        assert!(h.state().shown);
        assert_eq!(picked_face_channel(&h.ctx).as_deref(), Some("jawOpen"));
        // The headline gives the value sampled at the playhead's time (frame 180 = 1.5 s = face
        // frame 90 at 60 Hz).
        let want = h.state().face.curve("jawOpen").unwrap().values[90];
        h.get_by_label_contains(&format!(
            "Face — jawOpen (weight 0–1), 60 Hz: {want:.3} at frame 180"
        ));
        // Rotations are offered too, in radians.
        h.get_by_label("Face channel").click();
        h.run();
        h.get_by_label("headYaw").scroll_to_me();
        h.run();
        h.get_by_label("headYaw").click();
        h.run();
        h.get_by_label_contains("Face — headYaw (radians)");
        // Back to none: the view shows the marker/joint curves again.
        h.get_by_label("Face channel").click();
        h.run();
        h.get_by_label("(none)").scroll_to_me();
        h.run();
        h.get_by_label("(none)").click();
        h.run();
        assert!(!h.state().shown);
        assert!(h.state().commands.is_empty());
    }
}
