//! End-to-end test of the compatibility corpus (`fixtures/corpus`: the crates real test
//! suites depend on, with their default features) on every target in the table: real cross
//! builds, real QEMU. Needs every target set up (`bele setup`, which `ci/test.sh` runs).

mod support;

use bele::testing::{Outcome, TargetStatus};
use std::collections::BTreeSet;

const AARCH64_BE: &str = "aarch64_be-unknown-linux-musl";
const ARMEB: &str = "armeb-bele-linux-musleabi";

/// The corpus tests that go through a crate the table knows as faulty on aarch64_be
/// (memchr's NEON searches before rustc 1.97, which regex uses; crc32fast, which flate2
/// uses): the only tests allowed to fail, and only there.
const THROUGH_KNOWN_FAULTS: [&str; 3] = [
    "tests::memchr_finds_bytes",
    "tests::regex_finds_the_length",
    "tests::flate2_round_trips_frames",
];

/// The tests the corpus's source declares: every `#[test]` function of `src/tests.rs`, the
/// functions inside its `proptest!` block, and its one doc example.
fn declared_tests() -> BTreeSet<String> {
    let src =
        std::fs::read_to_string(support::repo().join("fixtures/corpus/src/tests.rs")).unwrap();
    let mut names = BTreeSet::new();
    let mut next_is_test = false;
    for line in src.lines().map(str::trim) {
        if line == "#[test]" {
            next_is_test = true;
        } else if let Some(rest) = line.strip_prefix("fn ").filter(|_| next_is_test) {
            let name = rest.split(['(', '<']).next().unwrap();
            names.insert(format!("tests::{name}"));
            next_is_test = false;
        }
    }
    names.insert("src/lib.rs - put_len (line 6)".to_string());
    assert!(names.len() >= 25, "{names:?}");
    names
}

/// Every target builds the corpus and runs every one of its tests; a test passes everywhere
/// or fails only where the table knows a fault of the crate it goes through (then the
/// verdict names the crate and the run does not fail). The table's workarounds reach the
/// targets that need them and only those, and the printed commands run as pasted.
#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one real 16-target run, every assertion on it"
)]
fn the_corpus_builds_and_runs_on_every_target() {
    let manifest = support::repo().join("fixtures/corpus/Cargo.toml");
    let run = support::bele(
        &["test", "--manifest-path", manifest.to_str().unwrap()],
        &[],
        "corpus-all",
    );
    let r = run
        .results
        .as_ref()
        .unwrap_or_else(|| panic!("no results\n{}\n{}", run.stdout, run.stderr));
    let table = bele_targets::Table::builtin();
    assert_eq!(r.targets.len(), table.targets().len());
    let declared = declared_tests();
    let tests = bele::testing::tests_across(r);
    for t in &r.targets {
        assert_eq!(
            t.status,
            TargetStatus::Ran,
            "{}: {:?}\n{}",
            t.triple,
            t.reason,
            run.stdout
        );
        let names: BTreeSet<String> = (t.binaries.iter())
            .flat_map(|b| b.tests.iter().map(|x| x.name.clone()))
            .collect();
        assert_eq!(names, declared, "{}", t.triple);
        for test in t.binaries.iter().flat_map(|b| &b.tests) {
            if test.outcome == Outcome::Passed {
                continue;
            }
            // A failure must be on a target with known faults, and called a dependency's.
            let across = tests.iter().find(|x| x.name == test.name).unwrap();
            assert_eq!(
                across.verdict.id(),
                "dependency-fault",
                "{} on {}: {:?} ({})\n{}",
                test.name,
                t.triple,
                test.outcome,
                across.verdict.label(),
                run.stdout
            );
            assert!(!t.known_faults.is_empty(), "{}", t.triple);
            // And only the tests that go through a faulty crate of the table, where it is.
            assert!(
                t.triple == AARCH64_BE && THROUGH_KNOWN_FAULTS.contains(&test.name.as_str()),
                "{} fails on {}, not through a known fault\n{}",
                test.name,
                t.triple,
                run.stdout
            );
        }
    }
    assert_eq!(run.code, 0, "{}", run.stdout);
    let summary = bele::testing::Findings::of(r).summary;
    assert_eq!(summary.failed, 0, "{}", run.stdout);
    if summary.dependency_faults > 0 {
        let label = tests
            .iter()
            .find(|t| t.verdict.id() == "dependency-fault")
            .unwrap()
            .verdict
            .label();
        assert!(label.contains("not the workspace's code"), "{label}");
        // The matrix marks the excused cells `d`, not `F`.
        let rows: Vec<&str> = (run.stdout.lines())
            .filter(|l| {
                THROUGH_KNOWN_FAULTS
                    .iter()
                    .any(|t| l.starts_with(&format!("fx-corpus {t} ")))
            })
            .collect();
        assert!(!rows.is_empty(), "{}", run.stdout);
        for row in rows {
            assert!(row.contains(" d ") && !row.contains(" F "), "{row}");
        }
        assert!(run.stdout.contains(&label), "{}", run.stdout);
        for format in ["md", "junit", "ktap", "github", "html"] {
            let text = support::report(&run.results_file, format);
            assert!(text.contains("dependency"), "{format}: {text}");
        }
    }
    // The table's crate workarounds go to the targets that have them, for the crates in
    // this graph, and to no other.
    let command = |triple: &str| {
        let t = r.targets.iter().find(|t| t.triple == triple).unwrap();
        t.build.as_ref().unwrap().command.clone()
    };
    for t in table.targets() {
        let wanted: Vec<&str> = (t.crate_flags.iter())
            .flat_map(|c| c.rustflags.iter().map(String::as_str))
            .filter(|f| *f != "--cfg")
            .collect();
        let cmd = command(&t.triple);
        for flag in &wanted {
            assert!(cmd.contains(flag), "{}: {flag} in {cmd}", t.triple);
        }
        if wanted.is_empty() {
            assert!(!cmd.contains("rustix_use_libc"), "{}: {cmd}", t.triple);
        }
    }
    // Every kind of printed command runs as pasted (the zig route's `CC_<triple>` names
    // hold `-`, which a shell cannot assign: `env` sets them).
    let build = command(AARCH64_BE);
    assert!(build.starts_with("env "), "{build}");
    let (code, out) = support::bash(&build);
    assert_eq!(code, Some(0), "{build}\n{out}");
    let repro = |triple: &str, binary: &str, test: &str| {
        let t = r.targets.iter().find(|t| t.triple == triple).unwrap();
        let b = t.binaries.iter().find(|b| b.id == binary).unwrap();
        bele::testing::repro_line(t, b, test, &r.config)
    };
    let line = repro(AARCH64_BE, "fx-corpus", "tests::proptest_round_trips");
    let (code, out) = support::bash(&line);
    assert_eq!(code, Some(0), "{line}\n{out}");
    assert!(
        out.contains("test tests::proptest_round_trips ... ok"),
        "{line}\n{out}"
    );
    let doc = "src/lib.rs - put_len (line 6)";
    let line = repro(ARMEB, "fx-corpus::doc-tests", doc);
    let (code, out) = support::bash(&line);
    assert_eq!(code, Some(0), "{line}\n{out}");
    assert!(out.contains(&format!("test {doc} ... ok")), "{line}\n{out}");
}
