//! zig as the C toolchain of the targets Debian has no cross libc for (big-endian ARM):
//! installed from PyPI (`ziglang`, pinned) into bele's cache, never into a system Python,
//! and wrapped as the `cc` and `ar` that cargo (the linker) and the `cc` crate
//! (`CC_<target>`, `AR_<target>`) call.

use std::path::{Path, PathBuf};

use crate::util::env::HostEnv;
use crate::util::process::CommandSpec;

/// The zig bele installs and checks for. A new version is a new directory in the cache.
pub const ZIG_VERSION: &str = "0.14.1";

/// Where the pinned zig lives: `<cache>/zig-<version>`.
pub fn install_dir(env: &HostEnv) -> Option<PathBuf> {
    env.cache_dir()
        .map(|d| d.join(format!("zig-{ZIG_VERSION}")))
}

/// The zig executable inside the installed `ziglang` package.
pub fn binary(dir: &Path) -> PathBuf {
    dir.join("ziglang/zig")
}

/// The command that installs the pinned zig into `dir` (pip's `--target`: a plain folder,
/// no environment of any Python touched).
pub fn install_command(dir: &Path, cwd: &Path) -> CommandSpec {
    CommandSpec::new("python3", cwd)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--upgrade",
            "--target",
        ])
        .arg(dir.display().to_string())
        .arg(format!("ziglang=={ZIG_VERSION}"))
}

/// Why zig cannot be used, or the path of a zig that answers with the pinned version.
pub fn check(env: &HostEnv) -> Result<PathBuf, String> {
    let dir = install_dir(env).ok_or("no cache directory: set HOME or BELE_CACHE_DIR")?;
    let zig = binary(&dir);
    if !zig.is_file() {
        return Err(format!(
            "zig {ZIG_VERSION} is not installed in {}",
            dir.display()
        ));
    }
    let out = CommandSpec::new(&zig.display().to_string(), &dir)
        .arg("version")
        .output(&env.vars)
        .map_err(|e| format!("{} does not run: {e}", zig.display()))?;
    let version = out.stdout.trim();
    if !out.success || version != ZIG_VERSION {
        return Err(format!(
            "{} answers `{version}` {}, not {ZIG_VERSION}",
            zig.display(),
            out.stderr.trim()
        ));
    }
    Ok(zig)
}

/// The C compiler and archiver for one zig target, as executables, and the object that
/// gives its musl back the LFS64 names (`lfs64.c`), linked into every executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrappers {
    pub cc: PathBuf,
    pub ar: PathBuf,
    /// The LFS64 object, once compiled ([`with_lfs64`]).
    pub lfs64: Option<PathBuf>,
}

/// The LFS64 names musl 1.2.4 and later leave out of its static libc, as weak definitions.
pub const LFS64_SOURCE: &str = include_str!("lfs64.c");

/// `w` with `lfs64.c` compiled for `zig_target` beside its wrappers (once per source text:
/// the file name carries its digest), through its `cc` wrapper.
pub fn with_lfs64(w: Wrappers, zig_target: &str, env: &HostEnv) -> std::io::Result<Wrappers> {
    let dir = w.cc.parent().unwrap_or(Path::new(".")).to_path_buf();
    let lfs64 = lfs64_object(&w.cc, zig_target, &dir, env)?;
    Ok(Wrappers {
        lfs64: Some(lfs64),
        ..w
    })
}

fn lfs64_object(
    cc: &Path,
    zig_target: &str,
    dir: &Path,
    env: &HostEnv,
) -> std::io::Result<PathBuf> {
    let digest = bele_probe::digest(LFS64_SOURCE.as_bytes());
    let object = dir.join(format!("lfs64-{zig_target}-{digest:016x}.o"));
    if object.is_file() {
        return Ok(object);
    }
    let source = dir.join(format!("lfs64-{digest:016x}.c"));
    crate::util::atomic::write(&source, None, |w| w.write_all(LFS64_SOURCE.as_bytes()))?;
    let partial = dir.join(format!("lfs64-{zig_target}-{}.o.part", std::process::id()));
    let out = CommandSpec::new(&cc.display().to_string(), dir)
        .args(["-c", "-O2", "-D_GNU_SOURCE", "-o"])
        .arg(partial.display().to_string())
        .arg(source.display().to_string())
        .output(&env.vars)
        .map_err(std::io::Error::other)?;
    if !out.success {
        let _ = std::fs::remove_file(&partial);
        return Err(std::io::Error::other(format!(
            "zig cc could not compile {}: {}",
            source.display(),
            out.stderr.trim()
        )));
    }
    std::fs::rename(&partial, &object)?;
    Ok(object)
}

/// Writes (if they differ) the `cc` and `ar` wrappers for `zig_target` beside `zig`.
pub fn wrappers(zig: &Path, zig_target: &str) -> std::io::Result<Wrappers> {
    let dir = zig
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."))
        .join("bin");
    let write = |name: String, text: String| -> std::io::Result<PathBuf> {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            // A concurrent run never sees half a script, nor one it cannot execute.
            crate::util::atomic::write(&path, Some(0o755), |w| w.write_all(text.as_bytes()))?;
        }
        Ok(path)
    };
    Ok(Wrappers {
        cc: write(format!("{zig_target}-cc"), cc_script(zig, zig_target))?,
        ar: write(format!("{zig_target}-ar"), ar_script(zig))?,
        lfs64: None,
    })
}

/// `zig cc -target <zig_target>` as one executable. A `--target=<rust triple>` that the
/// `cc` crate adds for clang-like compilers is dropped: zig knows the target by its own
/// name, given here.
pub fn cc_script(zig: &Path, zig_target: &str) -> String {
    format!(
        "#!/bin/sh\n# Written by bele: zig cc for {zig_target}.\nfor arg do\n  shift\n  case \"$arg\" in\n    --target=*) ;;\n    *) set -- \"$@\" \"$arg\" ;;\n  esac\ndone\nexec {} cc -target {zig_target} \"$@\"\n",
        quote(zig)
    )
}

pub fn ar_script(zig: &Path) -> String {
    format!(
        "#!/bin/sh\n# Written by bele: zig ar.\nexec {} ar \"$@\"\n",
        quote(zig)
    )
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_follows_the_environment() {
        let env = |vars: &[(&str, &str)]| HostEnv {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        assert_eq!(
            install_dir(&env(&[("HOME", "/home/u")])),
            Some(PathBuf::from(format!(
                "/home/u/.cache/bele/zig-{ZIG_VERSION}"
            )))
        );
        assert_eq!(
            env(&[("HOME", "/home/u"), ("XDG_CACHE_HOME", "/c")]).cache_dir(),
            Some(PathBuf::from("/c/bele"))
        );
        assert_eq!(
            env(&[("BELE_CACHE_DIR", "/b"), ("XDG_CACHE_HOME", "/c")]).cache_dir(),
            Some(PathBuf::from("/b"))
        );
        assert_eq!(env(&[]).cache_dir(), None);
        let err = check(&env(&[("BELE_CACHE_DIR", "/nonexistent")])).unwrap_err();
        assert_eq!(
            err,
            format!("zig {ZIG_VERSION} is not installed in /nonexistent/zig-{ZIG_VERSION}")
        );
    }

    /// The wrapper, run by a real shell, drops `--target=` and keeps every other argument
    /// as it was, spaces and quotes included.
    #[test]
    #[allow(clippy::disallowed_methods)] // runs the generated script
    fn the_cc_wrapper_passes_arguments_through_but_the_rust_target() {
        let dir = std::env::temp_dir().join(format!("bele-zig-{}", std::process::id()));
        let fake = dir.join("zig it's/ziglang/zig");
        std::fs::create_dir_all(fake.parent().unwrap()).unwrap();
        std::fs::write(&fake, "#!/bin/sh\nfor a do echo \"[$a]\"; done\n").unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let w = wrappers(&fake, "aarch64_be-linux-musl").unwrap();
        assert!(w.cc.ends_with("zig it's/bin/aarch64_be-linux-musl-cc"));
        let out = std::process::Command::new(&w.cc)
            .args([
                "-c",
                "a b.c",
                "--target=aarch64_be-unknown-linux-musl",
                "-o",
                "x.o",
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "[cc]\n[-target]\n[aarch64_be-linux-musl]\n[-c]\n[a b.c]\n[-o]\n[x.o]\n"
        );
        let out = std::process::Command::new(&w.ar)
            .args(["crs", "lib.a"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "[ar]\n[crs]\n[lib.a]\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
