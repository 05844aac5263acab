//! Carrying out a plan: build targets one after another while earlier targets' tests run,
//! collect every result into the results model, and save it after each target.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bele_qemu::Runner;
use bele_targets::{LinkRoute, Target};

use crate::build::{self, TargetTools, TestBinary};
use crate::doctor;
use crate::env::HostEnv;
use crate::execute::{self, ExecConfig, Sequences, TestEvent};
use crate::results::*;
use crate::selection::{Filter, Selection};
use crate::toolchain::{StdAvailability, ToolchainInfo};
use crate::workspace::Workspace;

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
    pub run_id: String,
    pub out: PathBuf,
}

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
        binaries: usize,
        /// Of `binaries`, the packages whose doc-tests run.
        doc_tests: usize,
        log_tail: Option<&'a str>,
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
    Saved {
        path: &'a std::path::Path,
    },
}

/// Consumes events; the terminal and CI reporters implement it.
pub trait Reporter {
    fn event(&mut self, event: &Event<'_>);
}

enum Msg {
    BuildStarted(usize),
    /// A build ended: the number of test executables that follow as work, or the log tail.
    BuildDone {
        idx: usize,
        outcome: Result<usize, String>,
        doc_tests: usize,
        duration: Duration,
        command: String,
    },
    Test {
        idx: usize,
        binary: String,
        result: TestResult,
    },
    Slow {
        idx: usize,
        binary: String,
        test: String,
        elapsed: Duration,
    },
    BinaryDone {
        idx: usize,
        result: BinaryResult,
        sequences: Sequences,
    },
}

/// Runs `plan` and returns the results, which are also saved to `plan.out`.
pub fn run(
    plan: &Plan<'_>,
    toolchain: &ToolchainInfo,
    env: &HostEnv,
    cancel: &AtomicBool,
    reporter: &mut dyn Reporter,
) -> Result<RunResults, ResultsError> {
    let start = Instant::now();
    let checks = doctor::check(&plan.targets, toolchain, env);
    let mut results = RunResults {
        schema_version: SCHEMA_VERSION,
        run_id: plan.run_id.clone(),
        started_at_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        duration_ms: 0,
        state: RunState::InProgress,
        host: Host {
            name: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "localhost".into()),
            triple: toolchain.host.clone(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        },
        toolchain: Toolchain {
            rustc: toolchain.rustc.clone(),
            cargo: toolchain.cargo.clone(),
            sysroot: toolchain.sysroot.clone(),
        },
        workspace: WorkspaceInfo {
            manifest_path: plan.workspace.manifest_path.clone(),
            commit: crate::workspace::git_commit(&plan.workspace.root, env),
            packages: plan.selection.packages.clone(),
            features: plan.selection.features.clone(),
            all_features: plan.selection.all_features,
            no_default_features: plan.selection.no_default_features,
        },
        config: RunConfigInfo {
            seed: plan.seed,
            timeout_secs: plan.timeout.as_secs(),
            jobs: plan.jobs,
            test_threads: plan.test_threads,
            probes: plan.probes,
            kinds: plan.selection.kinds.clone(),
            profile: plan.selection.profile.clone(),
            filter: plan.filter.clone(),
        },
        targets: Vec::new(),
        probe_sequences: Default::default(),
        probe_checks: Vec::new(),
    };
    let probe_root = plan.workspace.bele_dir().join("probes").join(&plan.run_id);
    reporter.event(&Event::Started {
        targets: plan.targets.len(),
    });
    let mut configs: Vec<Option<(ExecConfig, TargetTools)>> = Vec::new();
    for check in &checks {
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
            "native".into()
        } else {
            t.qemu.clone()
        };
        let mut tr = TargetResult::new(t, label, runner.prefix());
        let tools = match check.reason() {
            Some(reason) => Err(reason),
            None => prepare(check, plan),
        };
        if let Err(reason) = &tools {
            tr.status = TargetStatus::Unavailable;
            tr.reason = Some(reason.clone());
            reporter.event(&Event::TargetUnavailable {
                triple: &t.triple,
                reason: tr.reason.as_deref().unwrap_or_default(),
            });
            configs.push(None);
        } else {
            if !check.native {
                tr.qemu_version = bele_qemu::query_version(&t.qemu, &env.vars);
            }
            tr.std = Some(check.std.label().to_string());
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
                    crate::probes::ENV,
                ]),
                seed: plan.seed,
                probe_dir,
                filter: plan.filter.clone(),
            };
            configs.push(tools.ok().map(|tools| (exec, tools)));
        }
        results.targets.push(tr);
    }
    save(&results, plan, reporter)?;

    let (msg_tx, msg_rx) = mpsc::channel::<Msg>();
    let (work_tx, work_rx) = mpsc::channel::<(usize, TestBinary)>();
    let work_rx = Mutex::new(work_rx);
    let mut outstanding: Vec<Option<usize>> = vec![None; plan.targets.len()];

    std::thread::scope(|scope| -> Result<(), ResultsError> {
        // The builder: one cargo at a time (each uses every core), in table order.
        {
            let msg_tx = msg_tx.clone();
            let configs = &configs;
            scope.spawn(move || {
                for (idx, target) in plan.targets.iter().enumerate() {
                    let Some((exec, tools)) = &configs[idx] else {
                        continue;
                    };
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let _ = msg_tx.send(Msg::BuildStarted(idx));
                    let spec =
                        build::cargo_command(&plan.workspace, &plan.selection, target, tools, env);
                    let command = spec.display();
                    match build::build(&spec, &plan.workspace, env) {
                        Ok((mut binaries, duration)) => {
                            if plan.selection.kinds.doc_tests() {
                                let runner = exec.runner.prefix();
                                binaries.extend(
                                    plan.selection
                                        .doc_packages
                                        .iter()
                                        .filter_map(|name| plan.workspace.package(name))
                                        .map(|p| {
                                            build::doc_tests(
                                                &plan.workspace,
                                                &plan.selection,
                                                p,
                                                target,
                                                tools,
                                                env,
                                                &runner,
                                            )
                                        }),
                                );
                            }
                            // `BuildDone` goes first, so the collector knows how many results
                            // to expect before any runner can report one.
                            let outcome = Ok(binaries.len());
                            let doc_tests = binaries.iter().filter(|b| b.doc.is_some()).count();
                            let _ = msg_tx.send(Msg::BuildDone {
                                idx,
                                outcome,
                                doc_tests,
                                duration,
                                command,
                            });
                            for b in binaries {
                                let _ = work_tx.send((idx, b));
                            }
                        }
                        Err(f) => {
                            let outcome = Err(f.log_tail);
                            let duration = f.duration;
                            let _ = msg_tx.send(Msg::BuildDone {
                                idx,
                                outcome,
                                doc_tests: 0,
                                duration,
                                command,
                            });
                        }
                    }
                }
                drop(work_tx);
            });
        }
        // The runners: each takes the next test executable of any built target.
        for _ in 0..plan.jobs.max(1) {
            let msg_tx = msg_tx.clone();
            let work_rx = &work_rx;
            let configs = &configs;
            scope.spawn(move || loop {
                let next = work_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((idx, bin))) = next else { break };
                let Some((cfg, _)) = &configs[idx] else {
                    continue;
                };
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
                });
            });
        }
        drop(msg_tx);

        for msg in msg_rx {
            match msg {
                Msg::BuildStarted(idx) => {
                    let t = &results.targets[idx];
                    reporter.event(&Event::BuildStarted {
                        triple: &t.triple,
                        std: t.std.as_deref().unwrap_or_default(),
                    });
                }
                Msg::BuildDone {
                    idx,
                    outcome,
                    doc_tests,
                    duration,
                    command,
                } => {
                    let t = &mut results.targets[idx];
                    if outcome.is_err() {
                        t.status = TargetStatus::BuildFailed;
                        t.reason = Some(format!("the build failed: `{command}`"));
                    }
                    t.build = Some(BuildInfo {
                        duration_ms: duration.as_millis() as u64,
                        success: outcome.is_ok(),
                        log_tail: outcome.as_ref().err().cloned(),
                        command,
                    });
                    reporter.event(&Event::BuildFinished {
                        triple: &t.triple,
                        success: outcome.is_ok(),
                        duration,
                        binaries: *outcome.as_ref().unwrap_or(&0),
                        doc_tests,
                        log_tail: outcome.as_ref().err().map(String::as_str),
                    });
                    match outcome {
                        Ok(n) => {
                            outstanding[idx] = Some(n);
                            if n == 0 {
                                finish_target(&mut results, idx, plan, cancel, reporter)?;
                            }
                        }
                        Err(_) => {
                            reporter.event(&Event::TargetFinished { target: t });
                            save(&results, plan, reporter)?;
                        }
                    }
                }
                Msg::Test {
                    idx,
                    binary,
                    result,
                } => {
                    reporter.event(&Event::TestFinished {
                        triple: &results.targets[idx].triple,
                        binary: &binary,
                        result: &result,
                    });
                }
                Msg::Slow {
                    idx,
                    binary,
                    test,
                    elapsed,
                } => {
                    reporter.event(&Event::TestSlow {
                        triple: &results.targets[idx].triple,
                        binary: &binary,
                        test: &test,
                        elapsed,
                    });
                }
                Msg::BinaryDone {
                    idx,
                    result,
                    sequences,
                } => {
                    results.probe_sequences.extend(sequences);
                    // A library without doc examples is not worth a line in every report.
                    let no_docs =
                        result.doc.is_some() && result.tests.is_empty() && result.error.is_none();
                    if !no_docs {
                        results.targets[idx].binaries.push(result);
                    }
                    if let Some(n) = outstanding[idx].as_mut() {
                        *n -= 1;
                        if *n == 0 {
                            finish_target(&mut results, idx, plan, cancel, reporter)?;
                        }
                    }
                }
            }
        }
        Ok(())
    })?;

    if plan.probes && !cancel.load(Ordering::Relaxed) {
        let needs = crate::differential::needs_check(&results);
        if !needs.is_empty() {
            reporter.event(&Event::CheckingProbes { tests: needs.len() });
            let exec: Vec<Option<&ExecConfig>> =
                configs.iter().map(|c| c.as_ref().map(|(e, _)| e)).collect();
            results.probe_checks =
                crate::confirm::check(&results, &needs, &exec, plan.jobs, cancel);
        }
    }
    let _ = std::fs::remove_dir_all(&probe_root);
    let interrupted = cancel.load(Ordering::Relaxed);
    for t in &mut results.targets {
        if t.status == TargetStatus::Pending {
            t.status = TargetStatus::Interrupted;
            t.reason = Some("the run was interrupted before this target finished".into());
        }
    }
    results.state = if interrupted {
        RunState::Interrupted
    } else {
        RunState::Complete
    };
    results.duration_ms = start.elapsed().as_millis() as u64;
    save(&results, plan, reporter)?;
    Ok(results)
}

/// What a ready target's build needs from this machine and run: its derived spec written,
/// zig's wrappers in place. `Err` is why the target cannot be used after all.
fn prepare(check: &doctor::TargetCheck<'_>, plan: &Plan<'_>) -> Result<TargetTools, String> {
    let t = check.target;
    let spec_file = match &check.spec {
        Some(text) => Some(
            crate::spec::write(t, text, &plan.workspace.bele_dir().join("specs"))
                .map_err(|e| format!("its target spec cannot be derived: {e}"))?,
        ),
        None => None,
    };
    let zig = match (t.link_route(), &check.zig) {
        (LinkRoute::Zig { zig_target }, Some(zig)) => {
            Some(crate::zig::wrappers(zig, zig_target).map_err(|e| {
                format!("cannot write zig's wrappers beside {}: {e}", zig.display())
            })?)
        }
        _ => None,
    };
    Ok(TargetTools {
        native: check.native,
        build_std: check.std == StdAvailability::BuildStd,
        spec_file,
        zig,
    })
}

fn finish_target(
    results: &mut RunResults,
    idx: usize,
    plan: &Plan<'_>,
    cancel: &AtomicBool,
    reporter: &mut dyn Reporter,
) -> Result<(), ResultsError> {
    let t = &mut results.targets[idx];
    t.binaries.sort_by(|a, b| a.id.cmp(&b.id));
    if cancel.load(Ordering::Relaxed) {
        t.status = TargetStatus::Interrupted;
        t.reason = Some("the run was interrupted while this target's tests ran".into());
    } else {
        t.status = TargetStatus::Ran;
    }
    reporter.event(&Event::TargetFinished { target: t });
    save(results, plan, reporter)
}

fn save(
    results: &RunResults,
    plan: &Plan<'_>,
    reporter: &mut dyn Reporter,
) -> Result<(), ResultsError> {
    crate::report::save_json(results, &plan.out)?;
    reporter.event(&Event::Saved { path: &plan.out });
    Ok(())
}

/// A seed for a run that was given none: different for every run.
pub fn fresh_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    // SplitMix64 finaliser, so close start times give unrelated seeds.
    let mut z = nanos ^ u64::from(std::process::id()).rotate_left(32);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A run id that sorts by time: `20261126-193257-4321` (UTC, then the process id).
pub fn run_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // 20261126-225446-PID
    let stamp: String = iso_utc(secs)
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .map(|c| if c == 'T' { '-' } else { c })
        .collect();
    format!("{stamp}-{}", std::process::id())
}

/// `2026-11-26T22:54:46`: UTC seconds since the epoch as an ISO 8601 date and time without
/// a zone (the form JUnit readers accept).
pub fn iso_utc(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_418), (2025, 11, 26));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(iso_utc(1_764_197_686), "2025-11-26T22:54:46");
    }
}
