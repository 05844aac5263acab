//! Findings: what reports and the exit code read of a run, derived once from the results
//! model: every test with its verdict, the probe records that differ, where builds failed,
//! where time went, and how the run ended.

use crate::model::{RunResults, RunState, TargetStatus};

/// What reports show beyond the per-target rows, derived once from the results: every
/// test with its verdict, the probe records that differ, and where builds failed.
#[derive(Debug)]
pub struct Findings<'r> {
    pub tests: Vec<crate::analyze::triage::TestAcross<'r>>,
    /// Byte-order verdicts first.
    pub differences: Vec<crate::analyze::differential::Difference<'r>>,
    pub not_compared: Vec<crate::analyze::differential::Skipped<'r>>,
    /// The `#[repr(..)]` types whose layouts (from the compiler) differ between targets:
    /// failing ones first, pointer-width dependent ones last.
    pub layouts: Vec<crate::analyze::layouts::LayoutFinding<'r>>,
    pub alone: Vec<crate::analyze::differential::Alone<'r>>,
    /// What went wrong with probe files, per target and executable.
    pub probe_notes: Vec<ProbeNote<'r>>,
    pub build: Option<crate::analyze::triage::BuildTriage<'r>>,
    /// How the run ended: the exit code, the closing line and every report read this.
    pub summary: RunSummary,
    /// `(triple, binary, test)` to the differences whose differing side holds that target.
    by_target: std::collections::HashMap<(&'r str, &'r str, &'r str), Vec<usize>>,
}

impl<'r> Findings<'r> {
    pub fn of(results: &'r crate::model::RunResults) -> Findings<'r> {
        let analysis = crate::analyze::differential::differences(results);
        let mut by_target: std::collections::HashMap<_, Vec<usize>> = Default::default();
        for (i, d) in analysis.differences.iter().enumerate() {
            for t in d.differing_targets() {
                by_target.entry((t, d.binary, d.test)).or_default().push(i);
            }
        }
        let tests = crate::analyze::triage::tests_across(results);
        let layouts = crate::analyze::layouts::compare(results);
        Findings {
            summary: RunSummary::of(results, &analysis.differences, &layouts, &tests),
            layouts,
            tests,
            differences: analysis.differences,
            not_compared: analysis.skipped,
            alone: analysis.alone,
            probe_notes: probe_notes(results),
            build: crate::analyze::triage::build_triage(results),
            by_target,
        }
    }

    /// The differences in which `test` of `binary` on `triple` is on a differing side.
    pub fn differing(
        &self,
        triple: &str,
        binary: &str,
        test: &str,
    ) -> Vec<&crate::analyze::differential::Difference<'r>> {
        self.by_target
            .get(&(triple, binary, test))
            .map(|v| v.iter().map(|&i| &self.differences[i]).collect())
            .unwrap_or_default()
    }

    /// The verdict a test's row shows: its failures', or where its output differs if it
    /// passes everywhere.
    pub fn row_verdict(&self, t: &crate::analyze::triage::TestAcross<'_>) -> String {
        match self.differences_of(t.binary, t.name).first() {
            Some(d) if t.verdict.passes() => d.verdict_label.clone(),
            _ => t.verdict.label(),
        }
    }

    /// The answer in a few lines, for a report's first screen: one group per verdict, worst
    /// first (failing tests, differing outputs and layouts, failed builds, then excused
    /// failures, unavailable targets and tests not run), each with its targets.
    pub fn groups(&self, results: &'r crate::model::RunResults) -> Vec<VerdictGroup> {
        let short = |t: &str| crate::model::short_name(t).to_string();
        let mut groups: Vec<VerdictGroup> = Vec::new();
        let mut add = |kind: GroupKind, label: String, targets: Vec<String>| match groups
            .iter_mut()
            .find(|g| g.kind == kind && g.label == label)
        {
            Some(g) => {
                g.count += 1;
                for t in targets {
                    if !g.targets.contains(&t) {
                        g.targets.push(t);
                    }
                }
            }
            None => groups.push(VerdictGroup {
                kind,
                label,
                targets,
                count: 1,
            }),
        };
        for t in self.tests.iter().filter(|t| t.has_failure()) {
            let kind = if excused(&t.verdict, &results.config) {
                GroupKind::Excused
            } else {
                GroupKind::Failing
            };
            let on = t.failing_targets(results).into_iter().map(short).collect();
            add(kind, t.verdict.label(), on);
        }
        for d in &self.differences {
            let kind = if d.kind == crate::model::ProbeKind::Layout {
                GroupKind::LayoutDiffers
            } else {
                GroupKind::OutputDiffers
            };
            let on = d.differing_targets().into_iter().map(short).collect();
            add(kind, d.verdict_label.clone(), on);
        }
        for l in &self.layouts {
            let kind = if l.fails(results.config.strict) {
                GroupKind::LayoutDiffers
            } else {
                GroupKind::PointerWidth
            };
            let on = l.differing_targets().into_iter().map(short).collect();
            add(kind, l.verdict_label.clone(), on);
        }
        if let Some(b) = &self.build {
            let on = b.failed.iter().map(|t| short(t)).collect();
            add(GroupKind::BuildFails, b.verdict_label.clone(), on);
        }
        for (triple, _, _) in executable_errors(results) {
            add(
                GroupKind::Unrunnable,
                "test executable could not run".into(),
                vec![short(triple)],
            );
        }
        for t in &results.targets {
            match t.status {
                TargetStatus::Unavailable => add(
                    GroupKind::Unavailable,
                    "unavailable".into(),
                    vec![short(&t.triple)],
                ),
                TargetStatus::Interrupted | TargetStatus::Pending => add(
                    GroupKind::NotRun,
                    "interrupted".into(),
                    vec![short(&t.triple)],
                ),
                _ if t.counts().not_run > 0 => {
                    add(GroupKind::NotRun, "not run".into(), vec![short(&t.triple)]);
                }
                _ => {}
            }
        }
        // Unavailable and not run count targets, not tests.
        for g in &mut groups {
            if matches!(g.kind, GroupKind::Unavailable | GroupKind::NotRun) {
                g.count = g.targets.len();
            }
        }
        groups.sort_by_key(|g| g.kind);
        groups
    }

    /// The run's closing line, naming the build verdict when builds failed.
    pub fn closing_line(&self) -> String {
        (self.summary).closing_line(self.build.as_ref().map(|b| b.verdict_label.as_str()))
    }

    /// The verdict label of every test by `(binary, test name)`, for reports that walk the
    /// results target by target; a failure re-checked under a second emulator
    /// configuration says so after its label.
    pub fn verdict_labels(&self) -> std::collections::HashMap<(&'r str, &'r str), String> {
        self.tests
            .iter()
            .map(|t| {
                let label = if t.notes.is_empty() {
                    t.verdict.label()
                } else {
                    format!("{} ({})", t.verdict.label(), t.notes.join("; "))
                };
                ((t.binary, t.name), label)
            })
            .collect()
    }

    /// Every difference of `test` of `binary`.
    pub fn differences_of(
        &self,
        binary: &str,
        test: &str,
    ) -> Vec<&crate::analyze::differential::Difference<'r>> {
        self.differences
            .iter()
            .filter(|d| d.binary == binary && d.test == test)
            .collect()
    }
}

/// Whether a test's failures are excused from failing the run: emulator-dependent ones and
/// dependency faults (each with its evidence) unless `--strict`, flaky ones when
/// `--retries` covers every failed run of each.
pub fn excused(
    verdict: &crate::analyze::verdict::Verdict,
    config: &crate::model::RunConfigInfo,
) -> bool {
    use crate::analyze::verdict::Verdict;
    match verdict {
        Verdict::EmulatorDependent { .. } | Verdict::DependencyFault { .. } => !config.strict,
        Verdict::Flaky { runs } => {
            let retries = config.retries as usize;
            retries > 0 && runs.iter().all(|(_, failed, _)| *failed <= retries)
        }
        _ => false,
    }
}

/// `(triple, executable, error)` of every test executable that could not be listed or run.
pub fn executable_errors(results: &RunResults) -> Vec<(&str, &str, &str)> {
    results
        .targets
        .iter()
        .flat_map(|t| {
            t.binaries
                .iter()
                .filter_map(move |b| Some((t.triple.as_str(), b.id.as_str(), b.error.as_deref()?)))
        })
        .collect()
}

/// Something a reader of one test executable's probe records on one target must know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProbeNote<'r> {
    pub target: &'r str,
    pub binary: &'r str,
    pub note: String,
}

impl ProbeNote<'_> {
    /// The note as one line of a report.
    pub fn line(&self) -> String {
        format!(
            "probe records of {} on {}: {}",
            self.binary,
            crate::model::short_name(self.target),
            self.note
        )
    }
}

/// Every probe note of the run, in target order.
pub fn probe_notes(results: &RunResults) -> Vec<ProbeNote<'_>> {
    results
        .targets
        .iter()
        .flat_map(|t| {
            t.binaries.iter().flat_map(move |b| {
                b.probe_notes().into_iter().map(move |note| ProbeNote {
                    target: t.triple.as_str(),
                    binary: b.id.as_str(),
                    note,
                })
            })
        })
        .collect()
}

/// Where one target's time went: std built into bele's cache, the crate's build, its tests'
/// wall time, and its slowest tests.
#[derive(Debug)]
pub struct TimeSpent<'r> {
    pub triple: &'r str,
    pub std_ms: Option<u64>,
    pub build_ms: Option<u64>,
    pub tests_ms: Option<u64>,
    /// `(executable, test, ms)`, slowest first.
    pub slowest: Vec<(&'r str, &'r str, u64)>,
}

/// How many of a target's slowest tests reports name.
pub const SLOWEST: usize = 3;

/// Where each target that was built spent its time.
pub fn time_spent(results: &crate::model::RunResults) -> Vec<TimeSpent<'_>> {
    results
        .targets
        .iter()
        .filter(|t| t.build.is_some())
        .map(|t| {
            let mut slowest: Vec<(&str, &str, u64)> = t
                .binaries
                .iter()
                .flat_map(|b| {
                    b.tests
                        .iter()
                        .map(move |r| (b.id.as_str(), r.name.as_str(), r.duration_ms))
                })
                .filter(|(_, _, ms)| *ms > 0)
                .collect();
            slowest.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(b.1)));
            slowest.truncate(SLOWEST);
            TimeSpent {
                triple: &t.triple,
                std_ms: t.build.as_ref().and_then(|b| b.std_ms),
                build_ms: t.build.as_ref().map(|b| b.duration_ms),
                tests_ms: t.run_ms,
                slowest,
            }
        })
        .collect()
}

/// How a run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunVerdict {
    /// Every selected target was built, every test passed (or was ignored) and no probe
    /// record differed.
    AllPassed,
    /// A test failed, crashed or timed out, an executable could not be run, a target failed
    /// to build, or probe records differed where they must agree.
    Failures,
    /// Nothing failed, but some selected targets were unavailable or not run.
    Incomplete,
}

/// The one account of how a run ended, computed once (as nextest's
/// `RunStats::summarize_final`): the exit code, the closing line and every report read it.
/// Counts are of results, one per test and target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub passed: usize,
    /// Failed, crashed or timed out.
    pub failed: usize,
    /// `#[ignore]`d.
    pub skipped: usize,
    /// Selected but never run to an outcome (a run interrupted, a process that died
    /// before reaching them).
    pub not_run: usize,
    /// Test executables that could not be listed or run at all.
    pub executables_failed: usize,
    /// Probe records that differ where they must agree.
    pub outputs_differ: usize,
    /// Layouts that differ: declared ones (`bele_probe::layout!`), and `#[repr(..)]` types
    /// from the compiler (pointer-width dependent ones only when the run was `--strict`).
    pub layouts_differ: usize,
    /// `#[repr(..)]` types whose layouts follow the pointer width (not in `layouts_differ`
    /// unless the run was `--strict`).
    pub pointer_width_layouts: usize,
    /// Failures that passed under a second emulator configuration (not in `failed` unless
    /// the run was `--strict`).
    pub emulator_dependent: usize,
    /// Failures of flaky tests (passed when run again as they ran); not in `failed` when
    /// `--retries` accepted them.
    pub flaky: usize,
    /// Failures a causal control showed to be a dependency's (not in `failed` unless the
    /// run was `--strict`).
    pub dependency_faults: usize,
    /// Targets that failed to build.
    pub build_failed: usize,
    pub unavailable: usize,
    /// Targets that were not finished (the run was interrupted).
    pub interrupted: usize,
    pub verdict: Option<RunVerdict>,
}

impl RunSummary {
    pub fn of(
        results: &RunResults,
        differences: &[crate::analyze::differential::Difference<'_>],
        layouts: &[crate::analyze::layouts::LayoutFinding<'_>],
        tests: &[crate::analyze::triage::TestAcross<'_>],
    ) -> RunSummary {
        let declared = (differences.iter())
            .filter(|d| d.kind == crate::model::ProbeKind::Layout)
            .count();
        let strict = results.config.strict;
        let by_width = layouts.iter().filter(|l| l.pointer_width).count();
        let mut s = RunSummary {
            outputs_differ: differences.len() - declared,
            layouts_differ: declared + layouts.iter().filter(|l| l.fails(strict)).count(),
            pointer_width_layouts: by_width,
            ..RunSummary::default()
        };
        let mut excused_failures = 0;
        for t in tests {
            use crate::analyze::verdict::Verdict;
            let n = t.failures(results).len();
            match t.verdict {
                Verdict::EmulatorDependent { .. } => s.emulator_dependent += n,
                Verdict::Flaky { .. } => s.flaky += n,
                Verdict::DependencyFault { .. } => s.dependency_faults += n,
                _ => {}
            }
            if excused(&t.verdict, &results.config) {
                excused_failures += n;
            }
        }
        for t in &results.targets {
            let c = t.counts();
            s.passed += c.passed;
            s.failed += c.failures();
            s.skipped += c.ignored;
            s.not_run += c.not_run;
            s.executables_failed += t.binaries.iter().filter(|b| b.error.is_some()).count();
            match t.status {
                TargetStatus::BuildFailed => s.build_failed += 1,
                TargetStatus::Unavailable => s.unavailable += 1,
                TargetStatus::Interrupted | TargetStatus::Pending => s.interrupted += 1,
                TargetStatus::Ran => {}
            }
        }
        s.failed -= excused_failures.min(s.failed);
        let failed =
            s.failed + s.executables_failed + s.outputs_differ + s.layouts_differ + s.build_failed
                > 0;
        let incomplete =
            results.state != RunState::Complete || s.not_run + s.unavailable + s.interrupted > 0;
        s.verdict = Some(if failed {
            RunVerdict::Failures
        } else if incomplete {
            RunVerdict::Incomplete
        } else {
            RunVerdict::AllPassed
        });
        s
    }

    pub fn verdict(&self) -> RunVerdict {
        self.verdict.unwrap_or(RunVerdict::Incomplete)
    }

    /// Whether anything failed (what the summary shows in red).
    pub fn failing(&self) -> bool {
        self.verdict() == RunVerdict::Failures
    }

    /// The last line, in the form CI systems read: `bele: P passed, F failed, S skipped`,
    /// then whatever else happened, each only when it did: tests not run are counted apart
    /// from those skipped on purpose (`#[ignore]`). `build` names the build verdict.
    pub fn closing_line(&self, build: Option<&str>) -> String {
        let plural =
            |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        let mut line = format!(
            "bele: {} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        );
        if self.not_run > 0 {
            line += &format!(", {} not run", self.not_run);
        }
        if self.executables_failed > 0 {
            let n = self.executables_failed;
            line += &format!(
                ", {n} test {} could not run",
                plural(n, "executable", "executables")
            );
        }
        if self.emulator_dependent > 0 {
            line += &format!(", {} emulator-dependent", self.emulator_dependent);
        }
        if self.flaky > 0 {
            line += &format!(", {} flaky", self.flaky);
        }
        if self.dependency_faults > 0 {
            let n = self.dependency_faults;
            line += &format!(
                ", {n} {}",
                plural(n, "dependency fault", "dependency faults")
            );
        }
        if self.outputs_differ > 0 {
            line += &format!(", {} outputs differ", self.outputs_differ);
        }
        if self.layouts_differ > 0 {
            let n = self.layouts_differ;
            line += &format!(", {n} {}", plural(n, "layout differs", "layouts differ"));
        }
        if self.pointer_width_layouts > 0 {
            let n = self.pointer_width_layouts;
            line += &format!(
                ", {n} pointer-width dependent {}",
                plural(n, "layout", "layouts")
            );
        }
        if self.build_failed > 0 {
            let n = self.build_failed;
            line += &format!(", {n} {} failed to build", plural(n, "target", "targets"));
            if let Some(label) = build {
                line += &format!(" ({label})");
            }
        }
        if self.unavailable > 0 {
            line += &format!(", {} unavailable", self.unavailable);
        }
        if self.interrupted > 0 {
            line += &format!(", {} interrupted", self.interrupted);
        }
        line
    }
}

/// What a verdict group is about, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKind {
    Failing,
    OutputDiffers,
    LayoutDiffers,
    BuildFails,
    /// Test executables that could not be listed or run.
    Unrunnable,
    /// Failures that do not fail the run, each with its evidence: emulator-dependent ones
    /// and dependency faults (unless `--strict`), flaky ones `--retries` accepted.
    Excused,
    /// Layouts that follow the pointer width (they fail the run only under `--strict`).
    PointerWidth,
    Unavailable,
    NotRun,
}

impl GroupKind {
    /// How a count of this kind reads: "3 failing", "1 layout differs".
    pub fn counted(self, n: usize) -> String {
        let (one, many) = match self {
            GroupKind::Failing => ("failing", "failing"),
            GroupKind::OutputDiffers => ("output differs", "outputs differ"),
            GroupKind::LayoutDiffers => ("layout differs", "layouts differ"),
            GroupKind::BuildFails => ("target fails to build", "targets fail to build"),
            GroupKind::Unrunnable => (
                "test executable could not run",
                "test executables could not run",
            ),
            GroupKind::Excused => ("excused failure", "excused failures"),
            GroupKind::PointerWidth => (
                "pointer-width dependent layout",
                "pointer-width dependent layouts",
            ),
            GroupKind::Unavailable => ("target unavailable", "targets unavailable"),
            GroupKind::NotRun => ("target with tests not run", "targets with tests not run"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }

    /// Whether it fails the run.
    pub fn fails(self) -> bool {
        self <= GroupKind::Unrunnable
    }
}

/// Tests (or targets) that share a verdict, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictGroup {
    pub kind: GroupKind,
    pub label: String,
    /// Short names, in the order first met.
    pub targets: Vec<String>,
    /// Tests or differences in it; targets, for unavailable and not run.
    pub count: usize,
}

impl VerdictGroup {
    /// ` (3)` after its label: how many tests or differences (nothing for targets, which
    /// the list after it counts).
    pub fn count_suffix(&self) -> String {
        match self.kind {
            GroupKind::Unavailable | GroupKind::NotRun => String::new(),
            _ => format!(" ({})", self.count),
        }
    }
}

/// The counts by verdict of a first screen, worst first: "3 failing", "1 layout differs".
pub fn group_counts(groups: &[VerdictGroup]) -> Vec<String> {
    let mut counts: Vec<(GroupKind, usize)> = Vec::new();
    for g in groups {
        match counts.iter_mut().find(|c| c.0 == g.kind) {
            Some(c) => c.1 += g.count,
            None => counts.push((g.kind, g.count)),
        }
    }
    counts.iter().map(|(k, n)| k.counted(*n)).collect()
}

/// How `results` ended, for the exit code.
pub fn run_verdict(results: &RunResults) -> RunVerdict {
    Findings::of(results).summary.verdict()
}
