//! The Curves view: a selected marker's X/Y/Z before and after clean-up, or a selected joint's rotation channels, with gaps shaded and click-to-seek; a picked face channel (see `face.rs`) takes its place.

#[allow(unused_imports)]
use super::*;

/// A selected joint's rotation channels over the take, after the stack (the motion shown) and,
/// when the take has a re-solve, before its motion operations (foot lock).
#[derive(Debug, Clone, Copy)]
pub struct JointCurves<'a> {
    /// Joint name.
    pub name: &'a str,
    /// The joint's skeleton.
    pub skeleton: &'a mocap_data::Skeleton,
    /// Joint index in `skeleton`.
    pub index: usize,
    /// Motion shown (degrees for rotation channels).
    pub after: &'a mocap_data::Motion,
    /// The solve before its motion operations, same skeleton layout.
    pub before: Option<&'a mocap_data::Motion>,
    /// Take rate vs motion rate: the motion's frame for a take frame.
    pub take_rate: mocap_data::FrameRate,
    /// Frames of the take.
    pub take_frames: usize,
}

/// X/Y/Z (or channel) colours of the curves.
pub(crate) const CURVE_COLOURS: [egui::Color32; 3] = [
    egui::Color32::from_rgb(235, 87, 87),
    egui::Color32::from_rgb(90, 200, 110),
    egui::Color32::from_rgb(90, 150, 255),
];

/// The frames a curve plot shows (the I/O range, else the take of `n` frames) and the
/// decimation step that keeps at most ~4000 points per curve.
pub(crate) fn curve_frames(v: &CleanupView<'_>, n: usize) -> (usize, usize, usize) {
    let (a, b) = match v.io {
        Some(r) => (r.start, r.end.min(n)),
        None => (0, n),
    };
    (a, b, ((b - a) / 4000).max(1))
}

/// A curve plot over frames `[a, b)` of a take of `n` frames: shaded `spans` (label, frames,
/// colour), the curves `draw` adds, the playhead; a click seeks there.
pub(crate) fn curve_plot(
    ui: &mut egui::Ui,
    id: &str,
    v: &CleanupView<'_>,
    (a, b, n): (usize, usize, usize),
    spans: &[(&str, usize, usize, egui::Color32)],
    draw: impl FnOnce(&mut egui_plot::PlotUi<'_>),
) -> Vec<UiCommand> {
    let resp = Plot::new(id).allow_scroll(false).show(ui, |plot| {
        plot.set_plot_bounds_x(a as f64..=b.saturating_sub(1).max(a + 1) as f64);
        for (label, s, e, fill) in spans {
            plot.span(Span::new(*label, *s as f64..=*e as f64).fill(*fill));
        }
        draw(plot);
        plot.vline(VLine::new("frame", v.frame as f64).color(egui::Color32::from_rgb(255, 196, 0)));
        plot.pointer_coordinate()
    });
    let mut out = Vec::new();
    if resp.response.clicked()
        && let Some(p) = resp.inner
    {
        out.push(UiCommand::Playback(PlaybackCommand::Seek(
            p.x.round().clamp(0.0, n.saturating_sub(1) as f64) as usize,
        )));
    }
    out
}

/// Rotation curves (degrees) of the selected joint, after the stack (solid) and before its
/// motion operations (dashed); click to seek.
pub(crate) fn joint_curves_ui(
    ui: &mut egui::Ui,
    v: &CleanupView<'_>,
    j: &JointCurves<'_>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let Some(joint) = j.skeleton.joints.get(j.index) else {
        return out;
    };
    let start = j.skeleton.channel_offsets()[j.index];
    let rot: Vec<(usize, &'static str)> = joint
        .channels
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_rotation())
        .map(|(k, c)| (start + k, c.name()))
        .collect();
    if rot.is_empty() {
        ui.weak(format!("{}: no rotation channels.", j.name));
        return out;
    }
    ui.label(
        egui::RichText::new(format!(
            "{} — rotation channels (degrees), after (solid){}",
            j.name,
            if j.before.is_some() {
                " and before the foot lock (dashed)"
            } else {
                ""
            }
        ))
        .strong(),
    );
    let n = j.take_frames;
    let (a, b, step) = curve_frames(v, n);
    let series = |m: &mocap_data::Motion, ch: usize| -> Vec<[f64; 2]> {
        if m.frame_count() == 0 || m.channels_per_frame != j.skeleton.channel_count() {
            return Vec::new();
        }
        (a..b)
            .step_by(step)
            .map(|f| {
                let mf =
                    crate::model::session::motion_frame(j.take_rate, f, m.rate, m.frame_count());
                [f as f64, f64::from(m.frame(mf)[ch])]
            })
            .collect()
    };
    let fill = egui::Color32::from_rgba_unmultiplied(86, 180, 233, 40);
    let contacts: Vec<(&str, usize, usize, egui::Color32)> = v
        .motion
        .contacts
        .iter()
        .filter(|c| c.name == j.name)
        .map(|c| ("contact", c.start, c.end, fill))
        .collect();
    out.extend(curve_plot(
        ui,
        "cleanup_joint_curves",
        v,
        (a, b, n),
        &contacts,
        |plot| {
            for (i, (ch, name)) in rot.iter().enumerate() {
                let c = CURVE_COLOURS[i % 3];
                if let Some(before) = j.before {
                    plot.line(
                        Line::new(format!("{name} before"), series(before, *ch))
                            .color(c.gamma_multiply(0.5))
                            .style(LineStyle::dashed_loose()),
                    );
                }
                plot.line(Line::new(*name, series(j.after, *ch)).color(c));
            }
        },
    ));
    out
}

pub(crate) fn curves_ui(ui: &mut egui::Ui, v: &CleanupView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    if let Some(f) = &v.face {
        let (shown, cmds) = face_curves_ui(ui, f);
        out.extend(cmds);
        if shown {
            return out;
        }
    }
    if v.marker.is_none()
        && let Some(j) = &v.joint
    {
        return joint_curves_ui(ui, v, j);
    }
    let (Some(m), Some(raw), Some(result)) = (v.marker, v.raw, v.result) else {
        ui.weak(
            "Select a marker (table or viewport) to see its X/Y/Z curves before and after, or a \
             joint for its rotation curves.",
        );
        return out;
    };
    if m >= result.marker_count() || m >= raw.marker_count() {
        return out;
    }
    ui.label(
        egui::RichText::new(format!(
            "{} — X/Y/Z ({}), after (solid) and before (dashed)",
            result.labels[m],
            result.unit.symbol()
        ))
        .strong(),
    );
    let n = result.frame_count();
    let (a, b, step) = curve_frames(v, n);
    let series = |t: &MarkerTrajectories, axis: usize| -> Vec<Vec<[f64; 2]>> {
        // Split at gaps so gaps are not bridged by a line.
        let mut runs = Vec::new();
        let mut cur: Vec<[f64; 2]> = Vec::new();
        let mut f = a;
        while f < b {
            match t.position(f, m) {
                Some(p) => cur.push([f as f64, f64::from(p[axis])]),
                None if !cur.is_empty() => runs.push(std::mem::take(&mut cur)),
                None => {}
            }
            f += step;
        }
        if !cur.is_empty() {
            runs.push(cur);
        }
        runs
    };
    let fill = egui::Color32::from_rgba_unmultiplied(235, 87, 87, 40);
    let gaps_after: Vec<(&str, usize, usize, egui::Color32)> = v
        .rows
        .iter()
        .find(|r| r.gaps.marker == m)
        .map(|r| {
            r.gaps
                .gaps
                .iter()
                .map(|g| ("gap", g.start, g.end(), fill))
                .collect()
        })
        .unwrap_or_default();
    out.extend(curve_plot(
        ui,
        "cleanup_curves",
        v,
        (a, b, n),
        &gaps_after,
        |plot| {
            for (axis, name) in ["X", "Y", "Z"].iter().enumerate() {
                for run in series(raw, axis) {
                    plot.line(
                        Line::new(format!("{name} before"), run)
                            .color(CURVE_COLOURS[axis].gamma_multiply(0.5))
                            .style(LineStyle::dashed_loose()),
                    );
                }
                for run in series(result, axis) {
                    plot.line(Line::new(*name, run).color(CURVE_COLOURS[axis]));
                }
            }
        },
    ));
    out
}
