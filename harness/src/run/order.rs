//! The order targets are built in: std at hand first, the longest tests of the last run
//! first, the native target second; and the timings file that remembers them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bele_qemu::Runner;

use crate::model::*;
use crate::plan::Plan;

use super::*;

/// The order the builder takes the ready targets in: those whose std is at hand (prebuilt,
/// or in bele's std cache) first, so that building the others' std overlaps their builds;
/// within each, the targets whose tests took longest in the last run here first, so the
/// tests that start last are short ones; the table's order otherwise. A target that runs
/// natively goes second: its tests are the quickest (first, they would end before the
/// next build does and leave the workers idle), and the probe check runs tests again
/// there, so it can start before the last tests end.
pub(super) fn build_order(
    plan: &Plan<'_>,
    ready: &PerTarget<Ready>,
    last: &BTreeMap<String, u64>,
) -> Vec<TargetIdx> {
    let keys: Vec<Option<OrderKey>> = (ready.values().iter().zip(&plan.targets))
        .map(|(r, target)| {
            let (exec, tools) = r.as_ref()?;
            Some(OrderKey {
                std_to_build: tools.std_cache.as_ref().is_some_and(|c| !c.is_ready()),
                emulated: exec.runner != Runner::Native,
                last_tests_ms: last.get(&target.triple).copied().unwrap_or(0),
            })
        })
        .collect();
    order_by(&PerTarget::new(keys))
}

/// What decides where a ready target goes in the build order.
#[derive(Debug, Clone, Copy)]
pub(super) struct OrderKey {
    std_to_build: bool,
    emulated: bool,
    last_tests_ms: u64,
}

/// The indices of `keys` that are `Some`, in build order (see `build_order`).
pub(super) fn order_by(keys: &PerTarget<Option<OrderKey>>) -> Vec<TargetIdx> {
    let mut order: Vec<(TargetIdx, OrderKey)> = (keys.iter())
        .filter_map(|(idx, k)| Some((idx, (*k)?)))
        .collect();
    order.sort_by_key(|&(idx, k)| {
        let longest_first = std::cmp::Reverse(k.last_tests_ms);
        (k.std_to_build, longest_first, idx)
    });
    let mut order: Vec<TargetIdx> = order.into_iter().map(|(idx, _)| idx).collect();
    if let Some(at) = order
        .iter()
        .position(|&i| keys[i].is_some_and(|k| !k.emulated))
    {
        let native = order.remove(at);
        order.insert(at.min(1), native);
    }
    order
}

/// The file that keeps each target's test time from the last complete run in a workspace.
pub(super) fn timings_file(plan: &Plan<'_>) -> PathBuf {
    plan.workspace.bele_dir().join("timings.json")
}

/// Each target's test time (ms) in the last complete run here, by triple; empty when there
/// is none or it cannot be read (it only orders the builds).
pub(super) fn read_timings(plan: &Plan<'_>) -> BTreeMap<String, u64> {
    std::fs::read_to_string(timings_file(plan))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Keeps this run's test times for the next run's build order (the other targets' stay).
pub(super) fn write_timings(
    plan: &Plan<'_>,
    results: &RunResults,
    mut last: BTreeMap<String, u64>,
) {
    for t in &results.targets {
        if let (TargetStatus::Ran, Some(ms)) = (t.status, t.run_ms) {
            last.insert(t.triple.clone(), ms);
        }
    }
    // Only the order of the next run's builds depends on it: a failure is not worth one.
    let _ = crate::util::atomic::write(&timings_file(plan), None, |w| {
        serde_json::to_writer(w, &last).map_err(std::io::Error::other)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn builds_go_std_at_hand_first_then_longest_tests_first_and_native_second() {
        let key = |std_to_build, emulated, last_tests_ms| {
            Some(OrderKey {
                std_to_build,
                emulated,
                last_tests_ms,
            })
        };
        let keys = [
            key(false, false, 20), // 0: the host
            key(false, true, 300), // 1
            None,                  // 2: not ready
            key(true, true, 900),  // 3: its std is built first
            key(false, true, 600), // 4
            key(false, true, 0),   // 5: not run here before
            key(false, true, 300), // 6: as long as 1, after it in the table
            key(true, true, 100),  // 7
        ];
        // The order as plain positions in the table.
        let order = |keys: &[Option<OrderKey>]| -> Vec<usize> {
            (order_by(&PerTarget::new(keys.to_vec())).into_iter())
                .map(TargetIdx::get)
                .collect()
        };
        assert_eq!(order(&keys), [4, 0, 1, 6, 5, 3, 7]);
        // Without a last run, the table's order (std at hand first), the native one second.
        let first_run = [
            key(true, true, 0),
            key(false, true, 0),
            key(false, true, 0),
            key(false, false, 0),
        ];
        assert_eq!(order(&first_run), [1, 3, 2, 0]);
        assert_eq!(order(&[key(false, false, 0)]), [0]);
        assert_eq!(order(&[key(false, false, 0), key(false, true, 5)]), [1, 0]);
    }
}
