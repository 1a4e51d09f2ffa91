//! The viewport HUD (frame, timecode, frame time) and toasts for recent log lines.

#[allow(unused_imports)]
use super::*;

/// Frame timing for the HUD.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct HudStats {
    /// Smoothed render frames per second.
    pub render_fps: f64,
    /// Smoothed CPU frame time, milliseconds.
    pub frame_ms: f64,
}

pub(crate) fn hud_stats(time: Res<Time<Real>>, mut stats: ResMut<HudStats>) {
    let dt = time.delta_secs_f64();
    if dt <= 0.0 {
        return;
    }
    let a = 0.05;
    stats.frame_ms = stats.frame_ms * (1.0 - a) + dt * 1000.0 * a;
    stats.render_fps = 1000.0 / stats.frame_ms.max(1e-3);
}

/// Snapshot for the HUD overlay.
#[derive(Debug, Clone)]
pub struct HudView {
    /// Current frame / last frame.
    pub frame: (usize, usize),
    /// Formatted timecode.
    pub timecode: String,
    /// Take rate × speed, and measured distinct frames per second.
    pub playback: String,
    /// Render fps and CPU frame time.
    pub render: String,
    /// Take name.
    pub take: String,
    /// Files being opened in the background ("Opening 39_01.c3d (12.4 MB)… 1.3 s"), if any.
    pub opening: Option<String>,
    /// Ground-grid scale labels (logical window pixels, text).
    pub grid_labels: Vec<(egui::Vec2, String)>,
}

pub(crate) fn hud_ui(ui: &mut egui::Ui, rect: egui::Rect, hud: &HudView) {
    let painter = ui.painter_at(rect);
    for (p, text) in &hud.grid_labels {
        painter.text(
            egui::pos2(p.x + 3.0, p.y - 2.0),
            egui::Align2::LEFT_BOTTOM,
            text,
            egui::FontId::proportional(10.0),
            egui::Color32::from_gray(150),
        );
    }
    let lines = [
        hud.take.clone(),
        format!("{}   frame {} / {}", hud.timecode, hud.frame.0, hud.frame.1),
        hud.playback.clone(),
        hud.render.clone(),
    ];
    let font = egui::FontId::monospace(12.0);
    let pad = 8.0;
    let h = 16.0;
    let w = 330.0;
    let bg = egui::Rect::from_min_size(
        rect.min + egui::vec2(pad, pad),
        egui::vec2(w, h * lines.len() as f32 + 8.0),
    );
    painter.rect_filled(bg, 4.0, egui::Color32::from_black_alpha(130));
    for (i, l) in lines.iter().enumerate() {
        painter.text(
            bg.min + egui::vec2(8.0, 4.0 + h * i as f32),
            egui::Align2::LEFT_TOP,
            l,
            font.clone(),
            if i == 1 {
                egui::Color32::from_rgb(255, 214, 90)
            } else {
                egui::Color32::from_gray(225)
            },
        );
    }
    if let Some(line) = &hud.opening {
        // Below the HUD box: a spinner and the file being read.
        let at = bg.left_bottom() + egui::vec2(0.0, 6.0);
        let colour = egui::Color32::from_rgb(140, 200, 255);
        let galley = painter.layout_no_wrap(line.clone(), font.clone(), colour);
        let row =
            egui::Rect::from_min_size(at, egui::vec2(w.max(galley.size().x + h + 20.0), h + 8.0));
        painter.rect_filled(row, 4.0, egui::Color32::from_black_alpha(130));
        ui.put(
            egui::Rect::from_min_size(at + egui::vec2(6.0, 4.0), egui::vec2(h, h)),
            egui::Spinner::new().size(h - 2.0),
        );
        painter.galley(at + egui::vec2(8.0 + h + 4.0, 4.0), galley, colour);
        ui.ctx().request_repaint();
    }
    // Axis hint (bottom left): Bevy world is Y-up metres.
    painter.text(
        egui::pos2(rect.left() + pad, rect.bottom() - pad),
        egui::Align2::LEFT_BOTTOM,
        "Y-up · metres · Alt+LMB orbit · Alt+MMB pan · Alt+RMB dolly · F frame",
        egui::FontId::proportional(11.0),
        egui::Color32::from_gray(160),
    );
}

/// Lays out every glyph the HUD and timeline counters use, every frame.
///
/// egui rasterises a glyph into its font atlas the first time it is laid out and the atlas
/// upload reaches the GPU a frame later, so a digit seen for the first time would be missing for
/// one frame (visible in screenshots of changing counters). Laying them out up front avoids that;
/// egui caches the layouts, so repeating it each frame costs a hash lookup, and it also covers
/// atlas rebuilds (scale factor changes).
pub(crate) fn warm_glyphs(ctx: &egui::Context) {
    // egui positions glyphs at sub-pixel offsets and rasterises each offset bin separately, so
    // lay the digits out at every column offset of a monospace row (and shifted proportional
    // rows), not just once.
    const GLYPHS: &str = "0123456789:;.,/×-–—@#%()[] fpsmsHzframeplaybackrenderCPUtake◀▶⏸⏴⏵⏮⏭🔁";
    let text: String = (0..12)
        .map(|shift| {
            format!(
                "{}{GLYPHS}\n{}{GLYPHS}",
                "0".repeat(shift),
                ".".repeat(shift)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut fonts: Vec<egui::FontId> = ctx.global_style().text_styles.values().cloned().collect();
    for size in [10.0, 11.0, 12.0, 15.0, 16.0] {
        fonts.push(egui::FontId::monospace(size));
        fonts.push(egui::FontId::proportional(size));
    }
    ctx.fonts_mut(|f| {
        for font in fonts {
            let _ = f.layout_no_wrap(text.clone(), font, egui::Color32::WHITE);
        }
    });
}

/// Recent errors and warnings as toasts in the bottom-right corner (6 s).
pub(crate) fn toasts(ctx: &egui::Context, log: &AppLog, now: f64) {
    let recent: Vec<_> = log
        .entries
        .iter()
        .rev()
        .filter(|e| e.level != LogLevel::Info && now - e.at_s < 6.0)
        .take(4)
        .collect();
    if recent.is_empty() {
        return;
    }
    egui::Area::new(egui::Id::new("toasts"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-16.0, -16.0))
        .order(egui::Order::Foreground)
        .show(ctx, |ui| {
            for e in recent {
                let colour = if e.level == LogLevel::Error {
                    egui::Color32::from_rgb(150, 40, 40)
                } else {
                    egui::Color32::from_rgb(140, 100, 20)
                };
                egui::Frame::new()
                    .fill(colour)
                    .corner_radius(6.0)
                    .inner_margin(10.0)
                    .show(ui, |ui| {
                        ui.set_max_width(420.0);
                        ui.colored_label(egui::Color32::WHITE, &e.text);
                    });
                ui.add_space(6.0);
            }
        });
    ctx.request_repaint();
}
