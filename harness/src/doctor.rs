//! What each target needs on this machine, what is missing, and the commands that install it.

use std::path::PathBuf;

use bele_targets::{StdSource, Target};

use crate::env::HostEnv;
use crate::toolchain::{StdAvailability, ToolchainInfo};

/// A piece of a target's tool chain that is not on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Linker(String),
    Qemu(String),
    Sysroot(PathBuf),
    /// Neither a prebuilt rust-std nor rust-src to build one.
    Std,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Linker(l) => write!(f, "linker `{l}` not on PATH"),
            Missing::Qemu(q) => write!(f, "`{q}` not on PATH"),
            Missing::Sysroot(s) => write!(f, "sysroot {} does not exist", s.display()),
            Missing::Std => f.write_str("no rust-std for it and no rust-src to build one"),
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
        self.missing.iter().any(|m| !matches!(m, Missing::Std))
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
        cmds
    }
}

/// Checks every target in `targets` against this machine.
pub fn check<'t>(
    targets: &[&'t Target],
    toolchain: &ToolchainInfo,
    env: &HostEnv,
) -> Vec<TargetCheck<'t>> {
    targets
        .iter()
        .map(|target| {
            let native = target.runs_natively_on(&toolchain.host);
            let std = toolchain.std_for(target);
            let mut missing = Vec::new();
            if !native {
                if env.which(&target.linker).is_none() {
                    missing.push(Missing::Linker(target.linker.clone()));
                }
                if env.which(&target.qemu).is_none() {
                    missing.push(Missing::Qemu(target.qemu.clone()));
                }
                if !target.sysroot.is_dir() {
                    missing.push(Missing::Sysroot(target.sysroot.clone()));
                }
            }
            if std == StdAvailability::Missing {
                missing.push(Missing::Std);
            }
            TargetCheck {
                target,
                native,
                std,
                missing,
            }
        })
        .collect()
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
            vars: vec![("PATH".into(), "/nonexistent".into())],
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
                Missing::Qemu("qemu-s390x".into()),
                Missing::Sysroot("/nonexistent/s390x-linux-gnu".into()),
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
}
