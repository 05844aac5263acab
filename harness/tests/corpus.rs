//! End-to-end test of the compatibility corpus (`fixtures/corpus`: the crates real test
//! suites depend on, with their default features) on every target in the table: real cross
//! builds, real QEMU. Needs every target set up (`bele setup`, which `ci/test.sh` runs).

mod support;

use bele::testing::{Outcome, TargetStatus};
use std::collections::BTreeSet;

const AARCH64_BE: &str = "aarch64_be-unknown-linux-musl";
const ARMEB: &str = "armeb-bele-linux-musleabi";

/// The corpus tests that go through memchr, which the table knows as faulty on aarch64_be
/// and which no version shown right can replace in this graph (regex asks for 2.6 or
/// later): they fail there, and the failures stand. They back the table's memchr entry.
const THROUGH_MEMCHR: [&str; 2] = ["tests::memchr_finds_bytes", "tests::regex_finds_the_length"];

/// The corpus tests that go through crc32fast, also known as faulty on aarch64_be: they fail
/// there and pass with crc32fast 1.4.2 in its place (the causal control), so they are the
/// crate's. They back the table's crc32fast entry and its control version.
const THROUGH_CRC32FAST: [&str; 2] = [
    "tests::crc32fast_hashes_a_frame",
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
/// but on aarch64_be, where the tests through the crates the table knows as faulty fail:
/// those through crc32fast are the crate's, shown by the control the results record; those
/// through memchr stand (no control can be made), with the suspicion beside them, and fail
/// the run. The table's workarounds reach the targets that need them and only those, and
/// the printed commands run as pasted.
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
    let mut failed = BTreeSet::new();
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
            if test.outcome != Outcome::Passed {
                failed.insert((t.triple.as_str(), test.name.as_str()));
            }
        }
    }
    let expected: BTreeSet<(&str, &str)> = (THROUGH_MEMCHR.iter().chain(&THROUGH_CRC32FAST))
        .map(|t| (AARCH64_BE, *t))
        .collect();
    assert_eq!(failed, expected, "{}", run.stdout);
    let across = |name: &str| tests.iter().find(|x| x.name == name).unwrap();
    for name in THROUGH_CRC32FAST {
        let t = across(name);
        assert_eq!(
            t.verdict.id(),
            "dependency-fault",
            "{name}: {}",
            t.verdict.label()
        );
        let label = t.verdict.label();
        assert!(label.contains("crc32fast 1.5.5 (1.4.2 passes)"), "{label}");
    }
    for name in THROUGH_MEMCHR {
        let t = across(name);
        assert_eq!(
            t.verdict.id(),
            "one-target-only",
            "{name}: {}",
            t.verdict.label()
        );
        let notes = t.notes.join("\n");
        assert!(
            notes.contains("no control on aarch64_be with memchr 2.5.0 in place of memchr 2.8.3")
                && notes.contains(
                    "suspect a dependency on aarch64_be: its executable links memchr 2.8.3"
                ),
            "{name}: {notes}"
        );
    }
    let be = r.targets.iter().find(|t| t.triple == AARCH64_BE).unwrap();
    let crc = (r.dependency_controls.iter())
        .find(|c| c.target == AARCH64_BE && c.fault == "crc32fast 1.5.5")
        .expect("the crc32fast control");
    assert_eq!(
        (crc.control.as_str(), crc.error.as_deref()),
        ("1.4.2", None)
    );
    assert!(!be.known_faults.is_empty());
    assert_eq!(
        run.code, 1,
        "the failures through memchr stand\n{}",
        run.stdout
    );
    let summary = bele::testing::Findings::of(r).summary;
    assert_eq!(
        (summary.failed, summary.dependency_faults),
        (THROUGH_MEMCHR.len(), THROUGH_CRC32FAST.len()),
        "{}",
        run.stdout
    );
    // The matrix marks the crate's cells `d`, the rest `F`.
    let row = |name: &str| {
        (run.stdout.lines())
            .find(|l| l.starts_with(&format!("fx-corpus {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}\n{}", run.stdout))
            .to_string()
    };
    for name in THROUGH_CRC32FAST {
        assert!(
            row(name).contains(" d ") && !row(name).contains(" F "),
            "{}",
            row(name)
        );
    }
    for name in THROUGH_MEMCHR {
        assert!(row(name).contains(" F "), "{}", row(name));
    }
    for format in ["md", "junit", "ktap", "github", "html"] {
        let text = support::report(&run.results_file, format);
        for part in ["through a dependency", "suspect a dependency"] {
            assert!(text.contains(part), "{format} lacks {part}: {text}");
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
