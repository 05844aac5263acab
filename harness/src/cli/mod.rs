//! The command line: clap definitions, turned into a validated plan, then carried out.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bele_targets::{select, Table, Target};
use clap::{Args, Parser, Subcommand, ValueEnum};

mod kernel;

use crate::analyze::findings::{run_verdict, RunVerdict};
use crate::host::doctor;
use crate::host::setup;
use crate::host::toolchain::ToolchainInfo;
use crate::plan::selection::{Filter, Ignored, Kinds, Selection};
use crate::plan::workspace::Workspace;
use crate::plan::Plan;
use crate::report::events::Reporter;
use crate::report::{self, LineReporter, ProgressReporter, Style};
use crate::run;
use crate::util::env::HostEnv;

const EXIT_CODES: &str = "\
Exit codes:
  0  every selected target was built and every test passed
  1  a test failed, crashed or timed out, a target failed to build, or probe records differ
  2  bele could not do its job (bad arguments, bad configuration, no toolchain)
  3  nothing failed, but a selected target was unavailable or tests did not run
130  interrupted (the results gathered so far are saved)";

/// Cross-architecture endianness test harness: builds a crate's tests for big- and
/// little-endian, 32- and 64-bit Linux targets and runs them under QEMU user mode.
#[derive(Debug, Parser)]
#[command(name = "bele", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the tests for each target, run them, and report per target.
    Test(Box<TestArgs>),
    /// Show the target table and what each target misses on this machine.
    Targets(CommonArgs),
    /// Like `targets`, but exit with 3 when a selected target is not ready.
    Doctor(CommonArgs),
    /// Install what the selected targets miss: Debian packages and Rust std.
    Setup(SetupArgs),
    /// Render a saved results file as JSON, JUnit XML, KTAP, Markdown, HTML or GitHub annotations.
    Report(ReportArgs),
    /// Re-run one test on one target, alone, with the seed of the run that saved the results.
    Replay(ReplayArgs),
    /// Join results files of CI shards (same commit, disjoint targets) into one.
    Merge(MergeArgs),
    /// Print a CI job matrix: one job per selected target, with what it must install.
    Matrix {
        #[command(flatten)]
        common: CommonArgs,
        #[arg(long, value_enum, default_value_t = MatrixFormat::Github)]
        format: MatrixFormat,
    },
    /// Compare two results files: regressions, fixes, new and missing tests (exit 1 on a regression).
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[command(flatten)]
        color: ColorArg,
    },
    /// Build a kernel tree's Rust KUnit tests and doc-tests for each kernel target (by
    /// default User Mode Linux, 32-bit arm, big-endian s390x), boot each (under qemu-system,
    /// or UML as a program), and compare them test by test.
    Kernel(Box<kernel::KernelArgs>),
}

/// `--color` for the subcommands whose output has no colour: accepted, so scripts that pass
/// it to every subcommand work.
#[derive(Debug, Args)]
pub struct ColorArg {
    /// When to colour output (this subcommand's output has no colour).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Results files written by `bele test --shard K/N` (or per-job `--targets`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Where to write the merged results.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The target table the shards ran with, when not the builtin one: targets are merged
    /// in its order.
    #[arg(long, value_name = "FILE")]
    pub target_table: Option<PathBuf>,
    #[command(flatten)]
    pub color: ColorArg,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The test's name (as in the report, `module::test`).
    pub test: String,
    /// The target to run it on.
    #[arg(long = "target", value_name = "TRIPLE")]
    pub target: String,
    /// The results file to take the executable and seed from (default: the workspace's
    /// target/bele/results/latest.json).
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    /// Path to the workspace's Cargo.toml, to find the default results file.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    #[command(flatten)]
    pub color: ColorArg,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A results file written by `bele test`.
    pub results: PathBuf,
    #[arg(long, value_enum)]
    pub format: report::Format,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub color: ColorArg,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Targets: triples and selectors, comma-separated: all, be, le, 32, 64, or an arch
    /// family (x86, arm, arm64, mips, riscv, powerpc, s390x, sparc). Selectors of different
    /// kinds narrow each other (`be,32`); of the same kind they add up (`mips,sparc`).
    #[arg(long, value_name = "SPEC")]
    pub targets: Option<String>,
    /// Path to the workspace's Cargo.toml (default: the workspace around the current directory).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// A target table to use instead of the builtin one.
    #[arg(long, value_name = "FILE")]
    pub target_table: Option<PathBuf>,
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Print what would be installed, and install nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Install what `bele kernel` needs for the kernel tree given with --tree instead (a
    /// Rust toolchain the tree accepts, bindgen, libclang, cross compilers, qemu-system).
    #[arg(long, requires = "tree")]
    pub kernel: bool,
    /// The kernel tree, with --kernel.
    #[arg(long, value_name = "PATH")]
    pub tree: Option<PathBuf>,
    /// Kernel targets, with --kernel (default: the kernel table's default rows; `all`: every
    /// row).
    #[arg(long, value_name = "NAMES")]
    pub kernel_targets: Option<String>,
    /// A kernel table to use instead of the builtin one, with --kernel.
    #[arg(long, value_name = "FILE")]
    pub kernel_table: Option<PathBuf>,
    /// With --kernel: also what `bele kernel --kasan` needs (clang for every target).
    #[arg(long, requires = "kernel")]
    pub kasan: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Run only tests whose names contain one of these (as `cargo test TESTNAME`).
    #[arg(value_name = "TESTNAME", help_heading = "Test Selection")]
    pub filters: Vec<String>,
    /// Test names must match whole names, not substrings.
    #[arg(long, help_heading = "Test Selection")]
    pub exact: bool,
    /// Skip tests whose names contain this (repeatable).
    #[arg(long, value_name = "PATTERN", help_heading = "Test Selection")]
    pub skip: Vec<String>,
    /// Run only `#[ignore]`d tests.
    #[arg(
        long,
        help_heading = "Test Selection",
        conflicts_with = "include_ignored"
    )]
    pub ignored: bool,
    /// Run `#[ignore]`d tests too.
    #[arg(long, help_heading = "Test Selection")]
    pub include_ignored: bool,
    /// libtest's arguments, as after `cargo test --`: TESTNAME, --exact, --skip PATTERN,
    /// --ignored, --include-ignored.
    #[arg(last = true, value_name = "ARGS", help_heading = "Test Selection")]
    pub harness_args: Vec<String>,
    /// Package to test (repeatable; default: `[workspace.metadata.bele] packages`, else cargo's default members).
    #[arg(
        short,
        long = "package",
        value_name = "SPEC",
        help_heading = "Package Selection"
    )]
    pub packages: Vec<String>,
    /// Test every member of the workspace.
    #[arg(long, alias = "all", help_heading = "Package Selection")]
    pub workspace: bool,
    /// With --workspace: leave this package out (repeatable).
    #[arg(
        long,
        value_name = "SPEC",
        requires = "workspace",
        help_heading = "Package Selection"
    )]
    pub exclude: Vec<String>,
    /// Test only the libraries' unit tests.
    #[arg(long, help_heading = "Target Selection")]
    pub lib: bool,
    /// Test only the binaries' unit tests.
    #[arg(long, help_heading = "Target Selection")]
    pub bins: bool,
    /// Test only the integration tests (`tests/`).
    #[arg(long, help_heading = "Target Selection")]
    pub tests: bool,
    /// Test only this integration test (repeatable).
    #[arg(long = "test", value_name = "NAME", help_heading = "Target Selection")]
    pub test: Vec<String>,
    /// Test the examples (built with the test harness, as `cargo test --examples`).
    #[arg(long, help_heading = "Target Selection")]
    pub examples: bool,
    /// Test only the libraries' documentation examples.
    #[arg(long, help_heading = "Target Selection", conflicts_with_all = ["lib", "bins", "tests", "test", "examples"])]
    pub doc: bool,
    /// Features to enable, comma- or space-separated (repeatable).
    #[arg(
        short = 'F',
        long,
        value_name = "FEATURES",
        help_heading = "Feature Selection"
    )]
    pub features: Vec<String>,
    /// Enable every feature of the selected packages.
    #[arg(long, help_heading = "Feature Selection")]
    pub all_features: bool,
    /// Do not enable the `default` feature.
    #[arg(long, help_heading = "Feature Selection")]
    pub no_default_features: bool,
    /// Build with the release profile.
    #[arg(
        short,
        long,
        help_heading = "Compilation Options",
        conflicts_with = "profile"
    )]
    pub release: bool,
    /// Build with this cargo profile.
    #[arg(long, value_name = "NAME", help_heading = "Compilation Options")]
    pub profile: Option<String>,
    /// Compile std with `-Zbuild-std` in the workspace's target dir instead of taking it
    /// from bele's std cache (also: BELE_STD_CACHE=0).
    #[arg(long, help_heading = "Compilation Options")]
    pub no_std_cache: bool,
    /// Cargo builds run at once, each in a target dir of its own with its share of the
    /// CPUs (default: 1; also: BELE_BUILDERS).
    #[arg(long, value_name = "N", help_heading = "Compilation Options")]
    pub builders: Option<usize>,
    /// Seconds one test may run before it is killed (QEMU runs 5-40x slower than native).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 300,
        help_heading = "Run Options"
    )]
    pub timeout: u64,
    /// Seconds after which a running test is reported as slow, and again at every multiple.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        help_heading = "Run Options"
    )]
    pub slow: u64,
    /// Run only shard K of N of the selected targets (CI jobs; join with `bele merge`).
    #[arg(long, value_name = "K/N", value_parser = parse_shard, help_heading = "Run Options")]
    pub shard: Option<(usize, usize)>,
    /// Test executables run at once (default: the number of CPUs).
    #[arg(short, long, value_name = "N", help_heading = "Run Options")]
    pub jobs: Option<usize>,
    /// `--test-threads` given to each test executable.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        help_heading = "Run Options"
    )]
    pub test_threads: usize,
    /// Proptest seed used on every target (default: a fresh one, recorded in the results).
    #[arg(long, value_name = "N", help_heading = "Run Options")]
    pub seed: Option<u64>,
    /// Do not keep or compare what tests record with `bele_probe` (also: BELE_NO_PROBES=1).
    #[arg(long, help_heading = "Run Options")]
    pub no_probes: bool,
    /// Do not record and compare the layouts of `#[repr(..)]` types (also: BELE_NO_LAYOUTS=1).
    #[arg(long, help_heading = "Run Options")]
    pub no_layouts: bool,
    /// Fail the run on emulator-dependent failures too (a failure that fails every re-run
    /// as it ran and passes where only the emulator changed) and on pointer-width
    /// dependent layouts.
    #[arg(long, help_heading = "Run Options")]
    pub strict: bool,
    /// Run a failing test again up to N times (at least twice when it is checked at all)
    /// and accept one that then passes as flaky, shown as such, instead of failing the run.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        help_heading = "Run Options"
    )]
    pub retries: u32,
    /// Run the targets under another QEMU: a directory of `qemu-<arch>` executables, or
    /// `sid` for Debian unstable's (fetched into bele's cache, nothing installed).
    #[arg(long, value_name = "DIR|sid", help_heading = "Run Options")]
    pub qemu: Option<String>,
    /// Also write a report at the end: FORMAT=FILE with FORMAT one of json, junit, ktap,
    /// kunit-json, md, html, github (repeatable).
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report, help_heading = "Output Options")]
    pub report: Vec<(report::Format, PathBuf)>,
    /// Where to write the results JSON (default: `target/bele/results/<run-id>.json` and latest.json).
    #[arg(long, value_name = "FILE", help_heading = "Output Options")]
    pub out: Option<PathBuf>,
}

impl TestArgs {
    /// The test-name filter from the options and the arguments after `--`.
    pub fn filter(&self) -> anyhow::Result<Filter> {
        let mut f = Filter {
            names: self.filters.clone(),
            exact: self.exact,
            skip: self.skip.clone(),
            ignored: match (self.ignored, self.include_ignored) {
                (true, _) => Ignored::Only,
                (false, true) => Ignored::Include,
                (false, false) => Ignored::Skip,
            },
        };
        let mut rest = self.harness_args.iter();
        while let Some(a) = rest.next() {
            match a.as_str() {
                "--exact" => f.exact = true,
                "--ignored" => f.ignored = Ignored::Only,
                "--include-ignored" => f.ignored = Ignored::Include,
                "--skip" => f.skip.push(
                    rest.next()
                        .cloned()
                        .ok_or_else(|| anyhow::anyhow!("`-- --skip` needs a pattern after it"))?,
                ),
                s if s.starts_with("--skip=") => f.skip.push(s["--skip=".len()..].into()),
                s if s.starts_with('-') => anyhow::bail!(
                    "`-- {s}`: bele passes only test names, --exact, --skip, --ignored and \
                     --include-ignored to test harnesses (it runs them itself: threads, output \
                     capture and format are its own)"
                ),
                name => f.names.push(name.into()),
            }
        }
        Ok(f)
    }

    /// The target-selection flags.
    pub fn kinds(&self) -> Kinds {
        Kinds {
            lib: self.lib,
            bins: self.bins,
            tests: self.tests,
            test: self.test.clone(),
            examples: self.examples,
            doc: self.doc,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    /// JSON for `strategy.matrix` (`fromJSON`) in GitHub Actions.
    Github,
    /// YAML for `parallel: matrix:` in GitLab CI.
    Gitlab,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// How a command ended, mapped to an exit code in `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failures,
    Incomplete,
    Interrupted,
}

impl From<RunVerdict> for Outcome {
    fn from(v: RunVerdict) -> Outcome {
        match v {
            RunVerdict::AllPassed => Outcome::Success,
            RunVerdict::Failures => Outcome::Failures,
            RunVerdict::Incomplete => Outcome::Incomplete,
        }
    }
}

/// What a command needs from the process it runs in.
#[derive(Debug)]
pub struct Context<'a> {
    pub env: HostEnv,
    pub cwd: PathBuf,
    pub cancel: &'a AtomicBool,
    pub stdout_is_tty: bool,
    pub stderr_is_tty: bool,
}

impl Context<'_> {
    /// Whether variable `name` is set to something other than empty or `0`.
    fn env_flag(&self, name: &str) -> bool {
        self.env
            .get(name)
            .is_some_and(|v| !v.is_empty() && v != "0")
    }

    /// The style of what goes to stdout.
    fn style(&self, choice: ColorChoice) -> Style {
        self.style_for(choice, self.stdout_is_tty)
    }

    /// The style of what goes to stderr (the progress bar, the line reporter).
    fn stderr_style(&self, choice: ColorChoice) -> Style {
        self.style_for(choice, self.stderr_is_tty)
    }

    /// `--color`, and for `auto` whether the stream is a terminal and `NO_COLOR` is unset.
    fn style_for(&self, choice: ColorChoice, is_tty: bool) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_tty && self.env.get("NO_COLOR").is_none_or(str::is_empty),
        };
        Style { color }
    }
}

/// Runs a parsed command line. Errors are the harness failing (exit code 2).
pub fn run(
    cli: Cli,
    ctx: &Context<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Targets(args) => targets(&args, ctx, out, false),
        Command::Doctor(args) => targets(&args, ctx, out, true),
        Command::Setup(args) if args.kernel => kernel::setup(
            args.tree.as_deref().unwrap_or(Path::new(".")),
            (args.kernel_targets.as_deref(), args.kernel_table.as_deref()),
            (args.kasan, args.dry_run),
            ctx,
            out,
        ),
        Command::Setup(args) => setup_cmd(&args, ctx, out),
        Command::Kernel(args) => kernel::kernel(&args, ctx, out, err),
        Command::Test(args) => test(&args, ctx, out, err),
        Command::Replay(args) => replay(&args, ctx, out),
        Command::Matrix { common, format } => {
            let table = load_table(common.target_table.as_deref(), ctx)?;
            write_matrix(out, &selected(&table, &common, None)?, format)?;
            Ok(Outcome::Success)
        }
        Command::Diff { old, new, .. } => {
            let old = crate::model::RunResults::load(&ctx.cwd.join(old))?;
            let new = crate::model::RunResults::load(&ctx.cwd.join(new))?;
            let regressed = crate::analyze::diff::write_diff(out, &old, &new)?;
            Ok(if regressed {
                Outcome::Failures
            } else {
                Outcome::Success
            })
        }
        Command::Merge(args) => {
            let mut parts = Vec::new();
            for f in &args.files {
                let path = ctx.cwd.join(f);
                parts.push((
                    path.display().to_string(),
                    crate::model::RunResults::load(&path)?,
                ));
            }
            let table = load_table(args.target_table.as_deref(), ctx)?;
            let order: Vec<&str> = table.targets().iter().map(|t| t.triple.as_str()).collect();
            let merged = crate::model::merge(parts, &order)?;
            let path = ctx.cwd.join(&args.out);
            report::save_json(&merged, &path)?;
            writeln!(
                out,
                "merged {} targets from {} files into {}",
                merged.targets.len(),
                args.files.len(),
                path.display()
            )?;
            Ok(run_verdict(&merged).into())
        }
        Command::Report(args) => {
            let results = crate::model::RunResults::load(&ctx.cwd.join(&args.results))?;
            match &args.out {
                Some(p) => write_report(args.format, &results, &ctx.cwd.join(p))?,
                None => report::render(args.format, &results, out)?,
            }
            Ok(Outcome::Success)
        }
    }
}

fn replay(args: &ReplayArgs, ctx: &Context<'_>, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let path = match &args.results {
        Some(p) => ctx.cwd.join(p),
        None => {
            let manifest = args.manifest_path.as_ref().map(|p| ctx.cwd.join(p));
            Workspace::load(manifest.as_deref(), &ctx.cwd, &ctx.env)?
                .bele_dir()
                .join("results/latest.json")
        }
    };
    let results = crate::model::RunResults::load(&path)?;
    let target = results
        .targets
        .iter()
        .find(|t| t.triple == args.target)
        .ok_or_else(|| {
            let triples: Vec<&str> = results.targets.iter().map(|t| t.triple.as_str()).collect();
            anyhow::anyhow!(
                "{} has no target `{}` (it has: {})",
                path.display(),
                args.target,
                triples.join(", ")
            )
        })?;
    let binary = target
        .binaries
        .iter()
        .find(|b| b.tests.iter().any(|r| r.name == args.test))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no test `{}` on {} in {} (names are as in the report, module::test)",
                args.test,
                args.target,
                path.display()
            )
        })?;
    let inv = crate::execute::invocation::replay(
        target,
        binary,
        &args.test,
        &results.config,
        &ctx.env
            .without(&["PROPTEST_RNG_SEED", "PROPTEST_RNG_ALGORITHM"]),
    )
    .ok_or_else(|| {
        anyhow::anyhow!(
            "{}: unknown runner {:?} for {}",
            path.display(),
            target.runner_prefix,
            args.target
        )
    })?;
    writeln!(out, "replaying: {}", inv.shell_line())?;
    let mut process = bele_qemu::Process::spawn(&inv)?;
    loop {
        match process.next_line(Duration::from_millis(200)) {
            bele_qemu::Next::Line(line) => writeln!(out, "{}", line.text)?,
            bele_qemu::Next::Idle => {
                if ctx.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                    process.kill_tree();
                }
            }
            bele_qemu::Next::Closed => break,
        }
    }
    let exit = process.wait();
    writeln!(out, "replay ended with {exit}")?;
    Ok(if exit.success() {
        Outcome::Success
    } else {
        Outcome::Failures
    })
}

/// The CI job matrix: per target its triple, Debian packages and how std is obtained.
pub fn write_matrix(
    out: &mut dyn Write,
    targets: &[&Target],
    format: MatrixFormat,
) -> std::io::Result<()> {
    match format {
        MatrixFormat::Github => {
            let include: Vec<serde_json::Value> = targets
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "target": t.triple,
                        "endian": t.endian.short(),
                        "bits": t.pointer_width.bits(),
                        "packages": t.packages.join(" "),
                        "libc": t.libc.to_string(),
                        "std": t.std.to_string(),
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::json!({ "include": include }))
        }
        MatrixFormat::Gitlab => {
            writeln!(out, "parallel:\n  matrix:")?;
            for t in targets {
                writeln!(out, "    - BELE_TARGET: \"{}\"\n      BELE_PACKAGES: \"{}\"\n      BELE_STD: \"{}\"", t.triple, t.packages.join(" "), t.std)?;
            }
            Ok(())
        }
    }
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("`{s}` is not K/N with 1 <= K <= N (for example 2/4)");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// Shard `k` of `n`: every n-th target starting at the k-th, so each shard mixes cheap and
/// expensive (build-std) targets as the table orders them.
pub fn shard<T>(items: Vec<T>, (k, n): (usize, usize)) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % n == k - 1)
        .map(|(_, t)| t)
        .collect()
}

fn parse_report(s: &str) -> Result<(report::Format, PathBuf), String> {
    let (format, file) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not FORMAT=FILE (for example junit=target/junit.xml)"))?;
    let format = <report::Format as ValueEnum>::from_str(format, true).map_err(|_| {
        format!(
            "unknown report format `{format}` (json, junit, ktap, kunit-json, md, html, github)"
        )
    })?;
    Ok((format, PathBuf::from(file)))
}

/// Writes a report to `path` through a temporary file, so a reader never sees half of one.
fn write_report(
    format: report::Format,
    results: &crate::model::RunResults,
    path: &Path,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    crate::util::atomic::write(path, None, |w| report::render(format, results, w))
        .with_context(|| format!("cannot write report {}", path.display()))
}

fn load_table(target_table: Option<&Path>, ctx: &Context<'_>) -> anyhow::Result<Table> {
    Ok(match target_table {
        Some(p) => Table::load(&ctx.cwd.join(p))?,
        None => Table::builtin(),
    })
}

fn selected<'t>(
    table: &'t Table,
    args: &CommonArgs,
    default: Option<&str>,
) -> anyhow::Result<Vec<&'t Target>> {
    let spec = args.targets.as_deref().or(default).unwrap_or("all");
    select(table, spec).map_err(|e| anyhow::anyhow!("--targets: {e}"))
}

/// The directory whose toolchain applies: the workspace's when one is named or around us.
fn toolchain_dir(args: &CommonArgs, ctx: &Context<'_>) -> PathBuf {
    args.manifest_path
        .as_deref()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| ctx.cwd.clone(), |p| ctx.cwd.join(p))
}

fn targets(
    args: &CommonArgs,
    ctx: &Context<'_>,
    out: &mut dyn Write,
    strict: bool,
) -> anyhow::Result<Outcome> {
    let table = load_table(args.target_table.as_deref(), ctx)?;
    let targets = selected(&table, args, None)?;
    let dir = toolchain_dir(args, ctx);
    let toolchain = ToolchainInfo::detect(&ctx.env, &dir)?;
    let checks = doctor::check(&targets, &toolchain, &ctx.env);
    writeln!(
        out,
        "toolchain: {} (host {}, sysroot {})\n",
        toolchain.rustc,
        toolchain.host,
        toolchain.sysroot.display()
    )?;
    report::write_targets(out, &checks, ctx.style(args.color))?;
    Ok(if strict && checks.iter().any(|c| !c.ready()) {
        Outcome::Incomplete
    } else {
        Outcome::Success
    })
}

fn setup_cmd(args: &SetupArgs, ctx: &Context<'_>, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let table = load_table(args.common.target_table.as_deref(), ctx)?;
    let targets = selected(&table, &args.common, None)?;
    let dir = toolchain_dir(&args.common, ctx);
    let toolchain = ToolchainInfo::detect(&ctx.env, &dir)?;
    let checks = doctor::check(&targets, &toolchain, &ctx.env);
    let steps = setup::plan(&checks);
    let uncached = |checks: &[doctor::TargetCheck<'_>]| -> Vec<String> {
        checks
            .iter()
            .filter(|c| c.std_cache.as_ref().is_some_and(|s| !s.is_ready()))
            .map(|c| c.target.triple.clone())
            .collect()
    };
    if args.dry_run {
        for s in &steps {
            writeln!(out, "would run: {s:?}")?;
        }
        for t in uncached(&checks) {
            writeln!(out, "would build std for {t} into bele's std cache")?;
        }
        return Ok(Outcome::Success);
    }
    let checks = if steps.is_empty() {
        checks
    } else {
        setup::run(&steps, &dir, &ctx.env, out)?;
        // rustup may have changed the sysroot's contents: look again.
        let toolchain = ToolchainInfo::detect(&ctx.env, &dir)?;
        doctor::check(&targets, &toolchain, &ctx.env)
    };
    // std for build-std targets, once per machine, so runs (and CI images) start warm.
    let pending: Vec<(&Target, &crate::host::stdcache::CachedStd)> = (checks.iter())
        .filter(|c| c.ready())
        .filter_map(|c| Some((c.target, c.std_cache.as_ref().filter(|s| !s.is_ready())?)))
        .collect();
    let built = pending.len();
    build_std_caches(&pending, &ctx.env, out)?;
    if steps.is_empty() && built == 0 && checks.iter().all(|c| c.ready()) {
        writeln!(
            out,
            "setup: nothing to install; all {} targets are ready",
            targets.len()
        )?;
        return Ok(Outcome::Success);
    }
    writeln!(out)?;
    report::write_targets(out, &checks, ctx.style(args.common.color))?;
    Ok(if checks.iter().all(|c| c.ready()) {
        Outcome::Success
    } else {
        Outcome::Incomplete
    })
}

/// Builds the std cache entries `pending` names, several at once: one std build keeps 1.2
/// of 2 cores busy (measured: 89 CPU-s in 72 s for mips), since core and std are each one
/// rustc, so two at once on 2 cores take little more than one. Each line says which target
/// it is about, as they finish in any order.
fn build_std_caches(
    pending: &[(&Target, &crate::host::stdcache::CachedStd)],
    env: &crate::util::env::HostEnv,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let at_once = std::thread::available_parallelism()
        .map_or(2, std::num::NonZeroUsize::get)
        .clamp(2, 4)
        .min(pending.len());
    writeln!(
        out,
        "building std for {} target(s) into {}, {at_once} at once",
        pending.len(),
        (pending[0].1.dir.parent()).map_or_else(String::new, |p| p.display().to_string())
    )?;
    out.flush()?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..at_once {
            let (tx, next) = (tx.clone(), &next);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((target, cache)) = pending.get(i) else {
                    break;
                };
                let line = match cache.ensure(target, env) {
                    Ok(took) => format!(
                        "  std for {}: done in {:.1}s",
                        target.triple,
                        took.unwrap_or_default().as_secs_f64()
                    ),
                    Err(e) => format!(
                        "  std for {}: failed (runs will use -Zbuild-std): {e}",
                        target.triple
                    ),
                };
                if tx.send(line).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for line in rx {
            writeln!(out, "{line}")?;
            out.flush()?;
        }
        Ok(())
    })
}

fn test(
    args: &TestArgs,
    ctx: &Context<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let table = load_table(args.common.target_table.as_deref(), ctx)?;
    let manifest = args.common.manifest_path.as_ref().map(|p| ctx.cwd.join(p));
    // The toolchain is the one of the workspace's root: asked in the current directory
    // while cargo reads the workspace, and again only if the root turns out elsewhere.
    let (workspace, toolchain_here) = std::thread::scope(|scope| {
        let here = scope.spawn(|| ToolchainInfo::detect(&ctx.env, &ctx.cwd));
        let workspace = Workspace::load(manifest.as_deref(), &ctx.cwd, &ctx.env);
        (workspace, here.join())
    });
    let workspace = workspace?;
    let toolchain = match toolchain_here {
        Ok(found) if workspace.root == ctx.cwd => found?,
        _ => ToolchainInfo::detect(&ctx.env, &workspace.root)?,
    };
    let mut targets = selected(&table, &args.common, workspace.defaults.targets.as_deref())?;
    if let Some(sh) = args.shard {
        targets = shard(targets, sh);
        anyhow::ensure!(
            !targets.is_empty(),
            "--shard {}/{} selects no target (there are fewer targets than shards)",
            sh.0,
            sh.1
        );
    }
    let packages = packages(args, &workspace)?;
    let kinds = args.kinds();
    for name in &kinds.test {
        anyhow::ensure!(
            packages.iter().any(|p| workspace
                .package(p)
                .is_some_and(|p| p.test_targets.contains(name))),
            "--test {name}: no integration test of that name in {} (tests are named after \
             their file in tests/, without .rs)",
            packages.join(", ")
        );
    }
    let doc_packages: Vec<String> = packages
        .iter()
        .filter(|p| workspace.package(p).is_some_and(|p| p.doc_tests))
        .cloned()
        .collect();
    anyhow::ensure!(
        !kinds.doc || !doc_packages.is_empty(),
        "--doc: none of {} has a library with doc-tests",
        packages.join(", ")
    );
    let filter = args.filter()?;
    anyhow::ensure!(args.timeout > 0, "--timeout must be at least 1 second");
    anyhow::ensure!(args.test_threads > 0, "--test-threads must be at least 1");
    let features = args
        .features
        .iter()
        .flat_map(|f| f.split([',', ' ']))
        .filter(|f| !f.is_empty())
        .map(String::from)
        .collect();
    let results_dir = workspace.bele_dir().join("results");
    let run_id = crate::util::time::run_id();
    let out_path = args.out.as_ref().map_or_else(
        || results_dir.join(format!("{run_id}.json")),
        |p| ctx.cwd.join(p),
    );
    if let Some(given) = &args.out {
        check_out_dir(given, &out_path)?;
    }
    let (qemu, env) = qemu_env(args.qemu.as_deref(), ctx)?;
    let plan = Plan {
        selection: Selection {
            packages,
            features,
            all_features: args.all_features,
            no_default_features: args.no_default_features,
            kinds,
            profile: if args.release {
                Some("release".into())
            } else {
                args.profile.clone()
            },
            doc_packages,
        },
        filter,
        slow: Duration::from_secs(args.slow.max(1)),
        targets,
        timeout: Duration::from_secs(args.timeout),
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1),
        test_threads: args.test_threads,
        seed: args.seed.unwrap_or_else(crate::util::time::fresh_seed),
        probes: !args.no_probes && !ctx.env_flag("BELE_NO_PROBES"),
        layouts: !args.no_layouts && !ctx.env_flag("BELE_NO_LAYOUTS"),
        std_cache: !args.no_std_cache && crate::host::stdcache::enabled(&ctx.env),
        builders: builders(args.builders, &ctx.env)?,
        strict: args.strict,
        retries: args.retries,
        qemu: qemu.clone(),
        run_id,
        out: out_path.clone(),
        workspace,
    };
    let style = ctx.style(args.common.color);
    let results = {
        let err_style = ctx.stderr_style(args.common.color);
        let mut reporter: Box<dyn Reporter + '_> = if ctx.stderr_is_tty {
            Box::new(ProgressReporter::new(err_style))
        } else {
            Box::new(LineReporter::new(&mut *err, err_style))
        };
        run::run(&plan, &toolchain, &env, ctx.cancel, reporter.as_mut())?
    };
    let latest = args.out.is_none().then(|| results_dir.join("latest.json"));
    finish_outputs(
        &results,
        &out_path,
        latest.as_deref(),
        &args.report,
        style,
        ctx,
        out,
    )
}

/// What every run command does at its end: the summary, `latest.json` (a copy of the run's
/// own file, when it went to the default place), the `--report` files, the results path,
/// and the outcome for the exit code.
fn finish_outputs(
    results: &crate::model::RunResults,
    out_path: &Path,
    latest: Option<&Path>,
    reports: &[(report::Format, PathBuf)],
    style: Style,
    ctx: &Context<'_>,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    use anyhow::Context as _;
    writeln!(out)?;
    report::write_summary(out, results, style)?;
    if let Some(latest) = latest {
        // The run's own file, complete: copied rather than serialized again.
        crate::util::atomic::write(latest, None, |w| {
            std::io::copy(&mut std::fs::File::open(out_path)?, w).map(|_| ())
        })
        .with_context(|| format!("cannot write {}", latest.display()))?;
    }
    for (format, path) in reports {
        let path = ctx.cwd.join(path);
        write_report(*format, results, &path)?;
        writeln!(out, "report: {}", path.display())?;
    }
    writeln!(out, "results: {}", out_path.display())?;
    if results.state == crate::model::RunState::Interrupted {
        return Ok(Outcome::Interrupted);
    }
    Ok(run_verdict(results).into())
}

/// The run's QEMU directory (`--qemu`) and environment: with one, its directory first on
/// `PATH`, so what checks the targets finds it.
fn qemu_env(given: Option<&str>, ctx: &Context<'_>) -> anyhow::Result<(Option<PathBuf>, HostEnv)> {
    Ok(match given {
        Some(q) => {
            let dir = qemu_dir(q, ctx)?;
            let env = ctx.env.with_path_first(&dir);
            (Some(dir), env)
        }
        None => (None, ctx.env.clone()),
    })
}

/// `--qemu`'s directory: `sid` fetched into bele's cache, else a directory given.
fn qemu_dir(given: &str, ctx: &Context<'_>) -> anyhow::Result<PathBuf> {
    if given == "sid" {
        return crate::host::qemu_sid::ensure(&ctx.env)
            .map(|q| q.bin_dir)
            .map_err(|e| {
                anyhow::anyhow!("--qemu sid: cannot fetch Debian unstable's qemu-user: {e}")
            });
    }
    let dir = ctx.cwd.join(given);
    if !dir.is_dir() {
        anyhow::bail!(
            "--qemu {given}: {} is not a directory (give the directory of the qemu-<arch> \
             executables to run under, or `sid` for Debian unstable's)",
            dir.display()
        );
    }
    Ok(dir)
}

/// `--builders`, else `BELE_BUILDERS`, else `crate::plan::DEFAULT_BUILDERS`.
fn builders(given: Option<usize>, env: &HostEnv) -> anyhow::Result<usize> {
    let from_env = match env.get("BELE_BUILDERS").filter(|v| !v.is_empty()) {
        Some(v) => Some(v.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
            anyhow::anyhow!(
                "BELE_BUILDERS={v} is not a number of builds above 0: set it to one (say 2) or unset it"
            )
        })?),
        None => None,
    };
    Ok(given
        .or(from_env)
        .unwrap_or(crate::plan::DEFAULT_BUILDERS)
        .max(1))
}

/// The packages to test, resolved as `cargo test` resolves them: `--workspace` (less
/// `--exclude`), `-p`, else the workspace's bele defaults, else cargo's default members.
fn packages(args: &TestArgs, workspace: &Workspace) -> anyhow::Result<Vec<String>> {
    for p in args.packages.iter().chain(&args.exclude) {
        workspace.check_package(p)?;
    }
    let names = |keep: &dyn Fn(&crate::plan::workspace::Package) -> bool| -> Vec<String> {
        workspace
            .members
            .iter()
            .filter(|p| keep(p))
            .map(|p| p.name.clone())
            .collect()
    };
    let packages = if args.workspace {
        names(&|p| !args.exclude.contains(&p.name))
    } else if !args.packages.is_empty() {
        args.packages.clone()
    } else if !workspace.defaults.packages.is_empty() {
        workspace.defaults.packages.clone()
    } else {
        names(&|p| p.default_member)
    };
    anyhow::ensure!(
        !packages.is_empty(),
        "no package to test: --exclude left none of {}",
        names(&|_| true).join(", ")
    );
    Ok(packages)
}

/// A results file the user named goes into a directory that exists: bele creates its own
/// directories, never one a typo named.
fn check_out_dir(given: &Path, path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    anyhow::ensure!(
        dir.is_dir(),
        "--out {}: the directory {} does not exist; create it first or give another path",
        given.display(),
        dir.display()
    );
    anyhow::ensure!(
        !path.is_dir(),
        "--out {}: is a directory; give the path of a file, such as {}",
        given.display(),
        path.join("results.json").display()
    );
    Ok(())
}

/// The whole program for `argv`: parse, run, report an error, and return the exit code.
/// First Ctrl-C: stop starting work, kill running tests, save what is known; second: quit.
pub fn main(argv: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    static CANCEL: AtomicBool = AtomicBool::new(false);
    let argv: Vec<std::ffi::OsString> = argv.into_iter().collect();
    // Run by cargo as its rustc wrapper, to record layouts (`build::layouts`).
    let command = <Cli as clap::CommandFactory>::command();
    let subcommands: Vec<&str> = command
        .get_subcommands()
        .map(clap::Command::get_name)
        .collect();
    if let Some(code) = crate::build::layouts::wrapper_main(&argv, &subcommands) {
        return code;
    }
    // Run by cargo as its rustdoc, for doc-tests (`execute::rustdoc_wrapper_main`).
    if let Some(code) = crate::execute::rustdoc_wrapper_main(&argv, &subcommands) {
        return code;
    }
    let cli = Cli::parse_from(argv);
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, std::sync::atomic::Ordering::SeqCst) {
            #[allow(clippy::disallowed_methods)] // the second Ctrl-C leaves at once
            std::process::exit(130);
        }
        eprintln!(
            "bele: interrupted; stopping tests and saving results (Ctrl-C again to quit now)"
        );
    });
    let (stdout_is_tty, stderr_is_tty) = tty_state();
    let ctx = Context {
        env: HostEnv::from_process(),
        cwd: std::env::current_dir().unwrap_or_else(|_| ".".into()),
        cancel: &CANCEL,
        stdout_is_tty,
        stderr_is_tty,
    };
    match run(cli, &ctx, &mut std::io::stdout(), &mut std::io::stderr()) {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::Failures) => 1,
        Ok(Outcome::Incomplete) => 3,
        Ok(Outcome::Interrupted) => 130,
        // `bele targets | head` closes the pipe early: not an error worth a message.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            0
        }
        Err(e) => {
            eprintln!("bele: error: {e:#}");
            2
        }
    }
}

/// Whether standard output and error are terminals (called from `main`).
pub fn tty_state() -> (bool, bool) {
    (
        std::io::stdout().is_terminal(),
        std::io::stderr().is_terminal(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_formats() {
        let table = Table::builtin();
        let targets = select(&table, "sparc,i686-unknown-linux-gnu").unwrap();
        let mut gh = Vec::new();
        write_matrix(&mut gh, &targets, MatrixFormat::Github).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&gh).unwrap();
        assert_eq!(v["include"][0]["target"], "i686-unknown-linux-gnu");
        assert_eq!(
            v["include"][1]["packages"],
            "gcc-sparc64-linux-gnu libc6-dev-sparc64-cross qemu-user"
        );
        let mut gl = Vec::new();
        write_matrix(&mut gl, &targets, MatrixFormat::Gitlab).unwrap();
        let gl = String::from_utf8(gl).unwrap();
        assert!(
            gl.starts_with("parallel:\n  matrix:\n    - BELE_TARGET: \"i686-unknown-linux-gnu\"\n"),
            "{gl}"
        );
    }

    #[test]
    fn shards_partition_the_targets() {
        let all: Vec<usize> = (0..14).collect();
        let mut joined: Vec<usize> = (1..=4).flat_map(|k| shard(all.clone(), (k, 4))).collect();
        joined.sort_unstable();
        assert_eq!(joined, all);
        assert_eq!(shard(all.clone(), (2, 4)), [1, 5, 9, 13]);
        assert_eq!(parse_shard("2/4"), Ok((2, 4)));
        for bad in ["0/4", "5/4", "2", "a/b", "1/0"] {
            assert!(
                parse_shard(bad).unwrap_err().contains("is not K/N"),
                "{bad}"
            );
        }
    }

    /// Every subcommand, and each of theirs, takes `--color`: scripts pass it everywhere.
    #[test]
    fn every_subcommand_takes_color() {
        use clap::CommandFactory;
        fn check(cmd: &clap::Command, path: &str) {
            for sub in cmd.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                if sub.has_subcommands() {
                    check(sub, &path);
                } else {
                    assert!(
                        sub.get_arguments().any(|a| a.get_long() == Some("color")),
                        "`{path}` does not take --color"
                    );
                }
            }
        }
        check(&Cli::command(), "bele");
        let cli = Cli::try_parse_from(["bele", "diff", "a.json", "b.json", "--color", "never"]);
        assert!(cli.is_ok(), "{cli:?}");
    }

    /// The progress bar and line reporter write to stderr: `--color never` and `NO_COLOR`
    /// reach them too (before, a terminal on stderr always got colour).
    #[test]
    fn color_never_and_no_color_reach_stderr() {
        let cancel = AtomicBool::new(false);
        let ctx = |vars: &[(&str, &str)]| Context {
            env: HostEnv {
                vars: vars
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            },
            cwd: PathBuf::from("/"),
            cancel: &cancel,
            stdout_is_tty: false,
            stderr_is_tty: true,
        };
        let plain = ctx(&[]);
        assert!(!plain.stderr_style(ColorChoice::Never).color);
        assert!(plain.stderr_style(ColorChoice::Auto).color);
        assert!(
            !plain.style(ColorChoice::Auto).color,
            "stdout is not a terminal"
        );
        assert!(plain.style(ColorChoice::Always).color);
        assert!(
            !ctx(&[("NO_COLOR", "1")])
                .stderr_style(ColorChoice::Auto)
                .color
        );
        assert!(
            ctx(&[("NO_COLOR", "")])
                .stderr_style(ColorChoice::Auto)
                .color
        );
    }

    /// `bele merge --target-table` orders the merged targets by that table (it used the
    /// builtin one whatever the shards ran with).
    #[test]
    fn merge_orders_targets_by_the_given_table() {
        let dir = std::env::temp_dir().join(format!("bele-merge-table-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // The builtin rows of x86_64 and s390x, s390x first.
        let builtin = include_str!("../../../targets/targets.toml");
        let row = |triple: &str| {
            builtin
                .split("\n[[target]]\n")
                .find(|b| b.starts_with(&format!("triple = \"{triple}\"")))
                .unwrap()
                .to_string()
        };
        let table = dir.join("table.toml");
        std::fs::write(
            &table,
            format!(
                "[[target]]\n{}\n[[target]]\n{}",
                row("s390x-unknown-linux-gnu"),
                row("x86_64-unknown-linux-gnu")
            ),
        )
        .unwrap();
        let whole = crate::testdata::sample();
        let mut files = Vec::new();
        for (i, t) in whole.targets.iter().enumerate() {
            let mut part = whole.clone();
            part.targets = vec![t.clone()];
            let f = dir.join(format!("part{i}.json"));
            report::save_json(&part, &f).unwrap();
            files.push(f);
        }
        let merged = dir.join("merged.json");
        let cancel = AtomicBool::new(false);
        let ctx = Context {
            env: HostEnv::default(),
            cwd: dir.clone(),
            cancel: &cancel,
            stdout_is_tty: false,
            stderr_is_tty: false,
        };
        let triples = |args: &[&str]| {
            let cli = Cli::try_parse_from(
                ["bele", "merge"]
                    .iter()
                    .chain(args)
                    .copied()
                    .chain(files.iter().map(|f| f.to_str().unwrap())),
            )
            .unwrap();
            run(cli, &ctx, &mut Vec::new(), &mut Vec::new()).unwrap();
            let r = crate::model::RunResults::load(&merged).unwrap();
            r.targets.into_iter().map(|t| t.triple).collect::<Vec<_>>()
        };
        let out = merged.to_str().unwrap();
        assert_eq!(
            triples(&["--out", out]),
            ["x86_64-unknown-linux-gnu", "s390x-unknown-linux-gnu"]
        );
        assert_eq!(
            triples(&["--out", out, "--target-table", table.to_str().unwrap()]),
            ["s390x-unknown-linux-gnu", "x86_64-unknown-linux-gnu"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
