//! The re-check: a test that fails on one target only, or on a set of targets no trait
//! explains (every failing test under `--retries`), is run again where it failed. First as
//! it ran, up to `--retries` times and at least twice, stopping at a pass: a test that
//! passes there is flaky, whatever else is true. Only a failure that fails every such
//! re-run is run where only the emulator changes (the same CPU model, one instruction per
//! translation block): passing there is evidence of the emulator. A second CPU model, where
//! the table names one, is a fact for the report and never an excuse: code that dispatches
//! on CPU features takes another path under it. Bounded: at most `MAX` failures a run.

use std::sync::atomic::{AtomicBool, Ordering};

use bele_targets::Target;

use crate::analyze::verdict::Verdict;
use crate::build::TestBinary;
use crate::execute::{run_again, ExecConfig};
use crate::host::qemu_sid::SecondQemu;
use crate::model::{CheckKind, EmulatorCheck, Outcome, RunResults, RunnerName};
use crate::util::env::HostEnv;
use bele_qemu::Runner;

use super::{PerTarget, Ready, TargetIdx};

/// Most failing (test, target) pairs a run checks again.
pub(crate) const MAX: usize = 20;

/// Fewest re-runs as it ran before a failure counts as deterministic.
pub(crate) const MIN_RERUNS: u32 = 2;

/// The failures worth re-running, as `(target index, executable, test)`: those of tests
/// that fail on one target only or on a set no trait explains (`every`: all of them), time-
/// outs left out, in the order of the tests, at most `max`.
pub(crate) fn suspects(
    results: &RunResults,
    max: usize,
    every: bool,
) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for t in crate::analyze::triage::tests_across(results) {
        let failing: Vec<(usize, Outcome)> = (t.per_target.iter().enumerate())
            .filter_map(|(i, r)| r.filter(|r| r.outcome.is_failure()).map(|r| (i, r.outcome)))
            .collect();
        let suspect = every || failing.len() == 1 || t.verdict == Verdict::Mixed;
        if !suspect {
            continue;
        }
        for (i, outcome) in failing {
            // A time-out costs the whole timeout again on every re-run.
            if outcome == Outcome::TimedOut || out.len() >= max {
                continue;
            }
            out.push((i, t.binary.to_string(), t.name.to_string()));
        }
    }
    out
}

/// The configurations a failure that failed every re-run is checked under, on `target`
/// (emulated): one instruction per translation block with the same CPU, and the table's
/// second CPU model if it has one.
pub(crate) fn emulator_configurations(target: &Target) -> Vec<(CheckKind, Vec<(String, String)>)> {
    // QEMU 7.2's name (`-singlestep`); later releases also read it (`-one-insn-per-tb`).
    let mut out = vec![(
        CheckKind::OneInsnPerBlock,
        vec![("QEMU_SINGLESTEP".to_string(), "1".to_string())],
    )];
    if let Some(cpu) = &target.recheck_cpu {
        out.push((
            CheckKind::CpuModel,
            vec![("QEMU_CPU".to_string(), cpu.clone())],
        ));
    }
    out
}

/// Runs the suspects again and keeps what each run did in `results.emulator_checks`.
pub(super) fn recheck_suspects(
    results: &mut RunResults,
    ready: &PerTarget<Ready>,
    targets: &[&Target],
    env: &HostEnv,
    cancel: &AtomicBool,
) {
    let retries = results.config.retries;
    let mut second: Option<Result<SecondQemu, String>> = None;
    for (i, binary, test) in suspects(results, MAX, retries > 0) {
        let Some((cfg, _)) = &ready[TargetIdx(i)] else {
            continue;
        };
        let t = &results.targets[i];
        let Some(b) = t.binaries.iter().find(|b| b.id == binary) else {
            continue;
        };
        let bin = TestBinary::of(b);
        let emulated = t.runner != RunnerName::Native;
        let target = t.triple.clone();
        let run = |cfg: &ExecConfig, env: &[(String, String)]| {
            let found = run_again(&bin, cfg, std::slice::from_ref(&test), env, cancel);
            // No result: the process died (or hung) before giving one.
            found
                .get(&test)
                .map_or(Outcome::Crashed, |r| r.result.outcome)
        };
        let mut checks = Vec::new();
        let mut check = |kind: CheckKind, env: Vec<(String, String)>, qemu, outcome| {
            checks.push(EmulatorCheck {
                binary: binary.clone(),
                test: test.clone(),
                target: target.clone(),
                kind,
                env,
                qemu,
                outcome,
            });
            outcome == Outcome::Passed
        };
        let mut flaky = false;
        for _ in 0..retries.max(MIN_RERUNS) {
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            if check(CheckKind::Rerun, Vec::new(), None, run(cfg, &[])) {
                flaky = true;
                break;
            }
        }
        if !flaky && emulated {
            for (kind, env) in emulator_configurations(targets[i]) {
                if cancel.load(Ordering::Relaxed) {
                    return;
                }
                let outcome = run(cfg, &env);
                check(kind, env, None, outcome);
            }
            // The second QEMU, fetched the first time a failure needs it.
            let second = second.get_or_insert_with(|| crate::host::qemu_sid::ensure(env));
            if let (
                Ok(q),
                Runner::Qemu {
                    binary: ours,
                    sysroot,
                },
            ) = (&*second, &cfg.runner)
            {
                let theirs = q.binary(ours.rsplit('/').next().unwrap_or(ours));
                // Under `--qemu sid` the run's QEMU is this one: nothing to compare.
                let another = theirs.display().to_string() != *ours;
                if another && theirs.is_file() && !cancel.load(Ordering::Relaxed) {
                    let mut under = cfg.clone();
                    under.runner = Runner::Qemu {
                        binary: theirs.display().to_string(),
                        sysroot: sysroot.clone(),
                    };
                    let outcome = run(&under, &[]);
                    check(
                        CheckKind::SecondQemu,
                        Vec::new(),
                        Some(q.version.clone()),
                        outcome,
                    );
                }
            }
        }
        results.emulator_checks.extend(checks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::findings::Findings;
    use crate::testdata::sample;

    fn check(test: &str, kind: CheckKind, outcome: Outcome) -> EmulatorCheck {
        let env = match kind {
            CheckKind::Rerun => vec![],
            CheckKind::OneInsnPerBlock => vec![("QEMU_SINGLESTEP".into(), "1".into())],
            CheckKind::CpuModel => vec![("QEMU_CPU".into(), "max,vxeh=off".into())],
            CheckKind::SecondQemu => vec![],
        };
        let qemu = (kind == CheckKind::SecondQemu).then(|| "11.1.3".to_string());
        EmulatorCheck {
            binary: "pkg".into(),
            test: test.into(),
            target: "s390x-unknown-linux-gnu".into(),
            kind,
            env,
            qemu,
            outcome,
        }
    }

    #[test]
    fn failures_on_one_target_are_suspects_and_bounded() {
        let r = sample();
        // Both s390x failures.
        let picked: Vec<(usize, String, String)> = suspects(&r, MAX, false);
        let names: Vec<&str> = picked.iter().map(|(_, _, t)| t.as_str()).collect();
        assert_eq!(names, ["be_bug", "prop <script>|#"]);
        assert!(picked.iter().all(|(i, b, _)| *i == 1 && b == "pkg"));
        assert_eq!(suspects(&r, 1, false).len(), 1);
        // A time-out is not run again (it would cost the timeout on every re-run).
        let mut slow = sample();
        slow.targets[1].binaries[0].tests[1].outcome = Outcome::TimedOut;
        let names: Vec<String> = suspects(&slow, MAX, false)
            .into_iter()
            .map(|(_, _, t)| t)
            .collect();
        assert_eq!(names, ["prop <script>|#"]);
        // Failing everywhere: no suspect, unless every failure is re-run (`--retries`).
        let mut both = sample();
        let x = (both.targets[0].binaries[0].tests.iter_mut())
            .find(|t| t.name == "be_bug")
            .unwrap();
        x.outcome = Outcome::Failed;
        let on = |every| -> Vec<(usize, String)> {
            (suspects(&both, MAX, every).into_iter())
                .filter(|(_, _, t)| t == "be_bug")
                .map(|(i, _, t)| (i, t))
                .collect()
        };
        assert!(on(false).is_empty());
        assert_eq!(on(true), [(0, "be_bug".into()), (1, "be_bug".into())]);
    }

    #[test]
    fn the_emulator_changes_alone_and_the_cpu_model_apart() {
        let table = bele_targets::Table::builtin();
        let s390x = emulator_configurations(table.get("s390x-unknown-linux-gnu").unwrap());
        assert_eq!(
            s390x,
            [
                (
                    CheckKind::OneInsnPerBlock,
                    vec![("QEMU_SINGLESTEP".to_string(), "1".to_string())]
                ),
                (
                    CheckKind::CpuModel,
                    vec![("QEMU_CPU".to_string(), "max,vxeh=off".to_string())]
                ),
            ]
        );
        let powerpc = emulator_configurations(table.get("powerpc-unknown-linux-gnu").unwrap());
        assert_eq!(powerpc.len(), 1);
        assert_eq!(powerpc[0].0, CheckKind::OneInsnPerBlock);
    }

    fn verdict_of(r: &RunResults, name: &str) -> (String, String, Vec<String>) {
        let found = Findings::of(r);
        let t = found.tests.iter().find(|t| t.name == name).unwrap();
        (t.verdict.id(), t.verdict.label(), t.notes.clone())
    }

    /// A failure that passes when run again as it ran is flaky: it fails the run unless
    /// `--retries` covers every failed run. It is never called emulator-dependent, whatever
    /// else passed.
    #[test]
    fn a_test_that_passes_when_run_again_is_flaky() {
        let mut r = sample();
        r.emulator_checks = vec![
            check("be_bug", CheckKind::Rerun, Outcome::Failed),
            check("be_bug", CheckKind::Rerun, Outcome::Passed),
        ];
        let (id, label, notes) = verdict_of(&r, "be_bug");
        assert_eq!(id, "flaky");
        assert_eq!(label, "flaky on s390x (failed 2 of 3 runs)");
        assert_eq!(
            notes,
            ["re-checked on s390x: failed 2 of 3 runs as it ran: flaky"]
        );
        let s = Findings::of(&r).summary;
        assert_eq!(s.flaky, 1);
        assert!(s.failing(), "{s:?}");
        assert!(
            s.closing_line(None).contains(", 1 flaky"),
            "{}",
            s.closing_line(None)
        );
        // Accepted by --retries 2 (it failed twice, then passed), not by --retries 1.
        for t in &mut r.targets {
            t.binaries[0].tests.retain(|x| x.name == "be_bug");
        }
        r.config.retries = 1;
        assert!(Findings::of(&r).summary.failing());
        r.config.retries = 2;
        let s = Findings::of(&r).summary;
        assert_eq!((s.failed, s.flaky), (0, 1), "{s:?}");
        assert!(!s.failing(), "{s:?}");
        assert!(s.closing_line(None).contains(", 1 flaky"));
    }

    /// Emulator-dependent only when every re-run as it ran failed and the same CPU with one
    /// instruction per translation block passed; it does not fail the run unless
    /// `--strict`. Another CPU model passing is a note, and the failure stands.
    #[test]
    fn only_the_emulator_changing_excuses_and_a_cpu_model_never_does() {
        let mut r = sample();
        let deterministic = [
            check("be_bug", CheckKind::Rerun, Outcome::Failed),
            check("be_bug", CheckKind::Rerun, Outcome::Failed),
        ];
        r.emulator_checks = deterministic.to_vec();
        r.emulator_checks
            .push(check("be_bug", CheckKind::OneInsnPerBlock, Outcome::Passed));
        r.emulator_checks
            .push(check("be_bug", CheckKind::CpuModel, Outcome::Passed));
        let (id, label, notes) = verdict_of(&r, "be_bug");
        assert_eq!(id, "emulator-dependent");
        assert_eq!(
            label,
            "emulator-dependent on s390x: fails every run, passes with the same CPU and one \
             instruction per translation block (QEMU_SINGLESTEP=1)"
        );
        assert!(
            notes[0].starts_with(
                "re-checked on s390x: failed all 3 runs as it ran; passes with the same CPU"
            ),
            "{notes:?}"
        );
        for t in &mut r.targets {
            t.binaries[0].tests.retain(|x| x.name == "be_bug");
        }
        let s = Findings::of(&r).summary;
        assert_eq!((s.failed, s.emulator_dependent), (0, 1));
        assert!(!s.failing(), "{s:?}");
        r.config.strict = true;
        assert!(Findings::of(&r).summary.failing());
        r.config.strict = false;
        // The emulator alone changes nothing; another CPU model passes: the byte-order
        // verdict stands, the CPU model is a fact beside it.
        r.emulator_checks = deterministic.to_vec();
        r.emulator_checks
            .push(check("be_bug", CheckKind::OneInsnPerBlock, Outcome::Failed));
        r.emulator_checks
            .push(check("be_bug", CheckKind::CpuModel, Outcome::Passed));
        let (id, _, notes) = verdict_of(&r, "be_bug");
        assert_eq!(id, "big-endian-only");
        assert_eq!(
            notes,
            [
                "re-checked on s390x: failed all 3 runs as it ran; fails the same with one \
              instruction per translation block (QEMU_SINGLESTEP=1); passes with another CPU \
              model (QEMU_CPU=max,vxeh=off): code that dispatches on CPU features takes \
              another path there, so this is a fact, not an excuse"
            ]
        );
        assert!(Findings::of(&r).summary.failing());
        // A second QEMU passing it, where the run's fails it every time: the emulator's.
        r.targets[1].qemu_version = Some("7.2.22".into());
        r.emulator_checks = deterministic.to_vec();
        r.emulator_checks
            .push(check("be_bug", CheckKind::OneInsnPerBlock, Outcome::Failed));
        r.emulator_checks
            .push(check("be_bug", CheckKind::SecondQemu, Outcome::Passed));
        let (id, label, notes) = verdict_of(&r, "be_bug");
        assert_eq!(id, "emulator-dependent");
        assert_eq!(
            label,
            "emulator-dependent on s390x: fails every run, passes under QEMU 11.1.3 where QEMU \
             7.2.22 fails it"
        );
        assert!(
            notes[0].ends_with(
                "; passes under QEMU 11.1.3 (its default CPU model) where QEMU 7.2.22 fails it"
            ),
            "{notes:?}"
        );
        // A pass under the emulator change without the re-runs as it ran proves nothing.
        r.emulator_checks = vec![check("be_bug", CheckKind::OneInsnPerBlock, Outcome::Passed)];
        assert_eq!(verdict_of(&r, "be_bug").0, "big-endian-only");
    }

    /// A kernel test is re-checked by boots: twice as it ran, then under a second
    /// qemu-system with the same machine and CPU (`kernel::recheck`). Failing both re-runs
    /// and passing under the second emulator is emulator-dependent, the note saying the
    /// CPU was the same; failing under it too leaves the verdict as it was.
    #[test]
    fn a_kernel_failure_passing_only_under_the_second_qemu_system_is_the_emulators() {
        let mut r = sample();
        r.config.kernel = Some(crate::model::KernelInfo::default());
        r.targets[1].qemu_version = Some("7.2.22".into());
        let boots = |second: Outcome| {
            vec![
                check("be_bug", CheckKind::Rerun, Outcome::Failed),
                check("be_bug", CheckKind::Rerun, Outcome::Failed),
                check("be_bug", CheckKind::SecondQemu, second),
            ]
        };
        r.emulator_checks = boots(Outcome::Passed);
        let (id, _, notes) = verdict_of(&r, "be_bug");
        assert_eq!(id, "emulator-dependent");
        assert_eq!(
            notes,
            [
                "re-checked on s390x: failed all 3 runs as it ran; passes under QEMU 11.1.3 \
                 (the same machine and CPU) where QEMU 7.2.22 fails it"
            ]
        );
        r.emulator_checks = boots(Outcome::Failed);
        let (id, _, notes) = verdict_of(&r, "be_bug");
        assert_eq!(id, "big-endian-only");
        assert!(
            notes[0].ends_with("; fails the same under QEMU 11.1.3"),
            "{notes:?}"
        );
        assert!(Findings::of(&r).summary.failing());
    }
}
