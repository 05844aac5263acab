//! The kernel's console as KUnit leaves it: KTAP (suites, tests, parameterised subtests,
//! their diagnostics and `.location` attributes) among the kernel's own log lines. Text in,
//! data out; tested on captured consoles. A test whose result never came (the kernel died or
//! hung while it ran) is known by its place in its suite (KUnit prints an ordinary test's
//! attributes after it ran), or by name when it printed its `.location` as it started (a
//! doc-test).

use crate::model::Ended;

/// How one KTAP test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    /// Skipped, with the reason after `# SKIP`.
    Skipped(String),
}

/// One test (or suite, or parameterised case) and what the console said while it ran.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    pub name: String,
    pub status: Option<Status>,
    /// Diagnostic lines (`# ...`) and kernel log lines between the previous result at this
    /// level and this one's.
    pub output: Vec<String>,
    /// `file:line` from the `# <name>.location:` attribute (doc-tests have one).
    pub location: Option<String>,
    /// Subtests: a suite's tests, a test's parameterised cases.
    pub children: Vec<Node>,
    /// The plan (`1..N`) of the children, when given.
    pub planned: Option<usize>,
}

/// A whole console: the top-level plan and suites, whether KTAP started at all, and which
/// test was running when the console ended without its result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Console {
    pub started: bool,
    /// The top-level plan: how many suites will report.
    pub planned: Option<usize>,
    pub suites: Vec<Node>,
    /// `(suite, test)` that had started (its attributes were printed) and has no result,
    /// with what it printed, when the console ended inside a suite.
    pub unfinished: Option<Unfinished>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub suite: String,
    /// The test known to be running: one whose attribute lines came before its result
    /// (a doc-test prints its `.location` as it starts). KUnit prints an ordinary test's
    /// attributes after it ran, so for those this is `None` and `position` says which.
    pub test: Option<String>,
    /// The running test's `file:line`, when it printed its `.location` (a doc-test).
    pub location: Option<String>,
    /// How many of the suite's tests had reported: the one running was the next.
    pub position: usize,
    /// When the console ended inside a parameterised test: its name and how many of its
    /// cases had reported (the one running was the next).
    pub case: Option<(String, usize)>,
    /// What the console said since the last result (the oops, the panic).
    pub output: Vec<String>,
}

/// An open level of the KTAP tree while parsing.
#[derive(Debug, Default)]
struct Level {
    indent: usize,
    node: Node,
    /// Lines since the last result at this level.
    pending: Vec<String>,
    /// Attributes seen for tests not reported yet: name -> location.
    locations: Vec<(String, String)>,
    /// The last test whose attributes were printed (it is running).
    running: Option<String>,
}

/// Parses a console. Never fails: what is not KTAP is kernel output, kept with the test it
/// came during.
pub fn parse(console: &str) -> Console {
    let mut out = Console::default();
    let mut stack: Vec<Level> = Vec::new();
    for raw in console.lines() {
        let line = strip_timestamp(raw.trim_end_matches('\r'));
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with("KTAP version ") || trimmed.starts_with("TAP version ") {
            out.started = true;
            // A new level opens at this indent, under the deepest one with less.
            while stack.last().is_some_and(|l| l.indent > indent) {
                close_unreported(&mut stack);
            }
            if stack.last().is_some_and(|l| l.indent == indent) && !stack.is_empty() {
                // A second top-level KTAP header (another boot stage): keep going.
                if stack.len() == 1 {
                    continue;
                }
                close_unreported(&mut stack);
            }
            stack.push(Level {
                indent,
                ..Level::default()
            });
            continue;
        }
        let Some(level) = stack.last_mut() else {
            continue;
        };
        if let Some(name) = trimmed.strip_prefix("# Subtest: ") {
            level.node.name = name.trim().to_string();
            continue;
        }
        if let Some(n) = trimmed
            .strip_prefix("1..")
            .and_then(|n| n.trim().parse().ok())
        {
            level.node.planned = Some(n);
            if stack.len() == 1 {
                out.planned = Some(n);
            }
            continue;
        }
        if let Some(result) = parse_result(trimmed) {
            // A result at a shallower indent than the deepest level closes that level: it is
            // the result of the test whose subtests it held.
            let mut closed: Option<Node> = None;
            while stack.len() > 1 && stack.last().is_some_and(|l| l.indent > indent) {
                let l = stack.pop().unwrap_or_default();
                closed = Some(finish_level(l));
            }
            let Some(level) = stack.last_mut() else {
                continue;
            };
            let mut node = closed.unwrap_or_default();
            node.name = result.name.clone();
            node.status = Some(result.status);
            let mut output = std::mem::take(&mut level.pending);
            output.append(&mut node.output);
            node.output = output;
            if let Some(i) = level.locations.iter().position(|(n, _)| *n == node.name) {
                node.location = Some(level.locations.remove(i).1);
            }
            if level.running.as_deref() == Some(node.name.as_str()) {
                level.running = None;
            }
            level.node.children.push(node);
            continue;
        }
        if let Some((name, location)) = attribute(trimmed, "location") {
            level
                .locations
                .push((name.to_string(), location.to_string()));
            level.running = Some(name.to_string());
            continue;
        }
        if let Some((name, _)) = attribute_any(trimmed) {
            level.running = Some(name.to_string());
            continue;
        }
        level.pending.push(trimmed.to_string());
    }
    // The console ended: the top level's suites are what reported; a suite still open was
    // cut off while a test of it ran (in a parameterised test, a case of it).
    let case = (stack.len() > 2)
        .then(|| &stack[2])
        .filter(|l| !l.node.name.is_empty())
        .map(|l| (l.node.name.clone(), l.node.children.len()));
    let mut inner_output = Vec::new();
    while stack.len() > 2 {
        if let Some(l) = stack.last() {
            inner_output.splice(0..0, l.pending.iter().cloned());
        }
        close_unreported(&mut stack);
    }
    if stack.len() == 2 {
        let suite = stack.pop().unwrap_or_default();
        let running = suite.running.clone().filter(|_| case.is_none());
        let location = (suite.locations.iter())
            .find(|(n, _)| Some(n) == running.as_ref())
            .map(|(_, l)| l.clone());
        let mut output = suite.pending.clone();
        output.extend(inner_output);
        // The parameterised test is among the suite's children now, unreported.
        let position = suite.node.children.len() - usize::from(case.is_some());
        let mut node = finish_level(suite);
        node.status = None;
        out.unfinished = Some(Unfinished {
            suite: node.name.clone(),
            test: running,
            location,
            position,
            case,
            output,
        });
        if let Some(top) = stack.last_mut() {
            top.node.children.push(node);
        }
    }
    if let Some(top) = stack.pop() {
        out.suites = top.node.children;
    }
    out
}

/// Closes the deepest level, which never got its result line (the console moved on): its
/// node joins its parent's children with no status.
fn close_unreported(stack: &mut Vec<Level>) {
    if let Some(l) = stack.pop() {
        let node = finish_level(l);
        if let Some(parent) = stack.last_mut() {
            parent.node.children.push(node);
        }
    }
}

fn finish_level(mut l: Level) -> Node {
    l.node.output.append(&mut l.pending);
    l.node
}

struct KtapResult {
    name: String,
    status: Status,
}

/// `ok 3 name`, `not ok 2 name # diagnostic`, `ok 1 name # SKIP reason`.
fn parse_result(line: &str) -> Option<KtapResult> {
    let (ok, rest) = if let Some(r) = line.strip_prefix("not ok ") {
        (false, r)
    } else if let Some(r) = line.strip_prefix("ok ") {
        (true, r)
    } else {
        return None;
    };
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if digits == 0 {
        return None;
    }
    let rest = rest[digits..].trim_start();
    let rest = rest.strip_prefix("- ").unwrap_or(rest);
    let (name, directive) = match rest.split_once(" # ") {
        Some((n, d)) => (n, Some(d)),
        None => (rest.strip_suffix(" #").unwrap_or(rest), None),
    };
    let skip = directive.and_then(|d| {
        let d = d.trim_start();
        d.strip_prefix("SKIP").map(|r| r.trim().to_string())
    });
    let status = match (ok, skip) {
        (_, Some(reason)) => Status::Skipped(reason),
        (true, None) => Status::Passed,
        (false, None) => Status::Failed,
    };
    Some(KtapResult {
        name: name.trim().to_string(),
        status,
    })
}

/// `# <name>.<key>: <value>`: a test attribute KUnit prints as the test starts.
fn attribute<'l>(line: &'l str, key: &str) -> Option<(&'l str, &'l str)> {
    let rest = line.strip_prefix("# ")?;
    let (head, value) = rest.split_once(": ")?;
    let name = head.strip_suffix(key)?.strip_suffix('.')?;
    (!name.contains(' ')).then_some((name, value.trim()))
}

/// Any of KUnit's test attributes (`speed`, `location`, `module`, `is_init`).
fn attribute_any(line: &str) -> Option<(&str, &str)> {
    ["speed", "module", "is_init", "location"]
        .iter()
        .find_map(|k| attribute(line, k))
}

/// A line without the `[    1.234567] ` printk time stamp a console may carry.
/// The tests a kernel booted with `kunit.action=list` named, as `(suite, test)` in order:
/// after KUnit's `KTAP version 1` line, each `suite.test` line (a suite's own line, with no
/// test, is skipped; kernel log lines have spaces and are skipped too).
pub fn listed_tests(console: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut started = false;
    for raw in console.lines() {
        let line = strip_timestamp(raw.trim_end_matches('\r')).trim();
        if line.starts_with("KTAP version ") {
            started = true;
            continue;
        }
        if !started || line.is_empty() || line.contains(char::is_whitespace) {
            continue;
        }
        if let Some((suite, test)) = line.split_once('.') {
            let name_like = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-:".contains(c))
            };
            if name_like(suite) && !test.is_empty() {
                out.push((suite.to_string(), test.to_string()));
            }
        }
    }
    out
}

fn strip_timestamp(line: &str) -> &str {
    let Some(rest) = line.strip_prefix('[') else {
        return line;
    };
    let Some((stamp, after)) = rest.split_once("] ") else {
        return line;
    };
    if stamp.trim().chars().all(|c| c.is_ascii_digit() || c == '.') && !stamp.trim().is_empty() {
        after
    } else {
        line
    }
}

/// Whether the lines hold the kernel's report of a crash: an oops, a BUG, a Rust panic, or
/// KUnit's word that the test's thread faulted.
pub fn crashed(lines: &[String]) -> bool {
    const MARKS: [&str; 8] = [
        "try faulted",
        "Oops",
        "kernel BUG at",
        "BUG: ",
        "Kernel panic",
        "Unable to handle kernel",
        "panicked at",
        "general protection fault",
    ];
    lines.iter().any(|l| MARKS.iter().any(|m| l.contains(m)))
}

/// How the kernel's report in the lines names the crash: a sanitizer's report by its tool
/// and kind (`KASAN: slab-out-of-bounds`: the kernel lives on, KUnit fails the test), else
/// `kernel crash`.
pub fn crash_kind(lines: &[String]) -> Ended {
    const SANITIZERS: [&str; 4] = ["KASAN", "KFENCE", "KCSAN", "KMSAN"];
    lines
        .iter()
        .find_map(|l| {
            let report = l.split_once("BUG: ")?.1;
            let (tool, rest) = report.split_once(": ")?;
            SANITIZERS.contains(&tool).then(|| {
                let kind = rest.split_whitespace().next().unwrap_or_default();
                Ended::Other(format!("{tool}: {kind}"))
            })
        })
        .unwrap_or(Ended::KernelCrash)
}

/// Whether KUnit killed the test for running too long.
pub fn timed_out(lines: &[String]) -> bool {
    lines
        .iter()
        .any(|l| l.contains("try timed out") || l.contains("test case timed out"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sanitizer's report names the crash by tool and kind (captured from a KASAN kernel
    /// on um); an oops stays a kernel crash.
    #[test]
    fn a_sanitizer_report_names_the_crash() {
        let kasan: Vec<String> = [
            "==================================================================",
            "BUG: KASAN: slab-out-of-bounds in _RNvNtNtCsbuTvttuFvbr_6kernel5kunit5tests51kunit_rust_wrapper_rust_test_kunit_planted_overread+0x2f6/0x300",
            "Read of size 4 at addr 0000000061cc9147 by task kunit_try_catch/21",
        ]
        .map(String::from)
        .to_vec();
        assert!(crashed(&kasan));
        assert_eq!(
            crash_kind(&kasan),
            Ended::Other("KASAN: slab-out-of-bounds".into())
        );
        let oops = [
            "Unable to handle kernel pointer dereference",
            "BUG: unable to handle page fault",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(crash_kind(&oops), Ended::KernelCrash);
    }

    const S390X: &str = include_str!("../../tests/captured/kernel-s390x-console.txt");

    fn statuses(n: &Node) -> Vec<(&str, Option<&Status>)> {
        n.children
            .iter()
            .map(|c| (c.name.as_str(), c.status.as_ref()))
            .collect()
    }

    #[test]
    fn a_real_s390x_console_gives_every_suite_and_test() {
        let c = parse(S390X);
        assert!(c.started);
        assert_eq!(c.planned, Some(c.suites.len()));
        assert!(c.unfinished.is_none());
        let names: Vec<&str> = c.suites.iter().map(|s| s.name.as_str()).collect();
        assert!(names.contains(&"rust_doctests_kernel"), "{names:?}");
        for s in &c.suites {
            assert_eq!(s.status, Some(Status::Passed), "{}", s.name);
            assert_eq!(s.planned, Some(s.children.len()), "{}", s.name);
            assert!(!s.children.is_empty(), "{}", s.name);
        }
        let doc = c
            .suites
            .iter()
            .find(|s| s.name == "rust_doctests_kernel")
            .unwrap();
        let xa = doc
            .children
            .iter()
            .find(|t| t.name == "rust_doctest_kernel_xarray_rs_0")
            .unwrap();
        assert_eq!(xa.location.as_deref(), Some("rust/kernel/xarray.rs:34"));
        // What a doc-test printed stays with it.
        let wq = doc
            .children
            .iter()
            .find(|t| t.name == "rust_doctest_kernel_workqueue_rs_5")
            .unwrap();
        assert!(
            wq.output
                .iter()
                .any(|l| l.contains("The second value is: 42")),
            "{wq:?}"
        );
    }

    #[test]
    fn failures_skips_and_their_diagnostics() {
        let console = "\
boot noise
[    0.5] KTAP version 1
[    0.5] 1..1
    KTAP version 1
    # Subtest: demo
    1..3
    # a.location: rust/kernel/demo.rs:7
    # a: ASSERTION FAILED at rust/kernel/demo.rs:9
    Expected 0x0403_0201 == u32::from_ne_bytes(b), but
    not ok 1 a
    ok 2 b # SKIP needs hardware
    ok 3 c
# demo: pass:1 fail:1 skip:1 total:3
not ok 1 demo
";
        let c = parse(console);
        assert_eq!(c.suites.len(), 1);
        let demo = &c.suites[0];
        assert_eq!(demo.status, Some(Status::Failed));
        assert_eq!(
            statuses(demo),
            [
                ("a", Some(&Status::Failed)),
                ("b", Some(&Status::Skipped("needs hardware".into()))),
                ("c", Some(&Status::Passed))
            ]
        );
        let a = &demo.children[0];
        assert_eq!(a.location.as_deref(), Some("rust/kernel/demo.rs:7"));
        assert!(a.output[0].contains("ASSERTION FAILED"), "{a:?}");
        assert!(!crashed(&a.output));
    }

    #[test]
    fn parameterised_cases_are_children_of_their_test() {
        let console = "\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: s
    1..2
        KTAP version 1
        # Subtest: p
        ok 1 one
        not ok 2 two
    not ok 1 p
    ok 2 q
not ok 1 s
";
        let c = parse(console);
        let s = &c.suites[0];
        assert_eq!(
            statuses(s),
            [("p", Some(&Status::Failed)), ("q", Some(&Status::Passed))]
        );
        assert_eq!(
            statuses(&s.children[0]),
            [
                ("one", Some(&Status::Passed)),
                ("two", Some(&Status::Failed))
            ]
        );
    }

    /// KUnit prints an ordinary test's attributes after it ran, just before its result: a
    /// console cut off inside the next test names no test, only its place in the suite. A
    /// doc-test prints its `.location` as it starts: that one is named.
    #[test]
    fn a_console_cut_off_mid_test_gives_the_running_tests_place() {
        let console = "\
KTAP version 1
1..2
    KTAP version 1
    # Subtest: s
    # speed: normal
    1..3
    # t1.speed: normal
    ok 1 t1
rust_kernel: panicked at rust/kernel/x.rs:3:5:
Kernel panic - not syncing: oops
";
        let c = parse(console);
        assert_eq!(c.planned, Some(2));
        assert_eq!(c.suites.len(), 1);
        assert_eq!(c.suites[0].status, None);
        assert_eq!(statuses(&c.suites[0]), [("t1", Some(&Status::Passed))]);
        let u = c.unfinished.unwrap();
        assert_eq!(
            (u.suite.as_str(), u.test.as_deref(), u.position),
            ("s", None, 1)
        );
        assert!(crashed(&u.output), "{u:?}");
        // A doc-test that had printed its location.
        let doc = console.replace(
            "rust_kernel: panicked",
            "    # rust_doctest_kernel_x_rs_0.location: rust/kernel/x.rs:7\nrust_kernel: panicked",
        );
        let u = parse(&doc).unfinished.unwrap();
        assert_eq!(
            (u.test.as_deref(), u.location.as_deref()),
            (
                Some("rust_doctest_kernel_x_rs_0"),
                Some("rust/kernel/x.rs:7")
            )
        );
        // Inside a parameterised test, after its first case: the second case.
        let param = console.replace(
            "rust_kernel: panicked",
            "        KTAP version 1\n        # Subtest: p\n        ok 1 one\nrust_kernel: panicked",
        );
        let u = parse(&param).unfinished.unwrap();
        assert_eq!(
            (u.test.clone(), u.position, u.case.clone()),
            (None, 1, Some(("p".to_string(), 1)))
        );
        assert!(crashed(&u.output), "{u:?}");
    }

    #[test]
    fn no_ktap_at_all_is_not_started() {
        let c = parse("Linux version 7.2\nKernel panic - not syncing: VFS\n");
        assert!(!c.started && c.suites.is_empty() && c.unfinished.is_none());
    }

    #[test]
    fn result_lines() {
        let r = parse_result("not ok 12 - name with - dash # TIMEOUT").unwrap();
        assert_eq!(
            (r.name.as_str(), r.status),
            ("name with - dash", Status::Failed)
        );
        let r = parse_result("ok 1 x # SKIP").unwrap();
        assert_eq!(r.status, Status::Skipped(String::new()));
        assert!(parse_result("ok").is_none() && parse_result("okay 1 x").is_none());
        assert_eq!(strip_timestamp("[   12.000001] ok 1 x"), "ok 1 x");
        assert_eq!(strip_timestamp("[x] y"), "[x] y");
    }

    proptest::proptest! {
        #[test]
        fn any_console_parses(text in "(?s).{0,400}") {
            let _ = parse(&text);
        }
    }

    /// What a kernel booted with `kunit.action=list` prints (lib/kunit/executor.c): a KTAP
    /// header, each suite's name, then its tests as `suite.test`, among log lines.
    #[test]
    fn the_listed_tests_are_read_in_order() {
        let console = "[    0.5] Run /init as init process\n\
                       [    1.0] KTAP version 1\n\
                       [    1.0] rust_kernel_str\n\
                       [    1.0] rust_kernel_str.test_cstr_to_str\n\
                       [    1.0] rust_kernel_str.test_fmt\n\
                       [    1.1] rust_doctests_kernel\n\
                       [    1.1] rust_doctests_kernel.rust_doctest_kernel_transmute_rs_0\n\
                       [    1.2] clk-gate-test.clk_gate_test_enable\n\
                       [    1.3] reboot: Restarting system\n";
        assert_eq!(
            listed_tests(console),
            [
                ("rust_kernel_str", "test_cstr_to_str"),
                ("rust_kernel_str", "test_fmt"),
                ("rust_doctests_kernel", "rust_doctest_kernel_transmute_rs_0"),
                ("clk-gate-test", "clk_gate_test_enable"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert!(
            listed_tests("rust_kernel_str.test_fmt\n").is_empty(),
            "before KTAP"
        );
    }
}
