//! Triage: every test of a run across its targets with its verdict, where builds failed, and
//! the failures grouped by cause. Pure functions of the results model.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analyze::verdict::{verdict, Member, Subject, Verdict};
use crate::model::{Outcome, RunResults, TargetResult, TargetStatus, TestResult};

/// One test across all targets of a run.
#[derive(Debug, Clone)]
pub struct TestAcross<'r> {
    pub binary: &'r str,
    pub name: &'r str,
    /// Indexed like `results.targets`; `None` where the test has no result there.
    pub per_target: Vec<Option<&'r TestResult>>,
    pub verdict: Verdict,
    /// What else is known of its failures, one line each, for every report: what its
    /// re-runs showed per target, and crates known to be faulty there that its executable
    /// links (a suspicion, never an excuse: the failure stands).
    pub notes: Vec<String>,
}

impl<'r> TestAcross<'r> {
    /// Whether it failed, crashed or timed out on any target.
    pub fn has_failure(&self) -> bool {
        self.per_target
            .iter()
            .flatten()
            .any(|r| r.outcome.is_failure())
    }

    /// The failing results (failed, crashed, timed out) with their targets, in target order.
    pub fn failures(&self, results: &'r RunResults) -> Vec<(&'r TestResult, &'r TargetResult)> {
        self.per_target
            .iter()
            .zip(&results.targets)
            .filter_map(|(r, t)| r.filter(|r| r.outcome.is_failure()).map(|r| (r, t)))
            .collect()
    }

    /// Triples of the targets on which it failed, crashed or timed out.
    pub fn failing_targets(&self, results: &'r RunResults) -> Vec<&'r str> {
        self.failures(results)
            .into_iter()
            .map(|(_, t)| t.triple.as_str())
            .collect()
    }
}

/// `s390x (crashed: SIGBUS)`, `powerpc (failed)`: where and how a test failed, for reports.
pub fn failure_label(r: &TestResult, t: &TargetResult) -> String {
    match (r.outcome, &r.signal) {
        (Outcome::Crashed, Some(sig)) => format!("{} (crashed: {sig})", t.short_name()),
        (o, _) => format!("{} ({})", t.short_name(), o.label()),
    }
}

/// Every test of a run, with its verdict, sorted by binary and name.
pub fn tests_across(results: &RunResults) -> Vec<TestAcross<'_>> {
    let mut map: BTreeMap<(&str, &str), Vec<Option<&TestResult>>> = BTreeMap::new();
    let n = results.targets.len();
    for (i, t) in results.targets.iter().enumerate() {
        for b in &t.binaries {
            for r in &b.tests {
                map.entry((b.id.as_str(), r.name.as_str()))
                    .or_insert_with(|| vec![None; n])[i] = Some(r);
            }
        }
    }
    map.into_iter()
        .map(|((binary, name), per_target)| {
            let members: Vec<Member<'_>> = per_target
                .iter()
                .zip(&results.targets)
                .filter(|(_, t)| t.status == TargetStatus::Ran)
                .filter_map(|(r, t)| {
                    let r = r.filter(|r| r.outcome.ran())?;
                    Some(Member {
                        name: t.short_name(),
                        traits: t.traits(),
                        bad: r.outcome.is_failure(),
                        bus_error: r.signal.as_ref().is_some_and(|s| s.is_signal("SIGBUS")),
                    })
                })
                .collect();
            let (verdict, mut notes) = rechecked(
                verdict(&members, Subject::Test),
                results,
                (binary, name),
                &per_target,
            );
            let (verdict, more) = dependency_fault(verdict, results, (binary, name), &per_target);
            notes.extend(more);
            TestAcross {
                binary,
                name,
                verdict,
                per_target,
                notes,
            }
        })
        .collect()
}

/// `verdict` after the re-check of `(binary, test)` (`run::recheck`), with a note per
/// re-checked target saying what its re-runs showed. Flaky when every failing target passed
/// a re-run as it ran; emulator-dependent when every failing target failed every re-run as
/// it ran and passed where only the emulator changed; as it was otherwise. Another CPU
/// model passing is a note, never an excuse.
fn rechecked(
    verdict: Verdict,
    results: &RunResults,
    (binary, test): (&str, &str),
    per_target: &[Option<&TestResult>],
) -> (Verdict, Vec<String>) {
    use crate::model::{CheckKind, EmulatorCheck};
    let checks: Vec<&EmulatorCheck> = (results.emulator_checks.iter())
        .filter(|c| c.binary == binary && c.test == test)
        .collect();
    if checks.is_empty() {
        return (verdict, Vec::new());
    }
    let failing: Vec<&TargetResult> = (per_target.iter().zip(&results.targets))
        .filter(|(r, _)| r.is_some_and(|r| r.outcome.is_failure()))
        .map(|(_, t)| t)
        .collect();
    let on = |t: &TargetResult, kind: CheckKind| -> Vec<&EmulatorCheck> {
        (checks.iter().copied())
            .filter(|c| c.target == t.triple && c.kind == kind)
            .collect()
    };
    let passed = |c: &&EmulatorCheck| c.outcome == Outcome::Passed;
    // User mode runs a second QEMU with its default CPU model; a kernel boots with the
    // row's machine and CPU under either.
    let cpu = if results.config.kernel.is_some() {
        "the same machine and CPU"
    } else {
        "its default CPU model"
    };
    let mut notes = Vec::new();
    let mut flaky = Vec::new();
    let mut emulator = Vec::new();
    let mut config = String::new();
    for t in &failing {
        let reruns = on(t, CheckKind::Rerun);
        if reruns.is_empty() {
            continue;
        }
        // The first run failed; each re-run up to the first pass is counted.
        let runs = 1 + reruns.len();
        let failed = 1 + reruns.iter().filter(|c| !passed(c)).count();
        let mut parts = Vec::new();
        if reruns.iter().any(passed) {
            flaky.push((t.short_name().to_string(), failed, runs));
            parts.push(format!("failed {failed} of {runs} runs as it ran: flaky"));
        } else {
            parts.push(format!("failed all {runs} runs as it ran"));
        }
        for c in on(t, CheckKind::OneInsnPerBlock) {
            if passed(&c) {
                if config.is_empty() {
                    config = format!(
                        "with the same CPU and one instruction per translation block ({})",
                        c.config()
                    );
                }
                emulator.push(t.short_name().to_string());
                parts.push(format!(
                    "passes with the same CPU and one instruction per translation block ({})",
                    c.config()
                ));
            } else {
                parts.push(format!(
                    "fails the same with one instruction per translation block ({})",
                    c.config()
                ));
            }
        }
        for c in on(t, CheckKind::SecondQemu) {
            let qemu = c.qemu.as_deref().unwrap_or("?");
            let ours = t.qemu_version.as_deref().unwrap_or("the run's");
            if passed(&c) {
                if config.is_empty() {
                    config = format!("under QEMU {qemu} where QEMU {ours} fails it");
                }
                if !emulator.contains(&t.short_name().to_string()) {
                    emulator.push(t.short_name().to_string());
                }
                parts.push(format!(
                    "passes under QEMU {qemu} ({cpu}) where QEMU {ours} fails it"
                ));
            } else {
                parts.push(format!("fails the same under QEMU {qemu}"));
            }
        }
        for c in on(t, CheckKind::CpuModel) {
            if passed(&c) {
                parts.push(format!(
                    "passes with another CPU model ({}): code that dispatches on CPU \
                     features takes another path there, so this is a fact, not an excuse",
                    c.config()
                ));
            } else {
                parts.push(format!("fails the same with {}", c.config()));
            }
        }
        notes.push(format!(
            "re-checked on {}: {}",
            t.short_name(),
            parts.join("; ")
        ));
    }
    let verdict = if !flaky.is_empty() && flaky.len() == failing.len() {
        Verdict::Flaky { runs: flaky }
    } else if flaky.is_empty() && !emulator.is_empty() && emulator.len() == failing.len() {
        Verdict::EmulatorDependent {
            targets: emulator,
            config,
        }
    } else {
        verdict
    };
    (verdict, notes)
}

/// `verdict` after the causal controls of `(binary, test)` (`run::control`), with a note
/// for each. When every failure is on a target where a crate its executable links is known
/// to be faulty (and it passed somewhere), each such target's failure is the crate's only
/// if the test passed there with the crate replaced by a version shown right: then the
/// verdict is a dependency fault naming the crate and the control. Otherwise the verdict
/// stands, with a note naming the suspected crates: nothing showed they caused it (the
/// test may run code of its own that only this architecture runs).
fn dependency_fault(
    verdict: Verdict,
    results: &RunResults,
    (binary, test): (&str, &str),
    per_target: &[Option<&TestResult>],
) -> (Verdict, Vec<String>) {
    if matches!(
        verdict,
        Verdict::PassesEverywhere | Verdict::Flaky { .. } | Verdict::EmulatorDependent { .. }
    ) {
        return (verdict, Vec::new());
    }
    let ran: Vec<(&TestResult, &TargetResult)> = (per_target.iter().zip(&results.targets))
        .filter_map(|(r, t)| r.filter(|r| r.outcome.ran()).map(|r| (r, t)))
        .collect();
    let (failing, passing): (Vec<_>, Vec<_>) =
        ran.into_iter().partition(|(r, _)| r.outcome.is_failure());
    // A crate whose code bele looked for in this test's executable and did not find cannot
    // have caused the failure.
    fn held<'t>(t: &'t TargetResult, binary: &str) -> Vec<&'t crate::model::MatchedFault> {
        (t.known_faults.iter())
            .filter(|f| (f.linked_into.as_ref()).is_none_or(|b| b.iter().any(|b| b == binary)))
            .collect()
    }
    let mut notes = Vec::new();
    for (_, t) in &failing {
        let absent: Vec<String> = (t.known_faults.iter())
            .filter(|f| {
                !held(t, binary)
                    .iter()
                    .any(|h| h.krate == f.krate && h.version == f.version)
            })
            .map(crate::model::MatchedFault::name)
            .collect();
        if !absent.is_empty() {
            notes.push(format!(
                "its executable on {} holds no code of {} (no symbol of it): not that crate's \
                 failure",
                t.short_name(),
                absent.join(" or ")
            ));
        }
    }
    if failing.is_empty()
        || passing.is_empty()
        || failing.iter().any(|(_, t)| held(t, binary).is_empty())
    {
        return (verdict, notes);
    }
    let mut targets = Vec::new();
    let mut faults: Vec<String> = Vec::new();
    for (_, t) in &failing {
        let on = t.short_name();
        let mut shown = None;
        for c in results
            .dependency_controls
            .iter()
            .filter(|c| c.target == t.triple)
        {
            let krate = c.fault.split(' ').next().unwrap_or_default();
            let replaced = format!("{krate} {} in place of {}", c.control, c.fault);
            if let Some(error) = &c.error {
                notes.push(format!("no control on {on} with {replaced}: {error}"));
                continue;
            }
            let Some(outcome) = (c.tests.iter())
                .find(|x| x.binary == binary && x.test == test)
                .map(|x| x.outcome)
            else {
                continue;
            };
            if outcome == Outcome::Passed {
                notes.push(format!(
                    "control on {on}: passes with {replaced} (a copy of the lockfile), the \
                     rest unchanged: the crate's fault"
                ));
                shown = Some(format!("{} ({} passes)", c.fault, c.control));
            } else {
                notes.push(format!(
                    "control on {on}: {} with {replaced}: not that crate's fault",
                    outcome.label()
                ));
            }
        }
        match shown {
            Some(fault) => {
                targets.push(on.to_string());
                if !faults.contains(&fault) {
                    faults.push(fault);
                }
            }
            None => {
                let held = held(t, binary);
                let names: Vec<String> = held.iter().map(|f| f.name()).collect();
                let code = match held.len() {
                    _ if held.iter().any(|f| f.linked_into.is_none()) => "",
                    1 => " and holds its code",
                    _ => " and holds their code",
                };
                notes.push(format!(
                    "suspect a dependency on {on}: its executable links {}{code}, known to be \
                     faulty there; no control has shown that caused this failure, so it stands",
                    names.join(" and ")
                ));
            }
        }
    }
    if targets.len() == failing.len() {
        (Verdict::DependencyFault { targets, faults }, notes)
    } else {
        (verdict, notes)
    }
}

/// Where the builds of a run failed: `None` when every build that was tried succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildTriage<'r> {
    pub verdict: Verdict,
    pub verdict_label: String,
    /// Triples of the targets that failed to build.
    pub failed: Vec<&'r str>,
    /// When every failed build failed only in dependencies (crates not of the workspace):
    /// those crates (`rustix 1.1.6`). The label then says so: the verdict is not about the
    /// workspace's code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
}

/// The verdict over the targets that were built: "build fails on 32-bit only".
pub fn build_triage(results: &RunResults) -> Option<BuildTriage<'_>> {
    let tried: Vec<&TargetResult> = results
        .targets
        .iter()
        .filter(|t| matches!(t.status, TargetStatus::Ran | TargetStatus::BuildFailed))
        .collect();
    if !tried.iter().any(|t| t.status == TargetStatus::BuildFailed) {
        return None;
    }
    let members: Vec<Member<'_>> = tried
        .iter()
        .map(|t| Member {
            name: t.short_name(),
            traits: t.traits(),
            bad: t.status == TargetStatus::BuildFailed,
            bus_error: false,
        })
        .collect();
    let verdict = verdict(&members, Subject::Build);
    let failed: Vec<&TargetResult> = (tried.iter().copied())
        .filter(|t| t.status == TargetStatus::BuildFailed)
        .collect();
    // Blame carefully: a dependency that does not build is not the workspace's bug. Only
    // when every failed build failed in dependencies alone.
    let per_target: Option<Vec<Vec<String>>> = (failed.iter())
        .map(|t| (t.build.as_ref()).and_then(crate::model::BuildInfo::failed_dependencies))
        .collect();
    let mut dependencies: Vec<String> = per_target.into_iter().flatten().flatten().collect();
    dependencies.sort();
    dependencies.dedup();
    let mut verdict_label = verdict.label_for(Subject::Build);
    if !dependencies.is_empty() {
        verdict_label = format!(
            "{verdict_label}: in a dependency, {} (not the workspace's code)",
            dependencies.join(", ")
        );
    }
    Some(BuildTriage {
        verdict_label,
        verdict,
        failed: failed.iter().map(|t| t.triple.as_str()).collect(),
        dependencies,
    })
}

/// One test that did not pass everywhere, as the results file's `triage` list shows it: the
/// verdict, and where and how it failed with the minimal input and the replay command.
#[derive(Debug, Serialize)]
pub struct TriageEntry<'r> {
    pub binary: &'r str,
    pub test: &'r str,
    pub verdict: Verdict,
    pub verdict_label: String,
    /// What its re-runs showed per target, and crates known to be faulty where it failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub failures: Vec<TriageFailure<'r>>,
}

#[derive(Debug, Serialize)]
pub struct TriageFailure<'r> {
    pub target: &'r str,
    pub outcome: Outcome,
    pub signal: Option<&'r crate::model::Ended>,
    pub minimal_input: Option<&'r str>,
    /// The shell line that re-runs the test on this target alone with the run's seed.
    pub replay: String,
}

/// Every test whose verdict is not "passes everywhere", byte-order bugs first.
pub fn triage(results: &RunResults) -> Vec<TriageEntry<'_>> {
    let mut tests: Vec<TestAcross<'_>> = tests_across(results)
        .into_iter()
        .filter(|t| !t.verdict.passes())
        .collect();
    tests.sort_by(|a, b| a.verdict.cmp(&b.verdict));
    tests
        .iter()
        .map(|t| TriageEntry {
            binary: t.binary,
            test: t.name,
            verdict: t.verdict.clone(),
            verdict_label: t.verdict.label(),
            notes: t.notes.clone(),
            failures: t
                .failures(results)
                .into_iter()
                .map(|(r, target)| TriageFailure {
                    target: &target.triple,
                    outcome: r.outcome,
                    signal: r.signal.as_ref(),
                    minimal_input: r.minimal_input.as_deref(),
                    replay: crate::execute::invocation::repro_of(
                        target,
                        t.binary,
                        t.name,
                        &results.config,
                    )
                    .unwrap_or_default(),
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::findings::Findings;
    use crate::testdata::sample;

    fn memchr() -> crate::model::MatchedFault {
        crate::model::MatchedFault {
            krate: "memchr".into(),
            version: "2.8.3".into(),
            what: "its NEON searches return wrong positions".into(),
            see: None,
            control: Some("2.5.0".into()),
            linked_into: None,
        }
    }

    /// A crate known to be faulty where a test fails is a note beside its verdict, never an
    /// excuse: nothing showed the crate caused the failure. The run fails as before.
    #[test]
    fn a_known_faulty_dependency_is_a_suspicion_not_an_excuse() {
        let mut r = sample();
        let before = Findings::of(&r).summary;
        assert!(before.failed > 0);
        let be_bug = |r: &RunResults| -> (String, Vec<String>) {
            let found = Findings::of(r);
            let t = found.tests.iter().find(|t| t.name == "be_bug").unwrap();
            (t.verdict.id(), t.notes.clone())
        };
        assert_eq!(be_bug(&r), ("big-endian-only".into(), vec![]));
        // The sample's failures are on s390x (index 1) only.
        r.targets[1].known_faults = vec![memchr()];
        let (id, notes) = be_bug(&r);
        assert_eq!(id, "big-endian-only");
        assert_eq!(
            notes,
            [
                "suspect a dependency on s390x: its executable links memchr 2.8.3, known to be \
              faulty there; no control has shown that caused this failure, so it stands"
            ]
        );
        assert_eq!(Findings::of(&r).summary, before);
        // Its executable holds no code of the crate: not that crate's failure, no suspicion.
        r.targets[1].known_faults[0].linked_into = Some(vec!["other".into()]);
        let (id, notes) = be_bug(&r);
        assert_eq!(id, "big-endian-only");
        assert_eq!(
            notes,
            [
                "its executable on s390x holds no code of memchr 2.8.3 (no symbol of it): not \
              that crate's failure"
            ]
        );
        r.targets[1].known_faults[0].linked_into = Some(vec!["pkg".into()]);
        let (_, notes) = be_bug(&r);
        assert!(
            notes[0].contains("links memchr 2.8.3 and holds its code"),
            "{notes:?}"
        );
        r.targets[1].known_faults[0].linked_into = None;
        // A control that could not run, or in which the test failed the same: it stands.
        let control = |error: Option<&str>, outcome: Outcome| crate::model::DependencyControl {
            target: "s390x-unknown-linux-gnu".into(),
            fault: "memchr 2.8.3".into(),
            control: "2.5.0".into(),
            error: error.map(String::from),
            tests: vec![crate::model::ControlledTest {
                binary: "pkg".into(),
                test: "be_bug".into(),
                outcome,
            }],
        };
        r.dependency_controls = vec![control(
            Some("cargo could not put it in place: error: x"),
            Outcome::Passed,
        )];
        let (id, notes) = be_bug(&r);
        assert_eq!(id, "big-endian-only");
        assert_eq!(notes[0], "no control on s390x with memchr 2.5.0 in place of memchr 2.8.3: cargo could not put it in place: error: x");
        r.dependency_controls = vec![control(None, Outcome::Failed)];
        let (id, notes) = be_bug(&r);
        assert_eq!(id, "big-endian-only");
        assert_eq!(notes[0], "control on s390x: failed with memchr 2.5.0 in place of memchr 2.8.3: not that crate's fault");
        assert!(
            notes[1].starts_with("suspect a dependency on s390x"),
            "{notes:?}"
        );
        assert_eq!(Findings::of(&r).summary, before);
        // Passing with the crate replaced: the crate's fault, not failing the run unless
        // `--strict`.
        r.dependency_controls = vec![control(None, Outcome::Passed)];
        let found = Findings::of(&r);
        let t = found.tests.iter().find(|t| t.name == "be_bug").unwrap();
        assert_eq!(t.verdict.id(), "dependency-fault");
        assert_eq!(
            t.verdict.label(),
            "fails on s390x only through a dependency, shown by replacing it: memchr 2.8.3 (2.5.0 passes)"
        );
        assert_eq!(t.notes, ["control on s390x: passes with memchr 2.5.0 in place of memchr 2.8.3 (a copy of the lockfile), the rest unchanged: the crate's fault"]);
        assert_eq!(found.summary.failed, before.failed - 1);
        assert_eq!(found.summary.dependency_faults, 1);
        r.config.strict = true;
        assert_eq!(Findings::of(&r).summary.failed, before.failed);
        r.config.strict = false;
        // Failing on x86_64 as well, where nothing is known: no suspicion either.
        let test = &mut r.targets[0].binaries[0].tests;
        let x = test.iter_mut().find(|t| t.name == "be_bug").unwrap();
        x.outcome = Outcome::Failed;
        assert_eq!(be_bug(&r), ("fails-everywhere".into(), vec![]));
    }
}
