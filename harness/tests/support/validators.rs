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

/// Runs `script` (in tests/support) on `ktap` (written to a scratch file `name`) with the
/// kernel's kunit modules in `dir`, which must hold `needs`, and parses the JSON it prints.
fn kunit_script<T: serde::de::DeserializeOwned>(
    script: &str,
    dir: &Path,
    needs: &str,
    (ktap, name): (&str, &str),
) -> T {
    assert!(
        dir.join(needs).is_file(),
        "{} has no {needs}: run ci/fetch-kunit.sh (ci/test.sh does) or set BELE_KUNIT_DIR",
        dir.display()
    );
    let file = scratch_file(name, ktap);
    let out = Command::new("python3")
        .arg(harness_dir().join("tests/support").join(script))
        .arg(dir)
        .arg(&file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{script} failed on {}:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Parses `ktap` with the kernel's parser and returns its tree.
pub fn kunit_parse(ktap: &str, name: &str) -> KtapTest {
    kunit_script(
        "ktap_tree.py",
        &kunit_dir(),
        "kunit_parser.py",
        (ktap, name),
    )
}

/// Where kunit.py's JSON writer is: kunit_dir(), and the kernel tree's (BELE_KERNEL_TREE)
/// when one is set: the writer gained per-group counts after Linux 6.1.
pub fn kunit_json_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![kunit_dir()];
    if let Some(tree) = std::env::var_os("BELE_KERNEL_TREE") {
        dirs.push(PathBuf::from(tree).join("tools/testing/kunit"));
    }
    dirs
}

/// kunit.py's `--json` of `ktap`: its own parser's tree written by its own writer
/// (kunit_json.py in `dir`), with empty metadata.
pub fn kunit_json_of(dir: &Path, ktap: &str, name: &str) -> serde_json::Value {
    kunit_script("kunit_json_of.py", dir, "kunit_json.py", (ktap, name))
}

/// Whether `ours` (a kunit-json report) is what kunit.py's writer makes of `ktap` (the KTAP
/// report of the same run) read by its parser, with each writer kunit_json_dirs() finds.
pub fn kunit_json_matches(ours: &serde_json::Value, ktap: &str, name: &str) -> Result<(), String> {
    for dir in kunit_json_dirs() {
        let theirs = kunit_json_of(&dir, ktap, &format!("{name}.ktap"));
        let mut normalised = ours.clone();
        as_from_ktap(&mut normalised, theirs.get("misc").is_some());
        if normalised != theirs {
            return Err(format!(
                "{name}: kunit-json is not kunit.py's ({}): ours:\n{}\nkunit.py's:\n{}",
                dir.display(),
                serde_json::to_string_pretty(&normalised).unwrap(),
                serde_json::to_string_pretty(&theirs).unwrap()
            ));
        }
    }
    Ok(())
}

/// `g` as kunit.py writes it from KTAP: no metadata, names as KTAP spells them, a test
/// the kernel died in as KTAP's `not ok` (a failure), and counts only where its writer
/// has them (`counts`: after Linux 6.1).
fn as_from_ktap(g: &mut serde_json::Value, counts: bool) {
    let o = g.as_object_mut().unwrap();
    for k in ["arch", "build_environment", "defconfig"] {
        o.insert(k.into(), "".into());
    }
    let name = o["name"].as_str().unwrap().replace('#', "%23");
    o.insert("name".into(), name.into());
    if !counts {
        o.remove("misc");
    }
    if let Some(misc) = o.get_mut("misc").and_then(serde_json::Value::as_object_mut) {
        let crashed = misc["crashed"].as_u64().unwrap();
        let failed = misc["failed"].as_u64().unwrap();
        misc.insert("failed".into(), (failed + crashed).into());
        misc.insert("crashed".into(), 0.into());
    }
    for c in o["test_cases"].as_array_mut().unwrap() {
        let name = c["name"].as_str().unwrap().replace('#', "%23");
        c["name"] = name.into();
        if c["status"] == "ERROR" {
            c["status"] = "FAIL".into();
        }
    }
    for s in o["sub_groups"].as_array_mut().unwrap() {
        as_from_ktap(s, counts);
    }
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
