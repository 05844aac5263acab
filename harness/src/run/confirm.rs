//! Checking a probe difference before believing it. The test runs again with proptest
//! printing every input (`PROPTEST_VERBOSE=2`): on one target its records must come out the
//! same again (else they depend on something besides the code and the seed, and are not
//! compared), and on one target per set of equal records and pointer width, what proptest
//! drew decides which targets can be compared at all. The tests to check on one target and
//! executable run in one process, one after another; processes run `jobs` at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::analyze::differential::CheckNeed;
use crate::build::TestBinary;
use crate::execute::{run_again, ExecConfig, Rerun};
use crate::model::{InputsOn, Outcome, ProbeCheck, RunResults, TargetStatus};
use crate::plan::Plan;
use crate::report::events::{Event, Reporter};
use crate::run::prepare::exec_configs;
use crate::run::{PerTarget, Ready};

/// What the checks found: per (target index, executable id), each test run again.
pub type Reruns = BTreeMap<(usize, String), BTreeMap<String, Rerun>>;

/// One process of a check: an executable of a target, and its tests to run again.
#[derive(Debug, Clone)]
pub struct Work {
    pub idx: usize,
    pub binary: TestBinary,
    pub tests: Vec<String>,
}

/// A test run again on a target: (target index, executable id, test name).
pub type Asked = (usize, String, String);

/// The processes `needs` asks for, less the tests in `done`.
pub fn work(results: &RunResults, needs: &[CheckNeed], done: &BTreeSet<Asked>) -> Vec<Work> {
    // Which tests of which executable run again on which target.
    let mut wanted: BTreeMap<(usize, &str), Vec<String>> = BTreeMap::new();
    for need in needs {
        let mut on = need.census.clone();
        if !on.contains(&need.rerun_on) {
            on.push(need.rerun_on);
        }
        for idx in on {
            let ran = done.contains(&(idx, need.binary.clone(), need.test.clone()));
            let tests = wanted.entry((idx, need.binary.as_str())).or_default();
            if !ran && !tests.contains(&need.test) {
                tests.push(need.test.clone());
            }
        }
    }
    wanted
        .into_iter()
        .filter(|(_, tests)| !tests.is_empty())
        .filter_map(|((idx, binary), tests)| {
            let b = results.targets[idx]
                .binaries
                .iter()
                .find(|b| b.id == binary)?;
            Some(Work {
                idx,
                binary: TestBinary::of(b),
                tests,
            })
        })
        .collect()
}

impl Work {
    /// The tests it runs again, as `work` leaves them out next time.
    pub fn asked(&self) -> impl Iterator<Item = Asked> + '_ {
        (self.tests.iter()).map(|t| (self.idx, self.binary.id.clone(), t.clone()))
    }
}

/// Runs `work`, `jobs` processes at a time; `configs` is indexed like the results' targets.
pub fn rerun(
    work: Vec<Work>,
    configs: &[Option<&ExecConfig>],
    jobs: usize,
    cancel: &AtomicBool,
) -> Reruns {
    let verbose = vec![("PROPTEST_VERBOSE".to_string(), "2".to_string())];
    let work = Mutex::new(work);
    let reruns: Mutex<Reruns> = Mutex::default();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let next = work.lock().ok().and_then(|mut w| w.pop());
                let Some(Work { idx, binary, tests }) = next else {
                    break;
                };
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                let Some(cfg) = configs.get(idx).copied().flatten() else {
                    continue;
                };
                let found = run_again(&binary, cfg, &tests, &verbose, cancel);
                if let Ok(mut r) = reruns.lock() {
                    r.entry((idx, binary.id.clone())).or_default().extend(found);
                }
            });
        }
    });
    reruns.into_inner().unwrap_or_default()
}

/// Adds what `more` ran again to `into`.
pub fn merge(into: &mut Reruns, more: Reruns) {
    for (key, tests) in more {
        into.entry(key).or_default().extend(tests);
    }
}

/// The checks `needs` asked for, judged from what running them again found.
pub fn judge(results: &RunResults, needs: &[CheckNeed], reruns: &Reruns) -> Vec<ProbeCheck> {
    let rerun = |idx: usize, need: &CheckNeed| {
        reruns
            .get(&(idx, need.binary.clone()))
            .and_then(|r| r.get(&need.test))
    };
    needs
        .iter()
        .map(|need| {
            let target = &results.targets[need.rerun_on];
            let original = target
                .binaries
                .iter()
                .find(|b| b.id == need.binary)
                .and_then(|b| b.tests.iter().find(|r| r.name == need.test));
            let again = rerun(need.rerun_on, need).map(|r| &r.result);
            let (stable, note) = match (again, original) {
                (Some(r), Some(o)) if r.outcome == Outcome::Passed => (r.probes == o.probes, None),
                (Some(r), _) => (
                    false,
                    Some(format!(
                        "run again on {} it {}, so its records cannot be trusted",
                        target.triple,
                        r.outcome.label()
                    )),
                ),
                (None, _) => (
                    false,
                    Some(format!("run again on {} it gave no result", target.triple)),
                ),
            };
            let inputs = if stable {
                need.census
                    .iter()
                    .filter_map(|&idx| {
                        let r = rerun(idx, need)?;
                        let (cases, digest) = r.inputs.map_or((0, 0), |i| (i.cases, i.digest));
                        Some(InputsOn {
                            target: results.targets[idx].triple.clone(),
                            cases,
                            digest: format!("{digest:016x}"),
                        })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            ProbeCheck {
                binary: need.binary.clone(),
                test: need.test.clone(),
                rerun_on: target.triple.clone(),
                stable,
                note,
                inputs,
            }
        })
        .collect()
}

/// Runs again the tests whose probe records differ, to check the difference is real;
/// `early` is what `EarlyCheck` ran already, and what it asked for.
pub(super) fn check_probes(
    results: &mut RunResults,
    ready: &PerTarget<Ready>,
    plan: &Plan<'_>,
    early: (Reruns, BTreeSet<Asked>),
    cancel: &AtomicBool,
    reporter: &mut dyn Reporter,
) {
    let (mut reruns, asked) = early;
    let needs = crate::analyze::differential::needs_check(results);
    if needs.is_empty() {
        return;
    }
    reporter.event(&Event::CheckingProbes { tests: needs.len() });
    let work = crate::run::confirm::work(results, &needs, &asked);
    let more = crate::run::confirm::rerun(work, &exec_configs(ready), plan.jobs, cancel);
    crate::run::confirm::merge(&mut reruns, more);
    results.probe_checks = crate::run::confirm::judge(results, &needs, &reruns);
}

/// The probe check of the targets done so far, while the last tests run: once every build
/// is done, each time a target finishes, the tests whose records differ among the finished
/// targets run again (one process at a time, beside the workers) unless asked already. A
/// difference among some targets is one among all; what the finished targets cannot
/// settle is left to `check_probes`, which runs only what was not asked here.
#[derive(Default)]
pub(super) struct EarlyCheck<'scope> {
    /// Targets finished when the check last looked.
    finished: usize,
    asked: BTreeSet<Asked>,
    running: Vec<std::thread::ScopedJoinHandle<'scope, Reruns>>,
}

impl<'scope> EarlyCheck<'scope> {
    pub(super) fn update<'env>(
        &mut self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        results: &RunResults,
        ready: &'env PerTarget<Ready>,
        cancel: &'env AtomicBool,
    ) {
        let finished = (results.targets.iter())
            .filter(|t| t.status != TargetStatus::Pending)
            .count();
        if finished == self.finished {
            return;
        }
        self.finished = finished;
        let needs = crate::analyze::differential::needs_check(results);
        let work = crate::run::confirm::work(results, &needs, &self.asked);
        if work.is_empty() {
            return;
        }
        self.asked.extend(work.iter().flat_map(|w| w.asked()));
        self.running.push(
            scope.spawn(move || crate::run::confirm::rerun(work, &exec_configs(ready), 1, cancel)),
        );
    }

    /// What it ran (once all of it ended), and what it asked for.
    pub(super) fn finish(self) -> (Reruns, BTreeSet<Asked>) {
        let mut reruns = Reruns::new();
        for found in self.running.into_iter().filter_map(|h| h.join().ok()) {
            crate::run::confirm::merge(&mut reruns, found);
        }
        (reruns, self.asked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProbeKind;
    use crate::testdata::{probed, results, target};

    /// Test `t` records little-endian bytes on two targets and big-endian on two.
    fn run() -> RunResults {
        let le: &[&[u8]] = &[&[1, 0, 0, 0]];
        let be: &[&[u8]] = &[&[0, 0, 0, 1]];
        let mut r = results(vec![]);
        for (triple, records) in [
            ("x86_64-unknown-linux-gnu", le),
            ("i686-unknown-linux-gnu", le),
            ("powerpc-unknown-linux-gnu", be),
            ("powerpc64-unknown-linux-gnu", be),
        ] {
            let (test, seqs) = probed("t", ProbeKind::Wire, "frame", records);
            r.targets.push(target(triple, vec![test]));
            r.probe_sequences.extend(seqs);
        }
        r
    }

    #[test]
    fn work_is_one_process_per_target_and_leaves_out_what_was_asked() {
        let r = run();
        let needs = crate::analyze::differential::needs_check(&r);
        assert_eq!(needs.len(), 1, "{needs:?}");
        let all = work(&r, &needs, &BTreeSet::new());
        // One target per (records, pointer width): all four differ in one or the other.
        let mut on: Vec<usize> = all.iter().map(|w| w.idx).collect();
        on.sort_unstable();
        assert_eq!(on, [0, 1, 2, 3]);
        for w in &all {
            assert_eq!(
                (w.binary.id.as_str(), w.tests.as_slice()),
                ("pkg", &["t".to_string()][..])
            );
            assert_eq!(w.binary.path, r.targets[w.idx].binaries[0].executable);
        }
        // What an early check asked for is not asked again; the rest is.
        let asked: BTreeSet<Asked> = all[..2].iter().flat_map(Work::asked).collect();
        assert_eq!(asked.len(), 2);
        let rest = work(&r, &needs, &asked);
        let rest_on: Vec<usize> = rest.iter().map(|w| w.idx).collect();
        let asked_on: Vec<usize> = all[..2].iter().map(|w| w.idx).collect();
        assert_eq!(rest.len(), 2);
        assert!(
            rest_on.iter().all(|i| !asked_on.contains(i)),
            "{rest_on:?} {asked_on:?}"
        );
        let everything: BTreeSet<Asked> = all.iter().flat_map(Work::asked).collect();
        assert!(work(&r, &needs, &everything).is_empty());
    }
}
