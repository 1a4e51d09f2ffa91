//! Interoperability: files from our writer read back by ezc3d (Intel float) and py-c3d (every
//! processor, which also checks our DEC and MIPS encodings against an independent reader).
//! Both run in the peers' interpreter (`mocap_testkit::python_module`, pinned in
//! `.ci/requirements-interop.txt`): skipped with a notice locally when missing, failed under `CI=true`.

use mocap_data::{AnalogData, FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, UpAxis};
use mocap_formats::c3d::{self, C3dFile, Processor, Storage, WriteOptions};
use std::path::{Path, PathBuf};

fn sample_file() -> C3dFile {
    let (markers, frames) = (5, 40);
    let labels = (0..markers).map(|m| format!("MK{m}")).collect();
    let t = MarkerTrajectories::from_fn(
        labels,
        frames,
        FrameRate::FPS_120,
        LengthUnit::Millimetre,
        UpAxis::Z,
        |f, m| {
            if (f + m) % 9 == 0 {
                MarkerSample::GAP
            } else {
                MarkerSample {
                    position: [
                        f as f32 * 1.25 + m as f32,
                        -(m as f32) * 33.5,
                        500.0 + (f as f32 * 0.1).sin() * 20.0,
                    ],
                    residual: 0.5,
                    camera_mask: 5,
                    valid: true,
                }
            }
        },
    )
    .expect("sizes");
    let mut file = C3dFile::from_trajectories(t);
    file.analog = AnalogData {
        labels: vec!["FX".into(), "FY".into()],
        units: vec!["N".into(), "N".into()],
        rate_hz: 480.0,
        values: (0..frames * 4 * 2)
            .map(|i| (i as f32 * 0.1).cos() * 100.0)
            .collect(),
    };
    file
}

fn temp_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "mocap-c3d-interop-{}-{tag}.c3d",
        std::process::id()
    ))
}

/// Runs `script` (which reads the file at `sys.argv[1]`) in the interpreter `py` and returns its
/// stdout parsed as JSON.
fn run_python(py: &Path, script: &str, path: &Path) -> serde_json::Value {
    let out = mocap_testkit::run_python(py, script, &[path.as_os_str()]);
    serde_json::from_str(&out).expect("python printed JSON")
}

fn check_points(file: &C3dFile, frames: &serde_json::Value, what: &str) {
    // frames[f][m] = [x, y, z] or null for a gap.
    let pts = &file.points;
    let fr = frames.as_array().expect("frames array");
    assert_eq!(fr.len(), pts.frame_count(), "{what}: frames");
    for (f, row) in fr.iter().enumerate() {
        let row = row.as_array().expect("row");
        assert_eq!(row.len(), pts.marker_count(), "{what}: markers");
        for (m, v) in row.iter().enumerate() {
            match (pts.position(f, m), v.as_array()) {
                (None, None) => {}
                (Some(p), Some(q)) => {
                    for k in 0..3 {
                        let q = q[k].as_f64().expect("number");
                        assert!(
                            (p[k] as f64 - q).abs() <= 1e-4 * q.abs().max(1.0),
                            "{what}: frame {f} marker {m} axis {k}: {} vs {q}",
                            p[k]
                        );
                    }
                }
                (o, t) => panic!("{what}: frame {f} marker {m}: ours {o:?}, theirs {t:?}"),
            }
        }
    }
}

#[test]
fn ezc3d_reads_our_files() {
    let Some(py) = mocap_testkit::python_module("ezc3d") else {
        return;
    };
    let file = sample_file();
    let path = temp_path("ezc3d");
    c3d::write_path(&file, &path).expect("write");
    let script = r#"
import sys, json, math, ezc3d
c = ezc3d.c3d(sys.argv[1])
p = c['data']['points']
a = c['data']['analogs']
frames = [[None if math.isnan(p[0, m, f]) else [float(p[k, m, f]) for k in range(3)]
           for m in range(p.shape[1])] for f in range(p.shape[2])]
print(json.dumps({
  'rate': float(c['parameters']['POINT']['RATE']['value'][0]),
  'labels': c['parameters']['POINT']['LABELS']['value'],
  'frames': frames,
  'analog_labels': c['parameters']['ANALOG']['LABELS']['value'],
  'analog_rate': float(c['parameters']['ANALOG']['RATE']['value'][0]),
  'analog': [[float(a[0, ch, s]) for ch in range(a.shape[1])] for s in range(a.shape[2])],
}))
"#;
    let v = run_python(&py, script, &path);
    let _ = std::fs::remove_file(&path);
    assert_eq!(v["rate"].as_f64(), Some(120.0));
    let labels: Vec<String> = serde_json::from_value(v["labels"].clone()).expect("labels");
    assert_eq!(labels, file.points.labels);
    check_points(&file, &v["frames"], "ezc3d");
    let alabels: Vec<String> = serde_json::from_value(v["analog_labels"].clone()).expect("labels");
    assert_eq!(alabels, file.analog.labels);
    assert_eq!(v["analog_rate"].as_f64(), Some(480.0));
    let analog = v["analog"].as_array().expect("analog");
    assert_eq!(analog.len(), file.analog.sample_count());
    for (s, row) in analog.iter().enumerate() {
        for ch in 0..2 {
            let theirs = row[ch].as_f64().expect("number");
            let ours = file.analog.value(s, ch) as f64;
            assert!(
                (ours - theirs).abs() <= 1e-4,
                "analog {s}/{ch}: {ours} vs {theirs}"
            );
        }
    }
}

#[test]
fn py_c3d_reads_every_processor_we_write() {
    let Some(py) = mocap_testkit::python_module("c3d") else {
        return;
    };
    let file = sample_file();
    let script = r#"
import sys, json, warnings, c3d
warnings.simplefilter('ignore')
r = c3d.Reader(open(sys.argv[1], 'rb'))
frames = []
analog = []
for _, p, a in r.read_frames():
    frames.append([None if p[m, 3] < 0 else [float(p[m, k]) for k in range(3)] for m in range(p.shape[0])])
    analog.extend(float(x) for x in a.T.flatten())
print(json.dumps({'proc': r.proc_type, 'frames': frames, 'analog': analog}))
"#;
    for processor in [Processor::Intel, Processor::Dec, Processor::Mips] {
        for storage in [Storage::Float, Storage::Integer { scale: 0.05 }] {
            let path = temp_path(&format!(
                "{processor:?}-{}",
                matches!(storage, Storage::Float)
            ));
            let f = std::fs::File::create(&path).expect("create");
            c3d::write_with(&file, f, WriteOptions { processor, storage }).expect("write");
            let v = run_python(&py, script, &path);
            let _ = std::fs::remove_file(&path);
            let what = format!("py-c3d {processor:?} {storage:?}");
            // Integer storage quantises to 0.05 mm: compare against what we read back.
            let ours = c3d::parse(&{
                let mut b = Vec::new();
                c3d::write_with(&file, &mut b, WriteOptions { processor, storage }).expect("write");
                b
            })
            .expect("read");
            check_points(&ours, &v["frames"], &what);
            let analog: Vec<f64> = serde_json::from_value(v["analog"].clone()).expect("analog");
            assert_eq!(analog.len(), ours.analog.values.len(), "{what}");
            for (i, (a, b)) in analog.iter().zip(&ours.analog.values).enumerate() {
                assert!(
                    (a - *b as f64).abs() <= 1e-3 * a.abs().max(1.0),
                    "{what}: analog {i}: {a} vs {b}"
                );
            }
        }
    }
}
