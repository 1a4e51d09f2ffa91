//! The subtitle overlay: the visible languages drawn over the viewport with Bevy text (parley shaping, a font per script, egui fallbacks for the panels).

#[allow(unused_imports)]
use super::*;

/// System font files the overlay and egui use: (family name, path, face index in the file). The
/// paths are Debian's, the fallback when the system font database (see [`locate_fonts`]) has no
/// face of that family.
pub const FONT_FILES: [(&str, &str, u32); 10] = [
    (
        "Noto Sans",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        0,
    ),
    (
        "Noto Sans CJK JP",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        0,
    ),
    (
        "Noto Sans CJK KR",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        1,
    ),
    (
        "Noto Sans CJK SC",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        2,
    ),
    (
        "Noto Sans CJK TC",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        3,
    ),
    (
        "Noto Sans CJK HK",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        4,
    ),
    (
        "Noto Sans Arabic",
        "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
        0,
    ),
    (
        "Noto Sans Hebrew",
        "/usr/share/fonts/truetype/noto/NotoSansHebrew-Regular.ttf",
        0,
    ),
    (
        "Noto Sans Thai",
        "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
        0,
    ),
    (
        "Noto Sans Mono CJK JP",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        5,
    ),
];

/// The font family for a cue of language `lang` whose text is `text` (script first; the
/// language chooses the Han glyph variants: SC, TC, HK, JP, KR).
pub fn font_family_for(lang: &str, text: &str) -> &'static str {
    let l = lang.to_ascii_lowercase();
    match script_of(text) {
        Script::Latin => "Noto Sans",
        Script::Japanese => "Noto Sans CJK JP",
        Script::Hangul => "Noto Sans CJK KR",
        Script::Arabic => "Noto Sans Arabic",
        Script::Hebrew => "Noto Sans Hebrew",
        Script::Thai => "Noto Sans Thai",
        Script::Han if l.starts_with("ja") => "Noto Sans CJK JP",
        Script::Han if l.starts_with("ko") => "Noto Sans CJK KR",
        Script::Han if l.contains("hk") || l.starts_with("yue") => "Noto Sans CJK HK",
        Script::Han if l.contains("hant") || l.contains("tw") || l.contains("mo") => {
            "Noto Sans CJK TC"
        }
        Script::Han => "Noto Sans CJK SC",
    }
}

/// Lines of the script test (`--demo-scripts`): (language, text).
pub const SCRIPT_TEST: [(&str, &str); 6] = [
    ("zh-Hans", "简体中文：你好，世界！字幕测试。"),
    ("ja", "日本語：こんにちは、字幕のテストです。"),
    ("ko", "한국어: 안녕하세요, 자막 테스트입니다."),
    ("ar", "العربية: مرحبا بالعالم، هذا اختبار للترجمة."),
    ("he", "עברית: שלום עולם, זו בדיקת כתוביות."),
    ("th", "ภาษาไทย: สวัสดีชาวโลก นี่คือการทดสอบคำบรรยาย"),
];

/// The script-test tracks: one cue per script lasting ten minutes from 0 ms.
pub fn script_test_tracks() -> Vec<LangTrack> {
    SCRIPT_TEST
        .iter()
        .map(|(lang, text)| {
            let mut t = Track::new(::subtitles::Format::Srt);
            t.language = Some(lang.to_string());
            t.cues = vec![::subtitles::Cue::new("1", 0, 600_000, *text)];
            LangTrack::new(*lang, t, None)
        })
        .collect()
}

/// Draws the visible languages' current cues over the viewport with Bevy text and loads the
/// system fonts (also into egui, as fallbacks for CJK, Arabic, Hebrew and Thai).
pub struct SubtitleOverlayPlugin;

impl Plugin for SubtitleOverlayPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<SubtitleFonts>()
            .add_systems(Startup, load_fonts)
            .add_systems(PostUpdate, set_font_fallbacks.in_set(SubtitlesSet))
            .add_systems(
                bevy_egui::EguiPrimaryContextPass,
                add_egui_fonts.in_set(SubtitlesSet),
            )
            .add_systems(
                PostUpdate,
                update_overlay.before(bevy::ui::UiSystems::Prepare),
            );
    }
}

/// The system fonts found at start-up.
#[derive(Resource, Debug, Default)]
pub struct SubtitleFonts {
    /// Loaded font assets (kept alive).
    pub handles: Vec<Handle<Font>>,
    /// Families available, from [`FONT_FILES`].
    pub families: Vec<&'static str>,
    /// Font files for egui: (family, bytes, face index); taken once egui has them.
    egui_pending: Vec<(&'static str, std::sync::Arc<Vec<u8>>, u32)>,
}

/// Where each family of [`FONT_FILES`] is: (family, file, face index). Looked up by family name in
/// the system font database (fontdb over fontconfig's directories: `/usr/share/fonts`, Fedora's
/// `google-noto-*`, `~/.local/share/fonts`, …), else the Debian path in [`FONT_FILES`].
pub fn locate_fonts() -> Vec<(&'static str, std::path::PathBuf, u32)> {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    FONT_FILES
        .iter()
        .map(|&(family, path, index)| {
            let families = [fontdb::Family::Name(family)];
            let query = fontdb::Query {
                families: &families,
                ..Default::default()
            };
            match db.query(&query).and_then(|id| db.face_source(id)) {
                Some((fontdb::Source::File(file), face)) => (family, file, face),
                _ => (family, path.into(), index),
            }
        })
        .collect()
}

pub(crate) fn load_fonts(mut fonts: ResMut<Assets<Font>>, mut loaded: ResMut<SubtitleFonts>) {
    let mut files: Vec<(std::path::PathBuf, std::sync::Arc<Vec<u8>>)> = Vec::new();
    for (family, path, index) in locate_fonts() {
        let bytes = match files.iter().find(|(p, _)| *p == path) {
            Some((_, b)) => Some(b.clone()),
            None => match std::fs::read(&path) {
                Ok(b) => {
                    let b = std::sync::Arc::new(b);
                    files.push((path.clone(), b.clone()));
                    // Bevy registers every face of a collection under its own family name.
                    loaded
                        .handles
                        .push(fonts.add(Font::from_bytes((*b).clone())));
                    Some(b)
                }
                Err(e) => {
                    warn!(
                        "Subtitle font missing: {}: {e}. Text in {family} will not show; install the Noto fonts (fonts-noto-core and fonts-noto-cjk on Debian, google-noto-sans-fonts and google-noto-sans-cjk-fonts on Fedora)",
                        path.display()
                    );
                    None
                }
            },
        };
        if let Some(b) = bytes {
            loaded.families.push(family);
            if family != "Noto Sans Mono CJK JP" && family != "Noto Sans CJK HK" {
                loaded.egui_pending.push((family, b, index));
            }
        }
    }
}

/// Per-script fallbacks in Bevy's font collection: a glyph the cue's font lacks (the ASCII
/// colon in Noto Sans Hebrew and Thai, Latin words in Arabic) comes from the script's Noto font,
/// then Noto Sans. Runs until the font assets are registered, then once.
pub(crate) fn set_font_fallbacks(
    mut font_cx: ResMut<bevy::text::FontCx>,
    fonts: Res<SubtitleFonts>,
    mut done: Local<bool>,
) {
    use parley::fontique::Script as S;
    if *done || fonts.families.is_empty() {
        return;
    }
    let collection = &mut font_cx.bypass_change_detection().collection;
    if collection.family_id("Noto Sans").is_none()
        && collection.family_id("Noto Sans Arabic").is_none()
    {
        return; // not registered yet
    }
    let table: [(&[u8; 4], &str); 10] = [
        (b"Hebr", "Noto Sans Hebrew"),
        (b"Thai", "Noto Sans Thai"),
        (b"Arab", "Noto Sans Arabic"),
        (b"Hani", "Noto Sans CJK SC"),
        (b"Hira", "Noto Sans CJK JP"),
        (b"Kana", "Noto Sans CJK JP"),
        (b"Hang", "Noto Sans CJK KR"),
        (b"Latn", "Noto Sans"),
        (b"Zyyy", "Noto Sans"),
        (b"Cyrl", "Noto Sans"),
    ];
    for (tag, family) in table {
        let ids: Vec<_> = [family, "Noto Sans", "Noto Sans CJK SC"]
            .iter()
            .filter_map(|f| collection.family_id(f))
            .collect();
        collection.append_fallbacks(S::from_bytes(*tag), ids.into_iter());
    }
    *done = true;
}

/// Adds the Noto fonts to egui as fallbacks (egui's own fonts have no CJK, Arabic, Hebrew or
/// Thai glyphs). egui does not shape text: Arabic shows unjoined there; the overlay shapes it.
pub(crate) fn add_egui_fonts(
    mut contexts: bevy_egui::EguiContexts,
    mut fonts: ResMut<SubtitleFonts>,
) {
    if fonts.egui_pending.is_empty() {
        return;
    }
    let Ok(ctx) = contexts.ctx_mut() else { return };
    use bevy_egui::egui;
    let mut defs = egui::FontDefinitions::default();
    // Simplified Chinese glyph variants first for Han characters in panels.
    let mut pending = std::mem::take(&mut fonts.egui_pending);
    pending.sort_by_key(|(f, _, _)| *f != "Noto Sans CJK SC");
    for (family, bytes, index) in pending {
        if family == "Noto Sans" {
            continue; // egui's default font covers Latin.
        }
        let mut data = egui::FontData::from_owned((*bytes).clone());
        data.index = index;
        defs.font_data
            .insert(family.to_string(), std::sync::Arc::new(data));
        for fam in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
            defs.families
                .entry(fam)
                .or_default()
                .push(family.to_string());
        }
    }
    ctx.set_fonts(defs);
}

/// The overlay's root UI node.
#[derive(Component)]
pub(crate) struct OverlayRoot;

pub(crate) fn update_overlay(
    mut commands: Commands,
    tracks: Res<SubtitleTracks>,
    playback: Res<Playback>,
    camera: Query<Entity, With<SceneCamera>>,
    root: Query<Entity, With<OverlayRoot>>,
    mut shown: Local<Option<OverlayLines>>,
) {
    let root = match root.single() {
        Ok(r) => r,
        Err(_) => {
            let Ok(cam) = camera.single() else { return };
            *shown = None;
            commands
                .spawn((
                    Name::new("Subtitle overlay"),
                    OverlayRoot,
                    Node {
                        position_type: PositionType::Absolute,
                        width: Val::Percent(100.0),
                        height: Val::Percent(100.0),
                        flex_direction: FlexDirection::Column,
                        justify_content: JustifyContent::FlexEnd,
                        align_items: AlignItems::Center,
                        padding: UiRect::bottom(Val::Px(28.0)),
                        row_gap: Val::Px(4.0),
                        ..default()
                    },
                    bevy::ui::UiTargetCamera(cam),
                ))
                .id()
        }
    };
    let t_ms = (playback.position_s * 1000.0).round() as i64;
    let lines: OverlayLines = tracks
        .tracks
        .iter()
        .filter(|t| t.visible)
        .filter_map(|t| {
            let i = t.cue_at(t_ms)?;
            let text = plain_text(&t.track, i);
            let family = font_family_for(&t.lang, &text);
            Some((t.lang.clone(), text, family))
        })
        .collect();
    if shown.as_ref() == Some(&lines) {
        return;
    }
    commands.entity(root).despawn_related::<Children>();
    commands.entity(root).with_children(|p| {
        for (_, text, family) in &lines {
            p.spawn((
                Node {
                    padding: UiRect::axes(Val::Px(10.0), Val::Px(2.0)),
                    max_width: Val::Percent(90.0),
                    ..default()
                },
                BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.55)),
            ))
            .with_children(|p| {
                p.spawn((
                    Text::new(text.clone()),
                    TextFont {
                        font: bevy::text::FontSource::Family((*family).into()),
                        font_size: bevy::text::FontSize::Px(24.0),
                        ..default()
                    },
                    TextColor(Color::WHITE),
                    TextLayout::justify(Justify::Center),
                ));
            });
        }
    });
    *shown = Some(lines);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every family is found (CI installs the Noto fonts) in a file that exists, and the script
    /// families come from files of that script, whatever directory the system keeps them in.
    #[test]
    fn system_font_database_finds_every_script_family() {
        let located = locate_fonts();
        assert_eq!(located.len(), FONT_FILES.len());
        for (family, path, _) in &located {
            assert!(path.is_file(), "{family}: {} is not a file", path.display());
        }
        let file_of = |family: &str| {
            let (_, path, _) = located.iter().find(|(f, _, _)| *f == family).unwrap();
            path.file_name().unwrap().to_string_lossy().into_owned()
        };
        assert!(file_of("Noto Sans Arabic").contains("Arabic"));
        assert!(file_of("Noto Sans Hebrew").contains("Hebrew"));
        assert!(file_of("Noto Sans Thai").contains("Thai"));
        assert!(file_of("Noto Sans CJK JP").contains("CJK"));
        // Found by the database, not by the Debian fallback paths.
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        for (family, _, _) in FONT_FILES {
            let families = [fontdb::Family::Name(family)];
            let query = fontdb::Query {
                families: &families,
                ..Default::default()
            };
            assert!(
                db.query(&query).is_some(),
                "{family} is not in the system font database"
            );
        }
    }
}
