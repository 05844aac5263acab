//! Progress while a run goes: plain lines (CI, pipes) or a live progress bar (a terminal).

use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::style::Style;
use crate::model::{Outcome, TargetStatus};
use crate::report::events::{Event, Reporter};

/// The line an event is worth, if any. Shared by both reporters so CI logs and terminals
/// say the same things.
fn line_for(event: &Event<'_>, style: Style) -> Option<String> {
    Some(match event {
        Event::Started { targets } => format!("bele: testing on {targets} targets"),
        Event::TargetUnavailable { triple, reason } => {
            format!("{} {triple}: {reason}", style.yellow("unavailable"))
        }
        Event::BuildStarted { triple, std } => {
            format!("{} {triple} (std: {std})", style.bold("building   "))
        }
        Event::BuildFinished {
            triple,
            success: true,
            duration,
            binaries,
            doc_tests,
            std_duration,
            ..
        } => {
            let std = std_duration
                .map(|d| format!(" (std built into the cache first: {:.1}s)", secs(d)))
                .unwrap_or_default();
            let docs = match doc_tests {
                0 => String::new(),
                1 => ", doc-tests of 1 package".into(),
                n => format!(", doc-tests of {n} packages"),
            };
            let what = match binaries {
                Some(n) => format!("{} test executables{docs}", n - doc_tests),
                None => "booting".into(),
            };
            format!(
                "{} {triple} in {:.1}s{std}: {what}",
                style.bold("built      "),
                secs(*duration),
            )
        }
        Event::BuildFinished {
            triple,
            success: false,
            duration,
            ..
        } => {
            format!(
                "{} {triple} after {:.1}s (the summary shows the compiler errors)",
                style.red("BUILD FAIL "),
                secs(*duration)
            )
        }
        Event::TestFinished {
            triple,
            binary,
            result,
        } if result.outcome.is_failure() => {
            let how = match (&result.outcome, &result.signal) {
                (Outcome::Crashed, Some(sig)) => format!("crashed: {sig}"),
                (o, _) => o.label().to_string(),
            };
            format!(
                "{} {triple} {binary} {} ({how})",
                style.red("FAIL       "),
                result.name
            )
        }
        Event::TestSlow {
            triple,
            binary,
            test,
            elapsed,
        } => format!(
            "{} {triple} {binary} {test} (running for {}s)",
            style.yellow("SLOW       "),
            elapsed.as_secs()
        ),
        Event::CheckingProbes { tests } => format!(
            "{} probe records of {tests} {} differ between targets: running {} again to check",
            style.bold("checking   "),
            if *tests == 1 { "test" } else { "tests" },
            if *tests == 1 { "it" } else { "them" },
        ),
        Event::TargetFinished { target } if target.status == TargetStatus::Ran => {
            let c = target.counts();
            let line = format!(
                "{} {}: {} passed, {} failed, {} crashed, {} timed out, {} ignored",
                if c.failures() > 0 {
                    style.red("done       ")
                } else {
                    style.green("done       ")
                },
                target.triple,
                c.passed,
                c.failed,
                c.crashed,
                c.timed_out,
                c.ignored
            );
            if c.not_run > 0 {
                format!("{line}, {} not run", c.not_run)
            } else {
                line
            }
        }
        _ => return None,
    })
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Writes a plain line per notable event.
#[derive(Debug)]
pub struct LineReporter<W: Write> {
    out: W,
    style: Style,
}

impl<W: Write> LineReporter<W> {
    pub fn new(out: W, style: Style) -> Self {
        LineReporter { out, style }
    }
}

impl<W: Write> Reporter for LineReporter<W> {
    fn event(&mut self, event: &Event<'_>) {
        if let Some(line) = line_for(event, self.style) {
            let _ = writeln!(self.out, "{line}");
        }
    }
}

/// A live bar on a terminal: targets done, tests run, failures so far; notable lines above it.
#[derive(Debug)]
pub struct ProgressReporter {
    bar: ProgressBar,
    style: Style,
    tests: usize,
    failures: usize,
    building: Option<String>,
    /// Tests reported slow and still running: (target, executable, test), and when they
    /// started.
    slow: Vec<((String, String, String), Instant)>,
}

impl ProgressReporter {
    pub fn new(style: Style) -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:24} {pos}/{len} targets  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        ProgressReporter {
            bar,
            style,
            tests: 0,
            failures: 0,
            building: None,
            slow: Vec::new(),
        }
    }

    fn refresh(&self) {
        let building = self
            .building
            .as_deref()
            .map(|t| format!("  building {t}"))
            .unwrap_or_default();
        let slowest = self
            .slow
            .iter()
            .min_by_key(|(_, start)| *start)
            .map(|((triple, _, test), start)| {
                format!(
                    "  slowest: {test} on {} ({}s)",
                    crate::model::short_name(triple),
                    start.elapsed().as_secs()
                )
            })
            .unwrap_or_default();
        self.bar.set_message(format!(
            "{} tests, {} failing{building}{slowest}",
            self.tests, self.failures
        ));
    }
}

impl Reporter for ProgressReporter {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::Started { targets } => self.bar.set_length(*targets as u64),
            Event::BuildStarted { triple, .. } => self.building = Some(triple.to_string()),
            Event::BuildFinished { .. } => self.building = None,
            Event::TestFinished {
                triple,
                binary,
                result,
            } => {
                self.tests += 1;
                self.failures += usize::from(result.outcome.is_failure());
                self.slow.retain(|((t, b, n), _)| {
                    (t.as_str(), b.as_str(), n.as_str()) != (*triple, *binary, &*result.name)
                });
            }
            Event::TestSlow {
                triple,
                binary,
                test,
                elapsed,
            } => {
                let key = (triple.to_string(), binary.to_string(), test.to_string());
                if !self.slow.iter().any(|(k, _)| *k == key) {
                    let start = Instant::now()
                        .checked_sub(*elapsed)
                        .unwrap_or_else(Instant::now);
                    self.slow.push((key, start));
                }
            }
            Event::TargetFinished { .. } | Event::TargetUnavailable { .. } => self.bar.inc(1),
            Event::Saved | Event::CheckingProbes { .. } => {}
        }
        if let Some(line) = line_for(event, self.style) {
            self.bar.println(line);
        }
        self.refresh();
    }
}

impl Drop for ProgressReporter {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
