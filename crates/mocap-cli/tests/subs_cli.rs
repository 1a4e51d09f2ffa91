//! `mocap subs` end to end: runs the built binary.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn mocap(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mocap"))
        .args(args)
        .output()
        .expect("mocap runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn info(path: &Path) -> Value {
    let (code, out, err) = mocap(&["subs", "info", "--json", path.to_str().expect("utf-8 path")]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("JSON")
}

const SRT: &str = "1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> there,\r\nfriend.\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nCafé & croissants\r\n";

#[test]
fn info_json_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = dir.path().join("a.srt");
    std::fs::write(&p, SRT).expect("write");
    let v = info(&p);
    assert_eq!(v["format"], "srt");
    assert_eq!(v["encoding"], "UTF-8");
    let cues = v["cues"].as_array().expect("cues");
    assert_eq!(cues.len(), 2);
    assert_eq!(cues[0]["id"], "1");
    assert_eq!(cues[0]["start_ms"], 1000);
    assert_eq!(cues[0]["end_ms"], 2500);
    assert_eq!(cues[0]["text"], "<i>Hello</i> there,\nfriend.");
    assert!(cues[0].get("settings").is_none());
}

#[test]
fn info_json_webvtt_settings_and_raw_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = dir.path().join("a.vtt");
    std::fs::write(&p, "WEBVTT\n\nx\n00:01.000 --> 00:02.000 align:start line:10% position:20%,line-left size:50% vertical:rl\n<v Bob>Hi &amp; bye</v>\n\n00:03.000 --> 00:04.000 align:middle\nplain\n").expect("write");
    let v = info(&p);
    assert_eq!(v["format"], "webvtt");
    let c = &v["cues"][0];
    assert_eq!(c["text"], "<v Bob>Hi &amp; bye</v>");
    let s = &c["settings"];
    assert_eq!(s["align"], "start");
    assert_eq!(s["line"], 10.0);
    assert_eq!(s["snap_to_lines"], false);
    assert_eq!(s["position"], 20.0);
    assert_eq!(s["size"], 50.0);
    assert_eq!(s["vertical"], "rl");
    assert!(s["region"].is_null());
    // `align:middle` is not valid WebVTT: the default stays.
    assert_eq!(v["cues"][1]["settings"]["align"], "center");
    assert_eq!(v["cues"][1]["settings"]["line"], "auto");
}

#[test]
fn convert_between_all_formats() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("a.srt");
    std::fs::write(&src, SRT).expect("write");
    for ext in ["vtt", "ass", "ssa", "ttml", "srt"] {
        let out = dir.path().join(format!("b.{ext}"));
        let (code, _, err) = mocap(&[
            "subs",
            "convert",
            src.to_str().expect("p"),
            out.to_str().expect("p"),
        ]);
        assert_eq!(code, 0, "{ext}: {err}");
        let v = info(&out);
        let cues = v["cues"].as_array().expect("cues");
        assert_eq!(cues.len(), 2, "{ext}");
        assert_eq!(cues[0]["start_ms"], 1000, "{ext}");
        assert_eq!(cues[0]["end_ms"], 2500, "{ext}");
        assert_eq!(cues[1]["start_ms"], 3000, "{ext}");
        let text = cues[1]["text"].as_str().expect("text");
        assert!(text.contains("Café"), "{ext}: {text}");
    }
    // --fps re-times onto the frame grid; TTML then declares the rate.
    let out = dir.path().join("c.ttml");
    let (code, _, err) = mocap(&[
        "subs",
        "convert",
        src.to_str().expect("p"),
        out.to_str().expect("p"),
        "--fps",
        "23.976",
    ]);
    assert_eq!(code, 0, "{err}");
    let xml = std::fs::read_to_string(&out).expect("written");
    assert!(
        xml.contains("ttp:frameRate=\"24\"")
            && xml.contains("ttp:frameRateMultiplier=\"1000 1001\"")
    );
    let v = info(&out);
    // 1000 ms is frame 24 at 23.976 = 1001 ms.
    assert_eq!(v["cues"][0]["start_ms"], 1001);
}

#[test]
fn qc_reports_and_fixes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("a.srt");
    std::fs::write(&src, "1\n00:00:01,000 --> 00:00:01,400\nHi.\n\n2\n00:00:01,440 --> 00:00:03,000\nThis line is far too long to be read comfortably at all, really\n").expect("write");
    let fixed = dir.path().join("fixed.vtt");
    let (code, out, err) = mocap(&[
        "subs",
        "qc",
        src.to_str().expect("p"),
        "--lang",
        "en",
        "--fps",
        "25",
        "--fix",
        fixed.to_str().expect("p"),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let rules: Vec<&str> = v["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["rule"].as_str())
        .collect();
    for r in ["min_duration", "min_gap", "line_length", "reading_speed"] {
        assert!(rules.contains(&r), "{r} in {rules:?}");
    }
    let fixes = v["fixes"].as_array().expect("fixes");
    assert!(!fixes.is_empty());
    for f in fixes {
        for k in ["cue_index", "cue_id", "field", "before", "after", "rule"] {
            assert!(f.get(k).is_some(), "fix has {k}: {f}");
        }
    }
    let out = info(&fixed);
    let text = out["cues"][1]["text"].as_str().expect("text");
    assert_eq!(text.split('\n').count(), 2, "re-broken: {text}");
}

#[test]
fn errors_are_one_line_and_exit_1() {
    let (code, _, err) = mocap(&["subs", "info", "--json", "/nonexistent/x.srt"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: ") && err.trim_end().lines().count() == 1,
        "{err}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("a.srt");
    std::fs::write(&src, SRT).expect("write");
    let (code, _, err) = mocap(&[
        "subs",
        "convert",
        src.to_str().expect("p"),
        dir.path().join("x.doc").to_str().expect("p"),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("output format"), "{err}");
    let (code, _, err) = mocap(&[
        "subs",
        "qc",
        src.to_str().expect("p"),
        "--lang",
        "xx",
        "--fps",
        "25",
        "--json",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no QC profile"), "{err}");
    let bad = dir.path().join("bad.vtt");
    std::fs::write(&bad, "NOT VTT\n").expect("write");
    let (code, _, err) = mocap(&["subs", "info", bad.to_str().expect("p")]);
    assert_eq!(code, 1);
    assert!(err.contains("WEBVTT"), "{err}");
}

#[test]
fn corpus_info_matches_wpt_settings() {
    let Some(p) = mocap_testkit::data("subtitles/webvtt_wpt/file-parsing/settings-align.vtt")
    else {
        return;
    };
    // The expected values are the quoted strings of the array in WPT's settings-align.js.
    let js = std::fs::read_to_string(p.with_extension("js")).expect("settings-align.js");
    let list = js
        .split('[')
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("array literal");
    let want: Vec<&str> = list.split('\'').skip(1).step_by(2).collect();
    assert_eq!(want.len(), 13);
    let v = info(&p);
    let aligns: Vec<&str> = v["cues"]
        .as_array()
        .expect("cues")
        .iter()
        .filter_map(|c| c["settings"]["align"].as_str())
        .collect();
    assert_eq!(aligns, want);
}

/// A 16-bit mono PCM WAV written by hand: quiet noise with 300 Hz tone bursts.
fn wav(rate: u32, total_ms: u32, bursts: &[(u32, u32)]) -> Vec<u8> {
    let n = (rate as u64 * total_ms as u64 / 1000) as u32;
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + n * 2).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes()); // PCM
    v.extend_from_slice(&1u16.to_le_bytes()); // mono
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&(rate * 2).to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(n * 2).to_le_bytes());
    let mut seed: u32 = 99;
    for i in 0..n {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let noise = ((seed >> 16) as f32 / 32768.0 - 1.0) * 0.002;
        let t = (i as u64 * 1000 / rate as u64) as u32;
        let on = bursts.iter().any(|&(a, b)| t >= a && t < b);
        let x = noise
            + if on {
                0.3 * (2.0 * std::f32::consts::PI * 300.0 * i as f32 / rate as f32).sin()
            } else {
                0.0
            };
        v.extend_from_slice(&((x * 32767.0) as i16).to_le_bytes());
    }
    v
}

#[test]
fn onsets_and_snapping() {
    let dir = tempfile::tempdir().expect("temp dir");
    let w = dir.path().join("ref.wav");
    std::fs::write(&w, wav(8000, 6000, &[(1000, 2000), (3500, 5000)])).expect("write");
    let (code, out, err) = mocap(&["subs", "onsets", w.to_str().expect("p"), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["onsets_ms"], serde_json::json!([1000, 3500]));
    let srt = dir.path().join("a.srt");
    std::fs::write(
        &srt,
        "1\n00:00:00,800 --> 00:00:02,000\nA\n\n2\n00:00:03,700 --> 00:00:05,000\nB\n",
    )
    .expect("write");
    let out_path = dir.path().join("snapped.srt");
    let (code, _, err) = mocap(&[
        "subs",
        "onsets",
        w.to_str().expect("p"),
        "--snap",
        srt.to_str().expect("p"),
        "--out",
        out_path.to_str().expect("p"),
        "--fps",
        "25",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = info(&out_path);
    assert_eq!(v["cues"][0]["start_ms"], 1000);
    // The onset at 3500 ms lies in 25 fps frame 87 (3480–3520 ms): the cue starts on it.
    assert_eq!(v["cues"][1]["start_ms"], 3480);
}

#[test]
fn align_copies_master_timings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let master = dir.path().join("en.srt");
    std::fs::write(
        &master,
        "1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n",
    )
    .expect("write");
    let fr = dir.path().join("fr.vtt");
    std::fs::write(
        &fr,
        "WEBVTT\n\n2\n00:00:03.300 --> 00:00:04.400\nAu revoir\n",
    )
    .expect("write");
    let out = dir.path().join("fr-aligned.vtt");
    let (code, _, err) = mocap(&[
        "subs",
        "align",
        master.to_str().expect("p"),
        fr.to_str().expect("p"),
        out.to_str().expect("p"),
        "--by",
        "id",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = info(&out);
    assert_eq!(v["cues"][0]["id"], "2");
    assert_eq!(
        (
            v["cues"][0]["start_ms"].as_i64(),
            v["cues"][0]["end_ms"].as_i64()
        ),
        (Some(3000), Some(4000))
    );
    assert_eq!(v["cues"][0]["text"], "Au revoir");
}

/// `mocap subs convert` reads WebVTT leniently (go-astisub's `00:01:39`, `00:01:41.04`), one
/// warning per repaired cue; `--strict` keeps the WHATWG parser, which drops those cues.
#[test]
fn subs_convert_reads_vtt_leniently_unless_strict() {
    let Some(root) = std::env::var_os("MOCAP_TEST_DATA") else {
        eprintln!("skipping: MOCAP_TEST_DATA unset");
        return;
    };
    let input = Path::new(&root).join("subtitles/go-astisub/example-in.vtt");
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out.srt");
    let run = |strict: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_mocap"));
        c.args(["subs", "convert"]).arg(&input).arg(&out);
        if strict {
            c.arg("--strict");
        }
        c.output().expect("run mocap")
    };
    let lenient = run(false);
    let err = String::from_utf8_lossy(&lenient.stderr);
    assert!(lenient.status.success(), "{err}");
    assert_eq!(err.matches("warning: ").count(), 6, "{err}");
    let srt = std::fs::read_to_string(&out).expect("srt");
    assert!(srt.contains("00:01:39,000 --> 00:01:41,040"), "{srt}");
    let strict = run(true);
    let err = String::from_utf8_lossy(&strict.stderr);
    assert!(strict.status.success(), "{err}");
    assert!(err.contains("wrote 0 cues"), "{err}");
}
