//! Helpers shared by the end-to-end tests: run the real `bele` binary and load its results.
// Each test crate uses a different part of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bele::testing::{RunResults, TargetStatus, TestResult};

pub mod validators;

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
    /// Where the run wrote its results file.
    pub results_file: PathBuf,
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bele-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A fresh crate `name` (a workspace of its own, so no other test's build touches it) in
/// the scratch directory, with an empty `src/`; `doctest` false turns its doc-tests off.
pub fn scratch_crate(name: &str, doctest: bool) -> PathBuf {
    let dir = scratch(&format!("{name}-crate"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let lib = if doctest {
        ""
    } else {
        "[lib]\ndoctest = false\n\n"
    };
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n{lib}[workspace]\n"),
    )
    .unwrap();
    dir
}

/// Appends `section` (`[dependencies]` lines, say) to the manifest of the crate in `dir`.
pub fn add_to_manifest(dir: &Path, section: &str) {
    let manifest = dir.join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{toml}\n{section}")).unwrap();
}

/// `bele test` on the crate or workspace in `dir` for `targets` (comma-separated), with
/// `extra` arguments.
pub fn bele_on(
    dir: &Path,
    targets: &str,
    extra: &[&str],
    env: &[(&str, &str)],
    out_name: &str,
) -> Run {
    let manifest = dir.join("Cargo.toml");
    let mut args = vec![
        "test",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--targets",
        targets,
    ];
    args.extend(extra);
    bele(&args, env, out_name)
}

/// The run's closing line (`bele: P passed, F failed, ...`).
pub fn closing_line(run: &Run) -> &str {
    (run.stdout.lines())
        .rfind(|l| l.starts_with("bele: "))
        .unwrap_or_else(|| panic!("no closing line\n{}", run.stdout))
}

/// The matrix row of `test` of executable `binary` in the run's summary.
pub fn matrix_row<'r>(run: &'r Run, binary: &str, test: &str) -> &'r str {
    (run.stdout.lines())
        .find(|l| l.starts_with(&format!("{binary} {test} ")))
        .unwrap_or_else(|| panic!("no row for {binary} {test}\n{}", run.stdout))
}

pub fn bele(args: &[&str], env: &[(&str, &str)], out_name: &str) -> Run {
    bele_watched(args, env, out_name).0
}

/// Runs bele as [`bele`] does and also returns its own peak resident memory in KiB: VmHWM
/// from `/proc/<pid>/status`, read every 20 ms while it runs (the last reading before it
/// exits; a peak in its final 20 ms would be missed). Test processes are not counted.
#[allow(clippy::disallowed_methods)] // tests run the real binary
pub fn bele_watched(args: &[&str], env: &[(&str, &str)], out_name: &str) -> (Run, u64) {
    let out = scratch(&format!("{out_name}.json"));
    let _ = std::fs::remove_file(&out);
    let (stdout_file, stderr_file) = (
        scratch(&format!("{out_name}.stdout")),
        scratch(&format!("{out_name}.stderr")),
    );
    // bele's own options go before a `--` (after it, arguments are the test harness's).
    let split = args.iter().position(|a| *a == "--").unwrap_or(args.len());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bele"));
    cmd.args(&args[..split])
        .arg("--out")
        .arg(&out)
        .arg("--color")
        .arg("never")
        .args(&args[split..])
        .env("RUST_BACKTRACE", "0")
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&stdout_file).unwrap())
        .stderr(std::fs::File::create(&stderr_file).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            peak_kb = peak_kb.max(vm_hwm_kb(&text).unwrap_or(0));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let read = |f: &Path| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
    let results = out.exists().then(|| RunResults::load(&out).unwrap());
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: read(&stdout_file),
        stderr: read(&stderr_file),
        results,
        results_file: out,
    };
    (run, peak_kb)
}

/// The `VmHWM:` figure (KiB) of a `/proc/<pid>/status` text.
pub fn vm_hwm_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

#[allow(clippy::disallowed_methods)] // tests run the real binary
pub fn report(results_file: &Path, format: &str) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_bele"))
        .args(["report", "--format", format])
        .arg(results_file)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "bele report --format {format}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The machine formats of a real results file, checked with what their readers use: the
/// file against the JSON Schema, JUnit against harness/schema/junit.xsd (xmllint), KTAP with
/// the kernel's parser, which must see every target, executable and test with its outcome.
pub fn check_machine_reports(results_file: &Path) {
    let name = results_file.file_stem().unwrap().to_string_lossy();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schema/results.schema.json")).unwrap();
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results_file).unwrap()).unwrap();
    if let Err(e) = jsonschema::validator_for(&schema).unwrap().validate(&raw) {
        panic!("{name}: results file does not match results.schema.json: {e}");
    }
    let xml = report(results_file, "junit");
    if let Err(e) = validators::junit_schema_errors(&xml, &format!("{name}.xml")) {
        panic!("{name}: JUnit does not validate:\n{e}");
    }

    let ktap = report(results_file, "ktap");
    let main = validators::kunit_parse(&ktap, &format!("{name}.ktap"));
    if let Err(e) = validators::ktap_matches(&main, &raw) {
        panic!("{name}: KTAP as the kernel's parser reads it: {e}\n{ktap}");
    }
    let ours: serde_json::Value =
        serde_json::from_str(&report(results_file, "kunit-json")).unwrap();
    if let Err(e) = validators::kunit_json_matches(&ours, &ktap, &name) {
        panic!("{e}");
    }
}

/// Runs `bele test` on fixture package `pkg` and checks the reports of its results file.
pub fn test_fixture(pkg: &str, targets: &[&str], extra: &[&str], env: &[(&str, &str)]) -> Run {
    let manifest = fixtures();
    let spec = targets.join(",");
    let mut args = vec![
        "test",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "-p",
        pkg,
        "--targets",
        &spec,
    ];
    args.extend_from_slice(extra);
    // Tests run in parallel: every run writes a results file of its own.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let run = bele(&args, env, &format!("{pkg}-{n}"));
    let results = run
        .results
        .as_ref()
        .unwrap_or_else(|| panic!("no results file\n{}\n{}", run.stdout, run.stderr));
    for t in &results.targets {
        assert_ne!(
            t.status,
            TargetStatus::Unavailable,
            "{} is not set up on this machine: {:?} (run ci/setup.sh)",
            t.triple,
            t.reason
        );
    }
    check_machine_reports(&run.results_file);
    run
}

/// The result of `test` on `triple`, from any executable.
pub fn outcome<'r>(results: &'r RunResults, triple: &str, test: &str) -> &'r TestResult {
    let t = results
        .targets
        .iter()
        .find(|t| t.triple == triple)
        .unwrap_or_else(|| panic!("no target {triple}"));
    t.binaries
        .iter()
        .flat_map(|b| &b.tests)
        .find(|r| r.name == test)
        .unwrap_or_else(|| panic!("no result for {test} on {triple}: {t:#?}"))
}

/// Runs headless Chromium on the file `html` (with `#fragment`) and returns its stdout
/// (the DOM with `--dump-dom`).
#[allow(clippy::disallowed_methods)] // tests run a real browser
pub fn chromium(html: &Path, extra: &[&str], fragment: &str) -> String {
    let profile = scratch(&format!(
        "chromium-profile-{}-{}",
        html.file_stem().unwrap().to_string_lossy(),
        fragment.len()
    ));
    let o = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}{fragment}", html.display()))
        .output()
        .unwrap_or_else(|e| {
            panic!("chromium is needed for this test (ci/test.sh installs it): {e}")
        });
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Where the HTML report's first screen puts things, measured by headless Chromium in a
/// window of `width` x `height`: a copy of the page with a script that, once loaded,
/// writes the measures into the DOM as JSON.
pub fn first_screen(html: &Path, width: u32, height: u32) -> serde_json::Value {
    const MEASURE: &str = "<script>window.addEventListener('load',function(){\
var r=function(id){var e=document.getElementById(id);if(!e)return null;\
var b=e.getBoundingClientRect();return {left:b.left,top:b.top,right:b.right,bottom:b.bottom}};\
var links=[].slice.call(document.querySelectorAll('#grid td.c a, #groups a'));\
var broken=links.map(function(a){return a.getAttribute('href')})\
.filter(function(h){return !document.getElementById(h.slice(1))});\
var m={width:innerWidth,height:innerHeight,scroll_width:document.documentElement.scrollWidth,\
groups:r('groups'),grid:r('grid'),strip:r('strip'),\
cells:document.querySelectorAll('#grid td.c a').length,broken:broken};\
var p=document.createElement('pre');p.id='measure';p.textContent='MEASURE'+JSON.stringify(m)+'END';\
document.body.appendChild(p)})</script>";
    let page = std::fs::read_to_string(html).unwrap();
    let copy = html.with_file_name(format!(
        "measured-{}",
        html.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&copy, page.replace("</body>", &format!("{MEASURE}</body>"))).unwrap();
    let dom = chromium(
        &copy,
        &["--dump-dom", &format!("--window-size={width},{height}")],
        "",
    );
    // The script's own text holds the marker too, followed by a quote, not a brace.
    let json = dom
        .split("MEASURE{")
        .nth(1)
        .and_then(|rest| rest.split("}END").next())
        .map(|inner| format!("{{{inner}}}"))
        .unwrap_or_else(|| panic!("no measures in the page: {dom:.3000}"));
    let json = json
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// Runs `line` as a user pasting it would, with `bash -c`: its exit code and its output
/// (stdout then stderr).
pub fn bash(line: &str) -> (Option<i32>, String) {
    #[allow(clippy::disallowed_methods)] // the shell a user pastes into
    let out = std::process::Command::new("bash")
        .args(["-c", line])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}
