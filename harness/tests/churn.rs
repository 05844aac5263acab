//! End-to-end: a second run rebuilds nothing, on the host, a prebuilt-std target and a
//! build-std target, with bele's std cache, without it, and with two builders at once.
//! Judged from cargo's own messages
//! (units compiled rather than fresh), never from timing.

mod support;

use bele::testing::Builder;
use bele::testing::{RunResults, RunnerName, StdUsed, TargetResult, TargetStatus};
use support::{bele, scratch};

const TARGETS: &str = "x86_64-unknown-linux-gnu,powerpc-unknown-linux-gnu,mips-unknown-linux-gnu";

/// A crate of its own (its own target dir), so no other test's build can touch it between
/// two runs.
fn crate_dir() -> std::path::PathBuf {
    let dir = scratch("churn-crate");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"churn\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        "//! A crate built twice.\n\n/// Doubles.\n///\n/// ```\n/// assert_eq!(churn::double(2), 4);\n/// ```\npub fn double(x: u32) -> u32 {\n    x * 2\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn doubles() {\n        assert_eq!(super::double(3), 6);\n    }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("tests/it.rs"),
        "#[test]\nfn from_outside() {\n    assert_eq!(churn::double(1), 2);\n}\n",
    )
    .unwrap();
    dir
}

fn compiled(r: &RunResults) -> Vec<(String, u64)> {
    r.targets
        .iter()
        .map(|t| {
            assert_eq!(t.status, TargetStatus::Ran, "{}: {:?}", t.triple, t.reason);
            (t.triple.clone(), t.build.as_ref().unwrap().compiled)
        })
        .collect()
}

#[test]
fn a_second_run_rebuilds_nothing() {
    let dir = crate_dir();
    let manifest = dir.join("Cargo.toml");
    let m = manifest.to_str().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let mut args = vec!["test", "--manifest-path", m, "--targets", TARGETS];
        args.extend_from_slice(extra);
        let r = bele(&args, &[], name);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        r.results.unwrap()
    };
    for (mode, extra) in [
        ("cache", &[][..]),
        ("build-std", &["--no-std-cache"][..]),
        ("builders", &["--builders", "2"][..]),
    ] {
        let first = run(&format!("churn-{mode}-1"), extra);
        let second = run(&format!("churn-{mode}-2"), extra);
        if mode == "builders" {
            // Two builds at once, each target in its builder's own target dir, the same
            // one in both runs.
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            let mut dirs = std::collections::BTreeSet::new();
            for t in first.targets.iter().chain(&second.targets) {
                let dir = Builder::of(&t.triple, 2, cpus).target_dir(&dir.join("target/bele"));
                for b in &t.binaries {
                    match &b.doc {
                        // Doc-tests: cargo compiles them in the same dir.
                        Some(doc) => {
                            assert!(
                                doc.args.windows(2).any(|w| w[0] == "--target-dir"
                                    && std::path::Path::new(&w[1]) == dir),
                                "{}: {doc:?}",
                                t.triple
                            )
                        }
                        None => assert!(
                            b.executable.starts_with(&dir),
                            "{}: {:?}",
                            t.triple,
                            b.executable
                        ),
                    }
                }
                dirs.insert(dir);
            }
            assert_eq!(dirs.len(), 2, "{dirs:?}");
            let moved: Vec<_> = compiled(&first)
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect();
            assert!(
                !moved.is_empty(),
                "targets of the second builder build there first"
            );
        }
        if mode == "cache" {
            // A fresh crate: the first run compiled it on every target.
            assert!(
                compiled(&first).iter().all(|(_, n)| *n > 0),
                "{:?}",
                compiled(&first)
            );
        }
        let mips = second
            .targets
            .iter()
            .find(|t| t.triple.starts_with("mips"))
            .unwrap();
        let expected = if mode == "build-std" {
            "build-std"
        } else {
            "std-cache"
        };
        assert_eq!(mips.std.map(StdUsed::label), Some(expected));
        // Each run keeps its targets' test times for the next run's build order: the
        // longest tests of the last run first, the target that runs natively second.
        let timings: std::collections::BTreeMap<String, u64> = serde_json::from_str(
            &std::fs::read_to_string(dir.join("target/bele/timings.json")).unwrap(),
        )
        .unwrap();
        let started = |triple: &str| {
            let t = second.targets.iter().find(|t| t.triple == triple).unwrap();
            assert_eq!(timings.get(triple), t.run_ms.as_ref(), "{triple}");
            t.binaries.iter().map(|b| b.started_ms).min().unwrap()
        };
        if mode != "builders" {
            let mut emulated: Vec<&TargetResult> = (first.targets.iter())
                .filter(|t| t.runner != RunnerName::Native)
                .collect();
            emulated.sort_by_key(|t| std::cmp::Reverse(t.run_ms));
            let (longest, other) = (&emulated[0].triple, &emulated[1].triple);
            let native = started("x86_64-unknown-linux-gnu");
            assert!(
                started(longest) <= native && native <= started(other),
                "{mode}"
            );
        }
        for (triple, n) in compiled(&second) {
            assert_eq!(
                n, 0,
                "{mode}: the second run compiled {n} units for {triple}"
            );
        }
    }
}
