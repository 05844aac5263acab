//! A kernel's console as results: each KUnit suite a test executable (`BinaryResult`), each
//! test (each parameterised case, as `test/case`) a test, crashes and hangs attributed to
//! the test that was running, and whatever never reported said so.

use std::path::Path;

use super::ktap::{crash_kind, crashed, timed_out, Console, Node, Status};
use crate::model::{BinaryResult, Outcome, TestResult};

/// How the emulator's run of the kernel ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootEnd {
    /// QEMU exited (the kernel rebooted at the end, or died).
    Exited,
    /// Killed after the timeout.
    TimedOut { secs: u64 },
    /// Killed because the run was interrupted.
    Interrupted,
    /// QEMU could not be started.
    NotStarted(String),
}

/// A kernel run's results before any target: what was built (`info`), where and with what,
/// for `bele kernel` and `bele kernel parse` alike.
pub fn kernel_run(
    run_id: String,
    host: crate::model::Host,
    rustc: String,
    info: crate::model::KernelInfo,
    (timeout_secs, jobs): (u64, usize),
) -> crate::model::RunResults {
    use crate::model::*;
    RunResults {
        schema_version: SCHEMA_VERSION,
        run_id,
        started_at_ms: crate::util::time::now_ms(),
        duration_ms: 0,
        state: RunState::InProgress,
        host,
        toolchain: Toolchain {
            rustc,
            cargo: String::new(),
            sysroot: std::path::PathBuf::new(),
        },
        workspace: WorkspaceInfo {
            manifest_path: info.tree.join("Makefile"),
            commit: None,
            packages: Vec::new(),
            features: Vec::new(),
            all_features: false,
            no_default_features: false,
        },
        config: RunConfigInfo {
            seed: 0,
            timeout_secs,
            jobs,
            test_threads: 1,
            probes: false,
            kinds: Default::default(),
            profile: None,
            filter: Default::default(),
            kernel: Some(info),
            strict: false,
            retries: 0,
        },
        targets: Vec::new(),
        probe_sequences: Default::default(),
        probe_checks: Vec::new(),
        emulator_checks: Vec::new(),
        dependency_controls: Vec::new(),
    }
}

/// The name of the pseudo executable that carries what no suite reported.
pub const KERNEL: &str = "(kernel)";

/// How many console lines a crash or hang keeps.
const TAIL: usize = 40;

/// The results of one boot: a `BinaryResult` per suite that reported (or was cut off), and
/// one named [`KERNEL`] with an error when the kernel printed no KTAP, or stopped before
/// every suite reported.
pub fn binaries(
    console: &Console,
    lines: &[String],
    end: &BootEnd,
    image: &Path,
    tree: &Path,
) -> Vec<BinaryResult> {
    let binary = |id: &str, tests: Vec<TestResult>, error: Option<String>| BinaryResult {
        id: id.to_string(),
        executable: image.to_path_buf(),
        cwd: tree.to_path_buf(),
        error,
        doc: None,
        started_ms: 0,
        duration_ms: 0,
        tests,
        probe_problems: Vec::new(),
        unattributed_records: 0,
    };
    let tail = || lines[lines.len().saturating_sub(TAIL)..].join("\n");
    let mut out = Vec::new();
    for suite in &console.suites {
        let mut tests = Vec::new();
        for t in &suite.children {
            leaves(t, "", &mut tests);
        }
        let mut error = None;
        if suite.status.is_none() {
            if let Some(u) = console
                .unfinished
                .as_ref()
                .filter(|u| u.suite == suite.name)
            {
                let name = match (&u.test, &u.case) {
                    (Some(test), _) => test.clone(),
                    (None, Some((test, cases))) => format!("{test}/{}", placeholder(cases + 1)),
                    (None, None) => placeholder(u.position + 1),
                };
                let output = u.output.join("\n");
                let (outcome, what) = match end {
                    BootEnd::Interrupted => (
                        Outcome::NotRun,
                        "the run was interrupted during this test".to_string(),
                    ),
                    BootEnd::TimedOut { secs } if !crashed(&u.output) => (
                        Outcome::TimedOut,
                        format!("the kernel hung for {secs}s during this test"),
                    ),
                    _ => (
                        Outcome::Crashed,
                        "the kernel died during this test".to_string(),
                    ),
                };
                let mut r = TestResult::new(name, outcome, 0)
                    .with_output(format!("{what}\n{output}\n{}", tail()));
                if outcome == Outcome::Crashed {
                    r.signal = Some(crash_kind(&u.output));
                }
                r.location.clone_from(&u.location);
                tests.push(r);
            }
            let left = suite
                .planned
                .map(|p| p.saturating_sub(tests.len()))
                .unwrap_or(0);
            if left > 0 {
                error = Some(format!(
                    "{left} more tests of this suite never ran: the kernel stopped during it"
                ));
            }
        }
        for t in &mut tests {
            t.key = t.location.as_deref().and_then(|l| example_key(tree, l));
        }
        number_twins(&mut tests);
        out.push(binary(&suite.name, tests, error));
    }
    let missing_suites = console
        .planned
        .map_or(0, |p| p.saturating_sub(console.suites.len()));
    let error = match end {
        BootEnd::NotStarted(why) => Some(format!("the emulator could not start: {why}")),
        _ if !console.started => Some(format!(
            "the kernel printed no KTAP ({}); its console ended:\n{}",
            match end {
                BootEnd::TimedOut { secs } => format!("it ran for {secs}s and was killed"),
                BootEnd::Interrupted => "the run was interrupted".to_string(),
                _ => "it stopped before KUnit ran".to_string(),
            },
            tail()
        )),
        _ if missing_suites > 0 => Some(format!(
            "{missing_suites} of {} suites never reported: the kernel stopped; its console ended:\n{}",
            console.planned.unwrap_or_default(),
            tail()
        )),
        _ => None,
    };
    if error.is_some() {
        out.push(binary(KERNEL, Vec::new(), error));
    }
    out
}

/// The name of the `n`th test (or case) of a suite, when the console cut it off before it
/// said its name: `(test 3)`; [`name_cut_tests`] puts the real one in its place.
fn placeholder(n: usize) -> String {
    format!("(test {n})")
}

/// `(test 3)`'s `3`.
fn placeholder_place(name: &str) -> Option<usize> {
    name.strip_prefix("(test ")?.strip_suffix(')')?.parse().ok()
}

/// Gives each test a kernel cut off before its result (`(test N)`, not a parameterised
/// case) the name the same kernel listed at that place of its suite (`kunit.action=list`),
/// when the tests before it agree with the listing.
pub fn name_from_listing(binaries: &mut [BinaryResult], listed: &[(String, String)]) {
    for b in binaries {
        let theirs: Vec<&str> = (listed.iter())
            .filter(|(suite, _)| *suite == b.id)
            .map(|(_, t)| t.as_str())
            .collect();
        let names: Vec<String> = b.tests.iter().map(|r| r.name.clone()).collect();
        for (i, r) in b.tests.iter_mut().enumerate() {
            let Some(place) = placeholder_place(&r.name) else {
                continue;
            };
            let before: Vec<&str> = names[..i]
                .iter()
                .map(|n| n.split('/').next().unwrap_or(n))
                .fold(Vec::new(), |mut v, n| {
                    if v.last() != Some(&n) {
                        v.push(n);
                    }
                    v
                });
            let agrees = theirs.len() >= place
                && before.len() == place - 1
                && theirs[..place - 1] == before[..];
            if !agrees {
                continue;
            }
            let name = theirs[place - 1].to_string();
            let note = format!(
                "named by its place in the suite: it was test {place}, which this kernel lists \
                 as `{name}`"
            );
            r.output = Some(match r.output.take() {
                Some(o) => format!("{note}\n{o}"),
                None => note,
            });
            r.name = name;
        }
    }
}

/// Gives each test a kernel cut off before its result its real name, from another kernel
/// that ran the same suite further: the test at the same place, where every test before it
/// has the same name in both (an architecture-gated test would shift the places). A
/// parameterised test's case is named among that test's cases. What cannot be named keeps
/// its place as its name.
pub fn name_cut_tests(targets: &mut [crate::model::TargetResult]) {
    // Per target, per suite: the names in the order they ran.
    let order: Vec<Vec<(String, Vec<String>)>> = (targets.iter())
        .map(|t| {
            (t.binaries.iter())
                .map(|b| {
                    (
                        b.id.clone(),
                        b.tests.iter().map(|r| r.name.clone()).collect(),
                    )
                })
                .collect()
        })
        .collect();
    for (i, t) in targets.iter_mut().enumerate() {
        for b in &mut t.binaries {
            let names: Vec<String> = b.tests.iter().map(|r| r.name.clone()).collect();
            for r in &mut b.tests {
                let (parent, last) = match r.name.rsplit_once('/') {
                    Some((p, l)) => (Some(p.to_string()), l),
                    None => (None, r.name.as_str()),
                };
                let Some(place) = placeholder_place(last) else {
                    continue;
                };
                // Here, what ran before it at its level: the suite's tests, or the cases.
                let level = |all: &[String]| -> Vec<String> {
                    let mut seen: Vec<String> = Vec::new();
                    for n in all {
                        let item = match &parent {
                            Some(p) => n.strip_prefix(&format!("{p}/")).map(String::from),
                            None => Some(n.split('/').next().unwrap_or(n).to_string()),
                        };
                        if let Some(item) = item.filter(|x| !seen.contains(x)) {
                            seen.push(item);
                        }
                    }
                    seen
                };
                let before: Vec<String> = level(&names).into_iter().take(place - 1).collect();
                let found = (order.iter().enumerate())
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, suites)| suites.iter())
                    .filter(|(id, _)| *id == b.id)
                    .find_map(|(_, theirs)| {
                        let theirs = level(theirs);
                        let agrees = theirs.len() >= place && theirs[..place - 1] == before[..];
                        let name = theirs.get(place - 1)?;
                        (agrees && placeholder_place(name).is_none()).then(|| name.clone())
                    });
                if let Some(name) = found {
                    let full = match &parent {
                        Some(p) => format!("{p}/{name}"),
                        None => name,
                    };
                    let note = format!(
                        "named by its place in the suite: it was test {place} where a kernel \
                         that ran on has `{full}` there, after the same tests"
                    );
                    r.output = Some(match r.output.take() {
                        Some(o) => format!("{note}\n{o}"),
                        None => note,
                    });
                    r.name = full;
                }
            }
        }
    }
}

/// Doc-tests whose keys collide (identical examples in one file) get an ordinal, `#2` on,
/// in the order they ran, so each pairs with its own twin across targets.
fn number_twins(tests: &mut [TestResult]) {
    let mut seen: Vec<String> = Vec::new();
    for t in tests.iter_mut() {
        let Some(key) = t.key.clone() else { continue };
        let n = seen.iter().filter(|k| **k == key).count();
        seen.push(key.clone());
        if n > 0 {
            t.key = Some(format!("{key}#{}", n + 1));
        }
    }
}

/// The results of `node` (its cases as `prefix/name` when it has any).
fn leaves(node: &Node, prefix: &str, out: &mut Vec<TestResult>) {
    let name = if prefix.is_empty() {
        node.name.clone()
    } else {
        format!("{prefix}/{}", node.name)
    };
    if !node.children.is_empty() {
        for c in &node.children {
            leaves(c, &name, out);
        }
        return;
    }
    let output = node.output.join("\n");
    let mut r = match &node.status {
        Some(Status::Passed) => TestResult::new(name, Outcome::Passed, 0),
        Some(Status::Skipped(reason)) => {
            TestResult::new(name, Outcome::Ignored, 0).with_output(reason.clone())
        }
        Some(Status::Failed) if timed_out(&node.output) => {
            TestResult::new(name, Outcome::TimedOut, 0).with_output(output)
        }
        Some(Status::Failed) if crashed(&node.output) => TestResult {
            signal: Some(crash_kind(&node.output)),
            ..TestResult::new(name, Outcome::Crashed, 0).with_output(output)
        },
        Some(Status::Failed) => TestResult::new(name, Outcome::Failed, 0).with_output(output),
        None => TestResult::not_run(name, "no result: the kernel moved on without one"),
    };
    r.location = node.location.clone();
    out.push(r);
}

/// A doc-test's identity across commits: its file and the digest of its example's text,
/// read from the tree at `location` (`file:line` of the opening fence). `None` when the
/// location is not such a fence.
pub fn example_key(tree: &Path, location: &str) -> Option<String> {
    let (file, line) = location.rsplit_once(':')?;
    let line: usize = line.parse().ok()?;
    let text = std::fs::read_to_string(tree.join(file)).ok()?;
    let body = example_at(&text, line)?;
    Some(format!(
        "{file}#{:016x}",
        bele_probe::digest(body.as_bytes())
    ))
}

/// The lines of the fenced example whose opening fence is line `line` (1-based) of `text`,
/// without the doc-comment markers.
fn example_at(text: &str, line: usize) -> Option<String> {
    let strip = |l: &str| {
        let t = l.trim_start();
        t.strip_prefix("///")
            .or_else(|| t.strip_prefix("//!"))
            .map(|r| r.strip_prefix(' ').unwrap_or(r).to_string())
    };
    let mut lines = text.lines().skip(line.checked_sub(1)?);
    if !strip(lines.next()?)?.starts_with("```") {
        return None;
    }
    let mut body = Vec::new();
    for l in lines {
        let l = strip(l)?;
        if l.starts_with("```") {
            return Some(body.join("\n"));
        }
        body.push(l);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ktap::parse;

    fn run(console: &str, end: BootEnd) -> Vec<BinaryResult> {
        let lines: Vec<String> = console.lines().map(String::from).collect();
        binaries(
            &parse(console),
            &lines,
            &end,
            Path::new("/k/bzImage"),
            Path::new("/src"),
        )
    }

    fn outcomes(b: &BinaryResult) -> Vec<(&str, Outcome)> {
        b.tests
            .iter()
            .map(|t| (t.name.as_str(), t.outcome))
            .collect()
    }

    #[test]
    fn a_real_console_gives_a_binary_per_suite() {
        let console = include_str!("../../tests/captured/kernel-s390x-console.txt");
        let b = run(console, BootEnd::Exited);
        assert!(
            b.iter().all(|b| b.error.is_none() && b.id != KERNEL),
            "{:?}",
            b.iter().map(|b| &b.error).collect::<Vec<_>>()
        );
        let doc = b.iter().find(|b| b.id == "rust_doctests_kernel").unwrap();
        assert!(doc.tests.len() > 100, "{}", doc.tests.len());
        assert!(doc.tests.iter().all(|t| t.outcome == Outcome::Passed));
        assert!(doc.tests.iter().all(|t| t.location.is_some()));
    }

    /// A KASAN kernel's report (s390x, a test planted to read past its buffer; the kernel
    /// lives on and KUnit fails the test) is that test crashed, named by the report.
    #[test]
    fn a_kasan_report_is_its_tests_crash() {
        let console = include_str!("../../tests/captured/kernel-s390x-kasan-console.txt");
        let b = run(console, BootEnd::Exited);
        let suite = b.iter().find(|b| b.id == "rust_kernel_kunit").unwrap();
        assert_eq!(
            outcomes(suite),
            [
                ("rust_test_kunit_example_test", Outcome::Passed),
                ("rust_test_kunit_in_kunit_test", Outcome::Passed),
                ("rust_test_kunit_planted_overread", Outcome::Crashed),
                ("rust_test_kunit_always_disabled_test", Outcome::Ignored),
            ]
        );
        let t = &suite.tests[2];
        assert_eq!(
            t.signal,
            Some(crate::model::Ended::Other(
                "KASAN: slab-out-of-bounds".into()
            ))
        );
        assert!(
            (t.output.as_deref().unwrap()).contains("Read of size 4 at addr"),
            "{t:?}"
        );
    }

    #[test]
    fn an_oops_in_a_test_is_a_crash_and_the_rest_report() {
        let console = "\
KTAP version 1
1..2
    KTAP version 1
    # Subtest: s
    1..2
    # a.location: rust/kernel/x.rs:5
rust_kernel: panicked at rust/kernel/x.rs:9:5:
attempt to divide by zero
kernel BUG at rust/helpers/bug.c:7!
    # a: try faulted: last line seen rust/kernel/x.rs:8
    not ok 1 a
    ok 2 b
not ok 1 s
    KTAP version 1
    # Subtest: t
    1..1
    ok 1 c
ok 2 t
";
        let b = run(console, BootEnd::Exited);
        assert_eq!(b.len(), 2);
        assert_eq!(
            outcomes(&b[0]),
            [("a", Outcome::Crashed), ("b", Outcome::Passed)]
        );
        assert!(b[0].tests[0]
            .output
            .as_deref()
            .unwrap()
            .contains("panicked at rust/kernel/x.rs:9:5"));
        assert_eq!(outcomes(&b[1]), [("c", Outcome::Passed)]);
    }

    /// A Rust panic is a BUG, which UML cannot survive: its console ends inside the
    /// doc-test that printed its `.location` as it started (seen on Linux 7.2.13). That
    /// test is the crashed one, with its location, so `diff` and the e2e find it by place.
    #[test]
    fn a_doc_test_the_kernel_died_in_keeps_its_location() {
        let console = "\
KTAP version 1
1..2
    KTAP version 1
    # Subtest: rust_doctests_kernel
    1..3
    # rust_doctest_kernel_x_rs_0.location: rust/kernel/x.rs:5
    ok 1 rust_doctest_kernel_x_rs_0
    # rust_doctest_kernel_x_rs_1.location: rust/kernel/x.rs:9
rust_kernel: panicked at rust/doctests_kernel_generated.rs:20525:11:
bele e2e: a planted panic
BUG: failure at rust/helpers/bug.c:7/rust_helper_BUG()!
Kernel panic - not syncing: BUG!
";
        let b = run(console, BootEnd::Exited);
        let t = &b[0].tests;
        assert_eq!(
            (t.iter())
                .map(|t| (t.name.as_str(), t.outcome, t.location.as_deref()))
                .collect::<Vec<_>>(),
            [
                (
                    "rust_doctest_kernel_x_rs_0",
                    Outcome::Passed,
                    Some("rust/kernel/x.rs:5")
                ),
                (
                    "rust_doctest_kernel_x_rs_1",
                    Outcome::Crashed,
                    Some("rust/kernel/x.rs:9")
                ),
            ]
        );
        assert!(
            b[0].error.as_deref().unwrap().contains("1 more tests"),
            "{:?}",
            b[0].error
        );
    }

    /// KUnit prints an ordinary test's attributes after it ran: the test a kernel died in
    /// is known by its place, then named from a kernel that ran the suite further.
    #[test]
    fn a_kernel_that_dies_mid_suite_blames_the_running_test_and_says_what_never_ran() {
        let console = "\
KTAP version 1
1..3
    KTAP version 1
    # Subtest: s
    1..3
    # a.speed: normal
    ok 1 a
Kernel panic - not syncing: Fatal exception
";
        let b = run(console, BootEnd::Exited);
        assert_eq!(
            outcomes(&b[0]),
            [("a", Outcome::Passed), ("(test 2)", Outcome::Crashed)]
        );
        // Named from another kernel that ran the suite, where the tests before agree.
        let full = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..3\n    \
                    ok 1 a\n    ok 2 b\n    ok 3 c\nok 1 s\n";
        let table = bele_targets::Table::builtin();
        let target = |triple: &str, binaries: Vec<BinaryResult>| {
            let mut t = crate::model::TargetResult::new(
                table.get(triple).unwrap(),
                crate::model::RunnerName::Native,
                vec![],
            );
            t.binaries = binaries;
            t
        };
        let mut targets = vec![
            target("s390x-unknown-linux-gnu", b.clone()),
            target("x86_64-unknown-linux-gnu", run(full, BootEnd::Exited)),
        ];
        name_cut_tests(&mut targets);
        let named = &targets[0].binaries[0].tests[1];
        assert_eq!(
            (named.name.as_str(), named.outcome),
            ("b", Outcome::Crashed)
        );
        assert!(
            named
                .output
                .as_deref()
                .unwrap()
                .starts_with("named by its place in the suite"),
            "{named:?}"
        );
        // Where the tests before it differ (an architecture-gated test), it keeps its place.
        let mut targets = vec![
            target("s390x-unknown-linux-gnu", b.clone()),
            target(
                "x86_64-unknown-linux-gnu",
                run(&full.replace("ok 1 a", "ok 1 only_x86"), BootEnd::Exited),
            ),
        ];
        name_cut_tests(&mut targets);
        assert_eq!(targets[0].binaries[0].tests[1].name, "(test 2)");
        assert!(
            b[0].error.as_deref().unwrap().contains("1 more tests"),
            "{:?}",
            b[0].error
        );
        let k = b.iter().find(|b| b.id == KERNEL).unwrap();
        assert!(
            k.error
                .as_deref()
                .unwrap()
                .starts_with("2 of 3 suites never reported"),
            "{:?}",
            k.error
        );
        // The same console cut by the timeout, with no crash in it: a hang.
        let hung = console.replace("Kernel panic - not syncing: Fatal exception\n", "");
        let b = run(&hung, BootEnd::TimedOut { secs: 60 });
        assert_eq!(
            outcomes(&b[0]),
            [("a", Outcome::Passed), ("(test 2)", Outcome::TimedOut)]
        );
        // Interrupted by the user: the running test was not run, not blamed.
        let b = run(&hung, BootEnd::Interrupted);
        assert_eq!(
            outcomes(&b[0]),
            [("a", Outcome::Passed), ("(test 2)", Outcome::NotRun)]
        );
    }

    #[test]
    fn a_kernel_that_never_reaches_kunit_is_an_error_with_its_last_lines() {
        let b = run(
            "Linux version 7.2\nVFS: Unable to mount root fs\n",
            BootEnd::Exited,
        );
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].id, KERNEL);
        assert!(
            b[0].error
                .as_deref()
                .unwrap()
                .contains("Unable to mount root fs"),
            "{:?}",
            b[0].error
        );
    }

    /// A kernel that died in a parameterised test's case: that case is blamed, named from
    /// a kernel that ran all the cases.
    #[test]
    fn a_crash_in_a_parameterised_case_is_that_cases() {
        let cut = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..1\n        \
                   KTAP version 1\n        # Subtest: p\n        ok 1 one\nKernel panic - not syncing: x\n";
        let b = run(cut, BootEnd::Exited);
        assert_eq!(
            outcomes(&b[0]),
            [("p/one", Outcome::Passed), ("p/(test 2)", Outcome::Crashed)]
        );
        let full = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..1\n        \
                    KTAP version 1\n        # Subtest: p\n        ok 1 one\n        ok 2 two\n    ok 1 p\nok 1 s\n";
        let table = bele_targets::Table::builtin();
        let mut targets: Vec<crate::model::TargetResult> = [
            ("s390x-unknown-linux-gnu", cut),
            ("x86_64-unknown-linux-gnu", full),
        ]
        .iter()
        .map(|(triple, console)| {
            let mut t = crate::model::TargetResult::new(
                table.get(triple).unwrap(),
                crate::model::RunnerName::Native,
                vec![],
            );
            t.binaries = run(console, BootEnd::Exited);
            t
        })
        .collect();
        name_cut_tests(&mut targets);
        assert_eq!(targets[0].binaries[0].tests[1].name, "p/two");
    }

    /// Identical examples in one file: each its own key, by the order they ran.
    #[test]
    fn twin_doc_tests_get_ordinals() {
        let mut tests = vec![
            TestResult::new("a", Outcome::Passed, 0),
            TestResult::new("b", Outcome::Passed, 0),
            TestResult::new("c", Outcome::Passed, 0),
        ];
        tests[0].key = Some("rust/kernel/a.rs#00ff".into());
        tests[1].key = Some("rust/kernel/a.rs#00ff".into());
        number_twins(&mut tests);
        let keys: Vec<Option<&str>> = tests.iter().map(|t| t.key.as_deref()).collect();
        assert_eq!(
            keys,
            [
                Some("rust/kernel/a.rs#00ff"),
                Some("rust/kernel/a.rs#00ff#2"),
                None
            ]
        );
    }

    #[test]
    fn parameterised_cases_are_tests_of_their_own() {
        let console = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..1\n        KTAP version 1\n        # Subtest: p\n        ok 1 one\n        # SKIP-free\n        not ok 2 two\n    not ok 1 p\nnot ok 1 s\n";
        let b = run(console, BootEnd::Exited);
        assert_eq!(
            outcomes(&b[0]),
            [("p/one", Outcome::Passed), ("p/two", Outcome::Failed)]
        );
    }

    #[test]
    fn a_doc_tests_key_follows_its_example_not_its_line() {
        let file = "//! Crate.\n\n/// Reads.\n///\n/// ```\n/// let v = 1;\n/// assert_eq!(v, 1);\n/// ```\npub fn f() {}\n";
        assert_eq!(
            example_at(file, 5).as_deref(),
            Some("let v = 1;\nassert_eq!(v, 1);")
        );
        assert_eq!(example_at(file, 4), None, "not a fence");
        assert_eq!(example_at(file, 99), None);
        let dir = std::env::temp_dir().join(format!("bele-example-key-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("rust")).unwrap();
        std::fs::write(dir.join("rust/a.rs"), file).unwrap();
        let before = example_key(&dir, "rust/a.rs:5").unwrap();
        assert!(before.starts_with("rust/a.rs#"), "{before}");
        // Lines added above move the example, not its key.
        std::fs::write(dir.join("rust/a.rs"), format!("// one\n// two\n{file}")).unwrap();
        assert_eq!(
            example_key(&dir, "rust/a.rs:7").as_deref(),
            Some(before.as_str())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A cut-off test takes the name the kernel listed at its place, when the tests before
    /// it agree with the listing; otherwise it keeps its place.
    #[test]
    fn a_cut_off_test_is_named_from_the_kernels_listing() {
        let listed: Vec<(String, String)> = [("s", "a"), ("s", "b"), ("s", "c"), ("u", "z")]
            .map(|(x, y)| (x.to_string(), y.to_string()))
            .to_vec();
        let suite = |tests: &[&str]| BinaryResult {
            id: "s".into(),
            executable: "/k".into(),
            cwd: "/t".into(),
            error: None,
            doc: None,
            started_ms: 0,
            duration_ms: 0,
            tests: tests
                .iter()
                .map(|n| TestResult::new(*n, Outcome::Passed, 0))
                .collect(),
            probe_problems: Vec::new(),
            unattributed_records: 0,
        };
        let mut bins = vec![suite(&["a", "(test 2)"])];
        name_from_listing(&mut bins, &listed);
        assert_eq!(bins[0].tests[1].name, "b");
        assert!(bins[0].tests[1]
            .output
            .as_deref()
            .unwrap()
            .contains("which this kernel lists as `b`"));
        // The tests before it do not agree: it keeps its place.
        let mut bins = vec![suite(&["x", "(test 2)"])];
        name_from_listing(&mut bins, &listed);
        assert_eq!(bins[0].tests[1].name, "(test 2)");
    }
}
