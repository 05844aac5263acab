//! End-to-end under extreme input: a failing test that prints a gigabyte in one line among
//! 10,000 passing tests, on the host and under QEMU. Outcomes stay right, the output keeps
//! its start and end with the cut marked, and bele's own memory stays bounded (VmHWM from
//! `/proc`, bele's process only, not the test processes').

mod support;

use bele::results::{Outcome, TargetStatus};
use support::{bele_watched, scratch};

const TARGETS: &str = "x86_64-unknown-linux-gnu,s390x-unknown-linux-gnu";
const PASSING: usize = 10_000;
/// bele's own peak resident memory may not exceed this, whatever the tests print.
const PEAK_LIMIT_KB: u64 = 100 * 1024;

/// A crate of 10,000 passing tests and one that prints 1 GiB without a line break and fails.
fn extreme_crate() -> std::path::PathBuf {
    let dir = scratch("extreme-crate");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"extreme\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[lib]\ndoctest = false\n\n[workspace]\n",
    )
    .unwrap();
    let mut lib = String::from("//! Many tests, one loud.\n#[cfg(test)]\nmod t {\n");
    for i in 0..PASSING {
        lib.push_str(&format!(
            "#[test] fn p{i:05}() {{ assert_eq!({i}u32.wrapping_add(1), {}); }}\n",
            i + 1
        ));
    }
    lib.push_str(
        "#[test]\nfn gigabyte() {\n    let chunk = \"x\".repeat(1 << 20);\n    print!(\"HEAD-MARK\");\n    for _ in 0..1024 {\n        print!(\"{chunk}\");\n    }\n    panic!(\"TAIL-MARK after a gigabyte\");\n}\n}\n",
    );
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    dir
}

#[test]
fn a_gigabyte_of_failing_output_among_ten_thousand_tests_stays_bounded() {
    let dir = extreme_crate();
    let manifest = dir.join("Cargo.toml");
    let (run, peak_kb) = bele_watched(
        &[
            "test",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--targets",
            TARGETS,
        ],
        &[],
        "extreme",
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let results = run.results.expect("a results file");
    assert_eq!(results.targets.len(), 2);
    for t in &results.targets {
        assert_eq!(t.status, TargetStatus::Ran, "{}: {:?}", t.triple, t.reason);
        let tests: Vec<_> = t.binaries.iter().flat_map(|b| &b.tests).collect();
        let passed = tests
            .iter()
            .filter(|r| r.outcome == Outcome::Passed)
            .count();
        assert_eq!(
            (tests.len(), passed),
            (PASSING + 1, PASSING),
            "{}",
            t.triple
        );
        let loud = tests.iter().find(|r| r.name == "t::gigabyte").unwrap();
        assert_eq!(loud.outcome, Outcome::Failed, "{}", t.triple);
        let output = loud.output.as_deref().unwrap();
        assert!(
            output.starts_with("HEAD-MARKxxx"),
            "{}: {}",
            t.triple,
            &output[..40]
        );
        assert!(
            output.contains("TAIL-MARK after a gigabyte"),
            "{}",
            t.triple
        );
        let cut: u64 = output
            .split("[... ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}: no cut marker in the output", t.triple));
        assert!(cut > (1 << 30) - (1 << 20), "{}: {cut} bytes cut", t.triple);
        assert!(
            output.len() < 100 * 1024,
            "{}: {} bytes kept",
            t.triple,
            output.len()
        );
    }
    let size = std::fs::metadata(&run.results_file).unwrap().len();
    eprintln!("bele's peak memory {peak_kb} KiB; results file {size} bytes");
    assert!(
        peak_kb > 0 && peak_kb < PEAK_LIMIT_KB,
        "bele's own peak resident memory was {peak_kb} KiB"
    );
}
