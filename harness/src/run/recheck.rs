//! The suspect-emulator re-check: a test that fails on one target only, or on a set of
//! targets no trait explains, is run again there under the target's second emulator
//! configuration (another CPU model, one instruction per translation block). QEMU user
//! mode has faults that look exactly like test failures; a failure that goes away is the
//! emulator's as likely as the code's. Bounded: at most `MAX` re-runs per run.

use std::sync::atomic::{AtomicBool, Ordering};

use bele_targets::Target;

use crate::analyze::verdict::Verdict;
use crate::build::TestBinary;
use crate::execute::run_again;
use crate::model::{EmulatorCheck, Outcome, RunResults, RunnerName};

use super::{PerTarget, Ready, TargetIdx};

/// Most failing (test, target) pairs a run checks again.
pub(crate) const MAX: usize = 20;

/// The failures worth a second emulator configuration, as `(target index, executable,
/// test)`: those of tests that fail on one target only or on a set no trait explains, on
/// emulated targets, time-outs left out, in the order of the tests, at most `max`.
pub(crate) fn suspects(results: &RunResults, max: usize) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for t in crate::analyze::triage::tests_across(results) {
        let failing: Vec<(usize, Outcome)> = (t.per_target.iter().enumerate())
            .filter_map(|(i, r)| r.filter(|r| r.outcome.is_failure()).map(|r| (i, r.outcome)))
            .collect();
        let suspect = failing.len() == 1 || t.verdict == Verdict::Mixed;
        if !suspect {
            continue;
        }
        for (i, outcome) in failing {
            // A time-out says nothing more under one instruction per block, which is
            // slower: it would only wait for the timeout again.
            if outcome == Outcome::TimedOut {
                continue;
            }
            if results.targets[i].runner == RunnerName::Native || out.len() >= max {
                continue;
            }
            out.push((i, t.binary.to_string(), t.name.to_string()));
        }
    }
    out
}

/// The variables that set `target`'s second emulator configuration for QEMU user mode.
pub(crate) fn second_configuration(target: &Target) -> Vec<(String, String)> {
    let mut env = Vec::new();
    if let Some(cpu) = &target.recheck_cpu {
        env.push(("QEMU_CPU".to_string(), cpu.clone()));
    }
    // QEMU 7.2's name (`-singlestep`); later releases also read it (`-one-insn-per-tb`).
    env.push(("QEMU_SINGLESTEP".to_string(), "1".to_string()));
    env
}

/// Runs the suspects again and keeps what each did in `results.emulator_checks`.
pub(super) fn recheck_suspects(
    results: &mut RunResults,
    ready: &PerTarget<Ready>,
    targets: &[&Target],
    cancel: &AtomicBool,
) {
    for (i, binary, test) in suspects(results, MAX) {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let Some((cfg, _)) = &ready[TargetIdx(i)] else {
            continue;
        };
        let t = &results.targets[i];
        let Some(b) = t.binaries.iter().find(|b| b.id == binary) else {
            continue;
        };
        let bin = TestBinary::of(b);
        let env = second_configuration(targets[i]);
        let found = run_again(&bin, cfg, std::slice::from_ref(&test), &env, cancel);
        // No result: the process died (or hung) before giving one.
        let outcome = found
            .get(&test)
            .map_or(Outcome::Crashed, |r| r.result.outcome);
        let target = t.triple.clone();
        results.emulator_checks.push(EmulatorCheck {
            binary,
            test,
            target,
            env,
            outcome,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::findings::Findings;
    use crate::model::testdata::sample;

    fn check(test: &str, outcome: Outcome) -> EmulatorCheck {
        EmulatorCheck {
            binary: "pkg".into(),
            test: test.into(),
            target: "s390x-unknown-linux-gnu".into(),
            env: vec![
                ("QEMU_CPU".into(), "max,vxeh=off".into()),
                ("QEMU_SINGLESTEP".into(), "1".into()),
            ],
            outcome,
        }
    }

    #[test]
    fn failures_on_one_emulated_target_are_suspects_and_bounded() {
        let r = sample();
        // Both s390x failures (x86_64 runs natively: never a suspect).
        let picked: Vec<(usize, String, String)> = suspects(&r, MAX);
        let names: Vec<&str> = picked.iter().map(|(_, _, t)| t.as_str()).collect();
        assert_eq!(names, ["be_bug", "prop <script>|#"]);
        assert!(picked.iter().all(|(i, b, _)| *i == 1 && b == "pkg"));
        assert_eq!(suspects(&r, 1).len(), 1);
        // A time-out is not run again (slower still, it would time out again).
        let mut slow = sample();
        slow.targets[1].binaries[0].tests[1].outcome = Outcome::TimedOut;
        let names: Vec<String> = suspects(&slow, MAX)
            .into_iter()
            .map(|(_, _, t)| t)
            .collect();
        assert_eq!(names, ["prop <script>|#"]);
        let s390x = bele_targets::Table::builtin();
        let env = second_configuration(s390x.get("s390x-unknown-linux-gnu").unwrap());
        assert_eq!(
            env,
            [
                ("QEMU_CPU".to_string(), "max,vxeh=off".to_string()),
                ("QEMU_SINGLESTEP".to_string(), "1".to_string())
            ]
        );
    }

    /// A failure that passes under the second configuration is emulator-dependent and does
    /// not fail the run (unless `--strict`); one that fails again keeps its verdict, saying
    /// it was re-checked.
    #[test]
    fn the_recheck_decides_the_verdict_and_the_run() {
        let mut r = sample();
        r.emulator_checks = vec![
            check("be_bug", Outcome::Passed),
            check("prop <script>|#", Outcome::Failed),
        ];
        let found = Findings::of(&r);
        let label = |name: &str| {
            let t = found.tests.iter().find(|t| t.name == name).unwrap();
            (t.verdict.id(), t.verdict.label(), t.rechecked.clone())
        };
        assert_eq!(
            label("be_bug"),
            (
                "emulator-dependent".into(),
                "emulator-dependent on s390x: passes with QEMU_CPU=max,vxeh=off QEMU_SINGLESTEP=1"
                    .into(),
                None
            )
        );
        // Its failure is real: the byte-order verdict stands, and says it was re-checked.
        assert_eq!(
            label("prop <script>|#"),
            (
                "big-endian-only".into(),
                "fails on big-endian only".into(),
                Some(
                    "re-checked with QEMU_CPU=max,vxeh=off QEMU_SINGLESTEP=1: fails the same"
                        .into()
                )
            )
        );
        assert_eq!(
            (found.summary.failed, found.summary.emulator_dependent),
            (1, 1)
        );
        // With only emulator-dependent failures left (and the sample's differing round trip
        // gone), the run passes; strict, it fails.
        r.emulator_checks[1].outcome = Outcome::Passed;
        for t in &mut r.targets {
            t.binaries[0]
                .tests
                .retain(|x| !x.name.starts_with("round_trip"));
        }
        let s = Findings::of(&r).summary;
        assert_eq!((s.failed, s.emulator_dependent), (0, 2));
        assert!(!s.failing(), "{s:?}");
        assert!(s.closing_line(None).contains(", 2 emulator-dependent"));
        r.config.strict = true;
        assert!(Findings::of(&r).summary.failing());
    }
}
