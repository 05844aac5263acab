//! End-to-end tests of big-endian ARM: aarch64_be (musl) and armeb (bele's derived musl
//! spec), linked by zig, run under qemu-aarch64_be and qemu-armeb with no guest root.
//! Needs them set up (`bele setup --targets arm,arm64`, which `ci/test.sh` runs).

mod support;

use bele::testing::{Outcome, TargetStatus};
use support::{bele, fixtures, outcome, scratch, test_fixture};

const X86_64: &str = "x86_64-unknown-linux-gnu";
const ARMV7: &str = "armv7-unknown-linux-gnueabihf";
const AARCH64: &str = "aarch64-unknown-linux-gnu";
const AARCH64_BE: &str = "aarch64_be-unknown-linux-musl";
const ARMEB: &str = "armeb-bele-linux-musleabi";
const PPC: &str = "powerpc-unknown-linux-gnu";

#[test]
fn a_big_endian_bug_fails_on_big_endian_arm_only() {
    let run = test_fixture(
        "fx-endian",
        &[X86_64, ARMV7, AARCH64, AARCH64_BE, ARMEB],
        &[],
        &[],
    );
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 1, "{}", run.stdout);
    const BUG: &str = "tests::buggy_decode_reads_wire_order";
    for t in [X86_64, ARMV7, AARCH64] {
        assert_eq!(outcome(r, t, BUG).outcome, Outcome::Passed, "{t}");
    }
    for t in [AARCH64_BE, ARMEB] {
        assert_eq!(outcome(r, t, BUG).outcome, Outcome::Failed, "{t}");
        assert_eq!(
            outcome(r, t, "tests::portable_decode_reads_wire_order").outcome,
            Outcome::Passed
        );
        let target = r.targets.iter().find(|x| x.triple == t).unwrap();
        // std from bele's std cache (built there by the first run that needed it).
        assert_eq!(
            target.std.map(bele::testing::StdUsed::label),
            Some("std-cache")
        );
        // The fixtures' graph has no rustix: its workaround is not given.
        let command = &target.build.as_ref().unwrap().command;
        assert!(!command.contains("rustix_use_libc"), "{command}");
        assert_eq!(
            target.runner_prefix.len(),
            1,
            "static: QEMU gets no -L: {:?}",
            target.runner_prefix
        );
    }
    // The replay of the failure, pasted into a shell, fails the same way.
    let armeb = r.targets.iter().find(|t| t.triple == ARMEB).unwrap();
    let b = (armeb.binaries.iter())
        .find(|b| b.tests.iter().any(|t| t.name == BUG))
        .unwrap();
    let line = bele::testing::repro_line(armeb, b, BUG, &r.config);
    let (code, out) = support::bash(&line);
    assert_eq!(code, Some(101), "{line}\n{out}");
    assert!(
        out.contains(&format!("test {BUG} ... FAILED")),
        "{line}\n{out}"
    );
    let v = bele::testing::tests_across(r)
        .into_iter()
        .find(|t| t.name == BUG)
        .unwrap()
        .verdict;
    assert_eq!(v.id(), "big-endian-only");
    assert!(
        run.stdout
            .contains("repro (aarch64_be-unknown-linux-musl): cd ")
            && run.stdout.contains(" qemu-aarch64_be /"),
        "{}",
        run.stdout
    );
}

#[test]
fn crashes_on_big_endian_arm_are_named() {
    let run = test_fixture("fx-crash", &[AARCH64_BE, ARMEB], &[], &[]);
    let r = run.results.as_ref().unwrap();
    for t in [AARCH64_BE, ARMEB] {
        let abort = outcome(r, t, "tests::aborts");
        assert_eq!(
            (abort.outcome, abort.signal_text().as_deref()),
            (Outcome::Crashed, Some("SIGABRT")),
            "{t}"
        );
        let segv = outcome(r, t, "tests::segfaults");
        assert_eq!(
            (segv.outcome, segv.signal_text().as_deref()),
            (Outcome::Crashed, Some("SIGSEGV")),
            "{t}"
        );
        // Misaligned loads work there (the table says strict_align = false).
        assert_eq!(
            outcome(r, t, "tests::misaligned_load").outcome,
            Outcome::Passed,
            "{t}"
        );
        assert_eq!(
            outcome(r, t, "tests::z_passes_after").outcome,
            Outcome::Passed,
            "{t}"
        );
    }
}

/// A build script compiling C with the `cc` crate: zig compiles it for the target (its
/// tests check the C side's byte order against Rust's), beside a Debian gcc target.
#[test]
fn c_in_build_scripts_compiles_for_big_endian_arm() {
    let run = test_fixture("fx-cbuild", &[PPC, AARCH64_BE, ARMEB], &[], &[]);
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    for t in [PPC, AARCH64_BE, ARMEB] {
        assert_eq!(
            outcome(r, t, "tests::c_and_rust_agree_on_byte_order").outcome,
            Outcome::Passed,
            "{t}"
        );
        assert_eq!(
            outcome(r, t, "tests::c_reads_little_endian").outcome,
            Outcome::Passed,
            "{t}"
        );
    }
}

/// Without a usable zig, the two targets it links are unavailable with the reason and the
/// fix; the others run.
#[test]
fn without_zig_big_endian_arm_is_unavailable_and_the_rest_run() {
    let empty = scratch("no-zig-cache");
    std::fs::create_dir_all(&empty).unwrap();
    let manifest = fixtures();
    let spec = [X86_64, AARCH64_BE, ARMEB].join(",");
    let run = bele(
        &[
            "test",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "-p",
            "fx-endian",
            "--targets",
            &spec,
        ],
        &[("BELE_CACHE_DIR", empty.to_str().unwrap())],
        "no-zig",
    );
    let r = run.results.as_ref().unwrap();
    assert_eq!(
        run.code, 3,
        "nothing failed, two targets could not run\n{}",
        run.stdout
    );
    for t in [AARCH64_BE, ARMEB] {
        let target = r.targets.iter().find(|x| x.triple == t).unwrap();
        assert_eq!(target.status, TargetStatus::Unavailable);
        let reason = target.reason.as_deref().unwrap();
        assert!(
            reason.contains("zig 0.14.1 is not installed in"),
            "{reason}"
        );
        assert!(reason.contains("bele setup --targets"), "{reason}");
    }
    let x86 = r.targets.iter().find(|x| x.triple == X86_64).unwrap();
    assert_eq!(x86.status, TargetStatus::Ran);
}

/// A derived spec whose base the toolchain does not know: that target is unavailable with
/// the reason, the others run.
#[test]
fn an_underivable_spec_makes_its_target_unavailable() {
    let table = bele_targets::BUILTIN_TABLE.replace(
        "from = \"armeb-unknown-linux-gnueabi\"",
        "from = \"armeb-nowhere-linux-gnueabi\"",
    );
    let path = scratch("bad-spec-table.toml");
    std::fs::write(&path, table).unwrap();
    let manifest = fixtures();
    let spec = [X86_64, ARMEB].join(",");
    let run = bele(
        &[
            "test",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "-p",
            "fx-endian",
            "--targets",
            &spec,
            "--target-table",
            path.to_str().unwrap(),
        ],
        &[],
        "bad-spec",
    );
    let r = run.results.as_ref().unwrap();
    let armeb = r.targets.iter().find(|x| x.triple == ARMEB).unwrap();
    assert_eq!(armeb.status, TargetStatus::Unavailable);
    let reason = armeb.reason.as_deref().unwrap();
    assert!(
        reason.contains("its target spec cannot be derived"),
        "{reason}"
    );
    assert!(reason.contains("armeb-nowhere-linux-gnueabi"), "{reason}");
    assert_eq!(
        r.targets
            .iter()
            .find(|x| x.triple == X86_64)
            .unwrap()
            .status,
        TargetStatus::Ran
    );
}

/// `bele test` on `fixtures/proptest-defaults` (its own workspace) on `targets`. The
/// compatibility corpus on every target, the workaround's success included, is
/// `tests/corpus.rs`.
fn test_proptest_defaults(targets: &[&str], extra: &[&str], name: &str) -> support::Run {
    let manifest = support::repo().join("fixtures/proptest-defaults/Cargo.toml");
    let targets = targets.join(",");
    let mut args = vec![
        "test",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--targets",
        &targets,
    ];
    args.extend_from_slice(extra);
    bele(&args, &[], name)
}

/// Without the table's workaround, rustix (a real published crate, through proptest's
/// default features) does not compile for aarch64_be: the verdict names the dependency and
/// does not blame the workspace's code, in the results, the target's reason and the reports.
#[test]
fn a_dependency_that_does_not_build_is_named_not_blamed_on_the_workspace() {
    let builtin = std::fs::read_to_string(support::repo().join("targets/targets.toml")).unwrap();
    // The table without its crate workarounds: each is a header and three lines.
    let mut table = String::new();
    let mut skip = 0;
    for line in builtin.lines() {
        if line.trim() == "[[target.crate_flags]]" {
            skip = 4;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        table.push_str(line);
        table.push('\n');
    }
    assert!(!table.contains("rustix_use_libc"));
    let path = scratch("no-workarounds-table.toml");
    std::fs::write(&path, table).unwrap();
    let run = test_proptest_defaults(
        &[X86_64, AARCH64_BE],
        &["--target-table", path.to_str().unwrap()],
        "proptest-defaults-no-workaround",
    );
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 1, "a target could not be tested\n{}", run.stdout);
    let be = r.targets.iter().find(|t| t.triple == AARCH64_BE).unwrap();
    assert_eq!(be.status, TargetStatus::BuildFailed);
    let build = be.build.as_ref().unwrap();
    let failed: Vec<(&str, Option<&str>, bool)> = (build.failed_crates.iter())
        .map(|c| (c.name.as_str(), c.version.as_deref(), c.dependency))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!((failed[0].0, failed[0].2), ("rustix", true));
    let version = failed[0]
        .1
        .expect("the version from cargo's Compiling line");
    let reason = be.reason.as_deref().unwrap();
    assert!(
        reason.starts_with(&format!(
            "a dependency failed to build: rustix {version} (not the workspace's code)"
        )),
        "{reason}"
    );
    let x86 = r.targets.iter().find(|t| t.triple == X86_64).unwrap();
    assert_eq!(x86.status, TargetStatus::Ran);
    let said = format!("in a dependency, rustix {version} (not the workspace's code)");
    assert!(run.stdout.contains(&said), "{}", run.stdout);
    for format in ["md", "ktap", "github"] {
        let text = support::report(&run.results_file, format)
            .replace("%3A", ":")
            .replace("%2C", ",");
        assert!(text.contains(&said), "{format}: {text}");
    }
}
