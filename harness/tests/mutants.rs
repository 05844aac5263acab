//! The planted bugs of `abstractions` (see abstractions/mutants.toml): each, built with
//! `bele test --features <feature>` on a big/little-endian x 32/64-bit target set, must get
//! exactly its expected verdict from bele, and the default build must pass there.

mod support;

use std::collections::BTreeMap;

use bele::results::{RunResults, TargetStatus};
use bele::triage::{tests_across, Verdict};
use serde::Deserialize;
use support::{bele, repo};

const TARGETS: &str = "x86_64-unknown-linux-gnu,i686-unknown-linux-gnu,powerpc-unknown-linux-gnu,s390x-unknown-linux-gnu";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mutant {
    feature: String,
    what: String,
    verdict: String,
    caught_by: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct MutantFile {
    mutant: Vec<Mutant>,
}

fn run(features: Option<&str>, name: &str) -> (i32, RunResults, String) {
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
    (run.code, results, run.stdout)
}

/// Failing tests with their verdicts and the targets they failed on.
fn failures(results: &RunResults) -> BTreeMap<String, (Verdict, Vec<String>)> {
    tests_across(results)
        .into_iter()
        .filter(|t| t.verdict != Verdict::PassesEverywhere)
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

    let (code, baseline, stdout) = run(None, "mutant-baseline");
    assert_eq!(
        code, 0,
        "the default build must pass on {TARGETS}\n{stdout}"
    );
    assert!(failures(&baseline).is_empty());

    let mut report = Vec::new();
    for m in &file.mutant {
        let (code, results, stdout) = run(Some(&m.feature), &m.feature);
        let failing = failures(&results);
        assert_eq!(
            code, 1,
            "{}: bele must report failures\n{stdout}",
            m.feature
        );
        assert!(!failing.is_empty(), "{}: no test caught it", m.feature);
        for (test, (verdict, on)) in &failing {
            let got = serde_json::to_value(verdict).unwrap();
            assert_eq!(
                got.as_str(),
                Some(m.verdict.as_str()),
                "{}: {test} failed on {on:?}",
                m.feature
            );
        }
        for test in &m.caught_by {
            assert!(
                failing.contains_key(test),
                "{}: {test} did not fail; failing: {:?}",
                m.feature,
                failing.keys()
            );
        }
        if m.feature == "mutant-read32-native" {
            // A property caught it: the shrunk input is in the results, per target.
            let t = results
                .targets
                .iter()
                .find(|t| t.triple.starts_with("powerpc"))
                .unwrap();
            let r = t
                .binaries
                .iter()
                .flat_map(|b| &b.tests)
                .find(|r| r.name == "mmio::tests::read32_matches_byteorder")
                .unwrap();
            assert!(
                r.minimal_input
                    .as_deref()
                    .is_some_and(|i| i.starts_with("bytes = [")),
                "{r:?}"
            );
        }
        let on: std::collections::BTreeSet<&String> =
            failing.values().flat_map(|(_, on)| on).collect();
        report.push(format!(
            "{:<28} {:<16} {} failing tests, on {:?}  ({})",
            m.feature,
            m.verdict,
            failing.len(),
            on,
            m.what
        ));
    }
    println!("{}", report.join("\n"));
}
