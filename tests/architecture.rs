//! The app's layout is its architecture (ARCHITECTURE.md): one folder per concern under `src/`,
//! a core `model` that every plugin may use and that uses none of them, and imports that never form
//! a cycle between concerns. This test reads the sources and fails, naming the files, when a
//! change breaks one of those rules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level files that wire the app together (entry points, the benchmark, the command line):
/// they may use every concern, and no concern may use them.
const WIRING: [&str; 4] = ["lib", "main", "bench", "cli"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without comments and without its unit-test module (tests may start other
/// plugins to drive the one under test; that is no dependency of the shipped code).
fn shipped_code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `crate::NAME` references in `code`.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            refs.insert(name);
        }
        rest = after;
    }
    refs
}

/// Concern → (concern it uses → files that use it).
fn concern_graph(src: &Path) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let concerns: BTreeSet<String> = std::fs::read_dir(src)
        .expect("read src")
        .filter_map(|e| {
            let p = e.ok()?.path();
            p.is_dir()
                .then(|| p.file_name()?.to_str().map(str::to_string))?
        })
        .collect();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).expect("under src");
        let first = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or("")
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(&f).expect("read source");
        let entry = graph.entry(first.clone()).or_default();
        for r in crate_refs(&shipped_code(&text)) {
            if r != first && (concerns.contains(&r) || WIRING.contains(&r.as_str())) {
                entry
                    .entry(r)
                    .or_default()
                    .insert(rel.display().to_string());
            }
        }
    }
    graph
}

fn find_cycle(graph: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let at = path.iter().position(|p| p == n).unwrap_or(0);
                let mut cycle = path[at..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        if let Some(out) = graph.get(n) {
            for m in out.keys() {
                if let Some(c) = visit(m, graph, state, path) {
                    return Some(c);
                }
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_model_uses_no_plugin() {
    let graph = concern_graph(&src());
    let uses = graph.get("model").cloned().unwrap_or_default();
    assert!(
        uses.is_empty(),
        "src/model must not import any plugin (move the shared type into the model instead): {uses:#?}"
    );
}

#[test]
fn no_concern_uses_the_wiring() {
    let graph = concern_graph(&src());
    for (concern, uses) in &graph {
        if WIRING.contains(&concern.as_str()) {
            continue;
        }
        for w in WIRING {
            assert!(
                !uses.contains_key(w),
                "{concern} uses crate::{w} (in {:?}); only main/lib wire the app together",
                uses[w]
            );
        }
    }
}

#[test]
fn imports_between_concerns_form_no_cycle() {
    let mut graph = concern_graph(&src());
    for w in WIRING {
        graph.remove(w);
    }
    if let Some(cycle) = find_cycle(&graph) {
        let mut why = String::new();
        for pair in cycle.windows(2) {
            let files = &graph[&pair[0]][&pair[1]];
            why.push_str(&format!("\n  {} → {} in {:?}", pair[0], pair[1], files));
        }
        panic!(
            "the concerns' imports form a cycle {}: talk through src/model and messages instead{why}",
            cycle.join(" → ")
        );
    }
}

#[test]
fn the_checker_sees_a_cycle_when_there_is_one() {
    let mut g: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    g.entry("a".into())
        .or_default()
        .insert("b".into(), BTreeSet::new());
    g.entry("b".into())
        .or_default()
        .insert("c".into(), BTreeSet::new());
    assert_eq!(find_cycle(&g), None);
    g.entry("c".into())
        .or_default()
        .insert("a".into(), BTreeSet::new());
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        crate_refs("use crate::model::x; crate::ui::Foo"),
        BTreeSet::from(["model".to_string(), "ui".to_string()])
    );
}

#[test]
fn no_source_file_is_too_long_to_read() {
    // ~800 lines per source file (issue 14); data tables are the exception and say so.
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut long = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        let n = text.lines().count();
        if n > 850 && !text.contains("// architecture: data file") {
            long.push(format!("{} ({n} lines)", f.display()));
        }
    }
    assert!(long.is_empty(), "split these files: {long:?}");
}

/// Functions of more than `max` lines in `text` (rustfmt layout: a `fn` line and the `}` at its
/// indentation), outside the unit-test module, whose doc comment, attributes or first body line
/// carry no `// long function: <reason>` comment. Returns (name, first line, length in lines).
fn long_functions(text: &str, max: usize) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .iter()
        .position(|l| l.starts_with("#[cfg(test)]"))
        .unwrap_or(lines.len());
    let mut found = Vec::new();
    for i in 0..end {
        let line = lines[i];
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let sig = t
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub(super) ")
            .trim_start_matches("pub ")
            .trim_start_matches("const ")
            .trim_start_matches("async ")
            .trim_start_matches("unsafe ");
        let Some(rest) = sig.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{}}}", " ".repeat(indent));
        let Some(len) = lines[i + 1..end]
            .iter()
            .position(|l| l.trim_end() == close)
            .map(|k| k + 2)
        else {
            continue;
        };
        if len <= max {
            continue;
        }
        // The reason: in the comments and attributes right above the signature, or in the body's
        // first lines.
        let above = lines[..i]
            .iter()
            .rev()
            .take_while(|l| {
                let l = l.trim_start();
                l.starts_with("//") || l.starts_with("#[")
            })
            .any(|l| l.contains("long function:"));
        let inside = lines[i..(i + 12).min(end)]
            .iter()
            .any(|l| l.contains("// long function:"));
        if !above && !inside {
            found.push((name, i + 1, len));
        }
    }
    found
}

#[test]
fn no_function_is_too_long_to_read() {
    // Issue 14: no function over ~150 lines without a reason in a comment, in the app and in the
    // headless crates (their tests excluded).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    for e in std::fs::read_dir(root.join("crates")).expect("read crates") {
        let dir = e.expect("dir entry").path().join("src");
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
    }
    let mut long = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        for (name, line, len) in long_functions(&text, 150) {
            long.push(format!("{}:{line} {name} ({len} lines)", f.display()));
        }
    }
    assert!(
        long.is_empty(),
        "split these functions, or say why one reads best whole with a `// long function: …` comment: {long:#?}"
    );
}

#[test]
fn the_length_checker_sees_a_long_function_and_its_reason() {
    let body = "    let x = 1;\n".repeat(160);
    let long = format!("/// Doc.\npub fn big() {{\n{body}}}\n\nfn small() {{\n    1;\n}}\n");
    assert_eq!(
        long_functions(&long, 150),
        vec![("big".to_string(), 2, 162)]
    );
    let excused = format!("/// Doc.\n// long function: one match over the grammar.\n{long}");
    assert!(long_functions(&excused, 150).is_empty());
    let in_tests = format!("#[cfg(test)]\nmod tests {{\n{long}}}\n");
    assert!(long_functions(&in_tests, 150).is_empty());
}
