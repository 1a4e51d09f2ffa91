//! The Compare tab: what is compared, how it is shown (ghost, overlay or side by side, time
//! offset), and the difference: per item at the playhead (a table) and over the take (mean and
//! max across items, a curve; click to seek).

use bevy_egui::egui;
use egui_plot::{Line, Plot, PlotPoints, VLine};
use mocap_data::{FrameIndex, FrameRate};

use crate::model::commands::{PlaybackCommand, UiCommand};
use crate::model::compare::{CompareCommand, CompareItems, CompareLayout, Comparison};

/// What the Compare tab shows.
#[derive(Debug, Clone, Copy)]
pub struct CompareView<'a> {
    /// The comparison and its difference.
    pub comparison: &'a Comparison,
    /// The open take's name, if one is open.
    pub take_name: Option<&'a str>,
    /// Whether the take has a re-solve and an opened motion to compare it with.
    pub can_resolve: bool,
    /// The playhead, a take frame.
    pub frame: FrameIndex,
    /// The take's rate.
    pub rate: FrameRate,
}

/// Mean curve colour.
const MEAN: egui::Color32 = egui::Color32::from_rgb(90, 200, 255);
/// Max curve colour.
const MAX: egui::Color32 = egui::Color32::from_rgb(255, 150, 80);

fn mm(v: Option<f32>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "—".into(), |v| format!("{v:.1}"))
}

/// The Compare tab.
pub fn compare_ui(ui: &mut egui::Ui, v: &CompareView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let c = v.comparison;
    ui.horizontal(|ui| {
        if ui
            .button("Compare with…")
            .on_hover_text("A second take: C3D/TRC markers, or a BVH or ASF/AMC motion")
            .clicked()
        {
            out.push(UiCommand::CompareDialog);
        }
        if ui
            .add_enabled(v.can_resolve, egui::Button::new("Compare with re-solve"))
            .on_hover_text("The take's re-solve (shown) against the motion it was opened with")
            .on_disabled_hover_text(
                "Needs a re-solve (Cleanup → Re-solve) of a take opened with a skeleton motion",
            )
            .clicked()
        {
            out.push(UiCommand::Compare(CompareCommand::OpenResolve));
        }
        if ui
            .add_enabled(c.take.is_some(), egui::Button::new("Close comparison"))
            .clicked()
        {
            out.push(UiCommand::Compare(CompareCommand::Close));
        }
    });
    for m in [&c.message, &c.note].into_iter().flatten() {
        ui.colored_label(egui::Color32::from_rgb(240, 190, 60), m);
    }
    let Some(ct) = &c.take else {
        ui.add_space(8.0);
        ui.weak(
            "No comparison. File → Compare with… (or a take's context menu in the Takes \
             browser) shows a second take as a ghost beside this one, with the distance per \
             joint or marker.",
        );
        return out;
    };
    ui.heading(format!(
        "{} ↔ {}",
        v.take_name.unwrap_or("(no take)"),
        ct.name
    ));
    ui.horizontal(|ui| {
        let mut show = c.show;
        if ui.checkbox(&mut show, "Show ghost").changed() {
            out.push(UiCommand::Compare(CompareCommand::SetShow(show)));
        }
        for (layout, label) in [
            (CompareLayout::Overlay, "Overlay"),
            (CompareLayout::SideBySide, "Side by side"),
        ] {
            if ui.radio(c.layout == layout, label).clicked() && c.layout != layout {
                out.push(UiCommand::Compare(CompareCommand::SetLayout(layout)));
            }
        }
        if c.layout == CompareLayout::SideBySide {
            let mut d = c.spacing_m;
            if ui
                .add(
                    egui::DragValue::new(&mut d)
                        .speed(0.05)
                        .range(-50.0..=50.0)
                        .suffix(" m"),
                )
                .on_hover_text("Distance of the comparison along X")
                .changed()
            {
                out.push(UiCommand::Compare(CompareCommand::SetSpacing(d)));
            }
        }
    });
    let step = 1.0 / v.rate.hz();
    ui.horizontal(|ui| {
        ui.label("Time offset");
        let mut s = c.offset_s;
        if ui
            .add(
                egui::DragValue::new(&mut s)
                    .speed(step)
                    .max_decimals(4)
                    .suffix(" s"),
            )
            .on_hover_text("The comparison is sampled at the playhead's time plus this")
            .changed()
        {
            out.push(UiCommand::Compare(CompareCommand::SetOffset(s)));
        }
        if ui.button("−1 frame").clicked() {
            out.push(UiCommand::Compare(CompareCommand::SetOffset(
                c.offset_s - step,
            )));
        }
        if ui.button("+1 frame").clicked() {
            out.push(UiCommand::Compare(CompareCommand::SetOffset(
                c.offset_s + step,
            )));
        }
        if ui
            .add_enabled(c.offset_s != 0.0, egui::Button::new("Reset"))
            .clicked()
        {
            out.push(UiCommand::Compare(CompareCommand::SetOffset(0.0)));
        }
        ui.weak(format!("= {:+.1} frames", c.offset_s * v.rate.hz()));
    });
    let Some(d) = &c.difference else {
        return out;
    };
    ui.separator();
    let what = match d.items {
        CompareItems::Joints => "joints",
        CompareItems::Markers => "markers",
    };
    ui.label(format!(
        "{} {what} matched by name (take {}, comparison {})",
        d.series.pairs.len(),
        d.totals.0,
        d.totals.1
    ));
    let now = mocap_solver::compare::summarize(&d.at_frame);
    ui.label(format!(
        "At frame {}: mean {} mm, max {} mm",
        v.frame,
        mm(now.map(|s| s.mean_mm)),
        mm(now.map(|s| s.max_mm))
    ));
    if let Some(o) = d.series.overall() {
        ui.label(format!(
            "Over the take: mean {} mm, max {} mm ({} frames compared)",
            mm(Some(o.mean_mm)),
            mm(Some(o.max_mm)),
            o.count
        ));
    }
    out.extend(curve_ui(ui, v, d));
    table_ui(ui, d);
    out
}

/// Mean and max distance over the take, seconds on X; click to seek.
fn curve_ui(
    ui: &mut egui::Ui,
    v: &CompareView<'_>,
    d: &crate::model::compare::Difference,
) -> Vec<UiCommand> {
    let n = d.series.mean_mm.len();
    let every = (n / 4000).max(1);
    let hz = d.rate.hz();
    let points = |s: &[f32]| -> PlotPoints<'static> {
        (0..n)
            .step_by(every)
            .filter_map(|f| {
                let y = *s.get(f)?;
                y.is_finite().then(|| [f as f64 / hz, f64::from(y)])
            })
            .collect::<Vec<_>>()
            .into()
    };
    let mut out = Vec::new();
    let resp = Plot::new("compare_curve")
        .height(160.0)
        .allow_scroll(false)
        .x_axis_label("s")
        .y_axis_label("mm")
        .legend(egui_plot::Legend::default())
        .show(ui, |plot| {
            plot.line(Line::new("mean", points(&d.series.mean_mm)).color(MEAN));
            plot.line(Line::new("max", points(&d.series.max_mm)).color(MAX));
            plot.vline(
                VLine::new("playhead", v.frame as f64 / v.rate.hz())
                    .color(egui::Color32::from_rgb(255, 196, 0)),
            );
            plot.pointer_coordinate()
        });
    if resp.response.clicked()
        && let Some(p) = resp.inner
    {
        let f = v.rate.seconds_to_frame_round(p.x.max(0.0));
        out.push(UiCommand::Playback(PlaybackCommand::Seek(
            usize::try_from(f).unwrap_or(0),
        )));
    }
    out
}

/// Per item: distance at the playhead and mean over the take, largest first.
fn table_ui(ui: &mut egui::Ui, d: &crate::model::compare::Difference) {
    let mut rows: Vec<(usize, Option<f32>)> = (0..d.labels.len())
        .map(|k| (k, d.at_frame.get(k).copied().flatten()))
        .collect();
    rows.sort_by(|a, b| {
        b.1.unwrap_or(-1.0)
            .total_cmp(&a.1.unwrap_or(-1.0))
            .then(a.0.cmp(&b.0))
    });
    egui::ScrollArea::vertical()
        .id_salt("compare_table")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("compare_grid")
                .striped(true)
                .num_columns(3)
                .show(ui, |ui| {
                    ui.strong(match d.items {
                        CompareItems::Joints => "Joint",
                        CompareItems::Markers => "Marker",
                    });
                    ui.strong("Now (mm)");
                    ui.strong("Take mean (mm)");
                    ui.end_row();
                    for (k, now) in rows {
                        ui.label(d.labels.get(k).map_or("", String::as_str));
                        ui.label(mm(now));
                        ui.label(mm(d.series.item_mean_mm.get(k).copied()));
                        ui.end_row();
                    }
                });
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::compare::{ComparisonTake, Difference};
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use mocap_data::{LengthUnit, MarkerSample, MarkerTrajectories, UpAxis};

    /// Two three-marker sets, 100 frames at 120 Hz; the second is the first moved 10 mm along X
    /// for `LFHD`, 30 mm for `RFHD`, and `C7` is missing from it.
    fn sets() -> (MarkerTrajectories, MarkerTrajectories) {
        let make = |labels: &[&str], dx: &[f32]| {
            let dx = dx.to_vec();
            MarkerTrajectories::from_fn(
                labels.iter().map(|s| s.to_string()).collect(),
                100,
                FrameRate::FPS_120,
                LengthUnit::Millimetre,
                UpAxis::Z,
                move |f, m| MarkerSample {
                    position: [f as f32 + dx[m], m as f32 * 100.0, 1000.0],
                    residual: 0.0,
                    camera_mask: 0,
                    valid: true,
                },
            )
            .unwrap()
        };
        (
            make(&["A:LFHD", "A:RFHD", "A:C7"], &[0.0, 0.0, 0.0]),
            make(&["B:LFHD", "B:RFHD"], &[10.0, 30.0]),
        )
    }

    fn comparison() -> Comparison {
        let (a, b) = sets();
        let series = mocap_solver::compare::difference_series(&a, &b, 0.0);
        let at_frame = mocap_solver::compare::distances_at(&a, &b, &series.pairs, 5, 0.0);
        Comparison {
            take: Some(ComparisonTake {
                name: "other".into(),
                sources: Vec::new(),
                markers: Some(b),
                joints: None,
                parents: Vec::new(),
            }),
            difference: Some(Difference {
                items: CompareItems::Markers,
                rate: FrameRate::FPS_120,
                labels: vec!["A:LFHD".into(), "A:RFHD".into()],
                series,
                frame: 5,
                at_frame,
                totals: (3, 2),
            }),
            ..Comparison::default()
        }
    }

    struct State {
        comparison: Comparison,
        commands: Vec<UiCommand>,
    }

    fn harness(comparison: Comparison) -> Harness<'static, State> {
        Harness::builder()
            .with_size(egui::vec2(700.0, 700.0))
            .build_ui_state(
                |ui, s: &mut State| {
                    let view = CompareView {
                        comparison: &s.comparison,
                        take_name: Some("take"),
                        can_resolve: false,
                        frame: 5,
                        rate: FrameRate::FPS_120,
                    };
                    let cmds = compare_ui(ui, &view);
                    s.commands.extend(cmds);
                },
                State {
                    comparison,
                    commands: Vec::new(),
                },
            )
    }

    #[test]
    fn the_panel_shows_the_difference_and_sends_view_settings() {
        let mut h = harness(comparison());
        h.run();
        h.get_by_label("take ↔ other");
        h.get_by_label("2 markers matched by name (take 3, comparison 2)");
        h.get_by_label("At frame 5: mean 20.0 mm, max 30.0 mm");
        h.get_by_label_contains("Over the take: mean 20.0 mm, max 30.0 mm (100 frames");
        // The table: largest first, each item's distance now and over the take.
        h.get_by_label("A:RFHD");
        h.get_by_label("A:LFHD");
        assert!(h.query_all_by_label("30.0").count() >= 2);
        h.get_by_label("+1 frame").click();
        h.run();
        h.get_by_label("Side by side").click();
        h.run();
        h.get_by_label("Show ghost").click();
        h.run();
        let cmds = &h.state().commands;
        assert_eq!(
            cmds,
            &vec![
                UiCommand::Compare(CompareCommand::SetOffset(1.0 / 120.0)),
                UiCommand::Compare(CompareCommand::SetLayout(CompareLayout::SideBySide)),
                UiCommand::Compare(CompareCommand::SetShow(false)),
            ]
        );
    }

    #[test]
    fn without_a_comparison_the_panel_offers_to_load_one() {
        let mut h = harness(Comparison::default());
        h.run();
        h.get_by_label_contains("No comparison.");
        h.get_by_label("Compare with…").click();
        h.run();
        assert_eq!(h.state().commands, vec![UiCommand::CompareDialog]);
    }
}
