//! The target table: what bele knows about each architecture, as data, with a typed loader.
//!
//! This crate is pure data: it reads text and answers questions about it. It spawns nothing
//! and touches no file except the one it is asked to load.

mod kernel;
mod select;
mod traits;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use kernel::{
    suites, KernelTable, KernelTarget, BUILTIN_KERNELS, BUILTIN_KERNELS_ORIGIN, SUITES,
};
pub use select::{select, SelectError};
pub use traits::{describe, Described, Phrase, Signedness, Trait, Traits};

/// The table compiled into bele.
pub const BUILTIN_TABLE: &str = include_str!("../targets.toml");
/// The name the builtin table is reported under in errors.
pub const BUILTIN_ORIGIN: &str = "targets/targets.toml";

/// Byte order of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    // Big first: verdicts about big-endian targets sort first, the usual way a bug shows.
    Big,
    Little,
}

impl Endian {
    /// Short label used in selectors and reports: `le` or `be`.
    pub fn short(self) -> &'static str {
        match self {
            Endian::Little => "le",
            Endian::Big => "be",
        }
    }
}

impl fmt::Display for Endian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Endian::Little => "little",
            Endian::Big => "big",
        })
    }
}

/// Architecture family, as used in selectors (`--targets mips`) and triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    X86,
    Arm,
    Arm64,
    Mips,
    Riscv,
    Powerpc,
    S390x,
    Sparc,
}

impl Arch {
    /// Every family, in the order they are listed in help texts.
    pub const ALL: [Arch; 8] = [
        Arch::X86,
        Arch::Arm,
        Arch::Arm64,
        Arch::Mips,
        Arch::Riscv,
        Arch::Powerpc,
        Arch::S390x,
        Arch::Sparc,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::Arm => "arm",
            Arch::Arm64 => "arm64",
            Arch::Mips => "mips",
            Arch::Riscv => "riscv",
            Arch::Powerpc => "powerpc",
            Arch::S390x => "s390x",
            Arch::Sparc => "sparc",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Width of a pointer (and of `usize`) in bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub enum PointerWidth {
    W32,
    W64,
}

impl PointerWidth {
    pub fn bits(self) -> u32 {
        match self {
            PointerWidth::W32 => 32,
            PointerWidth::W64 => 64,
        }
    }
}

impl TryFrom<u32> for PointerWidth {
    type Error = String;
    fn try_from(bits: u32) -> Result<Self, String> {
        match bits {
            32 => Ok(PointerWidth::W32),
            64 => Ok(PointerWidth::W64),
            other => Err(format!("pointer_width must be 32 or 64, not {other}")),
        }
    }
}

impl From<PointerWidth> for u32 {
    fn from(w: PointerWidth) -> u32 {
        w.bits()
    }
}

impl fmt::Display for PointerWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.bits())
    }
}

/// How the Rust standard library for a target is normally obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StdSource {
    /// `rustup target add` ships a prebuilt rust-std.
    Prebuilt,
    /// std is compiled from rust-src with `-Zbuild-std` (tier 3 targets).
    BuildStd,
}

impl fmt::Display for StdSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StdSource::Prebuilt => "prebuilt",
            StdSource::BuildStd => "build-std",
        })
    }
}

/// The C library test executables are linked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Libc {
    /// Debian's cross glibc, dynamically linked: QEMU needs its sysroot.
    Glibc,
    /// musl, statically linked (from zig): QEMU needs nothing.
    Musl,
}

impl fmt::Display for Libc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
        })
    }
}

/// How a target's executables are linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRoute<'t> {
    /// A C compiler driver on PATH (Debian's `gcc-<triple>`), with its sysroot.
    Gcc { linker: &'t str, sysroot: &'t Path },
    /// `zig cc -target <zig_target>`, which brings its own libc.
    Zig { zig_target: &'t str },
}

/// A target rustc does not know, whose spec bele derives from one it does: the spec of
/// `from` as the toolchain in use prints it, with keys set and removed. Derived anew from
/// the toolchain of each run, since the format changes between compiler versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedSpec {
    pub from: String,
    #[serde(default)]
    pub set: toml::Table,
    #[serde(default)]
    pub remove: Vec<String>,
}

// toml values hold floats, so `Eq` is declared by hand for what a table can hold.
impl Eq for DerivedSpec {}

/// Flags a published crate needs to build for a target as it is (a workaround, with its
/// reason): given to a build only when the workspace's dependency graph holds the crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrateFlags {
    /// The crate's name on crates.io.
    #[serde(rename = "crate")]
    pub name: String,
    pub rustflags: Vec<String>,
    /// Why the crate needs them, for the README and the build's notes.
    pub why: String,
}

/// A published crate known to misbehave on a target (wrong results, not a build failure),
/// for versions of it and, optionally, of rustc: a test that fails on such targets only is
/// not blamed on the workspace when its dependency graph holds a matching version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFault {
    /// The crate's name on crates.io.
    #[serde(rename = "crate")]
    pub name: String,
    /// The faulty versions, as a Cargo version requirement (`">=2.8.1"`).
    pub versions: String,
    /// The rustc versions with which they are faulty (`"<1.97"`); every one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rustc: Option<String>,
    /// What goes wrong, shown to users.
    pub what: String,
    /// Where it is reported upstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub see: Option<String>,
    /// A version of the crate shown right on this target (`"1.4.2"`): a failure suspected
    /// of the fault runs again with it in the faulty version's place, and only passing
    /// there makes the failure the crate's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
}

impl KnownFault {
    /// Whether `version` of the crate, built by rustc `rustc`, is faulty. Requirements
    /// that do not parse match nothing (the table's loader refuses them).
    pub fn matches(&self, version: &semver::Version, rustc: Option<&semver::Version>) -> bool {
        let req = |s: &str| semver::VersionReq::parse(s).ok();
        let crate_matches = req(&self.versions).is_some_and(|r| r.matches(version));
        let rustc_matches = match (&self.rustc, rustc) {
            (None, _) => true,
            (Some(r), Some(v)) => req(r).is_some_and(|r| r.matches(v)),
            // Unknown rustc: the fault may apply.
            (Some(_), None) => true,
        };
        crate_matches && rustc_matches
    }
}

/// One row of the target table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub triple: String,
    pub arch: Arch,
    pub endian: Endian,
    pub pointer_width: PointerWidth,
    pub qemu: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_on: Option<String>,
    pub libc: Libc,
    /// The C compiler driver that links (the Debian gcc route).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linker: Option<String>,
    /// The guest root QEMU gets as `-L` (dynamically linked targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysroot: Option<PathBuf>,
    /// zig's name for the target (the zig route: `zig cc -target <zig_target>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zig_target: Option<String>,
    /// Flags rustc needs for this target, set per build as `CARGO_TARGET_<T>_RUSTFLAGS`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rustflags: Vec<String>,
    /// A second CPU model for QEMU (`QEMU_CPU`): a failure the re-check looks at also runs
    /// under it, as a fact for the report (code that dispatches on CPU features takes
    /// another path there, so passing under it never excuses a failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recheck_cpu: Option<String>,
    /// Workarounds for published crates that do not build for this target as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crate_flags: Vec<CrateFlags>,
    /// Published crates known to give wrong results on this target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known_faults: Vec<KnownFault>,
    /// For a target rustc does not know: how its spec is derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<DerivedSpec>,
    pub packages: Vec<String>,
    pub std: StdSource,
    pub tier: u8,
    /// Alignment of `u64` and `f64` in bytes.
    pub u64_align: u8,
    /// Signedness of `core::ffi::c_char`.
    pub c_char: Signedness,
    /// Whether a misaligned load traps under QEMU user mode.
    pub strict_align: bool,
    /// Whether 64-bit atomics exist (`cfg(target_has_atomic = "64")`).
    pub atomic64: bool,
}

impl Target {
    /// The traits verdicts are explained with.
    pub fn traits(&self) -> Traits {
        Traits {
            endian: self.endian,
            pointer_width: self.pointer_width,
            arch: self.arch,
            u64_align: self.u64_align,
            c_char: self.c_char,
            strict_align: self.strict_align,
            atomic64: self.atomic64,
        }
    }

    /// How executables are linked. The loader checks that each row has exactly one route.
    pub fn link_route(&self) -> LinkRoute<'_> {
        match (&self.zig_target, &self.linker, &self.sysroot) {
            (Some(zig_target), _, _) => LinkRoute::Zig { zig_target },
            (None, Some(linker), Some(sysroot)) => LinkRoute::Gcc { linker, sysroot },
            _ => unreachable!("the loader refuses a target without a link route"),
        }
    }

    /// The guest root QEMU gets as `-L`, if the executables need one.
    pub fn qemu_sysroot(&self) -> Option<&Path> {
        self.sysroot.as_deref()
    }

    /// Whether executables for this target run without QEMU on `host`.
    pub fn runs_natively_on(&self, host: &str) -> bool {
        self.native_on.as_deref() == Some(host)
    }

    /// The `CARGO_TARGET_<TRIPLE>_` prefix cargo uses for per-target settings.
    pub fn cargo_env_prefix(&self) -> String {
        let upper: String = self
            .triple
            .chars()
            .map(|c| {
                if c == '-' || c == '.' {
                    '_'
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect();
        format!("CARGO_TARGET_{upper}_")
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    target: Vec<Target>,
}

/// A table file's text and the name errors give it.
fn read_table(path: &Path) -> Result<(String, String), TableError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TableError::Read {
        file: file.clone(),
        source,
    })?;
    Ok((text, file))
}

/// The whole table, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    targets: Vec<Target>,
}

/// A target table that cannot be used, with the file and line to fix.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("cannot read target table {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid target table {file}: {message}")]
    Parse { file: String, message: String },
    #[error("invalid target table {file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
}

impl Table {
    /// The table compiled into bele.
    pub fn builtin() -> Table {
        Table::parse(BUILTIN_TABLE, BUILTIN_ORIGIN)
            .unwrap_or_else(|e| panic!("the builtin target table is invalid: {e}"))
    }

    /// Reads and validates a table file.
    pub fn load(path: &Path) -> Result<Table, TableError> {
        let (text, file) = read_table(path)?;
        Table::parse(&text, &file)
    }

    /// Parses and validates table text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Table, TableError> {
        let parsed: TableFile = toml::from_str(text).map_err(|e| TableError::Parse {
            file: origin.to_string(),
            // toml's message already names line and column and quotes the offending text.
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |triple: &str, message: String| TableError::Invalid {
            file: origin.to_string(),
            line: line_of_triple(text, triple),
            message,
        };
        let mut seen = std::collections::HashSet::new();
        for t in &parsed.target {
            if !seen.insert(t.triple.as_str()) {
                return Err(invalid(
                    &t.triple,
                    format!(
                        "duplicate target `{}` (remove one of the entries)",
                        t.triple
                    ),
                ));
            }
            check_entry(t).map_err(|message| invalid(&t.triple, message))?;
        }
        if parsed.target.is_empty() {
            return Err(TableError::Invalid {
                file: origin.to_string(),
                line: 1,
                message: "the table has no [[target]] entries".into(),
            });
        }
        Ok(Table {
            targets: parsed.target,
        })
    }

    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    pub fn get(&self, triple: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.triple == triple)
    }
}

/// The 1-based line on which `triple = "<triple>"` stands, or 1 if it cannot be found.
fn line_of_triple(text: &str, triple: &str) -> usize {
    let quoted = format!("\"{triple}\"");
    text.lines()
        .position(|l| l.trim_start().starts_with("triple") && l.contains(&quoted))
        .map_or(1, |i| i + 1)
}

/// The checks of one table entry on its own: the message says what is wrong and the fix.
fn check_entry(t: &Target) -> Result<(), String> {
    if t.triple.split('-').count() < 3 {
        return Err(format!(
            "`{}` is not a target triple (expected arch-vendor-os[-env])",
            t.triple
        ));
    }
    if !t.qemu.starts_with("qemu-") {
        return Err(format!(
            "qemu = `{}` is not a QEMU user-mode binary name (expected qemu-<arch>)",
            t.qemu
        ));
    }
    match (&t.linker, &t.zig_target) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(format!(
                "`{}` needs exactly one of `linker` (a C compiler driver such as \
                 s390x-linux-gnu-gcc, with `sysroot`) and `zig_target` (zig's name \
                 for the target, linked with zig's static musl)",
                t.triple
            ))
        }
        _ => {}
    }
    match (&t.linker, &t.sysroot) {
        (Some(_), None) => {
            return Err(format!(
                "`{}` links with `linker` but has no `sysroot` (the guest root QEMU \
                 gets, for example /usr/<gnu-triple>)",
                t.triple
            ))
        }
        (_, Some(sysroot)) if !sysroot.is_absolute() => {
            return Err(format!(
                "sysroot = `{}` must be an absolute path (for example /usr/<gnu-triple>)",
                sysroot.display()
            ))
        }
        _ => {}
    }
    if t.zig_target.is_some() && t.libc != Libc::Musl {
        return Err(format!(
            "`{}` links with zig, which bele uses for static musl only: set libc = \"musl\"",
            t.triple
        ));
    }
    if let Some(spec) = &t.spec {
        if spec.from == t.triple {
            return Err(format!(
                "`{}` derives its spec from itself: name the target rustc knows in `spec.from`",
                t.triple
            ));
        }
    }
    if !matches!(t.u64_align, 2 | 4 | 8) {
        return Err(
                    format!(
                        "u64_align = {} is not an alignment of u64 (2, 4 or 8 bytes; 8 on most targets, 4 on i686)",
                        t.u64_align
                    ),
                );
    }
    for c in &t.crate_flags {
        if c.name.is_empty() || c.rustflags.is_empty() || c.why.trim().is_empty() {
            return Err(format!(
                "a crate_flags entry of `{}` needs `crate` (a crate's name), `rustflags` \
                 (at least one flag) and `why` (the reason, shown to users)",
                t.triple
            ));
        }
    }
    for f in &t.known_faults {
        if f.name.is_empty() || f.what.trim().is_empty() {
            return Err(format!(
                "a known_faults entry of `{}` needs `crate` (a crate's name) and `what` (what \
                 goes wrong, shown to users)",
                t.triple
            ));
        }
        if let Some(control) = &f.control {
            let version = semver::Version::parse(control).map_err(|e| {
                format!(
                    "known_faults of `{}`, crate `{}`: control = \"{control}\" is not a version \
                     ({e}; write the exact version shown right, for example \"1.4.2\")",
                    t.triple, f.name
                )
            })?;
            let faulty = semver::VersionReq::parse(&f.versions).is_ok_and(|r| r.matches(&version));
            if faulty {
                return Err(format!(
                    "known_faults of `{}`, crate `{}`: control = \"{control}\" is among the \
                     faulty versions (\"{}\"): a control must be a version shown right",
                    t.triple, f.name, f.versions
                ));
            }
        }
        let requirements = std::iter::once(("versions", &f.versions))
            .chain(f.rustc.as_ref().map(|r| ("rustc", r)));
        for (key, value) in requirements {
            if let Err(e) = semver::VersionReq::parse(value) {
                return Err(format!(
                    "known_faults of `{}`, crate `{}`: {key} = \"{value}\" is not a version \
                     requirement ({e}; write it as in Cargo.toml, for example \">=2.8.1\" or \
                     \"<1.97\")",
                    t.triple, f.name
                ));
            }
        }
    }
    if t.packages.is_empty() {
        return Err(format!(
            "`{}` lists no Debian packages (name at least the linker's)",
            t.triple
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
