//! The subtitle data model: a [`Track`] of [`Cue`]s with exact times.

use mocap_data::FrameRate;

/// A point in time on the programme timeline, kept exact in the unit it was authored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Time {
    /// Integer milliseconds since the start of the programme (may be negative after an offset).
    Ms(i64),
    /// A frame count since the start of the programme at an exact frame rate.
    Frames {
        /// Frame number (frames, 0 = programme start).
        frame: i64,
        /// The rate the frame number counts at.
        rate: FrameRate,
    },
}

impl Default for Time {
    fn default() -> Self {
        Time::Ms(0)
    }
}

impl Time {
    /// This time in milliseconds, rounded to the nearest millisecond (half away from zero) when
    /// it is a frame count at a rate whose frames are not whole milliseconds.
    pub fn ms(self) -> i64 {
        match self {
            Time::Ms(ms) => ms,
            Time::Frames { frame, rate } => rate.frames_to_ms(frame),
        }
    }

    /// The frame at `rate` whose start is nearest to this time (exact when it already counts
    /// frames at `rate`).
    pub fn frame_at(self, rate: FrameRate) -> i64 {
        match self {
            Time::Frames { frame, rate: r } if r == rate => frame,
            Time::Frames { frame, rate: r } => crate::time::rescale_frames(frame, r, rate),
            Time::Ms(ms) => crate::time::ms_to_frame_round(ms, rate),
        }
    }
}

/// The file formats this crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// SubRip (`.srt`): cue text may hold `<i>`, `<b>`, `<u>`, `<font color>` tags.
    Srt,
    /// WebVTT (`.vtt`): cue text is WebVTT cue text markup.
    #[serde(rename = "webvtt")]
    WebVtt,
    /// Advanced SubStation Alpha (`.ass`): cue text holds `{\override}` tags, `\N` breaks.
    Ass,
    /// SubStation Alpha v4 (`.ssa`): as ASS, older header.
    Ssa,
    /// TTML / IMSC 1.1 (`.ttml`, `.xml`, `.dfxp`): cue text is stored as WebVTT-style markup
    /// converted from the XML spans.
    Ttml,
}

impl Format {
    /// Every file extension [`Format::from_extension`] knows (lower case): the one list of
    /// subtitle extensions (file dialogs, dropped files, the take library's classifier).
    pub const EXTENSIONS: &'static [&'static str] = &[
        "srt", "vtt", "webvtt", "ass", "ssa", "ttml", "xml", "dfxp", "imsc",
    ];

    /// The format for a file extension (case-insensitive), if known.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "srt" => Some(Format::Srt),
            "vtt" | "webvtt" => Some(Format::WebVtt),
            "ass" => Some(Format::Ass),
            "ssa" => Some(Format::Ssa),
            "ttml" | "xml" | "dfxp" | "imsc" => Some(Format::Ttml),
            _ => None,
        }
    }

    /// The format's short name as used in JSON output (`srt`, `webvtt`, `ass`, `ssa`, `ttml`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Srt => "srt",
            Format::WebVtt => "webvtt",
            Format::Ass => "ass",
            Format::Ssa => "ssa",
            Format::Ttml => "ttml",
        }
    }
}

/// Writing direction of a WebVTT cue (`vertical` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Vertical {
    /// Horizontal text (no `vertical` setting).
    #[default]
    Horizontal,
    /// `vertical:rl`, lines grow to the left.
    Rl,
    /// `vertical:lr`, lines grow to the right.
    Lr,
}

/// Text alignment within the cue box (`align` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    /// `start`.
    Start,
    /// `center` (the default).
    #[default]
    Center,
    /// `end`.
    End,
    /// `left`.
    Left,
    /// `right`.
    Right,
}

impl Align {
    /// The WebVTT keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Align::Start => "start",
            Align::Center => "center",
            Align::End => "end",
            Align::Left => "left",
            Align::Right => "right",
        }
    }
}

/// Alignment of the cue box relative to its line position (`line:…,start|center|end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineAlign {
    /// `start` (the default).
    #[default]
    Start,
    /// `center`.
    Center,
    /// `end`.
    End,
}

/// Alignment of the cue box relative to its position (`position:…,line-left|center|line-right`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PositionAlign {
    /// Derived from the text alignment (the default).
    #[default]
    Auto,
    /// `line-left`.
    LineLeft,
    /// `center`.
    Center,
    /// `line-right`.
    LineRight,
}

/// Positioning and alignment of a cue: the WebVTT cue settings, also used to carry ASS `\an`
/// alignment and TTML region placement in a format-neutral way.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CueSettings {
    /// Writing direction.
    pub vertical: Vertical,
    /// Line position: `None` = auto; a line number (lines, when `snap_to_lines`) or a percentage
    /// of the video height (percent, when not `snap_to_lines`).
    pub line: Option<f64>,
    /// Whether `line` counts lines (true) or is a percentage (false).
    pub snap_to_lines: bool,
    /// Alignment of the box at the line position.
    pub line_align: LineAlign,
    /// Horizontal position in percent of the video width; `None` = auto.
    pub position: Option<f64>,
    /// Alignment of the box at the position.
    pub position_align: PositionAlign,
    /// Box size in percent of the video width (100 by default).
    pub size: f64,
    /// Text alignment.
    pub align: Align,
    /// Identifier of the region the cue is shown in, if any.
    pub region: Option<String>,
}

impl CueSettings {
    /// The WebVTT defaults: auto line and position, size 100 %, centre aligned.
    pub fn new() -> Self {
        CueSettings {
            snap_to_lines: true,
            size: 100.0,
            ..Default::default()
        }
    }

    /// Whether every setting has its default value (nothing to write).
    pub fn is_default(&self) -> bool {
        *self == CueSettings::new()
    }
}

/// A WebVTT region definition (`REGION` block).
#[derive(Debug, Clone, PartialEq)]
pub struct VttRegion {
    /// Region identifier (may be empty).
    pub id: String,
    /// Width in percent of the video width (100 by default).
    pub width: f64,
    /// Height in lines (3 by default); kept as f64 because the spec allows any integer.
    pub lines: f64,
    /// Anchor point inside the region, percent (x, y); (0, 100) by default.
    pub region_anchor: (f64, f64),
    /// Anchor point in the viewport, percent (x, y); (0, 100) by default.
    pub viewport_anchor: (f64, f64),
    /// Whether `scroll:up` is set.
    pub scroll_up: bool,
}

impl Default for VttRegion {
    fn default() -> Self {
        VttRegion {
            id: String::new(),
            width: 100.0,
            lines: 3.0,
            region_anchor: (0.0, 100.0),
            viewport_anchor: (0.0, 100.0),
            scroll_up: false,
        }
    }
}

/// ASS/SSA event fields that have no neutral equivalent, kept for a lossless round trip.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AssEvent {
    /// `Dialogue` or `Comment`.
    pub kind: String,
    /// Every field of the event line except Start, End, Style and Text, by `Format:` name
    /// (Layer/Marked, Name, MarginL, MarginR, MarginV, Effect, …), in file order.
    pub fields: Vec<(String, String)>,
}

/// One subtitle: a time interval and its text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cue {
    /// Identifier (SRT index, WebVTT cue identifier, TTML `xml:id`); may be empty.
    pub id: String,
    /// When the cue appears.
    pub start: Time,
    /// When the cue disappears.
    pub end: Time,
    /// The cue text in the markup of the track's [`Track::format`] (lines separated by `\n`;
    /// ASS keeps its `\N` and override tags). Use [`crate::markup`] to get a styled node tree.
    pub text: String,
    /// Position and alignment, when the file gave any.
    pub settings: Option<Box<CueSettings>>,
    /// Style name (ASS style, TTML style id), when the file gave one.
    pub style: Option<String>,
    /// ASS-only event fields, for a lossless ASS round trip.
    pub ass: Option<Box<AssEvent>>,
}

impl Cue {
    /// A cue from integer millisecond times and plain text.
    pub fn new(id: impl Into<String>, start_ms: i64, end_ms: i64, text: impl Into<String>) -> Self {
        Cue {
            id: id.into(),
            start: Time::Ms(start_ms),
            end: Time::Ms(end_ms),
            text: text.into(),
            ..Default::default()
        }
    }

    /// Start time in milliseconds.
    pub fn start_ms(&self) -> i64 {
        self.start.ms()
    }

    /// End time in milliseconds.
    pub fn end_ms(&self) -> i64 {
        self.end.ms()
    }
}

/// Header data of a WebVTT file kept for a round trip.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VttHeader {
    /// Text after `WEBVTT` on the signature line (without the separating space).
    pub title: String,
    /// Region definitions, in file order.
    pub regions: Vec<VttRegion>,
    /// Contents of `STYLE` blocks (CSS), in file order.
    pub styles: Vec<String>,
    /// Contents of `NOTE` blocks (comments), in file order.
    pub notes: Vec<String>,
}

/// An ASS/SSA section kept verbatim (`[Script Info]` key/values, `[V4+ Styles]`, fonts, …).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AssHeader {
    /// `[Script Info]` entries in file order (key, value); comment lines as (";", text).
    pub script_info: Vec<(String, String)>,
    /// The styles section name (`V4+ Styles` or `V4 Styles`).
    pub styles_section: String,
    /// The styles `Format:` field names.
    pub style_format: Vec<String>,
    /// Style lines: the field values in `style_format` order.
    pub styles: Vec<Vec<String>>,
    /// The events `Format:` field names.
    pub event_format: Vec<String>,
    /// `Comment:` event lines verbatim (they are not shown, so they are not cues).
    pub comments: Vec<String>,
    /// Other sections (`[Fonts]`, `[Graphics]`, `[Aegisub Project Garbage]`, …) verbatim:
    /// (section name, raw lines).
    pub other_sections: Vec<(String, Vec<String>)>,
}

/// Header data of a TTML document kept for writing it back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TtmlHeader {
    /// Frame rate declared with `ttp:frameRate` × `ttp:frameRateMultiplier`, if any.
    pub frame_rate: Option<FrameRate>,
    /// Tick rate (`ttp:tickRate`, ticks per second), if declared.
    pub tick_rate: Option<u64>,
    /// Styles by id: (id, attributes as (qualified name, value)).
    pub styles: Vec<(String, Vec<(String, String)>)>,
    /// Regions by id: (id, attributes as (qualified name, value)).
    pub regions: Vec<(String, Vec<(String, String)>)>,
}

/// A subtitle track: one language's cues, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// The format the cue texts' markup follows (usually the file it was read from).
    pub format: Format,
    /// BCP-47 language tag (`en`, `ja`, `zh-Hans`, …), when known.
    pub language: Option<String>,
    /// Text encoding the file was decoded from (`UTF-8`, `UTF-16LE`, `windows-1252`, …).
    pub encoding: String,
    /// The cues in file order.
    pub cues: Vec<Cue>,
    /// WebVTT header data (regions, styles, notes), when read from WebVTT.
    pub vtt: Option<Box<VttHeader>>,
    /// ASS/SSA header data, when read from ASS/SSA.
    pub ass: Option<Box<AssHeader>>,
    /// TTML header data, when read from TTML.
    pub ttml: Option<Box<TtmlHeader>>,
}

impl Track {
    /// An empty track whose cue text follows `format`'s markup.
    pub fn new(format: Format) -> Self {
        Track {
            format,
            language: None,
            encoding: "UTF-8".to_string(),
            cues: Vec::new(),
            vtt: None,
            ass: None,
            ttml: None,
        }
    }
}
