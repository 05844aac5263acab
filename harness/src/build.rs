//! Building a workspace's tests for one target through cargo, and finding the test executables.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bele_targets::Target;
use cargo_metadata::Message;

use crate::env::HostEnv;
use crate::process::{tail, CommandSpec};
use crate::workspace::Workspace;

/// Which packages and features to build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub packages: Vec<String>,
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
}

/// A test executable produced by a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestBinary {
    /// nextest-style id: `pkg` (lib), `pkg::name` (integration test), `pkg::bin/name`.
    pub id: String,
    pub path: PathBuf,
    /// The package's directory: tests run there, as under `cargo test`.
    pub cwd: PathBuf,
}

/// A build that did not produce test executables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildFailure {
    pub log_tail: String,
    pub duration: Duration,
}

/// The cargo command that builds `sel`'s tests for `target`.
pub fn cargo_command(
    ws: &Workspace,
    sel: &Selection,
    target: &Target,
    native: bool,
    build_std: bool,
) -> CommandSpec {
    let mut spec = CommandSpec::new("cargo", &ws.root)
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
            "--target",
        ])
        .arg(target.triple.as_str())
        .arg("--manifest-path")
        .arg(ws.manifest_path.display().to_string())
        .arg("--target-dir")
        .arg(ws.bele_dir().join("build").display().to_string());
    for p in &sel.packages {
        spec = spec.arg("--package").arg(p.as_str());
    }
    if !sel.features.is_empty() {
        spec = spec.arg("--features").arg(sel.features.join(","));
    }
    if sel.all_features {
        spec = spec.arg("--all-features");
    }
    if sel.no_default_features {
        spec = spec.arg("--no-default-features");
    }
    if build_std {
        // The kernel builds its Rust the same way: a stable compiler with unstable
        // features unlocked, compiling std from rust-src for a target rustup does not serve.
        spec = spec.arg("-Zbuild-std").env("RUSTC_BOOTSTRAP", "1");
    }
    if !native {
        spec = spec.env(
            format!("{}LINKER", target.cargo_env_prefix()),
            target.linker.as_str(),
        );
    }
    spec.env("CARGO_TERM_COLOR", "never")
        .env("CARGO_TERM_PROGRESS_WHEN", "never")
}

/// Runs `spec` and returns the test executables, or the tail of the compiler's output.
pub fn build(
    spec: &CommandSpec,
    ws: &Workspace,
    env: &HostEnv,
) -> Result<(Vec<TestBinary>, Duration), BuildFailure> {
    let start = Instant::now();
    // Variables that would redirect or reconfigure the build behind bele's back.
    let base = env.without(&["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "RUSTC_BOOTSTRAP"]);
    let out = spec.output(&base);
    let duration = start.elapsed();
    match out {
        Err(e) => Err(BuildFailure {
            log_tail: e.to_string(),
            duration,
        }),
        Ok(out) if !out.success => Err(BuildFailure {
            log_tail: tail(&out.stderr, 40),
            duration,
        }),
        Ok(out) => Ok((parse_messages(&out.stdout, ws), duration)),
    }
}

/// The test executables announced in cargo's JSON messages.
pub fn parse_messages(stdout: &str, ws: &Workspace) -> Vec<TestBinary> {
    let mut bins: Vec<TestBinary> = Message::parse_stream(stdout.as_bytes())
        .filter_map(Result::ok)
        .filter_map(|m| match m {
            Message::CompilerArtifact(a) if a.profile.test => {
                let path: PathBuf = a.executable?.into();
                let pkg = ws.package_by_id(&a.package_id.repr)?;
                let kind = a
                    .target
                    .kind
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let id = match kind.as_str() {
                    "lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro" => {
                        pkg.name.clone()
                    }
                    "test" => format!("{}::{}", pkg.name, a.target.name),
                    other => format!("{}::{other}/{}", pkg.name, a.target.name),
                };
                Some(TestBinary {
                    id,
                    path,
                    cwd: pkg.manifest_dir.clone(),
                })
            }
            _ => None,
        })
        .collect();
    bins.sort_by(|a, b| a.id.cmp(&b.id));
    bins.dedup_by(|a, b| a.id == b.id);
    bins
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = include_str!("../tests/captured/metadata-fixtures.json");
    const MESSAGES: &str = include_str!("../tests/captured/cargo-messages-fx-endian.jsonl");

    #[test]
    fn test_executables_from_captured_cargo_messages() {
        let ws = Workspace::parse(METADATA).unwrap();
        let bins = parse_messages(MESSAGES, &ws);
        let ids: Vec<&str> = bins.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["fx-endian", "fx-endian::wire"]);
        assert!(bins[0].path.ends_with("deps/fx_endian-9a2ed882270e2103"));
        assert_eq!(bins[0].cwd, PathBuf::from("/checkout/fixtures/endian"));
        assert!(parse_messages("not json\n{}\n", &ws).is_empty());
    }

    #[test]
    fn cargo_command_sets_linker_and_build_std_only_where_needed() {
        let ws = Workspace::parse(METADATA).unwrap();
        let table = bele_targets::Table::builtin();
        let sel = Selection {
            packages: vec!["fx-endian".into()],
            features: vec!["a".into(), "b".into()],
            ..Selection::default()
        };
        let mips = build_command_line(
            &ws,
            &sel,
            table.get("mips-unknown-linux-gnu").unwrap(),
            false,
            true,
        );
        assert_eq!(
            mips,
            "RUSTC_BOOTSTRAP=1 CARGO_TARGET_MIPS_UNKNOWN_LINUX_GNU_LINKER=mips-linux-gnu-gcc CARGO_TERM_COLOR=never \
             CARGO_TERM_PROGRESS_WHEN=never cargo test --no-run --message-format=json-render-diagnostics --target \
             mips-unknown-linux-gnu --manifest-path /checkout/fixtures/Cargo.toml --target-dir \
             /checkout/fixtures/target/bele/build --package fx-endian --features a,b -Zbuild-std"
        );
        let x86 = build_command_line(
            &ws,
            &Selection::default(),
            table.get("x86_64-unknown-linux-gnu").unwrap(),
            true,
            false,
        );
        assert!(
            !x86.contains("LINKER")
                && !x86.contains("build-std")
                && !x86.contains("RUSTC_BOOTSTRAP"),
            "{x86}"
        );
    }

    fn build_command_line(
        ws: &Workspace,
        sel: &Selection,
        t: &Target,
        native: bool,
        build_std: bool,
    ) -> String {
        cargo_command(ws, sel, t, native, build_std).display()
    }
}
