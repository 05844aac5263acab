//! Building a workspace's tests for one target through cargo, and finding the test executables.

pub mod layouts;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bele_targets::{LinkRoute, Target};
use cargo_metadata::Message;

use crate::host::zig::Wrappers;
use crate::model::{BinaryResult, DocCommand, FailedCrate};
use crate::plan::selection::Selection;
use crate::plan::workspace::Workspace;
use crate::util::env::HostEnv;
use crate::util::process::{tail, CommandSpec};

/// A test executable produced by a build, or a package's doc-tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestBinary {
    /// nextest-style id: `pkg` (lib), `pkg::name` (integration test), `pkg::bin/name`,
    /// `pkg::doc-tests`.
    pub id: String,
    /// The executable; `cargo` for doc-tests.
    pub path: PathBuf,
    /// The package's directory: tests run there, as under `cargo test`.
    pub cwd: PathBuf,
    /// For doc-tests: the cargo command that compiles them and runs each through the
    /// target's runner; the test harness's arguments follow its own after `--`.
    pub doc: Option<DocCommand>,
}

impl TestBinary {
    /// The executable a result names, to run it again (the probe check, the re-check).
    pub fn of(b: &BinaryResult) -> TestBinary {
        TestBinary {
            id: b.id.clone(),
            path: b.executable.clone(),
            cwd: b.cwd.clone(),
            doc: b.doc.clone(),
        }
    }
}

/// A build that did not produce test executables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildFailure {
    pub log_tail: String,
    pub duration: Duration,
    /// The crates cargo could not compile, from its whole stderr (the tail may have lost
    /// their `Compiling` lines).
    pub failed_crates: Vec<FailedCrate>,
    /// cargo was stopped by an interrupt (SIGINT, SIGTERM, SIGHUP): the build did not fail,
    /// it was cut short (Ctrl-C reaches cargo and bele alike).
    pub interrupted: bool,
}

/// SIGHUP, SIGINT and SIGTERM: the signals by which a user (or CI) stops a run.
const INTERRUPTS: [i32; 3] = [1, 2, 15];

/// What a target's build needs besides its row of the table: what was found on this machine
/// or made for this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetTools {
    /// The host's own target: no cross linker.
    pub native: bool,
    /// std is compiled from rust-src (`-Zbuild-std`).
    pub build_std: bool,
    /// A sysroot with std built for the target (bele's std cache), used instead of
    /// `-Zbuild-std` when set.
    pub sysroot: Option<PathBuf>,
    /// Where the target's std is (to be) cached, for a build-std target with the cache on.
    pub std_cache: Option<crate::host::stdcache::CachedStd>,
    /// A derived spec file, passed as `--target` (with `-Zjson-target-spec`).
    pub spec_file: Option<PathBuf>,
    /// zig's `cc` and `ar`, for the zig route.
    pub zig: Option<Wrappers>,
    /// Rust flags of the target's crate workarounds whose crate this workspace depends on
    /// (`crate_flags` in the target table): the crate build's, never std's.
    pub crate_flags: Vec<String>,
    /// The program cargo runs as its rustc wrapper to record layouts (this bele), when
    /// they are recorded.
    pub layouts: Option<PathBuf>,
    /// The user's own workspace wrapper (`RUSTC_WORKSPACE_WRAPPER`, else their cargo
    /// configuration's), which the recording wrapper runs rustc through.
    pub user_wrapper: Option<String>,
    /// Which builder builds the target (each has a target dir of its own), and how many
    /// jobs its cargo may run when there are several (`None`: cargo's default, every core).
    pub builder: Builder,
}

/// One of the run's builders: builder 0 builds in `target/bele/build`, builder k in
/// `target/bele/build-k`, so builds running at once do not wait for each other's lock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Builder {
    pub index: usize,
    pub jobs: Option<usize>,
}

impl Builder {
    /// The builder of `triple` among `count`, the same in every run with that many (a
    /// target that moved to another builder's dir would be built again from nothing), with
    /// `cpus` shared out among them.
    pub fn of(triple: &str, count: usize, cpus: usize) -> Builder {
        if count <= 1 {
            return Builder::default();
        }
        let count = count as u64;
        Builder {
            index: (bele_probe::digest(triple.as_bytes()) % count) as usize,
            jobs: Some((cpus as u64 / count).max(1) as usize),
        }
    }

    /// Where the builds in its target dir under `bele_dir` record layouts.
    pub fn layouts_dir(&self, bele_dir: &std::path::Path) -> PathBuf {
        self.target_dir(bele_dir).join("layouts")
    }

    /// Its cargo target dir under `bele_dir`.
    pub fn target_dir(&self, bele_dir: &std::path::Path) -> PathBuf {
        match self.index {
            0 => bele_dir.join("build"),
            k => bele_dir.join(format!("build-{k}")),
        }
    }
}

/// The cargo command that builds `sel`'s tests for `target`. `env` is the user's: their
/// own `RUSTFLAGS` are joined by the target's flags, not replaced. With `--doc` alone no
/// test executable is built: the command builds what the doc-tests need and lists them.
pub fn cargo_command(
    ws: &Workspace,
    sel: &Selection,
    target: &Target,
    tools: &TargetTools,
    env: &HostEnv,
) -> CommandSpec {
    let json = "--message-format=json-render-diagnostics";
    if sel.kinds.executables() {
        cargo_base(
            ws,
            sel,
            &sel.packages,
            target,
            tools,
            env,
            &["test", "--no-run", json],
        )
        .args(sel.kinds.cargo_args())
    } else {
        cargo_base(
            ws,
            sel,
            &sel.doc_packages,
            target,
            tools,
            env,
            &["test", "--doc", json],
        )
        .args(["--", "--list", "--format", "terse"])
    }
}

/// The doc-tests of `package` for `target`: cargo compiles them (rustdoc, with the target's
/// linker and std) and runs each through `runner` (nothing for the host's own target).
pub fn doc_tests(
    ws: &Workspace,
    sel: &Selection,
    package: &crate::plan::workspace::Package,
    target: &Target,
    tools: &TargetTools,
    env: &HostEnv,
    runner: &[String],
) -> TestBinary {
    let mut spec = cargo_base(
        ws,
        sel,
        std::slice::from_ref(&package.name),
        target,
        tools,
        env,
        &["test", "--doc"],
    );
    if !runner.is_empty() {
        spec = spec.env(
            format!("{}RUNNER", target.cargo_env_prefix()),
            runner.join(" "),
        );
    }
    TestBinary {
        id: format!("{}::doc-tests", package.name),
        path: PathBuf::from(spec.program),
        cwd: package.manifest_dir.clone(),
        doc: Some(DocCommand {
            args: spec.args,
            env: spec.env,
        }),
    }
}

/// `cargo <head> --target ... <packages, features, profile>` with the target's linker, std
/// and flags.
fn cargo_base(
    ws: &Workspace,
    sel: &Selection,
    packages: &[String],
    target: &Target,
    tools: &TargetTools,
    env: &HostEnv,
    head: &[&str],
) -> CommandSpec {
    let target_arg = tools
        .spec_file
        .as_ref()
        .map_or_else(|| target.triple.clone(), |p| p.display().to_string());
    let mut spec = CommandSpec::new("cargo", &ws.root)
        .args(head.iter().copied())
        .arg("--target")
        .arg(target_arg)
        .arg("--manifest-path")
        .arg(ws.manifest_path.display().to_string())
        .arg("--target-dir")
        .arg(
            tools
                .builder
                .target_dir(&ws.bele_dir())
                .display()
                .to_string(),
        );
    if let Some(jobs) = tools.builder.jobs {
        spec = spec.arg("--jobs").arg(jobs.to_string());
    }
    spec = spec.args(sel.cargo_args(packages));
    // With a sysroot from bele's std cache, std comes prebuilt as rustup's would: no
    // unstable flag (the `--sysroot` flag is added with the target's rustc flags below).
    if tools.build_std && tools.sysroot.is_none() {
        // The kernel builds its Rust the same way: a stable compiler with unstable
        // features unlocked, compiling std from rust-src for a target rustup does not serve.
        spec = spec.arg("-Zbuild-std").env("RUSTC_BOOTSTRAP", "1");
    }
    if tools.spec_file.is_some() {
        spec = spec.arg("-Zjson-target-spec").env("RUSTC_BOOTSTRAP", "1");
    }
    let prefix = target.cargo_env_prefix();
    if !tools.native {
        match (target.link_route(), &tools.zig) {
            (LinkRoute::Gcc { linker, .. }, _) => {
                spec = spec.env(format!("{prefix}LINKER"), linker);
            }
            (LinkRoute::Zig { .. }, Some(zig)) => {
                // The linker, and the C compiler and archiver of build scripts (`cc` reads
                // CC_<target> with the triple as written or with underscores).
                let cc = zig.cc.display().to_string();
                let ar = zig.ar.display().to_string();
                spec = spec.env(format!("{prefix}LINKER"), cc.as_str());
                for name in [target.triple.clone(), target.triple.replace('-', "_")] {
                    spec = spec
                        .env(format!("CC_{name}"), cc.as_str())
                        .env(format!("AR_{name}"), ar.as_str());
                }
            }
            // `run::prepare` gives a zig-linked target its wrappers or makes it unavailable.
            (LinkRoute::Zig { .. }, None) => {}
        }
    }
    let mut rustflags = target.rustflags.clone();
    rustflags.extend(tools.crate_flags.iter().cloned());
    let mut docflags = Vec::new();
    if let Some(sysroot) = &tools.sysroot {
        docflags.extend(["--sysroot".to_string(), sysroot.display().to_string()]);
    }
    // zig's musl lacks the LFS64 names old libc versions call: every executable (doc-tests'
    // too) links them from bele's object.
    let lfs64 = (tools.zig.as_ref()).and_then(|z| z.lfs64.as_ref());
    if let (LinkRoute::Zig { .. }, Some(lfs64)) = (target.link_route(), lfs64) {
        let lfs64 = format!("link-arg={}", lfs64.display());
        docflags.extend(["-C".to_string(), lfs64]);
    }
    if !docflags.is_empty() {
        rustflags.extend(docflags.iter().cloned());
        spec = with_flags(spec, FlagVars::RUSTDOC, &prefix, &docflags, env);
    }
    if !rustflags.is_empty() {
        spec = with_flags(spec, FlagVars::RUSTC, &prefix, &rustflags, env);
    }
    if let Some(wrapper) = &tools.layouts {
        let dir = tools.builder.layouts_dir(&ws.bele_dir());
        spec = spec
            .env("RUSTC_WORKSPACE_WRAPPER", wrapper.display().to_string())
            .env(layouts::DIR_VAR, dir.display().to_string());
        // The user's own wrapper still runs: the recording wrapper runs rustc through it.
        if let Some(theirs) = &tools.user_wrapper {
            spec = spec.env(layouts::USER_WRAPPER_VAR, theirs);
        }
    }
    spec.env("CARGO_TERM_COLOR", "never")
        .env("CARGO_TERM_PROGRESS_WHEN", "never")
}

/// The variables cargo reads one kind of flags from, in its order of precedence.
#[derive(Debug, Clone, Copy)]
struct FlagVars {
    encoded: &'static str,
    plain: &'static str,
    /// After `CARGO_TARGET_<T>_`.
    target: &'static str,
}

impl FlagVars {
    const RUSTC: FlagVars = FlagVars {
        encoded: "CARGO_ENCODED_RUSTFLAGS",
        plain: "RUSTFLAGS",
        target: "RUSTFLAGS",
    };
    const RUSTDOC: FlagVars = FlagVars {
        encoded: "CARGO_ENCODED_RUSTDOCFLAGS",
        plain: "RUSTDOCFLAGS",
        target: "RUSTDOCFLAGS",
    };
}

/// Adds the target's rustc (or rustdoc) flags. Cargo takes the first of the encoded
/// variable, the plain one and the target's own, so where the user set one of the first two
/// the flags are appended to theirs, for this invocation only; else they go in
/// `CARGO_TARGET_<T>_RUSTFLAGS` (`..._RUSTDOCFLAGS`).
fn with_flags(
    spec: CommandSpec,
    vars: FlagVars,
    prefix: &str,
    flags: &[String],
    env: &HostEnv,
) -> CommandSpec {
    let set = |k: &str| env.get(k).filter(|v| !v.is_empty());
    // Cargo splits the plain variables at white space: a flag with a space in it (a path
    // under a cache directory with a space) goes through the encoded one, with the user's
    // plain flags split as cargo would have split them.
    let spaced = flags.iter().any(|f| f.contains(char::is_whitespace));
    if let Some(encoded) = set(vars.encoded) {
        let mut all = vec![encoded.to_string()];
        all.extend(flags.iter().cloned());
        spec.env(vars.encoded, all.join("\x1f"))
    } else if spaced {
        let mut all: Vec<String> = set(vars.plain)
            .map(|user| user.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        all.extend(flags.iter().cloned());
        spec.env(vars.encoded, all.join("\x1f"))
    } else if let Some(user) = set(vars.plain) {
        spec.env(vars.plain, format!("{user} {}", flags.join(" ")))
    } else {
        spec.env(format!("{prefix}{}", vars.target), flags.join(" "))
    }
}

/// A build that produced its test executables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub binaries: Vec<TestBinary>,
    pub duration: Duration,
    /// Units cargo compiled rather than found fresh.
    pub compiled: u64,
    /// `(package, record file)` of each workspace crate built (`layouts::collect` reads them).
    pub layout_records: Vec<(String, String)>,
}

/// Runs `spec` and returns the test executables, or the tail of the compiler's output.
/// cargo's messages are read as they come and only what bele needs of them is kept.
pub fn build(spec: &CommandSpec, ws: &Workspace, env: &HostEnv) -> Result<Built, BuildFailure> {
    let start = Instant::now();
    // Variables that would redirect or reconfigure the build behind bele's back.
    let base = env.without(&["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "RUSTC_BOOTSTRAP"]);
    let mut messages = Messages::default();
    let out = spec.stream(&base, &mut |line| messages.read(line, ws));
    let duration = start.elapsed();
    match out {
        Err(e) => Err(BuildFailure {
            log_tail: e.to_string(),
            duration,
            failed_crates: Vec::new(),
            interrupted: false,
        }),
        Ok(out) if !out.success => Err(BuildFailure {
            log_tail: tail(&out.stderr_tail, 40),
            duration,
            failed_crates: failed_crates(&out.stderr_tail, ws),
            interrupted: out.signal.is_some_and(|s| INTERRUPTS.contains(&s)),
        }),
        Ok(_) => Ok(Built {
            compiled: messages.compiled,
            layout_records: std::mem::take(&mut messages.layout_records),
            binaries: messages.binaries(),
            duration,
        }),
    }
}

/// What bele keeps of cargo's JSON messages: the test executables and how many units
/// cargo compiled rather than found fresh.
#[derive(Debug, Default)]
pub struct Messages {
    binaries: Vec<TestBinary>,
    pub compiled: u64,
    /// `(package, record file)` of each workspace crate built, each once.
    pub layout_records: Vec<(String, String)>,
}

impl Messages {
    /// Takes one line of cargo's `--message-format=json` output (other lines are ignored).
    pub fn read(&mut self, line: &str, ws: &Workspace) {
        let Some(Ok(Message::CompilerArtifact(a))) = Message::parse_stream(line.as_bytes()).next()
        else {
            return;
        };
        if !a.fresh {
            self.compiled += 1;
        }
        let kind = a
            .target
            .kind
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        let pkg = ws.package_by_id(&a.package_id.repr);
        if let Some(pkg) = pkg {
            if kind != "custom-build" && kind != "proc-macro" {
                let krate = a.target.name.replace('-', "_");
                for f in &a.filenames {
                    let Some(file) = layouts::record_file_of_artifact(&krate, f.as_std_path())
                    else {
                        continue;
                    };
                    let entry = (pkg.name.clone(), file);
                    if !self.layout_records.contains(&entry) {
                        self.layout_records.push(entry);
                    }
                }
            }
        }
        if !a.profile.test {
            return;
        }
        let (Some(path), Some(pkg)) = (a.executable, pkg) else {
            return;
        };
        let id = match kind.as_str() {
            "lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro" => pkg.name.clone(),
            "test" => format!("{}::{}", pkg.name, a.target.name),
            other => format!("{}::{other}/{}", pkg.name, a.target.name),
        };
        self.binaries.push(TestBinary {
            id,
            path: path.into(),
            cwd: pkg.manifest_dir.clone(),
            doc: None,
        });
    }

    /// The test executables, by id, each once.
    pub fn binaries(mut self) -> Vec<TestBinary> {
        self.binaries.sort_by(|a, b| a.id.cmp(&b.id));
        self.binaries.dedup_by(|a, b| a.id == b.id);
        self.binaries
    }
}

/// The crates cargo says it could not compile (`error: could not compile `x` (lib) ...`,
/// `error: failed to run custom build command for `x v1.0 (...)``), each once, with the
/// version of its `Compiling x v1.0` line and whether it is a dependency (not a member of
/// `ws`).
pub fn failed_crates(stderr: &str, ws: &Workspace) -> Vec<FailedCrate> {
    let quoted = |rest: &str| -> Option<String> {
        Some(rest.strip_prefix('`')?.split('`').next()?.to_string())
    };
    // Each name once, with the version cargo's own line gave, if it gave one.
    let mut named: Vec<(String, Option<String>)> = Vec::new();
    for line in stderr.lines().map(str::trim) {
        let found = if let Some(rest) = line.strip_prefix("error: could not compile ") {
            quoted(rest).map(|n| (n, None))
        } else if let Some(rest) =
            line.strip_prefix("error: failed to run custom build command for ")
        {
            // `x v1.0 (/path)`
            quoted(rest).and_then(|q| {
                let mut words = q.split(' ');
                let name = words.next()?.to_string();
                let version = words
                    .next()
                    .and_then(|v| v.strip_prefix('v'))
                    .map(str::to_string);
                Some((name, version))
            })
        } else {
            None
        };
        if let Some((name, version)) = found {
            if !name.is_empty() && !named.iter().any(|(n, _)| *n == name) {
                named.push((name, version));
            }
        }
    }
    // A link that failed on symbols only dependencies' objects reference (`undefined
    // symbol: open64 ... in archive .../libgetrandom-<hash>.rlib`): cargo says the member
    // being linked could not compile, but the linker named the crates at fault.
    let culprits = link_culprits(stderr);
    let member =
        |crate_name: &str| (ws.members.iter()).any(|p| p.name.replace('-', "_") == crate_name);
    if !culprits.is_empty() && !culprits.iter().any(|c| member(c)) {
        named.retain(|(n, _)| !ws.members.iter().any(|p| p.name == *n));
        for c in culprits {
            // The package's own spelling, from its `Compiling` line.
            let package = (stderr.lines())
                .filter_map(|l| l.trim().strip_prefix("Compiling "))
                .filter_map(|rest| rest.split(' ').next())
                .find(|p| p.replace('-', "_") == c)
                .map_or(c.clone(), str::to_string);
            if !named.iter().any(|(n, _)| *n == package) {
                named.push((package, None));
            }
        }
    }
    named
        .into_iter()
        .map(|(name, version)| {
            let compiling = format!("Compiling {name} v");
            let version = version.or_else(|| {
                stderr.lines().find_map(|l| {
                    let rest = l.trim().strip_prefix(&compiling)?;
                    Some(rest.split_whitespace().next()?.to_string())
                })
            });
            FailedCrate {
                dependency: !ws.members.iter().any(|p| p.name == name),
                name,
                version,
            }
        })
        .collect()
}

/// The crates whose objects reference the symbols a failed link could not find, in the
/// order the linker names them: from an archive `lib<crate>-<hash>.rlib` (lld's `in
/// archive`, GNU ld's `lib<crate>-<hash>.rlib(<object>)`), else from the object itself,
/// `<crate>-<hash>.<...>.rcgu.o`. Empty when no symbol was undefined.
pub fn link_culprits(stderr: &str) -> Vec<String> {
    if !stderr.contains("undefined symbol") && !stderr.contains("undefined reference") {
        return Vec::new();
    }
    let hashed = |word: &str| -> Option<String> {
        let (name, rest) = word.split_once('-')?;
        let hash = rest.split(['.', '(']).next()?;
        (hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) && !name.is_empty())
            .then(|| name.to_string())
    };
    let mut found: Vec<String> = Vec::new();
    for line in stderr.lines().map(str::trim) {
        let referencing = line.starts_with(">>>") || line.contains("undefined reference");
        if !referencing {
            continue;
        }
        let words = line.split([' ', '/', ':']).filter(|w| !w.is_empty());
        let archive = words.clone().find_map(|w| {
            let base = w.strip_prefix("lib")?;
            base.contains(".rlib").then(|| hashed(base)).flatten()
        });
        let object = || {
            words
                .clone()
                .find(|w| w.contains(".rcgu.o"))
                .and_then(hashed)
        };
        if let Some(c) = archive.or_else(object) {
            if !found.contains(&c) {
                found.push(c);
            }
        }
    }
    found
}

/// The messages in `stdout`, cargo's whole `--message-format=json` output.
pub fn parse_messages(stdout: &str, ws: &Workspace) -> Messages {
    let mut messages = Messages::default();
    for line in stdout.lines() {
        messages.read(line, ws);
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_keeps_its_builder_and_builders_share_the_cpus() {
        let triples: Vec<String> = bele_targets::Table::builtin()
            .targets()
            .iter()
            .map(|t| t.triple.clone())
            .collect();
        // One builder: cargo's own target dir and job count, as without builders.
        for t in &triples {
            assert_eq!(Builder::of(t, 1, 8), Builder::default());
        }
        let of = |count: usize| -> Vec<Builder> {
            triples.iter().map(|t| Builder::of(t, count, 8)).collect()
        };
        // The same in every run, every builder used, the CPUs shared out.
        assert_eq!(of(2), of(2));
        for count in [2, 3, 4] {
            let builders = of(count);
            for k in 0..count {
                assert!(
                    builders.iter().any(|b| b.index == k),
                    "{count}: no target for {k}"
                );
            }
            assert!(builders.iter().all(|b| b.jobs == Some((8 / count).max(1))));
        }
        assert_eq!(Builder::of(&triples[0], 16, 8).jobs, Some(1));
        let dir = std::path::Path::new("/w/target/bele");
        assert_eq!(Builder::default().target_dir(dir), dir.join("build"));
        let third = Builder {
            index: 2,
            jobs: Some(1),
        };
        assert_eq!(third.target_dir(dir), dir.join("build-2"));
    }

    const METADATA: &str = include_str!("../../tests/captured/metadata-fixtures.json");
    const MESSAGES: &str = include_str!("../../tests/captured/cargo-messages-fx-endian.jsonl");

    /// rustix 1.1.6 for aarch64_be as published: cargo's stderr of the failed build.
    #[test]
    fn a_failed_dependency_is_named_from_cargos_stderr() {
        let ws = Workspace::parse(METADATA).unwrap();
        let stderr = include_str!("../../tests/captured/cargo-stderr-rustix-aarch64_be.txt");
        let failed = failed_crates(stderr, &ws);
        assert_eq!(
            failed,
            [FailedCrate {
                name: "rustix".into(),
                version: Some("1.1.6".into()),
                dependency: true,
            }]
        );
        // A member's failure, and a build script's, are named as such.
        let own = "   Compiling fx-endian v0.0.0 (/checkout/fixtures/endian)\n\
                   error: could not compile `fx-endian` (lib test) due to 1 previous error\n\
                   error: failed to run custom build command for `ring v0.17.8`\n";
        let failed = failed_crates(own, &ws);
        let got: Vec<(&str, Option<&str>, bool)> = (failed.iter())
            .map(|c| (c.name.as_str(), c.version.as_deref(), c.dependency))
            .collect();
        assert_eq!(
            got,
            [
                ("fx-endian", Some("0.0.0"), false),
                ("ring", Some("0.17.8"), true)
            ]
        );
        assert!(failed_crates("error: linker `cc` not found", &ws).is_empty());
    }

    /// A member's test executable that fails to link because a dependency's object calls
    /// `open64`, which zig's musl no longer has (lld's words): the dependency is at fault.
    #[test]
    fn a_link_error_is_the_crate_the_linker_names() {
        let ws = Workspace::parse(METADATA).unwrap();
        let stderr = include_str!("../../tests/captured/cargo-stderr-lfs64-aarch64_be.txt");
        assert_eq!(link_culprits(stderr), ["getrandom"]);
        let failed = failed_crates(stderr, &ws);
        assert_eq!(
            failed,
            [FailedCrate {
                name: "getrandom".into(),
                version: Some("0.2.0".into()),
                dependency: true,
            }]
        );
        // GNU ld names the archive with the object in parentheses.
        let gnu = "/t/deps/libfoo_bar-0123456789abcdef.rlib(foo_bar-0123456789abcdef.foo_bar.1-cgu.0.rcgu.o): in function `f': undefined reference to `open64'";
        assert_eq!(link_culprits(gnu), ["foo_bar"]);
        // The member's own object: its fault.
        let own = "ld.lld: error: undefined symbol: open64\n>>> referenced by lib.rs:8\n>>>               /t/deps/fx_endian-0123456789abcdef.a75.rcgu.o:(fx_endian::f)\nerror: could not compile `fx-endian` (lib test)\n";
        assert_eq!(link_culprits(own), ["fx_endian"]);
        let failed = failed_crates(own, &ws);
        assert_eq!(
            (failed[0].name.as_str(), failed[0].dependency),
            ("fx-endian", false)
        );
        assert!(link_culprits("error[E0425]: cannot find value").is_empty());
    }

    #[test]
    fn test_executables_from_captured_cargo_messages() {
        let ws = Workspace::parse(METADATA).unwrap();
        let messages = parse_messages(MESSAGES, &ws);
        let compiled = messages.compiled;
        let bins = messages.binaries();
        let ids: Vec<&str> = bins.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["fx-endian", "fx-endian::wire"]);
        assert!(bins[0].path.ends_with("deps/fx_endian-9a2ed882270e2103"));
        assert_eq!(bins[0].cwd, PathBuf::from("/checkout/fixtures/endian"));
        assert!(parse_messages("not json\n{}\n", &ws).binaries().is_empty());
        let fresh = MESSAGES.matches("\"fresh\":false").count() as u64;
        assert!(
            fresh > 0,
            "the capture is of a build that compiled something"
        );
        assert_eq!(compiled, fresh);
        assert_eq!(
            parse_messages(&MESSAGES.replace("\"fresh\":false", "\"fresh\":true"), &ws).compiled,
            0
        );
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
        let env = HostEnv::default();
        let cross = |build_std| TargetTools {
            build_std,
            ..TargetTools::default()
        };
        let mips = cargo_command(
            &ws,
            &sel,
            table.get("mips-unknown-linux-gnu").unwrap(),
            &cross(true),
            &env,
        )
        .display();
        assert_eq!(
            mips,
            "RUSTC_BOOTSTRAP=1 CARGO_TARGET_MIPS_UNKNOWN_LINUX_GNU_LINKER=mips-linux-gnu-gcc CARGO_TERM_COLOR=never \
             CARGO_TERM_PROGRESS_WHEN=never cargo test --no-run --message-format=json-render-diagnostics --target \
             mips-unknown-linux-gnu --manifest-path /checkout/fixtures/Cargo.toml --target-dir \
             /checkout/fixtures/target/bele/build --package fx-endian --features a,b -Zbuild-std"
        );
        // A second builder: a target dir of its own and its share of the CPUs.
        let second = Builder {
            index: 1,
            jobs: Some(2),
        };
        let shared = cargo_command(
            &ws,
            &sel,
            table.get("mips-unknown-linux-gnu").unwrap(),
            &TargetTools {
                builder: second,
                ..cross(true)
            },
            &env,
        )
        .display();
        assert!(
            shared.contains("--target-dir /checkout/fixtures/target/bele/build-1 --jobs 2 "),
            "{shared}"
        );
        let native = TargetTools {
            native: true,
            ..TargetTools::default()
        };
        let x86 = cargo_command(
            &ws,
            &Selection::default(),
            table.get("x86_64-unknown-linux-gnu").unwrap(),
            &native,
            &env,
        )
        .display();
        assert!(
            !x86.contains("LINKER")
                && !x86.contains("build-std")
                && !x86.contains("RUSTC_BOOTSTRAP"),
            "{x86}"
        );
    }

    #[test]
    fn the_zig_route_sets_linker_c_tools_flags_and_spec() {
        let ws = Workspace::parse(METADATA).unwrap();
        let table = bele_targets::Table::builtin();
        let zig = Wrappers {
            cc: "/c/zig/bin/aarch64_be-linux-musl-cc".into(),
            ar: "/c/zig/bin/aarch64_be-linux-musl-ar".into(),
            lfs64: Some("/c/zig/bin/lfs64-aarch64_be-linux-musl-0123.o".into()),
        };
        let tools = TargetTools {
            build_std: true,
            zig: Some(zig.clone()),
            ..TargetTools::default()
        };
        let be = table.get("aarch64_be-unknown-linux-musl").unwrap();
        let cmd = cargo_command(&ws, &Selection::default(), be, &tools, &HostEnv::default());
        let env = |k: &str| {
            cmd.env
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        let p = "CARGO_TARGET_AARCH64_BE_UNKNOWN_LINUX_MUSL_";
        assert_eq!(
            env(&format!("{p}LINKER")),
            Some("/c/zig/bin/aarch64_be-linux-musl-cc")
        );
        // The LFS64 object links into every executable, doc-tests' too.
        let lfs64 = "-C link-arg=/c/zig/bin/lfs64-aarch64_be-linux-musl-0123.o";
        assert_eq!(
            env(&format!("{p}RUSTFLAGS")),
            Some(format!("-C link-self-contained=no {lfs64}").as_str())
        );
        assert_eq!(env(&format!("{p}RUSTDOCFLAGS")), Some(lfs64));
        assert_eq!(
            env("CC_aarch64_be-unknown-linux-musl"),
            Some("/c/zig/bin/aarch64_be-linux-musl-cc")
        );
        assert_eq!(
            env("AR_aarch64_be_unknown_linux_musl"),
            Some("/c/zig/bin/aarch64_be-linux-musl-ar")
        );
        // The user's RUSTFLAGS are kept, the target's added to them.
        let user = HostEnv {
            vars: vec![("RUSTFLAGS".into(), "-C debuginfo=0".into())],
        };
        let cmd = cargo_command(&ws, &Selection::default(), be, &tools, &user);
        let env = |k: &str| {
            cmd.env
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            env("RUSTFLAGS"),
            Some(format!("-C debuginfo=0 -C link-self-contained=no {lfs64}").as_str())
        );
        assert_eq!(env(&format!("{p}RUSTFLAGS")), None);
        // A derived spec goes to --target, with the flag cargo wants for JSON specs.
        let armeb = table.get("armeb-bele-linux-musleabi").unwrap();
        let tools = TargetTools {
            spec_file: Some("/w/target/bele/specs/armeb-bele-linux-musleabi.json".into()),
            ..tools
        };
        let line = cargo_command(
            &ws,
            &Selection::default(),
            armeb,
            &tools,
            &HostEnv::default(),
        )
        .display();
        assert!(
            line.contains("--target /w/target/bele/specs/armeb-bele-linux-musleabi.json"),
            "{line}"
        );
        assert!(
            line.contains("-Zjson-target-spec") && line.contains("-Zbuild-std"),
            "{line}"
        );
        assert!(
            line.contains("CARGO_TARGET_ARMEB_BELE_LINUX_MUSLEABI_LINKER="),
            "{line}"
        );
        assert!(
            line.contains(
                "'CARGO_TARGET_ARMEB_BELE_LINUX_MUSLEABI_RUSTFLAGS=-C link-arg=/c/zig/bin/lfs64-"
            ),
            "armeb needs only the LFS64 object: {line}"
        );
    }

    /// A std cache under a directory with a space: the sysroot flag reaches rustc whole.
    #[test]
    fn flags_with_spaces_go_through_the_encoded_variables() {
        let table = bele_targets::Table::builtin();
        let mips = table.get("mips-unknown-linux-gnu").unwrap();
        let ws = Workspace::parse(METADATA).unwrap();
        let tools = TargetTools {
            sysroot: Some("/home/me/my cache/bele/std/mips".into()),
            ..TargetTools::default()
        };
        for user in [
            HostEnv::default(),
            HostEnv {
                vars: vec![("RUSTFLAGS".into(), "-C debuginfo=0  -Dwarnings".into())],
            },
        ] {
            let cmd = cargo_command(&ws, &Selection::default(), mips, &tools, &user);
            let env = |k: &str| cmd.env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let rustc = env("CARGO_ENCODED_RUSTFLAGS").expect("encoded rustflags");
            let parts: Vec<&str> = rustc.split('\x1f').collect();
            assert!(
                parts.ends_with(&["--sysroot", "/home/me/my cache/bele/std/mips"]),
                "{parts:?}"
            );
            if user.get("RUSTFLAGS").is_some() {
                assert_eq!(parts[..3], ["-C", "debuginfo=0", "-Dwarnings"], "{parts:?}");
            }
            let rustdoc = env("CARGO_ENCODED_RUSTDOCFLAGS").expect("encoded rustdocflags");
            assert_eq!(rustdoc, "--sysroot\x1f/home/me/my cache/bele/std/mips");
        }
    }
}
