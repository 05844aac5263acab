//! `bele kernel` and `bele setup --kernel`: the command line turned into a kernel plan, run,
//! and reported as `bele test` reports (the same summary, formats and exit codes).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use bele_targets::{KernelTable, KernelTarget, Table};
use clap::Args;

use super::{parse_report, ColorChoice, Context, Outcome};
use crate::kernel::run::{run, BootMode, Isolate, KernelPlan};
use crate::kernel::tools::{check_shared, check_target, setup_plan, Minimums};
use crate::kernel::tree::Tree;
use crate::report::events::Reporter;
use crate::report::{self, LineReporter, ProgressReporter};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct KernelArgs {
    #[command(subcommand)]
    pub command: Option<KernelCommand>,
    /// The kernel source tree. bele only reads it: kernels are built in bele's cache.
    #[arg(long, value_name = "PATH", required = true)]
    pub tree: Option<PathBuf>,
    /// Kernel targets, comma-separated, or `all` (default: the kernel table's default rows).
    #[arg(long, value_name = "NAMES")]
    pub targets: Option<String>,
    /// A Kconfig fragment to add (your driver's KUnit options), as kunit.py's --kunitconfig;
    /// a directory means its .kunitconfig. A relative path is looked up in the working
    /// directory, then in the tree. Repeatable; later lines win.
    #[arg(long = "kunitconfig", value_name = "FILE")]
    pub kunitconfigs: Vec<PathBuf>,
    /// Also run a named set of the kernel's C KUnit suites: `endian` (checksums, bitfields,
    /// CRCs, siphash, the string hash, UUIDs: targets/suites/endian.kunitconfig). Before the
    /// kunitconfigs; an option the tree lacks is left out with a note. Repeatable.
    #[arg(long, value_name = "NAME")]
    pub suites: Vec<String>,
    /// Run only the tests this glob names (`suite`, `suite.test`, `rust_doctests_kernel.*`).
    #[arg(value_name = "FILTER_GLOB")]
    pub filter_glob: Option<String>,
    /// A Kconfig line to add after the kunitconfigs (`CONFIG_KASAN=y`), as kunit.py's
    /// --kconfig_add. Repeatable.
    #[arg(long = "kconfig-add", value_name = "CONFIG_X=VALUE")]
    pub kconfig_add: Vec<String>,
    /// Build every kernel with KASAN (generic mode): an out-of-bounds or use-after-free
    /// access fails the test that made it, named by KASAN's report. The kernel gives Rust
    /// KASAN only with clang, so the kernels are built with LLVM (`bele setup --kernel
    /// --kasan` installs it); a target whose architecture has no KASAN, or no Rust with it
    /// (arm), is unavailable with the reason. Built apart from the kernels without it.
    #[arg(long)]
    pub kasan: bool,
    /// Build each kernel in DIR/<target> instead of bele's cache (kept between runs, as
    /// kunit.py's --build_dir).
    #[arg(long, value_name = "DIR")]
    pub build_dir: Option<PathBuf>,
    /// Kernel command-line arguments added after bele's own (`oops=panic`,
    /// `kunit.stats_enabled=2`), as kunit.py's --kernel_args. Repeatable; a value may hold
    /// several, separated by spaces.
    #[arg(long = "kernel-args", value_name = "ARGS", allow_hyphen_values = true)]
    pub kernel_args: Vec<String>,
    /// Arguments added to every qemu-system line (`-smp 2`), as kunit.py's --qemu_args.
    /// Repeatable; a value may hold several, separated by spaces.
    #[arg(long = "qemu-args", value_name = "ARGS", allow_hyphen_values = true)]
    pub qemu_args: Vec<String>,
    /// Variables and flags added to every make line (`LLVM=1`, `W=1`, `CLIPPY=1`), as
    /// kunit.py's --make_options. They change the build, so a build with other make options
    /// has a build directory of its own. Repeatable.
    #[arg(
        long = "make-options",
        value_name = "OPTIONS",
        allow_hyphen_values = true
    )]
    pub make_options: Vec<String>,
    /// Boot once per suite or per test, as kunit.py's --run_isolated, so a crash that stops
    /// the kernel costs that suite or test only (the tests are listed by a first boot).
    #[arg(
        long,
        value_enum,
        value_name = "suite|test",
        conflicts_with = "list_tests"
    )]
    pub run_isolated: Option<Isolation>,
    /// Build, then list the tests each kernel has (`suite.test`, one per line, after the
    /// filter) without running them, as kunit.py's --list_tests.
    #[arg(long)]
    pub list_tests: bool,
    /// Kill a boot that runs longer (seconds); its running test is then timed out.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub timeout: u64,
    /// make's jobs per build (default: the CPUs).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Run only shard K of N of the selected kernel targets (CI jobs; join with `bele merge`).
    #[arg(long, value_name = "K/N", value_parser = super::parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Kernels built at once (default 2: a kernel build leaves CPUs idle while one rustc
    /// compiles a big crate, which a second build fills).
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub builders: usize,
    /// Write a report besides the results file: FORMAT=FILE, FORMAT one of json, junit,
    /// ktap, kunit-json (kunit.py's --json), md, html, github. Repeatable.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report)]
    pub report: Vec<(report::Format, PathBuf)>,
    /// Where to write the results JSON (default: bele's cache, `kernel/results/<run-id>.json`
    /// and latest.json).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print each boot's whole console before the summary, as kunit.py's --raw_output (each
    /// is kept anyway beside the results, `<results>.consoles/<target>.log`).
    #[arg(long)]
    pub raw_output: bool,
    /// A kernel table to use instead of the builtin one.
    #[arg(long, value_name = "FILE")]
    pub kernel_table: Option<PathBuf>,
    /// Boot under another qemu-system: `sid` for Debian unstable's (fetched with its
    /// libraries into bele's cache, nothing installed), or a directory of
    /// `qemu-system-<arch>` executables. (A test failing on one target is re-checked under
    /// unstable's anyway; this boots the whole run under it.) um runs as a program.
    #[arg(long, value_name = "DIR|sid")]
    pub qemu: Option<String>,
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Isolation {
    Suite,
    Test,
}

#[derive(Debug, clap::Subcommand)]
pub enum KernelCommand {
    /// Read saved consoles or KTAP streams (a real machine's serial log, a lab's, kunit.py's
    /// --raw_output) into results keyed as `bele kernel` keys them, for `merge` and `diff`.
    Parse(ParseArgs),
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// The kernel target the consoles are from (a row of the kernel table: um, x86_64, arm,
    /// arm64, s390x).
    #[arg(long, value_name = "NAME")]
    pub target: String,
    /// Console files, one per boot; several are one target's boots, in order.
    #[arg(required = true, value_name = "CONSOLE")]
    pub consoles: Vec<PathBuf>,
    /// The tree the kernel was built from: doc-tests get the keys `bele diff` pairs them by.
    #[arg(long, value_name = "PATH")]
    pub tree: Option<PathBuf>,
    /// Write a report besides the results file: FORMAT=FILE. Repeatable.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report)]
    pub report: Vec<(report::Format, PathBuf)>,
    /// Where to write the results JSON (default: bele's cache, `kernel/results/<run-id>.json`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--list-tests`: each target's tests as `suite.test`, one per line under the target's
/// name; a target that did not build says why. Exit 1 when any target could not list.
fn list(results: &crate::model::RunResults, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    use crate::model::TargetStatus;
    let mut all = true;
    for t in &results.targets {
        let n: usize = t.binaries.iter().map(|b| b.tests.len()).sum();
        match t.status {
            TargetStatus::Ran => writeln!(out, "{} ({n} tests)", t.triple)?,
            _ => {
                all = false;
                let why = t.reason.as_deref().unwrap_or("not listed");
                writeln!(out, "{}: {why}", t.triple)?;
                if let Some(log) = t.build.as_ref().and_then(|b| b.log_tail.as_deref()) {
                    for line in log.lines().take(12) {
                        writeln!(out, "    | {line}")?;
                    }
                }
            }
        }
        for b in &t.binaries {
            for x in &b.tests {
                writeln!(out, "{}.{}", b.id, x.name)?;
            }
        }
    }
    Ok(if all {
        Outcome::Success
    } else {
        Outcome::Failures
    })
}

/// `bele kernel parse`: the consoles read into results, saved and reported as a run's.
fn parse(args: &ParseArgs, ctx: &Context<'_>, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let users = Table::builtin();
    let kernels = KernelTable::builtin();
    let k = (kernels.get(&args.target)).ok_or_else(|| {
        let known: Vec<&str> = kernels.kernels().iter().map(|k| k.name.as_str()).collect();
        anyhow::anyhow!(
            "--target {}: no such kernel target (the kernel table has {})",
            args.target,
            known.join(", ")
        )
    })?;
    let like = users.get(&k.like).ok_or_else(|| {
        anyhow::anyhow!(
            "kernel target {} is like {}, which the target table lacks",
            k.name,
            k.like
        )
    })?;
    let files = (args.consoles.iter())
        .map(|p| {
            let path = ctx.cwd.join(p);
            let bytes = std::fs::read(&path)
                .with_context(|| format!("cannot read the console {}", path.display()))?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            anyhow::ensure!(
                crate::kernel::ktap::parse(&text).started,
                "{}: no KTAP in it (a console of a kernel built with CONFIG_KUNIT=y, or \
                 kunit.py's --raw_output, has a `KTAP version 1` line)",
                path.display()
            );
            Ok((path, text))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let tree = args.tree.as_ref().map(|t| ctx.cwd.join(t));
    let run_id = crate::util::time::run_id();
    let results = crate::kernel::parse::parse(&crate::kernel::parse::Consoles {
        kernel: k,
        like,
        files,
        tree: tree.as_deref(),
        run_id: run_id.clone(),
        host: crate::host::this_host(&like.triple),
    });
    let out_path = match &args.out {
        Some(p) => {
            let path = ctx.cwd.join(p);
            super::check_out_dir(p, &path)?;
            path
        }
        None => {
            let dir = (ctx.env.cache_dir())
                .ok_or_else(|| anyhow::anyhow!("no cache directory: set BELE_CACHE_DIR or HOME"))?
                .join("kernel/results");
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            dir.join(format!("{run_id}.json"))
        }
    };
    crate::report::save_json(&results, &out_path)?;
    super::finish_outputs(
        &results,
        &out_path,
        None,
        &args.report,
        ctx.style(args.color),
        ctx,
        out,
    )
}

/// The kernel table and the targets `--targets` names: the default rows when none, every
/// row for `all`.
fn kernel_targets<'k>(
    kernels: &'k KernelTable,
    names: Option<&str>,
) -> anyhow::Result<Vec<&'k KernelTarget>> {
    let Some(names) = names.filter(|n| n.trim() != "all") else {
        let every = names.is_some();
        return Ok((kernels.kernels().iter())
            .filter(|k| every || k.default)
            .collect());
    };
    names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            kernels.get(n).ok_or_else(|| {
                let known: Vec<&str> = kernels.kernels().iter().map(|k| k.name.as_str()).collect();
                anyhow::anyhow!(
                    "--targets {n}: no such kernel target (the kernel table has {})",
                    known.join(", ")
                )
            })
        })
        .collect()
}

fn load_kernels(
    path: Option<&std::path::Path>,
    users: &Table,
    ctx: &Context<'_>,
) -> anyhow::Result<KernelTable> {
    Ok(match path {
        Some(p) => KernelTable::load(&ctx.cwd.join(p), users)?,
        None => KernelTable::builtin(),
    })
}

/// The kunitconfig files with their text; a directory stands for its `.kunitconfig`.
fn read_kunitconfigs(
    paths: &[PathBuf],
    tree: &std::path::Path,
    ctx: &Context<'_>,
) -> anyhow::Result<Vec<(PathBuf, String)>> {
    paths
        .iter()
        .map(|p| {
            // As kunit.py is run from the tree, its paths are the tree's; bele's may be either.
            let mut path = ctx.cwd.join(p);
            if !path.exists() && tree.join(p).exists() {
                path = tree.join(p);
            }
            if path.is_dir() {
                path = path.join(".kunitconfig");
            }
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!("--kunitconfig {}: cannot read {} (nor is it in the tree, {}): give a Kconfig fragment file, or a directory with a .kunitconfig", p.display(), path.display(), tree.display())
            })?;
            if let Some(bad) = text
                .lines()
                .map(str::trim)
                .find(|l| {
                    let kconfig = l.starts_with("CONFIG_") && l.contains('=');
                    !(l.is_empty() || l.starts_with('#') || kconfig)
                })
            {
                anyhow::bail!(
                    "--kunitconfig {}: `{bad}` is not a Kconfig line (CONFIG_NAME=value, or # CONFIG_NAME is not set)",
                    path.display()
                );
            }
            // kunit.py builds no initramfs and neither does bele: a test built as a module
            // is never loaded, so its tests would vanish without a word.
            if let Some(module) = text.lines().map(str::trim).find(|l| l.ends_with("=m")) {
                anyhow::bail!(
                    "--kunitconfig {}: `{module}` builds a module, which no boot loads (there is \
                     no initramfs), so its tests would not run; write `{}=y`",
                    path.display(),
                    module.trim_end_matches("=m")
                );
            }
            Ok((path, text))
        })
        .collect()
}

/// The kernel targets `--targets` and `--shard` select.
fn selected<'k>(
    kernels: &'k KernelTable,
    args: &KernelArgs,
) -> anyhow::Result<Vec<&'k KernelTarget>> {
    let mut targets = kernel_targets(kernels, args.targets.as_deref())?;
    if let Some(sh) = args.shard {
        targets = super::shard(targets, sh);
        anyhow::ensure!(
            !targets.is_empty(),
            "--shard {}/{} selects no kernel target (there are fewer targets than shards)",
            sh.0,
            sh.1
        );
    }
    Ok(targets)
}

/// `--qemu`: what the results record (`sid`, or the directory) and, per target that boots
/// under qemu-system, the executable it boots under instead: from Debian unstable's
/// packages of the targets' emulators (fetched), or from the directory given.
fn other_qemu(
    given: &str,
    targets: &[&KernelTarget],
    ctx: &Context<'_>,
) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let booted: Vec<(&KernelTarget, &str)> = (targets.iter())
        .filter_map(|k| Some((*k, k.qemu_program()?)))
        .collect();
    anyhow::ensure!(
        !booted.is_empty(),
        "--qemu {given}: none of the kernel targets boots under qemu-system (um runs as a program)"
    );
    let (label, dir) = if given == "sid" {
        let packages: Vec<String> = (booted.iter())
            .flat_map(|(k, _)| k.qemu_packages())
            .cloned()
            .collect();
        let q = crate::host::qemu_sid::ensure_system(&ctx.env, &packages).map_err(|e| {
            anyhow::anyhow!("--qemu sid: cannot fetch Debian unstable's qemu-system: {e}")
        })?;
        ("sid".to_string(), q.bin_dir)
    } else {
        let dir = ctx.cwd.join(given);
        anyhow::ensure!(
            dir.is_dir(),
            "--qemu {given}: {} is not a directory (give the directory of the \
             qemu-system-<arch> executables to boot under, or `sid` for Debian unstable's)",
            dir.display()
        );
        let dir = dir.canonicalize().unwrap_or(dir);
        (dir.display().to_string(), dir)
    };
    let paths = (booted.iter())
        .map(|(k, program)| {
            let path = dir.join(program).display().to_string();
            anyhow::ensure!(
                ctx.env.which(&path).is_some(),
                "--qemu {given}: there is no {program} in {} for the {} kernel target",
                dir.display(),
                k.name
            );
            Ok((k.name.clone(), path))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((label, paths))
}

pub(super) fn kernel(
    args: &KernelArgs,
    ctx: &Context<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    if let Some(KernelCommand::Parse(p)) = &args.command {
        return parse(p, ctx, out);
    }
    let Some(tree) = &args.tree else {
        anyhow::bail!("bele kernel needs --tree PATH (the kernel source tree)");
    };
    let users = Table::builtin();
    let mut kernels = load_kernels(args.kernel_table.as_deref(), &users, ctx)?;
    let qemu = match &args.qemu {
        Some(given) => {
            let (label, paths) = other_qemu(given, &selected(&kernels, args)?, ctx)?;
            for (name, path) in paths {
                kernels.set_qemu(&name, path);
            }
            Some(label)
        }
        None => None,
    };
    let targets = selected(&kernels, args)?;
    anyhow::ensure!(args.timeout > 0, "--timeout must be at least 1 second");
    let tree = ctx.cwd.join(tree);
    let tree = tree.canonicalize().unwrap_or(tree);
    let cache = ctx
        .env
        .cache_dir()
        .ok_or_else(|| anyhow::anyhow!("no cache directory: set BELE_CACHE_DIR or HOME"))?
        .join("kernel");
    let run_id = crate::util::time::run_id();
    let results_dir = cache.join("results");
    let out_path = args.out.as_ref().map_or_else(
        || results_dir.join(format!("{run_id}.json")),
        |p| ctx.cwd.join(p),
    );
    if let Some(given) = &args.out {
        super::check_out_dir(given, &out_path)?;
    } else {
        std::fs::create_dir_all(&results_dir)
            .with_context(|| format!("cannot create {}", results_dir.display()))?;
    }
    let suites = match args.suites.as_slice() {
        [] => crate::kernel::suites::Resolved::default(),
        names => {
            let kconfig = crate::kernel::tree::Tree::inspect(&tree)
                .map_err(anyhow::Error::msg)?
                .kconfig();
            crate::kernel::suites::resolve(names, &|s| kconfig.gate(s).is_some())
                .map_err(anyhow::Error::msg)?
        }
    };
    let kunitconfigs = read_kunitconfigs(&args.kunitconfigs, &tree, ctx)?;
    let plan = KernelPlan {
        tree,
        targets,
        users: &users,
        suites: suites.sets,
        kunitconfigs,
        left_out: suites.left_out,
        filter_glob: args.filter_glob.clone(),
        kernel_args: words(&args.kernel_args),
        qemu_args: words(&args.qemu_args),
        make_options: make_options(&args.make_options)?,
        kconfig_add: kconfig_lines(&args.kconfig_add)?,
        kasan: args.kasan,
        qemu,
        build_dir: args.build_dir.as_ref().map(|d| ctx.cwd.join(d)),
        mode: match (args.list_tests, args.run_isolated) {
            (true, _) => BootMode::List,
            (false, Some(Isolation::Suite)) => BootMode::Isolated(Isolate::Suite),
            (false, Some(Isolation::Test)) => BootMode::Isolated(Isolate::Test),
            (false, None) => BootMode::Once,
        },
        timeout: Duration::from_secs(args.timeout),
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1),
        builders: args.builders.max(1),
        cache,
        run_id,
        out: out_path.clone(),
    };
    let style = ctx.style(args.color);
    let results = {
        let err_style = ctx.stderr_style(args.color);
        let mut reporter: Box<dyn Reporter + '_> = if ctx.stderr_is_tty {
            Box::new(ProgressReporter::new(err_style))
        } else {
            Box::new(LineReporter::new(&mut *err, err_style))
        };
        run(&plan, &ctx.env, ctx.cancel, reporter.as_mut())?
    };
    if args.list_tests {
        return list(&results, out);
    }
    if args.raw_output {
        for t in &results.targets {
            if let Some(file) = &t.console {
                writeln!(out, "==> {} console ({})", t.triple, file.display())?;
                out.write_all(&std::fs::read(file).unwrap_or_default())?;
            }
        }
    }
    let latest = args.out.is_none().then(|| results_dir.join("latest.json"));
    super::finish_outputs(
        &results,
        &out_path,
        latest.as_deref(),
        &args.report,
        style,
        ctx,
        out,
    )
}

/// Repeatable options whose values may each hold several words, as one list of words.
fn words(values: &[String]) -> Vec<String> {
    (values.iter())
        .flat_map(|v| v.split_whitespace())
        .map(String::from)
        .collect()
}

/// `--kconfig-add` lines, checked as a kunitconfig's are.
fn kconfig_lines(lines: &[String]) -> anyhow::Result<Vec<String>> {
    for l in lines {
        let (name, value) = l.split_once('=').unwrap_or((l, ""));
        anyhow::ensure!(
            name.starts_with("CONFIG_") && !value.is_empty(),
            "--kconfig-add {l}: not a Kconfig line; write CONFIG_NAME=value (CONFIG_KASAN=y)"
        );
        anyhow::ensure!(
            value != "m",
            "--kconfig-add {l}: a module, which no boot loads (there is no initramfs); write \
             {name}=y"
        );
    }
    Ok(lines.to_vec())
}

/// `--make-options`, checked: variables (`LLVM=1`) and flags (`-k`) only. bele chooses the
/// make targets and owns where and for what the kernel is built.
fn make_options(values: &[String]) -> anyhow::Result<Vec<String>> {
    let options = words(values);
    for o in &options {
        let var = o.split_once('=').map(|(v, _)| v);
        anyhow::ensure!(
            !matches!(var, Some("O" | "ARCH" | "CROSS_COMPILE" | "KBUILD_OUTPUT"))
                && !matches!(o.as_str(), "-C" | "-f"),
            "--make-options {o}: bele sets where and for which architecture a kernel is built \
             (its build directory is per tree, target and configuration); leave {o} out"
        );
        anyhow::ensure!(
            var.is_some() || o.starts_with('-'),
            "--make-options {o}: a make target; bele chooses what to build. Pass variables \
             (LLVM=1, W=1, CLIPPY=1) or flags (-k)"
        );
    }
    Ok(options)
}

/// `bele setup --kernel`: what the tree and the kernel targets need, installed.
pub(super) fn setup(
    tree: &std::path::Path,
    (names, kernel_table): (Option<&str>, Option<&std::path::Path>),
    (kasan, dry_run): (bool, bool),
    ctx: &Context<'_>,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let kernels = load_kernels(kernel_table, &Table::builtin(), ctx)?;
    let targets = kernel_targets(&kernels, names)?;
    let tree = Tree::inspect(&ctx.cwd.join(tree)).map_err(anyhow::Error::msg)?;
    let mins = Minimums::of(&tree, &targets, &ctx.env).map_err(anyhow::Error::msg)?;
    let check = || {
        let (found, mut missing) = check_shared(&mins, &ctx.env, &tree.path);
        for k in &targets {
            missing.extend(check_target(k, kasan, &ctx.env, &found));
        }
        (found, missing)
    };
    let (_, missing) = check();
    let steps = setup_plan(&missing);
    for m in &missing {
        writeln!(out, "missing: {} ({})", m.what, m.fix.command())?;
    }
    if dry_run {
        for s in &steps {
            writeln!(out, "would run: {}", s.display())?;
        }
        return Ok(Outcome::Success);
    }
    for s in &steps {
        writeln!(out, "setup: {}", s.display())?;
        out.flush()?;
        let done = s.output(&ctx.env.vars)?;
        if !done.success {
            anyhow::bail!(
                "setup failed: `{}` exited with {:?}\n{}",
                s.display(),
                done.code,
                crate::util::process::tail(&format!("{}{}", done.stdout, done.stderr), 20)
            );
        }
    }
    let (found, missing) = check();
    if !missing.is_empty() {
        let what: Vec<String> = missing
            .iter()
            .map(|m| format!("{} ({})", m.what, m.fix.command()))
            .collect();
        anyhow::bail!("still missing after setup: {}", what.join("; "));
    }
    writeln!(
        out,
        "setup: the kernel targets {} of Linux {} are ready ({}{})",
        targets
            .iter()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        tree.version,
        found.rustc,
        found
            .toolchain
            .as_ref()
            .map_or(String::new(), |t| format!(" through RUSTUP_TOOLCHAIN={t}"))
    )?;
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// make options are variables and flags; what would move the build out of bele's
    /// build directory, or name a make target, is refused with the reason.
    #[test]
    fn make_options_are_variables_and_flags() {
        let given = ["LLVM=1 W=1".to_string(), "-k".to_string()];
        assert_eq!(make_options(&given).unwrap(), ["LLVM=1", "W=1", "-k"]);
        let err = make_options(&["O=/tmp/k".into()]).unwrap_err().to_string();
        assert!(
            err.contains("--make-options O=/tmp/k") && err.contains("leave"),
            "{err}"
        );
        let err = make_options(&["clean".into()]).unwrap_err().to_string();
        assert!(
            err.contains("a make target") && err.contains("LLVM=1"),
            "{err}"
        );
        assert_eq!(words(&[" a  b".into(), "c".into()]), ["a", "b", "c"]);
        assert!(kconfig_lines(&["CONFIG_KASAN=y".into()]).is_ok());
        let err = kconfig_lines(&["KASAN=y".into()]).unwrap_err().to_string();
        assert!(
            err.contains("--kconfig-add KASAN=y: not a Kconfig line"),
            "{err}"
        );
        let err = kconfig_lines(&["CONFIG_X_TEST=m".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("CONFIG_X_TEST=y"), "{err}");
    }

    #[test]
    fn targets_by_name_and_unknown_ones_named() {
        let kernels = KernelTable::builtin();
        let all = kernel_targets(&kernels, Some("all")).unwrap();
        assert_eq!(all.len(), kernels.kernels().len());
        let default = kernel_targets(&kernels, None).unwrap();
        assert!(default.len() >= 2 && default.iter().all(|k| k.default));
        assert!(all.iter().any(|k| !k.default), "a row only --targets names");
        let one: Vec<&str> = kernel_targets(&kernels, Some("s390x-linux-kernel"))
            .unwrap()
            .iter()
            .map(|k| k.name.as_str())
            .collect();
        assert_eq!(one, ["s390x"]);
        let err = kernel_targets(&kernels, Some("x86_64,m68k"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--targets m68k") && err.contains("s390x"),
            "{err}"
        );
    }

    #[test]
    fn a_kunitconfig_that_is_not_kconfig_is_refused_with_its_line() {
        let dir = std::env::temp_dir().join(format!("bele-kunitconfig-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("drv")).unwrap();
        std::fs::write(
            dir.join("drv/.kunitconfig"),
            "CONFIG_KUNIT=y\n# comment\n\nCONFIG_DRV_TEST=y\n",
        )
        .unwrap();
        std::fs::write(dir.join("bad"), "CONFIG_KUNIT=y\nKUNIT=y\n").unwrap();
        let cancel = AtomicBool::new(false);
        let ctx = Context {
            env: Default::default(),
            cwd: dir.clone(),
            cancel: &cancel,
            stdout_is_tty: false,
            stderr_is_tty: false,
        };
        let tree = dir.join("tree");
        std::fs::create_dir_all(tree.join("net")).unwrap();
        std::fs::write(tree.join("net/.kunitconfig"), "CONFIG_NET_TEST=y\n").unwrap();
        let ok = read_kunitconfigs(&["drv".into()], &tree, &ctx).unwrap();
        assert_eq!(ok[0].0, dir.join("drv/.kunitconfig"));
        // Not in the working directory: the tree's, as kunit.py (run from the tree) reads it.
        let ok = read_kunitconfigs(&["net".into()], &tree, &ctx).unwrap();
        assert_eq!(ok[0].0, tree.join("net/.kunitconfig"));
        let err = read_kunitconfigs(&["bad".into()], &tree, &ctx)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`KUNIT=y` is not a Kconfig line") && err.contains("bad"),
            "{err}"
        );
        std::fs::write(dir.join("module"), "CONFIG_KUNIT=y\nCONFIG_DRV_TEST=m\n").unwrap();
        let err = read_kunitconfigs(&["module".into()], &tree, &ctx)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`CONFIG_DRV_TEST=m` builds a module")
                && err.contains("`CONFIG_DRV_TEST=y`"),
            "{err}"
        );
        let err = read_kunitconfigs(&["nope".into()], &tree, &ctx)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--kunitconfig nope"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
