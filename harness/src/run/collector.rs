//! The collector: turns builders' and workers' messages into the results model, tells the
//! reporters, and saves the results while the run goes (nextest's dispatcher).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::model::*;
use crate::plan::Plan;
use crate::report::events::{Event, Reporter};
use crate::util::time::millis;

use super::*;

/// Why a target's build failed, for its row: in a dependency (not the workspace's code)
/// when every crate cargo could not compile is one, with the command either way.
fn build_failure_reason(build: Option<&BuildInfo>) -> String {
    let command = build.map_or("", |b| b.command.as_str());
    match build.and_then(BuildInfo::failed_dependencies) {
        Some(deps) => format!(
            "a dependency failed to build: {} (not the workspace's code): `{command}`",
            deps.join(", ")
        ),
        None => format!("the build failed: `{command}`"),
    }
}

/// Least time between two saves of the results while a run goes.
pub(super) const SAVE_EVERY: Duration = Duration::from_secs(1);

/// Turns the builder's and workers' messages into results and events, and saves the
/// results as each target finishes.
pub(super) struct Collector<'a, 'p, 't> {
    /// When the run started.
    pub(super) start: Instant,
    /// When the results were last saved.
    pub(super) last_save: Instant,
    /// Results changed since then and not saved yet.
    pub(super) unsaved: bool,
    /// How long the last save took.
    pub(super) save_cost: Duration,
    pub(super) results: &'a mut RunResults,
    /// Per target: test executables still running, once its build is done.
    pub(super) outstanding: PerTarget<Option<usize>>,
    /// Per target: when its first test executable started and its last one ended.
    pub(super) window: PerTarget<Option<(Instant, Instant)>>,
    pub(super) plan: &'a Plan<'t>,
    pub(super) cancel: &'a AtomicBool,
    pub(super) reporter: &'a mut (dyn Reporter + 'p),
}

impl Collector<'_, '_, '_> {
    /// A target's build ended: its build info, and its status unless tests follow.
    fn build_done(&mut self, done: BuildDone) -> Result<(), ResultsError> {
        let BuildDone {
            idx,
            outcome,
            doc_tests,
            duration,
            compiled,
            std,
            command,
            failed_crates,
            layouts,
            interrupted,
        } = done;
        let t = &mut self.results.targets[idx.get()];
        t.layouts = layouts;
        if std.cached {
            t.std = Some(StdUsed::StdCache);
        }
        t.build = Some(BuildInfo {
            duration_ms: millis(duration),
            std_ms: std.duration.map(millis),
            std_note: std.error.clone(),
            compiled,
            success: outcome.is_ok(),
            log_tail: outcome.as_ref().err().cloned(),
            command,
            failed_crates,
            left_out: Vec::new(),
        });
        // Ctrl-C reaches cargo too: a build it cut short did not fail, and gets no build
        // verdict.
        if outcome.is_err() && (interrupted || self.cancel.load(Ordering::Relaxed)) {
            t.status = TargetStatus::Interrupted;
            t.reason = Some("the run was interrupted during this target's build".into());
            self.reporter.event(&Event::TargetFinished { target: t });
            return self.save_now();
        }
        if outcome.is_err() {
            t.status = TargetStatus::BuildFailed;
            t.reason = Some(build_failure_reason(t.build.as_ref()));
        }
        self.reporter.event(&Event::BuildFinished {
            triple: &t.triple,
            success: outcome.is_ok(),
            duration,
            std_duration: std.duration,
            binaries: Some(*outcome.as_ref().unwrap_or(&0)),
            doc_tests,
        });
        match outcome {
            Ok(n) => {
                self.outstanding[idx] = Some(n);
                if n == 0 {
                    self.finish_target(idx)?;
                }
                Ok(())
            }
            Err(_) => {
                self.reporter.event(&Event::TargetFinished { target: t });
                self.save_now()
            }
        }
    }

    pub(super) fn take(&mut self, msg: Msg) -> Result<(), ResultsError> {
        match msg {
            Msg::BuildStarted(idx) => {
                let t = &self.results.targets[idx.get()];
                self.reporter.event(&Event::BuildStarted {
                    triple: &t.triple,
                    std: t.std.map(StdUsed::label).unwrap_or_default(),
                });
            }
            Msg::BuildDone(done) => self.build_done(done)?,
            Msg::Test {
                idx,
                binary,
                result,
            } => {
                self.reporter.event(&Event::TestFinished {
                    triple: &self.results.targets[idx.get()].triple,
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
                    triple: &self.results.targets[idx.get()].triple,
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
                self.results.targets[idx.get()].qemu_version = version;
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
                    self.results.targets[idx.get()].binaries.push(result);
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

    pub(super) fn finish_target(&mut self, idx: TargetIdx) -> Result<(), ResultsError> {
        let t = &mut self.results.targets[idx.get()];
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
    pub(super) fn save_now(&mut self) -> Result<(), ResultsError> {
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
    pub(super) fn save_pending(&mut self) -> Result<(), ResultsError> {
        let wait = SAVE_EVERY.max(self.save_cost * 10);
        if self.unsaved && self.last_save.elapsed() >= wait {
            self.save_now()?;
        }
        Ok(())
    }
}
