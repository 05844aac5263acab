//! The kernel target table (`kernels.toml`): how to build a Linux kernel for an architecture
//! and boot it under qemu-system, as data, with a typed loader. Pure data, like the user-mode
//! table: it spawns nothing and reads only the file it is asked to load.

use std::path::Path;

use serde::Deserialize;

use crate::{Table, TableError, Target};

/// The kernel table compiled into bele.
pub const BUILTIN_KERNELS: &str = include_str!("../kernels.toml");
/// The name the builtin kernel table is reported under in errors.
pub const BUILTIN_KERNELS_ORIGIN: &str = "targets/kernels.toml";

/// Named sets of the kernel's C KUnit suites (`bele kernel --suites NAME`), each a
/// kunitconfig fragment under `targets/suites/`.
pub const SUITES: &[(&str, &str)] = &[("endian", include_str!("../suites/endian.kunitconfig"))];

/// The kunitconfig text of the suite set `name`.
pub fn suites(name: &str) -> Option<&'static str> {
    SUITES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// One architecture a kernel can be built for and booted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelTarget {
    pub name: String,
    /// make's `ARCH`.
    pub arch: String,
    /// The directory under `arch/`.
    pub srcarch: String,
    /// The user-mode target of the same ABI, for byte order, width and traits.
    pub like: String,
    /// make's `CROSS_COMPILE`; `None` when the host builds it natively.
    #[serde(default)]
    pub cross_compile: Option<String>,
    /// The image to boot, relative to the build directory.
    pub image: String,
    /// The make target that builds `image`.
    pub image_target: String,
    /// The qemu-system binary that boots `image`; `None` when the image is itself a program
    /// of this machine (User Mode Linux), run with `qemu_args` and the command line as its
    /// arguments.
    #[serde(default)]
    pub qemu: Option<String>,
    #[serde(default)]
    pub qemu_args: Vec<String>,
    pub console: String,
    #[serde(default)]
    pub kconfig: Vec<String>,
    #[serde(default)]
    pub packages: Vec<String>,
    /// Built with clang and LLVM's tools (make's `LLVM=`), as the tree asks for Rust on
    /// this architecture (`select HAVE_RUST if ... CC_IS_CLANG`).
    #[serde(default)]
    pub llvm: bool,
    /// Whether `bele kernel` builds it when `--targets` names none (where two rows give
    /// the same verdicts, the faster one is the default).
    #[serde(default = "yes")]
    pub default: bool,
}

fn yes() -> bool {
    true
}

impl KernelTarget {
    /// The name results give it: `s390x-linux-kernel`, whose short name is `s390x`.
    pub fn result_name(&self) -> String {
        format!("{}-linux-kernel", self.name)
    }

    /// The executable's file name of its qemu-system (`qemu-system-s390x`), whatever
    /// directory the row names; `None` for a kernel run as a program (UML).
    pub fn qemu_program(&self) -> Option<&str> {
        let q = self.qemu.as_deref()?;
        Some(q.rsplit('/').next().unwrap_or(q))
    }

    /// The row's Debian packages that hold its qemu-system (`qemu-system-s390x`; arm64's
    /// is in `qemu-system-arm`).
    pub fn qemu_packages(&self) -> impl Iterator<Item = &String> {
        self.packages
            .iter()
            .filter(|p| p.starts_with("qemu-system-"))
    }

    /// The cross C compiler make runs, when it is not the host's.
    pub fn cross_gcc(&self) -> Option<String> {
        self.cross_compile.as_ref().map(|p| format!("{p}gcc"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KernelFile {
    kernel: Vec<KernelTarget>,
}

/// The kernel table, in file order, each row checked against the user-mode table its `like`
/// names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelTable {
    kernels: Vec<KernelTarget>,
}

impl KernelTable {
    /// The table compiled into bele.
    pub fn builtin() -> KernelTable {
        KernelTable::parse(BUILTIN_KERNELS, BUILTIN_KERNELS_ORIGIN, &Table::builtin())
            .unwrap_or_else(|e| panic!("the builtin kernel table is invalid: {e}"))
    }

    /// Reads and validates a kernel table file.
    pub fn load(path: &Path, users: &Table) -> Result<KernelTable, TableError> {
        let (text, file) = crate::read_table(path)?;
        KernelTable::parse(&text, &file, users)
    }

    /// Parses and validates table text; `origin` names the file in errors, `users` is the
    /// user-mode table the rows' `like` must name.
    pub fn parse(text: &str, origin: &str, users: &Table) -> Result<KernelTable, TableError> {
        let parsed: KernelFile = toml::from_str(text).map_err(|e| TableError::Parse {
            file: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |name: &str, message: String| TableError::Invalid {
            file: origin.to_string(),
            line: line_of(text, name),
            message,
        };
        let mut seen = std::collections::HashSet::new();
        for k in &parsed.kernel {
            if !seen.insert(k.name.as_str()) {
                return Err(invalid(
                    &k.name,
                    format!("duplicate kernel target `{}`", k.name),
                ));
            }
            if users.get(&k.like).is_none() {
                return Err(invalid(
                    &k.name,
                    format!(
                        "like = `{}` is not a target of the target table (name the user-mode \
                         target of the same ABI, such as s390x-unknown-linux-gnu)",
                        k.like
                    ),
                ));
            }
            if let Some(qemu) = k.qemu.as_ref().filter(|q| !q.starts_with("qemu-system-")) {
                return Err(invalid(
                    &k.name,
                    format!(
                        "qemu = `{qemu}` is not a qemu-system binary (expected \
                         qemu-system-<arch>, or no `qemu` for an image that runs itself)"
                    ),
                ));
            }
            if let Some(bad) = k
                .kconfig
                .iter()
                .find(|c| !c.starts_with("CONFIG_") || !c.contains('='))
            {
                return Err(invalid(
                    &k.name,
                    format!("kconfig line `{bad}` is not CONFIG_NAME=value"),
                ));
            }
        }
        Ok(KernelTable {
            kernels: parsed.kernel,
        })
    }

    pub fn kernels(&self) -> &[KernelTarget] {
        &self.kernels
    }

    /// Boots target `name` under `qemu` (a path) instead of its row's qemu-system: `bele
    /// kernel --qemu`, another build of the same emulator.
    pub fn set_qemu(&mut self, name: &str, qemu: String) {
        if let Some(k) = self.kernels.iter_mut().find(|k| k.name == name) {
            k.qemu = Some(qemu);
        }
    }

    pub fn get(&self, name: &str) -> Option<&KernelTarget> {
        self.kernels
            .iter()
            .find(|k| k.name == name || k.result_name() == name)
    }

    /// The user-mode target a kernel target shares its ABI with.
    pub fn like<'t>(&self, kernel: &KernelTarget, users: &'t Table) -> Option<&'t Target> {
        users.get(&kernel.like)
    }
}

/// The line of `name = "<name>"` in `text`, for errors (1 when not found).
fn line_of(text: &str, name: &str) -> usize {
    let needle = format!("name = \"{name}\"");
    text.lines()
        .position(|l| l.trim() == needle)
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Endian;

    /// Each row booted under qemu-system names its executable and the package that holds
    /// it (what `--qemu` and the re-check fetch from Debian unstable); UML names neither.
    #[test]
    fn a_rows_qemu_system_comes_with_its_package() {
        let table = KernelTable::builtin();
        let row = |name: &str| table.get(name).unwrap();
        assert_eq!(row("s390x").qemu_program(), Some("qemu-system-s390x"));
        let packages = |name: &str| row(name).qemu_packages().cloned().collect::<Vec<_>>();
        assert_eq!(packages("s390x"), ["qemu-system-s390x"]);
        assert_eq!(row("arm64").qemu_program(), Some("qemu-system-aarch64"));
        assert_eq!(packages("arm64"), ["qemu-system-arm"]);
        assert_eq!(row("um").qemu_program(), None);
        assert!(packages("um").is_empty());
        for k in table.kernels().iter().filter(|k| k.qemu.is_some()) {
            assert_eq!(packages(&k.name).len(), 1, "{}", k.name);
        }
    }

    #[test]
    fn every_builtin_kernel_target_is_complete_and_like_a_user_target() {
        let users = Table::builtin();
        let table = KernelTable::builtin();
        let names: Vec<&str> = table.kernels().iter().map(|k| k.name.as_str()).collect();
        assert!(
            names.contains(&"x86_64") && names.contains(&"s390x"),
            "{names:?}"
        );
        for k in table.kernels() {
            let like = table.like(k, &users).unwrap();
            assert!(k.image.ends_with(&k.image_target), "{k:?}");
            if let Some(qemu) = &k.qemu {
                assert!(
                    k.image.starts_with(&format!("arch/{}/", k.srcarch)),
                    "{k:?}"
                );
                assert!(qemu.starts_with("qemu-system-"), "{k:?}");
                assert!(
                    k.packages.iter().any(|p| p.starts_with("qemu-system-")),
                    "{k:?}"
                );
            } else {
                // An image that runs itself is built for this machine: no cross compiler.
                assert_eq!(
                    (k.cross_compile.as_ref(), k.image.as_str()),
                    (None, "linux")
                );
            }
            if let Some(gcc) = k.cross_gcc() {
                assert!(
                    k.packages
                        .contains(&format!("gcc-{}", gcc.trim_end_matches("-gcc"))),
                    "{k:?}"
                );
            }
            assert_eq!(table.get(&k.result_name()), Some(k));
            assert_eq!(k.result_name().split('-').next(), Some(k.name.as_str()));
            assert!(users.get(&like.triple).is_some());
        }
        let s390x = table.get("s390x").unwrap();
        assert_eq!(table.like(s390x, &users).unwrap().endian, Endian::Big);
    }

    #[test]
    fn bad_rows_name_the_file_line_and_fix() {
        let users = Table::builtin();
        let row = |extra: &str| {
            format!(
                "[[kernel]]\nname = \"k\"\narch = \"a\"\nsrcarch = \"a\"\nlike = \"s390x-unknown-linux-gnu\"\n\
                 image = \"arch/a/boot/x\"\nimage_target = \"x\"\nqemu = \"qemu-system-a\"\nconsole = \"ttyS0\"\n{extra}"
            )
        };
        KernelTable::parse(&row(""), "k.toml", &users).unwrap();
        let err = KernelTable::parse(&row("colour = 1\n"), "k.toml", &users)
            .unwrap_err()
            .to_string();
        assert!(err.contains("k.toml") && err.contains("colour"), "{err}");
        let err = KernelTable::parse(
            &row("").replace("s390x-unknown-linux-gnu", "nope"),
            "k.toml",
            &users,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("k.toml:2") && err.contains("like = `nope`"),
            "{err}"
        );
        let err = KernelTable::parse(
            &row("").replace("qemu-system-a", "qemu-a"),
            "k.toml",
            &users,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("qemu-system-<arch>"), "{err}");
        let err = KernelTable::parse(&row("kconfig = [\"RUST=y\"]\n"), "k.toml", &users)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`RUST=y`"), "{err}");
    }
}
