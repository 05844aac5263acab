//! Carrying out a plan: builders build targets while workers run the test executables
//! earlier builds delivered, the collector turns every result into the results model and
//! saves it while the run goes, and the probe check confirms differences at the end.
//! Stages, each in its own file: `prepare`, `order`, `pool` (builders and workers),
//! `collector`, `confirm`, `recheck` (failures run again as they ran, then where only the
//! emulator changes), `control` (suspected dependency faults run again with the crate
//! replaced).

pub(crate) mod collector;
pub(crate) mod confirm;
pub(crate) mod control;
pub(crate) mod order;
pub(crate) mod pool;
pub(crate) mod prepare;
pub(crate) mod recheck;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::build::{TargetTools, TestBinary};
use crate::execute::{ExecConfig, Sequences};
use crate::host::toolchain::ToolchainInfo;
use crate::model::*;
use crate::plan::Plan;
use crate::report::events::{Event, Reporter};
use crate::util::env::HostEnv;

use collector::*;
use confirm::*;
use order::*;
use pool::*;
use prepare::*;

/// A target's place in the plan: it indexes every per-target vector of a run (the plan's
/// targets, the results' targets, what is ready, std built ahead, the collector's counts),
/// and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TargetIdx(usize);

impl TargetIdx {
    /// The position in the plan's (and the results') targets.
    pub(crate) fn get(self) -> usize {
        self.0
    }
}

/// One value per target of the plan, indexed by [`TargetIdx`] only.
#[derive(Debug, Clone)]
pub(crate) struct PerTarget<T>(Vec<T>);

impl<T> PerTarget<T> {
    pub(crate) fn new(values: Vec<T>) -> PerTarget<T> {
        PerTarget(values)
    }

    /// `value` for each of `n` targets.
    pub(crate) fn filled(n: usize, value: T) -> PerTarget<T>
    where
        T: Clone,
    {
        PerTarget(vec![value; n])
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (TargetIdx, &T)> {
        self.0.iter().enumerate().map(|(i, v)| (TargetIdx(i), v))
    }

    pub(crate) fn values(&self) -> &[T] {
        &self.0
    }
}

impl<T> std::ops::Index<TargetIdx> for PerTarget<T> {
    type Output = T;
    fn index(&self, idx: TargetIdx) -> &T {
        &self.0[idx.0]
    }
}

impl<T> std::ops::IndexMut<TargetIdx> for PerTarget<T> {
    fn index_mut(&mut self, idx: TargetIdx) -> &mut T {
        &mut self.0[idx.0]
    }
}

/// A build that ended: the number of test executables that follow as work, or the log tail.
pub(crate) struct BuildDone {
    pub(crate) idx: TargetIdx,
    pub(crate) outcome: Result<usize, String>,
    pub(crate) doc_tests: usize,
    pub(crate) duration: Duration,
    pub(crate) compiled: u64,
    pub(crate) std: StdBuild,
    pub(crate) command: String,
    /// For a failed build: the crates cargo could not compile.
    pub(crate) failed_crates: Vec<FailedCrate>,
    /// The selected packages' layouts, when recorded.
    pub(crate) layouts: Option<crate::model::Layouts>,
    /// The build was cut short by an interrupt, not failed.
    pub(crate) interrupted: bool,
}

pub(crate) enum Msg {
    BuildStarted(TargetIdx),
    /// A build ended.
    BuildDone(BuildDone),
    Test {
        idx: TargetIdx,
        binary: String,
        result: TestResult,
    },
    Slow {
        idx: TargetIdx,
        binary: String,
        test: String,
        elapsed: Duration,
    },
    BinaryDone {
        idx: TargetIdx,
        result: BinaryResult,
        sequences: Sequences,
        started: Instant,
        ended: Instant,
    },
    /// A target's emulator answered (or did not) what version it is.
    QemuVersion {
        idx: TargetIdx,
        version: Option<String>,
    },
    /// The workspace's commit, when it is in git.
    Commit(Option<String>),
    /// A builder is done: its builds ended and their executables are queued.
    BuildsDone,
}

/// A target ready to build and run: how its tests run, and what its build needs.
pub(crate) type Ready = Option<(ExecConfig, TargetTools)>;

/// Runs `plan` and returns the results, which are also saved to `plan.out`. The stages
/// read top to bottom: the plan's targets checked, prepared and ordered, then
/// `plan.builders` builders, `plan.jobs` workers running test executables as builds
/// deliver them, and the collector turning their messages into results (starting the probe
/// check once the builds are done); then the rest of the probe check and the end.
pub fn run(
    plan: &Plan<'_>,
    toolchain: &ToolchainInfo,
    env: &HostEnv,
    cancel: &AtomicBool,
    reporter: &mut dyn Reporter,
) -> Result<RunResults, ResultsError> {
    let start = Instant::now();
    let mut results = new_results(plan, toolchain);
    let probe_root = plan.workspace.bele_dir().join("probes").join(&plan.run_id);
    reporter.event(&Event::Started {
        targets: plan.targets.len(),
    });
    let ready = prepare_targets(plan, toolchain, env, &probe_root, &mut results, reporter)?;
    save(&results, plan, reporter)?;
    let last = read_timings(plan);
    let order = build_order(plan, &ready, &last);

    let (msg_tx, msg_rx) = mpsc::channel::<Msg>();
    let (work_tx, work_rx) = mpsc::channel::<(TargetIdx, TestBinary)>();
    let work_rx = Mutex::new(work_rx);
    let std_built = Mutex::new(PerTarget::filled(plan.targets.len(), None));
    let early = std::thread::scope(|scope| -> Result<(Reruns, BTreeSet<Asked>), ResultsError> {
        {
            let (ready, std_built) = (&ready, &std_built);
            let order = &order;
            scope.spawn(move || std_ahead(ready, order, plan, env, cancel, std_built));
        }
        {
            let msg_tx = msg_tx.clone();
            let emulators = emulators(&results, &ready);
            let root = &plan.workspace.root;
            scope.spawn(move || facts(emulators, root, env, &msg_tx));
        }
        for k in 0..plan.builders.max(1) {
            // Each builder takes its own targets, in build order.
            let mine: Vec<TargetIdx> = (order.iter().copied())
                .filter(|&i| ready[i].as_ref().is_some_and(|(_, t)| t.builder.index == k))
                .collect();
            let (msg_tx, work_tx) = (msg_tx.clone(), work_tx.clone());
            let (ready, std_built) = (&ready, &std_built);
            scope.spawn(move || {
                build_queue(plan, ready, &mine, env, cancel, std_built, &msg_tx, work_tx)
            });
        }
        drop(work_tx);
        for _ in 0..plan.jobs.max(1) {
            let msg_tx = msg_tx.clone();
            let (work_rx, ready) = (&work_rx, &ready);
            scope.spawn(move || worker(ready, work_rx, cancel, &msg_tx));
        }
        drop(msg_tx);
        let mut collector = Collector {
            start,
            last_save: Instant::now(),
            unsaved: false,
            save_cost: Duration::ZERO,
            results: &mut results,
            outstanding: PerTarget::filled(plan.targets.len(), None),
            window: PerTarget::filled(plan.targets.len(), None),
            plan,
            cancel,
            reporter: &mut *reporter,
        };
        let mut early = EarlyCheck::default();
        // Builders that are done: the early probe check waits for all of them.
        let mut builders_done = 0;
        // Messages as they come; between them, a save a throttled one left pending, so
        // results (and a failing disk) show while a long test runs.
        let collected = loop {
            let taken = match msg_rx.recv_timeout(SAVE_EVERY) {
                Ok(msg) => {
                    builders_done += usize::from(matches!(msg, Msg::BuildsDone));
                    collector.take(msg)
                }
                Err(mpsc::RecvTimeoutError::Timeout) => Ok(()),
                Err(mpsc::RecvTimeoutError::Disconnected) => break Ok(()),
            };
            if plan.probes && builders_done >= plan.builders.max(1) {
                early.update(scope, collector.results, &ready, cancel);
            }
            if let Err(e) = taken.and_then(|()| collector.save_pending()) {
                break Err(e);
            }
        };
        if collected.is_err() {
            // The results cannot be saved: stop the builder and kill running tests rather
            // than run on for nothing.
            cancel.store(true, Ordering::Relaxed);
        }
        collected.map(|()| early.finish())
    })?;

    if plan.probes && !cancel.load(Ordering::Relaxed) {
        check_probes(&mut results, &ready, plan, early, cancel, reporter);
    }
    if !cancel.load(Ordering::Relaxed) {
        recheck::recheck_suspects(&mut results, &ready, &plan.targets, env, cancel);
    }
    if !cancel.load(Ordering::Relaxed) {
        control::look_for_faulty_code(&mut results);
        control::run_controls(&mut results, plan, &ready, env, cancel);
    }
    let _ = std::fs::remove_dir_all(&probe_root);
    results.finish(cancel.load(Ordering::Relaxed), start.elapsed());
    save(&results, plan, reporter)?;
    if results.state == RunState::Complete {
        write_timings(plan, &results, last);
    }
    Ok(results)
}

/// The results of a run that has not started: host, toolchain, workspace and configuration.
fn new_results(plan: &Plan<'_>, toolchain: &ToolchainInfo) -> RunResults {
    RunResults {
        schema_version: SCHEMA_VERSION,
        run_id: plan.run_id.clone(),
        started_at_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        duration_ms: 0,
        state: RunState::InProgress,
        host: crate::host::this_host(&toolchain.host),
        toolchain: Toolchain {
            rustc: toolchain.rustc.clone(),
            cargo: toolchain.cargo.clone(),
            sysroot: toolchain.sysroot.clone(),
        },
        workspace: WorkspaceInfo {
            manifest_path: plan.workspace.manifest_path.clone(),
            // Asked beside the builds (`git status` takes long in a big tree).
            commit: None,
            packages: plan.selection.packages.clone(),
            features: plan.selection.features.clone(),
            all_features: plan.selection.all_features,
            no_default_features: plan.selection.no_default_features,
        },
        config: RunConfigInfo {
            seed: plan.seed,
            timeout_secs: plan.timeout.as_secs(),
            jobs: plan.jobs,
            test_threads: plan.test_threads,
            probes: plan.probes,
            kinds: plan.selection.kinds.clone(),
            profile: plan.selection.profile.clone(),
            filter: plan.filter.clone(),
            kernel: None,
            strict: plan.strict,
            retries: plan.retries,
        },
        targets: Vec::new(),
        probe_sequences: Default::default(),
        probe_checks: Vec::new(),
        emulator_checks: Vec::new(),
        dependency_controls: Vec::new(),
    }
}

fn save(
    results: &RunResults,
    plan: &Plan<'_>,
    reporter: &mut dyn Reporter,
) -> Result<(), ResultsError> {
    crate::report::save(results, &plan.out, reporter)
}
