//! The kernel's re-check: a test that fails on one kernel target only (the suspects of
//! user mode's re-check, `run::recheck::suspects`) is booted again where it failed, its
//! suite's other suspects with it. First as it ran, at least twice, each test stopping at
//! its first pass: a test that passes there is flaky. Only a failure that fails every such
//! boot is booted under a second emulator, Debian unstable's qemu-system (fetched the first
//! time a failure needs it), with the same machine, CPU and command line: passing there is
//! evidence of the emulator. What each boot showed goes into `emulator_checks`, where the
//! triage reads it as it reads user mode's (so a failure passes as emulator-dependent only
//! with both pieces of evidence in the results). UML runs as a program: it gets the re-runs,
//! no second emulator. Bounded: at most `run::recheck::MAX` failures a run.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use bele_targets::KernelTarget;

use super::results::binaries;
use super::run::{boot_once, Booting};
use crate::host::qemu_sid::SystemQemu;
use crate::model::{BinaryResult, CheckKind, EmulatorCheck, Outcome, RunResults};
use crate::run::recheck::{suspects, MAX, MIN_RERUNS};

/// Boots the suspects again and keeps what each boot showed in `results.emulator_checks`.
pub(super) fn recheck_suspects(results: &mut RunResults, run: &Booting<'_>) {
    // Per (target, suite): the suspect tests, named (a test known by its place only cannot
    // be selected by a glob).
    let mut groups: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
    for (i, suite, test) in suspects(results, MAX, false) {
        if !test.starts_with("(test ") {
            groups.entry((i, suite)).or_default().push(test);
        }
    }
    let mut second: HashMap<Vec<String>, Result<SystemQemu, String>> = HashMap::new();
    for ((i, suite), tests) in groups {
        let t = &results.targets[i];
        let Some(k) = (run.plan.targets.iter()).find(|k| k.result_name() == t.triple) else {
            continue;
        };
        let Some(image) = (t.binaries.iter())
            .find(|b| b.id == suite)
            .map(|b| b.executable.clone())
        else {
            continue;
        };
        let glob = match tests.as_slice() {
            [one] => format!("{suite}.{one}"),
            _ => suite.clone(),
        };
        let ours = t.qemu_version.clone();
        let target = t.triple.clone();
        let mut checks = Vec::new();
        let mut record = |kind, qemu: Option<String>, test: &str, outcome| {
            checks.push(EmulatorCheck {
                binary: suite.clone(),
                test: test.to_string(),
                target: target.clone(),
                kind,
                env: Vec::new(),
                qemu,
                outcome,
            });
        };
        let boot = |qemu: Option<String>| {
            let (lines, end) = boot_once(run, k, &image, (Some(&glob), None), qemu);
            let console = super::ktap::parse(&lines.join("\n"));
            binaries(&console, &lines, &end, &image, &run.tree.path)
        };
        // As it ran, until each test passes once or every re-run is spent.
        let mut failing = tests;
        for _ in 0..MIN_RERUNS {
            if failing.is_empty() || run.cancel.load(Ordering::Relaxed) {
                break;
            }
            let found = boot(None);
            failing.retain(|test| {
                let outcome = outcome_of(&found, &suite, test);
                record(CheckKind::Rerun, None, test, outcome);
                outcome != Outcome::Passed
            });
        }
        // Only a failure that failed every re-run goes under the second emulator.
        let under = (!failing.is_empty() && !run.cancel.load(Ordering::Relaxed))
            .then(|| second_qemu(k, &mut second, run))
            .flatten();
        if let Some((program, q)) = under {
            // Under `--qemu sid` the run's QEMU is this one: nothing to compare.
            if ours.as_deref() != Some(q.version.as_str()) {
                let found = boot(Some(program));
                for test in &failing {
                    let outcome = outcome_of(&found, &suite, test);
                    record(
                        CheckKind::SecondQemu,
                        Some(q.version.clone()),
                        test,
                        outcome,
                    );
                }
            }
        }
        results.emulator_checks.extend(checks);
    }
}

/// `test`'s outcome in suite `suite` of one boot's results; crashed when the boot gave it
/// none (the kernel died before it).
fn outcome_of(found: &[BinaryResult], suite: &str, test: &str) -> Outcome {
    (found.iter())
        .filter(|b| b.id == suite)
        .flat_map(|b| &b.tests)
        .find(|r| r.name == test)
        .map_or(Outcome::Crashed, |r| r.outcome)
}

/// The second emulator for target `k`: unstable's qemu-system of its row's packages (the
/// executable's path and the fetched set), fetched once per set of packages; `None` for a
/// target booted as a program, or when the fetch failed.
fn second_qemu(
    k: &KernelTarget,
    cache: &mut HashMap<Vec<String>, Result<SystemQemu, String>>,
    run: &Booting<'_>,
) -> Option<(String, SystemQemu)> {
    let program = k.qemu_program()?;
    let packages: Vec<String> = k.qemu_packages().cloned().collect();
    let q = cache
        .entry(packages.clone())
        .or_insert_with(|| crate::host::qemu_sid::ensure_system(run.env, &packages))
        .as_ref()
        .ok()?
        .clone();
    let path = q.bin_dir.join(program);
    path.is_file().then(|| (path.display().to_string(), q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{sample, test};

    /// A re-boot's outcome of a test is what its suite said; a test the boot never reported
    /// (the kernel died first) crashed, never passed.
    #[test]
    fn a_test_a_reboot_never_reported_crashed() {
        let mut b = sample().targets[1].binaries[0].clone();
        b.id = "checksum".into();
        b.tests = vec![test("test_csum_ipv6_magic", Outcome::Passed, None, None)];
        let found = [b];
        assert_eq!(
            outcome_of(&found, "checksum", "test_csum_ipv6_magic"),
            Outcome::Passed
        );
        assert_eq!(
            outcome_of(&found, "checksum", "test_csum_no_carry_inputs"),
            Outcome::Crashed
        );
        assert_eq!(
            outcome_of(&found, "bitfields", "test_csum_ipv6_magic"),
            Outcome::Crashed
        );
    }
}
