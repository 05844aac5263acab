//! Checking a probe difference before believing it. The test runs again on one target: if
//! its records change, they depend on something besides the code and the seed and are not
//! compared. When its wire records differ between 32- and 64-bit targets, it also runs on
//! one of each with proptest printing every input (`PROPTEST_VERBOSE=2`): the same inputs
//! make the difference real, different inputs (a `usize` strategy) do not. The tests to
//! check on one target and executable run in one process, one after another.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::build::TestBinary;
use crate::differential::CheckNeed;
use crate::execute::{run_again, ExecConfig, Rerun};
use crate::results::{InputsCheck, Outcome, ProbeCheck, RunResults};

/// Runs the checks `needs` asks for; `configs` is indexed like `results.targets`.
/// `on_run` hears the triple of each target as its re-runs start.
pub fn check(
    results: &RunResults,
    needs: &[CheckNeed],
    configs: &[Option<&ExecConfig>],
    cancel: &AtomicBool,
    on_run: &mut dyn FnMut(&str),
) -> Vec<ProbeCheck> {
    // Which tests of which executable run again on which target.
    let mut wanted: BTreeMap<(usize, &str), Vec<String>> = BTreeMap::new();
    for need in needs {
        let mut on = vec![need.rerun_on];
        if let Some((a, b)) = need.inputs {
            on.extend([a, b]);
        }
        for idx in on {
            let tests = wanted.entry((idx, need.binary.as_str())).or_default();
            if !tests.contains(&need.test) {
                tests.push(need.test.clone());
            }
        }
    }
    let verbose = vec![("PROPTEST_VERBOSE".to_string(), "2".to_string())];
    let mut reruns: BTreeMap<(usize, String), BTreeMap<String, Rerun>> = BTreeMap::new();
    for ((idx, binary), tests) in wanted {
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
        on_run(&target.triple);
        let bin = TestBinary {
            id: b.id.clone(),
            path: b.executable.clone(),
            cwd: b.cwd.clone(),
        };
        reruns.insert(
            (idx, binary.to_string()),
            run_again(&bin, cfg, &tests, &verbose, cancel),
        );
    }
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
            let again = rerun(need.rerun_on, need).and_then(|r| r.result.as_ref());
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
            let inputs_across_widths = need.inputs.filter(|_| stable).and_then(|(a, b)| {
                let inputs = |idx| rerun(idx, need).map(|r| r.inputs.unwrap_or((0, 0)));
                let (x, y) = (inputs(a)?, inputs(b)?);
                Some(InputsCheck {
                    targets: [
                        results.targets[a].triple.clone(),
                        results.targets[b].triple.clone(),
                    ],
                    // No inputs reported on either side: not a proptest test, same inputs.
                    same: x == y,
                    cases: [x.0, y.0],
                })
            });
            ProbeCheck {
                binary: need.binary.clone(),
                test: need.test.clone(),
                rerun_on: target.triple.clone(),
                stable,
                note,
                inputs_across_widths,
            }
        })
        .collect()
}
