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
                let absent = (fault.linked_into.as_ref())
                    .is_some_and(|held| !held.iter().any(|b| b == t.binary));
                if fault.control.is_some() && !absent {
                    let tests = out.entry((i, f)).or_default();
                    tests.push((t.binary.to_string(), t.name.to_string()));
                }
            }
        }
    }
    out
}

/// On each target where a test failed and crates known to be faulty are linked, which of
/// its test executables hold each crate's code: its mangled symbols are in the file
/// (`_ZN6memchr...`; v0's `C...6memchr`). A crate whose code is not in the failing test's
/// executable cannot have caused the failure.
pub(super) fn look_for_faulty_code(results: &mut RunResults) {
    for t in &mut results.targets {
        let failed = (t.binaries.iter()).any(|b| b.tests.iter().any(|r| r.outcome.is_failure()));
        if !failed || t.known_faults.is_empty() {
            continue;
        }
        let mut held: Vec<Vec<String>> = vec![Vec::new(); t.known_faults.len()];
        for b in t.binaries.iter().filter(|b| b.doc.is_none()) {
            let Ok(bytes) = std::fs::read(&b.executable) else {
                continue;
            };
            for (f, fault) in t.known_faults.iter().enumerate() {
                if holds_crate(&bytes, &fault.krate) {
                    held[f].push(b.id.clone());
                }
            }
        }
        for (fault, held) in t.known_faults.iter_mut().zip(held) {
            fault.linked_into = Some(held);
        }
    }
}

/// Whether an executable's bytes hold a symbol of crate `name`: its legacy mangling
/// (`_ZN6memchr`), or v0's crate root (`C6memchr`, or with a disambiguator `Cs<base62>_6memchr`).
pub(crate) fn holds_crate(bytes: &[u8], name: &str) -> bool {
    let ident = name.replace('-', "_");
    let legacy = format!("_ZN{}{ident}", ident.len());
    if find(bytes, legacy.as_bytes()).is_some() {
        return true;
    }
    let root = format!("{}{ident}", ident.len());
    let v0_root = |at: usize| -> bool {
        let head = &bytes[..at];
        if head.ends_with(b"C") {
            return true;
        }
        // `Cs` + base-62 digits + `_`.
        let Some(body) = head.strip_suffix(b"_") else {
            return false;
        };
        let run = body
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let tail = &body[body.len() - run..];
        (0..tail.len().saturating_sub(1)).any(|k| tail[k..].starts_with(b"Cs"))
    };
    let mut from = 0;
    while let Some(at) = find(&bytes[from..], root.as_bytes()) {
        if v0_root(from + at) {
            return true;
        }
        from += at + 1;
    }
    false
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut at = 0;
    while let Some(i) = hay[at..].iter().position(|&c| c == first) {
        let start = at + i;
        if hay[start + 1..].starts_with(rest) {
            return Some(start);
        }
        at = start + 1;
    }
    None
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
            linked_into: None,
        }
    }

    #[test]
    fn a_crates_code_is_found_by_its_mangled_symbols() {
        let legacy = b"\0_ZN6memchr4arch3all6memchr3One4find17h0123E\0";
        assert!(holds_crate(legacy, "memchr"));
        assert!(!holds_crate(legacy, "crc32fast"));
        let v0 = b"\0_RNvNtCs9ltgdHTiPiY_9crc32fast8baseline6update\0";
        assert!(holds_crate(v0, "crc32fast"));
        // A path or a string that names it is not its code.
        assert!(!holds_crate(
            b"/home/u/.cargo/registry/src/memchr-2.8.3/src/lib.rs",
            "memchr"
        ));
        assert!(holds_crate(b"_ZN12aho_corasick3ahoE", "aho-corasick"));
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
