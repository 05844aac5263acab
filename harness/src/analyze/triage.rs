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
    /// When its failures were run again under a second emulator configuration and failed
    /// the same (the verdict stands): `re-checked with <config>: fails the same`.
    pub rechecked: Option<String>,
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
            let (verdict, rechecked) = rechecked(
                verdict(&members, Subject::Test),
                results,
                (binary, name),
                &per_target,
            );
            let verdict = dependency_fault(verdict, results, &per_target);
            TestAcross {
                binary,
                name,
                verdict,
                per_target,
                rechecked,
            }
        })
        .collect()
}

/// `verdict` after the suspect-emulator re-check of `(binary, test)`: emulator-dependent
/// when every failure was run again and passed; when every one failed again it stands,
/// with a note saying so; as it was when no failure was checked or the checks disagree.
fn rechecked(
    verdict: Verdict,
    results: &RunResults,
    (binary, test): (&str, &str),
    per_target: &[Option<&TestResult>],
) -> (Verdict, Option<String>) {
    let checks: Vec<&crate::model::EmulatorCheck> = (results.emulator_checks.iter())
        .filter(|c| c.binary == binary && c.test == test)
        .collect();
    let Some(first) = checks.first() else {
        return (verdict, None);
    };
    let failing: Vec<&TargetResult> = (per_target.iter().zip(&results.targets))
        .filter(|(r, _)| r.is_some_and(|r| r.outcome.is_failure()))
        .map(|(_, t)| t)
        .collect();
    let check_of = |t: &TargetResult| checks.iter().find(|c| c.target == t.triple);
    if !failing.iter().all(|t| check_of(t).is_some()) {
        return (verdict, None);
    }
    let passed = |t: &&TargetResult| check_of(t).is_some_and(|c| c.outcome == Outcome::Passed);
    let config = first.config();
    if failing.iter().all(passed) {
        let targets = failing.iter().map(|t| t.short_name().to_string()).collect();
        (Verdict::EmulatorDependent { targets, config }, None)
    } else if !failing.iter().any(passed) {
        (
            verdict,
            Some(format!("re-checked with {config}: fails the same")),
        )
    } else {
        (verdict, None)
    }
}

/// `verdict` as a dependency fault when every failure of the test is on a target with known
/// faults of crates in the dependency graph, and it passed on some other target; as it was
/// otherwise (a test failing everywhere, or also where nothing is known, is the workspace's).
fn dependency_fault(
    verdict: Verdict,
    results: &RunResults,
    per_target: &[Option<&TestResult>],
) -> Verdict {
    if matches!(
        verdict,
        Verdict::PassesEverywhere | Verdict::EmulatorDependent { .. }
    ) {
        return verdict;
    }
    let ran: Vec<(&TestResult, &TargetResult)> = (per_target.iter().zip(&results.targets))
        .filter_map(|(r, t)| r.filter(|r| r.outcome.ran()).map(|r| (r, t)))
        .collect();
    let (failing, passing): (Vec<_>, Vec<_>) =
        ran.into_iter().partition(|(r, _)| r.outcome.is_failure());
    if failing.is_empty()
        || passing.is_empty()
        || failing.iter().any(|(_, t)| t.known_faults.is_empty())
    {
        return verdict;
    }
    let mut faults: Vec<String> = Vec::new();
    for f in failing.iter().flat_map(|(_, t)| &t.known_faults) {
        if !faults.contains(f) {
            faults.push(f.clone());
        }
    }
    Verdict::DependencyFault {
        targets: failing
            .iter()
            .map(|(_, t)| t.short_name().to_string())
            .collect(),
        faults,
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
    /// Its failures ran again under a second emulator configuration and failed the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rechecked: Option<String>,
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
            rechecked: t.rechecked.clone(),
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
    use crate::model::testdata::sample;

    const MEMCHR: &str = "memchr 2.8.3: its NEON searches return wrong positions";

    /// Failures only on targets with a known fault of a dependency are that dependency's:
    /// the verdict names it, the run does not fail unless `--strict`. A test that also fails
    /// where nothing is known, or everywhere, stays the workspace's.
    #[test]
    fn failures_where_a_dependency_is_known_faulty_are_not_the_workspaces() {
        let mut r = sample();
        let before = Findings::of(&r).summary;
        assert!(before.failed > 0);
        let fails = |r: &RunResults| -> Vec<(String, String)> {
            Findings::of(r)
                .tests
                .iter()
                .filter(|t| t.has_failure())
                .map(|t| (t.name.to_string(), t.verdict.id()))
                .collect()
        };
        assert!(fails(&r).iter().all(|(_, v)| v != "dependency-fault"));
        // The sample's failures are on s390x (index 1) only.
        r.targets[1].known_faults = vec![MEMCHR.into()];
        let found = Findings::of(&r);
        let be_bug = found.tests.iter().find(|t| t.name == "be_bug").unwrap();
        assert_eq!(be_bug.verdict.id(), "dependency-fault");
        let label = be_bug.verdict.label();
        assert!(
            label.starts_with("fails on s390x only, where a dependency is known to be faulty (not the workspace's code): memchr 2.8.3"),
            "{label}"
        );
        let s = &found.summary;
        assert_eq!(s.failed, 0, "{s:?}");
        assert_eq!(s.dependency_faults, before.failed);
        assert!(
            s.closing_line(None)
                .contains(&format!(", {} dependency fault", before.failed)),
            "{}",
            s.closing_line(None)
        );
        r.config.strict = true;
        assert_eq!(Findings::of(&r).summary.failed, before.failed);
        r.config.strict = false;
        // Failing on x86_64 as well, where nothing is known: the workspace's.
        let test = &mut r.targets[0].binaries[0].tests;
        let x = test.iter_mut().find(|t| t.name == "be_bug").unwrap();
        x.outcome = Outcome::Failed;
        let verdict = fails(&r)
            .into_iter()
            .find(|(n, _)| n == "be_bug")
            .unwrap()
            .1;
        assert_eq!(verdict, "fails-everywhere");
    }
}
