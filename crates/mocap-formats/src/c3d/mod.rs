//! C3D reader and writer.
//!
//! C3D (<https://www.c3d.org>) stores 3-D marker trajectories, analog channels (force plates,
//! EMG), events and a self-describing parameter section, in 512-byte blocks, for three processor
//! conventions: Intel (little-endian IEEE), DEC (little-endian integers, VAX floats) and SGI/MIPS
//! (big-endian IEEE). Points are stored as scaled 16-bit integers (`POINT:SCALE > 0`) or as floats
//! (`POINT:SCALE < 0`).
//!
//! Reading:
//! - every processor and storage type; gaps (residual word with its sign bit set, or non-finite
//!   coordinates) become invalid samples ([`mocap_data::MarkerSample::GAP`]), matching the
//!   "NaN" points of ezc3d and py-c3d;
//! - takes longer than 65 535 frames via `POINT:LONG_FRAMES` and `TRIAL:ACTUAL_START_FIELD` /
//!   `ACTUAL_END_FIELD`; more than 255 labels via `POINT:LABELS2`, `LABELS3`…;
//! - broken files degrade gracefully: a corrupt parameter section keeps the entries before the
//!   damage and the header fills in the rest; each repair is listed in [`C3dFile::warnings`];
//! - the data section is read in chunks straight into preallocated arrays, after every count has
//!   been checked against the input length; a large one read from a file or from memory is split
//!   into one contiguous range of frames per core, each read with positional reads and decoded by
//!   its own thread into its own part of the arrays (bit-identical to the serial decode).
//!
//! Writing produces Intel files with float storage by default ([`write`]), or any processor and
//! storage with [`write_with`]. The parameter section is preserved; counts, pointers, labels,
//! units, rates and events are updated where they disagree with the data, so that
//! read → write → read gives the same [`C3dFile`].

mod num;
mod params;
mod read;
mod standard;
mod write;

use mocap_data::{AnalogData, Event, LengthUnit, MarkerTrajectories, UpAxis};
use std::path::Path;

pub use num::{f32_to_vax, vax_to_f32};
pub use params::{Group, MAX_STRINGS, ParamData, Parameter, Parameters};
#[doc(hidden)]
pub use read::ReadOptions;
pub use write::{WriteOptions, write, write_path, write_with};

use crate::FormatError;

/// The number format of a file (byte 4 of the parameter section: 84, 85 or 86).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Processor {
    /// Intel: little-endian integers, IEEE floats (code 84).
    #[default]
    Intel,
    /// DEC VAX: little-endian integers, VAX F-floating floats (code 85).
    Dec,
    /// SGI/MIPS: big-endian integers and IEEE floats (code 86).
    Mips,
}

impl Processor {
    /// The code stored in the parameter section header (84 Intel, 85 DEC, 86 MIPS).
    pub fn code(self) -> u8 {
        match self {
            Processor::Intel => 84,
            Processor::Dec => 85,
            Processor::Mips => 86,
        }
    }

    /// The processor for a stored code, if known.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            84 => Some(Processor::Intel),
            85 => Some(Processor::Dec),
            86 => Some(Processor::Mips),
            _ => None,
        }
    }
}

/// How the point (and analog) samples of the data section are stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Storage {
    /// 16-bit integers; a coordinate is `integer × scale` in the file's length unit
    /// (`POINT:SCALE`, positive).
    Integer {
        /// Length unit per integer step (e.g. 0.0833 mm), > 0.
        scale: f32,
    },
    /// 32-bit floats in the file's length unit (`POINT:SCALE` negative). The residual of each
    /// sample is still quantised to `|POINT:SCALE|` steps (see [`C3dFile::residual_scale`]).
    Float,
}

/// An event of the header's event table (up to 18, with 4-character labels).
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderEvent {
    /// Label (at most 4 characters).
    pub label: String,
    /// Time in seconds from the start of the trial.
    pub time_s: f32,
    /// Whether the event is displayed (display flag 0 in the file).
    pub displayed: bool,
}

/// Header fields that the parameter section does not duplicate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Header {
    /// Maximum interpolation gap, in frames (header word 6).
    pub max_interpolation_gap: u16,
    /// The header's copy of `POINT:SCALE` (words 7–8; length unit per integer step, negative
    /// for float storage). Used when the parameter is missing; 0 when unknown.
    pub point_scale: f32,
    /// Header events (words 150–234).
    pub events: Vec<HeaderEvent>,
}

/// A C3D file in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct C3dFile {
    /// Marker trajectories: labels from `POINT:LABELS` (+`LABELS2`…), unit from `POINT:UNITS`
    /// (millimetres when absent or unknown), rate from `POINT:RATE` (else the header),
    /// `first_frame` = the file's first frame number, up axis from `POINT:Y_SCREEN` (Z unless it
    /// names Y). Gaps are invalid samples with [`mocap_data::MarkerSample::GAP`] values.
    pub points: MarkerTrajectories,
    /// Analog channels scaled to physical units: `(raw − ANALOG:OFFSET) × ANALOG:SCALE ×
    /// ANALOG:GEN_SCALE`, sample-major, at `rate_hz` (a whole multiple of the point rate).
    pub analog: AnalogData,
    /// Events of the `EVENT` group (times in seconds from the trial start); when that group has
    /// none, the header's events (label, time; no context).
    pub events: Vec<Event>,
    /// The full parameter section.
    pub parameters: Parameters,
    /// Number format the file was read with (the writer's default output is Intel).
    pub processor: Processor,
    /// How points were stored in the file.
    pub storage: Storage,
    /// Header fields that are not parameters (interpolation gap, header events).
    pub header: Header,
    /// Problems found and repaired while reading (empty for a clean file). Not written.
    pub warnings: Vec<String>,
}

impl C3dFile {
    /// A file holding `points` only, with a minimal valid parameter set (POINT, ANALOG, TRIAL
    /// groups), Intel float storage, residuals quantised to 0.1 mm (in the trajectories' unit),
    /// up axis written to `POINT:X_SCREEN`/`Y_SCREEN`.
    pub fn from_trajectories(points: MarkerTrajectories) -> Self {
        let residual_scale = (0.1 * LengthUnit::Millimetre.factor_to(points.unit)) as f32;
        let mut parameters = Parameters::default();
        parameters
            .groups
            .push(Group::new(1, "POINT", "3-D point parameters"));
        parameters
            .groups
            .push(Group::new(2, "ANALOG", "Analog data parameters"));
        parameters
            .groups
            .push(Group::new(3, "TRIAL", "Trial parameters"));
        parameters.set(
            "POINT",
            Parameter::new(
                "SCALE",
                "3-D scale factor (negative: float storage)",
                ParamData::Float(vec![-residual_scale]),
            ),
        );
        parameters.set(
            "POINT",
            Parameter::new(
                "UNITS",
                "3-D measurement units",
                ParamData::Char(points.unit.symbol().as_bytes().to_vec()),
            ),
        );
        let (x, y) = match points.up_axis {
            UpAxis::Z => ("+X", "+Z"),
            UpAxis::Y => ("+X", "+Y"),
        };
        parameters.set(
            "POINT",
            Parameter::new("X_SCREEN", "", ParamData::Char(x.as_bytes().to_vec())),
        );
        parameters.set(
            "POINT",
            Parameter::new("Y_SCREEN", "", ParamData::Char(y.as_bytes().to_vec())),
        );
        parameters.set(
            "ANALOG",
            Parameter::new(
                "GEN_SCALE",
                "General analog scale factor",
                ParamData::Float(vec![1.0]),
            ),
        );
        Self {
            points,
            analog: AnalogData::default(),
            events: Vec::new(),
            parameters,
            processor: Processor::Intel,
            storage: Storage::Float,
            header: Header::default(),
            warnings: Vec::new(),
        }
    }

    /// Length per residual step (`|POINT:SCALE|`, in the points' unit): residuals are stored as
    /// a byte multiple of it. Falls back to the header's copy, the integer scale, then 0.1 mm.
    pub fn residual_scale(&self) -> f32 {
        let usable = |s: f32| s.is_finite() && s > 0.0;
        let from_param = self
            .parameters
            .get("POINT", "SCALE")
            .and_then(Parameter::first_f64)
            .map(|s| s.abs() as f32)
            .filter(|s| usable(*s))
            .or(Some(self.header.point_scale.abs()).filter(|s| usable(*s)));
        match (from_param, self.storage) {
            (Some(s), _) => s,
            (None, Storage::Integer { scale }) if scale.is_finite() && scale > 0.0 => scale,
            _ => (0.1 * LengthUnit::Millimetre.factor_to(self.points.unit)) as f32,
        }
    }
}

/// Parses a C3D file held in memory (errors name the path `<memory>`).
pub fn parse(bytes: &[u8]) -> Result<C3dFile, FormatError> {
    parse_with(bytes, &ReadOptions::default())
}

/// [`parse`] with explicit decode options (tests).
#[doc(hidden)]
pub fn parse_with(bytes: &[u8], opts: &ReadOptions) -> Result<C3dFile, FormatError> {
    read::read(
        std::io::Cursor::new(bytes),
        Path::new("<memory>"),
        read::Source::Bytes(bytes),
        opts,
    )
}

/// Reads the C3D file at `path` (errors name it). Large data sections are read and decoded on
/// all cores, each thread reading its own range of frames.
pub fn read_path(path: &Path) -> Result<C3dFile, FormatError> {
    read_path_with(path, &ReadOptions::default())
}

/// [`read_path`] with explicit decode options (tests).
#[doc(hidden)]
pub fn read_path_with(path: &Path, opts: &ReadOptions) -> Result<C3dFile, FormatError> {
    let f = std::fs::File::open(path).map_err(|e| FormatError::io(path, e))?;
    #[cfg(unix)]
    let src = read::Source::File(&f);
    #[cfg(not(unix))]
    let src = read::Source::Stream;
    read::read(&f, path, src, opts)
}

/// Reads a C3D file from a seekable stream: header and parameters first, then the data section
/// in large chunks decoded straight into the trajectory arrays (the file is never held whole in
/// memory). `path` is only used in error messages.
pub fn read<R: std::io::Read + std::io::Seek>(r: R, path: &Path) -> Result<C3dFile, FormatError> {
    read_with(r, path, &ReadOptions::default())
}

/// [`read`] with explicit decode options (tests).
#[doc(hidden)]
pub fn read_with<R: std::io::Read + std::io::Seek>(
    r: R,
    path: &Path,
    opts: &ReadOptions,
) -> Result<C3dFile, FormatError> {
    read::read(r, path, read::Source::Stream, opts)
}
