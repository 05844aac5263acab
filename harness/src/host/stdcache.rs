//! Rust's std built once per machine for the targets rustup serves none for: a sysroot per
//! (toolchain, target, flags) in bele's cache, which builds use through rustc's `--sysroot`
//! (as xargo did) instead of compiling std again with `-Zbuild-std` in every target dir.
//!
//! A sysroot is built by cargo itself (`-Zbuild-std`, release profile, as rustup's std is
//! built) for an empty crate in a scratch directory; the std rlibs it produces are copied
//! to `<dir>/sysroot/lib/rustlib/<target>/lib` and the directory is renamed into place, so
//! a reader sees a complete sysroot or none. An flock on a file beside the entry
//! keeps two bele runs from building the same std at once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bele_targets::Target;

use crate::host::toolchain::ToolchainInfo;
use crate::util::env::HostEnv;
use crate::util::process::{tail, CommandSpec};

/// What goes into a sysroot: std, what tests and proc macros link against, both panic runtimes.
const CRATES: &str = "std,panic_unwind,panic_abort,proc_macro,test";
/// Moves when the way sysroots are built changes, so older ones are not used.
const FORMAT: &str = "bele-std-1";
/// The file a complete sysroot holds: what it was built from.
const MARKER: &str = "bele-std.txt";

/// Whether the cache is on: `BELE_STD_CACHE=0` (or `off`, `no`, `false`) turns it off.
pub fn enabled(env: &HostEnv) -> bool {
    !matches!(
        env.get("BELE_STD_CACHE")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("0" | "off" | "no" | "false")
    )
}

/// Where sysroots live: `<bele's cache>/std`.
pub fn root(env: &HostEnv) -> Option<PathBuf> {
    env.cache_dir().map(|d| d.join("std"))
}

/// One target's std in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedStd {
    /// `<root>/<target>-<digest>`: the digest of everything std is built from.
    pub dir: PathBuf,
    /// The name rustc looks the target up by in a sysroot (a spec file's stem).
    pub target_name: String,
    /// What the digest covers, written into the marker file.
    pub inputs: String,
    /// The derived target spec std is built for (targets rustc does not know).
    pub spec: Option<String>,
}

impl CachedStd {
    /// The cache entry for `target` built by `toolchain`, with `spec` the text of a derived
    /// target spec (part of the key: a new spec is a new std).
    pub fn new(
        root: &Path,
        toolchain: &ToolchainInfo,
        target: &Target,
        spec: Option<&str>,
    ) -> Self {
        let inputs = format!(
            "{FORMAT}\nrustc: {}\nhost: {}\ntarget: {}\nrustflags: {}\ncrates: {CRATES}\nprofile: release\nspec: {}\n",
            toolchain.rustc,
            toolchain.host,
            target.triple,
            target.rustflags.join(" "),
            spec.unwrap_or("none"),
        );
        let digest = bele_probe::digest(inputs.as_bytes());
        CachedStd {
            dir: root.join(format!("{}-{digest:016x}", target.triple)),
            target_name: target.triple.clone(),
            inputs,
            spec: spec.map(String::from),
        }
    }

    /// The directory given to rustc as `--sysroot`.
    pub fn sysroot(&self) -> PathBuf {
        self.dir.join("sysroot")
    }

    /// Whether a complete sysroot is in place.
    pub fn is_ready(&self) -> bool {
        self.dir.join(MARKER).is_file()
    }

    /// The cargo command that builds std for the target in `scratch` (where a derived
    /// spec is written as `<target>.json`).
    pub fn build_command(&self, scratch: &Path, target: &Target) -> CommandSpec {
        let target_arg = match &self.spec {
            Some(_) => scratch
                .join(format!("{}.json", target.triple))
                .display()
                .to_string(),
            None => target.triple.clone(),
        };
        let mut spec = CommandSpec::new("cargo", scratch)
            .args(["build", "--release", "--quiet", "--target"])
            .arg(target_arg)
            .arg(format!("-Zbuild-std={CRATES}"))
            .arg("--manifest-path")
            .arg(scratch.join("Cargo.toml").display().to_string())
            .arg("--target-dir")
            .arg(scratch.join("target").display().to_string())
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TERM_COLOR", "never");
        if self.spec.is_some() {
            spec = spec.arg("-Zjson-target-spec");
        }
        if !target.rustflags.is_empty() {
            spec = spec.env(
                format!("{}RUSTFLAGS", target.cargo_env_prefix()),
                target.rustflags.join(" "),
            );
        }
        spec
    }

    /// Builds the sysroot unless it is in place. Returns how long the build took, `None`
    /// when it was there already (or another run built it while this one waited).
    pub fn ensure(&self, target: &Target, env: &HostEnv) -> Result<Option<Duration>, String> {
        if self.is_ready() {
            return Ok(None);
        }
        let parent = self
            .dir
            .parent()
            .ok_or("the std cache has no parent directory")?;
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        let _lock = Lock::take(&self.dir.with_extension("flock"), LOCK_WAIT)?;
        if self.is_ready() {
            return Ok(None);
        }
        let start = Instant::now();
        let scratch = self
            .dir
            .with_extension(format!("tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let result = self.build_in(&scratch, target, env);
        let _ = std::fs::remove_dir_all(&scratch);
        result.map(|()| Some(start.elapsed()))
    }

    fn build_in(&self, scratch: &Path, target: &Target, env: &HostEnv) -> Result<(), String> {
        let io =
            |what: &str, p: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", p.display());
        std::fs::create_dir_all(scratch.join("src")).map_err(|e| io("create", scratch, e))?;
        std::fs::write(
            scratch.join("Cargo.toml"),
            "[package]\nname = \"bele-std\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[lib]\npath = \"src/lib.rs\"\n\n[workspace]\n",
        )
        .map_err(|e| io("write in", scratch, e))?;
        std::fs::write(scratch.join("src/lib.rs"), "#![no_std]\n")
            .map_err(|e| io("write in", scratch, e))?;
        if let Some(text) = &self.spec {
            crate::host::spec::write(target, text, scratch)?;
        }
        let cmd = self.build_command(scratch, target);
        let base = env.without(&[
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET",
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
        ]);
        let out = cmd.output(&base).map_err(|e| e.to_string())?;
        if !out.success {
            return Err(format!(
                "building std failed: `{}`\n{}",
                cmd.display(),
                tail(&out.stderr, 20)
            ));
        }
        let deps = scratch
            .join("target")
            .join(&self.target_name)
            .join("release/deps");
        let staged = scratch.join("out");
        let lib = staged
            .join("sysroot/lib/rustlib")
            .join(&self.target_name)
            .join("lib");
        std::fs::create_dir_all(&lib).map_err(|e| io("create", &lib, e))?;
        let entries = std::fs::read_dir(&deps).map_err(|e| io("read", &deps, e))?;
        let mut copied = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".rlib") && !name.starts_with("libbele_std-") {
                std::fs::copy(entry.path(), lib.join(&name))
                    .map_err(|e| io("copy", &entry.path(), e))?;
                copied += 1;
            }
        }
        if copied == 0 {
            return Err(format!(
                "building std left no library in {}",
                deps.display()
            ));
        }
        std::fs::write(staged.join(MARKER), &self.inputs)
            .map_err(|e| io("write in", &staged, e))?;
        match std::fs::rename(&staged, &self.dir) {
            Ok(()) => Ok(()),
            // Another run put it there first (without the lock: a stale one was broken).
            Err(_) if self.is_ready() => Ok(()),
            Err(e) => Err(io("move into place", &self.dir, e)),
        }
    }
}

/// An exclusive `flock` on a file beside the cache entry: the kernel drops it when its
/// holder exits however it ends, so a lock is never stale, never held twice, and never taken
/// from its holder (a lock file restored from a CI cache is just a file).
#[derive(Debug)]
struct Lock(#[allow(dead_code, reason = "held for its lock, released on drop")] std::fs::File);

/// How long a build waits for another bele building the same std.
const LOCK_WAIT: Duration = Duration::from_secs(3600);

impl Lock {
    fn take(path: &Path, wait: Duration) -> Result<Lock, String> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let deadline = Instant::now().checked_add(wait);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock(file)),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(format!("cannot lock {}: {e}", path.display()))
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(format!(
                    "another bele has held the lock on {} for {}s while building the same std; \
                     wait for it, or stop it",
                    path.display(),
                    wait.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toolchain(rustc: &str) -> ToolchainInfo {
        ToolchainInfo {
            rustc: rustc.into(),
            cargo: "cargo 1.95.0".into(),
            host: "x86_64-unknown-linux-gnu".into(),
            sysroot: "/r".into(),
            dir: "/w".into(),
        }
    }

    #[test]
    fn the_key_moves_with_toolchain_target_and_spec() {
        let table = bele_targets::Table::builtin();
        let mips = table.get("mips-unknown-linux-gnu").unwrap();
        let sparc = table.get("sparc64-unknown-linux-gnu").unwrap();
        let a = CachedStd::new(
            Path::new("/c/std"),
            &toolchain("rustc 1.95.0 (aaa)"),
            mips,
            None,
        );
        assert!(
            a.dir
                .to_string_lossy()
                .starts_with("/c/std/mips-unknown-linux-gnu-"),
            "{:?}",
            a.dir
        );
        assert_eq!(a.sysroot(), a.dir.join("sysroot"));
        let same = CachedStd::new(
            Path::new("/c/std"),
            &toolchain("rustc 1.95.0 (aaa)"),
            mips,
            None,
        );
        assert_eq!(a, same);
        for other in [
            CachedStd::new(
                Path::new("/c/std"),
                &toolchain("rustc 1.96.0 (bbb)"),
                mips,
                None,
            ),
            CachedStd::new(
                Path::new("/c/std"),
                &toolchain("rustc 1.95.0 (aaa)"),
                sparc,
                None,
            ),
            CachedStd::new(
                Path::new("/c/std"),
                &toolchain("rustc 1.95.0 (aaa)"),
                mips,
                Some("{}"),
            ),
        ] {
            assert_ne!(a.dir, other.dir);
        }
    }

    #[test]
    fn the_cache_can_be_turned_off() {
        let env = |v: &str| HostEnv {
            vars: vec![("BELE_STD_CACHE".into(), v.into())],
        };
        assert!(enabled(&HostEnv::default()) && enabled(&env("1")));
        for off in ["0", "off", "OFF", "no", "false"] {
            assert!(!enabled(&env(off)), "{off}");
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bele-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A lock file left behind (a crashed bele, a CI cache restored in a new container, a
    /// pid that lives again) holds nothing: it is taken at once.
    #[test]
    fn a_lock_file_left_behind_is_taken_at_once() {
        let dir = scratch("lock-left");
        let path = dir.join("x.flock");
        std::fs::write(&path, std::process::id().to_string()).unwrap();
        let started = Instant::now();
        let lock = Lock::take(&path, Duration::from_secs(3600)).unwrap();
        assert!(started.elapsed() < Duration::from_secs(60), "it waited");
        drop(lock);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// While one holds it no other can take it, and the waiter names the lock; once it is
    /// released the next takes it.
    #[test]
    fn a_held_lock_is_never_taken_twice() {
        let dir = scratch("lock-held");
        let path = dir.join("x.flock");
        let held = Lock::take(&path, Duration::ZERO).unwrap();
        let err = Lock::take(&path, Duration::ZERO).unwrap_err();
        assert!(
            err.contains("x.flock") && err.contains("another bele"),
            "{err}"
        );
        drop(held);
        Lock::take(&path, Duration::ZERO).unwrap();
        // Threads racing for it are inside one at a time.
        let inside = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..5 {
                        let _lock = Lock::take(&path, Duration::from_secs(60)).unwrap();
                        let n = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        assert_eq!(n, 0, "two holders at once");
                        std::thread::sleep(Duration::from_millis(2));
                        inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    }
                });
            }
        });
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
