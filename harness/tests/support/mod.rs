//! Helpers shared by the end-to-end tests: run the real `bele` binary and load its results.
// Each test crate uses a different part of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bele::results::RunResults;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn fixtures() -> PathBuf {
    repo().join("fixtures/Cargo.toml")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub results: Option<RunResults>,
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bele-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[allow(clippy::disallowed_methods)] // tests run the real binary
pub fn bele(args: &[&str], env: &[(&str, &str)], out_name: &str) -> Run {
    let out = scratch(&format!("{out_name}.json"));
    let _ = std::fs::remove_file(&out);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bele"));
    cmd.args(args)
        .arg("--out")
        .arg(&out)
        .arg("--color")
        .arg("never")
        .env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let results = out.exists().then(|| RunResults::load(&out).unwrap());
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout,
        stderr,
        results,
    }
}
