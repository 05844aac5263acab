//! Carrying out a kernel plan: the tree and this machine checked, then builder threads
//! configuring and building the ready targets (`builders` at once, make with `jobs` each)
//! while this thread boots the kernels already built and reads their consoles into
//! results, saved after each target.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bele_targets::{KernelTarget, Table};

use super::build::{
    first_error, fragment, image, make, olddefconfig, requested, rustavailable, sort_unmet, unmet,
    Sorted,
};
use super::results::{binaries, BootEnd};
use super::tools::{check_shared, check_target, Found, Minimums, Missing};
use super::tree::Tree;
use crate::model::*;
use crate::report::events::{Event, Reporter};
use crate::util::env::HostEnv;
use crate::util::time::millis;

/// A validated kernel plan.
#[derive(Debug, Clone)]
pub struct KernelPlan<'t> {
    pub tree: PathBuf,
    pub targets: Vec<&'t KernelTarget>,
    /// The user-mode table the targets' `like` rows are in.
    pub users: &'t Table,
    /// Each `--suites` set by name, with the text of its options the tree declares.
    pub suites: Vec<(String, String)>,
    /// Each `--kunitconfig` with its text.
    pub kunitconfigs: Vec<(PathBuf, String)>,
    /// Test options left out of every target (a suite set's that the tree lacks), each
    /// with why.
    pub left_out: Vec<String>,
    /// `kunit.filter_glob`.
    pub filter_glob: Option<String>,
    /// The user's kernel command-line arguments, after bele's.
    pub kernel_args: Vec<String>,
    /// The user's qemu-system arguments, after the target's machine parameters.
    pub qemu_args: Vec<String>,
    /// The user's make variables and flags, on every make line.
    pub make_options: Vec<String>,
    /// One boot, a listing, or a boot per suite or test.
    pub mode: BootMode,
    /// `--kconfig-add` lines, after the kunitconfigs.
    pub kconfig_add: Vec<String>,
    /// `--kasan`: every kernel built with KASAN ([`KASAN`]), so with clang.
    pub kasan: bool,
    /// `--qemu`, as the results record it: the targets' rows already name the executables.
    pub qemu: Option<String>,
    /// `--build-dir`: each target builds in `<dir>/<target>` instead of bele's cache.
    pub build_dir: Option<PathBuf>,
    /// Longest a boot may take, from start to the last KTAP line.
    pub timeout: Duration,
    /// make's jobs, per build.
    pub jobs: usize,
    /// Kernels built at once. Much of a kernel build is serial (each Rust crate is one
    /// rustc), so a second build at once fills the CPUs the first leaves idle.
    pub builders: usize,
    /// bele's kernel cache: build directories live under it, keyed by tree, target and
    /// configuration.
    pub cache: PathBuf,
    pub run_id: String,
    pub out: PathBuf,
}

/// The Kconfig lines `--kasan` adds, after the user's: generic KASAN (the mode every
/// architecture with KASAN has), whose reports fail the KUnit test running.
pub const KASAN: &str = "CONFIG_KASAN=y\nCONFIG_KASAN_GENERIC=y\n";

/// What a build gave: the image, or the log of why there is none.
struct Built {
    duration: Duration,
    /// The make command, for building it again by hand.
    command: String,
    outcome: Result<Image, String>,
}

/// A kernel image that built.
struct Image {
    path: PathBuf,
    /// Lines make printed for what it compiled (0: nothing to do).
    compiled: u64,
    /// Test options the tree does not offer on this target, each with why.
    left_out: Vec<String>,
}

enum Msg {
    Started(usize),
    Done(usize, Built),
}

/// Why target `k` cannot be built here (the tree gives it no Rust, or none with KASAN when
/// `kasan`, or a tool is missing: `shared`, the tools every target needs, as `found`), or
/// `None`.
fn unavailable(
    (tree, kasan): (&Tree, bool),
    k: &KernelTarget,
    (shared, found): (&[Missing], &Found),
    env: &HostEnv,
) -> Option<String> {
    if !tree.supports_rust(k) {
        return Some(format!(
            "this tree (Linux {}) has no Rust for {}: arch/{}/Kconfig does not select HAVE_RUST",
            tree.version, k.name, k.srcarch
        ));
    }
    if let Some(gap) = tree.kasan_gap(k).filter(|_| kasan) {
        return Some(format!(
            "this tree (Linux {}) has no Rust for {} with {gap}",
            tree.version, k.name
        ));
    }
    let missing: Vec<Missing> = (shared.iter().cloned())
        .chain(check_target(k, kasan, env, found))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let what: Vec<&str> = missing.iter().map(|m| m.what.as_str()).collect();
    Some(format!(
        "missing: {} (install them: bele setup --kernel --tree {})",
        what.join(", "),
        tree.path.display()
    ))
}

/// Runs `plan`: results for every target, saved to `plan.out` after each.
pub fn run(
    plan: &KernelPlan<'_>,
    env: &HostEnv,
    cancel: &AtomicBool,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<RunResults> {
    let start = Instant::now();
    let tree = Tree::inspect(&plan.tree).map_err(anyhow::Error::msg)?;
    let mins = Minimums::of(&tree, &plan.targets, env).map_err(anyhow::Error::msg)?;
    let (found, shared) = check_shared(&mins, env, &tree.path);
    let mut results = new_results(plan, &tree, &found);
    reporter.event(&Event::Started {
        targets: plan.targets.len(),
    });
    let options = tree.rust_test_options();
    let mut ready = Vec::new();
    for (idx, k) in plan.targets.iter().enumerate() {
        let like = plan.users.get(&k.like).ok_or_else(|| {
            anyhow::anyhow!(
                "kernel target {} is like {}, which the target table lacks",
                k.name,
                k.like
            )
        })?;
        let runner = k
            .qemu
            .clone()
            .map_or(RunnerName::Native, RunnerName::Emulator);
        let mut t = TargetResult::new(like, runner, Vec::new());
        t.triple = k.result_name();
        t.std = Some(StdUsed::Kernel);
        match unavailable((&tree, plan.kasan), k, (&shared, &found), env) {
            Some(reason) => {
                t.status = TargetStatus::Unavailable;
                reporter.event(&Event::TargetUnavailable {
                    triple: &t.triple,
                    reason: &reason,
                });
                t.reason = Some(reason);
            }
            None => ready.push(idx),
        }
        results.targets.push(t);
    }
    save(&results, &plan.out, reporter)?;
    // What a kernel build directory was configured with besides the fragment: the tree's
    // version and the toolchain. Either changing configures it again.
    let identity = format!(
        "Linux {}\n{}\nlibclang {}\n",
        tree.version,
        found.rustc,
        found
            .libclang
            .as_ref()
            .map_or("(default)".into(), |p| p.display().to_string())
    );
    let identity = &identity;
    let queue = std::sync::Mutex::new(ready.clone().into_iter());
    let queue = &queue;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (tx, rx) = mpsc::channel();
        let (tree, options, found) = (&tree, &options, &found);
        for _ in 0..plan.builders.max(1) {
            let tx = tx.clone();
            scope.spawn(move || loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some(idx) = next else { break };
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                let _ = tx.send(Msg::Started(idx));
                let k = plan.targets[idx];
                let built = build_one(plan, tree, k, (options, identity), found, env);
                let _ = tx.send(Msg::Done(idx, built));
            });
        }
        drop(tx);
        for msg in rx {
            match msg {
                Msg::Started(idx) => reporter.event(&Event::BuildStarted {
                    triple: &results.targets[idx].triple,
                    std: "kernel",
                }),
                Msg::Done(idx, built) => {
                    let run = Booting {
                        plan,
                        tree,
                        env,
                        cancel,
                    };
                    finish_target(
                        &run,
                        (&mut results.targets[idx], plan.targets[idx]),
                        built,
                        reporter,
                    );
                    reporter.event(&Event::TargetFinished {
                        target: &results.targets[idx],
                    });
                    save(&results, &plan.out, reporter)?;
                }
            }
        }
        Ok(())
    })?;
    // A test a kernel cut off before its result is named by its place in its suite, from a
    // kernel that ran the suite further.
    super::results::name_cut_tests(&mut results.targets);
    if plan.mode != BootMode::List && !cancel.load(Ordering::Relaxed) {
        let run = Booting {
            plan,
            tree: &tree,
            env,
            cancel,
        };
        super::recheck::recheck_suspects(&mut results, &run);
    }
    results.finish(cancel.load(Ordering::Relaxed), start.elapsed());
    save(&results, &plan.out, reporter)?;
    Ok(results)
}

/// The build directory of `k` for this tree and configuration.
pub fn build_dir(cache: &Path, tree: &Path, k: &KernelTarget, fragment: &str) -> PathBuf {
    let tree_key = bele_probe::digest(tree.display().to_string().as_bytes());
    let config_key = bele_probe::digest(fragment.as_bytes());
    cache
        .join(format!("{tree_key:016x}"))
        .join(format!("{}-{:08x}", k.name, config_key >> 32))
}

/// What one kernel is built from: its configuration fragment, the key its build directory
/// and stamp come from (the fragment and make's options), the directory and make's line.
struct Recipe {
    fragment: String,
    key: String,
    dir: PathBuf,
    base: crate::util::process::CommandSpec,
    /// make's options choose clang (`LLVM=`: the row's, `--kasan`'s or the user's).
    clang: bool,
}

/// The recipe of target `k` under `plan` (`options`: the tree's Rust test options).
fn recipe(
    plan: &KernelPlan<'_>,
    tree: &Path,
    k: &KernelTarget,
    options: &[String],
    found: &Found,
) -> Recipe {
    // A row built with clang (all with KASAN) gets the LLVM found; the user's make options
    // come after it.
    let make_options: Vec<String> = (found.llvm.iter())
        .filter(|_| k.llvm || plan.kasan)
        .map(|suffix| format!("LLVM={suffix}"))
        .chain(plan.make_options.iter().cloned())
        .collect();
    let mut configs: Vec<(PathBuf, String)> = (plan.suites.iter())
        .map(|(name, text)| (format!("--suites {name}").into(), text.clone()))
        .chain(plan.kunitconfigs.iter().cloned())
        .collect();
    if !plan.kconfig_add.is_empty() {
        configs.push(("--kconfig-add".into(), plan.kconfig_add.join("\n")));
    }
    if plan.kasan {
        configs.push(("--kasan".into(), KASAN.into()));
    }
    let fragment = fragment(options, k, &configs);
    // make's options (LLVM=1) change what is built as the configuration does.
    let key = match make_options.as_slice() {
        [] => fragment.clone(),
        options => format!("{fragment}# make {}\n", options.join(" ")),
    };
    let dir = match &plan.build_dir {
        Some(given) => given.join(&k.name),
        None => build_dir(&plan.cache, tree, k, &key),
    };
    let base = make(tree, &dir, k, &make_options, &found.env());
    Recipe {
        fragment,
        key,
        dir,
        base,
        clang: make_options.iter().any(|o| o.starts_with("LLVM=")),
    }
}

/// Configures (when the fragment changed) and builds one kernel.
fn build_one(
    plan: &KernelPlan<'_>,
    tree: &Tree,
    k: &KernelTarget,
    (options, identity): (&[String], &str),
    found: &Found,
    env: &HostEnv,
) -> Built {
    let start = Instant::now();
    let recipe = recipe(plan, &tree.path, k, options, found);
    let stamp = stamp(&recipe.key, identity);
    let failed = |log: String, command: String| Built {
        duration: start.elapsed(),
        command,
        outcome: Err(log),
    };
    if let Err(log) = configure(&recipe, &stamp, (tree, k), env) {
        return failed(log, olddefconfig(recipe.base).display());
    }
    let Recipe {
        fragment,
        dir,
        base,
        ..
    } = recipe;
    let spec = image(base, k, plan.jobs);
    let mut compiled = 0u64;
    let run = spec.stream(&env.vars, &mut |line| {
        // make's quiet lines: `  CC      init/main.o`, `  RUSTC L rust/core.o`.
        let word = line.split_whitespace().next().unwrap_or("");
        if line.starts_with("  ")
            && matches!(
                word,
                "CC" | "RUSTC" | "AS" | "LD" | "AR" | "BINDGEN" | "RUSTDOC"
            )
        {
            compiled += 1;
        }
    });
    match run {
        Ok(done) if done.success => {
            // make runs syncconfig as it builds: a toolchain it finds wanting drops
            // CONFIG_RUST and every Rust suite with it, and the kernel still builds.
            let dotconfig = std::fs::read_to_string(dir.join(".config")).unwrap_or_default();
            let Sorted { left_out, lost } = sort(tree, k, &fragment, &dotconfig);
            if !lost.is_empty() {
                let _ = std::fs::remove_file(dir.join(MARKER));
                return failed(
                    format!(
                        "the build's configuration lost what it asked for, so its tests would \
                         not run: {} (make's syncconfig drops CONFIG_RUST when the toolchain \
                         it finds is not the one checked; fix: bele setup --kernel --tree {})",
                        lost.join(", "),
                        tree.path.display()
                    ),
                    spec.display(),
                );
            }
            Built {
                duration: start.elapsed(),
                command: spec.display(),
                outcome: Ok(Image {
                    path: dir.join(&k.image),
                    compiled,
                    left_out: plan.left_out.iter().cloned().chain(left_out).collect(),
                }),
            }
        }
        Ok(done) => {
            let log = match first_error(&done.stderr_tail) {
                Some(first) => format!(
                    "{first}\n...\n{}",
                    crate::util::process::tail(&done.stderr_tail, 30)
                ),
                None => crate::util::process::tail(&done.stderr_tail, 40),
            };
            failed(log, spec.display())
        }
        Err(e) => failed(e.to_string(), spec.display()),
    }
}

/// Writes the fragment as `.config` and completes it, unless the directory already holds
/// this configuration (then make decides what to rebuild, and a run with nothing changed
/// rebuilds nothing). `Err` is the log for the build failure: what the configuration lost,
/// and for Rust the kernel's own explanation.
fn configure(
    recipe: &Recipe,
    stamp: &str,
    (tree, k): (&Tree, &KernelTarget),
    env: &HostEnv,
) -> Result<(), String> {
    let (dir, fragment, base) = (&recipe.dir, recipe.fragment.as_str(), &recipe.base);
    let marker = dir.join(MARKER);
    if dir.join(".config").is_file() && std::fs::read_to_string(&marker).is_ok_and(|m| m == stamp) {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(dir.join(".config"), fragment)
        .map_err(|e| format!("cannot write {}/.config: {e}", dir.display()))?;
    let spec = olddefconfig(base.clone());
    let out = spec.output(&env.vars).map_err(|e| e.to_string())?;
    if !out.success {
        return Err(format!(
            "`{}` failed:\n{}{}",
            spec.display(),
            out.stdout,
            out.stderr
        ));
    }
    let dotconfig = std::fs::read_to_string(dir.join(".config")).unwrap_or_default();
    let lost = sort(tree, k, fragment, &dotconfig).lost;
    if !lost.is_empty() {
        let mut log = format!(
            "the configuration lost what it asked for (a dependency is not set): {}",
            lost.join(", ")
        );
        let kasan_by_gcc = !recipe.clang
            && (requested(fragment).iter()).any(|(n, v)| n == "CONFIG_KASAN" && v == "y");
        if kasan_by_gcc && lost.iter().any(|l| l.starts_with("CONFIG_RUST=")) {
            log.push_str(
                "\nThe kernel gives Rust KASAN only with clang (init/Kconfig: RUST depends on \
                 !KASAN || CC_IS_CLANG): use --kasan, which builds with LLVM, instead of \
                 CONFIG_KASAN=y",
            );
        } else if lost.iter().any(|l| l.starts_with("CONFIG_RUST=")) {
            let why = rustavailable(base.clone())
                .output(&env.vars)
                .map(|o| format!("{}{}", o.stdout, o.stderr))
                .unwrap_or_default();
            log.push_str(&format!(
                "\nRust is not available for this build; `make rustavailable` says:\n{}\n(fix: bele setup --kernel --tree {})",
                crate::util::process::tail(&why, 12),
                tree.path.display()
            ));
        }
        return Err(log);
    }
    std::fs::write(&marker, stamp).map_err(|e| format!("cannot write {}: {e}", marker.display()))
}

/// The options of `fragment` that `.config` lacks, sorted: left out where the tree gates
/// them on an architecture, else lost. bele's own, the target's and KASAN (a kernel asked
/// for with KASAN and built without it would pass for one) are never left out.
fn sort(tree: &Tree, k: &KernelTarget, fragment: &str, dotconfig: &str) -> Sorted {
    let unmet = unmet(fragment, dotconfig);
    if unmet.is_empty() {
        return Sorted::default();
    }
    let essential: Vec<String> = ["CONFIG_KUNIT", "CONFIG_RUST", "CONFIG_KASAN"]
        .into_iter()
        .map(String::from)
        .chain(
            k.kconfig
                .iter()
                .map(|l| l.split('=').next().unwrap_or(l).to_string()),
        )
        .collect();
    let kconfig = tree.kconfig();
    let arch = kconfig.arch_symbols();
    sort_unmet(&unmet, &essential, dotconfig, &|s| kconfig.gate(s), &|s| {
        arch.binary_search_by(|a| a.as_str().cmp(s)).is_ok()
    })
}

/// The file in a kernel build directory that says what it was configured with.
const MARKER: &str = ".bele-fragment";

/// What a build directory's marker holds: the fragment, then the tree's version and the
/// toolchain (`identity`) as comment lines. A build directory is configured again when it
/// changes, so a newer tree at the same path or another rustc, bindgen or libclang never
/// reuses a configuration made for another.
pub fn stamp(fragment: &str, identity: &str) -> String {
    let mut out = fragment.to_string();
    for line in identity.lines() {
        out.push_str(&format!("# bele: {line}\n"));
    }
    out
}

/// What every boot of a run shares.
pub(super) struct Booting<'r> {
    pub(super) plan: &'r KernelPlan<'r>,
    pub(super) tree: &'r Tree,
    pub(super) env: &'r HostEnv,
    pub(super) cancel: &'r AtomicBool,
}

/// Boots a built kernel (or records the failed build) and fills in the target's results.
fn finish_target(
    run: &Booting<'_>,
    (t, k): (&mut TargetResult, &KernelTarget),
    built: Built,
    reporter: &mut dyn Reporter,
) {
    let cancel = run.cancel;
    let Built {
        duration,
        command,
        outcome,
    } = built;
    // Ctrl-C reaches make too: a build it cut short did not fail.
    if outcome.is_err() && cancel.load(Ordering::Relaxed) {
        t.status = TargetStatus::Interrupted;
        t.reason = Some("the run was interrupted during this kernel's build".into());
        return;
    }
    let (compiled, left_out) = match &outcome {
        Ok(i) => (i.compiled, i.left_out.clone()),
        Err(_) => (0, Vec::new()),
    };
    t.build = Some(BuildInfo {
        duration_ms: millis(duration),
        std_ms: None,
        std_note: None,
        compiled,
        success: outcome.is_ok(),
        log_tail: outcome.as_ref().err().cloned(),
        command,
        failed_crates: Vec::new(),
        left_out,
    });
    reporter.event(&Event::BuildFinished {
        triple: &t.triple,
        success: outcome.is_ok(),
        duration,
        std_duration: None,
        binaries: None,
        doc_tests: 0,
    });
    let Ok(Image { path: image, .. }) = outcome else {
        t.status = TargetStatus::BuildFailed;
        t.reason = Some("the kernel failed to build".into());
        return;
    };
    boot_target(run, (t, k), &image, reporter);
}

/// Boots a built kernel as the plan's mode says (once, a listing, or once per suite or
/// test) and fills in the target's tests, console and status.
fn boot_target(
    run: &Booting<'_>,
    (t, k): (&mut TargetResult, &KernelTarget),
    image: &Path,
    reporter: &mut dyn Reporter,
) {
    let Booting {
        plan,
        tree,
        env,
        cancel,
    } = *run;
    t.qemu_version = (k.qemu.as_deref()).and_then(|q| bele_qemu::query_version(q, &env.vars));
    let boot =
        |glob: Option<&str>, action: Option<&str>| boot_once(run, k, image, (glob, action), None);
    let started = Instant::now();
    let glob = plan.filter_glob.as_deref();
    let mut all_lines: Vec<String> = Vec::new();
    let mut interrupted = false;
    let mut listed = Vec::new();
    let globs: Vec<String> = match plan.mode {
        BootMode::Once => vec![glob.unwrap_or("").to_string()],
        BootMode::List | BootMode::Isolated(_) => {
            let (lines, end) = boot(glob, Some("list"));
            listed = super::ktap::listed_tests(&lines.join("\n"));
            interrupted = end == BootEnd::Interrupted;
            all_lines.extend(lines);
            match plan.mode {
                BootMode::Isolated(how) if !interrupted => isolated_globs(&listed, glob, how),
                _ => {
                    t.binaries = listed_binaries(&listed, image, &tree.path);
                    Vec::new()
                }
            }
        }
    };
    for g in &globs {
        if cancel.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        let (lines, end) = boot((!g.is_empty()).then_some(g.as_str()), None);
        let console = super::ktap::parse(&lines.join("\n"));
        let found = binaries(&console, &lines, &end, image, &tree.path);
        for b in &found {
            for r in &b.tests {
                reporter.event(&Event::TestFinished {
                    triple: &t.triple,
                    binary: &b.id,
                    result: r,
                });
            }
        }
        // A suite booted once per test is still one suite.
        for b in found {
            match t.binaries.iter_mut().find(|x| x.id == b.id) {
                Some(x) => {
                    x.tests.extend(b.tests);
                    x.error = x.error.take().or(b.error);
                }
                None => t.binaries.push(b),
            }
        }
        all_lines.extend(lines);
        interrupted |= end == BootEnd::Interrupted;
    }
    // A test cut off before its name is named from the kernel's own listing of its tests
    // (listed now, one short boot, if the run did not list them).
    let cut_off = |t: &TargetResult| {
        (t.binaries.iter()).any(|b| b.tests.iter().any(|r| r.name.starts_with("(test ")))
    };
    if cut_off(t) && !interrupted && !cancel.load(Ordering::Relaxed) {
        if listed.is_empty() {
            let (lines, _) = boot(glob, Some("list"));
            listed = super::ktap::listed_tests(&lines.join("\n"));
            all_lines.extend(lines);
        }
        super::results::name_from_listing(&mut t.binaries, &listed);
    }
    // The whole console, kept beside the results: what KTAP does not say (the boot, an
    // oops's registers) is often what explains a crash.
    let file = console_file(&plan.out, &t.triple);
    let written = crate::util::atomic::write(&file, None, |w| {
        all_lines.iter().try_for_each(|l| writeln!(w, "{l}"))
    });
    t.console = written.is_ok().then_some(file);
    t.run_ms = Some(millis(started.elapsed()));
    t.status = if interrupted {
        TargetStatus::Interrupted
    } else {
        TargetStatus::Ran
    };
}

/// Boots `image` of target `k` once, under `qemu` when given (else the row's), with the
/// filter glob and `kunit.action`, and reads its console to its end.
pub(super) fn boot_once(
    run: &Booting<'_>,
    k: &KernelTarget,
    image: &Path,
    (glob, action): (Option<&str>, Option<&str>),
    qemu: Option<String>,
) -> (Vec<String>, BootEnd) {
    let boot = bele_qemu::Boot {
        qemu: qemu.or_else(|| k.qemu.clone()),
        machine: (k.qemu_args.iter().chain(&run.plan.qemu_args))
            .cloned()
            .collect(),
        kernel: image.to_path_buf(),
        append: command_line(k, run.plan, glob, action),
    };
    boot_and_read(
        &boot.invocation(&run.tree.path, &run.env.vars),
        run.plan.timeout,
        run.cancel,
    )
}

/// How a target's kernel is booted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootMode {
    /// Once, every selected test in one boot.
    Once,
    /// Once with `kunit.action=list`: the tests are named, none runs (`--list-tests`).
    List,
    /// Listed first, then one boot per suite or per test (`--run-isolated`), so a crash
    /// costs that suite or test only.
    Isolated(Isolate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolate {
    Suite,
    Test,
}

/// The filter glob of each isolated boot: each suite (`suite.<the user's test glob>`) or
/// each test (`suite.test`), in the order the kernel listed them.
pub fn isolated_globs(
    listed: &[(String, String)],
    user: Option<&str>,
    how: Isolate,
) -> Vec<String> {
    let test_part = user.and_then(|g| g.split_once('.')).map(|(_, t)| t);
    let mut out: Vec<String> = Vec::new();
    for (suite, test) in listed {
        let glob = match how {
            Isolate::Suite => match test_part {
                Some(t) => format!("{suite}.{t}"),
                None => suite.clone(),
            },
            Isolate::Test => format!("{suite}.{test}"),
        };
        if !out.contains(&glob) {
            out.push(glob);
        }
    }
    out
}

/// A listing as results: each suite an executable whose tests are named and not run.
fn listed_binaries(listed: &[(String, String)], image: &Path, tree: &Path) -> Vec<BinaryResult> {
    let mut out: Vec<BinaryResult> = Vec::new();
    for (suite, test) in listed {
        if out.last().is_none_or(|b| b.id != *suite) {
            out.push(BinaryResult {
                id: suite.clone(),
                executable: image.to_path_buf(),
                cwd: tree.to_path_buf(),
                error: None,
                doc: None,
                started_ms: 0,
                duration_ms: 0,
                tests: Vec::new(),
                probe_problems: Vec::new(),
                unattributed_records: 0,
            });
        }
        if let Some(b) = out.last_mut() {
            b.tests
                .push(TestResult::new(test.clone(), Outcome::NotRun, 0));
        }
    }
    out
}

/// The kernel command line: KUnit on, its console, an exit when the tests are done or the
/// kernel panics (under QEMU `panic=-1` reboots at once, which `-no-reboot` turns into QEMU
/// exiting, so a panic ends the boot instead of waiting for the timeout; UML halts, since a
/// reboot runs it again, and exits on a panic by itself), the filter and KUnit's action
/// (`list`), then the user's arguments (later ones win).
pub fn command_line(
    k: &KernelTarget,
    plan: &KernelPlan<'_>,
    glob: Option<&str>,
    action: Option<&str>,
) -> String {
    let end = match k.qemu {
        Some(_) => "kunit_shutdown=reboot panic=-1",
        None => "kunit_shutdown=halt",
    };
    let mut line = format!("kunit.enable=1 console={} {end}", k.console);
    if let Some(glob) = glob {
        line.push_str(&format!(" kunit.filter_glob={glob}"));
    }
    if let Some(action) = action {
        line.push_str(&format!(" kunit.action={action}"));
    }
    for a in &plan.kernel_args {
        line.push(' ');
        line.push_str(a);
    }
    line
}

/// Where a target's console is kept: `<results>.consoles/<target>.log` beside the results
/// file.
pub fn console_file(out: &Path, triple: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map_or_else(|| "results".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}.consoles"))
        .join(format!("{triple}.log"))
}

/// Most console lines kept of one boot (KTAP of thousands of tests is far less).
const CONSOLE_LINES: usize = 1_000_000;

/// Boots `inv` and reads its console to its end: killed after `timeout`, or at once when
/// the run is interrupted (a hung kernel does not keep Ctrl-C waiting).
fn boot_and_read(
    inv: &bele_qemu::Invocation,
    timeout: Duration,
    cancel: &AtomicBool,
) -> (Vec<String>, BootEnd) {
    let mut lines = Vec::new();
    let mut process = match bele_qemu::Process::spawn(inv) {
        Ok(p) => p,
        Err(e) => return (lines, BootEnd::NotStarted(e.to_string())),
    };
    let deadline = Instant::now().checked_add(timeout);
    let end = loop {
        if cancel.load(Ordering::Relaxed) {
            process.kill_tree();
            break BootEnd::Interrupted;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            process.kill_tree();
            break BootEnd::TimedOut {
                secs: timeout.as_secs(),
            };
        }
        match process.next_line(Duration::from_millis(200)) {
            bele_qemu::Next::Line(line) if lines.len() < CONSOLE_LINES => lines.push(line.text),
            bele_qemu::Next::Line(_) | bele_qemu::Next::Idle => {}
            bele_qemu::Next::Closed => break BootEnd::Exited,
        }
    };
    process.wait();
    (lines, end)
}

fn new_results(plan: &KernelPlan<'_>, tree: &Tree, found: &Found) -> RunResults {
    super::results::kernel_run(
        plan.run_id.clone(),
        crate::host::this_host(&found.host),
        found.rustc.clone(),
        KernelInfo {
            tree: tree.path.clone(),
            version: tree.version.clone(),
            kunitconfigs: plan.kunitconfigs.iter().map(|(p, _)| p.clone()).collect(),
            kernel_args: plan.kernel_args.clone(),
            qemu_args: plan.qemu_args.clone(),
            make_options: plan.make_options.clone(),
            kconfig_add: plan.kconfig_add.clone(),
            kasan: plan.kasan,
            qemu: plan.qemu.clone(),
            suites: plan.suites.iter().map(|(n, _)| n.clone()).collect(),
            filter_globs: plan.filter_glob.iter().cloned().collect(),
        },
        (plan.timeout.as_secs(), plan.jobs),
    )
}

fn save(results: &RunResults, out: &Path, reporter: &mut dyn Reporter) -> anyhow::Result<()> {
    Ok(crate::report::save(results, out, reporter)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An isolated run boots each suite, or each test, the kernel listed, once each and in
    /// order; a suite keeps the test part of the user's glob.
    #[test]
    fn isolated_boots_are_one_per_suite_or_test() {
        let listed: Vec<(String, String)> = [("a", "x"), ("a", "y"), ("b", "x")]
            .map(|(s, t)| (s.to_string(), t.to_string()))
            .to_vec();
        assert_eq!(isolated_globs(&listed, None, Isolate::Suite), ["a", "b"]);
        assert_eq!(
            isolated_globs(&listed, Some("*.x"), Isolate::Suite),
            ["a.x", "b.x"]
        );
        assert_eq!(
            isolated_globs(&listed, None, Isolate::Test),
            ["a.x", "a.y", "b.x"]
        );
        let bins = listed_binaries(&listed, Path::new("/k"), Path::new("/t"));
        assert_eq!(bins.len(), 2);
        assert_eq!(bins[0].tests.len(), 2);
        assert!(bins
            .iter()
            .flat_map(|b| &b.tests)
            .all(|t| t.outcome == Outcome::NotRun));
    }

    #[test]
    fn consoles_are_kept_beside_the_results() {
        assert_eq!(
            console_file(Path::new("/r/20261205-1.json"), "s390x-linux-kernel"),
            Path::new("/r/20261205-1.consoles/s390x-linux-kernel.log")
        );
    }

    /// A plan for `k` with nothing of the user's.
    fn test_plan<'t>(users: &'t Table, k: &'t KernelTarget) -> KernelPlan<'t> {
        KernelPlan {
            tree: "/t".into(),
            targets: vec![k],
            users,
            suites: Vec::new(),
            kunitconfigs: Vec::new(),
            left_out: Vec::new(),
            filter_glob: None,
            kernel_args: Vec::new(),
            qemu_args: Vec::new(),
            make_options: Vec::new(),
            mode: BootMode::Once,
            kconfig_add: Vec::new(),
            kasan: false,
            qemu: None,
            build_dir: None,
            timeout: Duration::from_secs(1),
            jobs: 1,
            builders: 1,
            cache: "/c".into(),
            run_id: "r".into(),
            out: "/o".into(),
        }
    }

    /// `--kasan` builds with the LLVM found (first on make's line, before the user's
    /// options), adds KASAN after the user's lines, and builds in a directory of its own.
    #[test]
    fn a_kasan_build_is_a_clang_build_of_its_own() {
        let users = Table::builtin();
        let kernels = bele_targets::KernelTable::builtin();
        let k = kernels.get("s390x").unwrap();
        let found = Found {
            llvm: Some("-19".into()),
            ..Found::default()
        };
        let options = ["CONFIG_KUNIT=y".to_string(), "CONFIG_RUST=y".to_string()];
        let user = KernelPlan {
            kconfig_add: vec!["CONFIG_KASAN=n".into()],
            make_options: vec!["W=1".into()],
            ..test_plan(&users, k)
        };
        let plain = recipe(&user, Path::new("/t"), k, &options, &found);
        let kasan = recipe(
            &KernelPlan {
                kasan: true,
                ..user.clone()
            },
            Path::new("/t"),
            k,
            &options,
            &found,
        );
        assert!(
            !plain.base.display().contains("LLVM"),
            "{}",
            plain.base.display()
        );
        assert!(
            kasan.base.display().contains(" LLVM=-19 W=1"),
            "{}",
            kasan.base.display()
        );
        assert!(kasan.fragment.ends_with(KASAN), "{}", kasan.fragment);
        let asked = super::super::build::requested;
        let kasan_asked = (asked(&kasan.fragment).into_iter()).find(|(n, _)| n == "CONFIG_KASAN");
        assert_eq!(kasan_asked, Some(("CONFIG_KASAN".into(), "y".into())));
        assert!(kasan.clang && !plain.clang);
        assert_ne!(plain.dir, kasan.dir);
        assert!(
            kasan.key.ends_with("# make LLVM=-19 W=1\n"),
            "{}",
            kasan.key
        );
    }

    /// bele's arguments come first, so the user's win: `panic=0` keeps a panicked kernel
    /// waiting, `kunit.filter_glob=` overrides the filter.
    #[test]
    fn the_command_line_ends_a_panicked_boot_and_puts_the_users_arguments_last() {
        let users = Table::builtin();
        let kernels = bele_targets::KernelTable::builtin();
        let k = kernels.get("s390x").unwrap();
        let plan = KernelPlan {
            filter_glob: Some("rust_*".into()),
            kernel_args: vec!["oops=panic".into(), "panic=0".into()],
            ..test_plan(&users, k)
        };
        assert_eq!(
            command_line(k, &plan, plan.filter_glob.as_deref(), None),
            "kunit.enable=1 console=ttyS0 kunit_shutdown=reboot panic=-1 \
             kunit.filter_glob=rust_* oops=panic panic=0"
        );
        // UML halts (a reboot would run it again) and exits on a panic by itself.
        let um = kernels.get("um").unwrap();
        assert_eq!(
            command_line(um, &plan, None, Some("list")),
            "kunit.enable=1 console=tty kunit_shutdown=halt kunit.action=list oops=panic panic=0"
        );
    }

    /// The marker holds the fragment and what the build was configured with: another
    /// tree version or rustc changes it, so the directory is configured again.
    #[test]
    fn a_build_directory_is_configured_again_for_another_tree_or_toolchain() {
        let fragment = "CONFIG_KUNIT=y\nCONFIG_RUST=y\n";
        let a = stamp(
            fragment,
            "Linux 7.2.1\nrustc 1.95.0 (59807616e 2026-04-14)\nlibclang /usr/lib\n",
        );
        assert!(a.starts_with(fragment), "{a}");
        assert!(
            a.contains("# bele: Linux 7.2.1\n# bele: rustc 1.95.0"),
            "{a}"
        );
        let newer_tree = stamp(
            fragment,
            "Linux 7.2.3\nrustc 1.95.0 (59807616e 2026-04-14)\nlibclang /usr/lib\n",
        );
        let other_rustc = stamp(
            fragment,
            "Linux 7.2.1\nrustc 1.96.0 (a 2026-05-28)\nlibclang /usr/lib\n",
        );
        assert_ne!(a, newer_tree);
        assert_ne!(a, other_rustc);
        // Still a fragment: what it asks for reads the same.
        let asked = super::super::build::requested;
        assert_eq!(asked(&a), asked(fragment));
    }
}
