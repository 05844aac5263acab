//! `bele kernel` end to end, on a real kernel tree (BELE_KERNEL_TREE; `ci/fetch-linux.sh`
//! fetches one and `bele setup --kernel` installs what it needs): kernels built for User
//! Mode Linux (x86_64, run as a program), 32-bit ARMv7 and big-endian s390x (both booted
//! under qemu-system), the default rows: one per ABI family. The tree is never written: the test works in a shadow of it (a symlink
//! farm) where one file, rust/kernel/transmute.rs, is a copy of its own. Every run adds a C
//! suite the tree gates off s390 (clk-gate, `depends on !S390`), which s390x must leave out
//! with a note, not fail to build. A first run on the tree as it is (its s390x kernel then
//! boots again under Debian unstable's qemu-system, `--qemu sid`: the same results, nothing
//! rebuilt, the QEMU named); then four doc
//! examples are added to that file (one assumes the host's byte order, its twin does not,
//! one sizes a struct with a `usize` field as on 64-bit, one panics) with a
//! `#[kunit_tests]` suite whose middle test indexes by a length read in the host's byte
//! order (a panic on big-endian). The second run must blame the first example on
//! big-endian only and the third on 32-bit only, pass the twin, call the fourth crashed
//! (s390x and arm survive it and still report every other suite; UML, which a BUG ends,
//! says what never ran), carry that
//! in every report format, and `bele diff` must name the new big-endian failure as a
//! regression. A third boots the same kernels with `oops=panic` (7.2 has `panic_on_oops`
//! only as a sysctl): the panic ends the s390x kernel mid-suite, and the test that was
//! running, named by its place, carries the crash.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use bele::testing::{tests_across, CheckKind, Outcome, RunResults, TargetStatus};
use support::{bele, check_machine_reports, report, scratch};

/// The little-endian 64-bit kernel: User Mode Linux, the default row of that ABI (the
/// qemu-system x86_64 row builds in twice the time for the same verdicts).
const UM: &str = "um-linux-kernel";
const S390X: &str = "s390x-linux-kernel";
/// The 32-bit kernel: ARMv7, little-endian.
const ARM: &str = "arm-linux-kernel";

/// The tree under test, or a panic saying how to get one.
fn tree() -> PathBuf {
    let tree = std::env::var_os("BELE_KERNEL_TREE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
            "BELE_KERNEL_TREE is not set: run `ci/fetch-linux.sh` (it prints the tree's path) and \
             `bele setup --kernel --tree <path>`; ci/test.sh does both"
        )
        });
    assert!(
        tree.join("Makefile").is_file(),
        "BELE_KERNEL_TREE={} is not a kernel tree",
        tree.display()
    );
    tree
}

/// A symlink farm of `tree` at a stable path (so its kernels' build directories in bele's
/// cache are found again), with `rel` a real file holding `text` (written anew, so make
/// sees it changed).
#[allow(clippy::disallowed_methods)] // `cp -as` makes the farm
fn shadow(tree: &Path, rel: &str, text: &str) -> PathBuf {
    let dir = support::repo().join("target/bele-kernel-e2e/linux");
    if !dir.join("Makefile").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
        let status = Command::new("cp")
            .arg("-as")
            .arg(tree)
            .arg(&dir)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "cp -as {} {}",
            tree.display(),
            dir.display()
        );
    }
    let file = dir.join(rel);
    let _ = std::fs::remove_file(&file);
    std::fs::write(&file, text).unwrap();
    dir
}

/// A suite of three ordinary KUnit tests; the middle one indexes a table by a length read
/// in the host's byte order: in bounds on little-endian, a panic on big-endian.
const CUT_SUITE: &str = "
#[macros::kunit_tests(bele_e2e_cut)]
mod bele_e2e_cut {
    #[test]
    fn before_the_cut() {
        assert_eq!(1 + 1, 2);
    }

    #[test]
    fn indexes_by_a_wire_length() {
        let wire = core::hint::black_box([8u8, 0, 0, 0]);
        let table = [0u8; 16];
        let len = u32::from_ne_bytes(wire) as usize;
        assert_eq!(table[len], 0);
    }

    #[test]
    fn after_the_cut() {
        assert_eq!(2 + 2, 4);
    }
}
";

/// The four examples, added to the doc comment of `FromBytes::from_bytes_copy`, and the
/// line each starts on in the file (its KTAP location); the suite at the end.
fn plant(original: &str) -> (String, [usize; 4]) {
    let anchor = "    fn from_bytes_copy(bytes: &[u8]) -> Option<Self>";
    let at = original
        .find(anchor)
        .expect("transmute.rs has FromBytes::from_bytes_copy");
    let examples = [
        // Assumes the host's byte order: right on um (x86_64), wrong on s390x.
        "    /// ```\n    /// use kernel::transmute::FromBytes;\n    /// let v = u32::from_bytes_copy(&[1, 2, 3, 4]).unwrap();\n    /// assert_eq!(v, 0x0403_0201);\n    /// ```\n",
        // Its twin says which order the bytes are in.
        "    /// ```\n    /// use kernel::transmute::FromBytes;\n    /// let v = u32::from_le(u32::from_bytes_copy(&[1, 2, 3, 4]).unwrap());\n    /// assert_eq!(v, 0x0403_0201);\n    /// ```\n",
        // Sizes a descriptor as on 64-bit: right on um and s390x, wrong on arm (before the
        // panic, which ends UML's boot).
        "    /// ```\n    /// #[repr(C)]\n    /// struct Desc { addr: usize, len: u32, flags: u32 }\n    /// assert_eq!(core::mem::size_of::<Desc>(), 16);\n    /// ```\n",
        // Panics, so the kernel oopses inside the test.
        "    /// ```\n    /// let v: Option<u32> = None;\n    /// let _ = v.expect(\"bele e2e: a planted panic\");\n    /// ```\n",
    ];
    let mut text = original[..at].to_string();
    let mut lines = [0; 4];
    for (i, e) in examples.iter().enumerate() {
        // The location KUnit reports is the line of the opening fence.
        lines[i] = text.lines().count() + 1;
        text.push_str(e);
    }
    text.push_str(&original[at..]);
    text.push_str(CUT_SUITE);
    (text, lines)
}

/// The result of the test at `file:line` on `triple`.
fn at<'r>(
    r: &'r RunResults,
    triple: &str,
    location: &str,
) -> (&'r str, &'r bele::testing::TestResult) {
    let t = r
        .targets
        .iter()
        .find(|t| t.triple == triple)
        .unwrap_or_else(|| panic!("no {triple}"));
    t.binaries
        .iter()
        .flat_map(|b| b.tests.iter().map(move |x| (b.id.as_str(), x)))
        .find(|(_, x)| x.location.as_deref() == Some(location))
        .unwrap_or_else(|| panic!("no test at {location} on {triple}"))
}

#[test]
#[allow(clippy::disallowed_methods)] // runs the real binary for `bele diff`
#[allow(
    clippy::too_many_lines,
    reason = "one real run (cross builds, QEMU) and every assertion on it: split, each part would pay for the run again"
)]
fn the_kernels_rust_tests_run_on_uml_32_bit_arm_and_big_endian_s390x_and_compare() {
    let tree = tree();
    let rel = "rust/kernel/transmute.rs";
    let original = std::fs::read_to_string(tree.join(rel)).unwrap();
    // A C suite the tree builds everywhere but s390 (`depends on !S390`), at a stable path
    // (it is part of the configuration, so of the build directory's key).
    let clk = support::repo().join("target/bele-kernel-e2e/clk-gate.kunitconfig");
    std::fs::create_dir_all(clk.parent().unwrap()).unwrap();
    std::fs::write(&clk, "CONFIG_COMMON_CLK=y\nCONFIG_CLK_GATE_KUNIT_TEST=y\n").unwrap();
    let targets = [
        "--targets",
        "um,s390x,arm",
        "--kunitconfig",
        clk.to_str().unwrap(),
    ];

    // 1. The tree as it is: everything passes on both.
    let shadow_tree = shadow(&tree, rel, &original);
    let s = shadow_tree.to_str().unwrap();
    let before = bele(
        &[&["kernel", "--tree", s][..], &targets].concat(),
        &[],
        "kernel-before",
    );
    let a = before
        .results
        .as_ref()
        .unwrap_or_else(|| panic!("no results: {}", before.stderr));
    for t in &a.targets {
        assert_eq!(
            t.status,
            TargetStatus::Ran,
            "{}: {:?} {}",
            t.triple,
            t.reason,
            before.stderr
        );
        let c = t.counts();
        assert!(c.passed > 300, "{}: {c:?}", t.triple);
        assert!(
            t.binaries.iter().any(|b| b.id == "rust_doctests_kernel"),
            "{}",
            t.triple
        );
    }
    assert_eq!(before.code, 0, "{}\n{}", before.stdout, before.stderr);
    assert_eq!(
        a.targets
            .iter()
            .map(|t| t.triple.as_str())
            .collect::<Vec<_>>(),
        [UM, S390X, ARM]
    );
    let s390 = &a.targets[1];
    assert_eq!(s390.endian.to_string(), "big");
    // The C suite ran where the tree offers it and was left out, with why, where it does not.
    let has_clk =
        |t: &bele::testing::TargetResult| t.binaries.iter().any(|b| b.id == "clk-gate-test");
    assert!(has_clk(&a.targets[0]), "clk-gate on um");
    assert!(has_clk(&a.targets[2]), "clk-gate on arm");
    assert!(!has_clk(s390));
    let left_out = &s390.build.as_ref().unwrap().left_out;
    assert!(
        left_out.len() == 1
            && left_out[0].starts_with("CONFIG_CLK_GATE_KUNIT_TEST=y (is not set): the tree gates it on an architecture (drivers/clk/Kconfig: depends on")
            && left_out[0].contains("!S390"),
        "{left_out:?}"
    );
    assert!(a.targets[0].build.as_ref().unwrap().left_out.is_empty());
    assert!(a.targets[2].build.as_ref().unwrap().left_out.is_empty());
    assert!(
        before
            .stdout
            .contains("left out: CONFIG_CLK_GATE_KUNIT_TEST=y"),
        "{}",
        before.stdout
    );
    // Its console is kept, and reads back with `bele kernel parse` into the same results:
    // the same suites, tests, outcomes and doc-test keys.
    let console = s390.console.as_ref().expect("the s390x console is kept");
    let parsed = bele(
        &[
            "kernel",
            "parse",
            "--target",
            "s390x",
            "--tree",
            s,
            console.to_str().unwrap(),
        ],
        &[],
        "kernel-parsed",
    );
    assert_eq!(parsed.code, 0, "{}\n{}", parsed.stdout, parsed.stderr);
    let p = parsed.results.as_ref().unwrap();
    let outcomes = |t: &bele::testing::TargetResult| {
        (t.binaries.iter())
            .flat_map(|b| {
                (b.tests.iter())
                    .map(move |x| (b.id.clone(), x.name.clone(), x.outcome, x.key.clone()))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(p.targets[0].triple, S390X);
    assert_eq!(outcomes(&p.targets[0]), outcomes(s390));

    // The same s390x kernel under a second emulator, Debian unstable's qemu-system (fetched
    // with its libraries): nothing rebuilt, the same results, and every place says which
    // QEMU ran.
    let image = &s390.binaries[0].executable;
    let built = std::fs::metadata(image).and_then(|m| m.modified()).unwrap();
    let sid = bele(
        &[
            &["kernel", "--tree", s][..],
            &[
                "--targets",
                "s390x",
                "--kunitconfig",
                clk.to_str().unwrap(),
                "--qemu",
                "sid",
            ],
        ]
        .concat(),
        &[],
        "kernel-qemu-sid",
    );
    assert_eq!(sid.code, 0, "{}\n{}", sid.stdout, sid.stderr);
    let q = sid.results.as_ref().unwrap();
    let on_sid = &q.targets[0];
    let version = on_sid.qemu_version.as_deref().unwrap_or_default();
    assert!(
        version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok())
            > Some(7),
        "{version} (the first run: {:?})",
        s390.qemu_version
    );
    assert_ne!(on_sid.qemu_version, s390.qemu_version);
    assert!(
        on_sid.runner.to_string().contains("qemu-sid/system/"),
        "{}",
        on_sid.runner
    );
    assert_eq!(
        q.config.kernel.as_ref().unwrap().qemu.as_deref(),
        Some("sid")
    );
    assert!(
        sid.stdout
            .contains(&format!("booted under QEMU {version} from --qemu sid")),
        "{}",
        sid.stdout
    );
    assert_eq!(on_sid.binaries[0].executable, *image);
    let after = std::fs::metadata(image).and_then(|m| m.modified()).unwrap();
    assert_eq!(after, built, "the kernel was built again for another QEMU");
    assert_eq!(outcomes(on_sid), outcomes(s390));

    // 2. The four examples planted.
    let (planted, lines) = plant(&original);
    shadow(&tree, rel, &planted);
    let after = bele(
        &[
            &["kernel", "--tree", s][..],
            &targets,
            &[
                "--report",
                &format!("md={}", scratch("kernel.md").display()),
            ],
            &[
                "--report",
                &format!("html={}", scratch("kernel.html").display()),
            ],
        ]
        .concat(),
        &[],
        "kernel-after",
    );
    assert_eq!(after.code, 1, "{}\n{}", after.stdout, after.stderr);
    let b = after.results.as_ref().unwrap();
    let loc = |i: usize| format!("{rel}:{}", lines[i]);
    // Rebuilt what changed, not everything.
    for t in &b.targets {
        assert_eq!(t.status, TargetStatus::Ran, "{}: {:?}", t.triple, t.reason);
    }
    let (suite, bug_le) = at(b, UM, &loc(0));
    assert_eq!(suite, "rust_doctests_kernel");
    assert_eq!(bug_le.outcome, Outcome::Passed);
    let (_, bug_be) = at(b, S390X, &loc(0));
    assert_eq!(bug_be.outcome, Outcome::Failed, "{bug_be:?}");
    assert!(
        bug_be
            .output
            .as_deref()
            .unwrap_or("")
            .contains("ASSERTION FAILED"),
        "{bug_be:?}"
    );
    for triple in [UM, S390X, ARM] {
        assert_eq!(
            at(b, triple, &loc(1)).1.outcome,
            Outcome::Passed,
            "the twin on {triple}"
        );
        let (_, p) = at(b, triple, &loc(3));
        assert_eq!(p.outcome, Outcome::Crashed, "the panic on {triple}: {p:?}");
        assert!(
            p.output
                .as_deref()
                .unwrap_or("")
                .contains("a planted panic"),
            "{p:?}"
        );
        let t = b.targets.iter().find(|t| t.triple == triple).unwrap();
        if triple == UM {
            // UML cannot survive a BUG (a Rust panic is one): the boot ends in the doc-test,
            // and what never ran is said, never counted as passed.
            let error = |id: &str| {
                (t.binaries.iter())
                    .find(|b| b.id == id)
                    .and_then(|b| b.error.clone())
                    .unwrap_or_default()
            };
            assert!(
                error("rust_doctests_kernel").contains("never ran: the kernel stopped during it"),
                "{:?}",
                error("rust_doctests_kernel")
            );
            assert!(
                error("(kernel)").contains("suites never reported: the kernel stopped"),
                "{:?}",
                error("(kernel)")
            );
            continue;
        }
        // The rest still reported: every suite, the doc-tests after the panic included.
        let suites: Vec<&str> = (t.binaries.iter())
            .map(|b| b.id.as_str())
            .filter(|id| *id != "bele_e2e_cut")
            .collect();
        let before_suites: Vec<&str> = a
            .targets
            .iter()
            .find(|t| t.triple == triple)
            .unwrap()
            .binaries
            .iter()
            .map(|b| b.id.as_str())
            .collect();
        assert_eq!(suites, before_suites, "{triple}");
        let cut_suite = (t.binaries.iter())
            .find(|b| b.id == "bele_e2e_cut")
            .unwrap_or_else(|| panic!("no bele_e2e_cut on {triple}"));
        let crashed: Vec<&str> = (cut_suite.tests.iter())
            .filter(|x| x.outcome == Outcome::Crashed)
            .map(|x| x.name.as_str())
            .collect();
        let expected: &[&str] = if triple == S390X {
            &["indexes_by_a_wire_length"]
        } else {
            &[]
        };
        assert_eq!(
            crashed, expected,
            "KUnit caught the panic on {triple}: {cut_suite:?}"
        );
        assert!(t.binaries.iter().all(|b| b.error.is_none()), "{triple}");
        assert_eq!(
            t.counts().total(),
            a.targets
                .iter()
                .find(|x| x.triple == triple)
                .unwrap()
                .counts()
                .total()
                + 7
        );
    }
    let verdicts = tests_across(b);
    let verdict_of = |name: &str| {
        verdicts
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.verdict.id())
            .unwrap()
    };
    let bug_name = &bug_be.name;
    assert_eq!(verdict_of(bug_name), "big-endian-only");
    // Re-checked, it failed every boot as it ran and under the second emulator too: the
    // evidence is in the results, and it excuses nothing.
    let kinds: Vec<(CheckKind, Outcome)> = (b.emulator_checks.iter())
        .filter(|c| c.test == *bug_name && c.target == S390X)
        .map(|c| (c.kind, c.outcome))
        .collect();
    assert_eq!(
        kinds,
        [
            (CheckKind::Rerun, Outcome::Failed),
            (CheckKind::Rerun, Outcome::Failed),
            (CheckKind::SecondQemu, Outcome::Failed)
        ]
    );
    assert_eq!(
        verdict_of(&at(b, S390X, &loc(1)).1.name),
        "passes-everywhere"
    );
    assert_eq!(
        verdict_of(&at(b, S390X, &loc(3)).1.name),
        "fails-everywhere"
    );
    assert!(
        after.stdout.contains("fails on big-endian only"),
        "{}",
        after.stdout
    );
    // The 32-bit example fails on arm alone, and says why.
    let (_, narrow) = at(b, ARM, &loc(2));
    assert_eq!(narrow.outcome, Outcome::Failed, "{narrow:?}");
    for triple in [UM, S390X] {
        assert_eq!(
            at(b, triple, &loc(2)).1.outcome,
            Outcome::Passed,
            "{triple}"
        );
    }
    assert_eq!(verdict_of(&narrow.name), "32-bit-only");
    assert!(
        after.stdout.contains("fails on 32-bit only"),
        "{}",
        after.stdout
    );

    // 3. Every format carries it; the machine formats pass their readers.
    check_machine_reports(&after.results_file);
    let junit = report(&after.results_file, "junit");
    assert!(
        junit.contains(&format!("{bug_name} [s390x]"))
            && junit.contains("fails on big-endian only"),
        "{junit}"
    );
    let ktap = report(&after.results_file, "ktap");
    assert!(
        ktap.contains("not ok") && ktap.contains(bug_name.as_str()),
        "{ktap}"
    );
    let md = std::fs::read_to_string(scratch("kernel.md")).unwrap();
    assert!(
        md.contains("fails on big-endian only") && md.contains(bug_name.as_str()),
        "{md}"
    );
    let html = std::fs::read_to_string(scratch("kernel.html")).unwrap();
    assert!(
        html.contains("fails on big-endian only") && html.contains(bug_name.as_str()),
        "{html}"
    );
    // The replay line is a bele kernel command for the test.
    assert!(
        md.contains("bele kernel --tree") || html.contains("bele kernel --tree"),
        "{md}"
    );

    // 4. bele diff names the new big-endian failure as a regression.
    let out = Command::new(env!("CARGO_BIN_EXE_bele"))
        .arg("diff")
        .arg(&before.results_file)
        .arg(&after.results_file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("regressed")
            && l.contains(S390X)
            && l.contains(bug_name.as_str())),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("regressed") && l.contains(UM) && l.contains(bug_name.as_str())),
        "{text}"
    );

    // 5. The same kernels with oops=panic and only the planted suite: the big-endian
    //    panic now ends the s390x kernel inside the suite. The test that was running carries
    //    the crash, named by its place from um, which ran the suite on; no pseudo-test.
    let cut = bele(
        &[
            &["kernel", "--tree", s][..],
            &targets,
            &["--kernel-args", "oops=panic", "bele_e2e_cut"],
        ]
        .concat(),
        &[],
        "kernel-cut",
    );
    assert_eq!(cut.code, 1, "{}\n{}", cut.stdout, cut.stderr);
    let d = cut.results.as_ref().unwrap();
    let cut_suite = |t: &bele::testing::TargetResult| {
        let b = (t.binaries.iter())
            .find(|b| b.id == "bele_e2e_cut")
            .unwrap_or_else(|| panic!("no bele_e2e_cut on {}: {:?}", t.triple, t.binaries));
        (b.tests.iter())
            .map(|x| (x.name.clone(), x.outcome))
            .collect::<Vec<_>>()
    };
    let ran_on = cut_suite(&d.targets[0]);
    assert_eq!(
        ran_on,
        [
            ("before_the_cut".to_string(), Outcome::Passed),
            ("indexes_by_a_wire_length".to_string(), Outcome::Passed),
            ("after_the_cut".to_string(), Outcome::Passed),
        ]
    );
    let be_suite = cut_suite(&d.targets[1]);
    assert_eq!(
        be_suite[..2],
        [
            ("before_the_cut".to_string(), Outcome::Passed),
            ("indexes_by_a_wire_length".to_string(), Outcome::Crashed),
        ],
        "{be_suite:?}"
    );
    assert!(
        !be_suite.iter().any(|(n, _)| n.starts_with('(')),
        "no pseudo-test: {be_suite:?}"
    );
    let (_, panicked) = (d.targets[1].binaries.iter())
        .flat_map(|b| b.tests.iter().map(move |x| (b.id.as_str(), x)))
        .find(|(id, x)| *id == "bele_e2e_cut" && x.name == "indexes_by_a_wire_length")
        .unwrap();
    let said = panicked.output.as_deref().unwrap_or("");
    assert!(
        said.contains("named by its place") && said.contains("index out of bounds"),
        "{said}"
    );
    let verdicts = tests_across(d);
    assert_eq!(
        (verdicts.iter())
            .find(|t| t.name == "indexes_by_a_wire_length")
            .map(|t| t.verdict.id())
            .as_deref(),
        Some("big-endian-only")
    );
    // Its replay line boots with the same kernel arguments and selects the test.
    assert!(
        cut.stdout.contains("--kernel-args oops=panic")
            && cut.stdout.contains("bele_e2e_cut.indexes_by_a_wire_length"),
        "{}",
        cut.stdout
    );

    // 5b. Booted once per suite, the same panic costs its suite only: every suite of the
    //     kernel reports on s390x, the cut test named from the kernel's own listing.
    let isolated = bele(
        &[
            &["kernel", "--tree", s][..],
            &targets,
            &["--run-isolated", "suite", "--kernel-args", "oops=panic"],
        ]
        .concat(),
        &[],
        "kernel-isolated",
    );
    assert_eq!(isolated.code, 1, "{}\n{}", isolated.stdout, isolated.stderr);
    let e = isolated.results.as_ref().unwrap();
    // Every suite of the tree as it was, and the planted one.
    for (t, earlier) in e.targets.iter().zip(&a.targets) {
        let ids = |t: &bele::testing::TargetResult, extra: Option<&str>| {
            let mut v: Vec<String> = (t.binaries.iter())
                .map(|b| b.id.clone())
                .filter(|id| !id.starts_with('('))
                .chain(extra.map(String::from))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            ids(t, None),
            ids(earlier, Some("bele_e2e_cut")),
            "every suite reports on {}",
            t.triple
        );
    }
    let cut_be = cut_suite(&e.targets[1]);
    assert_eq!(
        cut_be[..2],
        [
            ("before_the_cut".to_string(), Outcome::Passed),
            ("indexes_by_a_wire_length".to_string(), Outcome::Crashed),
        ],
        "{cut_be:?}"
    );
    assert_eq!(cut_suite(&e.targets[0]).len(), 3, "um ran the whole suite");
    // Listed, not run: the tests each kernel has, one per line.
    let listing = bele(
        &[&["kernel", "--tree", s][..], &targets, &["--list-tests"]].concat(),
        &[],
        "kernel-list",
    );
    assert_eq!(listing.code, 0, "{}\n{}", listing.stdout, listing.stderr);
    // A parameterised test is listed once, whatever its cases: the tree's tests as they
    // were, and the seven planted.
    let mut le_tests: Vec<(String, String)> = (a.targets[0].binaries.iter())
        .filter(|b| !b.id.starts_with('('))
        .flat_map(|b| {
            (b.tests.iter()).map(move |x| {
                (
                    b.id.clone(),
                    x.name.split('/').next().unwrap_or("").to_string(),
                )
            })
        })
        .collect();
    le_tests.dedup();
    let le_tests = le_tests.len() + 7;
    assert!(
        listing.stdout.contains(&format!("{UM} ({le_tests} tests)"))
            && listing
                .stdout
                .lines()
                .any(|l| l == "bele_e2e_cut.indexes_by_a_wire_length"),
        "{}",
        listing.stdout
    );

    // 6. A build that fails on big-endian only: its verdict says so, the compiler's error is
    //    kept, and the other target still runs.
    shadow(
        &tree,
        rel,
        &format!("{planted}\n#[cfg(target_endian = \"big\")]\ncompile_error!(\"bele e2e: fails to build on big-endian\");\n"),
    );
    // um and s390x only: a third kernel would rebuild its Rust to show nothing new.
    let broken = bele(
        &[
            &["kernel", "--tree", s][..],
            &[
                "--targets",
                "um,s390x",
                "--kunitconfig",
                clk.to_str().unwrap(),
            ],
        ]
        .concat(),
        &[],
        "kernel-broken",
    );
    assert_eq!(broken.code, 1, "{}\n{}", broken.stdout, broken.stderr);
    let c = broken.results.as_ref().unwrap();
    let (le, be) = (&c.targets[0], &c.targets[1]);
    assert_eq!(le.status, TargetStatus::Ran, "{:?}", le.reason);
    assert_eq!(be.status, TargetStatus::BuildFailed, "{:?}", be.reason);
    let log = be
        .build
        .as_ref()
        .and_then(|b| b.log_tail.as_deref())
        .unwrap_or("");
    assert!(
        log.contains("bele e2e: fails to build on big-endian"),
        "{log}"
    );
    assert!(
        broken.stdout.contains("build fails on big-endian only"),
        "{}",
        broken.stdout
    );

    // 7. The tree itself was not written.
    assert_eq!(std::fs::read_to_string(tree.join(rel)).unwrap(), original);
}

/// `bele kernel parse` on a console kunit.py printed on a real run reads it into an s390x
/// kernel target; a file with no KTAP, or a target the table lacks, is refused (exit 2)
/// with the file or the value named. No tree needed.
#[test]
fn bele_kernel_parse_reads_a_saved_console_and_refuses_what_is_not_one() {
    let captured = support::repo().join("harness/tests/captured/kernel-s390x-console.txt");
    let read = bele(
        &[
            "kernel",
            "parse",
            "--target",
            "s390x",
            captured.to_str().unwrap(),
        ],
        &[],
        "kernel-parse-captured",
    );
    assert_eq!(read.code, 0, "{}\n{}", read.stdout, read.stderr);
    let r = read.results.as_ref().unwrap();
    assert_eq!(r.targets.len(), 1);
    assert_eq!(r.targets[0].triple, S390X);
    assert!(
        r.targets[0].counts().passed > 100,
        "{:?}",
        r.targets[0].counts()
    );
    assert_eq!(r.config.kernel.as_ref().unwrap().version, "7.2.13");

    let not_a_console = scratch("not-a-console.log");
    std::fs::write(&not_a_console, "Booting the kernel.\n").unwrap();
    let refused = bele(
        &[
            "kernel",
            "parse",
            "--target",
            "s390x",
            not_a_console.to_str().unwrap(),
        ],
        &[],
        "kernel-parse-refused",
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("not-a-console.log: no KTAP in it"),
        "{}",
        refused.stderr
    );
    let unknown = bele(
        &[
            "kernel",
            "parse",
            "--target",
            "m68k",
            captured.to_str().unwrap(),
        ],
        &[],
        "kernel-parse-m68k",
    );
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("--target m68k: no such kernel target"),
        "{}",
        unknown.stderr
    );
}

/// `bele kernel --qemu` refuses, before any build, a directory without a target's
/// qemu-system (naming the executable, the directory and the target), a path that is not a
/// directory, and a run with no target booted under qemu-system. No tree needed.
#[test]
fn kernel_qemu_refuses_what_cannot_boot() {
    let empty = scratch("no-qemu-here");
    std::fs::create_dir_all(&empty).unwrap();
    let empty = empty.to_str().unwrap();
    for (args, said) in [
        (
            ["s390x", empty],
            format!("--qemu {empty}: there is no qemu-system-s390x in "),
        ),
        (
            ["s390x", "/nonexistent-bele-qemu"],
            "--qemu /nonexistent-bele-qemu: /nonexistent-bele-qemu is not a directory (give the \
             directory of the qemu-system-<arch> executables"
                .to_string(),
        ),
        (
            ["um", "sid"],
            "--qemu sid: none of the kernel targets boots under qemu-system".to_string(),
        ),
    ] {
        let refused = bele(
            &[
                "kernel",
                "--tree",
                "/nonexistent-bele-tree",
                "--targets",
                args[0],
                "--qemu",
                args[1],
            ],
            &[],
            "kernel-qemu-refused",
        );
        assert_eq!(refused.code, 2, "{}", refused.stderr);
        assert!(refused.stderr.contains(&said), "{}", refused.stderr);
    }
}
