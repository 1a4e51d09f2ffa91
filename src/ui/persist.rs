//! Saved layout and settings: loaded at start, written when they change and on exit.

#[allow(unused_imports)]
use super::*;

pub(crate) fn load_persisted(
    mut commands: Commands,
    persist: Res<Persistence>,
    mut log: ResMut<AppLog>,
) {
    let mut layout = default_layout();
    let mut settings = Settings::default();
    if persist.enabled
        && let Some(dir) = config_dir()
    {
        match load_json::<DockState<Tab>>(&dir, LAYOUT_FILE) {
            Ok(Some(l)) if l.iter_all_tabs().any(|(_, t)| *t == Tab::Viewport) => layout = l,
            Ok(_) => {}
            Err(e) => log.push(LogLevel::Warning, format!("Layout reset: {e}"), 0.0),
        }
        match load_json::<Settings>(&dir, SETTINGS_FILE) {
            Ok(Some(s)) => settings = s,
            Ok(None) => {}
            Err(e) => log.push(LogLevel::Warning, format!("Settings reset: {e}"), 0.0),
        }
    }
    commands.insert_resource(ClearColor(Color::srgb_u8(
        settings.colours.background[0],
        settings.colours.background[1],
        settings.colours.background[2],
    )));
    commands.insert_resource(DockLayout(layout));
    commands.insert_resource(settings);
}

/// Saves the layout and settings every few seconds when they changed, so a crash or a killed
/// process loses at most that much.
pub(crate) fn autosave(
    persist: Res<Persistence>,
    layout: Option<Res<DockLayout>>,
    settings: Res<Settings>,
    time: Res<Time<Real>>,
    mut last: Local<(f64, String, String)>,
) {
    let now = time.elapsed_secs_f64();
    if !persist.enabled || now - last.0 < 3.0 {
        return;
    }
    last.0 = now;
    let Some(dir) = config_dir() else { return };
    let settings_json = serde_json::to_string(&*settings).unwrap_or_default();
    if last.2.is_empty() {
        // First check: remember what was loaded; nothing to save yet.
        last.2 = settings_json.clone();
    } else if settings_json != last.2 {
        match save_json(&dir, SETTINGS_FILE, &*settings) {
            Ok(()) => last.2 = settings_json,
            Err(e) => warn!("Cannot save settings: {e}"),
        }
    }
    if let Some(layout) = layout {
        let mut value = serde_json::to_value(&layout.0).unwrap_or_default();
        crate::model::settings::zero_nonfinite_points(&mut value);
        let layout_json = value.to_string();
        if last.1.is_empty() {
            last.1 = layout_json;
        } else if layout_json != last.1 {
            match save_json(&dir, LAYOUT_FILE, &layout.0) {
                Ok(()) => last.1 = layout_json,
                Err(e) => warn!("Cannot save the layout: {e}"),
            }
        }
    }
}

pub(crate) fn save_on_exit(
    mut exit: MessageReader<AppExit>,
    persist: Res<Persistence>,
    layout: Option<Res<DockLayout>>,
    settings: Res<Settings>,
) {
    if exit.read().next().is_none() || !persist.enabled {
        return;
    }
    let Some(dir) = config_dir() else { return };
    if let Some(layout) = layout
        && let Err(e) = save_json(&dir, LAYOUT_FILE, &layout.0)
    {
        warn!("Cannot save the layout: {e}");
    }
    if let Err(e) = save_json(&dir, SETTINGS_FILE, &*settings) {
        warn!("Cannot save settings: {e}");
    }
}

#[derive(Resource)]
pub(crate) struct Persistence {
    pub(crate) enabled: bool,
}

pub(crate) const LAYOUT_FILE: &str = "layout.json";

pub(crate) const SETTINGS_FILE: &str = "settings.json";
