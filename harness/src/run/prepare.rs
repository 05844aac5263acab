//! Before the first build: targets checked against this machine, their tools prepared,
//! std put in bele's cache ahead of the builds, facts asked beside them.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use bele_qemu::Runner;
use bele_targets::{LinkRoute, Target};

use crate::build::{Builder, TargetTools};
use crate::execute::ExecConfig;
use crate::host::doctor;
use crate::host::toolchain::{StdAvailability, ToolchainInfo};
use crate::model::*;
use crate::plan::workspace::Packages;
use crate::plan::Plan;
use crate::report::events::{Event, Reporter};
use crate::util::env::HostEnv;
use cargo_metadata::semver;

use super::*;

/// Checks every target on this machine and prepares the ready ones (runner, environment,
/// probe directory, derived spec, zig wrappers, std cache entry); the others are recorded
/// unavailable with the reason.
pub(super) fn prepare_targets(
    plan: &Plan<'_>,
    toolchain: &ToolchainInfo,
    env: &HostEnv,
    probe_root: &Path,
    results: &mut RunResults,
    reporter: &mut dyn Reporter,
) -> Result<PerTarget<Ready>, ResultsError> {
    let mut ready = Vec::new();
    // The user's workspace wrapper, which bele's recording wrapper must still run: from the
    // environment, else their cargo configuration (asked once, only when recording).
    let user_wrapper = match env.get("RUSTC_WORKSPACE_WRAPPER").filter(|w| !w.is_empty()) {
        Some(w) => Some(w.to_string()),
        None if plan.layouts => plan.workspace.configured_wrapper(env),
        None => None,
    };
    let rustc = rustc_version(&results.toolchain.rustc);
    for check in doctor::check(&plan.targets, toolchain, env) {
        let t = check.target;
        // `--qemu DIR`: that directory's executable, named in full so the results and the
        // replay lines say which QEMU ran.
        let qemu = match &plan.qemu {
            Some(dir) => dir.join(&t.qemu).display().to_string(),
            None => t.qemu.clone(),
        };
        let runner = if check.native {
            Runner::Native
        } else {
            Runner::Qemu {
                binary: qemu.clone(),
                sysroot: t.qemu_sysroot().map(Path::to_path_buf),
            }
        };
        let label = if check.native {
            RunnerName::Native
        } else {
            RunnerName::Emulator(qemu)
        };
        let mut tr = TargetResult::new(t, label, runner.prefix());
        let missing_qemu = (plan.qemu.as_ref())
            .filter(|dir| !check.native && !dir.join(&t.qemu).is_file())
            .map(|dir| format!("--qemu {} has no {}", dir.display(), t.qemu));
        let tools = match check.reason().or(missing_qemu) {
            Some(reason) => Err(reason),
            None => prepare(&check, plan, results.host.cpus, env).map(|tools| TargetTools {
                user_wrapper: user_wrapper.clone(),
                ..tools
            }),
        };
        match tools {
            Err(reason) => {
                tr.status = TargetStatus::Unavailable;
                tr.reason = Some(reason);
                reporter.event(&Event::TargetUnavailable {
                    triple: &t.triple,
                    reason: tr.reason.as_deref().unwrap_or_default(),
                });
                ready.push(None);
            }
            Ok(mut tools) => {
                // A ready target's std is prebuilt or built with the crate (a cache hit is said
                // when the build reports it).
                tr.std = Some(if check.std == StdAvailability::Prebuilt {
                    StdUsed::Prebuilt
                } else {
                    StdUsed::BuildStd
                });
                let probe_dir = plan.probes.then(|| probe_root.join(&t.triple));
                if let Some(dir) = &probe_dir {
                    std::fs::create_dir_all(dir).map_err(|source| ResultsError::Io {
                        file: dir.display().to_string(),
                        source,
                    })?;
                }
                let exec = ExecConfig {
                    runner,
                    timeout: plan.timeout,
                    slow: plan.slow,
                    test_threads: plan.test_threads,
                    env: env.without(&[
                        "RUSTC_BOOTSTRAP",
                        "PROPTEST_RNG_SEED",
                        "PROPTEST_RNG_ALGORITHM",
                        crate::execute::probe_file::ENV,
                    ]),
                    seed: plan.seed,
                    probe_dir,
                    filter: plan.filter.clone(),
                };
                // What this target's test executables link, asked only where the table has
                // workarounds or known faults for it.
                if !t.crate_flags.is_empty() || !t.known_faults.is_empty() {
                    let platform = (tools.spec_file.as_ref())
                        .map_or(t.triple.clone(), |f| f.display().to_string());
                    let graph = (plan.workspace)
                        .linked_graph(&plan.selection, &platform, env)
                        .ok();
                    tools.crate_flags = crate_flags(t, graph.as_ref());
                    tr.known_faults = known_faults(t, graph.as_ref(), rustc.as_ref());
                }
                ready.push(Some((exec, tools)));
            }
        }
        results.targets.push(tr);
    }
    Ok(PerTarget::new(ready))
}

/// The emulators of the ready targets, by target index.
pub(super) fn emulators(
    results: &RunResults,
    ready: &PerTarget<Ready>,
) -> Vec<(TargetIdx, String)> {
    (ready.iter().filter(|(_, r)| r.is_some()))
        .filter_map(|(idx, _)| match &results.targets[idx.get()].runner {
            RunnerName::Emulator(binary) => Some((idx, binary.clone())),
            RunnerName::Native => None,
        })
        .collect()
}

/// Asks the workspace's commit and every emulator its version, all at once and beside the
/// builds: only reports show them.
pub(super) fn facts(
    emulators: Vec<(TargetIdx, String)>,
    root: &Path,
    env: &HostEnv,
    msg_tx: &mpsc::Sender<Msg>,
) {
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let _ = msg_tx.send(Msg::Commit(crate::plan::workspace::git_commit(root, env)));
        });
        for (idx, qemu) in emulators {
            scope.spawn(move || {
                let version = bele_qemu::query_version(&qemu, &env.vars);
                let _ = msg_tx.send(Msg::QemuVersion { idx, version });
            });
        }
    });
}

/// Builds the std of build-std targets into bele's std cache ahead of the builder, one at a
/// time in build order, while the builder works on the targets before them (`build_order`
/// puts those with std at hand first): cargo leaves cores idle while it links and while
/// tests run.
pub(super) fn std_ahead(
    ready: &PerTarget<Ready>,
    order: &[TargetIdx],
    plan: &Plan<'_>,
    env: &HostEnv,
    cancel: &AtomicBool,
    std_built: &Mutex<PerTarget<Option<StdBuild>>>,
) {
    for &idx in order {
        let (target, Some((_, tools))) = (plan.targets[idx.get()], &ready[idx]) else {
            continue;
        };
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        if let Some(cache) = tools.std_cache.as_ref().filter(|c| !c.is_ready()) {
            let built = std_build(cache, target, env);
            if let Ok(mut done) = std_built.lock() {
                done[idx] = Some(built);
            }
        }
    }
}

pub(super) fn exec_configs(ready: &PerTarget<Ready>) -> Vec<Option<&ExecConfig>> {
    (ready.values().iter())
        .map(|c| c.as_ref().map(|(e, _)| e))
        .collect()
}

/// `tools` with the target's std from bele's std cache, built there first if need be: how
/// long that took, or why the cache could not be used (the build falls back to
/// `-Zbuild-std`).
pub(super) fn with_cached_std(
    tools: &TargetTools,
    target: &Target,
    env: &HostEnv,
) -> (TargetTools, StdBuild) {
    let mut tools = tools.clone();
    let Some(cache) = &tools.std_cache else {
        return (tools, StdBuild::default());
    };
    let built = std_build(cache, target, env);
    if built.cached {
        tools.sysroot = Some(cache.sysroot());
    }
    (tools, built)
}

/// `cache` built unless it is in place, as what became of it.
pub(super) fn std_build(
    cache: &crate::host::stdcache::CachedStd,
    target: &Target,
    env: &HostEnv,
) -> StdBuild {
    match cache.ensure(target, env) {
        Ok(duration) => StdBuild {
            cached: true,
            duration,
            error: None,
        },
        Err(e) => StdBuild {
            cached: false,
            duration: None,
            error: Some(e),
        },
    }
}

/// What became of a target's std in bele's cache during its build.
#[derive(Debug, Clone, Default)]
pub(crate) struct StdBuild {
    /// The build used the cache's sysroot.
    pub(super) cached: bool,
    /// How long building it took, when it was built now.
    pub(super) duration: Option<Duration>,
    /// Why it could not be built (then `-Zbuild-std` compiled it in the target dir).
    pub(super) error: Option<String>,
}

/// `t`'s known faults that the graph's crate versions (and rustc's) match. None when the
/// graph is unknown.
pub(super) fn known_faults(
    t: &Target,
    graph: Option<&Packages>,
    rustc: Option<&semver::Version>,
) -> Vec<MatchedFault> {
    let Some(graph) = graph else {
        return Vec::new();
    };
    (t.known_faults.iter())
        .flat_map(|f| {
            (graph.versions(&f.name).iter())
                .filter(|v| f.matches(v, rustc))
                .map(move |v| MatchedFault {
                    krate: f.name.clone(),
                    version: v.to_string(),
                    what: f.what.clone(),
                    see: f.see.clone(),
                    control: f.control.clone(),
                    linked_into: None,
                })
        })
        .collect()
}

/// The release `rustc -V` names (`rustc 1.97.0-nightly (...)` is 1.97.0): a nightly or beta
/// has its release's bugs.
pub(super) fn rustc_version(rustc_v: &str) -> Option<semver::Version> {
    let v = rustc_v.split_whitespace().nth(1)?;
    let v = semver::Version::parse(v).ok()?;
    Some(semver::Version::new(v.major, v.minor, v.patch))
}

/// The flags of `t`'s crate workarounds whose crate is in `graph` (all of them when the
/// graph is unknown: they are `--cfg`s a graph without the crate never reads).
pub(super) fn crate_flags(t: &Target, graph: Option<&Packages>) -> Vec<String> {
    (t.crate_flags.iter())
        .filter(|c| graph.is_none_or(|g| g.contains(&c.name)))
        .flat_map(|c| c.rustflags.iter().cloned())
        .collect()
}

/// What a ready target's build needs from this machine and run: its derived spec written,
/// zig's wrappers in place, its builder among `cpus`. `Err` is why the target cannot be used
/// after all.
pub(super) fn prepare(
    check: &doctor::TargetCheck<'_>,
    plan: &Plan<'_>,
    cpus: usize,
    env: &HostEnv,
) -> Result<TargetTools, String> {
    let t = check.target;
    let spec_file = match &check.spec {
        Some(text) => Some(
            crate::host::spec::write(t, text, &plan.workspace.bele_dir().join("specs"))
                .map_err(|e| format!("its target spec cannot be derived: {e}"))?,
        ),
        None => None,
    };
    let zig = match (t.link_route(), &check.zig) {
        (LinkRoute::Zig { zig_target }, Some(zig)) => {
            let w = crate::host::zig::wrappers(zig, zig_target).map_err(|e| {
                format!("cannot write zig's wrappers beside {}: {e}", zig.display())
            })?;
            Some(
                crate::host::zig::with_lfs64(w, zig_target, env).map_err(|e| {
                    format!("cannot compile bele's LFS64 object for {zig_target}: {e}")
                })?,
            )
        }
        _ => None,
    };
    let build_std = check.std == StdAvailability::BuildStd;
    let std_cache = check.std_cache.clone().filter(|_| plan.std_cache);
    Ok(TargetTools {
        native: check.native,
        build_std,
        spec_file,
        zig,
        sysroot: None,
        std_cache,
        crate_flags: Vec::new(),
        // Layouts come from the executables' builds; the wrapper is this bele.
        layouts: (plan.layouts && plan.selection.kinds.executables())
            .then(|| std::env::current_exe().ok())
            .flatten(),
        user_wrapper: None,
        builder: Builder::of(&t.triple, plan.builders, cpus),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The aarch64_be row's known faults as a run would find them: each crate whose version
    /// the table names, with the control version; none for crates not in the graph, none
    /// for a version outside the faulty ones.
    #[test]
    fn known_faults_follow_the_graph() {
        let table = bele_targets::Table::builtin();
        let be = table.get("aarch64_be-unknown-linux-musl").unwrap();
        let graph = Packages::of(&[
            ("memchr", "2.8.3"),
            ("crc32fast", "1.5.5"),
            ("regex", "1.13.2"),
        ]);
        let stable = rustc_version("rustc 1.95.0 (59807616e 2026-04-14)");
        let found = known_faults(be, Some(&graph), stable.as_ref());
        let names: Vec<(String, Option<&str>)> = (found.iter())
            .map(|f| (f.name(), f.control.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("memchr 2.8.3".to_string(), Some("2.5.0")),
                ("crc32fast 1.5.5".to_string(), Some("1.4.2"))
            ]
        );
        assert!(
            found[0]
                .line()
                .starts_with("memchr 2.8.3: its NEON searches"),
            "{}",
            found[0].line()
        );
        let old = Packages::of(&[("memchr", "2.5.0"), ("crc32fast", "1.4.2")]);
        assert!(known_faults(be, Some(&old), stable.as_ref()).is_empty());
        assert!(known_faults(be, None, None).is_empty());
        let x86 = table.get("x86_64-unknown-linux-gnu").unwrap();
        assert!(known_faults(x86, Some(&graph), None).is_empty());
        assert_eq!(rustc_version("rustc"), None);
    }
}
