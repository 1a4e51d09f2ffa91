//! The dock: tabs (egui_dock) around the 3D view, the default layout, and the tab viewer that draws each panel.

#[allow(unused_imports)]
use super::*;

/// The default dock layout: viewport centre; timeline, log and the later-issue tabs below;
/// inspector and takes on the right.
pub fn default_layout() -> DockState<Tab> {
    let mut dock = DockState::new(vec![Tab::Viewport]);
    let surface = dock.main_surface_mut();
    let [main, _right] = surface.split_right(
        NodeIndex::root(),
        0.74,
        vec![Tab::Inspector, Tab::Takes, Tab::BoneMap, Tab::FaceMap],
    );
    surface.split_below(
        main,
        0.72,
        vec![
            Tab::Timeline,
            Tab::Log,
            Tab::Review,
            Tab::Cleanup,
            Tab::Subtitles,
            Tab::Live,
            Tab::Compare,
        ],
    );
    dock
}

/// The dock layout.
#[derive(Resource)]
pub struct DockLayout(pub DockState<Tab>);

/// Brings `tab` to the front of its leaf, opening it when it was closed.
pub fn focus_tab(dock: &mut DockState<Tab>, tab: Tab) {
    if dock.find_tab(&tab).is_none() {
        dock.push_to_first_leaf(tab);
    }
    if let Some(path) = dock.find_tab(&tab) {
        let _ = dock.set_active_tab(path);
    }
}

pub(crate) fn log_ui(ui: &mut egui::Ui, log: &AppLog) {
    egui::ScrollArea::vertical()
        .stick_to_bottom(true)
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for e in &log.entries {
                let (tag, colour) = match e.level {
                    LogLevel::Info => ("info ", ui.visuals().text_color()),
                    LogLevel::Warning => ("warn ", egui::Color32::from_rgb(240, 190, 60)),
                    LogLevel::Error => ("error", egui::Color32::from_rgb(235, 87, 87)),
                };
                ui.label(
                    egui::RichText::new(format!("{:>8.3}s {tag}  {}", e.since_start_s, e.text))
                        .monospace()
                        .color(colour),
                );
            }
        });
}

pub(crate) fn placeholder_ui(ui: &mut egui::Ui, what: &str) {
    ui.add_space(12.0);
    ui.vertical_centered(|ui| {
        ui.heading(what);
        ui.add_space(6.0);
        ui.weak(
            "Coming in a later issue: this tab is reserved in the layout but has no features yet.",
        );
    });
}

impl TabViewer for Viewer<'_> {
    type Tab = Tab;

    fn title(&mut self, tab: &mut Tab) -> egui::WidgetText {
        tab.title().into()
    }

    fn id(&mut self, tab: &mut Tab) -> egui::Id {
        egui::Id::new(("mocap-studio-tab", tab.title()))
    }

    fn ui(&mut self, ui: &mut egui::Ui, tab: &mut Tab) {
        match tab {
            Tab::Viewport => {
                let rect = ui.max_rect();
                let resp = ui.allocate_rect(rect, egui::Sense::hover());
                self.viewport_rect = Some(rect);
                self.viewport_hovered = resp.hovered();
                if let Some(h) = &self.hud {
                    hud_ui(ui, rect, h);
                }
            }
            Tab::Timeline => {
                let c = timeline_ui(ui, &self.timeline);
                self.commands.extend(c);
            }
            Tab::Inspector => {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let c = inspector_ui(ui, &self.inspector);
                    self.commands.extend(c);
                });
            }
            Tab::Log => log_ui(ui, self.log),
            Tab::Takes => match &self.takes {
                Some(v) => {
                    let c = takes_ui(ui, v);
                    self.commands.extend(c);
                }
                None => placeholder_ui(ui, "Take library"),
            },
            Tab::Review => {
                let c = review_ui(ui, &self.review);
                self.commands.extend(c);
            }
            Tab::Cleanup => match &self.cleanup {
                Some(v) => {
                    let c = cleanup_ui(ui, v);
                    self.commands.extend(c);
                }
                None => placeholder_ui(ui, "Cleanup"),
            },
            Tab::Live => match &self.live {
                Some(v) => {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        let c = crate::live::panel::live_ui(ui, v);
                        self.commands.extend(c);
                    });
                }
                None => placeholder_ui(ui, "Live"),
            },
            Tab::Compare => match &self.compare {
                Some(v) => {
                    let c = crate::compare::panel::compare_ui(ui, v);
                    self.commands.extend(c);
                }
                None => placeholder_ui(ui, "Compare"),
            },
            Tab::BoneMap => {
                let c = crate::character::bonemap_panel::bonemap_ui(ui, &self.bonemap);
                self.commands.extend(c);
            }
            Tab::FaceMap => {
                let c = crate::face::facemap_panel::facemap_ui(ui, &self.facemap);
                self.commands.extend(c);
            }
            Tab::Subtitles => match &self.subtitles {
                Some(v) => {
                    let c = subtitles_ui(ui, v);
                    self.commands.extend(c);
                }
                None => placeholder_ui(ui, "Subtitles"),
            },
        }
    }

    fn clear_background(&self, tab: &Tab) -> bool {
        *tab != Tab::Viewport
    }

    fn scroll_bars(&self, _tab: &Tab) -> [bool; 2] {
        // Every panel scrolls its own content (tables keep their headers in view).
        [false, false]
    }

    fn is_closeable(&self, tab: &Tab) -> bool {
        *tab != Tab::Viewport
    }
}

pub(crate) struct Viewer<'a> {
    pub(crate) timeline: TimelineView<'a>,
    pub(crate) hud: Option<HudView>,
    pub(crate) inspector: InspectorView<'a>,
    pub(crate) log: &'a AppLog,
    pub(crate) subtitles: Option<SubtitlesView<'a>>,
    pub(crate) takes: Option<TakesView<'a>>,
    pub(crate) cleanup: Option<CleanupView<'a>>,
    pub(crate) live: Option<crate::live::panel::LiveView<'a>>,
    pub(crate) compare: Option<crate::compare::panel::CompareView<'a>>,
    pub(crate) review: ReviewView<'a>,
    pub(crate) bonemap: crate::character::bonemap_panel::BoneMapView<'a>,
    pub(crate) facemap: crate::face::facemap_panel::FaceMapView<'a>,
    pub(crate) commands: Vec<UiCommand>,
    pub(crate) viewport_rect: Option<egui::Rect>,
    pub(crate) viewport_hovered: bool,
}
