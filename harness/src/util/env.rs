//! The host environment, read once by `main` and passed down explicitly.

use std::path::{Path, PathBuf};

/// Environment variables of the bele process. Library code asks this, never `std::env`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostEnv {
    pub vars: Vec<(String, String)>,
}

impl HostEnv {
    /// The environment of the current process (called from `main` only).
    pub fn from_process() -> HostEnv {
        HostEnv {
            vars: std::env::vars().collect(),
        }
    }

    /// The environment with `dir` first on `PATH`.
    pub fn with_path_first(&self, dir: &Path) -> HostEnv {
        let path = match self.get("PATH").filter(|p| !p.is_empty()) {
            Some(rest) => format!("{}:{rest}", dir.display()),
            None => dir.display().to_string(),
        };
        let mut vars: Vec<(String, String)> = self
            .vars
            .iter()
            .filter(|(k, _)| k != "PATH")
            .cloned()
            .collect();
        vars.push(("PATH".into(), path));
        HostEnv { vars }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The environment with `key` removed (for variables bele sets per process itself).
    pub fn without(&self, keys: &[&str]) -> Vec<(String, String)> {
        self.vars
            .iter()
            .filter(|(k, _)| !keys.contains(&k.as_str()))
            .cloned()
            .collect()
    }

    /// bele's own cache (zig, the std cache): `$BELE_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/bele`, else `~/.cache/bele`.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        let set = |k: &str| self.get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        set("BELE_CACHE_DIR")
            .or_else(|| set("XDG_CACHE_HOME").map(|d| d.join("bele")))
            .or_else(|| set("HOME").map(|h| h.join(".cache/bele")))
    }

    /// Where `program` is found on `PATH`, as a shell would find it.
    pub fn which(&self, program: &str) -> Option<PathBuf> {
        if program.contains('/') {
            return Some(PathBuf::from(program)).filter(|p| is_executable(p));
        }
        self.get("PATH")?
            .split(':')
            .filter(|d| !d.is_empty())
            .map(|d| Path::new(d).join(program))
            .find(|p| is_executable(p))
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_searches_path_in_order() {
        let env = HostEnv {
            vars: vec![("PATH".into(), "/nonexistent::/bin:/usr/bin".into())],
        };
        assert_eq!(env.which("sh"), Some(PathBuf::from("/bin/sh")));
        assert_eq!(env.which("no-such-program-bele"), None);
        assert_eq!(env.which("/bin/sh"), Some(PathBuf::from("/bin/sh")));
        assert_eq!(HostEnv::default().which("sh"), None);
    }

    #[test]
    fn without_removes_only_the_named_keys() {
        let env = HostEnv {
            vars: vec![("A".into(), "1".into()), ("B".into(), "2".into())],
        };
        assert_eq!(env.without(&["A"]), [("B".to_string(), "2".to_string())]);
    }
}
