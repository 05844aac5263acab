//! End-to-end tests of doc-tests on real targets and of test selection as `cargo test` does
//! it: the real `bele` (and `cargo bele`), real cross builds and QEMU, on the fx-doc fixture.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use bele::testing::tests_across;
use bele::testing::{Outcome, RunResults};
use bele_targets::Endian;
use support::{bele, fixtures, outcome, test_fixture};

const X86_64: &str = "x86_64-unknown-linux-gnu";
const I686: &str = "i686-unknown-linux-gnu";
const PPC: &str = "powerpc-unknown-linux-gnu";
const S390X: &str = "s390x-unknown-linux-gnu";

const BE_ONLY: &str = "doc/src/lib.rs - read_le32 (line 6)";
const CRASHES: &str = "doc/src/lib.rs - give_up (line 35)";

#[test]
fn doc_tests_run_on_every_target_with_their_own_results_and_verdicts() {
    let targets = [X86_64, I686, PPC, S390X];
    let run = test_fixture("fx-doc", &targets, &["--seed", "7"], &[]);
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    for t in &r.targets {
        let docs = t
            .binaries
            .iter()
            .find(|b| b.id == "fx-doc::doc-tests")
            .unwrap_or_else(|| panic!("no doc-tests on {}: {:?}", t.triple, t.binaries));
        assert!(docs.doc.is_some() && docs.executable == Path::new("cargo"));
        let names: BTreeSet<&str> = docs.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            BTreeSet::from([
                "doc/src/lib.rs - give_up (line 35)",
                "doc/src/lib.rs - give_up (line 39)",
                "doc/src/lib.rs - read_be32 (line 15)",
                "doc/src/lib.rs - read_be32 (line 21)",
                BE_ONLY,
            ]),
            "{}",
            t.triple
        );
        // Unit and integration tests run beside them, as under `cargo test`.
        assert_eq!(
            outcome(r, &t.triple, "tests::unit_alpha").outcome,
            Outcome::Passed
        );
        assert_eq!(outcome(r, &t.triple, "wire_alpha").outcome, Outcome::Passed);
        let be = outcome(r, &t.triple, BE_ONLY);
        let expected = if t.endian == Endian::Big {
            Outcome::Failed
        } else {
            Outcome::Passed
        };
        assert_eq!(be.outcome, expected, "{}: {be:?}", t.triple);
        let crash = outcome(r, &t.triple, CRASHES);
        assert_eq!(crash.outcome, Outcome::Crashed, "{}: {crash:?}", t.triple);
        assert_eq!(
            crash.signal_text().as_deref(),
            Some("SIGABRT"),
            "{}",
            t.triple
        );
        assert_eq!(
            outcome(r, &t.triple, "doc/src/lib.rs - read_be32 (line 21)").outcome,
            Outcome::Passed,
            "should_panic example"
        );
        assert_eq!(
            outcome(r, &t.triple, "doc/src/lib.rs - give_up (line 39)").outcome,
            Outcome::Ignored
        );
    }
    let verdict = |name: &str| {
        tests_across(r)
            .into_iter()
            .find(|t| t.name == name)
            .unwrap()
            .verdict
    };
    assert_eq!(verdict(BE_ONLY).label(), "fails on big-endian only");
    assert_eq!(verdict(CRASHES).label(), "fails everywhere");
    assert!(
        run.stdout.contains(&format!("fx-doc::doc-tests {BE_ONLY}")),
        "{}",
        run.stdout
    );

    // The replay line reproduces the big-endian failure, and only there.
    let replay = |triple: &str| {
        let o = bele_replay(&run.results_file, BE_ONLY, triple);
        (o.0, o.1)
    };
    let (code, out) = replay(PPC);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("assertion `left == right` failed") && out.contains("left: 16777216"),
        "{out}"
    );
    let (code, out) = replay(X86_64);
    assert_eq!(code, 0, "{out}");

    // GitHub annotations point at the examples.
    let github = support::report(&run.results_file, "github");
    assert!(
        github
            .lines()
            .any(|l| l.starts_with("::error file=doc/src/lib.rs,line=6,")
                && l.contains("fails on big-endian only")),
        "{github}"
    );
}

#[allow(clippy::disallowed_methods)] // tests run the real binary
fn bele_replay(results: &Path, test: &str, triple: &str) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_bele"))
        .args(["replay", test, "--target", triple, "--results"])
        .arg(results)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// What ran and how: test name to `ok`, `failed` or `ignored`.
type Ran = BTreeSet<(String, &'static str)>;

fn bele_ran(r: &RunResults) -> Ran {
    r.targets[0]
        .binaries
        .iter()
        .flat_map(|b| &b.tests)
        .map(|t| {
            let how = match t.outcome {
                Outcome::Passed => "ok",
                Outcome::Ignored => "ignored",
                _ => "failed",
            };
            (t.name.clone(), how)
        })
        .collect()
}

/// `cargo test` run natively on the fixture with the same selection, from its JSON events.
#[allow(clippy::disallowed_methods)] // tests run the real cargo
fn cargo_ran(cargo_args: &[&str], harness_args: &[&str]) -> Ran {
    let o = Command::new("cargo")
        .args(["test", "--no-fail-fast", "--manifest-path"])
        .arg(fixtures())
        .args(["-p", "fx-doc"])
        .args(cargo_args)
        .args(["--", "-Zunstable-options", "--format", "json"])
        .args(harness_args)
        .env("RUSTC_BOOTSTRAP", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let ran: Ran = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .filter(|v| v["type"] == "test")
        .filter_map(|v| {
            let how = match v["event"].as_str()? {
                "ok" => "ok",
                "failed" => "failed",
                "ignored" => "ignored",
                _ => return None,
            };
            Some((v["name"].as_str()?.to_string(), how))
        })
        .collect();
    assert!(
        !ran.is_empty() || harness_args.contains(&"nothing-matches"),
        "cargo test {cargo_args:?} -- {harness_args:?} ran nothing:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    ran
}

#[test]
fn selection_matches_cargo_test_natively() {
    // (bele's arguments, cargo's, the harness's after `--`)
    let cases: &[(&[&str], &[&str], &[&str])] = &[
        (&[], &[], &[]),
        (&["unit_"], &[], &["unit_"]),
        (&["--skip", "alpha"], &[], &["--skip", "alpha"]),
        (
            &["--", "--skip", "alpha", "beta"],
            &[],
            &["--skip", "alpha", "beta"],
        ),
        (
            &["--exact", "tests::unit_beta"],
            &[],
            &["--exact", "tests::unit_beta"],
        ),
        (&["--test", "wire"], &["--test", "wire"], &[]),
        (
            &["--lib", "--include-ignored"],
            &["--lib"],
            &["--include-ignored"],
        ),
        (&["--lib", "--ignored"], &["--lib"], &["--ignored"]),
        (&["--tests", "--examples"], &["--tests", "--examples"], &[]),
        (&["--doc"], &["--doc"], &[]),
        (&["--doc", "read_"], &["--doc"], &["read_"]),
        (&["--release", "--lib"], &["--release", "--lib"], &[]),
        (
            &["--profile", "checked", "--lib"],
            &["--profile", "checked", "--lib"],
            &[],
        ),
    ];
    let manifest = fixtures();
    for (n, (bele_args, cargo_args, harness_args)) in cases.iter().enumerate() {
        let mut args = vec![
            "test",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "-p",
            "fx-doc",
            "--targets",
            X86_64,
        ];
        // Positional names and `--` come last.
        let (opts, rest): (Vec<&str>, Vec<&str>) = match bele_args.iter().position(|a| *a == "--") {
            Some(i) => (bele_args[..i].to_vec(), bele_args[i..].to_vec()),
            None => (bele_args.to_vec(), Vec::new()),
        };
        args.extend(opts);
        let run = bele(
            &[args.as_slice(), &["--no-probes"], rest.as_slice()].concat(),
            &[],
            &format!("selection-{n}"),
        );
        let r = run
            .results
            .as_ref()
            .unwrap_or_else(|| panic!("{bele_args:?}: no results\n{}", run.stderr));
        assert_eq!(
            bele_ran(r),
            cargo_ran(cargo_args, harness_args),
            "bele test {bele_args:?} against cargo test {cargo_args:?} -- {harness_args:?}"
        );
        if bele_args.contains(&"--release") {
            let exe = &r.targets[0].binaries[0].executable;
            assert!(exe.to_string_lossy().contains("/release/"), "{exe:?}");
            assert_eq!(r.config.profile.as_deref(), Some("release"));
        }
    }
}

#[test]
fn bad_selections_are_refused_with_the_fix() {
    let manifest = fixtures();
    let m = manifest.to_str().unwrap();
    let run = bele(
        &[
            "test",
            "--manifest-path",
            m,
            "-p",
            "fx-doc",
            "--test",
            "nope",
            "--targets",
            X86_64,
        ],
        &[],
        "bad-test-name",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--test nope: no integration test of that name in fx-doc"),
        "{}",
        run.stderr
    );
    let run = bele(
        &[
            "test",
            "--manifest-path",
            m,
            "-p",
            "fake-qemu",
            "--doc",
            "--targets",
            X86_64,
        ],
        &[],
        "doc-without-lib",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--doc: none of fake-qemu has a library with doc-tests"),
        "{}",
        run.stderr
    );
    let run = bele(
        &[
            "test",
            "--manifest-path",
            m,
            "--exclude",
            "fx-doc",
            "--targets",
            X86_64,
        ],
        &[],
        "exclude-without-workspace",
    );
    assert_eq!(
        run.code, 2,
        "clap requires --workspace with --exclude: {}",
        run.stderr
    );
    let run = bele(
        &[
            "test",
            "--manifest-path",
            m,
            "-p",
            "fx-doc",
            "--targets",
            X86_64,
            "--",
            "--nocapture",
        ],
        &[],
        "unknown-harness-arg",
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`-- --nocapture`"), "{}", run.stderr);
}

#[test]
fn a_slow_test_is_reported_while_it_runs() {
    // fx-hang's test sleeps until killed: past the 1 s threshold, before the 4 s timeout.
    let run = test_fixture(
        "fx-hang",
        &[X86_64],
        &["--slow", "1", "--timeout", "4"],
        &[],
    );
    let slow: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("SLOW"))
        .collect();
    assert!(
        slow.iter()
            .any(|l| l.contains(X86_64) && l.contains("fx-hang tests::hangs (running for ")),
        "no SLOW line in plain output:\n{}",
        run.stderr
    );
    assert!(
        slow.iter().all(|l| l.contains("tests::hangs")),
        "only the hanging test is slow: {slow:?}"
    );
    let r = run.results.as_ref().unwrap();
    assert_eq!(
        outcome(r, X86_64, "tests::hangs").outcome,
        Outcome::TimedOut
    );
}
