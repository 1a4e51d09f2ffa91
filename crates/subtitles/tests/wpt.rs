//! web-platform-tests WebVTT expectations, evaluated against our parser.
//!
//! * file-parsing: each `<name>.js` holds the WPT `assert_equals(cues[i].…)` assertions for
//!   `<name>.vtt`. We parse the `.vtt`, expose the cues through the `VTTCue` / `VTTRegion`
//!   attribute names (`startTime` in seconds, `line`, `snapToLines`, `region` objects with
//!   shared identity, …) and run the `.js` file under Node.js with `assert_*` functions that
//!   count passes and failures (skipped with a notice when `node` is not installed).
//! * cue-parsing: each `<name>.json` lists `{text, expectedTree}`; the cues of `<name>.vtt`
//!   are parsed with the cue text parsing rules and dumped in the WPT tree format.

mod common;

use serde_json::{Value, json};
use subtitles::{Align, LineAlign, PositionAlign, Vertical, VttRegion};

fn region_json(r: &VttRegion) -> Value {
    json!({
        "id": r.id, "width": r.width, "lines": r.lines,
        "regionAnchorX": r.region_anchor.0, "regionAnchorY": r.region_anchor.1,
        "viewportAnchorX": r.viewport_anchor.0, "viewportAnchorY": r.viewport_anchor.1,
        "scroll": if r.scroll_up { "up" } else { "" },
    })
}

/// The parsed file as `{cues: [VTTCue-like], regions: [VTTRegion-like]}`, cue regions given as
/// indices into `regions` so the harness can share object identity.
fn as_dom(text: &str) -> Value {
    let Ok(track) = subtitles::vtt::parse(text) else {
        return json!({ "cues": [], "regions": [] });
    };
    let regions: Vec<VttRegion> = track
        .vtt
        .as_ref()
        .map(|h| h.regions.clone())
        .unwrap_or_default();
    let cues: Vec<Value> = track
        .cues
        .iter()
        .map(|c| {
            let s = c.settings.as_deref().cloned().unwrap_or_else(subtitles::CueSettings::new);
            let region = s
                .region
                .as_ref()
                .and_then(|id| regions.iter().rposition(|r| &r.id == id));
            json!({
                "id": c.id,
                "text": c.text,
                "startTime": c.start_ms() as f64 / 1000.0,
                "endTime": c.end_ms() as f64 / 1000.0,
                "align": match s.align { Align::Start => "start", Align::Center => "center", Align::End => "end", Align::Left => "left", Align::Right => "right" },
                "line": s.line.map_or(json!("auto"), |v| json!(v)),
                "snapToLines": s.snap_to_lines,
                "lineAlign": match s.line_align { LineAlign::Start => "start", LineAlign::Center => "center", LineAlign::End => "end" },
                "position": s.position.map_or(json!("auto"), |v| json!(v)),
                "positionAlign": match s.position_align { PositionAlign::Auto => "auto", PositionAlign::LineLeft => "line-left", PositionAlign::Center => "center", PositionAlign::LineRight => "line-right" },
                "size": s.size,
                "vertical": match s.vertical { Vertical::Horizontal => "", Vertical::Rl => "rl", Vertical::Lr => "lr" },
                "regionIndex": region,
            })
        })
        .collect();
    json!({ "cues": cues, "regions": regions.iter().map(region_json).collect::<Vec<_>>() })
}

const HARNESS: &str = r#"
const fs = require('fs');
const dom = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const script = fs.readFileSync(process.argv[3], 'utf8');
const __regions = dom.regions;
const cues = dom.cues.map(c => { const o = Object.assign({}, c); o.region = c.regionIndex === null ? null : __regions[c.regionIndex]; delete o.regionIndex; return o; });
let pass = 0, fail = 0; const failures = [];
function same(a, b) { return Object.is(a, b) || (typeof a === 'number' && typeof b === 'number' && a === b && a !== 0); }
function rec(ok, msg) { if (ok) pass++; else { fail++; failures.push(msg); } }
function assert_equals(a, b, m) { rec(same(a, b), `assert_equals(${JSON.stringify(a)}, ${JSON.stringify(b)}) ${m || ''}`); }
function assert_not_equals(a, b, m) { rec(!same(a, b), `assert_not_equals ${m || ''}`); }
function assert_true(a, m) { rec(a === true, `assert_true(${a}) ${m || ''}`); }
function assert_false(a, m) { rec(a === false, `assert_false(${a}) ${m || ''}`); }
let error = null;
try { (function () { eval(script); })(); } catch (e) { error = String(e); }
console.log(JSON.stringify({ pass, fail, failures: failures.slice(0, 5), error }));
"#;

#[test]
fn wpt_file_parsing_expectations() {
    let Some(root) = common::data_root() else {
        return;
    };
    let dir = root.join("webvtt_wpt/file-parsing");
    // Node.js evaluates the WPT .js assertions.
    let Some(node) = mocap_testkit::tool("node") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let harness = tmp.path().join("harness.js");
    std::fs::write(&harness, HARNESS).expect("write harness");
    let mut files_pass = 0;
    let mut files = 0;
    let (mut asserts_pass, mut asserts_fail) = (0, 0);
    let mut failed: Vec<String> = Vec::new();
    for js in common::walk(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
    {
        let vtt = js.with_extension("vtt");
        let bytes =
            std::fs::read(&vtt).unwrap_or_else(|e| panic!("{} missing: {e}", vtt.display()));
        let decoded = subtitles::encoding::decode(&bytes, Some(subtitles::TextEncoding::Utf8));
        let dom_path = tmp.path().join("dom.json");
        std::fs::write(&dom_path, as_dom(&decoded.text).to_string()).expect("write dom");
        let out = std::process::Command::new(&node)
            .arg(&harness)
            .arg(&dom_path)
            .arg(&js)
            .output()
            .expect("node runs");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "harness output for {}: {e}: {}",
                js.display(),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let (p, f) = (
            v["pass"].as_u64().unwrap_or(0),
            v["fail"].as_u64().unwrap_or(0),
        );
        asserts_pass += p;
        asserts_fail += f;
        files += 1;
        let name = js
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if f == 0 && v["error"].is_null() {
            files_pass += 1;
        } else {
            failed.push(format!(
                "{name}: {} failed, error {}: {}",
                f, v["error"], v["failures"]
            ));
        }
    }
    eprintln!(
        "WPT file-parsing: {files_pass}/{files} files pass, {asserts_pass}/{} assertions pass",
        asserts_pass + asserts_fail
    );
    for f in &failed {
        eprintln!("  FAIL {f}");
    }
    assert!(
        files >= 20,
        "expected the WPT file-parsing suite, found {files} .js files"
    );
    // regions-id expects `region:` (empty value) to select the region with an empty id, but
    // the spec skips a setting whose colon is its last character; we follow the spec.
    assert!(
        failed.iter().all(|f| f.starts_with("regions-id:")),
        "unexpected WPT failures: {failed:#?}"
    );
}

#[test]
fn wpt_cue_text_parsing_trees() {
    let Some(root) = common::data_root() else {
        return;
    };
    let mut total = 0;
    let mut pass = 0;
    let mut failures = Vec::new();
    for name in ["entities", "tags", "text", "timestamps", "tree-building"] {
        let exp: Vec<Value> = serde_json::from_slice(&common::bytes(
            &root,
            &format!("webvtt_wpt/cue-parsing/{name}.json"),
        ))
        .expect("expectations are JSON");
        let vtt = common::bytes(&root, &format!("webvtt_wpt/cue-parsing/{name}.vtt"));
        let decoded = subtitles::encoding::decode(&vtt, None);
        let track = subtitles::vtt::parse(&decoded.text).expect("valid WebVTT");
        assert_eq!(
            track.cues.len(),
            exp.len(),
            "{name}: one cue per expectation"
        );
        for (cue, e) in track.cues.iter().zip(&exp) {
            total += 1;
            let got = subtitles::markup::wpt_tree(&subtitles::markup::parse_vtt(&cue.text));
            let want = e["expectedTree"].as_str().unwrap_or("");
            if got == want {
                pass += 1;
            } else {
                failures.push(format!(
                    "{name}: {:?}: got {got:?} want {want:?}",
                    e["text"]
                ));
            }
        }
    }
    eprintln!("WPT cue-text parsing: {pass}/{total} trees match");
    assert!(failures.is_empty(), "{failures:#?}");
}
