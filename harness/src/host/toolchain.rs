//! The Rust toolchain in use, and how each target's standard library can be had from it.

use std::path::{Path, PathBuf};

use bele_targets::Target;

use crate::util::env::HostEnv;
use crate::util::process::CommandSpec;

/// The toolchain that `cargo` and `rustc` resolve to in the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolchainInfo {
    pub rustc: String,
    pub cargo: String,
    pub host: String,
    pub sysroot: PathBuf,
    /// The directory it was asked in (its `rust-toolchain.toml` applies there).
    pub dir: PathBuf,
}

/// How the standard library for a target would be obtained for a build now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StdAvailability {
    /// rust-std for the target is installed in the toolchain.
    Prebuilt,
    /// No prebuilt std, but rust-src is installed: build it with `-Zbuild-std`.
    BuildStd,
    /// Neither: the target cannot be built until one is installed.
    Missing,
}

impl StdAvailability {
    pub fn label(&self) -> &'static str {
        match self {
            StdAvailability::Prebuilt => "prebuilt",
            StdAvailability::BuildStd => "build-std",
            StdAvailability::Missing => "missing",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "cannot query the Rust toolchain: {0} (is rustup's stable toolchain installed and on PATH?)"
)]
pub struct ToolchainError(String);

impl ToolchainInfo {
    /// Asks `rustc` and `cargo` in `dir`, so a `rust-toolchain.toml` there is honoured.
    pub fn detect(env: &HostEnv, dir: &Path) -> Result<ToolchainInfo, ToolchainError> {
        let run = |program: &str, args: &[&str]| -> Result<String, ToolchainError> {
            let spec = CommandSpec::new(program, dir).args(args.iter().copied());
            let out = spec
                .output(&env.vars)
                .map_err(|e| ToolchainError(e.to_string()))?;
            if !out.success {
                return Err(ToolchainError(format!(
                    "`{}` failed: {}",
                    spec.display(),
                    out.stderr.trim()
                )));
            }
            Ok(out.stdout.trim().to_string())
        };
        // Three independent questions, asked at once: each is a process start or two.
        let (verbose, cargo, sysroot) = std::thread::scope(|scope| {
            let cargo = scope.spawn(|| run("cargo", &["-V"]));
            let sysroot = scope.spawn(|| run("rustc", &["--print", "sysroot"]));
            let verbose = run("rustc", &["-vV"]);
            let joined = |h: std::thread::ScopedJoinHandle<'_, Result<String, ToolchainError>>| {
                h.join()
                    .unwrap_or_else(|_| Err(ToolchainError("a query panicked".into())))
            };
            (verbose, joined(cargo), joined(sysroot))
        });
        let verbose = verbose?;
        let host = parse_host(&verbose).ok_or_else(|| {
            ToolchainError(format!("no host line in `rustc -vV` output: {verbose}"))
        })?;
        Ok(ToolchainInfo {
            rustc: verbose.lines().next().unwrap_or_default().to_string(),
            cargo: cargo?,
            host,
            sysroot: PathBuf::from(sysroot?),
            dir: dir.to_path_buf(),
        })
    }

    /// Whether rust-std for `triple` is installed in this toolchain.
    pub fn has_prebuilt_std(&self, triple: &str) -> bool {
        self.sysroot
            .join("lib/rustlib")
            .join(triple)
            .join("lib")
            .is_dir()
    }

    /// Whether the rust-src component (needed by `-Zbuild-std`) is installed.
    pub fn has_rust_src(&self) -> bool {
        self.sysroot
            .join("lib/rustlib/src/rust/library/std/Cargo.toml")
            .is_file()
    }

    pub fn std_for(&self, target: &Target) -> StdAvailability {
        if self.has_prebuilt_std(&target.triple) {
            StdAvailability::Prebuilt
        } else if self.has_rust_src() {
            StdAvailability::BuildStd
        } else {
            StdAvailability::Missing
        }
    }
}

/// The `host:` line of `rustc -vV`.
pub fn parse_host(rustc_vv: &str) -> Option<String> {
    rustc_vv
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_from_captured_rustc_vv() {
        let captured = "rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\ncommit-hash: 59807616e1fa2540724bfbac14d7976d7e4a3860\ncommit-date: 2026-04-14\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.0\nLLVM version: 22.1.2\n";
        assert_eq!(
            parse_host(captured).as_deref(),
            Some("x86_64-unknown-linux-gnu")
        );
        assert_eq!(parse_host("rustc 1.0"), None);
    }

    #[test]
    fn std_availability_follows_the_sysroot_layout() {
        let root = std::env::temp_dir().join(format!("bele-sysroot-{}", std::process::id()));
        let tc = ToolchainInfo {
            rustc: String::new(),
            cargo: String::new(),
            host: "x86_64-unknown-linux-gnu".into(),
            sysroot: root.clone(),
            dir: "/".into(),
        };
        let table = bele_targets::Table::builtin();
        let mips = table.get("mips-unknown-linux-gnu").unwrap();
        assert_eq!(tc.std_for(mips), StdAvailability::Missing);
        std::fs::create_dir_all(root.join("lib/rustlib/src/rust/library/std")).unwrap();
        std::fs::write(root.join("lib/rustlib/src/rust/library/std/Cargo.toml"), "").unwrap();
        assert_eq!(tc.std_for(mips), StdAvailability::BuildStd);
        std::fs::create_dir_all(root.join("lib/rustlib/mips-unknown-linux-gnu/lib")).unwrap();
        assert_eq!(tc.std_for(mips), StdAvailability::Prebuilt);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
