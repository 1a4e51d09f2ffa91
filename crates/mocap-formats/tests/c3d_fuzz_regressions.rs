//! Every input that crashed the C3D reader or writer under the fuzzer (`fuzz/`, cargo-afl), kept
//! byte for byte in `tests/fuzz_regressions/c3d/` (see the README there): each now reads (with a
//! warning naming the byte of a refused parameter) or fails with a `FormatError`, and whatever
//! reads also writes and reads back.

use mocap_formats::c3d::{self, C3dFile, MAX_STRINGS};
use std::path::{Path, PathBuf};

fn inputs(prefix: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/c3d");
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".c3d"))
        })
        .map(|p| {
            let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, b)
        })
        .collect();
    out.sort();
    out
}

/// Groups whose parameters the writer regenerates from the data (counts, labels, rates, scales).
const WRITER_GROUPS: [&str; 4] = ["POINT", "ANALOG", "EVENT", "TRIAL"];

/// Writes `file`, reads the result back: same labels, frame count and analog size, and every
/// other parameter with a zero dimension (an empty array, whatever its other dimensions) keeps
/// its dimensions.
fn write_and_reread(path: &Path, file: &C3dFile) {
    let mut bytes = Vec::new();
    c3d::write(file, &mut bytes).unwrap_or_else(|e| panic!("{}: write: {e}", path.display()));
    let back = c3d::parse(&bytes).unwrap_or_else(|e| panic!("{}: re-read: {e}", path.display()));
    assert_eq!(back.points.labels, file.points.labels, "{}", path.display());
    assert_eq!(
        back.points.frame_count(),
        file.points.frame_count(),
        "{}",
        path.display()
    );
    assert_eq!(
        back.analog.values.len(),
        file.analog.values.len(),
        "{}",
        path.display()
    );
    for g in &file.parameters.groups {
        if WRITER_GROUPS.iter().any(|w| g.name.eq_ignore_ascii_case(w)) {
            continue;
        }
        for p in g.parameters.iter().filter(|p| p.dims.contains(&0)) {
            let q = back
                .parameters
                .get(&g.name, &p.name)
                .unwrap_or_else(|| panic!("{}: {}:{} lost", path.display(), g.name, p.name));
            assert_eq!(q.dims, p.dims, "{}: {}:{}", path.display(), g.name, p.name);
            assert!(q.data.is_empty());
        }
    }
}

/// A parameter of dimensions such as [255, …, 255, 0]: zero elements, but a product that
/// overflowed in the writer's element count. Now read, written and read back.
#[test]
fn empty_arrays_with_huge_dimensions_write_and_read_back() {
    let files = inputs("product_overflow_");
    assert_eq!(files.len(), 42);
    let mut with_huge_empty = 0;
    for (path, bytes) in &files {
        match c3d::parse(bytes) {
            Ok(file) => {
                // The crash needed an empty array whose non-zero dimensions overflow a usize.
                let huge_empty = file
                    .parameters
                    .groups
                    .iter()
                    .flat_map(|g| &g.parameters)
                    .any(|p| {
                        p.dims.contains(&0)
                            && p.dims
                                .iter()
                                .filter(|&&d| d != 0)
                                .try_fold(1usize, |n, &d| n.checked_mul(usize::from(d)))
                                .is_none()
                    });
                with_huge_empty += usize::from(huge_empty);
                write_and_reread(path, &file);
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains("byte"), "{}: {msg}", path.display());
            }
        }
    }
    assert!(
        with_huge_empty > 0,
        "no input still holds the overflowing empty array"
    );
}

/// A zero-width character array enumerating 255⁴… empty strings made `Parameter::strings`
/// allocate 10 GB (`capacity overflow` where the product wrapped): the reader now refuses the
/// parameter with a warning naming its byte, keeps what it read before, and the file writes.
#[test]
fn zero_width_string_arrays_are_refused_with_their_byte() {
    let files = inputs("zero_width_strings_");
    assert_eq!(files.len(), 1);
    for (path, bytes) in &files {
        let file = c3d::parse(bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let warning = file
            .warnings
            .iter()
            .find(|w| w.contains(&format!("more than {MAX_STRINGS} strings")))
            .unwrap_or_else(|| panic!("{}: no warning in {:?}", path.display(), file.warnings));
        assert!(warning.starts_with("byte "), "{warning}");
        assert!(warning.contains("at byte "), "{warning}");
        for p in file.parameters.groups.iter().flat_map(|g| &g.parameters) {
            assert!(p.strings().len() <= MAX_STRINGS, "{}", p.name);
        }
        write_and_reread(path, &file);
    }
}

/// The same refusals on hand-built parameter sections, independent of the fuzzer's files.
#[test]
fn strings_and_writer_never_multiply_past_usize() {
    use mocap_formats::c3d::{ParamData, Parameter};
    let huge_zero_width = Parameter {
        name: "LABELS".into(),
        description: String::new(),
        locked: false,
        dims: vec![0, 255, 255, 255, 255, 255, 255, 255, 255, 255],
        data: ParamData::Char(Vec::new()),
    };
    assert!(huge_zero_width.strings().is_empty());
    let small_zero_width = Parameter {
        dims: vec![0, 3, 2],
        ..huge_zero_width.clone()
    };
    assert_eq!(small_zero_width.strings(), vec![String::new(); 6]);
    let mut file = C3dFile::from_trajectories(
        mocap_data::MarkerTrajectories::new(
            vec!["A".into()],
            2,
            mocap_data::FrameRate::FPS_30,
            mocap_data::LengthUnit::Millimetre,
            mocap_data::UpAxis::Z,
        )
        .expect("take"),
    );
    let mut empty = huge_zero_width.clone();
    empty.name = "EMPTY".into();
    empty.dims = vec![255, 255, 255, 255, 255, 255, 255, 255, 255, 0];
    empty.data = ParamData::Float(Vec::new());
    file.parameters.set("POINT", empty);
    write_and_reread(Path::new("<built>"), &file);
}
