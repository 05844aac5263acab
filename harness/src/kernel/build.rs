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

/// The options of `fragment` that `.config` does not have as asked (make dropped them: a
/// dependency is missing), as `CONFIG_X=y (is not set)`.
pub fn unmet(fragment: &str, dotconfig: &str) -> Vec<String> {
    let have = requested(dotconfig);
    requested(fragment)
        .into_iter()
        .filter_map(|(name, want)| {
            let got = have
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str());
            let ok = match (want.as_str(), got) {
                ("n", None | Some("n")) => true,
                (w, Some(g)) => w == g,
                (_, None) => false,
            };
            (!ok).then(|| {
                let got = match got {
                    None | Some("n") => "is not set".to_string(),
                    Some(g) => format!("is {g}"),
                };
                format!("{name}={want} ({got})")
            })
        })
        .collect()
}

/// make for `k` with the tree at `tree` and the build in `out`: `make -C <tree> ARCH= O=
/// [CROSS_COMPILE=]`, a line that runs from anywhere.
pub fn make(tree: &Path, out: &Path, k: &KernelTarget, env: &[(String, String)]) -> CommandSpec {
    let mut spec = CommandSpec::new("make", tree).args([
        "-C".to_string(),
        tree.display().to_string(),
        format!("ARCH={}", k.arch),
        format!("O={}", out.display()),
    ]);
    if let Some(prefix) = &k.cross_compile {
        spec = spec.arg(format!("CROSS_COMPILE={prefix}"));
    }
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
        assert_eq!(
            unmet(fragment, dotconfig),
            [
                "CONFIG_RUST=y (is not set)",
                "CONFIG_LOG_BUF_SHIFT=17 (is 18)"
            ]
        );
        assert!(unmet("CONFIG_A=y\n", "CONFIG_A=y\nCONFIG_B=y\n").is_empty());
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
                &[("LIBCLANG_PATH".into(), "/usr/lib/llvm-19/lib".into())],
            )
        };
        assert_eq!(
            image(base(), s390x, 2).display(),
            "LIBCLANG_PATH=/usr/lib/llvm-19/lib make -C /src/linux ARCH=s390 O=/c/k/s390x CROSS_COMPILE=s390x-linux-gnu- -j2 bzImage"
        );
        let x86 = table.get("x86_64").unwrap();
        let line = olddefconfig(make(Path::new("/t"), Path::new("/o"), x86, &[])).display();
        assert_eq!(line, "make -C /t ARCH=x86_64 O=/o olddefconfig");
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
