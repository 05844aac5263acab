//! The results model: what a run found, per target, per test executable, per test.
//!
//! Serialized as JSON this is an interface to other tools (reports, `bele merge`, CI):
//! any change to its shape moves [`SCHEMA_VERSION`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bele_targets::{Arch, Endian, PointerWidth, Signedness, Target, Traits};
use serde::{Deserialize, Serialize};

use crate::plan::selection::{Filter, Kinds};

pub(crate) mod layout;
pub(crate) mod probe;

pub use layout::{Field, Layouts, Shape, TypeLayout};
pub use probe::*;

/// Version of the results file format. Bump on any change of shape or meaning.
pub const SCHEMA_VERSION: u32 = 15;

/// One run of `bele test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    pub schema_version: u32,
    pub run_id: String,
    /// Milliseconds since the Unix epoch when the run started.
    pub started_at_ms: u64,
    pub duration_ms: u64,
    /// `complete`, or `in-progress` / `interrupted` for a file written before the end.
    pub state: RunState,
    pub host: Host,
    pub toolchain: Toolchain,
    pub workspace: WorkspaceInfo,
    pub config: RunConfigInfo,
    pub targets: Vec<TargetResult>,
    /// Every distinct sequence of probe records, by its digest (the `digest` of a
    /// `ProbeTrace`): stored once however many targets recorded it.
    #[serde(default)]
    pub probe_sequences: BTreeMap<String, ProbeSequence>,
    /// Tests whose probe records differed between targets, run again to check that the
    /// difference is real: same records on a second run, same proptest inputs across widths.
    #[serde(default)]
    pub probe_checks: Vec<ProbeCheck>,
    /// Failures on one target (or on a set no trait explains; every failure under
    /// `--retries`) run again: first as they ran, then where only the emulator changes,
    /// then under another CPU model, to tell flaky tests and the emulator's faults from
    /// the code's. The evidence behind the flaky and emulator-dependent verdicts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emulator_checks: Vec<EmulatorCheck>,
    /// Failures on targets where a crate they link is known to be faulty, run again with
    /// that crate replaced: the evidence behind the dependency-fault verdict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependency_controls: Vec<DependencyControl>,
}

/// A known fault of the target table that matched a crate a target's test executables
/// link: the crate, the version linked, and the version a control puts in its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedFault {
    #[serde(rename = "crate")]
    pub krate: String,
    pub version: String,
    /// What goes wrong, as the table says.
    pub what: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub see: Option<String>,
    /// The version of the crate the table names as right here, which the causal control
    /// puts in its place; none: no control can be run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// The test executables (ids) on this target whose code holds the crate's (its
    /// symbols), when a failure made bele look; `None`: not looked at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_into: Option<Vec<String>>,
}

impl MatchedFault {
    /// `memchr 2.8.3`.
    pub fn name(&self) -> String {
        format!("{} {}", self.krate, self.version)
    }

    /// As users read it: `memchr 2.8.3: what goes wrong (see ...)`.
    pub fn line(&self) -> String {
        let see = (self.see.as_ref())
            .map(|s| format!(" (see {s})"))
            .unwrap_or_default();
        format!("{}: {}{see}", self.name(), self.what)
    }
}

/// The causal control of a suspected dependency fault: on `target`, the failing tests run
/// again with the faulty crate replaced by the version the table names as right there (in
/// a copy of the lockfile; the workspace's own is untouched), everything else the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyControl {
    pub target: String,
    /// The crate replaced, as linked: `crc32fast 1.5.5`.
    pub fault: String,
    /// The version put in its place.
    pub control: String,
    /// Why the control could not run (cargo could not resolve that version, or the build
    /// failed): the failures stand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The tests run against it, with their outcome there.
    pub tests: Vec<ControlledTest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlledTest {
    pub binary: String,
    pub test: String,
    pub outcome: Outcome,
}

/// A failing test run again, alone, on the target it failed on: under the run's own
/// configuration (`rerun`), or with the QEMU variables `env` sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmulatorCheck {
    pub binary: String,
    pub test: String,
    pub target: String,
    /// What changed from the run's configuration.
    pub kind: CheckKind,
    pub env: Vec<(String, String)>,
    /// The version of the QEMU it ran under, when that is not the run's own (`second-qemu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qemu: Option<String>,
    /// Its outcome there (`crashed` too when the process died before giving one).
    pub outcome: Outcome,
}

/// What a re-run of a failing test changes, and so what its outcome can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// Nothing: the same executable, emulator and CPU. Passing here shows a flaky test.
    Rerun,
    /// Only how the emulator translates: the same CPU model, one guest instruction per
    /// translation block. Passing here, after failing every re-run, shows the emulator.
    OneInsnPerBlock,
    /// Another QEMU (`qemu_sid`: Debian unstable's), with its default CPU model (a kernel:
    /// with the row's machine and CPU). Passing here, after failing every re-run, shows
    /// the emulator.
    SecondQemu,
    /// The emulated CPU model: code that dispatches on CPU features takes another path,
    /// so passing here is a fact about the code's paths, never an excuse.
    CpuModel,
}

impl EmulatorCheck {
    /// The configuration as a label reads it: `QEMU_CPU=max,vxeh=off`, `QEMU 11.1.3`; `as
    /// it ran` for a plain re-run.
    pub fn config(&self) -> String {
        let mut parts: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Some(q) = &self.qemu {
            parts.insert(0, format!("QEMU {q}"));
        }
        if parts.is_empty() {
            return "as it ran".into();
        }
        parts.join(" ")
    }
}

/// What a `bele kernel` run built: the tree, its version, the user's configuration (by
/// default none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelInfo {
    pub tree: PathBuf,
    pub version: String,
    pub kunitconfigs: Vec<PathBuf>,
    pub filter_globs: Vec<String>,
    /// `--kernel-args`: the user's kernel command-line arguments.
    #[serde(default)]
    pub kernel_args: Vec<String>,
    /// `--qemu-args`: the user's qemu-system arguments.
    #[serde(default)]
    pub qemu_args: Vec<String>,
    /// `--make-options`: the user's make variables and flags.
    #[serde(default)]
    pub make_options: Vec<String>,
    /// `--kconfig-add`: Kconfig lines added after the kunitconfigs.
    #[serde(default)]
    pub kconfig_add: Vec<String>,
    /// `--suites`: the named sets of C KUnit suites added, before the kunitconfigs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suites: Vec<String>,
    /// `--kasan`: the kernels were built with KASAN (and clang).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kasan: bool,
    /// `--qemu`: the kernels were booted under another qemu-system, `sid` (Debian
    /// unstable's) or a directory of `qemu-system-<arch>` executables; the targets'
    /// `qemu_version` says which version ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qemu: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    InProgress,
    Interrupted,
    Complete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    /// The machine's host name (`localhost` when it cannot be read).
    pub name: String,
    pub triple: String,
    pub cpus: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Toolchain {
    /// `rustc -V`.
    pub rustc: String,
    /// `cargo -V`.
    pub cargo: String,
    pub sysroot: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceInfo {
    pub manifest_path: PathBuf,
    /// `git rev-parse HEAD` in the workspace (`-dirty` appended when the tree has changes),
    /// or null outside git. `bele merge` refuses results of different commits.
    pub commit: Option<String>,
    pub packages: Vec<String>,
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunConfigInfo {
    /// The proptest seed every target ran with (`PROPTEST_RNG_SEED`), so the same inputs
    /// are generated everywhere and a failure replays.
    pub seed: u64,
    pub timeout_secs: u64,
    pub jobs: usize,
    pub test_threads: usize,
    /// Whether tests' `bele_probe` records were kept and compared.
    pub probes: bool,
    /// Which test targets were built (`--lib`, `--doc`, ...; all false is cargo's default).
    pub kinds: Kinds,
    /// The cargo profile (`--profile`, `--release`); null is cargo's default.
    pub profile: Option<String>,
    /// The test-name filters every test harness was given.
    pub filter: Filter,
    /// For `bele kernel`: the tree and configuration the kernels were built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelInfo>,
    /// `--strict`: an emulator-dependent failure fails the run too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// `--retries N`: a failing test is run again up to N times (at least twice when it is
    /// checked at all), and one that then passes is accepted as flaky instead of failing
    /// the run. 0: a flaky test fails the run.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub retries: u32,
}

/// Everything about one target in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetResult {
    pub triple: String,
    pub arch: Arch,
    pub endian: Endian,
    pub pointer_width: PointerWidth,
    /// The traits verdicts are explained with, from the target table.
    pub u64_align: u8,
    pub c_char: Signedness,
    pub strict_align: bool,
    pub atomic64: bool,
    /// `native`, or the QEMU binary.
    pub runner: RunnerName,
    /// What precedes a test executable on its command line: `[qemu-s390x, -L, /usr/s390x-linux-gnu]`,
    /// or nothing for native runs.
    pub runner_prefix: Vec<String>,
    pub qemu_version: Option<String>,
    /// How std was obtained, or null when unavailable.
    pub std: Option<StdUsed>,
    pub status: TargetStatus,
    /// Why the target is unavailable, failed to build, or was not run.
    pub reason: Option<String>,
    pub build: Option<BuildInfo>,
    /// Wall time from its first test executable's start to its last one's end.
    pub run_ms: Option<u64>,
    pub binaries: Vec<BinaryResult>,
    /// Faults known on this target (the table's `known_faults`) of crates its test
    /// executables link. A suspicion beside a failure here; an excuse only when a control
    /// (`RunResults::dependency_controls`) shows the crate caused it.
    pub known_faults: Vec<MatchedFault>,
    /// The `#[repr(..)]` types of the selected packages as rustc laid them out here; null
    /// when not recorded (`--no-layouts`, doc-tests only, no build).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layouts: Option<Layouts>,
    /// For a kernel: the file its boot's whole console was written to (`bele kernel
    /// --raw-output` prints it; `bele kernel parse` reads one back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console: Option<PathBuf>,
}

/// What runs a target's test executables, as the results file names it: `native`, or the
/// emulator's binary (`qemu-s390x`, `qemu-system-s390x`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum RunnerName {
    Native,
    Emulator(String),
}

impl RunnerName {
    pub fn as_str(&self) -> &str {
        match self {
            RunnerName::Native => "native",
            RunnerName::Emulator(binary) => binary,
        }
    }
}

impl From<String> for RunnerName {
    fn from(s: String) -> RunnerName {
        if s == "native" {
            RunnerName::Native
        } else {
            RunnerName::Emulator(s)
        }
    }
}

impl From<RunnerName> for String {
    fn from(r: RunnerName) -> String {
        r.as_str().to_string()
    }
}

impl std::fmt::Display for RunnerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a crashed test's process ended, as the results file writes it: a signal by name
/// (`SIGBUS`), `exit code N`, `kernel crash` (a kernel test whose kernel oopsed or
/// panicked), or what else was said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Ended {
    Signal(String),
    ExitCode(i32),
    KernelCrash,
    Other(String),
}

impl Ended {
    /// Whether the process died of signal `name` (`SIGBUS`).
    pub fn is_signal(&self, name: &str) -> bool {
        matches!(self, Ended::Signal(s) if s == name)
    }
}

impl From<String> for Ended {
    fn from(s: String) -> Ended {
        if s == "kernel crash" {
            return Ended::KernelCrash;
        }
        if let Some(code) = s.strip_prefix("exit code ").and_then(|c| c.parse().ok()) {
            return Ended::ExitCode(code);
        }
        if s.starts_with("SIG") && s[3..].chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ended::Signal(s);
        }
        Ended::Other(s)
    }
}

impl From<Ended> for String {
    fn from(e: Ended) -> String {
        e.to_string()
    }
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ended::Signal(name) | Ended::Other(name) => f.write_str(name),
            Ended::ExitCode(code) => write!(f, "exit code {code}"),
            Ended::KernelCrash => f.write_str("kernel crash"),
        }
    }
}

/// How a target's std was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StdUsed {
    /// rustup's prebuilt `rust-std`.
    Prebuilt,
    /// `-Zbuild-std`, compiled in the target dir.
    BuildStd,
    /// bele's std cache.
    StdCache,
    /// The kernel's own `core` and `kernel` crates (`bele kernel`).
    Kernel,
}

impl StdUsed {
    pub fn label(self) -> &'static str {
        match self {
            StdUsed::Prebuilt => "prebuilt",
            StdUsed::BuildStd => "build-std",
            StdUsed::StdCache => "std-cache",
            StdUsed::Kernel => "kernel",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetStatus {
    /// Waiting to be built or run.
    Pending,
    /// Built and every test executable was run (tests may still have failed).
    Ran,
    /// The toolchain, linker, sysroot or QEMU for it is missing.
    Unavailable,
    BuildFailed,
    /// The run was interrupted before this target finished.
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// The crate's build: cargo's time, without std built into bele's cache.
    pub duration_ms: u64,
    /// Time spent building std into bele's std cache in this run (null: not built now).
    pub std_ms: Option<u64>,
    /// Why bele's std cache could not be used (std was then built in the target dir).
    pub std_note: Option<String>,
    /// Units cargo compiled, from its messages (0: everything was fresh).
    pub compiled: u64,
    pub success: bool,
    /// The last lines of compiler output when the build failed.
    pub log_tail: Option<String>,
    /// The cargo command, for reproducing the build by hand.
    pub command: String,
    /// The crates whose compilation (or build script) failed, as cargo named them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_crates: Vec<FailedCrate>,
    /// For a kernel: test options the tree does not offer on this target (it gates them on
    /// an architecture), left out of its configuration, each with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<String>,
}

/// A crate cargo could not compile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedCrate {
    pub name: String,
    /// From cargo's `Compiling <name> v<version>` line, when the log kept it.
    pub version: Option<String>,
    /// Not a member of the workspace: someone else's code (a registry, git or path
    /// dependency).
    pub dependency: bool,
}

impl FailedCrate {
    /// `rustix 1.1.6`, or the name alone.
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{} {v}", self.name),
            None => self.name.clone(),
        }
    }
}

impl BuildInfo {
    /// The crates that failed, when every one of them is a dependency (not the workspace's
    /// code); `None` when the workspace's own crates failed or nothing was named.
    pub fn failed_dependencies(&self) -> Option<Vec<String>> {
        let all = !self.failed_crates.is_empty() && self.failed_crates.iter().all(|c| c.dependency);
        all.then(|| self.failed_crates.iter().map(FailedCrate::label).collect())
    }
}

/// One test executable (a lib's unit tests, an integration test, a bin's tests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryResult {
    /// `package::kind/name`, or `package` for the library's unit tests.
    pub id: String,
    pub executable: PathBuf,
    /// The working directory tests run in (the package's directory).
    pub cwd: PathBuf,
    /// Why the executable's tests could not be listed, if they could not.
    pub error: Option<String>,
    /// For doc-tests (`executable` is then `cargo`): the command that compiles and runs them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<DocCommand>,
    /// When its first process started, from the run's start.
    pub started_ms: u64,
    /// Wall time of all its processes (for doc-tests, cargo compiling them included).
    pub duration_ms: u64,
    pub tests: Vec<TestResult>,
    /// What its probe files lost (the writer's cap reached, a file that could not be read,
    /// lines that are not records): its tests' records here are not compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probe_problems: Vec<String>,
    /// Records made on threads without a test's name (threads a test spawned): kept by no
    /// test, so never compared.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unattributed_records: u64,
}

impl BinaryResult {
    /// What a reader of its probe records should know: the problems, then the records no
    /// test owns.
    pub fn probe_notes(&self) -> Vec<String> {
        let mut notes = self.probe_problems.clone();
        if self.unattributed_records > 0 {
            let n = self.unattributed_records;
            let (records, were) = if n == 1 {
                ("record", "was")
            } else {
                ("records", "were")
            };
            notes.push(format!(
                "{n} probe {records} made on threads without a test's name (a thread the test \
                 spawned) {were} not compared: record on the test's own thread"
            ));
        }
        notes
    }
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

/// The cargo command that runs a package's doc-tests on one target: `cargo <args> --
/// <harness arguments>` with `env` added (the target's linker, runner and std flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocCommand {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub name: String,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// Output of a test that did not pass (captured stdout/stderr, QEMU's messages).
    pub output: Option<String>,
    /// For `crashed`: the signal (`SIGBUS`) or `exit code N`.
    pub signal: Option<Ended>,
    /// For a failed property: proptest's minimal failing input after shrinking.
    pub minimal_input: Option<String>,
    /// What the test recorded with `bele_probe`, per label in the order first recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<ProbeTrace>,
    /// Where the test is, `file:line` (a kernel doc-test's example), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// What identifies the test across commits when its name does not: a kernel doc-test's
    /// file and the digest of its example (`rust/kernel/transmute.rs#3f2a…`); `bele diff`
    /// pairs tests by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl TestResult {
    /// A result with nothing but its name, outcome and time.
    pub fn new(name: impl Into<String>, outcome: Outcome, duration_ms: u64) -> TestResult {
        TestResult {
            name: name.into(),
            outcome,
            duration_ms,
            output: None,
            signal: None,
            minimal_input: None,
            probes: Vec::new(),
            location: None,
            key: None,
        }
    }

    /// How its process ended, as text (`SIGBUS`, `exit code 3`), when it crashed.
    pub fn signal_text(&self) -> Option<String> {
        self.signal.as_ref().map(ToString::to_string)
    }

    /// A test that never ran to an outcome, and why.
    pub fn not_run(name: impl Into<String>, why: impl Into<String>) -> TestResult {
        TestResult::new(name, Outcome::NotRun, 0).with_output(why)
    }

    /// A test killed after `duration_ms` for outliving the timeout.
    pub fn timed_out(
        name: impl Into<String>,
        duration_ms: u64,
        output: impl Into<String>,
    ) -> TestResult {
        TestResult::new(name, Outcome::TimedOut, duration_ms).with_output(output)
    }

    pub fn with_output(self, output: impl Into<String>) -> TestResult {
        TestResult {
            output: Some(output.into()),
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    Failed,
    Crashed,
    TimedOut,
    Ignored,
    /// Listed, but never reported (the run was interrupted, or the process gave up).
    NotRun,
}

impl Outcome {
    /// Counts as a failure for verdicts and the exit code.
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::Crashed | Outcome::TimedOut)
    }

    /// The test ran to a verdict of its own on this target.
    pub fn ran(self) -> bool {
        matches!(
            self,
            Outcome::Passed | Outcome::Failed | Outcome::Crashed | Outcome::TimedOut
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Crashed => "crashed",
            Outcome::TimedOut => "timed out",
            Outcome::Ignored => "ignored",
            Outcome::NotRun => "not run",
        }
    }
}

/// Counts of outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub crashed: usize,
    pub timed_out: usize,
    pub ignored: usize,
    pub not_run: usize,
}

impl Counts {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Crashed => self.crashed += 1,
            Outcome::TimedOut => self.timed_out += 1,
            Outcome::Ignored => self.ignored += 1,
            Outcome::NotRun => self.not_run += 1,
        }
    }

    pub fn failures(&self) -> usize {
        self.failed + self.crashed + self.timed_out
    }

    pub fn total(&self) -> usize {
        self.passed + self.failures() + self.ignored + self.not_run
    }
}

impl TargetResult {
    /// A target's entry before anything is known beyond the table.
    pub fn new(target: &Target, runner: RunnerName, runner_prefix: Vec<String>) -> TargetResult {
        TargetResult {
            triple: target.triple.clone(),
            arch: target.arch,
            endian: target.endian,
            pointer_width: target.pointer_width,
            u64_align: target.u64_align,
            c_char: target.c_char,
            strict_align: target.strict_align,
            atomic64: target.atomic64,
            runner,
            runner_prefix,
            qemu_version: None,
            std: None,
            status: TargetStatus::Pending,
            reason: None,
            build: None,
            run_ms: None,
            binaries: Vec::new(),
            known_faults: Vec::new(),
            layouts: None,
            console: None,
        }
    }

    /// The traits verdicts are explained with.
    pub fn traits(&self) -> Traits {
        Traits {
            endian: self.endian,
            pointer_width: self.pointer_width,
            arch: self.arch,
            u64_align: self.u64_align,
            c_char: self.c_char,
            strict_align: self.strict_align,
            atomic64: self.atomic64,
        }
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for t in self.binaries.iter().flat_map(|b| &b.tests) {
            c.add(t.outcome);
        }
        c
    }

    /// The CPU part of the triple (`mips64`), a short unique column label.
    pub fn short_name(&self) -> &str {
        short_name(&self.triple)
    }
}

impl RunResults {
    /// Marks what never finished as interrupted, and sets the run's state and duration.
    pub fn finish(&mut self, interrupted: bool, duration: std::time::Duration) {
        for t in &mut self.targets {
            if t.status == TargetStatus::Pending {
                t.status = TargetStatus::Interrupted;
                t.reason = Some("the run was interrupted before this target finished".into());
            }
        }
        self.state = if interrupted {
            RunState::Interrupted
        } else {
            RunState::Complete
        };
        self.duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    }

    /// Reads a results file, refusing other schema versions with a clear message.
    pub fn load(path: &Path) -> Result<RunResults, ResultsError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ResultsError::Io {
            file: file.clone(),
            source,
        })?;
        RunResults::parse(&text, file)
    }

    /// Reads the text of a results file; `file` names it in errors.
    pub fn parse(text: &str, file: String) -> Result<RunResults, ResultsError> {
        // The version first, alone: a file of another version is refused by its number, not
        // by the first field that moved. (Read as a struct, not a `Value`: a results file of
        // 10,000 tests on 16 targets would take several times its size in memory as one.)
        #[derive(Deserialize)]
        struct Version {
            schema_version: Option<serde_json::Value>,
        }
        let version: Version = serde_json::from_str(text).map_err(|e| ResultsError::Format {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let found = version
            .schema_version
            .as_ref()
            .and_then(serde_json::Value::as_u64);
        if found != Some(u64::from(SCHEMA_VERSION)) {
            return Err(ResultsError::Format {
                file,
                message: format!(
                    "schema_version is {}, this bele reads {SCHEMA_VERSION} (re-run the tests with this bele)",
                    found.map_or("missing".to_string(), |v| v.to_string())
                ),
            });
        }
        serde_json::from_str(text).map_err(|e| ResultsError::Format {
            file,
            message: e.to_string(),
        })
    }
}

/// proptest's RNG in every run bele makes, and in every replay line: XorShift draws the
/// same numbers on every target. ChaCha, proptest's default, does not: the chacha20
/// crate's NEON code (rand 0.10) reverses the bytes of each word on aarch64_be.
pub const PROPTEST_RNG: &str = "xs";

/// The variables that make proptest draw the run's inputs: its seed and its RNG.
pub fn proptest_env(seed: u64) -> Vec<(String, String)> {
    vec![
        ("PROPTEST_RNG_SEED".into(), seed.to_string()),
        ("PROPTEST_RNG_ALGORITHM".into(), PROPTEST_RNG.into()),
    ]
}

/// The CPU part of a triple (`mips64`), a short unique label for a target.
pub fn short_name(triple: &str) -> &str {
    triple.split('-').next().unwrap_or(triple)
}

/// Joins the results of several runs of the same commit on disjoint targets (CI shards)
/// into one run, targets in the order of `order` (the table's), then any others.
pub fn merge(parts: Vec<(String, RunResults)>, order: &[&str]) -> Result<RunResults, MergeError> {
    let mut parts = parts.into_iter();
    let (first_name, mut merged) = parts.next().ok_or(MergeError::Nothing)?;
    let mut seen: Vec<(String, String)> = merged
        .targets
        .iter()
        .map(|t| (t.triple.clone(), first_name.clone()))
        .collect();
    for (name, part) in parts {
        if part.workspace.commit != merged.workspace.commit {
            return Err(MergeError::Commit {
                a: first_name.clone(),
                a_commit: merged
                    .workspace
                    .commit
                    .clone()
                    .unwrap_or_else(|| "none".into()),
                b: name,
                b_commit: part
                    .workspace
                    .commit
                    .clone()
                    .unwrap_or_else(|| "none".into()),
            });
        }
        if part.config.seed != merged.config.seed {
            return Err(MergeError::Seed {
                a: first_name.clone(),
                b: name,
            });
        }
        if part.config.probes != merged.config.probes {
            return Err(MergeError::Probes {
                a: first_name.clone(),
                b: name,
            });
        }
        let selection = |r: &RunResults| {
            (
                r.workspace.packages.clone(),
                r.workspace.features.clone(),
                r.workspace.all_features,
                r.workspace.no_default_features,
                r.config.kinds.clone(),
                r.config.profile.clone(),
                r.config.filter.clone(),
            )
        };
        if selection(&part) != selection(&merged) {
            return Err(MergeError::Selection {
                a: first_name.clone(),
                b: name,
            });
        }
        for t in part.targets {
            if let Some((_, other)) = seen.iter().find(|(triple, _)| *triple == t.triple) {
                return Err(MergeError::Duplicate {
                    triple: t.triple,
                    a: other.clone(),
                    b: name,
                });
            }
            seen.push((t.triple.clone(), name.clone()));
            merged.targets.push(t);
        }
        merged.probe_sequences.extend(part.probe_sequences);
        merged.probe_checks.extend(part.probe_checks);
        merged.emulator_checks.extend(part.emulator_checks);
        merged.dependency_controls.extend(part.dependency_controls);
        // A shard run `--strict` keeps the merged run strict: its exit code said so.
        merged.config.strict |= part.config.strict;
        merged.duration_ms = merged.duration_ms.max(part.duration_ms);
        merged.started_at_ms = merged.started_at_ms.min(part.started_at_ms);
        if part.state != RunState::Complete {
            merged.state = part.state;
        }
    }
    let rank = |triple: &str| {
        order
            .iter()
            .position(|o| *o == triple)
            .unwrap_or(usize::MAX)
    };
    merged.targets.sort_by_key(|t| rank(&t.triple));
    Ok(merged)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge (name at least one results file)")]
    Nothing,
    #[error("{a} is of commit {a_commit} but {b} is of commit {b_commit}: merge results of one commit only")]
    Commit {
        a: String,
        a_commit: String,
        b: String,
        b_commit: String,
    },
    #[error("{a} and {b} ran with different proptest seeds: run every shard with the same --seed")]
    Seed { a: String, b: String },
    #[error("{a} and {b} differ in whether probes were recorded: run every shard with or every shard without --no-probes")]
    Probes { a: String, b: String },
    #[error("{a} and {b} ran different selections (packages, features, test targets, profile or test-name filters): run every shard with the same `bele test` options but --shard")]
    Selection { a: String, b: String },
    #[error("target {triple} is in both {a} and {b}: shards must not overlap")]
    Duplicate {
        triple: String,
        a: String,
        b: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("cannot write or read results file {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot write {file}: {source} (any previous file there is unchanged; free some space, \
         or give --out a path in a writable directory)"
    )]
    Write {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} is not a bele results file: {message}")]
    Format { file: String, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample;

    fn split() -> (RunResults, RunResults) {
        let whole = sample();
        let mut a = whole.clone();
        let mut b = whole.clone();
        a.targets.truncate(1);
        b.targets.remove(0);
        (a, b)
    }

    /// How a process ended reads back as it was written, typed.
    #[test]
    fn ended_is_the_same_string_typed() {
        for (text, ended) in [
            ("SIGBUS", Ended::Signal("SIGBUS".into())),
            ("exit code 3", Ended::ExitCode(3)),
            ("kernel crash", Ended::KernelCrash),
            (
                "signal 77 (unknown)",
                Ended::Other("signal 77 (unknown)".into()),
            ),
        ] {
            assert_eq!(Ended::from(text.to_string()), ended);
            assert_eq!(ended.to_string(), text);
            let json = serde_json::to_string(&ended).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Ended>(&json).unwrap(), ended);
        }
        assert!(Ended::Signal("SIGBUS".into()).is_signal("SIGBUS"));
        assert!(!Ended::Other("SIGBUS (x)".into()).is_signal("SIGBUS"));
    }

    /// The typed values are written as the strings the schema names.
    #[test]
    fn runner_and_std_are_the_schemas_strings() {
        for (runner, text) in [
            (RunnerName::Native, "\"native\""),
            (RunnerName::Emulator("qemu-s390x".into()), "\"qemu-s390x\""),
        ] {
            assert_eq!(serde_json::to_string(&runner).unwrap(), text);
            assert_eq!(serde_json::from_str::<RunnerName>(text).unwrap(), runner);
        }
        for (std, text) in [
            (StdUsed::Prebuilt, "prebuilt"),
            (StdUsed::BuildStd, "build-std"),
            (StdUsed::StdCache, "std-cache"),
            (StdUsed::Kernel, "kernel"),
        ] {
            assert_eq!(serde_json::to_string(&std).unwrap(), format!("\"{text}\""));
            assert_eq!(std.label(), text);
        }
    }

    #[test]
    fn merging_shards_gives_back_the_whole_run() {
        let (a, b) = split();
        let order = ["x86_64-unknown-linux-gnu", "s390x-unknown-linux-gnu"];
        let merged = merge(vec![("b.json".into(), b), ("a.json".into(), a)], &order).unwrap();
        assert_eq!(merged, sample());
    }

    /// A shard's emulator re-checks, and its `--strict`, survive the merge whichever
    /// shard comes first.
    #[test]
    fn merged_shards_keep_every_emulator_check() {
        let (a, mut b) = split();
        b.emulator_checks = vec![EmulatorCheck {
            binary: "pkg".into(),
            test: "be_bug".into(),
            target: "s390x-unknown-linux-gnu".into(),
            kind: CheckKind::OneInsnPerBlock,
            env: vec![("QEMU_SINGLESTEP".into(), "1".into())],
            qemu: None,
            outcome: Outcome::Passed,
        }];
        b.config.strict = true;
        let merged = merge(
            vec![("a.json".into(), a), ("b.json".into(), b.clone())],
            &[],
        )
        .unwrap();
        assert_eq!(merged.emulator_checks, b.emulator_checks);
        assert!(merged.config.strict, "the stricter shard decides");
    }

    #[test]
    fn merge_refuses_mixed_commits_seeds_selections_and_overlaps() {
        // Shard b changed as `change` says, merged with shard a: the error.
        let refused = |change: &dyn Fn(&mut RunResults)| {
            let (a, mut b) = split();
            change(&mut b);
            merge(vec![("a.json".into(), a), ("b.json".into(), b)], &[]).unwrap_err()
        };
        let err = refused(&|b| b.workspace.commit = Some("def456".into()));
        assert_eq!(err.to_string(), "a.json is of commit abc123 but b.json is of commit def456: merge results of one commit only");
        let err = refused(&|b| b.config.seed = 7).to_string();
        assert!(
            err.contains("run every shard with the same --seed"),
            "{err}"
        );
        let err = refused(&|b| b.config.filter.names = vec!["mmio::".into()]).to_string();
        assert!(
            err.starts_with("a.json and b.json ran different selections"),
            "{err}"
        );
        let err = refused(&|b| b.config.profile = Some("release".into()));
        assert!(matches!(err, MergeError::Selection { .. }), "{err}");
        let (a, _) = split();
        let err = merge(
            vec![("a.json".into(), a.clone()), ("c.json".into(), a)],
            &[],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "target x86_64-unknown-linux-gnu is in both a.json and c.json: shards must not overlap"
        );
    }

    fn validate(doc: &serde_json::Value) -> Result<(), String> {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schema/results.schema.json")).unwrap();
        let v = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
        v.validate(doc).map_err(|e| e.to_string())
    }

    #[test]
    fn the_schema_file_describes_what_is_written() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schema/results.schema.json")).unwrap();
        assert_eq!(
            schema["properties"]["schema_version"]["const"], SCHEMA_VERSION,
            "move the schema file with SCHEMA_VERSION"
        );
        let mut doc = written(&sample());
        validate(&doc).unwrap();
        doc["targets"][0]["binaries"][0]["tests"][0]["outcome"] = "exploded".into();
        assert!(validate(&doc).is_err());
        let mut doc = written(&sample());
        doc["surprise"] = 1.into();
        assert!(validate(&doc).is_err(), "unknown fields are refused");
    }

    fn written(r: &RunResults) -> serde_json::Value {
        let mut out = Vec::new();
        crate::report::write_json(&mut out, r).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn results_round_trip_through_the_file() {
        let r = sample();
        let path = std::env::temp_dir().join(format!("bele-roundtrip-{}.json", std::process::id()));
        crate::report::save_json(&r, &path).unwrap();
        let back = RunResults::load(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            back.unwrap(),
            r,
            "the derived triage list is ignored on load"
        );
    }

    #[test]
    fn files_of_another_schema_version_are_refused_with_the_fix() {
        let path = std::env::temp_dir().join(format!("bele-old-{}.json", std::process::id()));
        let mut doc = written(&sample());
        doc["schema_version"] = 2.into();
        std::fs::write(&path, doc.to_string()).unwrap();
        let err = RunResults::load(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            err,
            format!(
                "{} is not a bele results file: schema_version is 2, this bele reads {SCHEMA_VERSION} (re-run the tests with this bele)",
                path.display()
            )
        );
    }

    #[test]
    fn the_file_carries_the_verdicts_with_inputs_and_replays() {
        let doc = written(&sample());
        let triage = doc["triage"].as_array().unwrap();
        let tests: Vec<&str> = triage.iter().map(|t| t["test"].as_str().unwrap()).collect();
        assert_eq!(
            tests,
            ["be_bug", "prop <script>|#", "hw"],
            "byte-order verdicts first, passing tests left out"
        );
        assert_eq!(triage[2]["verdict"], "not-comparable");
        assert_eq!(triage[2]["failures"], serde_json::json!([]));
        let prop = &triage[1];
        assert_eq!(prop["verdict"], "big-endian-only");
        assert_eq!(prop["verdict_label"], "fails on big-endian only");
        let f = &prop["failures"].as_array().unwrap()[..];
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0]["target"], "s390x-unknown-linux-gnu");
        assert_eq!(f[0]["outcome"], "failed");
        assert_eq!(f[0]["minimal_input"], "bytes = [0, 0, 0, 1]");
        assert_eq!(
            f[0]["replay"],
            "cd /src/pkg && PROPTEST_RNG_SEED=42 PROPTEST_RNG_ALGORITHM=xs qemu-x -L /s /t/pkg-1 --exact 'prop <script>|#' --nocapture"
        );
        assert_eq!(triage[0]["failures"][0]["signal"], "SIGBUS");
    }
}
