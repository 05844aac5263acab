//! Verdicts: for each test, what its outcomes across targets say about the cause.
//!
//! Rule table, applied in order to the targets on which the test ran to a verdict of its
//! own (passed, failed, crashed, timed out; build failures and unavailable targets are not
//! comparable):
//!
//! | verdict              | when                                                        |
//! |----------------------|-------------------------------------------------------------|
//! | passes everywhere    | it ran on a target and failed on none                       |
//! | not comparable       | it ran on no target, or failed on the only one it ran on    |
//! | fails everywhere     | it failed on every target it ran on (two or more)           |
//! | big-endian only      | the failing targets are exactly the big-endian ones         |
//! | little-endian only   | ... exactly the little-endian ones                          |
//! | 32-bit only          | ... exactly the 32-bit ones                                 |
//! | 64-bit only          | ... exactly the 64-bit ones                                 |
//! | one target only      | it failed on one target (suspect the target or QEMU)        |
//! | mixed                | anything else; the failing targets are listed               |

use std::collections::{BTreeMap, HashMap};

use bele_targets::{Endian, PointerWidth};
use serde::Serialize;

use crate::results::{Outcome, RunResults, TargetResult, TargetStatus, TestResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    // Ordered by how a maintainer should read them: byte-order bugs first.
    BigEndianOnly,
    LittleEndianOnly,
    #[serde(rename = "32-bit-only")]
    Bits32Only,
    #[serde(rename = "64-bit-only")]
    Bits64Only,
    OneTargetOnly,
    Mixed,
    FailsEverywhere,
    NotComparable,
    PassesEverywhere,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::BigEndianOnly => "fails on big-endian only",
            Verdict::LittleEndianOnly => "fails on little-endian only",
            Verdict::Bits32Only => "fails on 32-bit only",
            Verdict::Bits64Only => "fails on 64-bit only",
            Verdict::OneTargetOnly => "fails on one target only (suspect the target or QEMU)",
            Verdict::Mixed => "fails on a mixed set of targets",
            Verdict::FailsEverywhere => "fails everywhere",
            Verdict::NotComparable => "not comparable (ran on fewer than two targets)",
            Verdict::PassesEverywhere => "passes everywhere",
        }
    }
}

/// Facts about a target that verdicts depend on.
#[derive(Debug, Clone, Copy)]
pub struct TargetFacts<'a> {
    pub triple: &'a str,
    pub endian: Endian,
    pub width: PointerWidth,
}

/// The verdict for a test given `(target, outcome)` for every target it was run on.
pub fn verdict(outcomes: &[(TargetFacts<'_>, Outcome)]) -> Verdict {
    let ran: Vec<&(TargetFacts<'_>, Outcome)> = outcomes.iter().filter(|(_, o)| o.ran()).collect();
    let failing: Vec<bool> = ran.iter().map(|(_, o)| o.is_failure()).collect();
    let nfail = failing.iter().filter(|f| **f).count();
    if nfail == 0 && !ran.is_empty() {
        return Verdict::PassesEverywhere;
    }
    if ran.len() < 2 {
        // One failing target says nothing about why: not "everywhere", not "one target".
        return Verdict::NotComparable;
    }
    if nfail == ran.len() {
        return Verdict::FailsEverywhere;
    }
    let exactly = |pred: &dyn Fn(&TargetFacts<'_>) -> bool| {
        ran.iter().zip(&failing).all(|((t, _), f)| pred(t) == *f)
    };
    if exactly(&|t| t.endian == Endian::Big) {
        Verdict::BigEndianOnly
    } else if exactly(&|t| t.endian == Endian::Little) {
        Verdict::LittleEndianOnly
    } else if exactly(&|t| t.width == PointerWidth::W32) {
        Verdict::Bits32Only
    } else if exactly(&|t| t.width == PointerWidth::W64) {
        Verdict::Bits64Only
    } else if nfail == 1 {
        Verdict::OneTargetOnly
    } else {
        Verdict::Mixed
    }
}

/// One test across all targets of a run.
#[derive(Debug, Clone)]
pub struct TestAcross<'r> {
    pub binary: &'r str,
    pub name: &'r str,
    /// Indexed like `results.targets`; `None` where the test has no result there.
    pub per_target: Vec<Option<&'r TestResult>>,
    pub verdict: Verdict,
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
            let outcomes: Vec<(TargetFacts<'_>, Outcome)> = per_target
                .iter()
                .zip(&results.targets)
                .filter(|(_, t)| t.status == TargetStatus::Ran)
                .filter_map(|(r, t)| {
                    r.map(|r| {
                        (
                            TargetFacts {
                                triple: &t.triple,
                                endian: t.endian,
                                width: t.pointer_width,
                            },
                            r.outcome,
                        )
                    })
                })
                .collect();
            TestAcross {
                binary,
                name,
                verdict: verdict(&outcomes),
                per_target,
            }
        })
        .collect()
}

/// The verdict label of every test by `(binary, test name)`, for reports that walk the
/// results target by target.
pub fn verdict_labels(results: &RunResults) -> HashMap<(&str, &str), &'static str> {
    tests_across(results)
        .iter()
        .map(|t| ((t.binary, t.name), t.verdict.label()))
        .collect()
}

/// One test that did not pass everywhere, as the results file's `triage` list shows it: the
/// verdict, and where and how it failed with the minimal input and the replay command.
#[derive(Debug, Serialize)]
pub struct TriageEntry<'r> {
    pub binary: &'r str,
    pub test: &'r str,
    pub verdict: Verdict,
    pub verdict_label: &'static str,
    pub failures: Vec<TriageFailure<'r>>,
}

#[derive(Debug, Serialize)]
pub struct TriageFailure<'r> {
    pub target: &'r str,
    pub outcome: Outcome,
    pub signal: Option<&'r str>,
    pub minimal_input: Option<&'r str>,
    /// The shell line that re-runs the test on this target alone with the run's seed.
    pub replay: String,
}

/// Every test whose verdict is not "passes everywhere", byte-order bugs first.
pub fn triage(results: &RunResults) -> Vec<TriageEntry<'_>> {
    let mut tests: Vec<TestAcross<'_>> = tests_across(results)
        .into_iter()
        .filter(|t| t.verdict != Verdict::PassesEverywhere)
        .collect();
    tests.sort_by_key(|t| t.verdict);
    tests
        .iter()
        .map(|t| TriageEntry {
            binary: t.binary,
            test: t.name,
            verdict: t.verdict,
            verdict_label: t.verdict.label(),
            failures: t
                .failures(results)
                .into_iter()
                .map(|(r, target)| TriageFailure {
                    target: &target.triple,
                    outcome: r.outcome,
                    signal: r.signal.as_deref(),
                    minimal_input: r.minimal_input.as_deref(),
                    replay: target
                        .binaries
                        .iter()
                        .find(|b| b.id == t.binary)
                        .map_or_else(String::new, |b| {
                            target.repro_line(b, t.name, results.config.seed)
                        }),
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    const X86_64: TargetFacts<'static> = TargetFacts {
        triple: "x86_64",
        endian: Endian::Little,
        width: PointerWidth::W64,
    };
    const I686: TargetFacts<'static> = TargetFacts {
        triple: "i686",
        endian: Endian::Little,
        width: PointerWidth::W32,
    };
    const PPC: TargetFacts<'static> = TargetFacts {
        triple: "powerpc",
        endian: Endian::Big,
        width: PointerWidth::W32,
    };
    const S390X: TargetFacts<'static> = TargetFacts {
        triple: "s390x",
        endian: Endian::Big,
        width: PointerWidth::W64,
    };

    fn check(outcomes: [Outcome; 4], expected: Verdict) {
        let with: Vec<(TargetFacts<'_>, Outcome)> = [X86_64, I686, PPC, S390X]
            .into_iter()
            .zip(outcomes)
            .collect();
        assert_eq!(verdict(&with), expected, "{outcomes:?}");
    }

    #[test]
    fn rule_table() {
        check([Passed, Passed, Passed, Passed], Verdict::PassesEverywhere);
        check([Passed, Passed, Failed, Crashed], Verdict::BigEndianOnly);
        check(
            [Failed, TimedOut, Passed, Passed],
            Verdict::LittleEndianOnly,
        );
        check([Passed, Failed, Failed, Passed], Verdict::Bits32Only);
        check([Failed, Passed, Passed, Failed], Verdict::Bits64Only);
        check([Passed, Passed, Passed, Crashed], Verdict::OneTargetOnly);
        check([Failed, Passed, Failed, Failed], Verdict::Mixed);
        check([Failed, Failed, Failed, Failed], Verdict::FailsEverywhere);
        check([Ignored, NotRun, Ignored, Ignored], Verdict::NotComparable);
        // Targets where it did not run are left out of the comparison.
        check([Passed, Ignored, Failed, Failed], Verdict::BigEndianOnly);
        // One target is no comparison: a failure there has no verdict of its own.
        check([Ignored, NotRun, Failed, Ignored], Verdict::NotComparable);
        check(
            [Ignored, NotRun, Passed, Ignored],
            Verdict::PassesEverywhere,
        );
    }
}
