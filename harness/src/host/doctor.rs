//! What each target needs on this machine, what is missing, and the commands that install it.

use std::path::PathBuf;

use bele_targets::{LinkRoute, StdSource, Target};

use crate::host::toolchain::{StdAvailability, ToolchainInfo};
use crate::util::env::HostEnv;

/// A piece of a target's tool chain that is not on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Linker(String),
    Qemu(String),
    Sysroot(PathBuf),
    /// Neither a prebuilt rust-std nor rust-src to build one.
    Std,
    /// zig (the linker and C compiler of the zig route) is missing or broken: why.
    Zig(String),
    /// The target's spec cannot be derived from the toolchain in use: why.
    Spec(String),
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Linker(l) => write!(f, "linker `{l}` not on PATH"),
            Missing::Qemu(q) => write!(f, "`{q}` not on PATH"),
            Missing::Sysroot(s) => write!(
                f,
                "no C library to link against (crti.o under sysroot {})",
                s.display()
            ),
            Missing::Std => f.write_str("no rust-std for it and no rust-src to build one"),
            Missing::Zig(why) => f.write_str(why),
            Missing::Spec(why) => write!(f, "its target spec cannot be derived: {why}"),
        }
    }
}

/// The state of one target on this machine.
#[derive(Debug, Clone)]
pub struct TargetCheck<'t> {
    pub target: &'t Target,
    pub native: bool,
    pub std: StdAvailability,
    pub missing: Vec<Missing>,
    /// The zig that links it (the zig route), as found.
    pub zig: Option<PathBuf>,
    /// Its derived spec, as the toolchain gave it (targets rustc does not know).
    pub spec: Option<String>,
    /// For a build-std target with bele's std cache on: where its std is (to be) cached.
    pub std_cache: Option<crate::host::stdcache::CachedStd>,
}

impl TargetCheck<'_> {
    pub fn ready(&self) -> bool {
        self.missing.is_empty()
    }

    /// Why the target cannot be used, in one line, with the command that fixes it.
    pub fn reason(&self) -> Option<String> {
        if self.ready() {
            return None;
        }
        let what: Vec<String> = self.missing.iter().map(ToString::to_string).collect();
        Some(format!(
            "{} (run `bele setup --targets {}`, or: {})",
            what.join("; "),
            self.target.triple,
            self.install_commands().join(" && ")
        ))
    }

    /// Whether a Debian package install would help.
    pub fn needs_packages(&self) -> bool {
        self.missing.iter().any(|m| {
            matches!(
                m,
                Missing::Linker(_) | Missing::Qemu(_) | Missing::Sysroot(_)
            )
        })
    }

    pub fn needs_zig(&self) -> bool {
        self.missing.iter().any(|m| matches!(m, Missing::Zig(_)))
    }

    /// Shell commands that would install what is missing.
    pub fn install_commands(&self) -> Vec<String> {
        let mut cmds = Vec::new();
        if self.needs_packages() {
            cmds.push(format!(
                "apt-get install -y --no-install-recommends {}",
                self.target.packages.join(" ")
            ));
        }
        if self.missing.contains(&Missing::Std) {
            match self.target.std {
                StdSource::Prebuilt => cmds.push(format!(
                    "rustup target add {} (or, where rustup serves none: rustup component add rust-src)",
                    self.target.triple
                )),
                StdSource::BuildStd => cmds.push("rustup component add rust-src".into()),
            }
        }
        if self.needs_zig() {
            cmds.push(format!(
                "python3 -m pip install --target ~/.cache/bele/zig-{v} ziglang=={v}",
                v = crate::host::zig::ZIG_VERSION
            ));
        }
        if let Some(Missing::Spec(_)) = self.missing.iter().find(|m| matches!(m, Missing::Spec(_)))
        {
            cmds.push(format!(
                "use a toolchain whose rustc knows {} (`rustc --print target-list`)",
                self.target.spec.as_ref().map_or("", |s| s.from.as_str())
            ));
        }
        cmds
    }
}

/// Checks every target in `targets` against this machine.
pub fn check<'t>(
    targets: &[&'t Target],
    toolchain: &ToolchainInfo,
    env: &HostEnv,
) -> Vec<TargetCheck<'t>> {
    // The questions that start a process (zig's version, asked once, and each derived
    // spec's base) are asked at once, before the per-target checks that only look at files.
    let wants_zig = targets.iter().any(|t| {
        !t.runs_natively_on(&toolchain.host) && matches!(t.link_route(), LinkRoute::Zig { .. })
    });
    let (zig_found, specs) = std::thread::scope(|scope| {
        let zig = wants_zig.then(|| scope.spawn(|| crate::host::zig::check(env)));
        let specs: Vec<_> = targets
            .iter()
            .map(|t| {
                t.spec.as_ref().map(|derived| {
                    scope.spawn(move || crate::host::spec::text(derived, toolchain, env))
                })
            })
            .collect();
        fn panicked<T>(_: Box<dyn std::any::Any + Send>) -> Result<T, String> {
            Err("its check panicked".to_string())
        }
        let zig = zig.map(|h| h.join().unwrap_or_else(panicked));
        let specs: Vec<_> = specs
            .into_iter()
            .map(|h| h.map(|h| h.join().unwrap_or_else(panicked)))
            .collect();
        (zig, specs)
    });
    targets
        .iter()
        .zip(specs)
        .map(|(target, spec_text)| {
            let native = target.runs_natively_on(&toolchain.host);
            let mut zig = None;
            let mut spec = None;
            let std = toolchain.std_for(target);
            let mut missing = Vec::new();
            if !native {
                match target.link_route() {
                    LinkRoute::Gcc { linker, sysroot } => {
                        match env.which(linker) {
                            None => {
                                missing.push(Missing::Linker(linker.to_string()));
                                if !sysroot.is_dir() {
                                    missing.push(Missing::Sysroot(sysroot.to_path_buf()));
                                }
                            }
                            // The cross gcc pulls in the runtime libc (the sysroot exists);
                            // linking needs the -dev package's crt files too: the linker
                            // says whether it finds them.
                            Some(gcc) if !links_c(&gcc, env) => {
                                missing.push(Missing::Sysroot(sysroot.to_path_buf()));
                            }
                            Some(_) => {}
                        }
                    }
                    LinkRoute::Zig { .. } => match &zig_found {
                        Some(Ok(found)) => zig = Some(found.clone()),
                        Some(Err(why)) => missing.push(Missing::Zig(why.clone())),
                        None => unreachable!("zig is asked for when a target links with it"),
                    },
                }
                if env.which(&target.qemu).is_none() {
                    missing.push(Missing::Qemu(target.qemu.clone()));
                }
            }
            match spec_text {
                Some(Ok(text)) => spec = Some(text),
                Some(Err(why)) => missing.push(Missing::Spec(why)),
                None => {}
            }
            if std == StdAvailability::Missing {
                missing.push(Missing::Std);
            }
            let std_cache = match crate::host::stdcache::root(env) {
                Some(root)
                    if std == StdAvailability::BuildStd && crate::host::stdcache::enabled(env) =>
                {
                    Some(crate::host::stdcache::CachedStd::new(
                        &root,
                        toolchain,
                        target,
                        spec.as_deref(),
                    ))
                }
                _ => None,
            };
            TargetCheck {
                target,
                native,
                std,
                missing,
                zig,
                spec,
                std_cache,
            }
        })
        .collect()
}

/// Whether the C compiler driver `gcc` finds the C library's start files (`crti.o`): it
/// prints their path when it does, the bare name when it does not.
fn links_c(gcc: &std::path::Path, env: &HostEnv) -> bool {
    crate::util::process::CommandSpec::new(&gcc.display().to_string(), "/")
        .arg("-print-file-name=crti.o")
        .output(&env.vars)
        .is_ok_and(|o| {
            let path = o.stdout.trim();
            o.success && path.starts_with('/') && std::path::Path::new(path).is_file()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toolchain(sysroot: &str) -> ToolchainInfo {
        ToolchainInfo {
            rustc: "rustc 1.95.0".into(),
            cargo: "cargo 1.95.0".into(),
            host: "x86_64-unknown-linux-gnu".into(),
            sysroot: sysroot.into(),
            dir: "/".into(),
        }
    }

    #[test]
    fn an_empty_machine_misses_everything_and_says_how_to_get_it() {
        // The builtin table with sysroots moved somewhere that exists on no machine.
        let text =
            bele_targets::BUILTIN_TABLE.replace("sysroot = \"/usr/", "sysroot = \"/nonexistent/");
        let table = bele_targets::Table::parse(&text, "t.toml").unwrap();
        let targets: Vec<&Target> = table.targets().iter().collect();
        let env = HostEnv {
            vars: vec![
                ("PATH".into(), "/nonexistent".into()),
                ("BELE_CACHE_DIR".into(), "/nonexistent/cache".into()),
            ],
        };
        let checks = check(&targets, &toolchain("/nonexistent"), &env);
        let s390x = checks
            .iter()
            .find(|c| c.target.triple == "s390x-unknown-linux-gnu")
            .unwrap();
        assert_eq!(
            s390x.missing,
            [
                Missing::Linker("s390x-linux-gnu-gcc".into()),
                Missing::Sysroot("/nonexistent/s390x-linux-gnu".into()),
                Missing::Qemu("qemu-s390x".into()),
                Missing::Std
            ]
        );
        let reason = s390x.reason().unwrap();
        assert!(reason.contains("apt-get install -y --no-install-recommends gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user"), "{reason}");
        assert!(
            reason.contains("rustup target add s390x-unknown-linux-gnu"),
            "{reason}"
        );
        let mips = checks
            .iter()
            .find(|c| c.target.triple == "mips-unknown-linux-gnu")
            .unwrap();
        assert_eq!(mips.install_commands()[1], "rustup component add rust-src");
        let be = checks
            .iter()
            .find(|c| c.target.triple == "aarch64_be-unknown-linux-musl")
            .unwrap();
        assert_eq!(
            be.missing,
            [
                Missing::Zig(format!(
                    "zig {v} is not installed in /nonexistent/cache/zig-{v}",
                    v = crate::host::zig::ZIG_VERSION
                )),
                Missing::Qemu("qemu-aarch64_be".into()),
                Missing::Std
            ],
            "linked by zig: no Debian linker or sysroot"
        );
        let armeb = checks
            .iter()
            .find(|c| c.target.triple == "armeb-bele-linux-musleabi")
            .unwrap();
        assert!(
            armeb.missing.iter().any(|m| matches!(m, Missing::Spec(_))),
            "no rustc on PATH, so no spec to derive from: {:?}",
            armeb.missing
        );
        let x86 = checks
            .iter()
            .find(|c| c.target.triple == "x86_64-unknown-linux-gnu")
            .unwrap();
        assert!(x86.native);
        assert_eq!(
            x86.missing,
            [Missing::Std],
            "a native target needs no QEMU or cross linker"
        );
    }

    /// A cross gcc without its C library prints the bare name of what it cannot find.
    #[test]
    fn a_linker_without_its_c_library_is_found_out() {
        let dir = std::env::temp_dir().join(format!("bele-links-c-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = |name: &str, prints: &str| {
            let path = dir.join(name);
            std::fs::write(&path, format!("#!/bin/sh\necho '{prints}'\n")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            path
        };
        let env = HostEnv::default();
        assert!(!links_c(&fake("bare-gcc", "crti.o"), &env));
        let crti = dir.join("crti.o");
        std::fs::write(&crti, "").unwrap();
        assert!(links_c(&fake("dev-gcc", &crti.display().to_string()), &env));
        assert!(!links_c(&dir.join("no-such-gcc"), &env));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
