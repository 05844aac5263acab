//! Configuring and building one kernel out of tree (`O=` in bele's cache; the tree is only
//! read): the configuration fragment (bele's Rust test set, the architecture's needs, the
//! user's kunitconfigs), the make commands as values, and the check that what was asked for
//! is what `olddefconfig` kept.

use std::path::{Path, PathBuf};

use bele_targets::KernelTarget;

use crate::util::process::CommandSpec;

/// The configuration fragment for one target: `tree_options` (bele's Rust test set), the
/// target's own lines, then each kunitconfig's text in order (later lines win, as in
/// kunit.py).
pub fn fragment(
    tree_options: &[String],
    k: &KernelTarget,
    kunitconfigs: &[(PathBuf, String)],
) -> String {
    let mut out =
        String::from("# Written by bele kernel: the Rust tests, then the target's needs\n");
    for line in tree_options.iter().chain(&k.kconfig) {
        out.push_str(line);
        out.push('\n');
    }
    for (path, text) in kunitconfigs {
        out.push_str(&format!("# from {}\n", path.display()));
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// The `CONFIG_X=value` lines a fragment asks for (the last word on each option wins).
pub fn requested(fragment: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in fragment.lines().map(str::trim) {
        let (name, value) = if let Some(rest) = line.strip_prefix("# ") {
            match rest.strip_suffix(" is not set") {
                Some(name) if name.starts_with("CONFIG_") => (name.to_string(), "n".to_string()),
                _ => continue,
            }
        } else if let Some((n, v)) = line.split_once('=') {
            if !n.starts_with("CONFIG_") {
                continue;
            }
            (n.to_string(), v.to_string())
        } else {
            continue;
        };
        out.retain(|(n, _)| *n != name);
        out.push((name, value));
    }
    out
}

/// An option the configuration asked for and `.config` does not have as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmet {
    /// `CONFIG_X`.
    pub name: String,
    pub want: String,
    /// What `.config` has (`None`: not set).
    pub got: Option<String>,
}

impl std::fmt::Display for Unmet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.got.as_deref() {
            None | Some("n") => write!(f, "{}={} (is not set)", self.name, self.want),
            Some(g) => write!(f, "{}={} (is {g})", self.name, self.want),
        }
    }
}

/// The options of `fragment` that `.config` does not have as asked (make dropped them: a
/// dependency is missing).
pub fn unmet(fragment: &str, dotconfig: &str) -> Vec<Unmet> {
    let have = requested(dotconfig);
    requested(fragment)
        .into_iter()
        .filter_map(|(name, want)| {
            let got = (have.iter())
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone());
            let ok = match (want.as_str(), got.as_deref()) {
                ("n", None | Some("n")) => true,
                (w, Some(g)) => w == g,
                (_, None) => false,
            };
            (!ok).then_some(Unmet { name, want, got })
        })
        .collect()
}

/// What a configuration's unmet options mean for its target.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sorted {
    /// Options the tree gates on an architecture this target is not: left out here, each
    /// with why (their tests run where the tree offers them).
    pub left_out: Vec<String>,
    /// Options the build cannot go without (bele's own, the target's, or a test option whose
    /// missing dependency the user can set): the build fails, each named with why.
    pub lost: Vec<String>,
}

/// Sorts `unmet` options: a test option whose Kconfig entry is under `arch/`, or whose
/// unmet condition names a symbol an architecture declares (`X86`, `64BIT`), is left out;
/// anything else is lost, with its conditions and what in them is unmet, so the user can
/// add it. `essential` options (`CONFIG_KUNIT`, `CONFIG_RUST`, the target's own) are always
/// lost. `gate` finds an option's Kconfig entry; `is_arch` says whether a symbol is an
/// architecture's.
pub fn sort_unmet(
    unmet: &[Unmet],
    essential: &[String],
    dotconfig: &str,
    gate: &dyn Fn(&str) -> Option<super::tree::Gate>,
    is_arch: &dyn Fn(&str) -> bool,
) -> Sorted {
    let have = requested(dotconfig);
    let set =
        |sym: &str| (have.iter()).any(|(n, v)| n.strip_prefix("CONFIG_") == Some(sym) && v != "n");
    let mut out = Sorted::default();
    for u in unmet {
        let symbol = u.name.strip_prefix("CONFIG_").unwrap_or(&u.name);
        let entry = (!essential.contains(&u.name))
            .then(|| gate(symbol))
            .flatten();
        let Some(entry) = entry else {
            out.lost.push(u.to_string());
            continue;
        };
        let conditions: Vec<String> = (entry.depends.iter())
            .map(|c| {
                if c.contains("||") {
                    format!("({c})")
                } else {
                    c.clone()
                }
            })
            .collect();
        let culprits = unmet_symbols(&entry.depends, &set);
        let arch = entry.file.starts_with("arch");
        let place = format!(
            "{}: depends on {}",
            entry.file.display(),
            conditions.join(" && ")
        );
        if arch || culprits.iter().any(|(c, _)| is_arch(c)) {
            out.left_out.push(format!(
                "{u}: the tree gates it on an architecture ({place}), so its tests run \
                 only where it is offered"
            ));
        } else if culprits.is_empty() {
            out.lost.push(format!("{u}: {place}"));
        } else {
            let (why, fix): (Vec<String>, Vec<String>) = (culprits.iter())
                .map(|(c, negated)| match negated {
                    false => (format!("{c} is not set"), format!("CONFIG_{c}=y")),
                    true => (format!("{c} is set"), format!("# CONFIG_{c} is not set")),
                })
                .unzip();
            out.lost.push(format!(
                "{u}: {place}, and {} (add `{}` to your kunitconfig)",
                why.join(", "),
                fix.join("`, `")
            ));
        }
    }
    out
}

/// The symbols of `conditions` that hold them back: named plainly and not set, or negated
/// (`!KASAN`, true in the second field) and set.
fn unmet_symbols(conditions: &[String], set: &dyn Fn(&str) -> bool) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    for c in conditions {
        let mut rest = c.as_str();
        let mut prev = ' ';
        while let Some(ch) = rest.chars().next() {
            if ch.is_ascii_uppercase() || ch.is_ascii_digit() {
                let len = rest
                    .find(|x: char| !(x.is_ascii_uppercase() || x.is_ascii_digit() || x == '_'))
                    .unwrap_or(rest.len());
                let sym = &rest[..len];
                let negated = prev == '!';
                let holds_back = sym.chars().any(|x| x.is_ascii_uppercase())
                    && if negated { set(sym) } else { !set(sym) };
                if holds_back && !out.iter().any(|(o, _)| o == sym) {
                    out.push((sym.to_string(), negated));
                }
                rest = &rest[len..];
                prev = 'A';
            } else {
                if !ch.is_whitespace() {
                    prev = ch;
                }
                rest = &rest[ch.len_utf8()..];
            }
        }
    }
    out
}

/// make for `k` with the tree at `tree` and the build in `out`: `make -C <tree> ARCH= O=
/// [CROSS_COMPILE=] [the user's options]`, a line that runs from anywhere.
pub fn make(
    tree: &Path,
    out: &Path,
    k: &KernelTarget,
    options: &[String],
    env: &[(String, String)],
) -> CommandSpec {
    let mut spec = CommandSpec::new("make", tree).args([
        "-C".to_string(),
        tree.display().to_string(),
        format!("ARCH={}", k.arch),
        format!("O={}", out.display()),
    ]);
    if let Some(prefix) = &k.cross_compile {
        spec = spec.arg(format!("CROSS_COMPILE={prefix}"));
    }
    spec = spec.args(options.iter().cloned());
    for (key, value) in env {
        spec = spec.env(key.clone(), value.clone());
    }
    spec
}

/// `make olddefconfig`: the fragment (written as `.config`) completed with defaults.
pub fn olddefconfig(base: CommandSpec) -> CommandSpec {
    base.arg("olddefconfig")
}

/// `make -j<jobs> <image target>`.
pub fn image(base: CommandSpec, k: &KernelTarget, jobs: usize) -> CommandSpec {
    base.args([format!("-j{jobs}"), k.image_target.clone()])
}

/// `make rustavailable`: the kernel's own account of why Rust is not available.
pub fn rustavailable(base: CommandSpec) -> CommandSpec {
    base.arg("rustavailable")
}

/// The first compiler error in a build's output and the lines around it, for the verdict's
/// log: rustc's `error[E…]`/`error:` with its location lines, gcc's `file:line: error:`.
pub fn first_error(log: &str) -> Option<String> {
    let lines: Vec<&str> = log.lines().collect();
    let at = lines.iter().position(|l| {
        let t = l.trim_start();
        t.starts_with("error[E") || t.starts_with("error: ") || l.contains(": error: ")
    })?;
    let end = (at + 12).min(lines.len());
    Some(lines[at..end].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bele_targets::KernelTable;

    #[test]
    fn the_fragment_has_the_tests_the_target_and_the_users_lines() {
        let table = KernelTable::builtin();
        let s390x = table.get("s390x").unwrap();
        let f = fragment(
            &["CONFIG_KUNIT=y".into(), "CONFIG_RUST=y".into()],
            s390x,
            &[(
                "my.kunitconfig".into(),
                "CONFIG_MY_DRIVER_KUNIT=y\n# CONFIG_RUST is not set\n".into(),
            )],
        );
        let r = requested(&f);
        assert!(r.contains(&("CONFIG_KUNIT".into(), "y".into())), "{r:?}");
        assert!(
            r.contains(&("CONFIG_TUNE_ZEC12".into(), "y".into())),
            "{r:?}"
        );
        assert!(
            r.contains(&("CONFIG_MY_DRIVER_KUNIT".into(), "y".into())),
            "{r:?}"
        );
        // The user's later line wins.
        assert!(r.contains(&("CONFIG_RUST".into(), "n".into())), "{r:?}");
        assert!(f.contains("# from my.kunitconfig"), "{f}");
    }

    #[test]
    fn unmet_options_are_named() {
        let fragment =
            "CONFIG_KUNIT=y\nCONFIG_RUST=y\nCONFIG_LOG_BUF_SHIFT=17\n# CONFIG_MODULES is not set\n";
        let dotconfig = "CONFIG_KUNIT=y\n# CONFIG_RUST is not set\nCONFIG_LOG_BUF_SHIFT=18\n";
        let named: Vec<String> = unmet(fragment, dotconfig)
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(
            named,
            [
                "CONFIG_RUST=y (is not set)",
                "CONFIG_LOG_BUF_SHIFT=17 (is 18)"
            ]
        );
        assert!(unmet("CONFIG_A=y\n", "CONFIG_A=y\nCONFIG_B=y\n").is_empty());
    }

    /// A test option the tree gates on an architecture is left out with where and why; one
    /// held back by an option the user can set is lost, with the fix; bele's own are lost
    /// whatever the tree says.
    #[test]
    fn unmet_options_are_left_out_only_when_an_architecture_gates_them() {
        use super::super::tree::{kconfig_depends, Gate};
        let kconfig = "config KUNIT\n\tbool \"KUnit\"\n\nif KUNIT\n\nconfig X86_THING_KUNIT_TEST\n\ttristate \"x\" if !KUNIT_ALL_TESTS\n\tdepends on X86 || COMPILE_TEST\n\tdefault KUNIT_ALL_TESTS\n\nconfig NET_THING_KUNIT_TEST\n\ttristate \"n\"\n\tdepends on NET && !KASAN\n\nendif\n";
        assert_eq!(
            kconfig_depends(kconfig, "X86_THING_KUNIT_TEST").unwrap(),
            ["KUNIT", "X86 || COMPILE_TEST"]
        );
        assert_eq!(
            kconfig_depends(kconfig, "KUNIT").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(kconfig_depends(kconfig, "NOPE"), None);
        let gate = |sym: &str| {
            kconfig_depends(kconfig, sym).map(|depends| Gate {
                file: "lib/Kconfig.debug".into(),
                depends,
            })
        };
        let is_arch = |sym: &str| matches!(sym, "X86" | "S390" | "64BIT");
        let fragment = "CONFIG_KUNIT=y\nCONFIG_RUST=y\nCONFIG_X86_THING_KUNIT_TEST=y\nCONFIG_NET_THING_KUNIT_TEST=y\n";
        let dotconfig = "CONFIG_KUNIT=y\nCONFIG_S390=y\nCONFIG_KASAN=y\nCONFIG_NET=y\n";
        let essential = ["CONFIG_KUNIT".to_string(), "CONFIG_RUST".to_string()];
        let sorted = sort_unmet(
            &unmet(fragment, dotconfig),
            &essential,
            dotconfig,
            &gate,
            &is_arch,
        );
        assert_eq!(sorted.left_out.len(), 1, "{sorted:?}");
        assert!(
            sorted.left_out[0].starts_with("CONFIG_X86_THING_KUNIT_TEST=y (is not set): the tree gates it on an architecture (lib/Kconfig.debug: depends on KUNIT && (X86 || COMPILE_TEST))"),
            "{sorted:?}"
        );
        assert_eq!(
            sorted.lost,
            [
                "CONFIG_RUST=y (is not set)",
                "CONFIG_NET_THING_KUNIT_TEST=y (is not set): lib/Kconfig.debug: depends on KUNIT && NET && !KASAN, and KASAN is set (add `# CONFIG_KASAN is not set` to your kunitconfig)"
            ]
        );
    }

    #[test]
    fn make_commands_build_out_of_tree() {
        let table = KernelTable::builtin();
        let s390x = table.get("s390x").unwrap();
        let base = || {
            make(
                Path::new("/src/linux"),
                Path::new("/c/k/s390x"),
                s390x,
                &[],
                &[("LIBCLANG_PATH".into(), "/usr/lib/llvm-19/lib".into())],
            )
        };
        assert_eq!(
            image(base(), s390x, 2).display(),
            "LIBCLANG_PATH=/usr/lib/llvm-19/lib make -C /src/linux ARCH=s390 O=/c/k/s390x CROSS_COMPILE=s390x-linux-gnu- -j2 bzImage"
        );
        let x86 = table.get("x86_64").unwrap();
        let line = olddefconfig(make(Path::new("/t"), Path::new("/o"), x86, &[], &[])).display();
        assert_eq!(line, "make -C /t ARCH=x86_64 O=/o olddefconfig");
        let llvm = ["LLVM=1".to_string(), "W=1".to_string()];
        let line = image(
            make(Path::new("/t"), Path::new("/o"), x86, &llvm, &[]),
            x86,
            2,
        );
        assert_eq!(
            line.display(),
            "make -C /t ARCH=x86_64 O=/o LLVM=1 W=1 -j2 bzImage"
        );
    }

    #[test]
    fn the_first_compiler_error() {
        let log = "  RUSTC L rust/kernel.o\nerror[E0308]: mismatched types\n  --> rust/kernel/transmute.rs:13:5\n   |\nmake[2]: *** Error 1\n";
        let e = first_error(log).unwrap();
        assert!(
            e.starts_with("error[E0308]: mismatched types\n  --> rust/kernel/transmute.rs:13:5"),
            "{e}"
        );
        assert_eq!(first_error("  CC init/main.o\n"), None);
        assert!(first_error("drivers/x.c:3:1: error: expected ';'\n").is_some());
    }
}
