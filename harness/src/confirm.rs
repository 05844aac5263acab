//! Checking a probe difference before believing it. The test runs again, alone, on one
//! target: if its records change, they depend on something besides the code and the seed
//! and are not compared. When its wire records differ between 32- and 64-bit targets, it
//! also runs on one of each with proptest printing every input (`PROPTEST_VERBOSE=2`): the
//! same inputs make the difference real, different inputs (a `usize` strategy) do not.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::build::TestBinary;
use crate::differential::CheckNeed;
use crate::execute::{run_alone, Alone, ExecConfig};
use crate::results::{InputsCheck, Outcome, ProbeCheck, RunResults, TestResult};

/// Runs the checks `needs` asks for; `configs` is indexed like `results.targets`.
/// `on_check` hears the name of each test as its check starts.
pub fn check(
    results: &RunResults,
    needs: &[CheckNeed],
    configs: &[Option<&ExecConfig>],
    cancel: &AtomicBool,
    on_check: &mut dyn FnMut(&str),
) -> Vec<ProbeCheck> {
    let verbose = vec![("PROPTEST_VERBOSE".to_string(), "2".to_string())];
    let mut out = Vec::new();
    for need in needs {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        on_check(&need.test);
        let run = |idx: usize| -> Option<(Alone, &TestResult)> {
            let target = &results.targets[idx];
            let binary = target.binaries.iter().find(|b| b.id == need.binary)?;
            let original = binary.tests.iter().find(|r| r.name == need.test)?;
            let cfg = configs.get(idx).copied().flatten()?;
            let bin = TestBinary {
                id: binary.id.clone(),
                path: binary.executable.clone(),
                cwd: binary.cwd.clone(),
            };
            Some((run_alone(&bin, cfg, &need.test, &verbose, cancel), original))
        };
        let rerun_triple = results.targets[need.rerun_on].triple.clone();
        let first = run(need.rerun_on);
        let (stable, note) = match &first {
            None => (
                false,
                Some(format!("it could not be run again on {rerun_triple}")),
            ),
            Some((alone, original)) => match &alone.result {
                Some(r) if r.outcome == Outcome::Passed => (r.probes == original.probes, None),
                Some(r) => (
                    false,
                    Some(format!(
                        "run again alone on {rerun_triple} it {}, so its records cannot be trusted",
                        r.outcome.label()
                    )),
                ),
                None => (
                    false,
                    Some(format!(
                        "run again alone on {rerun_triple} it gave no result"
                    )),
                ),
            },
        };
        let inputs_across_widths = need.inputs.filter(|_| stable).and_then(|(i32, i64)| {
            let inputs_on = |idx: usize| {
                if idx == need.rerun_on {
                    first.as_ref().map(|(a, _)| a.inputs.unwrap_or((0, 0)))
                } else {
                    run(idx).map(|(a, _)| a.inputs.unwrap_or((0, 0)))
                }
            };
            let (a, b) = (inputs_on(i32)?, inputs_on(i64)?);
            Some(InputsCheck {
                targets: [
                    results.targets[i32].triple.clone(),
                    results.targets[i64].triple.clone(),
                ],
                // No inputs reported on either side: not a proptest test, same inputs.
                same: a == b,
                cases: [a.0, b.0],
            })
        });
        out.push(ProbeCheck {
            binary: need.binary.clone(),
            test: need.test.clone(),
            rerun_on: rerun_triple,
            stable,
            note,
            inputs_across_widths,
        });
    }
    out
}
