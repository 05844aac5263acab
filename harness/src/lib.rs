//! bele: build a crate's tests for many Linux targets, run them under QEMU user mode, and
//! report per target what passed, what failed, and why it matters.
//!
//! The folders are the pipeline's stages, and dependencies go one way (a test checks it):
//! `cli` turns the command line into a `plan`; `run` carries it out with `host` (what this
//! machine has), `build` (cargo) and `execute` (one test executable through `bele-qemu`),
//! into the `model` (the results schema); `analyze` derives verdicts and findings from the
//! model, and `report` renders them. `util` sits below everything.

pub mod cli;

pub(crate) mod analyze;
pub(crate) mod build;
pub(crate) mod execute;
pub(crate) mod host;
pub(crate) mod kernel;
pub(crate) mod model;
pub(crate) mod plan;
pub(crate) mod report;
pub(crate) mod run;
pub(crate) mod util;

/// Results built by hand for the unit tests of every stage; above them all, so the model
/// imports nothing of the stages that fill it.
#[cfg(test)]
pub(crate) mod testdata;

/// What the integration tests and fuzz targets use of the library: parsers, the results
/// model and its renderers. Not an API.
#[doc(hidden)]
pub mod testing {
    pub use crate::analyze::diff::diff;
    pub use crate::analyze::findings::Findings;
    pub use crate::analyze::triage::tests_across;
    pub use crate::analyze::verdict::Verdict;
    pub use crate::build::{parse_messages, Builder};
    pub use crate::execute::invocation::repro_line;
    pub use crate::execute::libtest;
    pub use crate::execute::probe_file;
    pub use crate::model::{
        parse_hex, CheckKind, Outcome, ProbeKind, RunResults, RunState, RunnerName, StdUsed,
        TargetResult, TargetStatus, TestResult, SCHEMA_VERSION,
    };
    pub use crate::plan::workspace::Workspace;
    pub use crate::report::{render, save_json, write_summary, Format, Style};
}
