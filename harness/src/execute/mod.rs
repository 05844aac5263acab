//! Running one test executable to a result for every test it lists, whatever happens.
//!
//! The executable first runs all its tests in one process. If that process crashes or a
//! test hangs, the tests already reported keep their results; the test that was running
//! gets the crash (confirmed alone, with its output) or the time-out; the executable's
//! listing says which tests were not reached, and they go again in a new process. So one
//! crash or hang costs no other test its result.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bele_qemu::clip::Clip;
use bele_qemu::{run_lines, Exit, GuestSignal, Invocation, Next, Process, Runner, Stream};

pub(crate) mod batch;
pub mod invocation;
pub mod libtest;
pub mod probe_file;

use crate::build::TestBinary;
use crate::model::{BinaryResult, Ended, Outcome, ProbeSequence, TestResult};
use crate::plan::selection::Filter;
use batch::{BatchEnd, BatchRules, BatchState, InputsDigest, Mode};
use libtest::{doc_test_word, listed_test};
use probe_file::Recorded;

/// How tests are run.
#[derive(Debug, Clone)]
pub struct ExecConfig {
    pub runner: Runner,
    /// Time one test may take before it is killed.
    pub timeout: Duration,
    /// Time after which a running test is reported as slow, and again at each multiple.
    pub slow: Duration,
    /// `--test-threads` passed to each test process.
    pub test_threads: usize,
    /// The complete environment of test processes.
    pub env: Vec<(String, String)>,
    /// Proptest seed, the same on every target of a run.
    pub seed: u64,
    /// Where test processes record `bele_probe` records (a file per process); `None`
    /// leaves probes off.
    pub probe_dir: Option<PathBuf>,
    /// The user's test-name filters, given to every test harness.
    pub filter: Filter,
}

/// Sequences of probe records by digest, as the results file keeps them.
pub type Sequences = Vec<(String, ProbeSequence)>;

/// Most output bele keeps for one test: this much of its start and of its end.
const OUTPUT_HEAD: usize = 16 * 1024;
const OUTPUT_TAIL: usize = 48 * 1024;

fn output_clip() -> Clip {
    Clip::new(OUTPUT_HEAD, OUTPUT_TAIL)
}
/// Most test names passed to one process as filters.
const FILTER_CHUNK: usize = 500;

/// The arguments for running the tests `pick` selects (libtest's filter arguments).
pub fn test_args(pick: Vec<String>, threads: usize, nocapture: bool) -> Vec<String> {
    let mut args: Vec<String> = ["-Zunstable-options", "--format", "json", "--report-time"]
        .map(String::from)
        .to_vec();
    args.push(format!("--test-threads={threads}"));
    if nocapture {
        args.push("--nocapture".into());
    }
    args.extend(pick);
    args
}

/// The invocation that runs the tests named in `filters` of `bin` under `cfg` (when empty:
/// what the user's filter selects), recording probes into `probe_file` when given.
pub fn invocation(
    bin: &TestBinary,
    cfg: &ExecConfig,
    filters: &[String],
    nocapture: bool,
    probe_file: Option<&std::path::Path>,
) -> Invocation {
    let pick = if filters.is_empty() {
        cfg.filter.pick_args()
    } else if bin.doc.is_some() {
        // rustdoc splits harness arguments at whitespace, and doc-test names have spaces:
        // a word of each name selects a superset, cut back to the names in `run_batch`.
        let mut pick = cfg.filter.mode_args();
        let mut words: Vec<&str> = filters.iter().map(|n| doc_test_word(n)).collect();
        words.dedup();
        pick.extend(words.into_iter().map(String::from));
        pick
    } else {
        let mut pick = cfg.filter.mode_args();
        pick.push("--exact".into());
        pick.extend(filters.iter().cloned());
        pick
    };
    harness_invocation(
        bin,
        cfg,
        test_args(pick, cfg.test_threads, nocapture),
        probe_file,
    )
}

/// `bin` run with the test harness's arguments `args`, recording probes into `probe_file`.
fn harness_invocation(
    bin: &TestBinary,
    cfg: &ExecConfig,
    args: Vec<String>,
    probe_file: Option<&std::path::Path>,
) -> Invocation {
    // libtest's JSON output is unstable: RUSTC_BOOTSTRAP unlocks it in the process that
    // runs the harness. For doc-tests that is rustdoc under cargo, and cargo hands its
    // environment to build scripts too: proc-macro2's reruns when RUSTC_BOOTSTRAP changes,
    // so the whole proc-macro chain would be built again for the doc-tests and once more
    // for the next target's build. There only rustdoc gets it, through bele as RUSTDOC.
    let mut env = match &bin.doc {
        None => vec![("RUSTC_BOOTSTRAP".to_string(), "1".to_string())],
        Some(_) => rustdoc_wrapper_env(&cfg.env),
    };
    if let Some(f) = probe_file {
        env.push((probe_file::ENV.into(), f.display().to_string()));
    }
    invocation::HarnessCall {
        runner: cfg.runner.clone(),
        program: &bin.path,
        cwd: &bin.cwd,
        doc: bin.doc.as_ref(),
        args,
        env,
        seed: cfg.seed,
        base_env: &cfg.env,
    }
    .invocation()
}

/// A fresh file name for one test process's probe records.
fn probe_file(cfg: &ExecConfig, bin: &TestBinary) -> Option<PathBuf> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = cfg.probe_dir.as_ref()?;
    let safe: String = bin
        .id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(dir.join(format!(
        "{safe}-{}.probe",
        N.fetch_add(1, Ordering::Relaxed)
    )))
}

/// Moves what `name` recorded from `recorded` onto its result, and its sequences to `out`.
fn attach(r: &mut TestResult, recorded: &mut Recorded, out: &mut Sequences) {
    if let Some(p) = recorded.tests.remove(&r.name) {
        let (traces, seqs) = p.finish();
        r.probes = traces;
        out.extend(seqs);
    }
}

/// Keeps what reading a process's probe file went wrong with, once per problem.
fn keep_probe_notes(result: &mut BinaryResult, recorded: Recorded) {
    for p in recorded.problems {
        if !result.probe_problems.contains(&p) {
            result.probe_problems.push(p);
        }
    }
    result.unattributed_records += recorded.unattributed;
}

/// What happens to one test while its executable runs.
#[derive(Debug)]
pub enum TestEvent<'a> {
    /// Its result is final.
    Finished(&'a TestResult),
    /// It has run for `elapsed` (a multiple of the slow threshold) and goes on.
    Slow { name: &'a str, elapsed: Duration },
}

/// Runs every test of `bin`, calling `on_test` as each result becomes final. Returns the
/// results and the sequences of probe records they name.
pub fn run_binary(
    bin: &TestBinary,
    cfg: &ExecConfig,
    cancel: &AtomicBool,
    on_test: &mut dyn FnMut(TestEvent<'_>),
) -> (BinaryResult, Sequences) {
    let mut result = BinaryResult {
        id: bin.id.clone(),
        executable: bin.path.clone(),
        cwd: bin.cwd.clone(),
        error: None,
        doc: bin.doc.clone(),
        started_ms: 0,
        duration_ms: 0,
        tests: Vec::new(),
        probe_problems: Vec::new(),
        unattributed_records: 0,
    };
    let mut rec = Recorder {
        done: BTreeMap::new(),
        sequences: Sequences::new(),
        on_test,
    };
    // The test names, in listing (name) order, and those still without a result. The first
    // process runs what the filter selects without a listing first: when it ends by itself
    // every test has reported, and listing (one more process under QEMU, or cargo for
    // doc-tests) is only needed to find the tests it did not reach.
    let mut names: Vec<String> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut first = true;
    while first || (!pending.is_empty() && !cancel.load(Ordering::Relaxed)) {
        let filters: Vec<String> = if first {
            Vec::new()
        } else {
            pending.iter().take(FILTER_CHUNK).cloned().collect()
        };
        let mut batch = {
            let on_test = &mut *rec.on_test;
            let mut on_slow = |name: &str, elapsed| on_test(TestEvent::Slow { name, elapsed });
            run_batch(bin, cfg, &filters, Mode::Captured, cancel, &mut on_slow)
        };
        if first {
            first = false;
            // Interrupted, the listing still says which tests were not run.
            names = if matches!(batch.end, BatchEnd::Finished) {
                batch.finished.iter().map(|r| r.name.clone()).collect()
            } else {
                match list(bin, cfg) {
                    Ok(listed) => listed,
                    Err(e) => {
                        result.error = Some(e);
                        batch.finished.iter().map(|r| r.name.clone()).collect()
                    }
                }
            };
            names.sort();
            names.dedup();
            pending = names.clone();
        }
        if let BatchEnd::SpawnFailed { error } = &batch.end {
            result
                .error
                .get_or_insert_with(|| format!("the test process could not start: {error}"));
        }
        let before = pending.len();
        let progressed = !batch.finished.is_empty();
        for r in std::mem::take(&mut batch.finished) {
            rec.record(r, &mut batch.probes);
        }
        let ctx = Settle {
            bin,
            cfg,
            cancel,
            filters: &filters,
            unfinished: unfinished(&pending, &rec.done),
            progressed,
        };
        for r in settle(batch.end, ctx) {
            rec.record(r, &mut batch.probes);
        }
        keep_probe_notes(&mut result, batch.probes);
        pending.retain(|n| !rec.done.contains_key(n));
        if pending.len() == before {
            // Another process would end the same way.
            for name in unfinished(&pending, &rec.done) {
                let why = "no result: the processes meant to run it ended before it started";
                rec.record(TestResult::not_run(name, why), &mut Recorded::default());
            }
            pending.clear();
        }
    }
    for name in unfinished(&pending, &rec.done) {
        let why = "the run was interrupted before this test started";
        rec.record(TestResult::not_run(name, why), &mut Recorded::default());
    }
    // Results in listing order (then any the listing missed, by name).
    let mut done = rec.done;
    result.tests = names.iter().filter_map(|n| done.remove(n)).collect();
    result.tests.extend(done.into_values());
    (result, rec.sequences)
}

/// Where final results go: the map of done tests, the probe sequences they name, and the
/// caller's callback.
struct Recorder<'a> {
    done: BTreeMap<String, TestResult>,
    sequences: Sequences,
    on_test: &'a mut dyn FnMut(TestEvent<'_>),
}

impl Recorder<'_> {
    /// Attaches what `r` recorded in `probes`, tells the caller, and keeps it.
    fn record(&mut self, mut r: TestResult, probes: &mut Recorded) {
        attach(&mut r, probes, &mut self.sequences);
        (self.on_test)(TestEvent::Finished(&r));
        self.done.insert(r.name.clone(), r);
    }
}

/// What deciding the tests a process left without a result needs.
struct Settle<'a> {
    bin: &'a TestBinary,
    cfg: &'a ExecConfig,
    cancel: &'a AtomicBool,
    /// The names this process was asked to run (empty: all the filter selects).
    filters: &'a [String],
    /// Tests listed and still without a result.
    unfinished: Vec<String>,
    /// Whether this process finished any test.
    progressed: bool,
}

/// The results a process's end gives the tests it left without one: not run when it ended
/// normally or was stopped, timed out when it hung, crashed (confirmed alone) when it died.
fn settle(end: BatchEnd, ctx: Settle<'_>) -> Vec<TestResult> {
    let wanted: HashSet<&String> = ctx.filters.iter().collect();
    let asked = |name: &String| ctx.filters.is_empty() || wanted.contains(name);
    match end {
        BatchEnd::Finished | BatchEnd::Cancelled | BatchEnd::SpawnFailed { .. } => {
            // Anything listed but not reported by a process that ended normally (or was
            // stopped by the user, or never started) has no result of its own.
            let why = match end {
                BatchEnd::Cancelled => "the run was interrupted before this test finished".into(),
                BatchEnd::SpawnFailed { error } => {
                    format!("the test process could not start: {error}")
                }
                _ => "listed by the executable but not reported when it ran".into(),
            };
            ctx.unfinished
                .into_iter()
                .filter(asked)
                .map(|name| TestResult::not_run(name, why.clone()))
                .collect()
        }
        BatchEnd::HungOutside { output } if !ctx.progressed => ctx
            .unfinished
            .into_iter()
            .map(|name| TestResult::timed_out(name, 0, limit(output.clone())))
            .collect(),
        BatchEnd::HungOutside { .. } => Vec::new(),
        BatchEnd::TimedOut { tests, output } => tests
            .into_iter()
            .map(|(name, elapsed)| {
                let why = format!(
                    "killed after {}s (the per-test timeout; raise it with --timeout)\n{output}",
                    ctx.cfg.timeout.as_secs()
                );
                TestResult::timed_out(name, millis(elapsed), limit(why))
            })
            .collect(),
        BatchEnd::Crashed {
            running,
            exit,
            output,
        } if running.is_empty() => {
            if ctx.progressed {
                return Vec::new();
            }
            // Died outside any test without finishing one: retrying would loop.
            ctx.unfinished
                .into_iter()
                .map(|name| {
                    crashed(&name, Duration::ZERO, exit, &output).with_output(limit(format!(
                        "the test process died before this test started\n{output}"
                    )))
                })
                .collect()
        }
        BatchEnd::Crashed {
            running,
            exit,
            output,
        } => running
            .into_iter()
            .map(|(name, elapsed)| {
                // Confirm the crash alone, with its output streamed rather than captured.
                confirm_crash(
                    isolate(ctx.bin, ctx.cfg, &name, ctx.cancel),
                    crashed(&name, elapsed, exit, &output),
                )
            })
            .collect(),
    }
}

/// A test run again to check its probe records: its result, and the inputs proptest
/// reported (with `PROPTEST_VERBOSE=2` in the environment): how many, and their digest.
#[derive(Debug)]
pub struct Rerun {
    pub result: TestResult,
    pub inputs: Option<InputsDigest>,
}

/// Runs `names` of `bin` in one process, one test at a time, with `extra_env` added and
/// both output streams in one pipe, so what each test prints is told apart by order. A test
/// the process gave no result (it crashed, or hung) is missing from the map.
pub fn run_again(
    bin: &TestBinary,
    cfg: &ExecConfig,
    names: &[String],
    extra_env: &[(String, String)],
    cancel: &AtomicBool,
) -> BTreeMap<String, Rerun> {
    let mut cfg = cfg.clone();
    cfg.test_threads = 1;
    cfg.env
        .retain(|(k, _)| !extra_env.iter().any(|(e, _)| e == k));
    cfg.env.extend_from_slice(extra_env);
    let mut out = BTreeMap::new();
    for chunk in names.chunks(FILTER_CHUNK) {
        let mut batch = run_batch(bin, &cfg, chunk, Mode::Merged, cancel, &mut |_, _| {});
        let mut ignored = Sequences::new();
        for mut r in std::mem::take(&mut batch.finished) {
            attach(&mut r, &mut batch.probes, &mut ignored);
            let inputs = batch.inputs.remove(&r.name);
            out.insert(r.name.clone(), Rerun { result: r, inputs });
        }
    }
    out
}

fn list(bin: &TestBinary, cfg: &ExecConfig) -> Result<Vec<String>, String> {
    let mut args: Vec<String> = ["--list", "--format", "terse"].map(String::from).to_vec();
    args.extend(cfg.filter.pick_args());
    let inv = harness_invocation(bin, cfg, args, None);
    // Read line by line: a listing of many long names is never held whole, only the names.
    let mut names = Vec::new();
    let mut errors = output_clip();
    let (exit, timed_out) = run_lines(&inv, cfg.timeout, &mut |line| match line.stream {
        Stream::Stdout if line.cut.is_none() => {
            names.extend(listed_test(&line.text).map(str::to_string));
        }
        _ => {
            errors.push_str(&line.text);
            errors.push_str("\n");
        }
    })
    .map_err(|e| e.to_string())?;
    if timed_out {
        return Err(format!(
            "listing the tests took longer than {}s: `{}`",
            cfg.timeout.as_secs(),
            inv.shell_line()
        ));
    }
    if !exit.success() {
        return Err(format!(
            "listing the tests failed with {exit}: `{}`\n{}",
            inv.shell_line(),
            crate::util::process::tail(&errors.finish(), 20)
        ));
    }
    Ok(names)
}

/// Runs one test alone with its output streamed; `None` if it could not be started.
fn isolate(
    bin: &TestBinary,
    cfg: &ExecConfig,
    name: &str,
    cancel: &AtomicBool,
) -> Option<TestResult> {
    let batch = run_batch(
        bin,
        cfg,
        &[name.to_string()],
        Mode::Streamed,
        cancel,
        &mut |_, _| {},
    );
    // A crash confirmed alone is a failure: its records are not compared, so not kept.
    if let Some(alone) = batch.finished.into_iter().find(|r| r.name == name) {
        // It did not crash alone: the crash stays the result (it happened), with a note
        // that it depends on what ran before it in the same process.
        return Some(TestResult {
            output: Some(format!(
                "when run alone this test {}; it crashed only after other tests in the same process",
                alone.outcome.label()
            )),
            ..alone
        });
    }
    match batch.end {
        BatchEnd::Crashed {
            running,
            exit,
            output,
        } => {
            let elapsed = running.first().map_or(Duration::ZERO, |(_, e)| *e);
            Some(crashed(name, elapsed, exit, &output))
        }
        BatchEnd::TimedOut { tests, output } => Some(TestResult::timed_out(
            name,
            millis(tests.first().map_or(cfg.timeout, |(_, e)| *e)),
            limit(output),
        )),
        BatchEnd::HungOutside { output } => Some(TestResult::timed_out(
            name,
            millis(cfg.timeout),
            limit(output),
        )),
        BatchEnd::Finished | BatchEnd::Cancelled | BatchEnd::SpawnFailed { .. } => None,
    }
}

/// The isolated re-run's result when it reproduced a crash or hang; otherwise the crash in
/// company, with the note of what happened alone.
fn confirm_crash(alone: Option<TestResult>, in_company: TestResult) -> TestResult {
    match alone {
        Some(r) if matches!(r.outcome, Outcome::Crashed | Outcome::TimedOut) => r,
        Some(r) => TestResult {
            output: Some(limit(format!(
                "{}\n{}",
                r.output.unwrap_or_default(),
                in_company.output.as_deref().unwrap_or_default()
            ))),
            ..in_company
        },
        None => in_company,
    }
}

fn unfinished(pending: &[String], done: &BTreeMap<String, TestResult>) -> Vec<String> {
    pending
        .iter()
        .filter(|n| !done.contains_key(*n))
        .cloned()
        .collect()
}

fn crashed(name: &str, elapsed: Duration, exit: Exit, output: &str) -> TestResult {
    let guest = GuestSignal::parse(output)
        .map(|g| format!(" (QEMU: guest signal {} {})", g.number, g.description));
    TestResult {
        signal: Some(Ended::from(
            exit.signal_name().unwrap_or_else(|| exit.to_string()),
        )),
        ..TestResult::new(name, Outcome::Crashed, millis(elapsed)).with_output(limit(format!(
            "the test process died of {exit}{}\n{output}",
            guest.unwrap_or_default()
        )))
    }
}

/// What one process of a batch gave: the tests it settled, how it ended, and what it
/// recorded with `bele_probe`, not yet attached to a result.
#[derive(Debug)]
struct Batch {
    finished: Vec<TestResult>,
    end: BatchEnd,
    probes: Recorded,
    /// Per test, the inputs proptest reported (`PROPTEST_VERBOSE=2`). Kept only in
    /// [`Mode::Merged`], where stderr lines arrive in order between libtest's events;
    /// through two pipes they could not be told apart per test.
    inputs: BTreeMap<String, InputsDigest>,
}

/// How often a running batch's clock is looked at when the process is quiet.
const TICK: Duration = Duration::from_millis(100);

/// Runs one process of `bin` for the tests `filters` names (all the filter selects when
/// empty), feeding its lines and the clock to a [`BatchState`].
fn run_batch(
    bin: &TestBinary,
    cfg: &ExecConfig,
    filters: &[String],
    mode: Mode,
    cancel: &AtomicBool,
    on_slow: &mut dyn FnMut(&str, Duration),
) -> Batch {
    let probe_file = probe_file(cfg, bin);
    let nocapture = mode != Mode::Captured;
    let inv = invocation(bin, cfg, filters, nocapture, probe_file.as_deref());
    let spawned = match mode {
        Mode::Merged => Process::spawn_merged(&inv),
        Mode::Captured | Mode::Streamed => Process::spawn(&inv),
    };
    let settled = match spawned {
        Err(e) => batch::spawn_failed(e.to_string()),
        Ok(mut process) => {
            let rules = BatchRules {
                mode,
                slow: cfg.slow,
                timeout: cfg.timeout,
                doc: bin.doc.is_some(),
            };
            let mut state = BatchState::new(rules, Instant::now());
            let killed = loop {
                if cancel.load(Ordering::Relaxed) {
                    process.kill_tree();
                    break Some(BatchEnd::Cancelled);
                }
                match process.next_line(TICK) {
                    Next::Line(line) => state.on_line(&line, Instant::now()),
                    Next::Idle => {
                        let tick = state.on_tick(Instant::now());
                        for (name, elapsed) in &tick.slow {
                            on_slow(name, *elapsed);
                        }
                        if let Some(end) = tick.kill {
                            process.kill_tree();
                            break Some(end);
                        }
                    }
                    Next::Closed => break None,
                }
            };
            let exit = process.wait();
            state.finish(killed, exit, Instant::now())
        }
    };
    let mut finished = settled.finished;
    if bin.doc.is_some() && !filters.is_empty() {
        finished.retain(|r| filters.contains(&r.name));
    }
    // Every write of the process is done (it has exited): read what it recorded.
    let probes = match &probe_file {
        Some(f) => {
            let recorded = probe_file::read_file(f);
            let _ = std::fs::remove_file(f);
            recorded
        }
        None => Recorded::default(),
    };
    Batch {
        finished,
        end: settled.end,
        probes,
        inputs: settled.inputs,
    }
}

/// `s` as bele keeps a test's output: its start and end, with the cut marked.
fn limit(s: String) -> String {
    let mut kept = output_clip();
    kept.push_str(&s);
    kept.finish()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The variable that makes bele cargo's `RUSTDOC` wrapper, naming the rustdoc to run.
pub const RUSTDOC_VAR: &str = "BELE_RUSTDOC";

/// `RUSTDOC` set to bele itself, with the rustdoc it runs (the user's `RUSTDOC`, else
/// `rustdoc`) in [`RUSTDOC_VAR`]. When bele's own path is unknown, RUSTC_BOOTSTRAP for the
/// whole cargo run, as before (right, only slower: the proc-macro chain is built again).
fn rustdoc_wrapper_env(base: &[(String, String)]) -> Vec<(String, String)> {
    let Ok(me) = std::env::current_exe() else {
        return vec![("RUSTC_BOOTSTRAP".to_string(), "1".to_string())];
    };
    let theirs = (base.iter())
        .find(|(k, v)| k == "RUSTDOC" && !v.is_empty())
        .map_or_else(|| "rustdoc".to_string(), |(_, v)| v.clone());
    vec![
        ("RUSTDOC".to_string(), me.display().to_string()),
        (RUSTDOC_VAR.to_string(), theirs),
    ]
}

/// bele as cargo's `RUSTDOC` (with [`RUSTDOC_VAR`] set, and not run by a person): runs that
/// rustdoc with `argv`'s arguments and RUSTC_BOOTSTRAP=1, and returns its exit code.
pub fn rustdoc_wrapper_main(argv: &[std::ffi::OsString], subcommands: &[&str]) -> Option<i32> {
    let rustdoc = std::env::var(RUSTDOC_VAR).ok().filter(|r| !r.is_empty())?;
    let first = argv.get(1).and_then(|a| a.to_str());
    if first.is_some_and(|a| subcommands.contains(&a)) {
        return None;
    }
    let args: Vec<String> = (argv.iter().skip(1))
        .map(|a| a.to_str().map(String::from))
        .collect::<Option<_>>()?;
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k != RUSTDOC_VAR && k != "RUSTDOC")
        .collect();
    env.push(("RUSTC_BOOTSTRAP".into(), "1".into()));
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let cmd = crate::util::process::CommandSpec::new(&rustdoc, cwd).args(args);
    Some(match cmd.run_inheriting(&env) {
        Ok(code) => code.unwrap_or(101),
        Err(e) => {
            eprintln!("bele (rustdoc wrapper): {e}");
            101
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Doc-tests get RUSTC_BOOTSTRAP through bele as rustdoc, never in cargo's own
    /// environment (build scripts would see it change), and the user's RUSTDOC still runs.
    #[test]
    fn doc_tests_unlock_json_in_rustdoc_only() {
        let env = rustdoc_wrapper_env(&[]);
        let get = |env: &[(String, String)], k: &str| {
            (env.iter()).find(|(n, _)| n == k).map(|(_, v)| v.clone())
        };
        assert_eq!(get(&env, "RUSTC_BOOTSTRAP"), None);
        assert_eq!(
            get(&env, "RUSTDOC"),
            Some(std::env::current_exe().unwrap().display().to_string())
        );
        assert_eq!(get(&env, RUSTDOC_VAR).as_deref(), Some("rustdoc"));
        let theirs = rustdoc_wrapper_env(&[("RUSTDOC".into(), "/opt/my-rustdoc".into())]);
        assert_eq!(
            get(&theirs, RUSTDOC_VAR).as_deref(),
            Some("/opt/my-rustdoc")
        );
    }
}
