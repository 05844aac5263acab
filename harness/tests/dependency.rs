//! End-to-end test of the dependency-fault verdict: a failure is blamed on a crate known to
//! be faulty only when a causal control shows it, on real cross builds for aarch64 and
//! aarch64_be under real QEMU. The crates are written here, outside the repository's
//! fixtures, as a user's would be.

mod support;

use bele::testing::tests_across;
use support::{bele, scratch};

const AARCH64: &str = "aarch64-unknown-linux-gnu";
const AARCH64_BE: &str = "aarch64_be-unknown-linux-musl";

const LIB: &str = r#"//! A wire decoder with a byte-order bug of its own, that also links memchr and crc32fast.

/// The length field of a little-endian wire header: read in native order (the bug).
pub fn wire_len(header: [u8; 4]) -> u32 {
    u32::from_ne_bytes(header)
}

pub fn separator(frame: &[u8]) -> Option<usize> {
    memchr::memchr(b'|', frame)
}

#[cfg(test)]
mod tests {
    fn crc_reference(data: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
            }
        }
        !c
    }

    #[test]
    fn reads_the_wire_length() {
        assert_eq!(super::separator(b"ab|cd"), Some(2));
        assert_eq!(super::wire_len([5, 0, 0, 0]), 5);
    }

    #[test]
    fn checksums_a_frame() {
        let frame: Vec<u8> = (0..100u32).map(|i| (i * 7 + 3) as u8).collect();
        assert_eq!(crc32fast::hash(&frame), crc_reference(&frame));
    }

    #[test]
    fn finds_the_separator() {
        let mut frame = vec![0u8; 700];
        frame[600] = b'|';
        assert_eq!(super::separator(&frame), Some(600));
    }
}
"#;

/// A workspace of two packages: `suspect` links memchr 2.8.3 (which no version the table
/// names as right can replace: it asks for 2.8) and crc32fast up to 1.5.6 (which 1.4.2 can);
/// `buildonly` has memchr as a build dependency alone, and the same byte-order bug.
fn workspace(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let _ = std::fs::remove_dir_all(&dir);
    let write = |path: &str, text: &str| {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\"suspect\", \"buildonly\"]\n",
    );
    write(
        "suspect/Cargo.toml",
        "[package]\nname = \"suspect\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[lib]\ndoctest = false\n\n\
         [dependencies]\n# 2.8.3 pinned: the fault this test is about.\nmemchr = \"=2.8.3\"\n\
         crc32fast = \">=1.4, <=1.5.6\"\n",
    );
    write("suspect/src/lib.rs", LIB);
    write(
        "buildonly/Cargo.toml",
        "[package]\nname = \"buildonly\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[lib]\ndoctest = false\n\n\
         [build-dependencies]\nmemchr = \"=2.8.3\"\n",
    );
    write(
        "buildonly/build.rs",
        "fn main() {\n    assert_eq!(memchr::memchr(b'x', b\"abx\"), Some(2));\n}\n",
    );
    write(
        "buildonly/src/lib.rs",
        "//! A byte-order bug, and memchr only in its build script.\n\n#[cfg(test)]\nmod tests {\n    \
         #[test]\n    fn reads_the_wire_length() {\n        assert_eq!(u32::from_ne_bytes([5, 0, 0, 0]), 5);\n    }\n}\n",
    );
    dir
}

/// On aarch64_be, where memchr and crc32fast are known to be faulty: the workspace's own
/// byte-order bug is not excused by either being linked (controls with each replaced fail
/// the same, or cannot be made); a checksum failure that passes with crc32fast 1.4.2 in
/// place is the crate's; a search failure through memchr, which nothing can replace here,
/// stands.
#[test]
fn a_dependency_is_blamed_only_when_a_control_shows_it() {
    let ws = workspace("dependency-suspect-ws");
    let manifest = ws.join("Cargo.toml");
    let targets = [AARCH64, AARCH64_BE].join(",");
    let args = |pkg: &'static str| {
        vec![
            "test".to_string(),
            "--manifest-path".into(),
            manifest.display().to_string(),
            "--targets".into(),
            targets.clone(),
            "--no-layouts".into(),
            "-p".into(),
            pkg.into(),
        ]
    };
    let a = args("suspect");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let run = bele(&a, &[], "dependency-suspect");
    let r = run
        .results
        .as_ref()
        .unwrap_or_else(|| panic!("no results\n{}\n{}", run.stdout, run.stderr));
    support::check_machine_reports(&run.results_file);
    assert_eq!(
        run.code, 1,
        "the workspace's own bug fails the run\n{}",
        run.stdout
    );
    let be = r.targets.iter().find(|t| t.triple == AARCH64_BE).unwrap();
    let linked: Vec<String> = be.known_faults.iter().map(|f| f.name()).collect();
    assert_eq!(linked.len(), 2, "{linked:?}");
    assert!(
        linked[0] == "memchr 2.8.3" && linked[1].starts_with("crc32fast 1.5."),
        "{linked:?}"
    );
    // The controls, as recorded: memchr could not be replaced, crc32fast could.
    let memchr = (r.dependency_controls.iter())
        .find(|c| c.fault == "memchr 2.8.3")
        .expect("a memchr control");
    assert_eq!(memchr.control, "2.5.0");
    let error = memchr
        .error
        .as_deref()
        .expect("memchr 2.5.0 cannot satisfy =2.8.3");
    assert!(
        error.starts_with("cargo could not put it in place: error:"),
        "{error}"
    );
    let crc = (r.dependency_controls.iter())
        .find(|c| c.fault.starts_with("crc32fast"))
        .expect("a crc32fast control");
    assert_eq!(
        (crc.control.as_str(), crc.error.as_deref()),
        ("1.4.2", None)
    );
    let controlled: Vec<(&str, bele::testing::Outcome)> = (crc.tests.iter())
        .map(|t| (t.test.as_str(), t.outcome))
        .collect();
    use bele::testing::Outcome::{Failed, Passed};
    assert_eq!(
        controlled,
        [
            ("tests::checksums_a_frame", Passed),
            ("tests::finds_the_separator", Failed),
            ("tests::reads_the_wire_length", Failed),
        ]
    );
    let verdict = |name: &str| {
        let t = tests_across(r)
            .into_iter()
            .find(|t| t.name == name)
            .unwrap();
        (t.verdict.id(), t.verdict.label(), t.notes)
    };
    let (id, _, notes) = verdict("tests::reads_the_wire_length");
    assert_eq!(id, "big-endian-only");
    let said = notes.join("\n");
    for part in [
        "no control on aarch64_be with memchr 2.5.0 in place of memchr 2.8.3: cargo could not",
        "control on aarch64_be: failed with crc32fast 1.4.2 in place of crc32fast 1.5.",
        "suspect a dependency on aarch64_be: its executable links memchr 2.8.3 and crc32fast",
    ] {
        assert!(said.contains(part), "{part}\n{said}");
    }
    let (id, label, _) = verdict("tests::checksums_a_frame");
    assert_eq!(id, "dependency-fault");
    assert!(
        label.starts_with(
            "fails on aarch64_be only through a dependency, shown by replacing it: crc32fast 1.5."
        ) && label.ends_with(" (1.4.2 passes)"),
        "{label}"
    );
    assert_eq!(verdict("tests::finds_the_separator").0, "big-endian-only");
    let closing = support::closing_line(&run);
    assert!(
        closing.contains(" 2 failed") && closing.contains(", 1 dependency fault"),
        "{closing}"
    );
    let row = |test: &str| support::matrix_row(&run, "suspect", test);
    assert!(row("tests::checksums_a_frame").contains(" d "));
    assert!(row("tests::reads_the_wire_length").contains(" F "));
    for format in ["md", "junit", "ktap", "html", "github"] {
        let text = support::report(&run.results_file, format).replace("%3A", ":");
        for part in [
            "crc32fast 1.4.2 in place of crc32fast 1.5.",
            "suspect a dependency",
        ] {
            assert!(text.contains(part), "{format} lacks {part}: {text}");
        }
    }
}

/// memchr only in a build script, and in another member nobody selected: not what the
/// tests link, so nothing is suspected and nothing is controlled.
#[test]
fn a_build_dependency_is_not_what_the_tests_link() {
    let ws = workspace("dependency-buildonly-ws");
    let manifest = ws.join("Cargo.toml");
    let targets = [AARCH64, AARCH64_BE].join(",");
    let a = [
        "test",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--targets",
        &targets,
        "--no-layouts",
        "-p",
        "buildonly",
    ];
    let run = bele(&a, &[], "dependency-buildonly");
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 1, "{}", run.stdout);
    let be = r.targets.iter().find(|t| t.triple == AARCH64_BE).unwrap();
    assert!(be.known_faults.is_empty(), "{:?}", be.known_faults);
    assert!(r.dependency_controls.is_empty());
    let (id, _, notes) = verdict_in(r, "tests::reads_the_wire_length");
    assert_eq!(id, "big-endian-only");
    assert!(!notes.iter().any(|n| n.contains("dependency")), "{notes:?}");
}

fn verdict_in(r: &bele::testing::RunResults, name: &str) -> (String, String, Vec<String>) {
    let t = tests_across(r)
        .into_iter()
        .find(|t| t.name == name)
        .unwrap();
    (t.verdict.id(), t.verdict.label(), t.notes)
}

/// A crate of old lockfiles (libc 0.2.77, getrandom 0.2.0: they call `open64`, which zig's
/// musl 1.2.5 no longer has) links and passes on the musl targets; a dependency whose own
/// object references a symbol nothing defines fails the build where it does, and the build
/// verdict names the dependency the linker named, not the workspace or QEMU.
#[test]
fn old_lockfiles_link_and_a_link_error_is_the_dependencys() {
    let root = scratch("link-errors");
    let _ = std::fs::remove_dir_all(&root);
    let write = |path: &str, text: &str| {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    write(
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.0.0\"\nedition = \"2018\"\n\n[lib]\ndoctest = false\n\n\
         [workspace]\n\n[dependencies]\nlibc = \"=0.2.77\"\ngetrandom = \"=0.2.0\"\n\
         missing = { path = \"../missing\" }\n\n[features]\ncall = []\n",
    );
    write(
        "app/src/lib.rs",
        "//! Random bytes through an old getrandom, and a dependency that does not link on\n\
         //! big-endian.\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn random_bytes() {\n        \
         let mut b = [0u8; 16];\n        getrandom::getrandom(&mut b).unwrap();\n    }\n\n    \
         #[cfg(feature = \"call\")]\n    #[test]\n    fn calls_the_dependency() {\n        missing::call();\n    }\n}\n",
    );
    write(
        "missing/Cargo.toml",
        "[package]\nname = \"missing\"\nversion = \"0.1.0\"\nedition = \"2018\"\n",
    );
    write(
        "missing/src/lib.rs",
        "//! Calls a C function no library defines, on big-endian targets only.\n\n\
         #[cfg(target_endian = \"big\")]\nextern \"C\" {\n    fn bele_no_such_symbol();\n}\n\n\
         pub fn call() {\n    #[cfg(target_endian = \"big\")]\n    // SAFETY: never links.\n    \
         unsafe {\n        bele_no_such_symbol()\n    };\n}\n",
    );
    let manifest = root.join("app/Cargo.toml");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["test", "--manifest-path"].map(String::from).to_vec();
        a.push(manifest.display().to_string());
        a.extend([
            "--targets".into(),
            format!("x86_64-unknown-linux-gnu,{AARCH64_BE},armeb-bele-linux-musleabi"),
            "--no-layouts".into(),
        ]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    // Without the dependency's call: every target links, old libc and all.
    let a = args(&[]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let run = bele(&a, &[], "link-lfs64");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = run.results.as_ref().unwrap();
    for t in &r.targets {
        assert_eq!(
            support::outcome(r, &t.triple, "tests::random_bytes").outcome,
            bele::testing::Outcome::Passed,
            "{}",
            t.triple
        );
    }
    // The dependency's undefined symbol, on both big-endian targets.
    let a = args(&["--features", "call"]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let run = bele(&a, &[], "link-dependency");
    assert_eq!(run.code, 1, "{}", run.stdout);
    let r = run.results.as_ref().unwrap();
    let found = bele::testing::Findings::of(r);
    let build = found.build.as_ref().expect("a build verdict");
    // With its version when cargo compiled it in this build (not when it was fresh).
    assert_eq!(build.dependencies.len(), 1, "{build:?}");
    assert!(build.dependencies[0].starts_with("missing"), "{build:?}");
    assert!(
        build
            .verdict_label
            .starts_with("build fails on big-endian only: in a dependency, missing")
            && build.verdict_label.ends_with(" (not the workspace's code)"),
        "{}",
        build.verdict_label
    );
    assert!(!run.stdout.contains("QEMU)"), "{}", run.stdout);
}

/// memchr resolved as a normal dependency but never called: the test executable holds none
/// of its code, so nothing suspects it and no control runs; the failure is the crate's own.
#[test]
fn a_dependency_whose_code_is_not_in_the_executable_is_not_suspected() {
    let dir = support::scratch_crate("unused-dependency", false);
    support::add_to_manifest(&dir, "[dependencies]\nmemchr = \"=2.8.3\"\n");
    std::fs::write(
        dir.join("src/lib.rs"),
        "//! Depends on memchr and never calls it.\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    \
         fn reads_the_wire_length() {\n        assert_eq!(u32::from_ne_bytes([5, 0, 0, 0]), 5);\n    }\n}\n",
    )
    .unwrap();
    let targets = [AARCH64, AARCH64_BE].join(",");
    let run = support::bele_on(&dir, &targets, &["--no-layouts"], &[], "unused-dependency");
    assert_eq!(run.code, 1, "{}", run.stdout);
    let r = run.results.as_ref().unwrap();
    let be = r.targets.iter().find(|t| t.triple == AARCH64_BE).unwrap();
    let memchr = be
        .known_faults
        .iter()
        .find(|f| f.krate == "memchr")
        .unwrap();
    assert_eq!(memchr.linked_into.as_deref(), Some(&[][..]), "{memchr:?}");
    assert!(
        r.dependency_controls.is_empty(),
        "{:?}",
        r.dependency_controls
    );
    let (id, _, notes) = verdict_in(r, "tests::reads_the_wire_length");
    assert_eq!(id, "big-endian-only");
    assert_eq!(
        notes.iter().filter(|n| n.contains("dependency")).count(),
        0,
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("holds no code of memchr 2.8.3")),
        "{notes:?}"
    );
}
