//! A kernel source tree as bele reads it, never writes it: its version, which architectures
//! its Kconfig gives Rust (and Rust with KASAN), the minimum tool versions it asks for, and
//! the Rust test options it has. Text in, facts out; the one command it builds
//! (`scripts/min-tool-version.sh`) is a value run by the caller.

use std::path::{Path, PathBuf};

use bele_targets::KernelTarget;

use crate::util::process::CommandSpec;

/// A kernel tree that was checked to be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub path: PathBuf,
    /// `7.2.13` (with EXTRAVERSION).
    pub version: String,
}

impl Tree {
    /// Checks that `path` is a kernel tree and reads its version. The error names the path
    /// and the fix.
    pub fn inspect(path: &Path) -> Result<Tree, String> {
        let makefile = path.join("Makefile");
        let text = std::fs::read_to_string(&makefile).map_err(|e| {
            format!(
                "{} is not a kernel tree: cannot read {} ({e}); give --tree the top of a Linux \
                 source tree (ci/fetch-linux.sh fetches one)",
                path.display(),
                makefile.display()
            )
        })?;
        let version = makefile_version(&text).ok_or_else(|| {
            format!(
                "{} is not a kernel tree: its Makefile has no VERSION/PATCHLEVEL lines",
                path.display()
            )
        })?;
        for needed in ["Kconfig", "scripts/min-tool-version.sh", "rust"] {
            if !path.join(needed).exists() {
                return Err(format!(
                    "{} (Linux {version}) has no {needed}: bele kernel needs a tree with Rust \
                     support (Linux 6.1 or later; s390x needs 7.2)",
                    path.display()
                ));
            }
        }
        Ok(Tree {
            path: path.to_path_buf(),
            version,
        })
    }

    /// Whether the tree's Kconfig for `k`'s architecture selects `HAVE_RUST` (perhaps under
    /// conditions, which `make olddefconfig` then decides).
    pub fn supports_rust(&self, k: &KernelTarget) -> bool {
        selects_have_rust(&self.arch_kconfig(k))
    }

    /// Why the tree gives `k` no Rust kernel with KASAN, or `None` (see [`kasan_gap`]).
    pub fn kasan_gap(&self, k: &KernelTarget) -> Option<String> {
        kasan_gap(&k.srcarch, &self.arch_kconfig(k))
    }

    /// `arch/<srcarch>/Kconfig` of `k` (empty when unreadable).
    fn arch_kconfig(&self, k: &KernelTarget) -> String {
        std::fs::read_to_string(self.path.join("arch").join(&k.srcarch).join("Kconfig"))
            .unwrap_or_default()
    }

    /// The command that prints the tree's minimum version of `tool` (`rustc`, `bindgen`,
    /// `llvm`) for `k`'s architecture.
    pub fn min_tool_command(&self, tool: &str, k: &KernelTarget) -> CommandSpec {
        CommandSpec::new("sh", &self.path)
            .args(["scripts/min-tool-version.sh", tool])
            .env("SRCARCH", &k.srcarch)
    }

    /// The tree's Rust test options: KUnit, Rust, the `kernel` crate's doc-tests and every
    /// Rust KUnit suite option under `rust/`.
    pub fn rust_test_options(&self) -> Vec<String> {
        let mut options: Vec<String> = ["CONFIG_KUNIT=y", "CONFIG_RUST=y"]
            .map(String::from)
            .to_vec();
        let debug =
            std::fs::read_to_string(self.path.join("lib/Kconfig.debug")).unwrap_or_default();
        if kconfig_symbols(&debug)
            .iter()
            .any(|s| s == "RUST_KERNEL_DOCTESTS")
        {
            options.push("CONFIG_RUST_KERNEL_DOCTESTS=y".into());
        }
        let mut files = Vec::new();
        kconfig_files(&self.path.join("rust"), &mut files);
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for s in kconfig_symbols(&text) {
                if is_rust_test_symbol(&s) {
                    let line = format!("CONFIG_{s}=y");
                    if !options.contains(&line) {
                        options.push(line);
                    }
                }
            }
        }
        options
    }
}

/// What the tree's Kconfig makes an option depend on: where it is declared, its `depends on`
/// lines and the `if` blocks around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    /// The Kconfig file, relative to the tree (`lib/Kconfig.debug`).
    pub file: PathBuf,
    /// Each condition, as written (`X86 || ARM64`).
    pub depends: Vec<String>,
}

/// The tree's Kconfig files, read once, for looking up what gates options.
#[derive(Debug, Clone)]
pub struct Kconfig {
    /// Each file (relative to the tree) with its text, in path order.
    files: Vec<(PathBuf, String)>,
}

impl Tree {
    /// Every Kconfig file of the tree, read.
    pub fn kconfig(&self) -> Kconfig {
        let mut paths = Vec::new();
        kconfig_files(&self.path, &mut paths);
        paths.sort();
        let files = (paths.into_iter())
            .filter_map(|f| {
                let text = std::fs::read_to_string(&f).ok()?;
                Some((f.strip_prefix(&self.path).unwrap_or(&f).to_path_buf(), text))
            })
            .collect();
        Kconfig { files }
    }
}

impl Kconfig {
    /// The Kconfig entry of `symbol` (without `CONFIG_`); `None` when the tree has no such
    /// option.
    pub fn gate(&self, symbol: &str) -> Option<Gate> {
        self.files.iter().find_map(|(file, text)| {
            Some(Gate {
                file: file.clone(),
                depends: kconfig_depends(text, symbol)?,
            })
        })
    }

    /// Every symbol the architectures declare (`X86`, `S390`, `64BIT`, `CPU_BIG_ENDIAN`):
    /// an option that depends on one is gated on an architecture.
    pub fn arch_symbols(&self) -> Vec<String> {
        let mut out: Vec<String> = (self.files.iter())
            .filter(|(file, _)| file.starts_with("arch"))
            .flat_map(|(_, text)| kconfig_symbols(text))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The conditions of `symbol`'s entry in one Kconfig file's text: its `depends on` lines and
/// the `if` blocks it is in; `None` when the file does not declare it.
pub fn kconfig_depends(text: &str, symbol: &str) -> Option<Vec<String>> {
    let mut ifs: Vec<String> = Vec::new();
    let mut found: Option<Vec<String>> = None;
    for t in kconfig_statements(text) {
        let mut words = t.split_whitespace();
        let first = words.next().unwrap_or("");
        match first {
            "if" | "endif" if found.is_some() => break,
            "if" => ifs.push(t["if".len()..].trim().to_string()),
            "endif" => {
                ifs.pop();
            }
            "config" | "menuconfig" | "choice" | "endchoice" | "menu" | "endmenu" | "comment"
            | "source" => {
                if found.is_some() {
                    break;
                }
                if first.ends_with("config") && words.next() == Some(symbol) {
                    found = Some(ifs.clone());
                }
            }
            _ => {
                if let (Some(deps), Some(cond)) = (found.as_mut(), t.strip_prefix("depends on ")) {
                    deps.push(cond.trim().to_string());
                }
            }
        }
    }
    found
}

/// A Kconfig file's statements, trimmed, as its parser reads them: help texts left out (a
/// help line that starts with `if` or `depends on` is prose), `\`-continued lines joined,
/// `#` comments cut off.
fn kconfig_statements(text: &str) -> Vec<String> {
    let width = |l: &str| {
        let lead = &l[..l.len() - l.trim_start().len()];
        lead.len() + lead.matches('\t').count() * 7
    };
    let mut out = Vec::new();
    // In a help text: `Some(None)` until its first line sets the indentation.
    let mut help: Option<Option<usize>> = None;
    let mut pending = String::new();
    for line in text.lines() {
        if let Some(indent) = help {
            let w = width(line);
            match indent {
                _ if line.trim().is_empty() => continue,
                None if w > 0 => {
                    help = Some(Some(w));
                    continue;
                }
                Some(i) if w >= i => continue,
                _ => help = None,
            }
        }
        let code = line.split('#').next().unwrap_or_default();
        if let Some(head) = code.trim_end().strip_suffix('\\') {
            pending.push_str(head.trim());
            pending.push(' ');
            continue;
        }
        pending.push_str(code.trim());
        let statement = std::mem::take(&mut pending);
        if matches!(statement.as_str(), "help" | "---help---") {
            help = Some(None);
        } else if !statement.is_empty() {
            out.push(statement);
        }
    }
    out
}

/// `VERSION.PATCHLEVEL.SUBLEVEL` and EXTRAVERSION from the top Makefile.
pub fn makefile_version(text: &str) -> Option<String> {
    let field = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let mut v = format!("{}.{}", field("VERSION")?, field("PATCHLEVEL")?);
    if let Some(sub) = field("SUBLEVEL").filter(|s| !s.is_empty()) {
        v = format!("{v}.{sub}");
    }
    v.push_str(&field("EXTRAVERSION").unwrap_or_default());
    (!v.starts_with('.')).then_some(v)
}

/// Whether an arch Kconfig selects HAVE_RUST.
pub fn selects_have_rust(kconfig: &str) -> bool {
    !select_conditions(kconfig, "HAVE_RUST").is_empty()
}

/// The conditions under which a Kconfig file selects `symbol`, one per `select` line (`""`
/// when unconditional): `select HAVE_RUST if CPU_32v7 && !KASAN` gives `CPU_32v7 && !KASAN`.
pub fn select_conditions(kconfig: &str, symbol: &str) -> Vec<String> {
    kconfig_statements(kconfig)
        .iter()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("select") && words.next() == Some(symbol)).then(|| {
                match words.next() {
                    Some("if") => words.collect::<Vec<_>>().join(" "),
                    _ => String::new(),
                }
            })
        })
        .collect()
}

/// Why `arch/<srcarch>/Kconfig` (its text) gives no Rust kernel with KASAN, or `None`: the
/// architecture has no KASAN, or it selects HAVE_RUST only without it (arm's
/// `HAVE_RUST if ... && !KASAN`).
pub fn kasan_gap(srcarch: &str, kconfig: &str) -> Option<String> {
    if select_conditions(kconfig, "HAVE_ARCH_KASAN").is_empty() {
        return Some(format!(
            "KASAN: arch/{srcarch}/Kconfig does not select HAVE_ARCH_KASAN"
        ));
    }
    let rust = select_conditions(kconfig, "HAVE_RUST");
    let without_kasan = |c: &String| {
        c.split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '!'))
            .any(|w| w == "!KASAN")
    };
    (!rust.is_empty() && rust.iter().all(without_kasan)).then(|| {
        format!(
            "KASAN: arch/{srcarch}/Kconfig selects HAVE_RUST only without it (`select HAVE_RUST \
             if {}`)",
            rust[0]
        )
    })
}

/// The symbols a Kconfig file defines (`config X`, `menuconfig X`).
fn kconfig_symbols(text: &str) -> Vec<String> {
    kconfig_statements(text)
        .iter()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            match (words.next(), words.next()) {
                (Some("config" | "menuconfig"), Some(sym)) => Some(sym.to_string()),
                _ => None,
            }
        })
        .collect()
}

/// A Rust test option: `RUST_..._KUNIT_TEST`, `RUST_KUNIT_TESTS`, `RUST_KUNIT_SELFTEST`.
fn is_rust_test_symbol(s: &str) -> bool {
    s.starts_with("RUST_") && (s.contains("KUNIT") || s.ends_with("_TEST") || s.ends_with("_TESTS"))
}

fn kconfig_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            kconfig_files(&p, out);
        } else if p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("Kconfig"))
        {
            out.push(p);
        }
    }
}

/// A version as numbers (`1.96.0` from `rustc 1.96.0 (…)` or `bindgen 0.72.1`), for
/// comparing with a minimum.
pub fn version_numbers(text: &str) -> Option<Vec<u64>> {
    let word = text
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.'))?;
    let core = word.split(['-', '+']).next()?;
    core.split('.').map(|p| p.parse().ok()).collect()
}

/// Whether `have` is at least `min` (missing parts count as 0).
pub fn at_least(have: &[u64], min: &[u64]) -> bool {
    let n = have.len().max(min.len());
    let part = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    (0..n)
        .map(|i| part(have, i).cmp(&part(min, i)))
        .find(|o| o.is_ne())
        .is_none_or(|o| o.is_gt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Help texts are prose: their lines that start with `if` (five in lib/Kconfig.debug
    /// before RUST_KERNEL_DOCTESTS) opened conditions that the entries after them were
    /// said to depend on. A `\\`-continued `depends on` is one condition.
    #[test]
    fn kconfig_help_texts_are_not_conditions() {
        let text = include_str!("../../tests/captured/Kconfig.debug-excerpt");
        assert_eq!(
            kconfig_depends(text, "RUST_KERNEL_DOCTESTS").unwrap(),
            ["RUST && KUNIT=y"]
        );
        assert_eq!(kconfig_depends(text, "MAGIC_SYSRQ").unwrap(), ["!UML"]);
        assert_eq!(
            kconfig_depends(text, "KCOV").unwrap(),
            [
                "ARCH_HAS_KCOV",
                "!ARCH_WANTS_NO_INSTR || HAVE_NOINSTR_HACK || GCC_VERSION >= 120000 || CC_IS_CLANG"
            ]
        );
        assert_eq!(select_conditions(text, "OBJTOOL"), ["HAVE_NOINSTR_HACK"]);
        assert_eq!(
            kconfig_symbols(text),
            [
                "DEBUG_INFO_DWARF4",
                "DEBUG_INFO_DWARF5",
                "MAGIC_SYSRQ",
                "KCOV",
                "RUST_KERNEL_DOCTESTS"
            ]
        );
        // A help text's last line at the entry's own indentation ends it; so does `config`.
        let k = "config A\n\tbool\n\thelp\n\t  if in doubt, say N.\n\tdepends on B # why\n";
        assert_eq!(kconfig_depends(k, "A").unwrap(), ["B"]);
    }

    #[test]
    fn versions_from_the_makefile() {
        let mk =
            "# SPDX\nVERSION = 7\nPATCHLEVEL = 2\nSUBLEVEL = 13\nEXTRAVERSION =\nNAME = Baby\n";
        assert_eq!(makefile_version(mk).as_deref(), Some("7.2.13"));
        let rc = "VERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 0\nEXTRAVERSION = -rc1\n";
        assert_eq!(makefile_version(rc).as_deref(), Some("7.3.0-rc1"));
        assert_eq!(makefile_version("all:\n\techo"), None);
    }

    #[test]
    fn have_rust_from_an_arch_kconfig() {
        assert!(selects_have_rust(
            "config S390\n\tselect HAVE_RUST if !EXPOLINE\n"
        ));
        assert!(selects_have_rust("\tselect HAVE_RUST\n"));
        assert!(!selects_have_rust(
            "\tselect HAVE_RUSTY\n\t# select HAVE_RUST\n"
        ));
    }

    #[test]
    fn kasan_gaps_from_an_arch_kconfig() {
        let s390 = "config S390\n\tselect HAVE_ARCH_KASAN\n\tselect HAVE_RUST if !EXPOLINE\n";
        assert_eq!(kasan_gap("s390", s390), None);
        let arm = "\tselect HAVE_ARCH_KASAN if MMU && !XIP_KERNEL\n\tselect HAVE_RUST if CPU_LITTLE_ENDIAN && CPU_32v7 && !KASAN\n";
        assert_eq!(
            kasan_gap("arm", arm).unwrap(),
            "KASAN: arch/arm/Kconfig selects HAVE_RUST only without it (`select HAVE_RUST if \
             CPU_LITTLE_ENDIAN && CPU_32v7 && !KASAN`)"
        );
        // `!KASAN_VMALLOC` is another symbol.
        assert_eq!(
            kasan_gap(
                "x",
                "select HAVE_ARCH_KASAN\nselect HAVE_RUST if !KASAN_VMALLOC\n"
            ),
            None
        );
        let none = "\tselect HAVE_RUST\n\t# select HAVE_ARCH_KASAN\n";
        assert_eq!(
            kasan_gap("m68k", none).unwrap(),
            "KASAN: arch/m68k/Kconfig does not select HAVE_ARCH_KASAN"
        );
    }

    /// The tree CI builds, when it is there: KASAN Rust kernels on um, s390 and arm64, not
    /// on arm.
    #[test]
    fn kasan_gaps_in_the_tree() {
        let Some(tree) = std::env::var_os("BELE_KERNEL_TREE") else {
            return;
        };
        let gap = |arch: &str| {
            let text =
                std::fs::read_to_string(Path::new(&tree).join("arch").join(arch).join("Kconfig"))
                    .unwrap();
            kasan_gap(arch, &text)
        };
        for arch in ["um", "s390", "arm64", "riscv", "x86"] {
            assert_eq!(gap(arch), None, "{arch}");
        }
        assert!(gap("arm").unwrap().contains("!KASAN"));
    }

    #[test]
    fn rust_test_symbols() {
        let k = "menuconfig RUST_KUNIT_TESTS\nconfig RUST_KVEC_KUNIT_TEST\nconfig RUST_KUNIT_SELFTEST\nconfig RUST_FW_LOADER_ABSTRACTIONS\n";
        let syms: Vec<String> = kconfig_symbols(k)
            .into_iter()
            .filter(|s| is_rust_test_symbol(s))
            .collect();
        assert_eq!(
            syms,
            [
                "RUST_KUNIT_TESTS",
                "RUST_KVEC_KUNIT_TEST",
                "RUST_KUNIT_SELFTEST"
            ]
        );
    }

    #[test]
    fn tool_versions_compare() {
        assert_eq!(
            version_numbers("rustc 1.97.0 (2d8144b78 2026-07-07)"),
            Some(vec![1, 97, 0])
        );
        assert_eq!(version_numbers("bindgen 0.73.2"), Some(vec![0, 73, 2]));
        assert_eq!(version_numbers("1.96.0\n"), Some(vec![1, 96, 0]));
        assert_eq!(
            version_numbers("rustc 1.98.0-nightly (x)"),
            Some(vec![1, 98, 0])
        );
        assert!(at_least(&[1, 97, 0], &[1, 96, 0]));
        assert!(at_least(&[1, 96], &[1, 96, 0]));
        assert!(!at_least(&[1, 95, 9], &[1, 96, 0]));
        assert!(!at_least(&[0, 71, 0], &[0, 71, 1]));
    }
}
