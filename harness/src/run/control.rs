//! The causal control of a suspected dependency fault. A test that fails only on targets
//! where a crate its executable links is known to be faulty (the table's `known_faults`)
//! is not the crate's fault because the crate is there: the test may run code of its own
//! that only that architecture runs. So the failing tests run again on the same target
//! with the crate replaced by the version the table names as right there (`control`), in a
//! copy of the lockfile (`cargo update --precise` under `-Zlockfile-path`; the workspace's
//! own `Cargo.lock` is never touched), built in the target's own target dir so everything
//! else is reused. What each test did there is recorded; `analyze::triage` decides.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use bele_targets::Target;

use crate::analyze::verdict::Verdict;
use crate::build::TargetTools;
use crate::execute::{run_again, ExecConfig};
use crate::model::{ControlledTest, DependencyControl, MatchedFault, Outcome, RunResults};
use crate::plan::Plan;
use crate::util::env::HostEnv;
use crate::util::process::CommandSpec;

use super::{PerTarget, Ready, TargetIdx};

/// Most controls (each a build) a run makes.
pub(crate) const MAX: usize = 4;

/// The controls a run's results ask for: for each target and known fault with a control
/// version, the failing `(executable, test)`s to run against it. A test asks when every
/// target it failed on has known faults and it passed somewhere; doc-tests are left out
/// (they are compiled by `cargo test --doc`, not run from an executable).
pub(crate) fn wanted(results: &RunResults) -> BTreeMap<(usize, usize), Vec<(String, String)>> {
    let mut out: BTreeMap<(usize, usize), Vec<(String, String)>> = BTreeMap::new();
    for t in crate::analyze::triage::tests_across(results) {
        if matches!(
            t.verdict,
            Verdict::PassesEverywhere | Verdict::Flaky { .. } | Verdict::EmulatorDependent { .. }
        ) || t.binary.ends_with("::doc-tests")
        {
            continue;
        }
        let ran: Vec<(usize, bool)> = (t.per_target.iter().enumerate())
            .filter_map(|(i, r)| {
                r.filter(|r| r.outcome.ran())
                    .map(|r| (i, r.outcome.is_failure()))
            })
            .collect();
        let failing: Vec<usize> = ran
            .iter()
            .filter(|(_, bad)| *bad)
            .map(|(i, _)| *i)
            .collect();
        let suspect = !failing.is_empty()
            && ran.iter().any(|(_, bad)| !bad)
            && failing
                .iter()
                .all(|&i| !results.targets[i].known_faults.is_empty());
        if !suspect {
            continue;
        }
        for i in failing {
            for (f, fault) in results.targets[i].known_faults.iter().enumerate() {
                if fault.control.is_some() {
                    let tests = out.entry((i, f)).or_default();
                    tests.push((t.binary.to_string(), t.name.to_string()));
                }
            }
        }
    }
    out
}

/// Runs the controls the results ask for (at most `MAX`) and records each in
/// `results.dependency_controls`.
pub(super) fn run_controls(
    results: &mut RunResults,
    plan: &Plan<'_>,
    ready: &PerTarget<Ready>,
    env: &HostEnv,
    cancel: &AtomicBool,
) {
    for ((i, f), tests) in wanted(results).into_iter().take(MAX) {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let Some((cfg, tools)) = &ready[TargetIdx(i)] else {
            continue;
        };
        let fault = results.targets[i].known_faults[f].clone();
        let control = control(
            plan,
            plan.targets[i],
            (cfg, tools),
            &fault,
            &tests,
            env,
            cancel,
        );
        if !cancel.load(Ordering::Relaxed) {
            results.dependency_controls.push(control);
        }
    }
}

/// One control: `fault`'s crate replaced by its control version for `target`, `tests` run
/// against it.
fn control(
    plan: &Plan<'_>,
    target: &Target,
    (cfg, tools): (&ExecConfig, &TargetTools),
    fault: &MatchedFault,
    tests: &[(String, String)],
    env: &HostEnv,
    cancel: &AtomicBool,
) -> DependencyControl {
    let version = fault.control.clone().unwrap_or_default();
    let mut record = DependencyControl {
        target: target.triple.clone(),
        fault: fault.name(),
        control: version.clone(),
        error: None,
        tests: Vec::new(),
    };
    let dir = (plan.workspace.bele_dir())
        .join("control")
        .join(&target.triple)
        .join(format!("{}-{version}", fault.krate));
    let lockfile = match lockfile_copy(&plan.workspace.root, &dir) {
        Ok(file) => file,
        Err(e) => {
            record.error = Some(e);
            return record;
        }
    };
    let update = update_command(plan, &lockfile, fault, &version);
    match update.output(&env.vars) {
        Ok(out) if out.success => {}
        Ok(out) => {
            record.error = Some(format!(
                "cargo could not put it in place: {}",
                first_error(&out.stderr)
            ));
            return record;
        }
        Err(e) => {
            record.error = Some(e.to_string());
            return record;
        }
    }
    let (mut tools, _) = super::prepare::with_cached_std(tools, target, env);
    // Layouts are the run's, not the control's.
    tools.layouts = None;
    let spec = crate::build::cargo_command(&plan.workspace, &plan.selection, target, &tools, env);
    let spec = with_lockfile(spec, &lockfile);
    let built = match crate::build::build(&spec, &plan.workspace, env) {
        Ok(built) => built,
        Err(f) => {
            record.error = Some(format!("its build failed: {}", first_error(&f.log_tail)));
            return record;
        }
    };
    let mut by_binary: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (binary, test) in tests {
        by_binary.entry(binary).or_default().push(test.clone());
    }
    for (binary, names) in by_binary {
        let Some(bin) = built.binaries.iter().find(|b| b.id == binary) else {
            continue;
        };
        let found = run_again(bin, cfg, &names, &[], cancel);
        for test in names {
            // No result: the process died (or hung) before giving one.
            let outcome = found
                .get(&test)
                .map_or(Outcome::Crashed, |r| r.result.outcome);
            record.tests.push(ControlledTest {
                binary: binary.to_string(),
                test,
                outcome,
            });
        }
    }
    record
}

/// The workspace's `Cargo.lock` copied into `dir`, as the control's lockfile.
fn lockfile_copy(root: &Path, dir: &Path) -> Result<PathBuf, String> {
    let from = root.join("Cargo.lock");
    let to = dir.join("Cargo.lock");
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::copy(&from, &to).map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    Ok(to)
}

/// `cargo update` of the copy: the faulty version of the crate replaced by `version`.
pub(crate) fn update_command(
    plan: &Plan<'_>,
    lockfile: &Path,
    fault: &MatchedFault,
    version: &str,
) -> CommandSpec {
    let manifest = plan.workspace.manifest_path.display().to_string();
    let spec = CommandSpec::new("cargo", &plan.workspace.root).args([
        "update",
        "--manifest-path",
        &manifest,
        "-p",
        &format!("{}@{}", fault.krate, fault.version),
        "--precise",
        version,
    ]);
    with_lockfile(spec, lockfile)
}

/// `spec` (a cargo command) reading and writing `lockfile` instead of the workspace's.
fn with_lockfile(spec: CommandSpec, lockfile: &Path) -> CommandSpec {
    let path = lockfile.display().to_string();
    spec.args([
        "-Zlockfile-path".to_string(),
        "--config".to_string(),
        format!("resolver.lockfile-path={}", toml_string(&path)),
    ])
    .env("RUSTC_BOOTSTRAP", "1")
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// cargo's first `error:` line of `stderr` (its last line when it has none).
fn first_error(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    (lines.iter())
        .find(|l| l.starts_with("error"))
        .or(lines.last())
        .map_or_else(String::new, |l| (*l).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample;

    fn fault(control: Option<&str>) -> MatchedFault {
        MatchedFault {
            krate: "crc32fast".into(),
            version: "1.5.5".into(),
            what: "wrong checksums".into(),
            see: None,
            control: control.map(String::from),
        }
    }

    /// A test failing only where a known fault with a control version is asks for that
    /// control; one also failing elsewhere, or a fault with no control, asks for none.
    #[test]
    fn only_suspected_failures_ask_for_a_control() {
        let mut r = sample();
        assert!(wanted(&r).is_empty());
        r.targets[1].known_faults = vec![fault(Some("1.4.2")), fault(None)];
        let w = wanted(&r);
        let keys: Vec<&(usize, usize)> = w.keys().collect();
        assert_eq!(keys, [&(1, 0)]);
        let names: Vec<&str> = w[&(1, 0)].iter().map(|(_, t)| t.as_str()).collect();
        assert!(names.contains(&"be_bug"), "{names:?}");
        let x = (r.targets[0].binaries[0].tests.iter_mut())
            .find(|t| t.name == "be_bug")
            .unwrap();
        x.outcome = Outcome::Failed;
        let w = wanted(&r);
        assert!(!w[&(1, 0)].iter().any(|(_, t)| t == "be_bug"), "{w:?}");
    }

    #[test]
    fn cargo_is_told_the_copy_and_what_to_put_in_place() {
        assert_eq!(toml_string(r#"/a "b"\c"#), r#""/a \"b\"\\c""#);
        let spec = with_lockfile(
            CommandSpec::new("cargo", Path::new("/w")).args(["update"]),
            Path::new("/w/target/bele/control/x/Cargo.lock"),
        );
        assert_eq!(
            spec.args,
            [
                "update",
                "-Zlockfile-path",
                "--config",
                "resolver.lockfile-path=\"/w/target/bele/control/x/Cargo.lock\""
            ]
        );
        assert!(spec.env.contains(&("RUSTC_BOOTSTRAP".into(), "1".into())));
        let stderr = "    Updating crates.io index\nerror: failed to select a version for the requirement `memchr = \"^2.6.0\"`\n  candidate versions found which didn't match: 2.5.0\n";
        assert_eq!(
            first_error(stderr),
            "error: failed to select a version for the requirement `memchr = \"^2.6.0\"`"
        );
        assert_eq!(first_error("a\nb\n"), "b");
    }
}
