//! Checks reports with the tools their readers use: JUnit XML against the schema with
//! xmllint, KTAP with the kernel's own parser (tools/testing/kunit/kunit_parser.py).
//! Shared by the reporters' unit tests and the end-to-end tests.
#![allow(clippy::disallowed_methods, dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn harness_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bele-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Validates `xml` against harness/schema/junit.xsd with xmllint; `Err` holds its complaints.
pub fn junit_schema_errors(xml: &str, name: &str) -> Result<(), String> {
    let file = scratch_file(name, xml);
    let schema = harness_dir().join("schema/junit.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "xmllint is needed to check JUnit output (ci/test.sh installs libxml2-utils): {e}"
            )
        });
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A test as the kernel's KTAP parser understood it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct KtapTest {
    pub name: String,
    /// `SUCCESS`, `FAILURE`, `SKIPPED`, `TEST_CRASHED`, `NO_TESTS`, ...
    pub status: String,
    /// Parse errors in this test and below (wrong numbering, missing result lines, ...).
    pub errors: u64,
    /// Diagnostic lines that belong to this test.
    pub log: Vec<String>,
    pub subtests: Vec<KtapTest>,
}

impl KtapTest {
    pub fn child(&self, name: &str) -> &KtapTest {
        self.subtests
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no subtest {name} under {}: {self:#?}", self.name))
    }
}

/// Where kunit_parser.py is: $BELE_KUNIT_DIR, or target/kunit (ci/fetch-kunit.sh puts it
/// there from Debian's linux-source package).
fn kunit_dir() -> PathBuf {
    std::env::var_os("BELE_KUNIT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| harness_dir().join("../target/kunit"))
}

/// Parses `ktap` with the kernel's parser and returns its tree.
pub fn kunit_parse(ktap: &str, name: &str) -> KtapTest {
    let dir = kunit_dir();
    assert!(
        dir.join("kunit_parser.py").is_file(),
        "{} has no kunit_parser.py: run ci/fetch-kunit.sh (ci/test.sh does) or set BELE_KUNIT_DIR",
        dir.display()
    );
    let file = scratch_file(name, ktap);
    let out = Command::new("python3")
        .arg(harness_dir().join("tests/support/ktap_tree.py"))
        .arg(&dir)
        .arg(&file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "kunit_parser failed on {}:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ktap_tree.py printed no tree ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Whether the kernel parser's tree `main` is the run in `results` (a results file as JSON,
/// with its derived `differences`): no parse errors, every target in order, and under every
/// target that ran, every test executable's tests in order with the status their outcome
/// maps to (a passed test whose probe records differ there is a failure).
pub fn ktap_matches(main: &KtapTest, results: &serde_json::Value) -> Result<(), String> {
    let differences = results["differences"]
        .as_array()
        .ok_or("the results have no derived `differences` list")?;
    let differs = |triple: &str, binary: &str, test: &str| {
        differences.iter().any(|d| {
            d["binary"] == binary
                && d["test"] == test
                && d["comparisons"].as_array().unwrap().iter().any(|c| {
                    c["differing"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t == triple)
                })
        })
    };
    if main.errors != 0 {
        return Err(format!(
            "kunit_parser found {} errors: {main:#?}",
            main.errors
        ));
    }
    let targets = results["targets"].as_array().unwrap();
    let names: Vec<&str> = main.subtests.iter().map(|t| t.name.as_str()).collect();
    let triples: Vec<&str> = targets
        .iter()
        .map(|t| t["triple"].as_str().unwrap())
        .collect();
    if names != triples {
        return Err(format!("targets {names:?}, expected {triples:?}"));
    }
    for (t, parsed) in targets.iter().zip(&main.subtests) {
        if t["status"] != "ran" {
            continue;
        }
        for b in t["binaries"].as_array().unwrap() {
            let tests = b["tests"].as_array().unwrap();
            if tests.is_empty() {
                continue;
            }
            let got: Vec<(&str, &str)> = parsed
                .child(b["id"].as_str().unwrap())
                .subtests
                .iter()
                .map(|s| (s.name.as_str(), s.status.as_str()))
                .collect();
            let want: Vec<(String, &str)> = tests
                .iter()
                .map(|r| {
                    let name = r["name"].as_str().unwrap();
                    let status = match r["outcome"].as_str().unwrap() {
                        "passed"
                            if differs(
                                t["triple"].as_str().unwrap(),
                                b["id"].as_str().unwrap(),
                                name,
                            ) =>
                        {
                            "FAILURE"
                        }
                        "passed" => "SUCCESS",
                        "failed" | "crashed" | "timed-out" => "FAILURE",
                        _ => "SKIPPED",
                    };
                    (name.replace('#', "%23"), status)
                })
                .collect();
            let want: Vec<(&str, &str)> = want.iter().map(|(n, s)| (n.as_str(), *s)).collect();
            if got != want {
                return Err(format!(
                    "{} {}: parsed {got:?}, expected {want:?}",
                    t["triple"], b["id"]
                ));
            }
        }
    }
    Ok(())
}
