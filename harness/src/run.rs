//! Carrying out a plan: build targets one after another while earlier targets' tests run,
//! collect every result into the results model, and save it after each target.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bele_qemu::Runner;
use bele_targets::{LinkRoute, Target};

use crate::build::{self, Builder, TargetTools, TestBinary};
use crate::confirm::{Asked, Reruns};
use crate::doctor;
use crate::env::HostEnv;
use crate::execute::{self, ExecConfig, Sequences, TestEvent};
use crate::results::*;
use crate::selection::{Filter, Selection};
use crate::toolchain::{StdAvailability, ToolchainInfo};
use crate::workspace::Workspace;

/// A validated plan: what to build, for which targets, how to run it, where to save it.
#[derive(Debug, Clone)]
pub struct Plan<'t> {
    pub workspace: Workspace,
    pub selection: Selection,
    /// The test-name filters given to every test harness.
    pub filter: Filter,
    pub targets: Vec<&'t Target>,
    pub timeout: Duration,
    /// A test running this long is reported as slow (and again at each multiple).
    pub slow: Duration,
    pub jobs: usize,
    pub test_threads: usize,
    /// Proptest seed for every target (`PROPTEST_RNG_SEED`).
    pub seed: u64,
    /// Whether tests' `bele_probe` records are kept and compared.
    pub probes: bool,
    /// Whether build-std targets take std from bele's std cache (building it there once).
    pub std_cache: bool,
    /// How many cargo builds run at once, each in a target dir of its own (`builders`).
    pub builders: usize,
    pub run_id: String,
    pub out: PathBuf,
}

/// What happens during a run, in the order it happens, for reporters.
#[derive(Debug)]
pub enum Event<'a> {
    Started {
        targets: usize,
    },
    TargetUnavailable {
        triple: &'a str,
        reason: &'a str,
    },
    BuildStarted {
        triple: &'a str,
        std: &'a str,
    },
    BuildFinished {
        triple: &'a str,
        success: bool,
        duration: Duration,
        /// Time spent building std into bele's std cache first.
        std_duration: Option<Duration>,
        binaries: usize,
        /// Of `binaries`, the packages whose doc-tests run.
        doc_tests: usize,
        log_tail: Option<&'a str>,
    },
    TestFinished {
        triple: &'a str,
        binary: &'a str,
        result: &'a TestResult,
    },
    /// A test has run for `elapsed` (a multiple of the slow threshold) and goes on.
    TestSlow {
        triple: &'a str,
        binary: &'a str,
        test: &'a str,
        elapsed: Duration,
    },
    TargetFinished {
        target: &'a TargetResult,
    },
    /// Tests whose probe records differ are run again to check the difference.
    CheckingProbes {
        tests: usize,
    },
    /// The results file was (re)written.
    Saved {
        path: &'a std::path::Path,
    },
}

/// Consumes events; the terminal and CI reporters implement it.
pub trait Reporter {
    fn event(&mut self, event: &Event<'_>);
}

enum Msg {
    BuildStarted(usize),
    /// A build ended: the number of test executables that follow as work, or the log tail.
    BuildDone {
        idx: usize,
        outcome: Result<usize, String>,
        doc_tests: usize,
        duration: Duration,
        compiled: u64,
        std: StdBuild,
        command: String,
    },
    Test {
        idx: usize,
        binary: String,
        result: TestResult,
    },
    Slow {
        idx: usize,
        binary: String,
        test: String,
        elapsed: Duration,
    },
    BinaryDone {
        idx: usize,
        result: BinaryResult,
        sequences: Sequences,
        started: Instant,
        ended: Instant,
    },
    /// A target's emulator answered (or did not) what version it is.
    QemuVersion {
        idx: usize,
        version: Option<String>,
    },
    /// The workspace's commit, when it is in git.
    Commit(Option<String>),
    /// A builder is done: its builds ended and their executables are queued.
    BuildsDone,
}

/// Least time between two saves of the results while a run goes.
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// A target ready to build and run: how its tests run, and what its build needs.
type Ready = Option<(ExecConfig, TargetTools)>;

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
    let (work_tx, work_rx) = mpsc::channel::<(usize, TestBinary)>();
    let work_rx = Mutex::new(work_rx);
    let std_built: Mutex<Vec<Option<StdBuild>>> = Mutex::new(vec![None; plan.targets.len()]);
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
            let mine: Vec<usize> = (order.iter().copied())
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
            outstanding: vec![None; plan.targets.len()],
            window: vec![None; plan.targets.len()],
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
    let _ = std::fs::remove_dir_all(&probe_root);
    finish_run(&mut results, cancel, start);
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
        host: Host {
            name: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "localhost".into()),
            triple: toolchain.host.clone(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        },
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
        },
        targets: Vec::new(),
        probe_sequences: Default::default(),
        probe_checks: Vec::new(),
    }
}

/// Checks every target on this machine and prepares the ready ones (runner, environment,
/// probe directory, derived spec, zig wrappers, std cache entry); the others are recorded
/// unavailable with the reason.
fn prepare_targets(
    plan: &Plan<'_>,
    toolchain: &ToolchainInfo,
    env: &HostEnv,
    probe_root: &Path,
    results: &mut RunResults,
    reporter: &mut dyn Reporter,
) -> Result<Vec<Ready>, ResultsError> {
    let mut ready = Vec::new();
    for check in doctor::check(&plan.targets, toolchain, env) {
        let t = check.target;
        let runner = if check.native {
            Runner::Native
        } else {
            Runner::Qemu {
                binary: t.qemu.clone(),
                sysroot: t.qemu_sysroot().map(Path::to_path_buf),
            }
        };
        let label = if check.native {
            "native".into()
        } else {
            t.qemu.clone()
        };
        let mut tr = TargetResult::new(t, label, runner.prefix());
        let tools = match check.reason() {
            Some(reason) => Err(reason),
            None => prepare(&check, plan, results.host.cpus),
        };
        match tools {
            Err(reason) => {
                tr.status = TargetStatus::Unavailable;
                tr.reason = Some(reason);
                reporter.event(&Event::TargetUnavailable {
                    triple: &t.triple,
                    reason: tr.reason.as_deref().unwrap_or_default(),
                });
                ready.push(None);
            }
            Ok(tools) => {
                tr.std = Some(check.std.label().to_string());
                let probe_dir = plan.probes.then(|| probe_root.join(&t.triple));
                if let Some(dir) = &probe_dir {
                    std::fs::create_dir_all(dir).map_err(|source| ResultsError::Io {
                        file: dir.display().to_string(),
                        source,
                    })?;
                }
                let exec = ExecConfig {
                    runner,
                    timeout: plan.timeout,
                    slow: plan.slow,
                    test_threads: plan.test_threads,
                    env: env.without(&[
                        "RUSTC_BOOTSTRAP",
                        "PROPTEST_RNG_SEED",
                        "PROPTEST_RNG_ALGORITHM",
                        crate::probes::ENV,
                    ]),
                    seed: plan.seed,
                    probe_dir,
                    filter: plan.filter.clone(),
                };
                ready.push(Some((exec, tools)));
            }
        }
        results.targets.push(tr);
    }
    Ok(ready)
}

/// The emulators of the ready targets, by target index.
fn emulators(results: &RunResults, ready: &[Ready]) -> Vec<(usize, String)> {
    (results.targets.iter().zip(ready).enumerate())
        .filter(|(_, (t, r))| r.is_some() && t.runner != "native")
        .map(|(idx, (t, _))| (idx, t.runner.clone()))
        .collect()
}

/// Asks the workspace's commit and every emulator its version, all at once and beside the
/// builds: only reports show them.
fn facts(emulators: Vec<(usize, String)>, root: &Path, env: &HostEnv, msg_tx: &mpsc::Sender<Msg>) {
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let _ = msg_tx.send(Msg::Commit(crate::workspace::git_commit(root, env)));
        });
        for (idx, qemu) in emulators {
            scope.spawn(move || {
                let version = bele_qemu::query_version(&qemu, &env.vars);
                let _ = msg_tx.send(Msg::QemuVersion { idx, version });
            });
        }
    });
}

/// Builds the std of build-std targets into bele's std cache ahead of the builder, one at a
/// time in build order, while the builder works on the targets before them (`build_order`
/// puts those with std at hand first): cargo leaves cores idle while it links and while
/// tests run.
fn std_ahead(
    ready: &[Ready],
    order: &[usize],
    plan: &Plan<'_>,
    env: &HostEnv,
    cancel: &AtomicBool,
    std_built: &Mutex<Vec<Option<StdBuild>>>,
) {
    for &idx in order {
        let (target, Some((_, tools))) = (plan.targets[idx], &ready[idx]) else {
            continue;
        };
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        if let Some(cache) = tools.std_cache.as_ref().filter(|c| !c.is_ready()) {
            let built = std_build(cache, target, env);
            if let Ok(mut done) = std_built.lock() {
                done[idx] = Some(built);
            }
        }
    }
}

/// The order the builder takes the ready targets in: those whose std is at hand (prebuilt,
/// or in bele's std cache) first, so that building the others' std overlaps their builds;
/// within each, the targets whose tests took longest in the last run here first, so the
/// tests that start last are short ones; the table's order otherwise. A target that runs
/// natively goes second: its tests are the quickest (first, they would end before the
/// next build does and leave the workers idle), and the probe check runs tests again
/// there, so it can start before the last tests end.
fn build_order(plan: &Plan<'_>, ready: &[Ready], last: &BTreeMap<String, u64>) -> Vec<usize> {
    let keys: Vec<Option<OrderKey>> = (ready.iter().zip(&plan.targets))
        .map(|(r, target)| {
            let (exec, tools) = r.as_ref()?;
            Some(OrderKey {
                std_to_build: tools.std_cache.as_ref().is_some_and(|c| !c.is_ready()),
                emulated: exec.runner != Runner::Native,
                last_tests_ms: last.get(&target.triple).copied().unwrap_or(0),
            })
        })
        .collect();
    order_by(&keys)
}

/// What decides where a ready target goes in the build order.
#[derive(Debug, Clone, Copy)]
struct OrderKey {
    std_to_build: bool,
    emulated: bool,
    last_tests_ms: u64,
}

/// The indices of `keys` that are `Some`, in build order (see `build_order`).
fn order_by(keys: &[Option<OrderKey>]) -> Vec<usize> {
    let mut order: Vec<(usize, OrderKey)> = (keys.iter().enumerate())
        .filter_map(|(idx, k)| Some((idx, (*k)?)))
        .collect();
    order.sort_by_key(|&(idx, k)| {
        let longest_first = std::cmp::Reverse(k.last_tests_ms);
        (k.std_to_build, longest_first, idx)
    });
    let mut order: Vec<usize> = order.into_iter().map(|(idx, _)| idx).collect();
    if let Some(at) = order
        .iter()
        .position(|&i| keys[i].is_some_and(|k| !k.emulated))
    {
        let native = order.remove(at);
        order.insert(at.min(1), native);
    }
    order
}

/// How many cargo builds run at once by default: one (cargo uses every CPU). Measured on 2
/// CPUs (`ci/bench/builders.sh`, `ci/bench/speed.sh`): two builders of one job each built
/// 4 prebuilt-std targets cold in 0.89 of the time of one builder of two jobs, four in 1.10;
/// but on all 16 targets two builders made the cold run 0.92 of the careful loop against
/// 0.82 with one (the std cache's builds got less of the CPUs), and the second workspace's
/// 0.52 against 0.50 (with a fixed share of the CPUs, a builder that runs out of targets
/// leaves its share idle). More builders pay where there are CPUs to spare: `--builders`.
pub const DEFAULT_BUILDERS: usize = 1;

/// The file that keeps each target's test time from the last complete run in a workspace.
fn timings_file(plan: &Plan<'_>) -> PathBuf {
    plan.workspace.bele_dir().join("timings.json")
}

/// Each target's test time (ms) in the last complete run here, by triple; empty when there
/// is none or it cannot be read (it only orders the builds).
fn read_timings(plan: &Plan<'_>) -> BTreeMap<String, u64> {
    std::fs::read_to_string(timings_file(plan))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Keeps this run's test times for the next run's build order (the other targets' stay).
fn write_timings(plan: &Plan<'_>, results: &RunResults, mut last: BTreeMap<String, u64>) {
    for t in &results.targets {
        if let (TargetStatus::Ran, Some(ms)) = (t.status, t.run_ms) {
            last.insert(t.triple.clone(), ms);
        }
    }
    // Only the order of the next run's builds depends on it: a failure is not worth one.
    let _ = crate::atomic::write(&timings_file(plan), None, |w| {
        serde_json::to_writer(w, &last).map_err(std::io::Error::other)
    });
}

/// A builder: one cargo at a time, its targets in build order. Each build's
/// test executables (and doc-tests) go to the workers as soon as it ends.
#[allow(clippy::too_many_arguments)]
fn build_queue(
    plan: &Plan<'_>,
    ready: &[Ready],
    order: &[usize],
    env: &HostEnv,
    cancel: &AtomicBool,
    std_built: &Mutex<Vec<Option<StdBuild>>>,
    msg_tx: &mpsc::Sender<Msg>,
    work_tx: mpsc::Sender<(usize, TestBinary)>,
) {
    for &idx in order {
        let (target, Some((exec, tools))) = (plan.targets[idx], &ready[idx]) else {
            continue;
        };
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let _ = msg_tx.send(Msg::BuildStarted(idx));
        // Waits for `std_ahead` if it is building this target's std right now.
        let (tools, mut std) = with_cached_std(tools, target, env);
        if let Some(ahead) = std_built.lock().ok().and_then(|mut d| d[idx].take()) {
            std.duration = std.duration.or(ahead.duration);
            std.error = std.error.or(ahead.error);
        }
        let spec = build::cargo_command(&plan.workspace, &plan.selection, target, &tools, env);
        let command = spec.display();
        match build::build(&spec, &plan.workspace, env) {
            Ok(built) => {
                let mut binaries = built.binaries;
                if plan.selection.kinds.doc_tests() {
                    let runner = exec.runner.prefix();
                    binaries.extend(
                        plan.selection
                            .doc_packages
                            .iter()
                            .filter_map(|name| plan.workspace.package(name))
                            .map(|p| {
                                let (ws, sel) = (&plan.workspace, &plan.selection);
                                build::doc_tests(ws, sel, p, target, &tools, env, &runner)
                            }),
                    );
                }
                // `BuildDone` goes first, so the collector knows how many results to expect
                // before any worker can report one.
                let _ = msg_tx.send(Msg::BuildDone {
                    idx,
                    outcome: Ok(binaries.len()),
                    doc_tests: binaries.iter().filter(|b| b.doc.is_some()).count(),
                    duration: built.duration,
                    compiled: built.compiled,
                    std,
                    command,
                });
                for b in binaries {
                    let _ = work_tx.send((idx, b));
                }
            }
            Err(f) => {
                let _ = msg_tx.send(Msg::BuildDone {
                    idx,
                    outcome: Err(f.log_tail),
                    doc_tests: 0,
                    duration: f.duration,
                    compiled: 0,
                    std,
                    command,
                });
            }
        }
    }
    let _ = msg_tx.send(Msg::BuildsDone);
}

/// A worker: takes the next test executable of any built target and runs it to results.
fn worker(
    ready: &[Ready],
    work_rx: &Mutex<mpsc::Receiver<(usize, TestBinary)>>,
    cancel: &AtomicBool,
    msg_tx: &mpsc::Sender<Msg>,
) {
    loop {
        let next = work_rx.lock().map(|rx| rx.recv());
        let Ok(Ok((idx, bin))) = next else { break };
        let Some((cfg, _)) = &ready[idx] else {
            continue;
        };
        let started = Instant::now();
        let (result, sequences) = execute::run_binary(&bin, cfg, cancel, &mut |e| {
            let _ = msg_tx.send(match e {
                TestEvent::Finished(r) => Msg::Test {
                    idx,
                    binary: bin.id.clone(),
                    result: r.clone(),
                },
                TestEvent::Slow { name, elapsed } => Msg::Slow {
                    idx,
                    binary: bin.id.clone(),
                    test: name.to_string(),
                    elapsed,
                },
            });
        });
        let _ = msg_tx.send(Msg::BinaryDone {
            idx,
            result,
            sequences,
            started,
            ended: Instant::now(),
        });
    }
}

/// Turns the builder's and workers' messages into results and events, and saves the
/// results as each target finishes.
struct Collector<'a, 'p, 't> {
    /// When the run started.
    start: Instant,
    /// When the results were last saved.
    last_save: Instant,
    /// Results changed since then and not saved yet.
    unsaved: bool,
    /// How long the last save took.
    save_cost: Duration,
    results: &'a mut RunResults,
    /// Per target: test executables still running, once its build is done.
    outstanding: Vec<Option<usize>>,
    /// Per target: when its first test executable started and its last one ended.
    window: Vec<Option<(Instant, Instant)>>,
    plan: &'a Plan<'t>,
    cancel: &'a AtomicBool,
    reporter: &'a mut (dyn Reporter + 'p),
}

impl Collector<'_, '_, '_> {
    fn take(&mut self, msg: Msg) -> Result<(), ResultsError> {
        match msg {
            Msg::BuildStarted(idx) => {
                let t = &self.results.targets[idx];
                self.reporter.event(&Event::BuildStarted {
                    triple: &t.triple,
                    std: t.std.as_deref().unwrap_or_default(),
                });
            }
            Msg::BuildDone {
                idx,
                outcome,
                doc_tests,
                duration,
                compiled,
                std,
                command,
            } => {
                let t = &mut self.results.targets[idx];
                if outcome.is_err() {
                    t.status = TargetStatus::BuildFailed;
                    t.reason = Some(format!("the build failed: `{command}`"));
                }
                if std.cached {
                    t.std = Some("std-cache".into());
                }
                t.build = Some(BuildInfo {
                    duration_ms: millis(duration),
                    std_ms: std.duration.map(millis),
                    std_note: std.error.clone(),
                    compiled,
                    success: outcome.is_ok(),
                    log_tail: outcome.as_ref().err().cloned(),
                    command,
                });
                self.reporter.event(&Event::BuildFinished {
                    triple: &t.triple,
                    success: outcome.is_ok(),
                    duration,
                    std_duration: std.duration,
                    binaries: *outcome.as_ref().unwrap_or(&0),
                    doc_tests,
                    log_tail: outcome.as_ref().err().map(String::as_str),
                });
                match outcome {
                    Ok(n) => {
                        self.outstanding[idx] = Some(n);
                        if n == 0 {
                            self.finish_target(idx)?;
                        }
                    }
                    Err(_) => {
                        self.reporter.event(&Event::TargetFinished { target: t });
                        self.save_now()?;
                    }
                }
            }
            Msg::Test {
                idx,
                binary,
                result,
            } => {
                self.reporter.event(&Event::TestFinished {
                    triple: &self.results.targets[idx].triple,
                    binary: &binary,
                    result: &result,
                });
            }
            Msg::Slow {
                idx,
                binary,
                test,
                elapsed,
            } => {
                self.reporter.event(&Event::TestSlow {
                    triple: &self.results.targets[idx].triple,
                    binary: &binary,
                    test: &test,
                    elapsed,
                });
            }
            Msg::Commit(commit) => {
                self.results.workspace.commit = commit;
                self.unsaved = true;
            }
            Msg::QemuVersion { idx, version } => {
                self.results.targets[idx].qemu_version = version;
                self.unsaved = true;
            }
            Msg::BuildsDone => {}
            Msg::BinaryDone {
                idx,
                mut result,
                sequences,
                started,
                ended,
            } => {
                self.results.probe_sequences.extend(sequences);
                result.started_ms = millis(started.duration_since(self.start));
                result.duration_ms = millis(ended.duration_since(started));
                let w = self.window[idx].get_or_insert((started, ended));
                *w = (w.0.min(started), w.1.max(ended));
                // A library without doc examples is not worth a line in every report.
                let no_docs =
                    result.doc.is_some() && result.tests.is_empty() && result.error.is_none();
                if !no_docs {
                    self.results.targets[idx].binaries.push(result);
                    // Saved by `save_pending` if its target does not finish first.
                    self.unsaved = true;
                }
                if let Some(n) = self.outstanding[idx].as_mut() {
                    *n -= 1;
                    if *n == 0 {
                        self.finish_target(idx)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn finish_target(&mut self, idx: usize) -> Result<(), ResultsError> {
        let t = &mut self.results.targets[idx];
        t.binaries.sort_by(|a, b| a.id.cmp(&b.id));
        t.run_ms = self.window[idx].map(|(s, e)| millis(e.duration_since(s)));
        if self.cancel.load(Ordering::Relaxed) {
            t.status = TargetStatus::Interrupted;
            t.reason = Some("the run was interrupted while this target's tests ran".into());
        } else {
            t.status = TargetStatus::Ran;
        }
        self.reporter.event(&Event::TargetFinished { target: t });
        self.save_now()
    }

    /// Saves the results unless the last save was less than `SAVE_EVERY` ago: a save
    /// serializes every result so far, and on a small machine its CPU time competes with
    /// the tests. The run's last save always happens (`run`).
    fn save_now(&mut self) -> Result<(), ResultsError> {
        if self.last_save.elapsed() < SAVE_EVERY {
            self.unsaved = true;
            return Ok(());
        }
        let began = Instant::now();
        save(self.results, self.plan, self.reporter)?;
        self.save_cost = began.elapsed();
        self.last_save = Instant::now();
        self.unsaved = false;
        Ok(())
    }

    /// Saves results that changed since the last save (a save held back by `SAVE_EVERY`,
    /// executables finished in a target still running), at most one part in ten of the
    /// time: a long test or a hang does not keep finished results off the disk.
    fn save_pending(&mut self) -> Result<(), ResultsError> {
        let wait = SAVE_EVERY.max(self.save_cost * 10);
        if self.unsaved && self.last_save.elapsed() >= wait {
            self.save_now()?;
        }
        Ok(())
    }
}

/// Runs again the tests whose probe records differ, to check the difference is real;
/// `early` is what `EarlyCheck` ran already, and what it asked for.
fn check_probes(
    results: &mut RunResults,
    ready: &[Ready],
    plan: &Plan<'_>,
    early: (Reruns, BTreeSet<Asked>),
    cancel: &AtomicBool,
    reporter: &mut dyn Reporter,
) {
    let (mut reruns, asked) = early;
    let needs = crate::differential::needs_check(results);
    if needs.is_empty() {
        return;
    }
    reporter.event(&Event::CheckingProbes { tests: needs.len() });
    let work = crate::confirm::work(results, &needs, &asked);
    let more = crate::confirm::rerun(work, &exec_configs(ready), plan.jobs, cancel);
    crate::confirm::merge(&mut reruns, more);
    results.probe_checks = crate::confirm::judge(results, &needs, &reruns);
}

/// The probe check of the targets done so far, while the last tests run: once every build
/// is done, each time a target finishes, the tests whose records differ among the finished
/// targets run again (one process at a time, beside the workers) unless asked already. A
/// difference among some targets is one among all; what the finished targets cannot
/// settle is left to `check_probes`, which runs only what was not asked here.
#[derive(Default)]
struct EarlyCheck<'scope> {
    /// Targets finished when the check last looked.
    finished: usize,
    asked: BTreeSet<Asked>,
    running: Vec<std::thread::ScopedJoinHandle<'scope, Reruns>>,
}

impl<'scope> EarlyCheck<'scope> {
    fn update<'env>(
        &mut self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        results: &RunResults,
        ready: &'env [Ready],
        cancel: &'env AtomicBool,
    ) {
        let finished = (results.targets.iter())
            .filter(|t| t.status != TargetStatus::Pending)
            .count();
        if finished == self.finished {
            return;
        }
        self.finished = finished;
        let needs = crate::differential::needs_check(results);
        let work = crate::confirm::work(results, &needs, &self.asked);
        if work.is_empty() {
            return;
        }
        self.asked.extend(work.iter().flat_map(|w| w.asked()));
        self.running.push(
            scope.spawn(move || crate::confirm::rerun(work, &exec_configs(ready), 1, cancel)),
        );
    }

    /// What it ran (once all of it ended), and what it asked for.
    fn finish(self) -> (Reruns, BTreeSet<Asked>) {
        let mut reruns = Reruns::new();
        for found in self.running.into_iter().filter_map(|h| h.join().ok()) {
            crate::confirm::merge(&mut reruns, found);
        }
        (reruns, self.asked)
    }
}

fn exec_configs(ready: &[Ready]) -> Vec<Option<&ExecConfig>> {
    ready.iter().map(|c| c.as_ref().map(|(e, _)| e)).collect()
}

/// Marks what never finished, and the run's state and duration.
fn finish_run(results: &mut RunResults, cancel: &AtomicBool, start: Instant) {
    for t in &mut results.targets {
        if t.status == TargetStatus::Pending {
            t.status = TargetStatus::Interrupted;
            t.reason = Some("the run was interrupted before this target finished".into());
        }
    }
    results.state = if cancel.load(Ordering::Relaxed) {
        RunState::Interrupted
    } else {
        RunState::Complete
    };
    results.duration_ms = millis(start.elapsed());
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `tools` with the target's std from bele's std cache, built there first if need be: how
/// long that took, or why the cache could not be used (the build falls back to
/// `-Zbuild-std`).
fn with_cached_std(tools: &TargetTools, target: &Target, env: &HostEnv) -> (TargetTools, StdBuild) {
    let mut tools = tools.clone();
    let Some(cache) = &tools.std_cache else {
        return (tools, StdBuild::default());
    };
    let built = std_build(cache, target, env);
    if built.cached {
        tools.sysroot = Some(cache.sysroot());
    }
    (tools, built)
}

/// `cache` built unless it is in place, as what became of it.
fn std_build(cache: &crate::stdcache::CachedStd, target: &Target, env: &HostEnv) -> StdBuild {
    match cache.ensure(target, env) {
        Ok(duration) => StdBuild {
            cached: true,
            duration,
            error: None,
        },
        Err(e) => StdBuild {
            cached: false,
            duration: None,
            error: Some(e),
        },
    }
}

/// What became of a target's std in bele's cache during its build.
#[derive(Debug, Clone, Default)]
struct StdBuild {
    /// The build used the cache's sysroot.
    cached: bool,
    /// How long building it took, when it was built now.
    duration: Option<Duration>,
    /// Why it could not be built (then `-Zbuild-std` compiled it in the target dir).
    error: Option<String>,
}

/// What a ready target's build needs from this machine and run: its derived spec written,
/// zig's wrappers in place, its builder among `cpus`. `Err` is why the target cannot be used
/// after all.
fn prepare(
    check: &doctor::TargetCheck<'_>,
    plan: &Plan<'_>,
    cpus: usize,
) -> Result<TargetTools, String> {
    let t = check.target;
    let spec_file = match &check.spec {
        Some(text) => Some(
            crate::spec::write(t, text, &plan.workspace.bele_dir().join("specs"))
                .map_err(|e| format!("its target spec cannot be derived: {e}"))?,
        ),
        None => None,
    };
    let zig = match (t.link_route(), &check.zig) {
        (LinkRoute::Zig { zig_target }, Some(zig)) => {
            Some(crate::zig::wrappers(zig, zig_target).map_err(|e| {
                format!("cannot write zig's wrappers beside {}: {e}", zig.display())
            })?)
        }
        _ => None,
    };
    let build_std = check.std == StdAvailability::BuildStd;
    let std_cache = check.std_cache.clone().filter(|_| plan.std_cache);
    Ok(TargetTools {
        native: check.native,
        build_std,
        spec_file,
        zig,
        sysroot: None,
        std_cache,
        builder: Builder::of(&t.triple, plan.builders, cpus),
    })
}

fn save(
    results: &RunResults,
    plan: &Plan<'_>,
    reporter: &mut dyn Reporter,
) -> Result<(), ResultsError> {
    crate::report::save_json(results, &plan.out)?;
    reporter.event(&Event::Saved { path: &plan.out });
    Ok(())
}

/// A seed for a run that was given none: different for every run.
pub fn fresh_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    // SplitMix64 finaliser, so close start times give unrelated seeds.
    let mut z = nanos ^ u64::from(std::process::id()).rotate_left(32);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A run id that sorts by time: `20261126-193257-4321` (UTC, then the process id).
pub fn run_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // 20261126-225446-PID
    let stamp: String = iso_utc(secs)
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .map(|c| if c == 'T' { '-' } else { c })
        .collect();
    format!("{stamp}-{}", std::process::id())
}

/// `2026-11-26T22:54:46`: UTC seconds since the epoch as an ISO 8601 date and time without
/// a zone (the form JUnit readers accept).
pub fn iso_utc(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
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
        assert_eq!(order_by(&keys), [4, 0, 1, 6, 5, 3, 7]);
        // Without a last run, the table's order (std at hand first), the native one second.
        let first_run = [
            key(true, true, 0),
            key(false, true, 0),
            key(false, true, 0),
            key(false, false, 0),
        ];
        assert_eq!(order_by(&first_run), [1, 3, 2, 0]);
        assert_eq!(order_by(&[key(false, false, 0)]), [0]);
        assert_eq!(
            order_by(&[key(false, false, 0), key(false, true, 5)]),
            [1, 0]
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_418), (2025, 11, 26));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(iso_utc(1_764_197_686), "2025-11-26T22:54:46");
    }
}
