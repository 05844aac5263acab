//! Running one test executable to a result for every test it lists, whatever happens.
//!
//! The executable first runs all its tests in one process. If that process crashes or a
//! test hangs, the tests already reported keep their results; the test that was running
//! gets the crash (confirmed alone, with its output) or the time-out; the executable's
//! listing says which tests were not reached, and they go again in a new process. So one
//! crash or hang costs no other test its result.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bele_qemu::clip::Clip;
use bele_qemu::{
    run_lines, signal_name, Exit, GuestSignal, Invocation, Next, Process, Runner, Stream,
};

pub mod invocation;
pub mod libtest;
pub mod probe_file;

use crate::build::TestBinary;
use crate::model::{BinaryResult, Outcome, ProbeSequence, TestResult};
use crate::plan::selection::Filter;
use libtest::{
    doc_test_word, doctest_signal, listed_test, parse_cut_event, parse_event, proptest_input_line,
    proptest_minimal_input, Event,
};
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
    // libtest's JSON output is unstable: the variable unlocks it in the test process.
    let mut env = vec![("RUSTC_BOOTSTRAP".to_string(), "1".to_string())];
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
    let mut sequences = Sequences::new();
    let mut result = BinaryResult {
        id: bin.id.clone(),
        executable: bin.path.clone(),
        cwd: bin.cwd.clone(),
        error: None,
        doc: bin.doc.clone(),
        started_ms: 0,
        duration_ms: 0,
        tests: Vec::new(),
    };
    let mut done: BTreeMap<String, TestResult> = BTreeMap::new();
    let record = |on_test: &mut dyn FnMut(TestEvent<'_>),
                  r: TestResult,
                  done: &mut BTreeMap<String, TestResult>| {
        on_test(TestEvent::Finished(&r));
        done.insert(r.name.clone(), r);
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
        let before = pending.len();
        let progressed = !batch.finished.is_empty();
        for mut r in std::mem::take(&mut batch.finished) {
            attach(&mut r, &mut batch.probes, &mut sequences);
            record(on_test, r, &mut done);
        }
        let mut probes = std::mem::take(&mut batch.probes);
        let mut record = |mut r: TestResult, done: &mut BTreeMap<String, TestResult>| {
            attach(&mut r, &mut probes, &mut sequences);
            record(on_test, r, done);
        };
        match batch.end {
            BatchEnd::Finished | BatchEnd::Cancelled => {
                // Anything listed but not reported by a process that ended normally (or
                // was stopped by the user) has no result of its own.
                let why = if matches!(batch.end, BatchEnd::Cancelled) {
                    "the run was interrupted before this test finished"
                } else {
                    "listed by the executable but not reported when it ran"
                };
                let wanted: HashSet<&String> = filters.iter().collect();
                for name in unfinished(&pending, &done) {
                    if filters.is_empty() || wanted.contains(&name) {
                        record(not_run(&name, why), &mut done);
                    }
                }
            }
            BatchEnd::HungOutside { output } => {
                if !progressed {
                    for name in unfinished(&pending, &done) {
                        let r = TestResult {
                            name,
                            outcome: Outcome::TimedOut,
                            duration_ms: 0,
                            output: Some(limit(output.clone())),
                            signal: None,
                            minimal_input: None,
                            probes: Vec::new(),
                        };
                        record(r, &mut done);
                    }
                }
            }
            BatchEnd::TimedOut { tests, output } => {
                for (name, elapsed) in tests {
                    let r = TestResult {
                        name,
                        outcome: Outcome::TimedOut,
                        duration_ms: millis(elapsed),
                        output: Some(limit(format!(
                            "killed after {}s (the per-test timeout; raise it with --timeout)\n{output}",
                            cfg.timeout.as_secs()
                        ))),
                        signal: None,
                        minimal_input: None,
                        probes: Vec::new(),
                    };
                    record(r, &mut done);
                }
            }
            BatchEnd::Crashed {
                running,
                exit,
                output,
            } => {
                if let [(name, elapsed)] = running.as_slice() {
                    // Confirm the crash alone, with its output streamed rather than captured.
                    let r = confirm_crash(
                        isolate(bin, cfg, name, cancel),
                        crashed(name, *elapsed, exit, &output),
                    );
                    record(r, &mut done);
                } else if running.is_empty() {
                    if !progressed {
                        // Died outside any test without finishing one: retrying would loop.
                        for name in unfinished(&pending, &done) {
                            let mut r = crashed(&name, Duration::ZERO, exit, &output);
                            r.output = Some(limit(format!(
                                "the test process died before this test started\n{output}"
                            )));
                            record(r, &mut done);
                        }
                    }
                } else {
                    for (name, elapsed) in running {
                        let r = confirm_crash(
                            isolate(bin, cfg, &name, cancel),
                            crashed(&name, elapsed, exit, &output),
                        );
                        record(r, &mut done);
                    }
                }
            }
        }
        pending.retain(|n| !done.contains_key(n));
        if pending.len() == before {
            // Another process would end the same way.
            for name in unfinished(&pending, &done) {
                let why = "no result: the processes meant to run it ended before it started";
                record(not_run(&name, why), &mut done);
            }
            pending.clear();
        }
    }
    for name in unfinished(&pending, &done) {
        record(
            on_test,
            not_run(&name, "the run was interrupted before this test started"),
            &mut done,
        );
    }
    // Results in listing order (then any the listing missed, by name).
    result.tests = names.iter().filter_map(|n| done.remove(n)).collect();
    result.tests.extend(done.into_values());
    (result, sequences)
}

/// A test run again to check its probe records: its result, and the inputs proptest
/// reported (with `PROPTEST_VERBOSE=2` in the environment): how many, and their digest.
#[derive(Debug)]
pub struct Rerun {
    pub result: TestResult,
    pub inputs: Option<(u64, u64)>,
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
        BatchEnd::TimedOut { tests, output } => Some(TestResult {
            name: name.to_string(),
            outcome: Outcome::TimedOut,
            duration_ms: millis(tests.first().map_or(cfg.timeout, |(_, e)| *e)),
            output: Some(limit(output)),
            signal: None,
            minimal_input: None,
            probes: Vec::new(),
        }),
        BatchEnd::HungOutside { output } => Some(TestResult {
            name: name.to_string(),
            outcome: Outcome::TimedOut,
            duration_ms: millis(cfg.timeout),
            output: Some(limit(output)),
            signal: None,
            minimal_input: None,
            probes: Vec::new(),
        }),
        BatchEnd::Finished | BatchEnd::Cancelled => None,
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
        name: name.to_string(),
        outcome: Outcome::Crashed,
        duration_ms: millis(elapsed),
        output: Some(limit(format!(
            "the test process died of {exit}{}\n{output}",
            guest.unwrap_or_default()
        ))),
        signal: Some(exit.signal_name().unwrap_or_else(|| exit.to_string())),
        minimal_input: None,
        probes: Vec::new(),
    }
}

fn not_run(name: &str, why: &str) -> TestResult {
    TestResult {
        name: name.to_string(),
        outcome: Outcome::NotRun,
        duration_ms: 0,
        output: Some(why.to_string()),
        signal: None,
        minimal_input: None,
        probes: Vec::new(),
    }
}

/// How one process running a batch of tests ended.
#[derive(Debug)]
enum BatchEnd {
    /// Exited on its own with no test in flight.
    Finished,
    /// Died (signal or unexpected exit) while these tests were running.
    Crashed {
        running: Vec<(String, Duration)>,
        exit: Exit,
        output: String,
    },
    /// Killed because these tests outlived the timeout.
    TimedOut {
        tests: Vec<(String, Duration)>,
        output: String,
    },
    /// Killed after a timeout's worth of silence with no test in flight.
    HungOutside {
        output: String,
    },
    Cancelled,
}

#[derive(Debug)]
struct Batch {
    finished: Vec<TestResult>,
    end: BatchEnd,
    /// What the process recorded with `bele_probe`, not yet attached to a result.
    probes: Recorded,
    /// Per test, the inputs proptest reported (`PROPTEST_VERBOSE=2`): count and digest.
    /// Kept only in [`Mode::Merged`], where stderr lines arrive in order between libtest's
    /// events; through two pipes they could not be told apart per test.
    inputs: BTreeMap<String, (u64, u64)>,
}

/// How a batch's process is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Output captured by libtest; stdout and stderr in pipes of their own.
    Captured,
    /// `--nocapture`: a test's output streams as it runs.
    Streamed,
    /// `--nocapture` with stdout and stderr in one pipe, one test at a time.
    Merged,
}

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
    let mut finished = Vec::new();
    let mut inputs: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let spawned = match mode {
        Mode::Merged => Process::spawn_merged(&inv),
        Mode::Captured | Mode::Streamed => Process::spawn(&inv),
    };
    let mut process = match spawned {
        Ok(p) => p,
        Err(e) => {
            return Batch {
                finished,
                end: BatchEnd::Crashed {
                    running: Vec::new(),
                    exit: Exit::Code(-1),
                    output: e.to_string(),
                },
                probes: Recorded::default(),
                inputs,
            }
        }
    };
    // Tests in flight, in start order, with the output they wrote outside libtest's capture.
    let mut running: Vec<(String, Instant, Clip)> = Vec::new();
    // Output not attributable to one test (stderr of QEMU, of the runtime, of parallel tests).
    let mut loose = output_clip();
    let mut last_activity = Instant::now();
    // Per running test, how many times it has been reported slow.
    let mut slow_marks: HashMap<String, u32> = HashMap::new();
    let tick = Duration::from_millis(100);
    let end = loop {
        if cancel.load(Ordering::Relaxed) {
            process.kill_tree();
            break Some(BatchEnd::Cancelled);
        }
        match process.next_line(tick) {
            Next::Line(line) => {
                last_activity = Instant::now();
                let event = match (line.stream, line.cut_parts()) {
                    (Stream::Stdout, None) => parse_event(&line.text),
                    (Stream::Stdout, Some((head, tail, bytes))) => {
                        parse_cut_event(head, tail, bytes).unwrap_or(Event::Text(line.text))
                    }
                    (Stream::Stderr, _) => Event::Text(line.text),
                };
                match event {
                    Event::Started { name } => running.push((name, Instant::now(), output_clip())),
                    Event::Passed { name, seconds } => {
                        let (elapsed, _) = take(&mut running, &name);
                        finished.push(TestResult {
                            name,
                            outcome: Outcome::Passed,
                            duration_ms: seconds.map_or(millis(elapsed), secs_to_ms),
                            output: None,
                            signal: None,
                            minimal_input: None,
                            probes: Vec::new(),
                        });
                    }
                    Event::Failed {
                        name,
                        seconds,
                        output,
                        cut,
                    } => {
                        let (elapsed, mut kept) = take(&mut running, &name);
                        match cut {
                            Some((at, bytes)) => {
                                kept.push_str(&output[..at]);
                                kept.push_gap(bytes);
                                kept.push_str(&output[at..]);
                            }
                            None => kept.push_str(&output),
                        }
                        let output = kept.finish();
                        // rustdoc runs each doc-test as a process of its own and reports
                        // one killed by a signal as failed: it crashed.
                        let signal = bin
                            .doc
                            .as_ref()
                            .and_then(|_| doctest_signal(&output))
                            .map(signal_name);
                        finished.push(TestResult {
                            name,
                            outcome: if signal.is_some() {
                                Outcome::Crashed
                            } else {
                                Outcome::Failed
                            },
                            duration_ms: seconds.map_or(millis(elapsed), secs_to_ms),
                            minimal_input: proptest_minimal_input(&output),
                            probes: Vec::new(),
                            output: Some(output),
                            signal,
                        });
                    }
                    Event::Ignored { name, reason } => {
                        take(&mut running, &name);
                        finished.push(TestResult {
                            name,
                            outcome: Outcome::Ignored,
                            duration_ms: 0,
                            output: reason,
                            signal: None,
                            minimal_input: None,
                            probes: Vec::new(),
                        });
                    }
                    Event::Other => {}
                    Event::Text(text)
                        if mode == Mode::Merged
                            && running.len() == 1
                            && proptest_input_line(&text).is_some() =>
                    {
                        let input = proptest_input_line(&text).unwrap_or_default();
                        let e = inputs
                            .entry(running[0].0.clone())
                            .or_insert((0, bele_probe::digest(b"")));
                        e.0 += 1;
                        e.1 = bele_probe::digest_from(e.1, input.as_bytes());
                        e.1 = bele_probe::digest_from(e.1, b"\n");
                    }
                    Event::Text(text) => {
                        let sink = match running.as_mut_slice() {
                            [(_, _, out)] => out,
                            _ => &mut loose,
                        };
                        sink.push_str(&text);
                        sink.push_str("\n");
                    }
                }
            }
            Next::Idle => {
                let now = Instant::now();
                for (name, start, _) in &running {
                    let elapsed = now.duration_since(*start);
                    let marks = slow_marks.entry(name.clone()).or_insert(0);
                    let due = cfg.slow * (*marks + 1);
                    if elapsed >= due && elapsed < cfg.timeout {
                        *marks += 1;
                        on_slow(name, due);
                    }
                }
                let overdue: Vec<(String, Duration)> = running
                    .iter()
                    .filter(|(_, start, _)| now.duration_since(*start) >= cfg.timeout)
                    .map(|(n, start, _)| (n.clone(), now.duration_since(*start)))
                    .collect();
                let silent_hang =
                    running.is_empty() && now.duration_since(last_activity) >= cfg.timeout;
                if !overdue.is_empty() || silent_hang {
                    process.kill_tree();
                    let output = unfinished_output(&running, &loose);
                    if silent_hang {
                        break Some(BatchEnd::HungOutside {
                            output: format!(
                                "the test process hung for {}s outside any test\n{output}",
                                cfg.timeout.as_secs()
                            ),
                        });
                    }
                    // Tests running alongside the hung one go again in the next process.
                    break Some(BatchEnd::TimedOut {
                        tests: overdue,
                        output,
                    });
                }
            }
            Next::Closed => break None,
        }
    };
    let exit = process.wait();
    if bin.doc.is_some() && !filters.is_empty() {
        finished.retain(|r| filters.contains(&r.name));
    }
    let end = end.unwrap_or_else(|| {
        if running.is_empty() && matches!(exit, Exit::Code(0 | 101)) {
            BatchEnd::Finished
        } else {
            let output = unfinished_output(&running, &loose);
            BatchEnd::Crashed {
                running: running
                    .iter()
                    .map(|(n, s, _)| (n.clone(), s.elapsed()))
                    .collect(),
                exit,
                output,
            }
        }
    });
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
        end,
        probes,
        inputs,
    }
}

/// What the tests still running wrote outside libtest's capture, then the output of no test.
fn unfinished_output(running: &[(String, Instant, Clip)], loose: &Clip) -> String {
    let mut output: String = running.iter().map(|(_, _, o)| o.finish()).collect();
    output.push_str(&loose.finish());
    output
}

/// Removes `name` from the running set: its elapsed time and streamed output.
fn take(running: &mut Vec<(String, Instant, Clip)>, name: &str) -> (Duration, Clip) {
    match running.iter().position(|(n, _, _)| n == name) {
        Some(i) => {
            let (_, start, out) = running.remove(i);
            (start.elapsed(), out)
        }
        None => (Duration::ZERO, output_clip()),
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

fn secs_to_ms(s: f64) -> u64 {
    // Saturating float-to-int conversion; libtest reports non-negative seconds.
    (s * 1000.0).round() as u64
}
