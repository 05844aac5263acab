//! The interface between the runner and the reporters: what happens during a run, in the
//! order it happens (nextest's reporter/events.rs).

use std::time::Duration;

use crate::model::{TargetResult, TestResult};

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
        /// Test executables built (none for a kernel: its suites are known once it boots).
        binaries: Option<usize>,
        /// Of `binaries`, the packages whose doc-tests run.
        doc_tests: usize,
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
    Saved,
}

/// Consumes events; the terminal and CI reporters implement it.
pub trait Reporter {
    fn event(&mut self, event: &Event<'_>);
}
