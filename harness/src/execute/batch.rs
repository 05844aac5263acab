//! One process running a batch of tests, as a pure state machine: libtest's lines and clock
//! ticks in, results and how the process ended out. The driver in `execute` owns the
//! process and feeds it; tests here feed it captured streams with a clock of their own.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use bele_qemu::clip::Clip;
use bele_qemu::{signal_name, Exit, Line, Stream};

use super::libtest::{
    doctest_signal, parse_cut_event, parse_event, proptest_input_line, proptest_minimal_input,
    Event,
};
use super::{millis, output_clip};
use crate::model::{Ended, Outcome, TestResult};

/// libtest's exit code when a test failed (0 when all passed): the process ended by itself.
pub(crate) const LIBTEST_FAILED: i32 = 101;

/// How one process running a batch of tests ended.
#[derive(Debug)]
pub(crate) enum BatchEnd {
    /// Exited on its own with no test in flight.
    Finished,
    /// Died (signal or unexpected exit) while these tests were running.
    Crashed {
        running: Vec<(String, Duration)>,
        exit: Exit,
        output: String,
    },
    /// Could not be started at all.
    SpawnFailed {
        error: String,
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

/// How a batch's process is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Output captured by libtest; stdout and stderr in pipes of their own.
    Captured,
    /// `--nocapture`: a test's output streams as it runs.
    Streamed,
    /// `--nocapture` with stdout and stderr in one pipe, one test at a time.
    Merged,
}

/// What proptest reported drawing for one test (`PROPTEST_VERBOSE=2`): how many inputs,
/// and the digest of them as printed, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InputsDigest {
    pub cases: u64,
    pub digest: u64,
}

/// What the state machine needs to know of the run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchRules {
    pub mode: Mode,
    /// A test running this long is reported slow, and again at each multiple.
    pub slow: Duration,
    pub timeout: Duration,
    /// Doc-tests: rustdoc reports a doc-test killed by a signal as failed.
    pub doc: bool,
}

/// A test in flight: when it started and what it wrote outside libtest's capture.
#[derive(Debug)]
struct InFlight {
    name: String,
    started: Instant,
    output: Clip,
}

/// What a tick found: tests newly slow, and whether the process must be killed (and why).
#[derive(Debug, Default)]
pub(crate) struct Tick {
    pub slow: Vec<(String, Duration)>,
    pub kill: Option<BatchEnd>,
}

/// The results a batch produced, and how it ended.
#[derive(Debug)]
pub(crate) struct Settled {
    pub finished: Vec<TestResult>,
    pub end: BatchEnd,
    pub inputs: BTreeMap<String, InputsDigest>,
}

#[derive(Debug)]
pub(crate) struct BatchState {
    rules: BatchRules,
    /// In start order.
    running: Vec<InFlight>,
    /// Output not attributable to one test (stderr of QEMU, of the runtime, of parallel tests).
    loose: Clip,
    last_activity: Instant,
    /// Per running test, how many times it has been reported slow.
    slow_marks: HashMap<String, u32>,
    finished: Vec<TestResult>,
    /// Names with a final result: a second one for the same test is refused.
    settled: HashSet<String>,
    inputs: BTreeMap<String, InputsDigest>,
}

impl BatchState {
    pub fn new(rules: BatchRules, now: Instant) -> BatchState {
        BatchState {
            rules,
            running: Vec::new(),
            loose: output_clip(),
            last_activity: now,
            slow_marks: HashMap::new(),
            finished: Vec::new(),
            settled: HashSet::new(),
            inputs: BTreeMap::new(),
        }
    }

    /// One line the process wrote.
    pub fn on_line(&mut self, line: &Line, now: Instant) {
        self.last_activity = now;
        let event = match (line.stream, line.cut_parts()) {
            (Stream::Stdout, None) => parse_event(&line.text),
            (Stream::Stdout, Some((head, tail, bytes))) => {
                parse_cut_event(head, tail, bytes).unwrap_or_else(|| Event::Text(line.text.clone()))
            }
            (Stream::Stderr, _) => Event::Text(line.text.clone()),
        };
        match event {
            Event::Started { name } => self.running.push(InFlight {
                name,
                started: now,
                output: output_clip(),
            }),
            Event::Passed { name, seconds } => {
                let (elapsed, _) = self.take(&name, now);
                let ms = seconds.map_or(millis(elapsed), secs_to_ms);
                self.settle(TestResult::new(name, Outcome::Passed, ms));
            }
            Event::Failed {
                name,
                seconds,
                output,
                cut,
            } => {
                let (elapsed, kept) = self.take(&name, now);
                let ms = seconds.map_or(millis(elapsed), secs_to_ms);
                let r = self.failure(name, ms, kept, &output, cut);
                self.settle(r);
            }
            Event::Ignored { name, reason } => {
                self.take(&name, now);
                let mut r = TestResult::new(name, Outcome::Ignored, 0);
                r.output = reason;
                self.settle(r);
            }
            Event::Other => {}
            Event::Text(text) => self.text(text),
        }
    }

    /// A failed test's result: the output it streamed, then libtest's capture (whose line
    /// may have been cut).
    fn failure(
        &self,
        name: String,
        ms: u64,
        mut kept: Clip,
        output: &str,
        cut: Option<(usize, u64)>,
    ) -> TestResult {
        match cut {
            Some((at, bytes)) => {
                kept.push_str(&output[..at]);
                kept.push_gap(bytes);
                kept.push_str(&output[at..]);
            }
            None => kept.push_str(output),
        }
        let output = kept.finish();
        // rustdoc runs each doc-test as a process of its own and reports one killed by a
        // signal as failed: it crashed.
        let signal = self
            .rules
            .doc
            .then(|| doctest_signal(&output))
            .flatten()
            .map(|n| Ended::from(signal_name(n)));
        let outcome = if signal.is_some() {
            Outcome::Crashed
        } else {
            Outcome::Failed
        };
        TestResult {
            minimal_input: proptest_minimal_input(&output),
            signal,
            ..TestResult::new(name, outcome, ms).with_output(output)
        }
    }

    fn text(&mut self, text: String) {
        if self.rules.mode == Mode::Merged && self.running.len() == 1 {
            if let Some(input) = proptest_input_line(&text) {
                let e = self
                    .inputs
                    .entry(self.running[0].name.clone())
                    .or_insert(InputsDigest {
                        cases: 0,
                        digest: bele_probe::digest(b""),
                    });
                e.cases += 1;
                e.digest = bele_probe::digest_from(e.digest, input.as_bytes());
                e.digest = bele_probe::digest_from(e.digest, b"\n");
                return;
            }
        }
        let sink = match self.running.as_mut_slice() {
            [one] => &mut one.output,
            _ => &mut self.loose,
        };
        sink.push_str(&text);
        sink.push_str("\n");
    }

    /// Keeps the first final result of a test; a second one (libtest never sends one, but
    /// a test that prints libtest's JSON itself could) is dropped.
    fn settle(&mut self, r: TestResult) {
        if self.settled.insert(r.name.clone()) {
            self.finished.push(r);
        }
    }

    /// Removes `name` from the running set: its elapsed time and streamed output.
    fn take(&mut self, name: &str, now: Instant) -> (Duration, Clip) {
        match self.running.iter().position(|t| t.name == name) {
            Some(i) => {
                let t = self.running.remove(i);
                (now.saturating_duration_since(t.started), t.output)
            }
            None => (Duration::ZERO, output_clip()),
        }
    }

    /// The clock moved with nothing to read: tests newly slow, and whether to kill.
    pub fn on_tick(&mut self, now: Instant) -> Tick {
        let mut tick = Tick::default();
        let rules = self.rules;
        for t in &self.running {
            let elapsed = now.saturating_duration_since(t.started);
            let marks = self.slow_marks.entry(t.name.clone()).or_insert(0);
            let due = rules.slow.saturating_mul(*marks + 1);
            if elapsed >= due && elapsed < rules.timeout {
                *marks += 1;
                tick.slow.push((t.name.clone(), due));
            }
        }
        let overdue: Vec<(String, Duration)> = self
            .running
            .iter()
            .map(|t| (t.name.clone(), now.saturating_duration_since(t.started)))
            .filter(|(_, elapsed)| *elapsed >= rules.timeout)
            .collect();
        let silent = self.running.is_empty()
            && now.saturating_duration_since(self.last_activity) >= rules.timeout;
        if silent {
            tick.kill = Some(BatchEnd::HungOutside {
                output: format!(
                    "the test process hung for {}s outside any test\n{}",
                    rules.timeout.as_secs(),
                    self.unfinished_output()
                ),
            });
        } else if !overdue.is_empty() {
            // Tests running alongside the hung one go again in the next process.
            tick.kill = Some(BatchEnd::TimedOut {
                tests: overdue,
                output: self.unfinished_output(),
            });
        }
        tick
    }

    /// What the tests still running wrote outside libtest's capture, then the output of no
    /// test.
    fn unfinished_output(&self) -> String {
        let mut output: String = self.running.iter().map(|t| t.output.finish()).collect();
        output.push_str(&self.loose.finish());
        output
    }

    /// The process is gone: `killed` is why bele ended it (`None`: it ended by itself, with
    /// `exit`).
    pub fn finish(self, killed: Option<BatchEnd>, exit: Exit, now: Instant) -> Settled {
        let end = killed.unwrap_or_else(|| {
            if self.running.is_empty() && matches!(exit, Exit::Code(0 | LIBTEST_FAILED)) {
                BatchEnd::Finished
            } else {
                BatchEnd::Crashed {
                    running: self
                        .running
                        .iter()
                        .map(|t| (t.name.clone(), now.saturating_duration_since(t.started)))
                        .collect(),
                    exit,
                    output: self.unfinished_output(),
                }
            }
        });
        Settled {
            finished: self.finished,
            end,
            inputs: self.inputs,
        }
    }
}

/// A result that came with no process: one that could not start.
pub(crate) fn spawn_failed(error: String) -> Settled {
    Settled {
        finished: Vec::new(),
        end: BatchEnd::SpawnFailed { error },
        inputs: BTreeMap::new(),
    }
}

fn secs_to_ms(s: f64) -> u64 {
    // Saturating float-to-int conversion; libtest reports non-negative seconds.
    (s * 1000.0).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = include_str!("../../tests/captured/libtest-json-x86_64.txt");
    const TIMEOUT: &str = include_str!("../../tests/captured/libtest-json-timeout-warning.txt");

    fn rules(mode: Mode) -> BatchRules {
        BatchRules {
            mode,
            slow: Duration::from_secs(60),
            timeout: Duration::from_secs(300),
            doc: false,
        }
    }

    fn line(stream: Stream, text: &str) -> Line {
        Line {
            stream,
            text: text.to_string(),
            cut: None,
        }
    }

    /// Feeds `stdout` one line per 10 ms of a clock of its own, then ends with `exit`.
    fn feed(rules: BatchRules, stdout: &str, exit: Exit) -> Settled {
        let t0 = Instant::now();
        let mut state = BatchState::new(rules, t0);
        let mut now = t0;
        for l in stdout.lines() {
            now += Duration::from_millis(10);
            state.on_line(&line(Stream::Stdout, l), now);
        }
        state.finish(None, exit, now)
    }

    fn outcomes(s: &Settled) -> Vec<(&str, Outcome)> {
        s.finished
            .iter()
            .map(|r| (r.name.as_str(), r.outcome))
            .collect()
    }

    #[test]
    fn a_captured_run_settles_every_test_once() {
        let s = feed(rules(Mode::Captured), RUN, Exit::Code(LIBTEST_FAILED));
        assert!(matches!(s.end, BatchEnd::Finished), "{:?}", s.end);
        let names: Vec<&str> = s.finished.iter().map(|r| r.name.as_str()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{names:?}");
        assert!(s.finished.iter().any(|r| r.outcome == Outcome::Failed));
        assert!(s.finished.iter().any(|r| r.outcome == Outcome::Passed));
    }

    /// libtest's `timeout` event is a warning after 60 s when tests run concurrently; the
    /// test's real result follows. Captured from a real executable with two test threads.
    #[test]
    fn libtests_timeout_warning_is_not_a_failure() {
        assert!(TIMEOUT.contains(r#""event": "timeout""#), "{TIMEOUT}");
        let s = feed(rules(Mode::Captured), TIMEOUT, Exit::Code(0));
        assert!(matches!(s.end, BatchEnd::Finished), "{:?}", s.end);
        assert_eq!(
            outcomes(&s),
            [
                ("tests::quick", Outcome::Passed),
                ("tests::slow_but_passes", Outcome::Passed)
            ]
        );
    }

    #[test]
    fn a_second_final_result_for_one_test_is_refused() {
        let stream = r#"{ "type": "test", "event": "started", "name": "t" }
{ "type": "test", "name": "t", "event": "failed", "stdout": "boom" }
{ "type": "test", "name": "t", "event": "ok" }"#;
        let s = feed(rules(Mode::Captured), stream, Exit::Code(LIBTEST_FAILED));
        assert_eq!(outcomes(&s), [("t", Outcome::Failed)]);
    }

    #[test]
    fn a_process_that_dies_mid_test_crashed_it() {
        let stream = r#"{ "type": "test", "event": "started", "name": "a" }
{ "type": "test", "name": "a", "event": "ok" }
{ "type": "test", "event": "started", "name": "b" }"#;
        let s = feed(rules(Mode::Captured), stream, Exit::Signal(7));
        assert_eq!(outcomes(&s), [("a", Outcome::Passed)]);
        match s.end {
            BatchEnd::Crashed { running, exit, .. } => {
                assert_eq!(running.len(), 1);
                assert_eq!(running[0].0, "b");
                assert_eq!(exit, Exit::Signal(7));
            }
            end => panic!("{end:?}"),
        }
        // Exit code 0 with a test in flight is a crash too (the process exited mid-test).
        let s = feed(rules(Mode::Captured), stream, Exit::Code(0));
        assert!(matches!(s.end, BatchEnd::Crashed { .. }), "{:?}", s.end);
    }

    #[test]
    fn ticks_mark_slow_tests_then_kill_the_overdue_and_the_silent() {
        let rules = BatchRules {
            slow: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            ..rules(Mode::Captured)
        };
        let t0 = Instant::now();
        let mut state = BatchState::new(rules, t0);
        state.on_line(
            &line(
                Stream::Stdout,
                r#"{ "type": "test", "event": "started", "name": "hangs" }"#,
            ),
            t0,
        );
        state.on_line(&line(Stream::Stderr, "still going"), t0);
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert!(state.on_tick(at(1)).slow.is_empty());
        let tick = state.on_tick(at(2));
        assert_eq!(tick.slow, [("hangs".to_string(), Duration::from_secs(2))]);
        assert!(tick.kill.is_none());
        assert!(
            state.on_tick(at(3)).slow.is_empty(),
            "marked once per multiple"
        );
        assert_eq!(state.on_tick(at(4)).slow.len(), 1);
        match state.on_tick(at(5)).kill {
            Some(BatchEnd::TimedOut { tests, output }) => {
                assert_eq!(tests, [("hangs".to_string(), Duration::from_secs(5))]);
                assert!(output.contains("still going"), "{output}");
            }
            other => panic!("{other:?}"),
        }
        // With nothing in flight, silence for a timeout is a hang outside any test.
        let mut quiet = BatchState::new(rules, t0);
        assert!(quiet.on_tick(at(4)).kill.is_none());
        assert!(matches!(
            quiet.on_tick(at(5)).kill,
            Some(BatchEnd::HungOutside { .. })
        ));
    }

    #[test]
    fn a_huge_timeout_never_overflows_the_clock() {
        let rules = BatchRules {
            slow: Duration::MAX,
            timeout: Duration::MAX,
            ..rules(Mode::Captured)
        };
        let t0 = Instant::now();
        let mut state = BatchState::new(rules, t0);
        state.on_line(
            &line(
                Stream::Stdout,
                r#"{ "type": "test", "event": "started", "name": "t" }"#,
            ),
            t0,
        );
        let tick = state.on_tick(t0 + Duration::from_secs(3600));
        assert!(tick.slow.is_empty() && tick.kill.is_none());
    }

    #[test]
    fn proptest_inputs_are_digested_per_test_in_merged_mode() {
        let stream = [
            r#"{ "type": "test", "event": "started", "name": "p" }"#,
            "proptest: Next test input: v = 921562233, slot = 3",
            "proptest: Test case passed",
            "proptest: Next test input: v = 30780906, slot = 3",
        ];
        let t0 = Instant::now();
        let mut merged = BatchState::new(rules(Mode::Merged), t0);
        let mut captured = BatchState::new(rules(Mode::Captured), t0);
        for l in stream {
            merged.on_line(&line(Stream::Stdout, l), t0);
            captured.on_line(&line(Stream::Stdout, l), t0);
        }
        let with = merged.finish(None, Exit::Code(0), t0).inputs;
        let without = captured.finish(None, Exit::Code(0), t0).inputs;
        assert!(without.is_empty(), "{without:?}");
        assert_eq!(with.get("p").map(|i| i.cases), Some(2), "{with:?}");
    }
}
