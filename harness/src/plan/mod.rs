//! The plan: what to build, for which targets, how to run it and where to save it, validated
//! before anything runs. `selection` is what cargo builds and which tests run; `workspace` the
//! cargo workspace they come from.

pub(crate) mod selection;
pub(crate) mod workspace;

use std::path::PathBuf;
use std::time::Duration;

use bele_targets::Target;

use selection::{Filter, Selection};
use workspace::Workspace;

/// How many cargo builds run at once by default: one (cargo uses every CPU). Measured on 2
/// CPUs (`ci/bench/builders.sh`, `ci/bench/speed.sh`): two builders of one job each built
/// 4 prebuilt-std targets cold in 0.89 of the time of one builder of two jobs, four in 1.10;
/// but on all 16 targets two builders made the cold run 0.92 of the careful loop against
/// 0.82 with one (the std cache's builds got less of the CPUs), and the second workspace's
/// 0.52 against 0.50 (with a fixed share of the CPUs, a builder that runs out of targets
/// leaves its share idle). More builders pay where there are CPUs to spare: `--builders`.
pub const DEFAULT_BUILDERS: usize = 1;

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
    /// Whether the selected packages' `#[repr(..)]` types are laid out and compared across
    /// targets (`build::layouts`).
    pub layouts: bool,
    /// Whether build-std targets take std from bele's std cache (building it there once).
    pub std_cache: bool,
    /// How many cargo builds run at once, each in a target dir of its own (`builders`).
    pub builders: usize,
    /// Whether an emulator-dependent failure fails the run.
    pub strict: bool,
    /// `--retries N`: how often a failing test may be run again, a flaky pass accepted.
    pub retries: u32,
    /// `--qemu`: the directory whose `qemu-<arch>` executables run the targets, instead of
    /// those on `PATH`.
    pub qemu: Option<PathBuf>,
    pub run_id: String,
    pub out: PathBuf,
}
