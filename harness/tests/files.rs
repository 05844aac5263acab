//! End-to-end: results files that cannot be written, and runs that write at the same time.
//! A missing or read-only `--out` directory and a disk that fills mid-run end in exit 2
//! with an error naming the file and the fix, no half-written file and no test left running;
//! two runs at once in one workspace or one `--out` directory both complete.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use bele::testing::{RunResults, RunState};
use support::scratch;

const HOST: &str = "x86_64-unknown-linux-gnu";
const TWO: &str = "x86_64-unknown-linux-gnu,i686-unknown-linux-gnu";

/// A tmpfs of `kib` KiB mounted at a fresh directory, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    #[allow(clippy::disallowed_methods)] // mount(8) makes the filesystem
    fn mount(name: &str, kib: u32, options: &str) -> SmallDisk {
        let dir = scratch(name);
        let _ = Command::new("umount").arg(&dir).output();
        std::fs::create_dir_all(&dir).unwrap();
        let o = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={kib}k,{options}"),
                "tmpfs",
            ])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "this test needs to mount a small tmpfs (root, as in CI): {}",
            String::from_utf8_lossy(&o.stderr)
        );
        SmallDisk(dir)
    }
}

impl Drop for SmallDisk {
    #[allow(clippy::disallowed_methods)]
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

/// A crate of its own: a library test that fills the disk at `$BELE_TEST_FILL` and passes,
/// and an integration test that sleeps far past the run, unless bele kills it.
fn filler_crate() -> PathBuf {
    static MADE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    MADE.get_or_init(make_filler_crate).clone()
}

fn make_filler_crate() -> PathBuf {
    let dir = support::scratch_crate("filler", false);
    std::fs::write(
        dir.join("src/lib.rs"),
        "//! Fills a disk.\n#[cfg(test)]\nmod t {\n    use std::io::Write;\n    #[test]\n    fn fills_the_disk() {\n        let Some(dir) = std::env::var_os(\"BELE_TEST_FILL\") else { return };\n        let mut f = std::fs::File::create(std::path::Path::new(&dir).join(\"ballast\")).unwrap();\n        while f.write_all(&[7u8; 4096]).is_ok() {}\n    }\n}\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(
        dir.join("tests/sleeper.rs"),
        "#[test]\nfn sleeps_past_the_run() {\n    std::thread::sleep(std::time::Duration::from_secs(3000));\n}\n",
    )
    .unwrap();
    dir
}

/// How a run of bele on the filler crate with `--out out` ended: exit code and stderr.
#[allow(clippy::disallowed_methods)] // tests run the real binary
fn run_filler(out: &Path, env: &[(&str, &str)]) -> (i32, String) {
    let manifest = filler_crate().join("Cargo.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_bele"))
        .args(["test", "--manifest-path"])
        .arg(&manifest)
        .args([
            "--targets",
            HOST,
            "--timeout",
            "2000",
            "--color",
            "never",
            "--out",
        ])
        .arg(out)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn an_out_directory_that_does_not_exist_is_refused_with_the_fix() {
    let missing = scratch("no-such-dir").join("deeper");
    let out = missing.join("r.json");
    let (code, stderr) = run_filler(&out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("--out {}", out.display()))
            && stderr.contains("does not exist; create it first"),
        "{stderr}"
    );
    assert!(!missing.exists(), "bele created the directory a typo named");
}

#[test]
fn a_read_only_out_directory_is_an_error_naming_the_file() {
    let disk = SmallDisk::mount("ro-disk", 64, "ro");
    let out = disk.0.join("r.json");
    let (code, stderr) = run_filler(&out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot write {}", out.display()))
            && stderr.contains("Read-only file system")
            && stderr.contains("writable directory"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// The disk fills while the tests run: the save after the filling test fails, bele stops
/// and kills the test still sleeping, and the file at `--out` is the one saved before (a
/// complete results file), with no temporary file beside it.
#[test]
fn a_disk_that_fills_mid_run_stops_the_run_and_keeps_the_last_good_file() {
    let disk = SmallDisk::mount("full-disk", 256, "rw");
    let out = disk.0.join("r.json");
    let start = std::time::Instant::now();
    let (code, stderr) = run_filler(&out, &[("BELE_TEST_FILL", disk.0.to_str().unwrap())]);
    let took = start.elapsed();
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot write {}", out.display()))
            && stderr.contains("No space left on device"),
        "{stderr}"
    );
    // The sleeper would sleep 3000 s and bele's timeout is 2000 s: ending well before
    // either means bele killed it.
    assert!(
        took.as_secs() < 1000,
        "bele waited for the sleeping test: {took:?}"
    );
    let saved = RunResults::load(&out).expect("the last saved results file is complete");
    assert_eq!(saved.state, RunState::InProgress);
    let names: Vec<String> = std::fs::read_dir(&disk.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n == "r.json" || n == "ballast"),
        "{names:?}"
    );
    let sleeper_alive = std::fs::read_dir("/proc").unwrap().any(|e| {
        std::fs::read(e.unwrap().path().join("cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains("sleeper-"))
    });
    assert!(!sleeper_alive, "the sleeping test outlived bele");
}

/// A small crate of its own for the concurrent runs.
fn pair_crate() -> PathBuf {
    let dir = support::scratch_crate("pair", false);
    let mut lib = String::from("#[cfg(test)]\nmod t {\n");
    for i in 0..200 {
        lib.push_str(&format!(
            "#[test] fn t{i}() {{ assert_eq!({i}u16.to_be_bytes()[1], {}); }}\n",
            i % 256
        ));
    }
    lib.push_str("}\n");
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    dir
}

#[allow(clippy::disallowed_methods)] // tests run the real binary
fn spawn_bele(manifest: &Path, out: Option<&Path>) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bele"));
    cmd.args(["test", "--manifest-path"])
        .arg(manifest)
        .args(["--targets", TWO, "--color", "never"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(out) = out {
        cmd.arg("--out").arg(out);
    }
    cmd.spawn().unwrap()
}

/// Waits for two runs started together; both must pass.
fn both_pass(a: std::process::Child, b: std::process::Child) {
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{err}");
    }
}

fn complete(path: &Path) -> RunResults {
    let r = RunResults::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(r.state, RunState::Complete, "{}", path.display());
    let passed: usize = r
        .targets
        .iter()
        .flat_map(|t| &t.binaries)
        .map(|b| b.tests.len())
        .sum();
    assert_eq!(passed, 400, "{}", path.display());
    r
}

#[test]
fn two_runs_at_once_in_one_workspace_and_one_out_directory_both_complete() {
    let dir = pair_crate();
    let manifest = dir.join("Cargo.toml");
    // Both with the default results directory of the workspace.
    both_pass(spawn_bele(&manifest, None), spawn_bele(&manifest, None));
    let results = dir.join("target/bele/results");
    let runs: Vec<PathBuf> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "latest.json")
        .collect();
    assert_eq!(runs.len(), 2, "one results file per run: {runs:?}");
    let ids: Vec<String> = runs.iter().map(|p| complete(p).run_id).collect();
    assert_ne!(ids[0], ids[1]);
    let latest = complete(&results.join("latest.json"));
    assert!(
        ids.contains(&latest.run_id),
        "latest.json is one of the two runs"
    );
    let names: Vec<String> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");

    // Both into one --out directory, under names of their own.
    let shared = scratch("shared-out");
    let _ = std::fs::remove_dir_all(&shared);
    std::fs::create_dir_all(&shared).unwrap();
    let (one, two) = (shared.join("one.json"), shared.join("two.json"));
    both_pass(
        spawn_bele(&manifest, Some(&one)),
        spawn_bele(&manifest, Some(&two)),
    );
    assert_ne!(complete(&one).run_id, complete(&two).run_id);
    assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 2);
}
