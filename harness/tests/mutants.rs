//! The planted bugs of `abstractions` (see abstractions/mutants.toml): each, built with
//! `bele test --features <feature>` on a big/little-endian x 32/64-bit target set, must get
//! exactly its expected verdict from bele (for a failing test, or for the probe records of
//! tests that pass), and the default build must pass there with no record differing.

mod support;

use std::collections::BTreeMap;

use bele::testing::{tests_across, Verdict};
use bele::testing::{RunResults, TargetStatus};
use serde::Deserialize;
use support::{bele, check_machine_reports, repo, report};

// Little- and big-endian, 32- and 64-bit, and `u64` aligned to 4 (i686): what tells every
// verdict of mutants.toml apart. Big-endian ARM runs the abstractions in the main job
// (ci/matrix.sh) and in harness/tests/arm_be.rs; here it would cost a fifth more for no
// verdict of its own.
const TARGETS: &str = "x86_64-unknown-linux-gnu,i686-unknown-linux-gnu,powerpc-unknown-linux-gnu,s390x-unknown-linux-gnu";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mutant {
    feature: String,
    what: String,
    /// The verdict of every failing test.
    #[serde(default)]
    verdict: Option<String>,
    #[serde(default)]
    caught_by: Vec<String>,
    /// The verdict of every probe difference, for bugs no test assertion catches.
    #[serde(default)]
    differs: Option<String>,
    #[serde(default)]
    differs_in: Vec<String>,
    /// `#[repr]` types (`crate::path`) whose layouts from the compiler differ, with the
    /// mutant's verdict (`differs` or `verdict`); none where not given.
    #[serde(default)]
    layouts: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct MutantFile {
    mutant: Vec<Mutant>,
}

fn run_with(
    features: Option<&str>,
    name: &str,
    extra: &[&str],
) -> (i32, RunResults, String, std::path::PathBuf) {
    let manifest = repo().join("Cargo.toml");
    let mut args = vec![
        "test",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "-p",
        "abstractions",
        "--targets",
        TARGETS,
    ];
    if let Some(f) = features {
        args.extend(["--features", f]);
    }
    args.extend_from_slice(extra);
    // Failing properties must not write regression files into the source tree.
    let run = bele(
        &args,
        &[("PROPTEST_DISABLE_FAILURE_PERSISTENCE", "1")],
        name,
    );
    let results = run
        .results
        .unwrap_or_else(|| panic!("no results\n{}\n{}", run.stdout, run.stderr));
    for t in &results.targets {
        assert_eq!(
            t.status,
            TargetStatus::Ran,
            "{} did not run: {:?}",
            t.triple,
            t.reason
        );
    }
    (run.code, results, run.stdout, run.results_file)
}

/// Probe differences of a run: test name to verdict ids, from the results file as written.
fn differences(file: &std::path::Path) -> BTreeMap<String, Vec<String>> {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in doc["differences"].as_array().unwrap() {
        out.entry(d["test"].as_str().unwrap().to_string())
            .or_default()
            .push(d["verdict"].as_str().unwrap().to_string());
    }
    out
}

/// `#[repr]` types whose layouts from the compiler differ and fail the run, with their
/// verdict ids, from the results file as written.
fn layout_differences(file: &std::path::Path) -> BTreeMap<String, String> {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    (doc["layout_differences"].as_array().unwrap().iter())
        .filter(|l| l["pointer_width"] == false)
        .map(|l| {
            (
                format!(
                    "{}::{}",
                    l["crate"].as_str().unwrap(),
                    l["name"].as_str().unwrap()
                ),
                l["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Layouts from the compiler: exactly the types mutant `m` moves, with its verdict, named
/// in the summary.
fn layouts_moved_as_expected(m: &Mutant, results_file: &std::path::Path, stdout: &str) {
    let moved = layout_differences(results_file);
    let names: Vec<&String> = moved.keys().collect();
    let expected: Vec<&String> = m.layouts.iter().collect();
    assert_eq!(
        names, expected,
        "{}: layouts that differ\n{stdout}",
        m.feature
    );
    let verdict = m.verdict.as_ref().or(m.differs.as_ref());
    for (name, got) in &moved {
        assert_eq!(Some(got), verdict, "{}: layout of {name}", m.feature);
        assert!(stdout.contains(&format!("layout of `{name}`")), "{stdout}");
    }
}

/// Failing tests with their verdicts and the targets they failed on.
fn failures(results: &RunResults) -> BTreeMap<String, (Verdict, Vec<String>)> {
    tests_across(results)
        .into_iter()
        .filter(|t| !t.verdict.passes())
        .map(|t| {
            let on = t
                .failing_targets(results)
                .iter()
                .map(|s| s.split('-').next().unwrap().to_string())
                .collect();
            (t.name.to_string(), (t.verdict, on))
        })
        .collect()
}

#[test]
fn every_mutant_gets_its_expected_verdict() {
    let text = std::fs::read_to_string(repo().join("abstractions/mutants.toml")).unwrap();
    let file: MutantFile = toml::from_str(&text).unwrap();
    assert!(
        file.mutant.len() >= 12,
        "the issue asks for at least twelve mutants"
    );

    let (code, baseline, stdout, baseline_file) = run_with(None, "mutant-baseline", &[]);
    assert_eq!(
        code, 0,
        "the default build must pass on {TARGETS}\n{stdout}"
    );
    assert!(failures(&baseline).is_empty());
    assert!(
        differences(&baseline_file).is_empty(),
        "no probe record may differ in the default build\n{stdout}"
    );
    assert!(
        layout_differences(&baseline_file).is_empty(),
        "no #[repr] layout may differ in the default build\n{stdout}"
    );
    assert!(
        (baseline.targets.iter()).all(|t| t.layouts.as_ref().is_some_and(|l| l.types.len() > 10)),
        "the abstractions' #[repr] types are laid out on every target"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline_file).unwrap()).unwrap();
    assert_eq!(
        doc["compared_alone"],
        serde_json::json!([]),
        "every target's records are compared with another's\n{stdout}"
    );
    assert!(
        !baseline.probe_sequences.is_empty(),
        "the abstractions record their wire bytes"
    );

    let mut report = Vec::new();
    for m in &file.mutant {
        let (code, results, stdout, results_file) = run_with(Some(&m.feature), &m.feature, &[]);
        let failing = failures(&results);
        let differing = differences(&results_file);
        assert_eq!(
            code, 1,
            "{}: bele must report failures\n{stdout}",
            m.feature
        );
        match (&m.verdict, &m.differs) {
            (Some(verdict), None) => {
                assert!(!failing.is_empty(), "{}: no test caught it", m.feature);
                for (test, (got, on)) in &failing {
                    assert_eq!(&got.id(), verdict, "{}: {test} failed on {on:?}", m.feature);
                }
                for test in &m.caught_by {
                    assert!(
                        failing.contains_key(test),
                        "{}: {test} did not fail; failing: {:?}",
                        m.feature,
                        failing.keys()
                    );
                }
                for (test, verdicts) in &differing {
                    assert!(
                        verdicts.iter().all(|v| v == verdict),
                        "{}: the records of {test} differ with {verdicts:?}",
                        m.feature
                    );
                }
            }
            (None, Some(differs)) => {
                assert!(
                    failing.is_empty(),
                    "{}: only round trips cover it, yet {:?} failed",
                    m.feature,
                    failing
                );
                assert!(
                    !differing.is_empty(),
                    "{}: no record differs\n{stdout}",
                    m.feature
                );
                for (test, verdicts) in &differing {
                    assert!(
                        verdicts.iter().all(|v| v == differs),
                        "{}: the records of {test} differ with {verdicts:?}",
                        m.feature
                    );
                }
                for test in &m.differs_in {
                    assert!(
                        differing.contains_key(test),
                        "{}: the records of {test} do not differ; differing: {:?}",
                        m.feature,
                        differing.keys()
                    );
                    differs_in_every_report(&results_file, &stdout, test, differs);
                }
            }
            _ => panic!("{}: give `verdict` or `differs`, not both", m.feature),
        }
        layouts_moved_as_expected(m, &results_file, &stdout);
        let on: std::collections::BTreeSet<&String> =
            failing.values().flat_map(|(_, on)| on).collect();
        report.push(format!(
            "{:<30} {:<16} {} failing tests on {:?}, {} with differing records  ({})",
            m.feature,
            m.verdict
                .as_deref()
                .or(m.differs.as_deref())
                .unwrap_or_default(),
            failing.len(),
            on,
            differing.len(),
            m.what
        ));
    }
    println!("{}", report.join("\n"));
}

/// The acceptance check of triage and reports: with a big-endian-only mutant built in, every
/// format shows the test under "fails on big-endian only" with its minimal input and its
/// replay command, the machine formats validate, and the replay command reproduces the
/// failure with the same minimal input.
#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one real run (cross builds, QEMU) and every assertion on it: split, each part would pay for the run again"
)]
fn a_big_endian_only_mutant_shows_in_every_report() {
    const FEATURE: &str = "mutant-read32-native";
    const TEST: &str = "mmio::tests::read32_matches_byteorder";
    const LABEL: &str = "fails on big-endian only";
    const PPC: &str = "powerpc-unknown-linux-gnu";
    let (code, results, stdout, file) =
        run_with(Some(FEATURE), "every-report", &["--seed", "4242"]);
    assert_eq!(code, 1, "{stdout}");
    check_machine_reports(&file);

    // What the results say: the reference every format is held to.
    let across = tests_across(&results);
    let t = across.iter().find(|t| t.name == TEST).unwrap();
    assert_eq!(t.verdict.id(), "big-endian-only");
    assert_eq!(
        t.failing_targets(&results),
        [PPC, "s390x-unknown-linux-gnu"]
    );
    let (failure, target) = t.failures(&results)[0];
    let input = failure
        .minimal_input
        .clone()
        .unwrap_or_else(|| panic!("no minimal input captured: {failure:?}"));
    let binary = target.binaries.iter().find(|b| b.id == t.binary).unwrap();
    let replay = bele::testing::repro_line(target, binary, TEST, &results.config);
    // Line-based formats show a pretty-printed input on one line.
    let input_line = input.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        replay.contains("PROPTEST_RNG_SEED=4242 PROPTEST_RNG_ALGORITHM=xs qemu-ppc "),
        "{replay}"
    );

    // Terminal summary.
    assert!(
        stdout.contains(LABEL) && stdout.contains(&replay),
        "{stdout}"
    );

    // JSON: the triage list.
    let json: serde_json::Value = serde_json::from_str(&report(&file, "json")).unwrap();
    let entry = json["triage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["test"] == TEST)
        .expect("the test is in the triage list");
    assert_eq!(entry["verdict"], "big-endian-only");
    assert_eq!(entry["verdict_label"], LABEL);
    assert_eq!(entry["failures"][0]["target"], PPC);
    assert_eq!(entry["failures"][0]["minimal_input"], input.as_str());
    assert_eq!(entry["failures"][0]["replay"], replay.as_str());

    // JUnit: the powerpc test case's failure.
    let xml = unescape(&report(&file, "junit"));
    let case = section(
        &xml,
        &format!("<testcase name=\"{TEST} [powerpc]\""),
        "</testcase>",
    );
    assert_has(
        "JUnit",
        case,
        &[
            format!("failed: {LABEL}"),
            format!("minimal failing input: {input}"),
            format!("replay: {replay}"),
        ],
    );

    // KTAP, as the kernel's parser reads it.
    let ktap = support::validators::kunit_parse(&report(&file, "ktap"), "every-report.ktap");
    let k = ktap.child(PPC).child(t.binary).child(TEST);
    assert_eq!(k.status, "FAILURE");
    for want in [
        format!("# verdict: {LABEL}"),
        format!("# minimal failing input: {input_line}"),
        format!("# replay: {replay}"),
    ] {
        assert!(
            k.log.iter().any(|l| l.trim() == want),
            "KTAP lacks {want:?}: {k:#?}"
        );
    }

    // Markdown: the first screen names the group and the test; then, past the folded
    // targets' table, the big-endian group is the first.
    let md = report(&file, "md");
    let (answer, groups) = md.split_at(md.find("</details>").unwrap());
    assert!(
        answer.contains(&format!("- ❌ **{LABEL}** (")) && answer.contains(TEST),
        "Markdown's first screen:\n{answer}"
    );
    assert!(
        groups[groups.find("### ").unwrap()..].starts_with(&format!("### {LABEL} (")),
        "big-endian group first:\n{groups}"
    );
    let group = section(groups, &format!("### {LABEL} ("), "\n### ");
    assert_has(
        "Markdown",
        group,
        &[
            format!("`{TEST}`"),
            format!("  - minimal input: `{input_line}`"),
            format!("  - replay on `{PPC}`: `{replay}`"),
        ],
    );

    // HTML: the test's row is filed under the verdict, its details hold input and replay.
    let html = report(&file, "html");
    let row = html
        .match_indices("<tr data-verdict=")
        .map(|(i, _)| section(&html[i..], "<tr", "</tr>"))
        .find(|r| r.contains(&format!(">{} {TEST}</a>", t.binary)))
        .expect("a matrix row for the test");
    assert!(
        row.contains("data-verdict=\"fails-on-big-endian-only\""),
        "{row}"
    );
    let html = unescape(&html);
    let details = section(
        &html,
        &format!("<h4>{} {TEST}</h4>", t.binary),
        "</section>",
    );
    assert_has(
        "HTML",
        details,
        &[
            format!("<p class=\"verdict\">{LABEL}</p>"),
            format!("minimal input: <code>{input}</code>"),
            format!("replay: <code>{replay}</code>"),
        ],
    );

    // The replay command, as printed, reproduces the failure with the same minimal input.
    #[allow(clippy::disallowed_methods)]
    let o = std::process::Command::new("sh")
        .args(["-c", &replay])
        .env("PROPTEST_DISABLE_FAILURE_PERSISTENCE", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!o.status.success(), "the replay passed:\n{text}");
    assert!(
        text.contains(&format!("minimal failing input: {input}")),
        "the replay found another input:\n{text}"
    );
    assert!(
        text.contains("test result: FAILED. 0 passed; 1 failed"),
        "{text}"
    );
}

/// A round-trip-only mutant's difference, named by its test (and so its module), in the
/// terminal summary and every report format, under the expected verdict.
fn differs_in_every_report(file: &std::path::Path, stdout: &str, test: &str, verdict: &str) {
    let json: serde_json::Value = serde_json::from_str(&report(file, "json")).unwrap();
    let d = json["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["test"] == test)
        .unwrap_or_else(|| panic!("JSON lacks a difference of {test}"));
    assert_eq!(d["verdict"], verdict);
    let label = d["verdict_label"].as_str().unwrap().to_string();
    let differing = d["comparisons"][0]["differing"][0]
        .as_str()
        .unwrap()
        .to_string();
    let short = differing.split('-').next().unwrap();
    // Bytes recorded with `wire`, or a layout declared with `layout!`.
    let (verb, what) = if d["kind"] == "layout" {
        ("layout differs ", "layout of ")
    } else {
        ("output differs on ", "wire record ")
    };
    assert!(label.starts_with(verb), "{label}");
    let summary = section(stdout, &format!("\n{label}\n"), "\n\n");
    assert!(
        summary.contains(&format!(" {test}: {what}")),
        "terminal:\n{stdout}"
    );
    let xml = unescape(&report(file, "junit"));
    let case = section(
        &xml,
        &format!("<testcase name=\"{test} [{short}]\""),
        "</testcase>",
    );
    assert_has(
        "JUnit",
        case,
        &[format!("message=\"{label}\" type=\"output-differs\"")],
    );
    let ktap = support::validators::kunit_parse(&report(file, "ktap"), "differs.ktap");
    let k = ktap.child(&differing).child("abstractions").child(test);
    assert_eq!(k.status, "FAILURE", "KTAP: {k:#?}");
    let md = report(file, "md");
    let group = section(&md, &format!("### {label} ("), "\n### ");
    assert_has("Markdown", group, &[format!("`{test}`: {what}")]);
    let html = unescape(&report(file, "html"));
    let details = section(
        &html,
        &format!("<h4>abstractions {test}: {what}"),
        "</section>",
    );
    assert_has(
        "HTML",
        details,
        &[format!(
            "<p class=\"verdict\">{label} (across all targets)</p>"
        )],
    );
}

/// Fails naming the format and what it lacks unless `text` contains every one of `wants`.
fn assert_has(format: &str, text: &str, wants: &[String]) {
    for want in wants {
        assert!(text.contains(want), "{format} lacks {want:?}:\n{text}");
    }
}

/// The text from the first `start` up to the next `end` after it.
fn section<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let i = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in\n{text}"));
    let rest = &text[i + start.len()..];
    &text[i..i + start.len() + rest.find(end).unwrap_or(rest.len())]
}

/// XML/HTML text back to what it escapes.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
