//! Derived target specs: a target rustc does not know (armeb on musl), described as a
//! change to one it does. The base is printed by the toolchain in use at every run (the
//! JSON format moves between compiler versions), changed as the table says, and written
//! to the workspace's `target/bele/specs/<triple>.json` for `--target`.

use std::path::{Path, PathBuf};

use bele_targets::{DerivedSpec, Target};

use crate::env::HostEnv;
use crate::process::CommandSpec;

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

/// The derived spec's JSON, from the base the toolchain in `cwd` prints; `Err` says why
/// it cannot be had.
pub fn text(derived: &DerivedSpec, cwd: &Path, env: &HostEnv) -> Result<String, String> {
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
            crate::process::tail(&out.stderr, 3)
        ));
    }
    derive(&out.stdout, derived)
}

/// Writes `target`'s derived spec, `text`, into `dir` and returns its path.
pub fn write(target: &Target, text: &str, dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join(format!("{}.json", target.triple));
    crate::atomic::write(&path, None, |w| w.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str =
        include_str!("../tests/captured/target-spec-armeb-unknown-linux-gnueabi-1.95.json");

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
}
