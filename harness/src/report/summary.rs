//! The end-of-run summary: a row per target, a test x target matrix of what did not pass
//! everywhere, the failures and the differing probe records grouped by verdict with their
//! output and a repro line, and a closing line that counts everything.

use std::io::{self, Write};

use super::printable;
use super::style::{pad, pad_left, Style};
use crate::analyze::findings::Findings;
use crate::analyze::triage::{failure_label, TestAcross};
use crate::analyze::verdict::Verdict;
use crate::model::{Outcome, ProbeKind, RunResults, StdUsed, TargetStatus};

/// Lines of failure output shown per test in the terminal (the results file has it all).
const OUTPUT_LINES: usize = 8;

pub fn write_summary(out: &mut dyn Write, results: &RunResults, style: Style) -> io::Result<()> {
    let found = Findings::of(results);
    write_target_rows(out, results, style)?;
    write_time_spent(out, results, style)?;
    if let Some(b) = &found.build {
        writeln!(
            out,
            "{}",
            style.red(&format!("{}: {}", b.verdict_label, b.failed.join(", ")))
        )?;
    }
    // Tests ignored everywhere are counted in the rows above; the matrix is for trouble.
    let troubled: Vec<&TestAcross<'_>> =
        found.tests.iter().filter(|t| troubled(&found, t)).collect();
    if !troubled.is_empty() || !found.layouts.is_empty() {
        write_matrix(out, results, &found, &troubled, style)?;
    }
    if !troubled.is_empty() {
        write_failures(out, results, &troubled, style)?;
    }
    write_differences(out, results, &found, style)?;
    write_layouts(out, results, &found, style)?;
    for s in &found.not_compared {
        writeln!(out, "{}", style.yellow(&s.line()))?;
    }
    for a in &found.alone {
        writeln!(out, "{}", style.yellow(&super::alone_line(a)))?;
    }
    for n in &found.probe_notes {
        writeln!(out, "{}", style.yellow(&n.line()))?;
    }
    let failing = found.tests.iter().filter(|t| t.has_failure()).count();
    let mut differing: Vec<(&str, &str)> = found
        .differences
        .iter()
        .map(|d| (d.binary, d.test))
        .collect();
    differing.sort_unstable();
    differing.dedup();
    let ran = results
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Ran)
        .count();
    let clean = found
        .tests
        .iter()
        .filter(|t| t.verdict.passes() && !differing.contains(&(t.binary, t.name)))
        .count();
    // A KASAN run, or one under another QEMU, says so where its answer is.
    let kernel = results.config.kernel.as_ref();
    let mut how: Vec<String> = Vec::new();
    if kernel.is_some_and(|k| k.kasan) {
        how.push("kernels built with KASAN".into());
    }
    if let Some(given) = kernel.and_then(|k| k.qemu.as_deref()) {
        let mut versions: Vec<&str> = (results.targets.iter())
            .filter_map(|t| t.qemu_version.as_deref())
            .collect();
        versions.sort_unstable();
        versions.dedup();
        how.push(format!(
            "booted under QEMU {} from --qemu {given}",
            versions.join(", ")
        ));
    }
    let mut line = format!(
        "{} tests on {ran} of {} targets{}: {failing} failing, ",
        found.tests.len(),
        results.targets.len(),
        if how.is_empty() {
            String::new()
        } else {
            format!(" ({})", how.join("; "))
        },
    );
    if !differing.is_empty() {
        line += &format!("{} with output that differs, ", differing.len());
    }
    line += &format!("{clean} passing everywhere");
    let trouble = found.summary.failing();
    writeln!(
        out,
        "\n{}",
        if trouble {
            style.red(&line)
        } else {
            style.green(&line)
        }
    )?;
    writeln!(out, "{}", found.closing_line())
}

fn write_target_rows(out: &mut dyn Write, results: &RunResults, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{} {} {} {} {} {} {} {} {} {} {}",
            pad("target", 32),
            pad("endian", 6),
            pad("bits", 4),
            pad("std", 9),
            pad_left("build", 7),
            pad_left("passed", 6),
            pad_left("failed", 6),
            pad_left("crashed", 7),
            pad_left("timeout", 7),
            pad_left("ignored", 7),
            pad_left("not-run", 7),
        ))
    )?;
    for t in &results.targets {
        let head = format!(
            "{} {} {} {}",
            pad(&t.triple, 32),
            pad(t.endian.short(), 6),
            pad(&t.pointer_width.to_string(), 4),
            pad(t.std.map_or("-", StdUsed::label), 9)
        );
        match t.status {
            TargetStatus::Ran => {
                let c = t.counts();
                let build = t.build.as_ref().map_or("-".into(), |b| {
                    format!("{:.1}s", b.duration_ms as f64 / 1000.0)
                });
                let num = |n: usize, o: Outcome| {
                    let s = n.to_string();
                    if n > 0 && o != Outcome::Passed {
                        style.outcome(o, &s)
                    } else if n > 0 {
                        style.green(&s)
                    } else {
                        style.dim(&s)
                    }
                };
                writeln!(
                    out,
                    "{head} {} {} {} {} {} {} {}",
                    pad_left(&build, 7),
                    pad_left(&num(c.passed, Outcome::Passed), 6),
                    pad_left(&num(c.failed, Outcome::Failed), 6),
                    pad_left(&num(c.crashed, Outcome::Crashed), 7),
                    pad_left(&num(c.timed_out, Outcome::TimedOut), 7),
                    pad_left(&num(c.ignored, Outcome::Ignored), 7),
                    pad_left(&num(c.not_run, Outcome::NotRun), 7),
                )?;
                for b in t.binaries.iter().filter(|b| b.error.is_some()) {
                    writeln!(
                        out,
                        "    {}: {}",
                        b.id,
                        style.red(b.error.as_deref().unwrap_or_default())
                    )?;
                }
                for note in t.build.iter().flat_map(|b| &b.left_out) {
                    writeln!(out, "    {} {note}", style.yellow("left out:"))?;
                }
            }
            TargetStatus::BuildFailed => {
                writeln!(out, "{head} {}", style.red("build failed"))?;
                if let Some(tail) = t.build.as_ref().and_then(|b| b.log_tail.as_deref()) {
                    for line in first_lines(&error_lines(tail), OUTPUT_LINES) {
                        writeln!(out, "    | {}", printable(line))?;
                    }
                }
            }
            TargetStatus::Unavailable => writeln!(
                out,
                "{head} {} {}",
                style.yellow("unavailable:"),
                t.reason.as_deref().unwrap_or_default()
            )?,
            TargetStatus::Interrupted | TargetStatus::Pending => {
                writeln!(out, "{head} {}", style.yellow("interrupted"))?
            }
        }
    }
    Ok(())
}

/// Per target: std built into the cache, the build, the tests' wall time, the slowest tests.
fn write_time_spent(out: &mut dyn Write, results: &RunResults, style: Style) -> io::Result<()> {
    let spent = crate::analyze::findings::time_spent(results);
    if spent.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n{}",
        style.bold(
            "where time went (std: built into bele's std cache in this run; tests: wall time)"
        )
    )?;
    for t in &spent {
        let slowest: Vec<String> = t
            .slowest
            .iter()
            .map(|(b, n, ms)| format!("{b} {n} {}", super::secs(Some(*ms))))
            .collect();
        writeln!(
            out,
            "{} std {} build {} tests {}{}",
            pad(t.triple, 32),
            pad_left(&super::secs(t.std_ms), 7),
            pad_left(&super::secs(t.build_ms), 7),
            pad_left(&super::secs(t.tests_ms), 7),
            if slowest.is_empty() {
                String::new()
            } else {
                format!("  slowest: {}", slowest.join(", "))
            }
        )?;
    }
    Ok(())
}

/// What a cell says beyond the outcome: where its output or a declared layout differs, or
/// whether its failure is flaky, emulator-dependent or a dependency's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    None,
    OutputDiffers,
    LayoutDiffers,
    EmulatorDependent,
    Flaky,
    DependencyFault,
}

/// Whether test `t` has a row in the matrix: it did not pass everywhere it ran (ignored
/// aside), or its output or a declared layout differs.
pub(super) fn troubled(found: &Findings<'_>, t: &TestAcross<'_>) -> bool {
    (!t.verdict.passes()
        && t.per_target
            .iter()
            .flatten()
            .any(|r| r.outcome != Outcome::Ignored))
        || !found.differences_of(t.binary, t.name).is_empty()
}

/// The symbol of test `t`'s cell on `target` in a tests x targets matrix (`.`, `F`, `D`, `L`,
/// `e`, `f`, `d`, `B`, ...; see [`MATRIX_LEGEND`]), coloured by `style`.
pub(super) fn matrix_cell(
    found: &Findings<'_>,
    t: &TestAcross<'_>,
    r: Option<&crate::model::TestResult>,
    target: &crate::model::TargetResult,
    style: Style,
) -> String {
    let differing = found.differing(&target.triple, t.binary, t.name);
    let mark = match &t.verdict {
        Verdict::EmulatorDependent { .. } => Mark::EmulatorDependent,
        Verdict::Flaky { .. } => Mark::Flaky,
        Verdict::DependencyFault { .. } => Mark::DependencyFault,
        _ if differing.iter().any(|d| d.kind != ProbeKind::Layout) => Mark::OutputDiffers,
        _ if !differing.is_empty() => Mark::LayoutDiffers,
        _ => Mark::None,
    };
    cell(r.map(|r| r.outcome), target.status, mark, style)
}

/// What the matrix's symbols mean.
pub(super) const MATRIX_LEGEND: &str = ". passed  F failed  C crashed  T timed out  D output differs  L layout differs  w layout follows the pointer width  e emulator-dependent  f flaky  d dependency fault (shown by a control)  i ignored  B build failed  U unavailable  - not run";

/// The cell of a `#[repr]` type's layout row on `target`: `L` where it differs and that fails
/// the run, `w` where it differs by the pointer width, `.` where it agrees with the
/// reference, `-` where it was not laid out.
pub(super) fn layout_cell(
    l: &crate::analyze::layouts::LayoutFinding<'_>,
    target: &crate::model::TargetResult,
    strict: bool,
    style: Style,
) -> String {
    let laid_out = (target.layouts.iter())
        .flat_map(|ls| &ls.types)
        .any(|t| t.krate == l.krate && t.name == l.name);
    if !laid_out {
        style.dim("-")
    } else if !l.differs_on(&target.triple) {
        style.green(".")
    } else if l.fails(strict) {
        style.red("L")
    } else {
        style.yellow("w")
    }
}

/// A layout row's name in a matrix: `layout fx_layout::Desc`.
pub(super) fn layout_row_name(l: &crate::analyze::layouts::LayoutFinding<'_>) -> String {
    format!("layout {}::{}", l.krate, l.name)
}

fn cell(outcome: Option<Outcome>, status: TargetStatus, mark: Mark, style: Style) -> String {
    match (status, outcome) {
        (TargetStatus::BuildFailed, _) => style.red("B"),
        (TargetStatus::Unavailable, _) => style.yellow("U"),
        (_, None) => style.dim("-"),
        (_, Some(Outcome::Passed)) if mark == Mark::OutputDiffers => style.red("D"),
        (_, Some(Outcome::Passed)) if mark == Mark::LayoutDiffers => style.red("L"),
        (_, Some(o)) if o.is_failure() && mark == Mark::EmulatorDependent => style.yellow("e"),
        (_, Some(o)) if o.is_failure() && mark == Mark::Flaky => style.yellow("f"),
        (_, Some(o)) if o.is_failure() && mark == Mark::DependencyFault => style.yellow("d"),
        (_, Some(o)) => {
            let c = match o {
                Outcome::Passed => ".",
                Outcome::Failed => "F",
                Outcome::Crashed => "C",
                Outcome::TimedOut => "T",
                Outcome::Ignored => "i",
                Outcome::NotRun => "-",
            };
            style.outcome(o, c)
        }
    }
}

fn write_matrix(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
    tests: &[&TestAcross<'_>],
    style: Style,
) -> io::Result<()> {
    writeln!(
        out,
        "\n{}",
        style.bold(&format!(
            "tests that did not pass everywhere ({MATRIX_LEGEND})"
        ))
    )?;
    let names: Vec<String> = tests
        .iter()
        .map(|t| format!("{} {}", t.binary, t.name))
        .collect();
    let layout_names = found.layouts.iter().map(layout_row_name);
    // A terminal keeps the matrix narrow and cuts names; plain output (CI logs, files)
    // keeps whole names, a name too long for the column on a line of its own.
    let widest = if style.color { 60 } else { PLAIN_NAME_COLUMN };
    let width = names
        .iter()
        .cloned()
        .chain(layout_names)
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(10, widest);
    let header: Vec<&str> = results.targets.iter().map(|t| t.short_name()).collect();
    writeln!(out, "{} {}", pad("", width), header.join(" "))?;
    for (t, name) in tests.iter().zip(&names) {
        let cells: Vec<String> = t
            .per_target
            .iter()
            .zip(&results.targets)
            .zip(&header)
            .map(|((r, target), h)| pad(&matrix_cell(found, t, *r, target, style), h.len()))
            .collect();
        let shown = if name.chars().count() <= width {
            name.clone()
        } else if style.color {
            format!("{}…", name.chars().take(width - 1).collect::<String>())
        } else {
            writeln!(out, "{name}")?;
            String::new()
        };
        // A test that passes everywhere is here for its output: say where that differs.
        let verdict = found.row_verdict(t);
        writeln!(
            out,
            "{} {}  {}",
            pad(&shown, width),
            cells.join(" "),
            style.dim(&verdict)
        )?;
    }
    for l in &found.layouts {
        let cells: Vec<String> = (results.targets.iter())
            .zip(&header)
            .map(|(target, h)| {
                pad(
                    &layout_cell(l, target, results.config.strict, style),
                    h.len(),
                )
            })
            .collect();
        writeln!(
            out,
            "{} {}  {}",
            pad(&layout_row_name(l), width),
            cells.join(" "),
            style.dim(&l.verdict_label)
        )?;
    }
    Ok(())
}

/// The widest name column of plain output's matrix; longer names get a line of their own.
const PLAIN_NAME_COLUMN: usize = 100;

fn write_failures(
    out: &mut dyn Write,
    results: &RunResults,
    tests: &[&TestAcross<'_>],
    style: Style,
) -> io::Result<()> {
    let mut failing: Vec<&&TestAcross<'_>> = tests.iter().filter(|t| t.has_failure()).collect();
    if failing.is_empty() {
        return Ok(());
    }
    failing.sort_by(|a, b| a.verdict.cmp(&b.verdict));
    writeln!(
        out,
        "\n{}",
        style.bold("failures, grouped by where they fail")
    )?;
    let mut current = None;
    for t in failing {
        if current != Some(&t.verdict) {
            current = Some(&t.verdict);
            writeln!(out, "\n{}", style.red(&t.verdict.label()))?;
        }
        let failures = t.failures(results);
        let where_: Vec<String> = failures
            .iter()
            .map(|(r, target)| failure_label(r, target))
            .collect();
        writeln!(
            out,
            "  {} {}: {}",
            t.binary,
            style.bold(t.name),
            where_.join(", ")
        )?;
        for note in &t.notes {
            writeln!(out, "    {}", style.yellow(note))?;
        }
        // The first failing target's output and repro line stand for the rest.
        let first = failures.first().copied();
        if let Some((r, target)) = first {
            for line in first_lines(r.output.as_deref().unwrap_or_default(), OUTPUT_LINES) {
                writeln!(out, "    | {}", printable(line))?;
            }
            if let Some(input) = &r.minimal_input {
                writeln!(
                    out,
                    "    minimal input ({}): {}",
                    target.short_name(),
                    super::one_line(input)
                )?;
            }
            if let Some(line) =
                crate::execute::invocation::repro_of(target, t.binary, t.name, &results.config)
            {
                writeln!(out, "    repro ({}): {}", target.triple, style.dim(&line))?;
            }
        }
    }
    Ok(())
}

fn write_differences(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
    style: Style,
) -> io::Result<()> {
    if found.differences.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n{}",
        style.bold("probe records that differ between targets, grouped by where they differ")
    )?;
    let mut current = None;
    for d in &found.differences {
        if current != Some(&d.verdict_label) {
            current = Some(&d.verdict_label);
            writeln!(out, "\n{}", style.red(&d.verdict_label))?;
        }
        writeln!(
            out,
            "  {} {}: {} ({})",
            d.binary,
            style.bold(d.test),
            d.what(),
            d.scope.label()
        )?;
        for c in &d.comparisons {
            writeln!(
                out,
                "    {}",
                crate::analyze::differential::describe_comparison(c)
            )?;
        }
        if let Some(n) = &d.note {
            writeln!(out, "    {}", style.dim(&format!("note: {n}")))?;
        }
        if let Some((triple, line)) = d.replay(results) {
            writeln!(
                out,
                "    {}",
                style.dim(&format!("repro ({triple}): {line}"))
            )?;
        }
    }
    Ok(())
}

/// The `#[repr]` types whose layouts differ, by verdict, then those that follow the pointer
/// width, then what was not compared.
fn write_layouts(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
    style: Style,
) -> io::Result<()> {
    let Some((line, notes)) = super::layouts_lines(results, found) else {
        return Ok(());
    };
    if !found.layouts.is_empty() {
        writeln!(
            out,
            "\n{}",
            style
                .bold("layouts of `#[repr]` types that differ between targets (from the compiler)")
        )?;
    }
    for (label, fails, members) in super::layout_groups(found, results.config.strict) {
        let head = if fails {
            style.red(label)
        } else {
            style.yellow(&format!("{label}: not failing without --strict"))
        };
        writeln!(out, "\n{head}")?;
        for (_, l) in members {
            writeln!(out, "  {}", style.bold(&l.what()))?;
            for c in l.lines() {
                writeln!(out, "    {c}")?;
            }
        }
    }
    writeln!(out, "\n{line}")?;
    for n in notes {
        writeln!(out, "{}", style.dim(&n))?;
    }
    Ok(())
}

fn first_lines(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut shown: Vec<&str> = lines.iter().take(n).copied().collect();
    if lines.len() > n {
        shown.push("...");
    }
    shown
}

/// The lines of a build log that say what went wrong (rustc's `error` blocks), or the log.
fn error_lines(log: &str) -> String {
    let from = log
        .lines()
        .position(|l| l.starts_with("error"))
        .unwrap_or(0);
    log.lines().skip(from).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{results, target, test};

    #[test]
    fn summary_groups_failures_and_gives_a_repro_line() {
        let le = target(
            "x86_64-unknown-linux-gnu",
            vec![
                test("a", Outcome::Passed, None, None),
                test("be_bug", Outcome::Passed, None, None),
            ],
        );
        let be = target(
            "s390x-unknown-linux-gnu",
            vec![
                test("a", Outcome::Passed, None, None),
                test(
                    "be_bug",
                    Outcome::Crashed,
                    Some("died <here>"),
                    Some("SIGBUS"),
                ),
            ],
        );
        let mut out = Vec::new();
        write_summary(&mut out, &results(vec![le, be]), Style::PLAIN).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("pkg be_bug .      C      fails on big-endian only"),
            "{text}"
        );
        assert!(text.contains("fails on big-endian only\n  pkg be_bug: s390x (crashed: SIGBUS)\n    | died <here>\n"), "{text}");
        assert!(text.contains("repro (s390x-unknown-linux-gnu): cd /src/pkg && PROPTEST_RNG_SEED=42 PROPTEST_RNG_ALGORITHM=xs qemu-x -L /s /t/pkg-1 --exact be_bug --nocapture"), "{text}");
        assert!(
            text.ends_with("bele: 3 passed, 1 failed, 0 skipped\n"),
            "{text}"
        );
        assert!(!text.contains('\x1b'), "plain style has no escapes");
        assert!(
            text.contains("\n2 tests on 2 of 2 targets: 1 failing"),
            "{text}"
        );
    }

    /// A kernel run with `--kasan`, or under another QEMU, says so on its answer's line.
    #[test]
    fn a_kasan_run_says_so() {
        let mut r = results(vec![target(
            "s390x-unknown-linux-gnu",
            vec![test("a", Outcome::Passed, None, None)],
        )]);
        r.targets[0].triple = "s390x-linux-kernel".into();
        r.config.kernel = Some(crate::model::KernelInfo {
            tree: "/t".into(),
            version: "7.2.13".into(),
            kasan: true,
            ..Default::default()
        });
        let mut out = Vec::new();
        write_summary(&mut out, &r, Style::PLAIN).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("1 tests on 1 of 1 targets (kernels built with KASAN): 0 failing"),
            "{text}"
        );
        r.config.kernel.as_mut().unwrap().qemu = Some("sid".into());
        r.targets[0].qemu_version = Some("11.1.3".into());
        let mut out = Vec::new();
        write_summary(&mut out, &r, Style::PLAIN).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "1 tests on 1 of 1 targets (kernels built with KASAN; booted under QEMU 11.1.3 \
                 from --qemu sid): 0 failing"
            ),
            "{text}"
        );
    }

    #[test]
    fn plain_output_keeps_long_names_whole_and_a_terminal_cuts_them() {
        let long = format!("wire::{}", "very_long_segment_".repeat(6));
        let tr = |triple, outcome| target(triple, vec![test(&long, outcome, Some("x"), None)]);
        let r = results(vec![
            tr("x86_64-unknown-linux-gnu", Outcome::Passed),
            tr("s390x-unknown-linux-gnu", Outcome::Failed),
        ]);
        let render = |style| {
            let mut out = Vec::new();
            write_summary(&mut out, &r, style).unwrap();
            String::from_utf8(out).unwrap()
        };
        let short = format!("wire::{}", "seg_".repeat(6));
        let plain = render(Style::PLAIN);
        // Past the column's width a name has a line of its own, its row under it.
        let row = format!(
            "pkg {long}\n{} .      F      fails on big-endian only\n",
            " ".repeat(100)
        );
        assert!(plain.contains(&row), "{plain}");
        assert!(!plain.contains('…'), "{plain}");
        let tty = render(Style { color: true });
        assert!(tty.contains('…'), "{tty}");
        let r = results(vec![
            target(
                "x86_64-unknown-linux-gnu",
                vec![test(&short, Outcome::Passed, Some("x"), None)],
            ),
            target(
                "s390x-unknown-linux-gnu",
                vec![test(&short, Outcome::Failed, Some("x"), None)],
            ),
        ]);
        let mut out = Vec::new();
        write_summary(&mut out, &r, Style::PLAIN).unwrap();
        let plain = String::from_utf8(out).unwrap();
        assert!(plain.contains(&format!("pkg {short} .      F ")), "{plain}");
    }

    #[test]
    fn time_spent_names_std_build_tests_and_the_slowest() {
        let mut slow = test("slow_one", Outcome::Passed, None, None);
        slow.duration_ms = 4_200;
        let mut quick = test("quick_one", Outcome::Passed, None, None);
        quick.duration_ms = 10;
        let mut t = target("mips-unknown-linux-gnu", vec![quick, slow]);
        t.build = Some(crate::model::BuildInfo {
            duration_ms: 1_500,
            std_ms: Some(24_600),
            std_note: None,
            compiled: 3,
            success: true,
            log_tail: None,
            command: "cargo test".into(),
            failed_crates: Vec::new(),
            left_out: Vec::new(),
        });
        t.run_ms = Some(5_000);
        let mut out = Vec::new();
        write_summary(&mut out, &results(vec![t.clone()]), Style::PLAIN).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("mips-unknown-linux-gnu           std   24.6s build    1.5s tests    5.0s  slowest: pkg slow_one 4.2s, pkg quick_one 0.0s"),
            "{text}"
        );
        let mut md = Vec::new();
        crate::report::write_markdown(&mut md, &results(vec![t])).unwrap();
        let md = String::from_utf8(md).unwrap();
        assert!(
            md.contains("| `mips-unknown-linux-gnu` | 24.6s | 1.5s | 5.0s | `pkg slow_one` 4.2s, `pkg quick_one` 0.0s |"),
            "{md}"
        );
    }

    #[test]
    fn differing_output_is_shown_with_its_bytes_and_counted() {
        let mut out = Vec::new();
        write_summary(&mut out, &crate::testdata::sample(), Style::PLAIN).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("pkg round_trip <&>  .      D      output differs on big-endian only\n"),
            "{text}"
        );
        assert!(text.contains("\noutput differs on big-endian only\n  pkg round_trip <&>: wire record 'frame \"hdr\"' (across all targets)\n    record 1, byte 0: x86_64: [02] 01 (2 bytes) | s390x: [01] 02 (2 bytes)\n    repro (s390x-unknown-linux-gnu): "), "{text}");
        assert!(
            !text.contains("pkg netlink"),
            "host-order records may differ: {text}"
        );
        assert!(text.contains("6 tests on 2 of 2 targets: 2 failing, 1 with output that differs, 2 passing everywhere\n"), "{text}");
        assert!(
            text.ends_with("bele: 8 passed, 2 failed, 2 skipped, 1 outputs differ\n"),
            "{text}"
        );
    }

    #[test]
    fn the_closing_line_counts_builds_and_unavailable_targets() {
        let mut out = Vec::new();
        write_summary(&mut out, &crate::testdata::every_status(), Style::PLAIN).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\nbuild fails on one target only (suspect the target's toolchain): powerpc-unknown-linux-gnu\n"), "{text}");
        assert!(text.ends_with(", 1 target failed to build (build fails on one target only (suspect the target's toolchain)), 1 unavailable\n"), "{text}");
        // The test the run never reached is counted apart from the ignored ones.
        let r = crate::testdata::every_status();
        let s = Findings::of(&r).summary;
        assert_eq!(s.not_run, 1);
        let last = text.lines().last().unwrap();
        assert!(
            last.starts_with(&format!(
                "bele: {} passed, {} failed, {} skipped, 1 not run, ",
                s.passed, s.failed, s.skipped
            )),
            "{last}"
        );
    }

    #[test]
    fn all_passing_has_no_matrix() {
        let t = target(
            "x86_64-unknown-linux-gnu",
            vec![
                test("a", Outcome::Passed, None, None),
                test("i", Outcome::Ignored, None, None),
            ],
        );
        let mut out = Vec::new();
        write_summary(&mut out, &results(vec![t]), Style { color: true }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("did not pass everywhere"), "{text}");
        assert!(text.contains("\x1b[32m"), "colour when asked");
    }
}
