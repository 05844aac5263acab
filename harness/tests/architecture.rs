//! The crate's shape, checked: the stages under `harness/src` depend on each other one way
//! only (no import cycle among them), and every stage but the CLI is `pub(crate)`, so
//! rustc's dead-code lint sees what nothing uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its `#[cfg(test)]` module at the end and without comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The stage a file belongs to: its first folder under `src`, or its name.
fn stage(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Files compiled only for tests (declared `#[cfg(test)] ... mod name;`).
fn test_only(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let decl = l.trim();
            let Some(name) = decl
                .strip_suffix(';')
                .and_then(|d| d.rsplit_once("mod "))
                .map(|(_, n)| n)
            else {
                continue;
            };
            if i > 0 && lines[i - 1].trim() == "#[cfg(test)]" {
                let dir = if f.ends_with("mod.rs") || f.ends_with("lib.rs") {
                    f.parent().unwrap().to_path_buf()
                } else {
                    f.with_extension("")
                };
                out.insert(dir.join(format!("{name}.rs")));
            }
        }
    }
    out
}

/// Stage -> the stages its non-test code names through `crate::`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let tests = test_only(&files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files.iter().filter(|f| !tests.contains(*f)) {
        let from = stage(f);
        if ["lib", "main", "bin"].contains(&from.as_str()) {
            continue;
        }
        let text = code(&std::fs::read_to_string(f).unwrap());
        let deps = graph.entry(from.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != from {
                deps.insert(name);
            }
        }
    }
    graph
}

/// A cycle in `graph`, if there is one, as the stages along it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_stages_depend_on_each_other_one_way() {
    let graph = graph();
    for stage in [
        "cli", "run", "plan", "host", "build", "execute", "model", "analyze", "report", "util",
    ] {
        assert!(graph.contains_key(stage), "no stage {stage}: {graph:?}");
    }
    assert_eq!(cycle(&graph), None, "{graph:#?}");
    // The model is data: it names no stage that runs or renders anything.
    for low in [
        "cli", "run", "build", "execute", "analyze", "report", "host",
    ] {
        assert!(
            !graph["model"].contains(low),
            "model depends on {low}: {:?}",
            graph["model"]
        );
    }
    assert!(
        graph["util"].is_empty(),
        "util is below everything: {:?}",
        graph["util"]
    );
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    g.get_mut("c").unwrap().clear();
    assert_eq!(cycle(&g), None);
}

#[test]
fn every_stage_but_the_cli_is_crate_private() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let public: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches([';', ' ', '{']))
        .collect();
    assert_eq!(public, ["cli", "testing"], "{lib}");
    let private = lib
        .lines()
        .filter(|l| l.starts_with("pub(crate) mod "))
        .count();
    assert!(private >= 9, "{lib}");
    assert!(
        lib.contains("#[doc(hidden)]\npub mod testing"),
        "the test facade is hidden: {lib}"
    );
}
