//! End-to-end tests: the real `bele` binary, real cross builds, real QEMU, on the fixture
//! crates with known outcomes. Needs the targets set up (`bele setup --targets
//! x86_64-unknown-linux-gnu,i686-unknown-linux-gnu,mips-unknown-linux-gnu,powerpc-unknown-linux-gnu,powerpc64-unknown-linux-gnu,s390x-unknown-linux-gnu,sparc64-unknown-linux-gnu`,
//! which `ci/test.sh` runs); a missing target fails these tests with the reason.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use bele::testing::{tests_across, Verdict};
use bele::testing::{Outcome, RunResults, TargetStatus, SCHEMA_VERSION};
use support::{bele, fixtures, outcome, repo, scratch, test_fixture, Run};

const X86_64: &str = "x86_64-unknown-linux-gnu";
const I686: &str = "i686-unknown-linux-gnu";
const PPC: &str = "powerpc-unknown-linux-gnu";
const PPC64: &str = "powerpc64-unknown-linux-gnu";
const S390X: &str = "s390x-unknown-linux-gnu";
const MIPS: &str = "mips-unknown-linux-gnu";
const SPARC64: &str = "sparc64-unknown-linux-gnu";

fn verdict_of(results: &RunResults, test: &str) -> Verdict {
    tests_across(results)
        .into_iter()
        .find(|t| t.name == test)
        .unwrap()
        .verdict
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one real run (cross builds, QEMU) and every assertion on it: split, each part would pay for the run again"
)]
fn big_endian_only_failure_is_reported_on_the_big_endian_targets() {
    let junit = scratch("endian-junit.xml");
    let ktap = scratch("endian.ktap");
    let reports = [
        format!("junit={}", junit.display()),
        format!("ktap={}", ktap.display()),
    ];
    let run = test_fixture(
        "fx-endian",
        &[X86_64, I686, PPC, S390X],
        &[
            "--seed",
            "12345",
            "--report",
            &reports[0],
            "--report",
            &reports[1],
        ],
        &[],
    );
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 1, "a failing test exits 1\n{}", run.stdout);
    assert_eq!(r.schema_version, SCHEMA_VERSION);
    for triple in [X86_64, I686] {
        assert_eq!(
            outcome(r, triple, "tests::buggy_decode_reads_wire_order").outcome,
            Outcome::Passed,
            "{triple}"
        );
    }
    for triple in [PPC, S390X] {
        let res = outcome(r, triple, "tests::buggy_decode_reads_wire_order");
        assert_eq!(res.outcome, Outcome::Failed, "{triple}");
        assert!(
            res.output
                .as_deref()
                .unwrap()
                .contains("native-order decode of a little-endian field"),
            "{res:?}"
        );
    }
    for triple in [X86_64, I686, PPC, S390X] {
        assert_eq!(
            outcome(r, triple, "tests::portable_decode_reads_wire_order").outcome,
            Outcome::Passed
        );
        assert_eq!(
            outcome(r, triple, "round_trip_through_the_wire").outcome,
            Outcome::Passed
        );
        let ignored = outcome(r, triple, "tests::on_hardware_only");
        assert_eq!(ignored.outcome, Outcome::Ignored);
        assert_eq!(ignored.output.as_deref(), Some("needs real hardware"));
        let t = r.targets.iter().find(|t| t.triple == triple).unwrap();
        assert_eq!(t.binaries.len(), 2, "lib and integration test executables");
        assert_eq!(t.std.map(bele::testing::StdUsed::label), Some("prebuilt"));
        if triple == X86_64 {
            assert_eq!(t.runner.as_str(), "native");
        } else {
            assert!(
                t.qemu_version
                    .as_deref()
                    .is_some_and(|v| v.starts_with(char::is_numeric)),
                "{t:?}"
            );
        }
    }
    assert_eq!(
        verdict_of(r, "tests::buggy_decode_reads_wire_order").id(),
        "big-endian-only"
    );
    assert!(
        run.stdout.contains("fails on big-endian only"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("repro (powerpc-unknown-linux-gnu): cd "),
        "{}",
        run.stdout
    );
    assert_eq!(r.config.seed, 12345);
    // The commit is asked beside the builds and lands in the results all the same.
    let in_git = repo().join(".git").exists();
    assert_eq!(r.workspace.commit.is_some(), in_git, "{:?}", r.workspace);
    assert!(
        run.stdout.contains(
            "PROPTEST_RNG_SEED=12345 PROPTEST_RNG_ALGORITHM=xs qemu-ppc -L /usr/powerpc-linux-gnu "
        ),
        "{}",
        run.stdout
    );
    // Reports written at the end of the run, and rendered again from the saved file.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<testcase name="tests::buggy_decode_reads_wire_order [powerpc]""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<failure message="failed: fails on big-endian only""#),
        "{xml}"
    );
    let k = std::fs::read_to_string(&ktap).unwrap();
    assert!(k.starts_with("KTAP version 1\n"), "{k}");
    assert!(
        k.contains("        not ok 1 tests::buggy_decode_reads_wire_order\n"),
        "{k}"
    );
    assert!(
        k.contains("        ok 2 tests::on_hardware_only # SKIP needs real hardware\n"),
        "{k}"
    );
    let saved = &run.results_file;
    let md = support::report(saved, "md");
    assert!(md.contains("### fails on big-endian only (1)"), "{md}");
    assert!(
        md.contains("replay on `powerpc-unknown-linux-gnu`: `cd "),
        "{md}"
    );
    // The replay reproduces the failure on that target alone, with the run's seed.
    #[allow(clippy::disallowed_methods)]
    let replay = Command::new(env!("CARGO_BIN_EXE_bele"))
        .args([
            "replay",
            "tests::buggy_decode_reads_wire_order",
            "--target",
            PPC,
            "--results",
        ])
        .arg(saved)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&replay.stdout);
    assert_eq!(replay.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with("replaying: cd ")
            && text.contains("PROPTEST_RNG_SEED=12345 PROPTEST_RNG_ALGORITHM=xs qemu-ppc -L"),
        "{text}"
    );
    assert!(
        text.contains("native-order decode of a little-endian field"),
        "{text}"
    );
}

#[test]
fn crashes_are_classified_and_cost_no_sibling_its_result() {
    let run = test_fixture("fx-crash", &[X86_64, I686, SPARC64], &[], &[]);
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 1);
    for triple in [X86_64, I686, SPARC64] {
        for sibling in [
            "tests::a_passes_before",
            "tests::b_passes_between",
            "tests::z_passes_after",
        ] {
            assert_eq!(
                outcome(r, triple, sibling).outcome,
                Outcome::Passed,
                "{sibling} on {triple}"
            );
        }
        let aborts = outcome(r, triple, "tests::aborts");
        assert_eq!(
            (aborts.outcome, aborts.signal_text().as_deref()),
            (Outcome::Crashed, Some("SIGABRT")),
            "{triple}"
        );
        assert!(
            aborts.output.as_deref().unwrap().contains("about to abort"),
            "the crashing test's own output is kept: {aborts:?}"
        );
        let segv = outcome(r, triple, "tests::segfaults");
        assert_eq!(
            (segv.outcome, segv.signal_text().as_deref()),
            (Outcome::Crashed, Some("SIGSEGV")),
            "{triple}"
        );
    }
    // A real misaligned load: tolerated by x86, a bus error on SPARC.
    let bus = outcome(r, SPARC64, "tests::misaligned_load");
    assert_eq!(
        (bus.outcome, bus.signal_text().as_deref()),
        (Outcome::Crashed, Some("SIGBUS"))
    );
    assert_eq!(
        outcome(r, X86_64, "tests::misaligned_load").outcome,
        Outcome::Passed
    );
    assert_eq!(
        outcome(r, I686, "tests::misaligned_load").outcome,
        Outcome::Passed
    );
    let sparc = r.targets.iter().find(|t| t.triple == SPARC64).unwrap();
    assert_eq!(
        sparc.std.map(bele::testing::StdUsed::label),
        Some("std-cache"),
        "rustup serves no sparc64 std here: it comes from bele's std cache"
    );
    assert!(
        run.stdout.contains("sparc64 (crashed: SIGBUS)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        verdict_of(r, "tests::misaligned_load").label(),
        "fails where misaligned loads trap (sparc64; equally: on big-endian)"
    );
}

#[test]
fn a_hung_test_times_out_and_the_run_goes_on() {
    let run = test_fixture("fx-hang", &[X86_64, PPC], &["--timeout", "5"], &[]);
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 1);
    for triple in [X86_64, PPC] {
        let hung = outcome(r, triple, "tests::hangs");
        assert_eq!(hung.outcome, Outcome::TimedOut, "{triple}");
        assert!(hung.duration_ms >= 5000, "{hung:?}");
        assert_eq!(
            outcome(r, triple, "tests::a_passes_before").outcome,
            Outcome::Passed
        );
        assert_eq!(
            outcome(r, triple, "tests::z_passes_after").outcome,
            Outcome::Passed
        );
    }
    // Killed with its children: no process of the hung executable is left behind. A
    // process bele left would be an orphan (its parent, bele, is gone), which tells it from
    // the one `an_interrupted_run_saves_what_it_knows` runs at the same time; one still
    // ending when bele ended is gone a moment later.
    let orphans = || -> Vec<String> {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| {
                let dir = e.ok()?.path();
                let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
                // The parent's pid is the second field after the command in parentheses.
                let ppid = stat.rsplit_once(") ")?.1.split(' ').nth(1)?.to_string();
                let cmdline = std::fs::read(dir.join("cmdline")).ok()?;
                Some((ppid, String::from_utf8_lossy(&cmdline).replace('\0', " ")))
            })
            .filter(|(ppid, c)| ppid == "1" && c.contains("fx_hang-"))
            .map(|(_, c)| c)
            .collect()
    };
    let mut leftovers = orphans();
    for _ in 0..20 {
        if leftovers.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        leftovers = orphans();
    }
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_build_failure_on_32_bit_leaves_the_others_running_and_is_explained() {
    let run = test_fixture("fx-buildfail", &[X86_64, I686, PPC, PPC64], &[], &[]);
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 1, "a build failure exits 1");
    for triple in [I686, PPC] {
        let t = r.targets.iter().find(|t| t.triple == triple).unwrap();
        assert_eq!(t.status, TargetStatus::BuildFailed, "{triple}");
        let build = t.build.as_ref().unwrap();
        assert!(!build.success);
        assert!(
            build
                .log_tail
                .as_deref()
                .unwrap()
                .contains("attempt to shift left by `33_i32`, which would overflow"),
            "{build:?}"
        );
        assert!(
            build.command.contains(&format!("--target {triple}")),
            "{}",
            build.command
        );
    }
    for triple in [X86_64, PPC64] {
        assert_eq!(
            outcome(r, triple, "tests::builds_and_passes_elsewhere").outcome,
            Outcome::Passed
        );
    }
    // Named by the trait that explains it, in the summary, the closing line, every report.
    let label = "build fails on 32-bit only";
    assert!(
        run.stdout.contains(&format!("{label}: {I686}, {PPC}\n")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with(&format!(
            "bele: 2 passed, 0 failed, 0 skipped, 2 targets failed to build ({label})\nresults: {}\n",
            run.results_file.display()
        )),
        "{}",
        run.stdout
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run.results_file).unwrap()).unwrap();
    assert_eq!(doc["build"]["verdict"], "32-bit-only");
    assert_eq!(doc["build"]["failed"], serde_json::json!([I686, PPC]));
    let xml = support::report(&run.results_file, "junit");
    assert!(
        xml.contains(&format!(
            "<error message=\"{label}\" type=\"build-failed\">"
        )),
        "{xml}"
    );
    let ktap = support::report(&run.results_file, "ktap");
    assert!(
        ktap.contains(&format!(
            "# verdict: {label}\nnot ok 2 {I686} # ERROR build failed\n"
        )),
        "{ktap}"
    );
    let md = support::report(&run.results_file, "md");
    assert!(
        md.contains(&format!("### {label}\n\n- `{I686}`, `{PPC}`")),
        "{md}"
    );
    let html = support::report(&run.results_file, "html");
    assert!(
        html.contains(&format!("<h2 id=\"builds\">{label}</h2>")),
        "{html}"
    );
    // The first screen names the build verdict, linking to it.
    assert!(
        html.contains(&format!("<a href=\"#builds\"><b>{label}</b></a>")),
        "{html}"
    );
}

/// Failing sets that byte order or width alone do not explain get the trait that does.
#[test]
fn trait_verdicts_name_u64_alignment_and_big_endian_32_bit() {
    let run = test_fixture("fx-traits", &[X86_64, I686, MIPS, PPC, S390X], &[], &[]);
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 1);
    let layout = verdict_of(r, "tests::descriptor_has_the_device_layout");
    assert_eq!(layout.id(), "u64-align-4-only");
    assert_eq!(layout.label(), "fails where u64 aligns to 4 (i686)");
    let counter = verdict_of(r, "tests::counter_reads_little_endian");
    assert_eq!(counter.id(), "big-endian+32-bit-only");
    assert_eq!(
        counter.label(),
        "fails on big-endian 32-bit only (mips, powerpc)"
    );
    for label in [layout.label(), counter.label()] {
        assert!(
            run.stdout.contains(&format!("\n{label}\n")),
            "{}",
            run.stdout
        );
        let md = support::report(&run.results_file, "md");
        assert!(md.contains(&format!("### {label} (1)")), "{md}");
        let xml = support::report(&run.results_file, "junit");
        assert!(xml.contains(&format!("verdict: {label}")), "{xml}");
    }
    let mips = r.targets.iter().find(|t| t.triple == MIPS).unwrap();
    assert_eq!(
        mips.std.map(bele::testing::StdUsed::label),
        Some("std-cache")
    );
}

/// Builds the fake QEMU once and returns its directory, to put first on PATH.
fn fake_qemu_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        #[allow(clippy::disallowed_methods)]
        let status = Command::new("cargo")
            .args(["build", "-q", "-p", "fake-qemu", "--manifest-path"])
            .arg(fixtures())
            .status()
            .unwrap();
        assert!(status.success());
        repo().join("fixtures/target/debug")
    })
    .clone()
}

/// A table where x86_64 runs under the fake QEMU and i686 under the real one.
fn fault_table() -> PathBuf {
    let real = bele_targets::Table::builtin();
    let i686 = real.get(I686).unwrap();
    let text = format!(
        r#"
[[target]]
triple = "{X86_64}"
arch = "x86"
endian = "little"
pointer_width = 64
qemu = "qemu-fake"
libc = "glibc"
linker = "x86_64-linux-gnu-gcc"
sysroot = "/"
packages = ["gcc"]
std = "prebuilt"
tier = 1
u64_align = 8
c_char = "signed"
strict_align = false
atomic64 = true

[[target]]
triple = "{I686}"
arch = "x86"
endian = "little"
pointer_width = 32
qemu = "{}"
libc = "glibc"
linker = "{}"
sysroot = "{}"
packages = ["qemu-user"]
std = "prebuilt"
tier = 1
u64_align = 4
c_char = "signed"
strict_align = false
atomic64 = true
"#,
        i686.qemu,
        i686.linker.as_deref().unwrap(),
        i686.qemu_sysroot().unwrap().display()
    );
    let path = scratch("fault-table.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn with_fake(mode: &'static str, timeout: &str, name: &str) -> Run {
    let path = format!(
        "{}:{}",
        fake_qemu_dir().display(),
        std::env::var("PATH").unwrap()
    );
    let table = fault_table();
    let manifest = fixtures();
    let run = bele(
        &[
            "test",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "-p",
            "fx-endian",
            "--targets",
            "all",
            "--target-table",
            table.to_str().unwrap(),
            "--timeout",
            timeout,
        ],
        &[("PATH", &path), ("BELE_FAKE_QEMU", mode)],
        name,
    );
    support::check_machine_reports(&run.results_file);
    run
}

#[test]
fn fault_an_emulator_dying_at_start_fails_its_target_only() {
    let run = with_fake("die-at-start", "30", "fault-die");
    let r = run.results.unwrap();
    assert_eq!(run.code, 1);
    let fake = r.targets.iter().find(|t| t.triple == X86_64).unwrap();
    for b in &fake.binaries {
        let err = b.error.as_deref().unwrap_or_else(|| panic!("{b:?}"));
        assert!(
            err.contains("listing the tests failed with signal 6 (SIGABRT)"),
            "{err}"
        );
    }
    // The real target in the same run is untouched.
    assert_eq!(
        outcome(&r, I686, "tests::portable_decode_reads_wire_order").outcome,
        Outcome::Passed
    );
    assert_eq!(
        outcome(&r, I686, "round_trip_through_the_wire").outcome,
        Outcome::Passed
    );
}

#[test]
fn fault_garbage_around_libtest_output_is_tolerated() {
    let run = with_fake("garbage", "30", "fault-garbage");
    let r = run.results.unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        outcome(&r, X86_64, "tests::buggy_decode_reads_wire_order").outcome,
        Outcome::Passed
    );
    assert_eq!(
        outcome(&r, X86_64, "tests::on_hardware_only").outcome,
        Outcome::Ignored
    );
    assert_eq!(r.targets[0].counts().passed, 4);
}

#[test]
fn fault_an_emulator_that_hangs_silently_is_killed() {
    let run = with_fake("hang-after-list", "3", "fault-hang");
    let r = run.results.unwrap();
    assert_eq!(run.code, 1);
    let fake = r.targets.iter().find(|t| t.triple == X86_64).unwrap();
    let c = fake.counts();
    assert_eq!((c.timed_out, c.total()), (5, 5), "{fake:#?}");
    assert_eq!(
        outcome(&r, I686, "round_trip_through_the_wire").outcome,
        Outcome::Passed
    );
}

#[test]
fn bad_arguments_exit_2_with_the_fix() {
    let manifest = fixtures();
    let m = manifest.to_str().unwrap();
    let run = bele(
        &["test", "--manifest-path", m, "--targets", "be,m68k"],
        &[],
        "bad-targets",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown target or selector `m68k`"),
        "{}",
        run.stderr
    );
    let run = bele(
        &["test", "--manifest-path", m, "-p", "nope"],
        &[],
        "bad-package",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("package `nope` is not a member"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("fx-endian"), "{}", run.stderr);
    let table = scratch("bad-table.toml");
    std::fs::write(&table, "[[target]]\ntriple = \"x\"\nendian = \"middle\"\n").unwrap();
    let run = bele(
        &[
            "test",
            "--manifest-path",
            m,
            "--target-table",
            table.to_str().unwrap(),
        ],
        &[],
        "bad-table",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("bad-table.toml") && run.stderr.contains("line 3"),
        "{}",
        run.stderr
    );
    assert!(
        run.results.is_none(),
        "no results file for a run that never started"
    );
}

#[test]
#[allow(clippy::disallowed_methods)]
fn targets_lists_the_table_and_the_state_of_this_machine() {
    let o = Command::new(env!("CARGO_BIN_EXE_bele"))
        .args(["targets", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    for t in bele_targets::Table::builtin().targets() {
        assert!(
            text.contains(&t.triple),
            "{} missing from\n{text}",
            t.triple
        );
    }
    assert!(text.contains("native"), "{text}");
}

/// The lines `child` writes to its piped stderr, up to and with the first `done` says is
/// the one to wait for (all of them if it never comes).
fn stderr_until(child: &mut std::process::Child, done: impl Fn(&str) -> bool) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if done(&line) {
            break;
        }
    }
    seen
}

/// Ctrl-C in the middle of a hung test: bele kills the test, saves what it knows (the test
/// that passed before the hang keeps its result), marks the rest not run, and exits 130.
#[test]
#[allow(clippy::disallowed_methods)]
fn an_interrupted_run_saves_what_it_knows() {
    let out = scratch("interrupted.json");
    let _ = std::fs::remove_file(&out);
    let manifest = fixtures();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bele"))
        .args([
            "test",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "-p",
            "fx-hang",
            "--timeout",
            "600",
            "--slow",
            "1",
        ])
        .args(["--targets", X86_64, "--color", "never", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // bele's own word that the hanging test is running (after 1 s, `--slow 1`): the test
    // before it has passed, the hang is reached.
    let seen = stderr_until(&mut child, |line| {
        line.starts_with("SLOW") && line.contains("tests::hangs")
    });
    assert!(
        seen.last().is_some_and(|l| l.starts_with("SLOW")),
        "no SLOW line for the hanging test: {seen:?}"
    );
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130), "{seen:?}");
    let r = RunResults::load(&out).unwrap();
    assert_eq!(r.state, bele::testing::RunState::Interrupted);
    assert_eq!(r.targets[0].status, TargetStatus::Interrupted);
    assert_eq!(
        outcome(&r, X86_64, "tests::a_passes_before").outcome,
        Outcome::Passed
    );
    let hung = outcome(&r, X86_64, "tests::hangs");
    assert_eq!(hung.outcome, Outcome::NotRun);
    assert!(
        hung.output.as_deref().unwrap().contains("interrupted"),
        "{hung:?}"
    );
    support::check_machine_reports(&out);
}

/// Ctrl-C while a target builds reaches cargo as well as bele (the terminal signals the
/// whole foreground process group): the build was cut short, not failed. The target is
/// interrupted, with no build verdict, and bele exits 130.
#[test]
#[allow(clippy::disallowed_methods)]
fn ctrl_c_during_a_build_is_an_interruption_not_a_build_failure() {
    use std::os::unix::process::CommandExt;
    let dir = support::scratch_crate("slowbuild", false);
    // A build script that takes long enough to be interrupted in.
    std::fs::write(
        dir.join("build.rs"),
        "fn main() {\n    std::thread::sleep(std::time::Duration::from_secs(120));\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), "//! Builds slowly.\n").unwrap();
    let out = scratch("interrupted-build.json");
    let _ = std::fs::remove_file(&out);
    let mut child = Command::new(env!("CARGO_BIN_EXE_bele"))
        .args(["test", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .args([
            "--targets",
            X86_64,
            "--color",
            "never",
            "--no-layouts",
            "--out",
        ])
        .arg(&out)
        .process_group(0)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let seen = stderr_until(&mut child, |line| line.starts_with("building"));
    // cargo has started; give it time to reach the build script.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let group = format!("-{}", child.id());
    let status = Command::new("kill")
        .args(["-INT", "--", &group])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130), "{seen:?}");
    let r = RunResults::load(&out).unwrap();
    assert_eq!(r.state, bele::testing::RunState::Interrupted);
    let t = &r.targets[0];
    assert_eq!(t.status, TargetStatus::Interrupted, "{:?}", t.reason);
    assert!(
        t.reason
            .as_deref()
            .unwrap()
            .contains("interrupted during this target's build"),
        "{:?}",
        t.reason
    );
    let found = bele::testing::Findings::of(&r);
    assert!(found.build.is_none(), "no build verdict: {:?}", found.build);
    assert_eq!(found.summary.build_failed, 0);
}

/// `--qemu sid` runs a whole run under Debian unstable's QEMU (fetched into bele's cache):
/// the results and the replay lines name it, and a test that only QEMU 7.2 fails passes.
/// A `--qemu` that is not a directory is refused with the value and the fix.
#[test]
fn a_run_can_be_pinned_to_another_qemu() {
    const CPUINFO: &str = "tests::proc_cpuinfo_names_the_cpu";
    let run = test_fixture(
        "fx-emulator",
        &[S390X],
        &["--qemu", "sid", "--exact", CPUINFO],
        &[],
    );
    let r = run
        .results
        .as_ref()
        .unwrap_or_else(|| panic!("{}\n{}", run.stdout, run.stderr));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let t = &r.targets[0];
    let bele::testing::RunnerName::Emulator(binary) = &t.runner else {
        panic!("{:?}", t.runner)
    };
    assert!(
        binary.ends_with("/usr/bin/qemu-s390x") && binary.contains("qemu-sid"),
        "{binary}"
    );
    let version = t.qemu_version.as_deref().unwrap();
    assert!(!version.starts_with("7."), "{version}");
    assert_eq!(outcome(r, S390X, CPUINFO).outcome, Outcome::Passed);
    assert_eq!(t.runner_prefix[0], *binary);
    let manifest = fixtures();
    let run = bele(
        &[
            "test",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "-p",
            "fx-emulator",
            "--targets",
            S390X,
            "--qemu",
            "/nonexistent/qemu",
        ],
        &[],
        "qemu-not-a-dir",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--qemu /nonexistent/qemu: /nonexistent/qemu is not a directory"),
        "{}",
        run.stderr
    );
}

/// proptest 1.5.0 reads no `PROPTEST_RNG_SEED` (it says so in the failure's output): the
/// repro line of its failure says it is not seeded, and still runs as pasted.
#[test]
fn a_repro_line_says_when_proptest_ignores_the_seed() {
    let dir = support::scratch_crate("proptest-150", false);
    support::add_to_manifest(&dir, "[dev-dependencies]\nproptest = \"=1.5.0\"\n");
    std::fs::write(
        dir.join("src/lib.rs"),
        "//! A wire length read in native order, checked by proptest 1.5.0.\n\
         #[cfg(test)]\nmod tests {\n    proptest::proptest! {\n        #[test]\n        \
         fn lengths_round_trip(n in 1u32..) {\n            \
         proptest::prop_assert_eq!(u32::from_ne_bytes(n.to_le_bytes()), n);\n        }\n    }\n}\n",
    )
    .unwrap();
    let targets = [X86_64, S390X].join(",");
    let run = support::bele_on(&dir, &targets, &["--no-layouts"], &[], "proptest-150");
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let r = run.results.as_ref().unwrap();
    const TEST: &str = "tests::lengths_round_trip";
    let failed = outcome(r, S390X, TEST);
    assert!(
        failed
            .output
            .as_deref()
            .unwrap_or_default()
            .contains("Ignoring unknown env-var PROPTEST_RNG_SEED"),
        "{failed:?}"
    );
    let line = (run.stdout.lines())
        .find(|l| l.trim_start().starts_with("repro (s390x"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(
        line.contains("# not seeded: this proptest ignores PROPTEST_RNG_SEED"),
        "{line}"
    );
    let (_, pasted) = line.split_once("): ").unwrap();
    let (code, out) = support::bash(pasted);
    assert_eq!(code, Some(101), "{pasted}\n{out}");
}

/// Two CI shards merged back give the unsharded run's results: same tests, same outcomes.
#[test]
fn sharded_runs_merge_back_into_the_unsharded_run() {
    let targets = [X86_64, I686, PPC, S390X];
    let extra = |shard: &'static str| ["--seed", "99", "--shard", shard];
    let whole = test_fixture("fx-endian", &targets, &["--seed", "99"], &[])
        .results
        .unwrap();
    let s1 = scratch("shard-1.json");
    let one = test_fixture("fx-endian", &targets, &extra("1/2"), &[]);
    assert_eq!(one.results.as_ref().unwrap().targets.len(), 2);
    std::fs::copy(&one.results_file, &s1).unwrap();
    let two = test_fixture("fx-endian", &targets, &extra("2/2"), &[]);
    assert_eq!(two.results.as_ref().unwrap().targets.len(), 2);
    let s2 = two.results_file.clone();
    let merged = scratch("merged.json");
    #[allow(clippy::disallowed_methods)]
    let o = Command::new(env!("CARGO_BIN_EXE_bele"))
        .arg("merge")
        .arg(&s1)
        .arg(&s2)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "the merged run has the big-endian failure: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let merged = RunResults::load(&merged).unwrap();
    let outcomes = |r: &RunResults| -> Vec<(String, String, String, Outcome)> {
        r.targets
            .iter()
            .flat_map(|t| {
                t.binaries.iter().flat_map(move |b| {
                    b.tests
                        .iter()
                        .map(move |x| (t.triple.clone(), b.id.clone(), x.name.clone(), x.outcome))
                })
            })
            .collect()
    };
    assert_eq!(outcomes(&merged), outcomes(&whole));
    assert_eq!(merged.config.seed, 99);
    // Merging a shard with itself is refused.
    #[allow(clippy::disallowed_methods)]
    let o = Command::new(env!("CARGO_BIN_EXE_bele"))
        .arg("merge")
        .arg(&s1)
        .arg(&s1)
        .arg("--out")
        .arg(scratch("x.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("shards must not overlap"));
}

/// The HTML report in a real headless Chromium: it renders, a test name holding a script is
/// shown as text (no script runs), and the filters hide what they should.
#[test]
#[allow(clippy::disallowed_methods)]
fn html_report_renders_in_headless_chromium() {
    let run = test_fixture("fx-endian", &[X86_64, S390X], &[], &[]);
    let mut r = run.results.unwrap();
    let evil = "<script>document.title='pwned'</script>";
    for t in r
        .targets
        .iter_mut()
        .flat_map(|t| t.binaries.iter_mut())
        .flat_map(|b| b.tests.iter_mut())
    {
        if t.name == "tests::portable_decode_reads_wire_order" {
            t.name = evil.into();
        }
    }
    // A second verdict group for the filter to hide: little-endian only, on x86_64.
    let x86 = r.targets.iter_mut().find(|t| t.triple == X86_64).unwrap();
    let lone = x86
        .binaries
        .iter_mut()
        .flat_map(|b| b.tests.iter_mut())
        .find(|t| t.name == "round_trip_through_the_wire")
        .unwrap();
    lone.outcome = Outcome::Failed;
    let json = scratch("evil.json");
    bele::testing::save_json(&r, &json).unwrap();
    let html = scratch("report.html");
    let o = Command::new(env!("CARGO_BIN_EXE_bele"))
        .arg("report")
        .arg(&json)
        .args(["--format", "html", "--out"])
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let chromium = |extra: &[&str], fragment: &str| support::chromium(&html, extra, fragment);
    let dom = chromium(&["--dump-dom"], "");
    assert!(dom.contains("<title>bele "), "{dom}");
    assert!(
        !dom.contains("pwned</title>"),
        "a script from a test name ran"
    );
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "{dom}"
    );
    assert_eq!(dom.matches("<tr data-verdict=").count(), 5, "{dom}");
    let groups = dom
        .find(">fails on big-endian only (1)</h3>")
        .zip(dom.find(">fails on little-endian only (1)</h3>"));
    assert!(
        groups.is_some_and(|(be, one)| be < one),
        "failure details grouped by verdict, byte-order first: {dom}"
    );
    // Only the big-endian failure stays visible with that verdict filter.
    let filtered = chromium(&["--dump-dom"], "#verdict=fails-on-big-endian-only");
    let visible = filtered
        .matches("<tr data-verdict=\"fails-on-big-endian-only\">")
        .count();
    let hidden_rows = filtered
        .split("<tr ")
        .skip(1)
        .filter(|tr| tr[..tr.find('>').unwrap()].contains("class=\"hidden\""))
        .count();
    assert_eq!(visible, 1, "{filtered}");
    assert_eq!(hidden_rows, 4, "{filtered}");
    // The failure details follow the filter: only the big-endian group stays.
    let shown_groups: Vec<&str> = filtered
        .split("<h3 class=\"group")
        .skip(1)
        .map(|h| &h[..h.find('>').unwrap()])
        .filter(|tag| !tag.contains("hidden"))
        .filter_map(|tag| tag.split("data-verdict=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(shown_groups, ["fails-on-big-endian-only"], "{filtered}");
    let shot = scratch("report.png");
    chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,900",
        ],
        "",
    );
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "the screenshot shows a rendered page"
    );
}

/// The HTML report's first screen is the answer: for a 16-target run with failures, at
/// 1400x900 the verdict groups and the grid are in view, nothing scrolls sideways, and every
/// link of the grid and the groups leads to details on the page. The run is fx-endian's on
/// x86_64 and s390x, its results given to every target of the table by byte order (each
/// with its own traits), as a full run's would be.
#[test]
fn the_html_first_screen_holds_the_answer_for_16_targets() {
    let run = test_fixture("fx-endian", &[X86_64, S390X], &[], &[]);
    let mut r = run.results.unwrap();
    let (le, be) = (r.targets[0].clone(), r.targets[1].clone());
    assert!(
        be.counts().failures() > 0,
        "fx-endian fails on big-endian: {be:?}"
    );
    let table = bele_targets::Table::builtin();
    r.targets = (table.targets().iter())
        .map(|t| {
            let mut x = if t.endian == bele_targets::Endian::Big {
                be.clone()
            } else {
                le.clone()
            };
            x.triple = t.triple.clone();
            (x.arch, x.endian, x.pointer_width) = (t.arch, t.endian, t.pointer_width);
            (x.u64_align, x.c_char) = (t.u64_align, t.c_char);
            (x.strict_align, x.atomic64) = (t.strict_align, t.atomic64);
            x
        })
        .collect();
    assert_eq!(r.targets.len(), 16);
    let json = scratch("sixteen.json");
    bele::testing::save_json(&r, &json).unwrap();
    let html = scratch("sixteen.html");
    std::fs::write(&html, support::report(&json, "html")).unwrap();
    let m = support::first_screen(&html, 1400, 900);
    assert_eq!(m["width"], 1400, "{m}");
    let (width, height) = (m["width"].as_f64().unwrap(), m["height"].as_f64().unwrap());
    assert!(
        m["scroll_width"].as_f64().unwrap() <= width,
        "a horizontal scroll bar: {m}"
    );
    for part in ["groups", "grid"] {
        let b = &m[part];
        assert!(b.is_object(), "no #{part}: {m}");
        assert!(
            b["bottom"].as_f64().unwrap() <= height && b["right"].as_f64().unwrap() <= width,
            "#{part} is not inside the first screen: {m}"
        );
    }
    // A grid of symbol cells stays compact: one row per failing test, a folded row, the
    // targets' names.
    let grid = &m["grid"];
    assert!(
        grid["bottom"].as_f64().unwrap() - grid["top"].as_f64().unwrap() < 400.0,
        "{m}"
    );
    let failing = tests_across(&r).iter().filter(|t| t.has_failure()).count();
    assert!(
        m["cells"].as_u64().unwrap() >= 16 * failing as u64,
        "a cell per target of each failing test: {m}"
    );
    assert_eq!(m["broken"], serde_json::json!([]), "links to nothing: {m}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("fails on big-endian only"), "{page:.2000}");
}

/// Failures on one target are run again there: first as they ran, then with the same CPU
/// and one instruction per translation block, then under the table's second CPU model. A
/// test that passes a re-run as it ran is flaky and fails the run (unless `--retries`
/// accepts it); one that fails every re-run and passes only where the emulator alone
/// changed is emulator-dependent (not failing the run unless `--strict`); one that passes
/// only under another CPU model keeps its verdict, with that fact beside it; a byte-order
/// bug fails every re-run and keeps its verdict. The results record each run; every
/// format shows each verdict and its evidence.
#[test]
#[allow(
    clippy::too_many_lines,
    reason = "two real runs, every verdict of the re-check asserted on them"
)]
fn reruns_tell_flaky_tests_and_the_emulator_from_the_code() {
    const HWCAP: &str = "tests::the_cpu_has_no_vector_enhancements";
    const TRANSLATION: &str = "tests::translated_one_instruction_per_block";
    const FLAKY: &str = "tests::settles_after_the_first_run";
    const CPUINFO: &str = "tests::proc_cpuinfo_names_the_cpu";
    const BUG: &str = "tests::buggy_decode_reads_wire_order";
    let manifest = fixtures();
    let targets = [X86_64, S390X].join(",");
    let run_with = |extra: &[&str], name: &str| {
        let mut a: Vec<&str> = vec!["test", "--manifest-path", manifest.to_str().unwrap()];
        a.extend(["--targets", targets.as_str()]);
        a.extend(extra);
        // A fresh marker directory: the flaky test fails the first time it runs in it.
        let dir = scratch(&format!("{name}-flaky"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        bele(&a, &[("FX_FLAKY_DIR", dir.to_str().unwrap())], name)
    };
    let run = run_with(&["-p", "fx-emulator", "-p", "fx-endian"], "recheck-all");
    let r = run.results.as_ref().unwrap();
    support::check_machine_reports(&run.results_file);
    assert_eq!(run.code, 1, "{}", run.stdout);
    for test in [HWCAP, TRANSLATION, FLAKY, CPUINFO] {
        assert_eq!(outcome(r, S390X, test).outcome, Outcome::Failed, "{test}");
    }
    // What ran again, in order, per test (the second QEMU by its major version: Debian's
    // unstable suite moves on).
    let checks = |test: &str| -> Vec<(String, Outcome)> {
        (r.emulator_checks.iter())
            .filter(|c| c.test == test && c.target == S390X)
            .map(|c| {
                let config = match &c.qemu {
                    Some(v) => format!("QEMU {}", v.split('.').next().unwrap()),
                    None => c.config(),
                };
                (format!("{:?} {config}", c.kind), c.outcome)
            })
            .collect()
    };
    let second_version = (r.emulator_checks.iter())
        .find_map(|c| c.qemu.clone())
        .expect("a second QEMU ran");
    let major = second_version.split('.').next().unwrap().to_string();
    let second = |o| (format!("SecondQemu QEMU {major}"), o);
    let rerun = || ("Rerun as it ran".to_string(), Outcome::Failed);
    let one_insn = |o| ("OneInsnPerBlock QEMU_SINGLESTEP=1".to_string(), o);
    let cpu = |o| ("CpuModel QEMU_CPU=max,vxeh=off".to_string(), o);
    assert_eq!(
        checks(FLAKY),
        [("Rerun as it ran".to_string(), Outcome::Passed)],
        "the flaky test passed its first re-run, and nothing else ran"
    );
    // The re-runs of a failure that fails every run as it ran: then one instruction per
    // block, the other CPU model, the second QEMU, each passing or not.
    let deterministic = |one: Outcome, other_cpu: Outcome, other_qemu: Outcome| {
        vec![
            rerun(),
            rerun(),
            one_insn(one),
            cpu(other_cpu),
            second(other_qemu),
        ]
    };
    use Outcome::{Failed as F, Passed as P};
    for (test, expected) in [
        (TRANSLATION, deterministic(P, F, F)),
        (HWCAP, deterministic(F, P, F)),
        (BUG, deterministic(F, F, F)),
        (CPUINFO, deterministic(F, F, P)),
    ] {
        assert_eq!(checks(test), expected, "{test}");
    }
    let verdict = |name: &str| {
        let t = tests_across(r)
            .into_iter()
            .find(|t| t.name == name)
            .unwrap();
        (t.verdict.id(), t.verdict.label(), t.notes)
    };
    let (id, label, _) = verdict(FLAKY);
    assert_eq!(
        (id.as_str(), label.as_str()),
        ("flaky", "flaky on s390x (failed 1 of 2 runs)")
    );
    let (id, label, _) = verdict(TRANSLATION);
    assert_eq!(id, "emulator-dependent");
    assert_eq!(
        label,
        "emulator-dependent on s390x: fails every run, passes with the same CPU and one \
         instruction per translation block (QEMU_SINGLESTEP=1)"
    );
    let (id, label, _) = verdict(CPUINFO);
    assert_eq!(id, "emulator-dependent");
    assert_eq!(
        label,
        format!(
            "emulator-dependent on s390x: fails every run, passes under QEMU {second_version} \
             where QEMU {} fails it",
            r.targets[1].qemu_version.as_deref().unwrap()
        )
    );
    assert!(label.contains(" where QEMU 7.2."), "{label}");
    // Another CPU model is another path through the code: its verdict stands.
    let (id, _, notes) = verdict(HWCAP);
    assert_eq!(id, "big-endian-only");
    assert!(
        notes[0].contains("passes with another CPU model (QEMU_CPU=max,vxeh=off)")
            && notes[0].contains("not an excuse"),
        "{notes:?}"
    );
    let (id, label, notes) = verdict(BUG);
    assert_eq!(
        (id.as_str(), label.as_str()),
        ("big-endian-only", "fails on big-endian only")
    );
    assert_eq!(
        notes,
        [format!(
            "re-checked on s390x: failed all 3 runs as it ran; fails the same with one \
             instruction per translation block (QEMU_SINGLESTEP=1); fails the same under \
             QEMU {second_version}; fails the same with QEMU_CPU=max,vxeh=off"
        )]
    );
    assert!(run.stdout.contains(&notes[0]), "{}", run.stdout);
    let closing = support::closing_line(&run);
    assert!(
        closing.contains(", 2 emulator-dependent") && closing.contains(", 1 flaky"),
        "{closing}"
    );
    // The matrix marks them apart: `f` flaky, `e` emulator-dependent, `F` the rest.
    let row = |test: &str| support::matrix_row(&run, "fx-emulator", test);
    assert!(row(FLAKY).contains(" f "), "{}", row(FLAKY));
    assert!(row(TRANSLATION).contains(" e "), "{}", row(TRANSLATION));
    assert!(row(HWCAP).contains(" F "), "{}", row(HWCAP));
    for format in ["md", "junit", "ktap", "html", "github"] {
        let text = support::report(&run.results_file, format)
            .replace("%3A", ":")
            .replace("%2C", ",");
        for said in [
            "emulator-dependent on s390x: fails every run, passes under QEMU ",
            "flaky on s390x (failed 1 of 2 runs)",
            "emulator-dependent on s390x: fails every run",
            "passes with another CPU model (QEMU_CPU=max,vxeh=off)",
            "re-checked on s390x: failed all 3 runs as it ran",
        ] {
            assert!(text.contains(said), "{format} lacks {said}: {text}");
        }
    }
    // Without the CPU-model test: `--retries 1` accepts the flaky pass and the emulator-
    // dependent failure does not fail the run; `--strict` fails it.
    let skip = [
        "-p",
        "fx-emulator",
        "--skip",
        "the_cpu_has_no_vector_enhancements",
    ];
    let run = run_with(
        &[&skip[..], &["--retries", "1"]].concat(),
        "recheck-retries",
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r = run.results.as_ref().unwrap();
    assert_eq!(r.config.retries, 1);
    let closing = support::closing_line(&run);
    assert!(
        closing.contains(" 0 failed") && closing.contains(", 1 flaky"),
        "{closing}"
    );
    let run = run_with(
        &[&skip[..], &["--retries", "1", "--strict"]].concat(),
        "recheck-strict",
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.results.as_ref().unwrap().config.strict);
}
