//! `bele setup`: installs what the selected targets miss (Debian packages, then Rust std:
//! prebuilt from rustup, else rust-src for `-Zbuild-std`; zig from PyPI into bele's cache
//! for the targets that link with it). Planned as values, then run.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use bele_targets::StdSource;

use crate::host::doctor::{Missing, TargetCheck};
use crate::host::toolchain::StdAvailability;
use crate::util::env::HostEnv;
use crate::util::process::{tail, CommandSpec};

/// One installation step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `apt-get update` then `apt-get install` of these packages.
    AptInstall(Vec<String>),
    /// `rustup target add`; on failure (rustup serves no std for it) fall back to rust-src.
    RustupTarget(String),
    /// `rustup component add rust-src`, for `-Zbuild-std`.
    RustSrc,
    /// The pinned zig from PyPI into bele's cache (`python3 -m pip install --target`).
    Zig,
}

/// The steps that would make every checked target ready; empty when nothing is missing.
pub fn plan(checks: &[TargetCheck<'_>]) -> Vec<Step> {
    let packages: BTreeSet<String> = checks
        .iter()
        .filter(|c| c.needs_packages())
        .flat_map(|c| c.target.packages.iter().cloned())
        .collect();
    let mut steps = Vec::new();
    if !packages.is_empty() {
        steps.push(Step::AptInstall(packages.into_iter().collect()));
    }
    let mut need_src = false;
    for c in checks {
        match c.target.std {
            // Prefer rustup's prebuilt std even where build-std would work: it builds in a
            // fraction of the time. Where rustup serves none, the step falls back to rust-src.
            StdSource::Prebuilt if c.std != StdAvailability::Prebuilt => {
                steps.push(Step::RustupTarget(c.target.triple.clone()));
            }
            StdSource::BuildStd if c.missing.contains(&Missing::Std) => need_src = true,
            _ => {}
        }
    }
    if need_src {
        steps.push(Step::RustSrc);
    }
    if checks.iter().any(TargetCheck::needs_zig) {
        steps.push(Step::Zig);
    }
    steps
}

#[derive(Debug, thiserror::Error)]
#[error("setup failed: `{command}` {what}\n{output}\n(fix the cause and run `bele setup` again)")]
pub struct SetupError {
    pub command: String,
    pub what: String,
    pub output: String,
}

/// Runs `steps` in `dir` (the workspace, so rustup acts on its toolchain), writing one line
/// per action to `log`. A target whose std cannot be had is not an error: the next check
/// reports it unavailable with the reason.
pub fn run(
    steps: &[Step],
    dir: &Path,
    env: &HostEnv,
    log: &mut dyn Write,
) -> Result<(), SetupError> {
    let sudo = if is_root() || env.which("sudo").is_none() {
        None
    } else {
        Some("sudo")
    };
    let mut src_done = false;
    for step in steps {
        match step {
            Step::AptInstall(packages) => {
                let apt = |args: Vec<String>| {
                    let mut spec = match sudo {
                        Some(s) => CommandSpec::new(s, dir).arg("apt-get"),
                        None => CommandSpec::new("apt-get", dir),
                    };
                    spec = spec.args(args).env("DEBIAN_FRONTEND", "noninteractive");
                    spec
                };
                let _ = writeln!(log, "setup: apt-get update");
                must_succeed(&apt(vec!["update".into(), "-q".into()]), env)?;
                let _ = writeln!(log, "setup: apt-get install {}", packages.join(" "));
                let mut args: Vec<String> = ["install", "-y", "-q", "--no-install-recommends"]
                    .map(String::from)
                    .to_vec();
                args.extend(packages.iter().cloned());
                must_succeed(&apt(args), env)?;
            }
            Step::RustupTarget(triple) => {
                let spec = CommandSpec::new("rustup", dir).args(["target", "add", triple.as_str()]);
                let _ = writeln!(log, "setup: {}", spec.display());
                let out = spec.output(&env.vars).map_err(|e| SetupError {
                    command: spec.display(),
                    what: "could not be started".into(),
                    output: e.to_string(),
                })?;
                if !out.success {
                    let why = out
                        .stderr
                        .lines()
                        .find(|l| l.contains("error"))
                        .unwrap_or("failed")
                        .trim()
                        .to_string();
                    let _ = writeln!(
                        log,
                        "setup: no prebuilt std for {triple} ({why}); falling back to -Zbuild-std with rust-src"
                    );
                    if !src_done {
                        rust_src(dir, env, log)?;
                        src_done = true;
                    }
                }
            }
            Step::RustSrc => {
                if !src_done {
                    rust_src(dir, env, log)?;
                    src_done = true;
                }
            }
            Step::Zig => {
                let Some(into) = crate::host::zig::install_dir(env) else {
                    return Err(SetupError {
                        command: "pip install ziglang".into(),
                        what: "has nowhere to go".into(),
                        output: "neither BELE_CACHE_DIR, XDG_CACHE_HOME nor HOME is set".into(),
                    });
                };
                let spec = crate::host::zig::install_command(&into, dir);
                let _ = writeln!(log, "setup: {}", spec.display());
                must_succeed(&spec, env)?;
                crate::host::zig::check(env).map_err(|why| SetupError {
                    command: spec.display(),
                    what: "installed a zig that does not work".into(),
                    output: why,
                })?;
            }
        }
    }
    Ok(())
}

fn rust_src(dir: &Path, env: &HostEnv, log: &mut dyn Write) -> Result<(), SetupError> {
    let spec = CommandSpec::new("rustup", dir).args(["component", "add", "rust-src"]);
    let _ = writeln!(log, "setup: {}", spec.display());
    must_succeed(&spec, env)
}

fn must_succeed(spec: &CommandSpec, env: &HostEnv) -> Result<(), SetupError> {
    let out = spec.output(&env.vars).map_err(|e| SetupError {
        command: spec.display(),
        what: "could not be started".into(),
        output: e.to_string(),
    })?;
    if out.success {
        Ok(())
    } else {
        Err(SetupError {
            command: spec.display(),
            what: format!(
                "exited with {}",
                out.code.map_or("a signal".into(), |c| format!("code {c}"))
            ),
            output: tail(&format!("{}{}", out.stdout, out.stderr), 15),
        })
    }
}

/// Whether bele runs as root, read from /proc (no unsafe, no libc call).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bele_targets::Table;

    fn check_of<'t>(table: &'t Table, triple: &str, missing: Vec<Missing>) -> TargetCheck<'t> {
        let std = if missing.contains(&Missing::Std) {
            StdAvailability::Missing
        } else {
            StdAvailability::Prebuilt
        };
        TargetCheck {
            target: table.get(triple).unwrap(),
            native: false,
            std,
            missing,
            zig: None,
            spec: None,
            std_cache: None,
        }
    }

    #[test]
    fn plan_merges_packages_and_orders_std_after_them() {
        let table = Table::builtin();
        let checks = vec![
            check_of(
                &table,
                "s390x-unknown-linux-gnu",
                vec![Missing::Qemu("qemu-s390x".into()), Missing::Std],
            ),
            check_of(&table, "mips-unknown-linux-gnu", vec![Missing::Std]),
            check_of(&table, "mipsel-unknown-linux-gnu", vec![Missing::Std]),
            check_of(&table, "i686-unknown-linux-gnu", vec![]),
        ];
        assert_eq!(
            plan(&checks),
            [
                Step::AptInstall(vec![
                    "gcc-s390x-linux-gnu".into(),
                    "libc6-dev-s390x-cross".into(),
                    "qemu-user".into()
                ]),
                Step::RustupTarget("s390x-unknown-linux-gnu".into()),
                Step::RustSrc,
            ]
        );
    }

    #[test]
    fn prebuilt_std_is_preferred_over_a_working_build_std() {
        let table = Table::builtin();
        let mut c = check_of(&table, "s390x-unknown-linux-gnu", vec![]);
        c.std = StdAvailability::BuildStd;
        assert_eq!(
            plan(&[c]),
            [Step::RustupTarget("s390x-unknown-linux-gnu".into())]
        );
    }

    #[test]
    fn zig_is_installed_once_for_the_targets_that_link_with_it() {
        let table = Table::builtin();
        let no_zig = || Missing::Zig("zig 0.14.1 is not installed".into());
        let checks = vec![
            check_of(
                &table,
                "aarch64_be-unknown-linux-musl",
                vec![no_zig(), Missing::Std],
            ),
            check_of(&table, "armeb-bele-linux-musleabi", vec![no_zig()]),
        ];
        assert_eq!(plan(&checks), [Step::RustSrc, Step::Zig]);
        assert!(checks[0].reason().unwrap().contains(&format!(
            "python3 -m pip install --target ~/.cache/bele/zig-{v} ziglang=={v}",
            v = crate::host::zig::ZIG_VERSION
        )));
    }

    #[test]
    fn a_ready_machine_plans_nothing() {
        let table = Table::builtin();
        assert_eq!(
            plan(&[check_of(&table, "s390x-unknown-linux-gnu", vec![])]),
            []
        );
    }
}
