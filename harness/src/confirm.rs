//! Checking a probe difference before believing it. The test runs again with proptest
//! printing every input (`PROPTEST_VERBOSE=2`): on one target its records must come out the
//! same again (else they depend on something besides the code and the seed, and are not
//! compared), and on one target per set of equal records and pointer width, what proptest
//! drew decides which targets can be compared at all. The tests to check on one target and
//! executable run in one process, one after another; processes run `jobs` at a time.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::build::TestBinary;
use crate::differential::CheckNeed;
use crate::execute::{run_again, ExecConfig, Rerun};
use crate::results::{InputsOn, Outcome, ProbeCheck, RunResults};

/// Runs the checks `needs` asks for, `jobs` processes at a time; `configs` is indexed like
/// `results.targets`.
pub fn check(
    results: &RunResults,
    needs: &[CheckNeed],
    configs: &[Option<&ExecConfig>],
    jobs: usize,
    cancel: &AtomicBool,
) -> Vec<ProbeCheck> {
    // Which tests of which executable run again on which target.
    let mut wanted: BTreeMap<(usize, &str), Vec<String>> = BTreeMap::new();
    for need in needs {
        let mut on = need.census.clone();
        if !on.contains(&need.rerun_on) {
            on.push(need.rerun_on);
        }
        for idx in on {
            let tests = wanted.entry((idx, need.binary.as_str())).or_default();
            if !tests.contains(&need.test) {
                tests.push(need.test.clone());
            }
        }
    }
    let verbose = vec![("PROPTEST_VERBOSE".to_string(), "2".to_string())];
    // (target index, executable id) and the tests to run again there.
    type Work<'a> = ((usize, &'a str), Vec<String>);
    let work: Mutex<Vec<Work<'_>>> = Mutex::new(wanted.into_iter().collect());
    let reruns: Mutex<BTreeMap<(usize, String), BTreeMap<String, Rerun>>> = Mutex::default();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let next = work.lock().ok().and_then(|mut w| w.pop());
                let Some(((idx, binary), tests)) = next else {
                    break;
                };
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                let target = &results.targets[idx];
                let (Some(cfg), Some(b)) = (
                    configs.get(idx).copied().flatten(),
                    target.binaries.iter().find(|b| b.id == binary),
                ) else {
                    continue;
                };
                let bin = TestBinary {
                    id: b.id.clone(),
                    path: b.executable.clone(),
                    cwd: b.cwd.clone(),
                    doc: b.doc.clone(),
                };
                let found = run_again(&bin, cfg, &tests, &verbose, cancel);
                if let Ok(mut r) = reruns.lock() {
                    r.insert((idx, binary.to_string()), found);
                }
            });
        }
    });
    let reruns = reruns.into_inner().unwrap_or_default();
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
                        let (cases, digest) = r.inputs.unwrap_or((0, 0));
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
