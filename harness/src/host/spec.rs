//! Derived target specs: a target rustc does not know (armeb on musl), described as a
//! change to one it does. The base is printed by the toolchain in use (the JSON format
//! moves between compiler versions; kept in bele's cache per toolchain release), changed
//! as the table says, and written to the workspace's `target/bele/specs/<triple>.json` for
//! `--target`.

use std::path::{Path, PathBuf};

use bele_targets::{DerivedSpec, Target};

use crate::host::toolchain::ToolchainInfo;
use crate::util::env::HostEnv;
use crate::util::process::CommandSpec;

/// The spec `derived` describes, from the base spec's JSON text.
pub fn derive(base_json: &str, derived: &DerivedSpec) -> Result<String, String> {
    let mut spec: serde_json::Value = serde_json::from_str(base_json)
        .map_err(|e| format!("the spec of {} is not JSON: {e}", derived.from))?;
    let obj = spec
        .as_object_mut()
        .ok_or_else(|| format!("the spec of {} is not a JSON object", derived.from))?;
    for key in &derived.remove {
        obj.remove(key);
    }
    for (key, value) in &derived.set {
        let value = serde_json::to_value(value)
            .map_err(|e| format!("spec.set.{key} cannot be JSON: {e}"))?;
        obj.insert(key.clone(), value);
    }
    serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())
}

/// The derived spec's JSON, from the base `toolchain` prints; `Err` says why it cannot be
/// had. The base is kept in bele's cache per toolchain release, so later runs start no
/// rustc for it.
pub fn text(
    derived: &DerivedSpec,
    toolchain: &ToolchainInfo,
    env: &HostEnv,
) -> Result<String, String> {
    let cached = base_cache(derived, toolchain, env);
    if let Some(text) = cached
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
    {
        if let Ok(spec) = derive(&text, derived) {
            return Ok(spec);
        }
    }
    let base = print_base(derived, &toolchain.dir, env)?;
    let spec = derive(&base, derived)?;
    if let Some(path) = cached {
        // A cache: when it cannot be written, the next run asks rustc again.
        let _ = crate::util::atomic::write(&path, None, |w| w.write_all(base.as_bytes()));
    }
    Ok(spec)
}

/// Where the base spec `toolchain` prints for `derived` is kept: only for a release with a
/// commit in its version (`rustc 1.95.0 (59807616e 2026-04-14)`), which names its build;
/// a local build's version (`rustc 1.97.0-dev`) does not.
fn base_cache(derived: &DerivedSpec, toolchain: &ToolchainInfo, env: &HostEnv) -> Option<PathBuf> {
    if !toolchain.rustc.contains('(') {
        return None;
    }
    let key = format!("{}\n{}\n{}", toolchain.rustc, toolchain.host, derived.from);
    let digest = bele_probe::digest(key.as_bytes());
    let dir = env.cache_dir()?.join("specs");
    Some(dir.join(format!("{}-{digest:016x}.json", derived.from)))
}

/// The base spec as the toolchain in `cwd` prints it.
fn print_base(derived: &DerivedSpec, cwd: &Path, env: &HostEnv) -> Result<String, String> {
    let print = CommandSpec::new("rustc", cwd)
        .args([
            "-Z",
            "unstable-options",
            "--print",
            "target-spec-json",
            "--target",
        ])
        .arg(derived.from.as_str())
        .env("RUSTC_BOOTSTRAP", "1");
    let out = print
        .output(&env.vars)
        .map_err(|e| format!("`{}` could not start: {e}", print.display()))?;
    if !out.success {
        return Err(format!(
            "`{}` failed: {}",
            print.display(),
            crate::util::process::tail(&out.stderr, 3)
        ));
    }
    Ok(out.stdout)
}

/// Writes `target`'s derived spec, `text`, into `dir` and returns its path.
pub fn write(target: &Target, text: &str, dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join(format!("{}.json", target.triple));
    crate::util::atomic::write(&path, None, |w| w.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str =
        include_str!("../../tests/captured/target-spec-armeb-unknown-linux-gnueabi-1.95.json");

    #[test]
    fn armeb_on_musl_from_the_captured_gnu_spec() {
        let table = bele_targets::Table::builtin();
        let armeb = table.get("armeb-bele-linux-musleabi").unwrap();
        let spec: serde_json::Value =
            serde_json::from_str(&derive(BASE, armeb.spec.as_ref().unwrap()).unwrap()).unwrap();
        assert_eq!(spec["env"], "musl");
        assert_eq!(spec["crt-static-default"], true);
        assert_eq!(spec["linker-flavor"], "gnu-cc");
        assert_eq!(spec["llvm-target"], "armeb-unknown-linux-musleabi");
        assert!(spec.get("link-self-contained").is_none());
        // The rest is the toolchain's own: byte order, width, features, data layout.
        assert_eq!(spec["target-endian"], "big");
        assert_eq!(spec["target-pointer-width"], 32);
        assert_eq!(spec["features"], "+strict-align,+v8,+crc");
        assert!(derive("not json", armeb.spec.as_ref().unwrap())
            .unwrap_err()
            .starts_with("the spec of armeb-unknown-linux-gnueabi is not JSON"));
    }

    #[test]
    fn the_base_is_kept_per_toolchain_release_and_read_back_without_rustc() {
        let table = bele_targets::Table::builtin();
        let derived = table
            .get("armeb-bele-linux-musleabi")
            .unwrap()
            .spec
            .clone()
            .unwrap();
        let cache = std::env::temp_dir().join(format!("bele-spec-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&cache);
        // No rustc on PATH: only the cache can answer.
        let env = HostEnv {
            vars: vec![
                ("BELE_CACHE_DIR".into(), cache.display().to_string()),
                ("PATH".into(), "/nonexistent".into()),
            ],
        };
        let toolchain = |rustc: &str| ToolchainInfo {
            rustc: rustc.into(),
            cargo: "cargo 1.95.0".into(),
            host: "x86_64-unknown-linux-gnu".into(),
            sysroot: "/r".into(),
            dir: std::env::temp_dir(),
        };
        let release = toolchain("rustc 1.95.0 (59807616e 2026-04-14)");
        let other = toolchain("rustc 1.96.0 (0123456ab 2026-05-26)");
        let local = toolchain("rustc 1.97.0-dev");
        let kept = base_cache(&derived, &release, &env).unwrap();
        assert!(kept.starts_with(cache.join("specs")), "{kept:?}");
        assert_ne!(Some(&kept), base_cache(&derived, &other, &env).as_ref());
        assert_eq!(base_cache(&derived, &local, &env), None);
        let err = text(&derived, &release, &env).unwrap_err();
        assert!(err.contains("rustc"), "{err}");
        std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
        std::fs::write(&kept, BASE).unwrap();
        assert_eq!(text(&derived, &release, &env), derive(BASE, &derived));
        assert!(text(&derived, &other, &env).is_err());
        std::fs::remove_dir_all(&cache).unwrap();
    }
}
