//! What building and booting a kernel needs from this machine, checked against the tree's
//! own minimums: a Rust toolchain with rust-src, bindgen, libclang, make's helpers, and per
//! target a cross compiler and qemu-system. Each missing piece is named with its fix, and
//! `bele setup --kernel` installs them (planned here as values).

use std::path::{Path, PathBuf};

use bele_targets::KernelTarget;

use super::tree::{at_least, version_numbers, Tree};
use crate::util::env::HostEnv;
use crate::util::process::CommandSpec;

/// The tree's minimum versions for one set of targets (the highest of their minimums).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Minimums {
    pub rustc: Vec<u64>,
    pub bindgen: Vec<u64>,
    pub llvm: Vec<u64>,
}

impl Minimums {
    /// Asks the tree (`scripts/min-tool-version.sh`) for each target's minimums.
    pub fn of(tree: &Tree, targets: &[&KernelTarget], env: &HostEnv) -> Result<Minimums, String> {
        let mut m = Minimums::default();
        for k in targets {
            for (tool, slot) in [
                ("rustc", &mut m.rustc),
                ("bindgen", &mut m.bindgen),
                ("llvm", &mut m.llvm),
            ] {
                let spec = tree.min_tool_command(tool, k);
                let out = spec
                    .output(&env.vars)
                    .map_err(|e| format!("cannot ask the tree's minimum {tool}: {e}"))?;
                let v = version_numbers(out.stdout.trim()).ok_or_else(|| {
                    format!(
                        "`{}` printed no version for {tool}: {}",
                        spec.display(),
                        out.stderr.trim()
                    )
                })?;
                if !at_least(slot, &v) || slot.is_empty() {
                    *slot = v;
                }
            }
        }
        Ok(m)
    }
}

/// The tools found: what make gets in its environment to use them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Found {
    /// `RUSTUP_TOOLCHAIN` for make: the toolchain checked (the default one by its name, or
    /// a newer one when the default is older than the tree needs), so a `rustup override`
    /// where make runs rustc cannot swap it; `None` when rustup names none.
    pub toolchain: Option<String>,
    /// `rustc --version` of the toolchain used.
    pub rustc: String,
    /// The host's triple, as that rustc says (`rustc -vV`).
    pub host: String,
    pub libclang: Option<PathBuf>,
    /// make's `LLVM=` for the rows built with clang (`-19`: clang-19, ld.lld-19, ...), the
    /// newest LLVM on PATH at least the tree's minimum; `None` when there is none.
    pub llvm: Option<String>,
    /// Debian's packages of that LLVM, to install when there is none (clang, lld, llvm of
    /// the version whose libclang `check_shared` asks for).
    pub llvm_packages: Vec<String>,
}

impl Found {
    /// Variables make runs with.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = Vec::new();
        if let Some(t) = &self.toolchain {
            env.push(("RUSTUP_TOOLCHAIN".to_string(), t.clone()));
        }
        if let Some(l) = &self.libclang {
            env.push(("LIBCLANG_PATH".to_string(), l.display().to_string()));
        }
        env
    }
}

/// One missing piece and what installs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub what: String,
    pub fix: Fix,
}

/// What installs a missing piece.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fix {
    Apt(Vec<String>),
    /// `rustup toolchain install <version> --profile minimal -c rust-src`.
    RustToolchain(String),
    /// `rustup component add rust-src --toolchain <toolchain>`.
    RustSrc(String),
    /// `cargo install --locked bindgen-cli --version >=<min>`.
    Bindgen(String),
}

impl Fix {
    pub fn command(&self) -> String {
        match self {
            Fix::Apt(p) => format!("apt-get install -y --no-install-recommends {}", p.join(" ")),
            Fix::RustToolchain(v) => {
                format!("rustup toolchain install {v} --profile minimal -c rust-src")
            }
            Fix::RustSrc(t) => format!("rustup component add rust-src --toolchain {t}"),
            Fix::Bindgen(min) => format!("cargo install --locked bindgen-cli --version '>={min}'"),
        }
    }
}

fn dotted(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// Checks the tools every target needs (toolchain, bindgen, libclang, make's helpers).
pub fn check_shared(min: &Minimums, env: &HostEnv, cwd: &Path) -> (Found, Vec<Missing>) {
    let mut found = Found::default();
    let mut missing = Vec::new();
    match pick_toolchain(min, env, cwd) {
        Ok((toolchain, verbose)) => {
            found.host = crate::host::toolchain::parse_host(&verbose).unwrap_or_default();
            found.rustc = verbose.lines().next().unwrap_or_default().to_string();
            found.toolchain = toolchain;
        }
        Err(m) => missing.push(m),
    }
    let bindgen = env
        .which("bindgen")
        .and_then(|b| {
            CommandSpec::new(&b.display().to_string(), cwd)
                .arg("--version")
                .output(&env.vars)
                .ok()
        })
        .and_then(|o| version_numbers(&o.stdout));
    if !bindgen.as_ref().is_some_and(|v| at_least(v, &min.bindgen)) {
        missing.push(Missing {
            what: format!(
                "bindgen {} or later ({})",
                dotted(&min.bindgen),
                bindgen.map_or("none on PATH".into(), |v| format!("found {}", dotted(&v)))
            ),
            fix: Fix::Bindgen(dotted(&min.bindgen)),
        });
    }
    match libclang(env, min.llvm.first().copied().unwrap_or(0)) {
        Some(dir) => found.libclang = Some(dir),
        None => missing.push(Missing {
            what: format!("libclang {} or later", dotted(&min.llvm)),
            fix: Fix::Apt(vec![format!("libclang-{}-dev", debian_llvm(min))]),
        }),
    }
    found.llvm = llvm_suffix(env, min.llvm.first().copied().unwrap_or(0));
    found.llvm_packages = llvm_packages(min);
    for (tool, package) in [
        ("make", "make"),
        ("flex", "flex"),
        ("bison", "bison"),
        ("bc", "bc"),
        ("perl", "perl"),
        ("cpio", "cpio"),
    ] {
        if env.which(tool).is_none() {
            missing.push(Missing {
                what: format!("`{tool}` not on PATH"),
                fix: Fix::Apt(vec![package.into()]),
            });
        }
    }
    for (header, package) in [("libelf.h", "libelf-dev"), ("openssl/ssl.h", "libssl-dev")] {
        if !Path::new("/usr/include").join(header).exists() {
            missing.push(Missing {
                what: format!("no /usr/include/{header}"),
                fix: Fix::Apt(vec![package.into()]),
            });
        }
    }
    (found, missing)
}

/// Debian's LLVM major version of at least the tree's minimum (the newest Debian 12 has).
fn debian_llvm(min: &Minimums) -> u64 {
    min.llvm.first().copied().unwrap_or(17).max(19)
}

/// Debian's packages of the LLVM a clang build uses: clang, lld and llvm of that version.
fn llvm_packages(min: &Minimums) -> Vec<String> {
    ["clang", "lld", "llvm"]
        .map(|p| format!("{p}-{}", debian_llvm(min)))
        .to_vec()
}

/// The newest LLVM whose clang, ld.lld and llvm-ar are on PATH with a version suffix
/// (Debian's `clang-19`), of at least `min_major`, as make's `LLVM=-19`.
fn llvm_suffix(env: &HostEnv, min_major: u64) -> Option<String> {
    (min_major.max(1)..=40)
        .rev()
        .find(|n| {
            ["clang", "ld.lld", "llvm-ar"]
                .iter()
                .all(|tool| env.which(&format!("{tool}-{n}")).is_some())
        })
        .map(|n| format!("-{n}"))
}

/// Checks what one target needs besides the shared tools (`found`: what they found);
/// `kasan`: it is to be built with KASAN, which the kernel gives Rust only with clang.
pub fn check_target(k: &KernelTarget, kasan: bool, env: &HostEnv, found: &Found) -> Vec<Missing> {
    let mut missing = Vec::new();
    if (k.llvm || kasan) && found.llvm.is_none() {
        let why = if k.llvm { "" } else { " with KASAN" };
        let mut packages = k.packages.clone();
        for p in &found.llvm_packages {
            if !packages.contains(p) {
                packages.push(p.clone());
            }
        }
        missing.push(Missing {
            what: format!(
                "clang, ld.lld and llvm-ar of one LLVM (the tree builds {}'s Rust{why} only \
                 with clang)",
                k.name
            ),
            fix: Fix::Apt(packages),
        });
    }
    if let Some(gcc) = k.cross_gcc() {
        if env.which(&gcc).is_none() {
            missing.push(Missing {
                what: format!("`{gcc}` not on PATH"),
                fix: Fix::Apt(k.packages.clone()),
            });
        }
    }
    if let Some(qemu) = k.qemu.as_ref().filter(|q| env.which(q).is_none()) {
        missing.push(Missing {
            what: format!("`{qemu}` not on PATH"),
            fix: Fix::Apt(k.packages.clone()),
        });
    }
    missing
}

/// What `rustc <args>` of `toolchain` (the default when `None`) prints, when it succeeds.
fn rustc(toolchain: Option<&str>, args: &[&str], env: &HostEnv, cwd: &Path) -> Option<String> {
    let mut spec = CommandSpec::new("rustc", cwd).args(args.iter().copied());
    if let Some(t) = toolchain {
        spec = spec.env("RUSTUP_TOOLCHAIN", t);
    }
    spec.output(&env.vars)
        .ok()
        .filter(|o| o.success)
        .map(|o| o.stdout.trim().to_string())
}

/// The toolchain to build with: the default one when it is new enough, else the newest
/// installed one that is, with its `rustc -vV`; `Err` names the version to install. Either
/// way it needs rust-src.
fn pick_toolchain(
    min: &Minimums,
    env: &HostEnv,
    cwd: &Path,
) -> Result<(Option<String>, String), Missing> {
    let version_of = |toolchain: Option<&str>| rustc(toolchain, &["-vV"], env, cwd);
    let need = Missing {
        what: format!("rustc {} or later with rust-src", dotted(&min.rustc)),
        fix: Fix::RustToolchain(dotted(&min.rustc)),
    };
    let mut candidates: Vec<(Vec<u64>, Option<String>, String)> = Vec::new();
    if let Some(v) = version_of(None) {
        if let Some(n) = version_numbers(&v) {
            candidates.push((n, None, v));
        }
    }
    let listed = CommandSpec::new("rustup", cwd)
        .args(["toolchain", "list"])
        .output(&env.vars)
        .map(|o| o.stdout)
        .unwrap_or_default();
    for name in toolchain_names(&listed) {
        if let Some(v) = version_of(Some(&name)) {
            if let Some(n) = version_numbers(&v) {
                candidates.push((n, Some(name), v));
            }
        }
    }
    let chosen = choose(&candidates, &min.rustc).ok_or(need)?;
    let (_, toolchain, verbose) = candidates[chosen].clone();
    // The default by its name, so make's rustc runs under the toolchain checked here
    // whatever a `rustup override` in the build directory says.
    let toolchain = toolchain.or_else(|| {
        (candidates.iter())
            .find(|(_, name, v)| name.is_some() && *v == verbose)
            .and_then(|(_, name, _)| name.clone())
    });
    let sysroot =
        rustc(toolchain.as_deref(), &["--print", "sysroot"], env, cwd).unwrap_or_default();
    if !Path::new(&sysroot)
        .join("lib/rustlib/src/rust/library/core/src/lib.rs")
        .exists()
    {
        return Err(Missing {
            what: format!(
                "rust-src for {}",
                verbose.lines().next().unwrap_or_default()
            ),
            fix: Fix::RustSrc(toolchain.clone().unwrap_or_else(|| "stable".into())),
        });
    }
    Ok((toolchain, verbose))
}

/// Which of `candidates` (version, toolchain name or `None` for the default, `rustc
/// --version`) to build with: the default when it is a release of at least `min`, else the
/// newest release that is. Nightly, beta and local builds are passed over: the kernel
/// supports releases, and a nightly beside stable is common.
fn choose(candidates: &[(Vec<u64>, Option<String>, String)], min: &[u64]) -> Option<usize> {
    let ok: Vec<usize> = (0..candidates.len())
        .filter(|&i| {
            let (n, _, v) = &candidates[i];
            at_least(n, min) && !["-nightly", "-beta", "-dev"].iter().any(|p| v.contains(p))
        })
        .collect();
    ok.iter()
        .copied()
        .find(|&i| candidates[i].1.is_none())
        .or_else(|| {
            ok.iter()
                .copied()
                .max_by(|&a, &b| candidates[a].0.cmp(&candidates[b].0))
        })
}

/// The toolchains `rustup toolchain list` names (`1.97.0-x86_64-unknown-linux-gnu`).
fn toolchain_names(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect()
}

/// A libclang of at least `min_major`: `LIBCLANG_PATH` when set, else the newest
/// `/usr/lib/llvm-N/lib` that has one.
fn libclang(env: &HostEnv, min_major: u64) -> Option<PathBuf> {
    if let Some(dir) = env.get("LIBCLANG_PATH").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let mut dirs: Vec<(u64, PathBuf)> = std::fs::read_dir("/usr/lib")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let n: u64 = name.strip_prefix("llvm-")?.parse().ok()?;
            let lib = e.path().join("lib");
            let has = std::fs::read_dir(&lib).ok()?.flatten().any(|f| {
                f.file_name().to_string_lossy().starts_with("libclang")
                    && f.file_name().to_string_lossy().contains(".so")
            });
            (has && n >= min_major).then_some((n, lib))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, d)| d)
}

/// What `bele setup --kernel` runs for what is missing: one apt install of every package,
/// then the toolchain, then bindgen.
pub fn setup_plan(missing: &[Missing]) -> Vec<CommandSpec> {
    let mut packages: Vec<String> = missing
        .iter()
        .filter_map(|m| match &m.fix {
            Fix::Apt(p) => Some(p.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    packages.sort();
    packages.dedup();
    let mut steps = Vec::new();
    if !packages.is_empty() {
        steps.push(CommandSpec::new("apt-get", "/").args(["update", "-q"]));
        steps.push(
            CommandSpec::new("apt-get", "/")
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(packages)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        );
    }
    let mut rest: Vec<&Fix> = missing
        .iter()
        .map(|m| &m.fix)
        .filter(|f| !matches!(f, Fix::Apt(_)))
        .collect();
    rest.sort();
    rest.dedup();
    for fix in rest {
        steps.push(match fix {
            Fix::RustToolchain(v) => CommandSpec::new("rustup", "/").args([
                "toolchain",
                "install",
                v,
                "--profile",
                "minimal",
                "-c",
                "rust-src",
            ]),
            Fix::RustSrc(t) => CommandSpec::new("rustup", "/").args([
                "component",
                "add",
                "rust-src",
                "--toolchain",
                t,
            ]),
            Fix::Bindgen(min) => CommandSpec::new("cargo", "/").args([
                "install".to_string(),
                "--locked".into(),
                "bindgen-cli".into(),
                "--version".into(),
                format!(">={min}"),
            ]),
            Fix::Apt(_) => continue,
        });
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_at_least_the_minimum_is_chosen_never_a_nightly() {
        let c = |v: &str, t: Option<&str>| {
            (
                version_numbers(v).unwrap(),
                t.map(String::from),
                v.to_string(),
            )
        };
        let min = [1, 96, 0];
        let machine = [
            c("rustc 1.95.0 (59807616e 2026-04-14)", None),
            c(
                "rustc 1.97.0-nightly (e50aa6fba 2026-05-19)",
                Some("nightly"),
            ),
            c("rustc 1.96.0 (ac68faa20 2026-05-25)", Some("1.96.0")),
        ];
        assert_eq!(choose(&machine, &min), Some(2));
        assert_eq!(
            choose(&machine[..2], &min),
            None,
            "only a nightly is new enough"
        );
        let default_ok = [
            c("rustc 1.98.0 (x)", None),
            c("rustc 1.99.0 (y)", Some("1.99.0")),
        ];
        assert_eq!(
            choose(&default_ok, &min),
            Some(0),
            "the default when it is enough"
        );
    }

    #[test]
    fn toolchain_listing() {
        let listing = "stable-x86_64-unknown-linux-gnu (active, default)\nnightly-x86_64-unknown-linux-gnu\n1.97.0-x86_64-unknown-linux-gnu\n";
        assert_eq!(
            toolchain_names(listing),
            [
                "stable-x86_64-unknown-linux-gnu",
                "nightly-x86_64-unknown-linux-gnu",
                "1.97.0-x86_64-unknown-linux-gnu"
            ]
        );
    }

    #[test]
    fn setup_installs_packages_once_then_toolchain_then_bindgen() {
        let m = |what: &str, fix: Fix| Missing {
            what: what.into(),
            fix,
        };
        let steps = setup_plan(&[
            m("bindgen", Fix::Bindgen("0.71.1".into())),
            m(
                "gcc",
                Fix::Apt(vec![
                    "gcc-s390x-linux-gnu".into(),
                    "qemu-system-s390x".into(),
                ]),
            ),
            m(
                "qemu",
                Fix::Apt(vec![
                    "gcc-s390x-linux-gnu".into(),
                    "qemu-system-s390x".into(),
                ]),
            ),
            m("rustc", Fix::RustToolchain("1.96.0".into())),
            m("flex", Fix::Apt(vec!["flex".into()])),
        ]);
        let lines: Vec<String> = steps.iter().map(CommandSpec::display).collect();
        assert_eq!(
            lines,
            [
                "apt-get update -q",
                "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends flex gcc-s390x-linux-gnu qemu-system-s390x",
                "rustup toolchain install 1.96.0 --profile minimal -c rust-src",
                "cargo install --locked bindgen-cli --version '>=0.71.1'",
            ]
        );
        assert!(setup_plan(&[]).is_empty());
    }

    /// A row built with clang gets the newest complete LLVM of at least the tree's minimum;
    /// with none it is missing, with the row's packages as the fix; other rows ask only for
    /// KASAN.
    #[test]
    fn the_newest_complete_llvm_is_chosen_for_clang_rows() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("bele-llvm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // LLVM 19 complete, 21 without its linker, 14 too old.
        for tool in [
            "clang-19",
            "ld.lld-19",
            "llvm-ar-19",
            "clang-21",
            "llvm-ar-21",
            "clang-14",
            "ld.lld-14",
            "llvm-ar-14",
        ] {
            let p = dir.join(tool);
            std::fs::write(&p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let env = HostEnv {
            vars: vec![("PATH".into(), dir.display().to_string())],
        };
        assert_eq!(llvm_suffix(&env, 17).as_deref(), Some("-19"));
        assert_eq!(llvm_suffix(&env, 20), None);
        assert_eq!(llvm_suffix(&env, 0).as_deref(), Some("-19"));
        let table = bele_targets::KernelTable::builtin();
        let riscv = table.get("riscv64").unwrap();
        assert!(riscv.llvm && riscv.cross_compile.is_none());
        let none = Found {
            llvm_packages: llvm_packages(&Minimums {
                llvm: vec![15, 0, 0],
                ..Minimums::default()
            }),
            ..Found::default()
        };
        let missing = check_target(riscv, false, &env, &none);
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(
            missing[0].what.starts_with("clang, ld.lld and llvm-ar"),
            "{missing:?}"
        );
        assert_eq!(missing[0].fix, Fix::Apt(riscv.packages.clone()));
        let with = Found {
            llvm: Some("-19".into()),
            ..Found::default()
        };
        // Only qemu-system-riscv64 is missing from this PATH.
        assert_eq!(check_target(riscv, false, &env, &with).len(), 1);
        let s390x = table.get("s390x").unwrap();
        assert!(!s390x.llvm);
        assert!(check_target(s390x, false, &env, &none)
            .iter()
            .all(|m| !m.what.contains("clang")));
        // With KASAN every row needs clang, and the fix adds LLVM to the row's packages.
        let kasan = check_target(s390x, true, &env, &none);
        let clang = kasan
            .iter()
            .find(|m| m.what.contains("Rust with KASAN only with clang"));
        let Some(Missing {
            fix: Fix::Apt(packages),
            ..
        }) = clang
        else {
            panic!("{kasan:?}")
        };
        assert!(packages.starts_with(&s390x.packages), "{packages:?}");
        assert!(
            packages.ends_with(&["clang-19", "lld-19", "llvm-19"].map(String::from)),
            "{packages:?}"
        );
        assert_eq!(
            check_target(s390x, true, &env, &with).len(),
            kasan.len() - 1
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
