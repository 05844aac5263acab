//! Before the first build: targets checked against this machine, their tools prepared,
//! std put in bele's cache ahead of the builds, facts asked beside them.

use std::collections::BTreeSet;
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
use crate::plan::Plan;
use crate::report::events::{Event, Reporter};
use crate::util::env::HostEnv;

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
    // The workspace's dependency graph, asked once and only if a target has workarounds.
    let mut graph: Option<Option<BTreeSet<String>>> = None;
    for check in doctor::check(&plan.targets, toolchain, env) {
        let t = check.target;
        let runner = if check.native {
            Runner::Native
        } else {
            Runner::Qemu {
                binary: t.qemu.clone(),
                sysroot: t.qemu_sysroot().map(Path::to_path_buf),
            }
        };
        let label = if check.native {
            RunnerName::Native
        } else {
            RunnerName::Emulator(t.qemu.clone())
        };
        let mut tr = TargetResult::new(t, label, runner.prefix());
        let tools = match check.reason() {
            Some(reason) => Err(reason),
            None => prepare(&check, plan, results.host.cpus),
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
                if !t.crate_flags.is_empty() {
                    let graph =
                        graph.get_or_insert_with(|| plan.workspace.dependency_names(env).ok());
                    tools.crate_flags = crate_flags(t, graph.as_ref());
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

/// The flags of `t`'s crate workarounds whose crate is in `graph` (all of them when the
/// graph is unknown: they are `--cfg`s a graph without the crate never reads).
pub(super) fn crate_flags(t: &Target, graph: Option<&BTreeSet<String>>) -> Vec<String> {
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
            Some(crate::host::zig::wrappers(zig, zig_target).map_err(|e| {
                format!("cannot write zig's wrappers beside {}: {e}", zig.display())
            })?)
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
        builder: Builder::of(&t.triple, plan.builders, cpus),
    })
}
