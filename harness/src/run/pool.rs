//! Builders and workers: cargo builds in order, each delivering its test executables as
//! work to the workers that run them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Instant;

use crate::build::{self, TestBinary};
use crate::execute::{self, TestEvent};
use crate::plan::Plan;
use crate::util::env::HostEnv;

use super::*;

/// A builder: one cargo at a time, its targets in build order. Each build's
/// test executables (and doc-tests) go to the workers as soon as it ends.
#[allow(clippy::too_many_arguments)]
pub(super) fn build_queue(
    plan: &Plan<'_>,
    ready: &PerTarget<Ready>,
    order: &[TargetIdx],
    env: &HostEnv,
    cancel: &AtomicBool,
    std_built: &Mutex<PerTarget<Option<StdBuild>>>,
    msg_tx: &mpsc::Sender<Msg>,
    work_tx: mpsc::Sender<(TargetIdx, TestBinary)>,
) {
    for &idx in order {
        let (target, Some((exec, tools))) = (plan.targets[idx.get()], &ready[idx]) else {
            continue;
        };
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let _ = msg_tx.send(Msg::BuildStarted(idx));
        // Waits for `std_ahead` if it is building this target's std right now.
        let (tools, mut std) = with_cached_std(tools, target, env);
        if let Some(ahead) = std_built.lock().ok().and_then(|mut d| d[idx].take()) {
            std.duration = std.duration.or(ahead.duration);
            std.error = std.error.or(ahead.error);
        }
        let spec = build::cargo_command(&plan.workspace, &plan.selection, target, &tools, env);
        let command = spec.display();
        let bele_dir = plan.workspace.bele_dir();
        let layouts_dir = (tools.layouts.as_ref()).map(|_| tools.builder.layouts_dir(&bele_dir));
        let mut outcome = build::build(&spec, &plan.workspace, env);
        // The records of the selected packages' crates this build made or kept. cargo hashes
        // the wrapper into a unit, so a crate built before without it is built again now.
        // One built under it whose record is gone since is fresh to cargo: once, its
        // fingerprint goes and the build runs again. One whose record could not be made
        // (its marker says so) is named, and not built again.
        let mut layouts = None;
        if let (Ok(built), Some(dir)) = (&outcome, &layouts_dir) {
            let files: Vec<String> = (built.layout_records.iter())
                .filter(|(pkg, _)| plan.selection.packages.contains(pkg))
                .map(|(_, file)| file.clone())
                .collect();
            let gone = build::layouts::never_tried(dir, &files);
            let target_dir = tools.builder.target_dir(&bele_dir);
            if !gone.is_empty() && build::layouts::forget(&target_dir, &gone) > 0 {
                let duration = built.duration;
                outcome = build::build(&spec, &plan.workspace, env).map(|mut again| {
                    again.duration += duration;
                    again
                });
            }
            layouts = Some(build::layouts::collect(dir, &files));
        }
        match outcome {
            Ok(built) => {
                let mut binaries = built.binaries;
                if plan.selection.kinds.doc_tests() {
                    let runner = exec.runner.prefix();
                    binaries.extend(
                        plan.selection
                            .doc_packages
                            .iter()
                            .filter_map(|name| plan.workspace.package(name))
                            .map(|p| {
                                let (ws, sel) = (&plan.workspace, &plan.selection);
                                build::doc_tests(ws, sel, p, target, &tools, env, &runner)
                            }),
                    );
                }
                // `BuildDone` goes first, so the collector knows how many results to expect
                // before any worker can report one.
                let _ = msg_tx.send(Msg::BuildDone(BuildDone {
                    idx,
                    outcome: Ok(binaries.len()),
                    doc_tests: binaries.iter().filter(|b| b.doc.is_some()).count(),
                    duration: built.duration,
                    compiled: built.compiled,
                    std,
                    command,
                    failed_crates: Vec::new(),
                    layouts,
                    interrupted: false,
                }));
                for b in binaries {
                    let _ = work_tx.send((idx, b));
                }
            }
            Err(f) => {
                let _ = msg_tx.send(Msg::BuildDone(BuildDone {
                    idx,
                    outcome: Err(f.log_tail),
                    doc_tests: 0,
                    duration: f.duration,
                    compiled: 0,
                    std,
                    command,
                    failed_crates: f.failed_crates,
                    layouts: None,
                    interrupted: f.interrupted || cancel.load(Ordering::Relaxed),
                }));
            }
        }
    }
    let _ = msg_tx.send(Msg::BuildsDone);
}

/// A worker: takes the next test executable of any built target and runs it to results.
pub(super) fn worker(
    ready: &PerTarget<Ready>,
    work_rx: &Mutex<mpsc::Receiver<(TargetIdx, TestBinary)>>,
    cancel: &AtomicBool,
    msg_tx: &mpsc::Sender<Msg>,
) {
    loop {
        let next = work_rx.lock().map(|rx| rx.recv());
        let Ok(Ok((idx, bin))) = next else { break };
        let Some((cfg, _)) = &ready[idx] else {
            continue;
        };
        let started = Instant::now();
        let (result, sequences) = execute::run_binary(&bin, cfg, cancel, &mut |e| {
            let _ = msg_tx.send(match e {
                TestEvent::Finished(r) => Msg::Test {
                    idx,
                    binary: bin.id.clone(),
                    result: r.clone(),
                },
                TestEvent::Slow { name, elapsed } => Msg::Slow {
                    idx,
                    binary: bin.id.clone(),
                    test: name.to_string(),
                    elapsed,
                },
            });
        });
        let _ = msg_tx.send(Msg::BinaryDone {
            idx,
            result,
            sequences,
            started,
            ended: Instant::now(),
        });
    }
}
