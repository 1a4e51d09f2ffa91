//! The face CSV reader's fast number path gives the same bits as the straightforward parse
//! (`str::parse::<f32>` on every trimmed cell) on a generated take with awkward numbers: decimals
//! next to `f32` rounding midpoints with 6–17 fraction digits, exponents, negative zero, 20-digit
//! mantissas, and whole `NaN` rows where the face recorder had gaps (its CSV writer writes `NaN`).
//! Large enough to be parsed in several chunks.

use mocap_data::face::FACE_ROTATIONS;
use mocap_formats::face::{FaceReadOptions, LIVE_LINK_FACE_CSV_COLUMNS, read_csv};

/// Weights (kept inside 0–1 so the reader's clamp leaves every bit alone) and all 9 rotations.
const WEIGHTS: [&str; 6] = [
    "EyeBlinkLeft",
    "JawOpen",
    "MouthClose",
    "BrowInnerUp",
    "CheekPuff",
    "TongueOut",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// An awkward spelling of a number; weights stay in 0–1.
fn awkward(rng: &mut Rng, weight: bool) -> String {
    let r = rng.next();
    // A midpoint between neighbouring f32s: 2^-20 .. 1 for weights, 2^-20 .. 2^9 for rotations.
    let span = if weight { 20 } else { 29 };
    let bits = ((107 + (r >> 40) % span) << 23) as u32 | (r as u32 & 0x7F_FFFF);
    let mid = (f32::from_bits(bits) as f64 + f32::from_bits(bits + 1) as f64) / 2.0;
    let sign = if !weight && r & 1 == 1 { -1.0 } else { 1.0 };
    match (r >> 8) % 16 {
        0 => "-0".into(),
        1 => "-0.0".into(),
        2 => "0".into(),
        3 => format!("{:e}", sign * mid),
        4 => format!("{:E}", mid / 7.0),
        5 => format!("{}e-3", (r >> 20) % 1000),
        6 => format!("0.{:020}", r % 100_000_000_000_000_000),
        7 => format!(" {:.6} ", mid),
        8 if !weight => format!("{}", (r >> 30) % 400),
        9 => format!("{}", f32::from_bits(bits) * sign as f32),
        _ => format!("{:.*}", 6 + (r >> 16) as usize % 12, sign * mid),
    }
}

/// The take as Live Link Face CSV (`\r\n` line ends when `crlf`), rows × columns of cell text.
fn take(rows: usize, crlf: bool) -> (String, Vec<String>, Vec<Vec<String>>) {
    let mut names: Vec<String> = WEIGHTS.iter().map(|s| s.to_string()).collect();
    names.extend(
        LIVE_LINK_FACE_CSV_COLUMNS[52..]
            .iter()
            .map(|s| s.to_string()),
    );
    assert_eq!(names.len() - WEIGHTS.len(), FACE_ROTATIONS.len());
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut text = format!("Timecode,BlendShapeCount,{}{nl}", names.join(","));
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut cells = Vec::with_capacity(rows);
    for f in 0..rows {
        // Gaps as the recorder writes them: whole frames of NaN, in runs.
        let gap = f % 97 >= 95;
        let row: Vec<String> = (0..names.len())
            .map(|c| {
                if gap {
                    "NaN".to_string()
                } else {
                    awkward(&mut rng, c < WEIGHTS.len())
                }
            })
            .collect();
        let (s, fr) = (f / 60, f % 60);
        text += &format!(
            "10:{:02}:{:02}:{fr:02}.{:03},61,{}{nl}",
            s / 60 % 60,
            s % 60,
            f % 1000,
            row.join(",")
        );
        cells.push(row);
    }
    (text, names, cells)
}

/// What the reader must give, the straightforward way: `str::parse::<f32>` on each trimmed cell,
/// then the reader's documented repairs (non-finite → previous value, 0 at the start; weights
/// clamped to 0–1).
fn expected(cells: &[Vec<String>], column: usize, weight: bool) -> Vec<f32> {
    let mut prev = 0.0f32;
    cells
        .iter()
        .map(|row| {
            let t = row[column].trim();
            let v: f32 = t.parse().unwrap_or_else(|_| panic!("{t:?} parses"));
            let v = if !v.is_finite() {
                prev
            } else if weight {
                v.clamp(0.0, 1.0)
            } else {
                v
            };
            prev = v;
            v
        })
        .collect()
}

fn check(crlf: bool) {
    // About 3 MB: more than one chunk.
    let (text, names, cells) = take(12_000, crlf);
    assert!(text.len() > 2 << 20);
    let t = read_csv(text.as_bytes(), FaceReadOptions::default()).expect("reads");
    assert_eq!(t.curves.frame_count(), cells.len());
    let mut compared = 0;
    for (c, name) in names.iter().enumerate() {
        let curve = t.curves.curve(name).unwrap_or_else(|| panic!("{name}"));
        let want = expected(&cells, c, c < WEIGHTS.len());
        for (f, (g, w)) in curve.values.iter().zip(&want).enumerate() {
            assert_eq!(
                g.to_bits(),
                w.to_bits(),
                "{name} frame {f}: cell {:?} read as {g:e} ({:#x}), str::parse gives {w:e} ({:#x})",
                cells[f][c],
                g.to_bits(),
                w.to_bits()
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 12_000 * 15);
    // Negative zero survives (a rotation is never clamped).
    assert!(
        t.curves
            .rotations
            .iter()
            .any(|c| c.values.iter().any(|v| v.to_bits() == (-0.0f32).to_bits()))
    );
}

#[test]
fn fast_path_is_bit_identical_to_str_parse() {
    check(false);
}

#[test]
fn fast_path_is_bit_identical_with_crlf_line_ends() {
    check(true);
}

#[test]
fn wide_header_over_blank_lines_reads_no_frames_without_allocating_per_line() {
    let mut text = String::from("Timecode,BlendShapeCount");
    for i in 0..5000 {
        text += &format!(",Extra{i}");
    }
    text += ",JawOpen\n";
    text += &"\n".repeat(200_000);
    let t = read_csv(text.as_bytes(), FaceReadOptions::default()).expect("reads");
    assert_eq!(t.curves.frame_count(), 0);
}
