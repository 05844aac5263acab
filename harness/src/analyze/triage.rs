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
