//! Files we write open everywhere: every corpus C3D that ezc3d or py-c3d reads is read by us,
//! written by us, and our copy must read in that peer with the data we hold (labels, rate, point
//! validity, coordinates, analog values). The peers dump what they read
//! (`tests/peers/c3d_dump.py`); this test compares.

use mocap_formats::c3d::{self, C3dFile};
use std::path::{Path, PathBuf};

const DUMP: &str = include_str!("peers/c3d_dump.py");

/// ezc3d 1.7.2 refuses this file ("The format is not standard") after allocating about 12 GB;
/// it is not handed to ezc3d.
const EZC3D_REFUSES: &str = "BKINtechnologies.c3d";

fn skip_for(module: &str, path: &Path) -> bool {
    module == "ezc3d" && path.file_name().is_some_and(|n| n == EZC3D_REFUSES)
}

fn corpus() -> Option<Vec<PathBuf>> {
    let root = mocap_testkit::data_dir()?;
    let mut files = Vec::new();
    for dir in ["c3d", "c3d_plus_skeleton"] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("corpus folder").flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("c3d")) {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    assert!(
        files.len() > 40,
        "corpus incomplete: {} C3D files",
        files.len()
    );
    Some(files)
}

fn f32s(path: &Path) -> Vec<f32> {
    let b = std::fs::read(path).expect("peer dump");
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn f64s(path: &Path) -> Vec<f64> {
    let b = std::fs::read(path).expect("peer dump");
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

/// Compares what `peer` read from our copy (dump `i` in `dir`) with `ours`; returns the first
/// disagreement.
fn compare(ours: &C3dFile, dir: &Path, i: usize) -> Result<(), String> {
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{i}.json"))).expect("peer summary"),
    )
    .expect("peer JSON");
    if meta["copy"] != "ok" {
        return Err(format!("cannot read our copy: {}", meta["copy"]));
    }
    let pts = &ours.points;
    let (nf, np) = (pts.frame_count(), pts.marker_count());
    if meta["frames"].as_u64() != Some(nf as u64) || meta["points"].as_u64() != Some(np as u64) {
        return Err(format!(
            "reads {} frames × {} points, we wrote {nf} × {np}",
            meta["frames"], meta["points"]
        ));
    }
    let rate = meta["rate"].as_f64().unwrap_or(f64::NAN);
    if (rate - pts.rate.hz()).abs() > 1e-4 * pts.rate.hz() {
        return Err(format!("rate {rate}, ours {}", pts.rate.hz()));
    }
    let labels: Vec<String> = serde_json::from_value(meta["labels"].clone()).unwrap_or_default();
    let ours_trim: Vec<String> = pts.labels.iter().map(|s| s.trim().to_string()).collect();
    // py-c3d returns POINT:LABELS only (not LABELS2…): compare the prefix it gives.
    if labels.len() < np.min(255) || labels[..] != ours_trim[..labels.len().min(np)] {
        return Err(format!("labels {labels:?}, ours {ours_trim:?}"));
    }
    let theirs = f32s(&dir.join(format!("{i}.pts")));
    for f in 0..nf {
        for m in 0..np {
            let q = &theirs[(f * np + m) * 3..(f * np + m) * 3 + 3];
            match pts.position(f, m) {
                None if q.iter().all(|v| v.is_nan()) => {}
                Some(p) if (0..3).all(|k| (p[k] - q[k]).abs() <= 1e-5 * p[k].abs().max(1.0)) => {}
                o => return Err(format!("frame {f} marker {m}: ours {o:?}, theirs {q:?}")),
            }
        }
    }
    let a = &ours.analog;
    let ch = a.labels.len();
    let samples = a.sample_count();
    let (tc, ts) = (meta["channels"].as_u64(), meta["samples"].as_u64());
    if ch == 0 || samples == 0 {
        return if ts.unwrap_or(0) == 0 {
            Ok(())
        } else {
            Err(format!("reads {ts:?} analog samples, we wrote none"))
        };
    }
    if tc != Some(ch as u64) || ts != Some(samples as u64) {
        return Err(format!(
            "reads {ts:?} analog samples × {tc:?} channels, we wrote {samples} × {ch}"
        ));
    }
    let theirs = f64s(&dir.join(format!("{i}.ana")));
    for s in 0..samples {
        for c in 0..ch {
            let (o, t) = (a.value(s, c) as f64, theirs[s * ch + c]);
            if (o - t).abs() > 1e-4 * o.abs().max(1.0) {
                return Err(format!(
                    "analog sample {s} channel {c}: ours {o}, theirs {t}"
                ));
            }
        }
    }
    Ok(())
}

fn peer_reads_our_copies(module: &str) {
    let (Some(files), Some(py)) = (corpus(), mocap_testkit::python_module(module)) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("mocap-c3d-peer-{module}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut ours = Vec::new();
    let mut args: Vec<std::ffi::OsString> = vec![module.into(), dir.clone().into()];
    for (i, f) in files.iter().enumerate() {
        let Ok(file) = c3d::read_path(f) else {
            continue; // files we refuse are covered by c3d_corpus.rs
        };
        if skip_for(module, f) {
            continue;
        }
        let copy = dir.join(format!("copy{i}.c3d"));
        c3d::write_path(&file, &copy).unwrap_or_else(|e| panic!("writing {}: {e}", f.display()));
        args.push(f.into());
        args.push(copy.into());
        ours.push((f.clone(), file));
    }
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    mocap_testkit::run_python(&py, DUMP, &refs);
    let (mut compared, mut failures) = (0, Vec::new());
    for (i, (path, file)) in ours.iter().enumerate() {
        let meta: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{i}.json"))).expect("peer summary"),
        )
        .expect("peer JSON");
        if meta["original"] != "ok" {
            eprintln!(
                "{module} cannot read {} itself: {}",
                path.display(),
                meta["original"]
            );
            continue;
        }
        compared += 1;
        if let Err(e) = compare(file, &dir, i) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{module}: {compared} copies compared");
    assert!(compared >= 30, "{module} read only {compared} originals");
    assert!(failures.is_empty(), "{module}:\n{}", failures.join("\n"));
}

#[test]
fn ezc3d_reads_our_copy_of_every_corpus_file_it_reads() {
    peer_reads_our_copies("ezc3d");
}

#[test]
fn py_c3d_reads_our_copy_of_every_corpus_file_it_reads() {
    peer_reads_our_copies("c3d");
}

/// What a read of Vicon's `Dance.c3d` holds (POINT:RATE 65.0533447, which our rate type keeps
/// as 65053/1000) and what our reader tolerates but the standard does not (a float, non-integer
/// `ANALOG:OFFSET`), on a real file with analog channels: py-c3d (which checks header against
/// parameters exactly and reads OFFSET as 16-bit integers) must read our copy with our data.
#[test]
fn py_c3d_reads_an_odd_rate_and_a_float_offset() {
    let (Some(path), Some(py)) = (
        mocap_testkit::data("c3d/c3d_org/sample_01/Eb015pr.c3d"),
        mocap_testkit::python_module("c3d"),
    ) else {
        return;
    };
    use mocap_formats::c3d::{ParamData, Parameter};
    let mut file = c3d::read_path(&path).expect("read");
    assert!(file.analog.labels.len() > 4, "a file with analog channels");
    let dance = 65.053_345_f32; // 65.0533447 as the file stores it
    file.points.rate = mocap_data::FrameRate::from_hz(dance as f64).expect("rate");
    let per_frame = file.analog.sample_count() / file.points.frame_count();
    file.analog.rate_hz = file.points.rate.hz() * per_frame as f64;
    file.parameters.set(
        "POINT",
        Parameter::new("RATE", "", ParamData::Float(vec![dance])),
    );
    let ch = file.analog.labels.len();
    file.parameters.set(
        "ANALOG",
        Parameter::new(
            "OFFSET",
            "",
            ParamData::Float((0..ch).map(|c| 2047.75 - c as f32 * 0.5).collect()),
        ),
    );
    let dir = std::env::temp_dir().join(format!("mocap-c3d-odd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let copy = dir.join("odd.c3d");
    c3d::write_path(&file, &copy).expect("write");
    let bytes = std::fs::read(&copy).expect("copy");
    let header_rate = f32::from_le_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    assert_eq!(header_rate, dance, "header rate");
    let back = c3d::read_path(&copy).expect("read our copy");
    let offset = back.parameters.get("ANALOG", "OFFSET").expect("offset");
    assert!(
        matches!(&offset.data, ParamData::Int(v) if v.len() == ch),
        "ANALOG:OFFSET written as 16-bit integers: {offset:?}"
    );
    let args: Vec<&std::ffi::OsStr> = vec![
        "c3d".as_ref(),
        dir.as_os_str(),
        copy.as_os_str(),
        copy.as_os_str(),
    ];
    mocap_testkit::run_python(&py, DUMP, &args);
    let r = compare(&file, &dir, 0);
    let _ = std::fs::remove_dir_all(&dir);
    r.unwrap_or_else(|e| panic!("py-c3d on our copy: {e}"));
}

/// Files where ezc3d reads another layout than the header's (see `c3d_corpus.rs`): its samples
/// are desynchronised, so there is nothing to compare sample by sample.
const EZC3D_DESYNC: [&str; 5] = [
    "evart.c3d",
    "kyowadengyo.c3d",
    "dynamic.C3D",
    "standing.C3D",
    "type1.C3D",
];

/// The fourth word of float-storage points (validity, residual, camera mask) over every
/// float-storage corpus file, against the standard and both peers: validity per sample equals
/// ezc3d's; residual and camera mask equal py-c3d's (which decodes the word as the standard
/// says) wherever py-c3d reads the sample valid. py-c3d casts the float to int32, so a word
/// beyond 16 bits (marche281.c3d's 0x7F00_7F00) reads invalid there; ezc3d reads those valid
/// with residual 0, and so must we.
#[test]
fn float_points_fourth_word_matches_the_standard_and_both_peers() {
    let Some(files) = corpus() else {
        return;
    };
    let (Some(ez), Some(pc)) = (
        mocap_testkit::python_module("ezc3d"),
        mocap_testkit::python_module("c3d"),
    ) else {
        return;
    };
    let floats: Vec<(PathBuf, C3dFile)> = files
        .iter()
        .filter_map(|f| Some((f.clone(), c3d::read_path(f).ok()?)))
        .filter(|(_, c)| c.storage == c3d::Storage::Float && c.points.marker_count() > 0)
        .collect();
    assert!(floats.len() >= 20, "{} float-storage files", floats.len());
    let mut failures = Vec::new();
    let (mut samples_ez, mut samples_pc) = (0usize, 0usize);
    for (module, py) in [("ezc3d", &ez), ("c3d", &pc)] {
        let dir =
            std::env::temp_dir().join(format!("mocap-c3d-w4-{module}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut args: Vec<std::ffi::OsString> = vec![module.into(), dir.clone().into()];
        let these: Vec<&(PathBuf, C3dFile)> = floats
            .iter()
            .filter(|(f, _)| !skip_for(module, f))
            .collect();
        for (f, _) in &these {
            args.push(f.into());
            args.push(f.into());
        }
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        mocap_testkit::run_python(py, DUMP, &refs);
        for (i, (path, file)) in these.iter().enumerate() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let meta: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join(format!("{i}.json"))).expect("summary"),
            )
            .expect("JSON");
            let pts = &file.points;
            let (nf, np) = (pts.frame_count(), pts.marker_count());
            if meta["copy"] != "ok"
                || meta["frames"].as_u64() != Some(nf as u64)
                || meta["points"].as_u64() != Some(np as u64)
                || (module == "ezc3d" && EZC3D_DESYNC.contains(&name))
            {
                eprintln!("{module}: {name} not compared ({})", meta["copy"]);
                continue;
            }
            let xyz = f32s(&dir.join(format!("{i}.pts")));
            let res = f32s(&dir.join(format!("{i}.res")));
            let rs = file.residual_scale();
            for k in 0..nf * np {
                let ours = pts.valid()[k];
                let theirs = !xyz[3 * k].is_nan();
                let (r, m) = (res[2 * k], res[2 * k + 1]);
                let what = format!("{module} {name} sample {k}");
                if module == "ezc3d" {
                    samples_ez += 1;
                    if ours != theirs {
                        failures.push(format!("{what}: valid ours {ours}, theirs {theirs}"));
                    } else if name == "marche281.c3d" && pts.residuals()[k] != r {
                        failures.push(format!("{what}: residual {} vs {r}", pts.residuals()[k]));
                    }
                } else if theirs {
                    samples_pc += 1;
                    let (our_r, our_m) = (pts.residuals()[k], pts.camera_masks()[k] as f32);
                    if !ours || (our_r - r).abs() > 1e-3 * rs.max(1e-6) + 1e-6 || our_m != m {
                        failures.push(format!(
                            "{what}: ours valid {ours} residual {our_r} mask {our_m}, \
                             theirs residual {r} mask {m}"
                        ));
                    }
                }
                if failures.len() > 20 {
                    break;
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    eprintln!("compared {samples_ez} samples with ezc3d, {samples_pc} valid ones with py-c3d");
    assert!(samples_ez > 100_000 && samples_pc > 100_000);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
