//! Reporters: progress while a run goes, the summary at its end, the target table.
//! Each writes to any `io::Write`, so tests write into a `Vec<u8>`.

pub(crate) mod events;
mod github;
mod html;
mod json;
mod junit;
mod ktap;
mod kunit_json;
mod markdown;
mod progress;
mod style;
mod summary;
mod targets;
#[cfg(test)]
#[path = "../../tests/support/validators.rs"]
pub(crate) mod validators;

pub use github::write_github;
pub use html::write_html;
pub use json::{save_json, write_json};
pub use junit::write_junit;
pub use ktap::write_ktap;
pub use kunit_json::write_kunit_json;
pub use markdown::write_markdown;
pub use progress::{LineReporter, ProgressReporter};
pub use style::Style;
pub use summary::write_summary;
pub use targets::write_targets;

/// `12.3s`, or `-` when not known.
pub(crate) fn secs(ms: Option<u64>) -> String {
    ms.map_or_else(|| "-".into(), |ms| format!("{:.1}s", ms as f64 / 1000.0))
}

/// The line that says a target's probe records went uncompared for some tests.
pub(crate) fn alone_line(a: &crate::analyze::differential::Alone<'_>) -> String {
    format!(
        "probe records of {} {} on {} were compared with no other target: proptest drew other \
         inputs there from the same seed (check its RNG, or a usize strategy on its own width)",
        a.tests,
        if a.tests == 1 { "test" } else { "tests" },
        a.target
    )
}

/// What the compiler's layouts came to, in one line ("7 `#[repr]` types laid out on 3
/// targets: 1 differs, 1 pointer-width dependent"), or `None` when none were recorded; and
/// lines for what was not compared (types no compiled code uses, crates with no record).
pub(crate) fn layouts_lines(
    results: &crate::model::RunResults,
    found: &crate::analyze::findings::Findings<'_>,
) -> Option<(String, Vec<String>)> {
    let recorded: Vec<&crate::model::TargetResult> = (results.targets.iter())
        .filter(|t| t.layouts.is_some())
        .collect();
    if recorded.is_empty() {
        return None;
    }
    let mut types: Vec<String> = (recorded.iter())
        .flat_map(|t| {
            t.layouts
                .iter()
                .flat_map(|l| l.types.iter().map(|t| t.path()))
        })
        .collect();
    types.sort();
    types.dedup();
    let by_width = found.layouts.iter().filter(|l| l.pointer_width).count();
    let differ = found.layouts.len() - by_width;
    let mut line = format!(
        "{} `#[repr]` {} laid out on {} {}: {differ} {}",
        types.len(),
        if types.len() == 1 { "type" } else { "types" },
        recorded.len(),
        if recorded.len() == 1 {
            "target"
        } else {
            "targets"
        },
        if differ == 1 { "differs" } else { "differ" },
    );
    if by_width > 0 {
        line += &format!(", {by_width} pointer-width dependent");
    }
    let mut notes = Vec::new();
    let mut unused: Vec<&str> = (recorded.iter())
        .flat_map(|t| {
            t.layouts
                .iter()
                .flat_map(|l| l.not_laid_out.iter().map(String::as_str))
        })
        .collect();
    unused.sort_unstable();
    unused.dedup();
    if !unused.is_empty() {
        notes.push(format!(
            "not compared, as rustc laid them out nowhere (no compiled code uses them): {}",
            unused.join(", ")
        ));
    }
    for t in &recorded {
        let missing = t.layouts.iter().flat_map(|l| &l.unrecorded).count();
        if missing > 0 {
            notes.push(format!(
                "layouts of {missing} crate {} not recorded on {}, so not compared there: \
                 rustc could not expand the crate on its own, or bele could not write its \
                 record",
                if missing == 1 { "build" } else { "builds" },
                t.short_name(),
            ));
        }
    }
    Some((line, notes))
}

/// The layouts that differ, grouped by verdict label in their order: the label, whether they
/// fail the run, and each with its index in `found.layouts` (reports anchor on it).
pub(crate) type LayoutGroup<'f, 'r> = (
    &'f str,
    bool,
    Vec<(usize, &'f crate::analyze::layouts::LayoutFinding<'r>)>,
);

pub(crate) fn layout_groups<'f, 'r>(
    found: &'f crate::analyze::findings::Findings<'r>,
    strict: bool,
) -> Vec<LayoutGroup<'f, 'r>> {
    let mut groups: Vec<LayoutGroup<'f, 'r>> = Vec::new();
    for (j, l) in found.layouts.iter().enumerate() {
        match groups.last_mut() {
            Some(g) if g.0 == l.verdict_label => g.2.push((j, l)),
            _ => groups.push((&l.verdict_label, l.fails(strict), vec![(j, l)])),
        }
    }
    groups
}

/// A machine or people format a results file can be rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The results file itself (the versioned schema).
    Json,
    /// JUnit XML, one testsuite per target.
    Junit,
    /// The kernel's KTAP.
    Ktap,
    /// kunit.py's `--json` (KernelCI's test API): a group per target, then per test
    /// executable or suite.
    KunitJson,
    /// Markdown for a job summary or a PR comment.
    Md,
    /// One self-contained HTML page: matrix, verdict groups, filters, failure details.
    Html,
    /// GitHub Actions annotations: an `::error` per failing test, at its failing assertion.
    Github,
}

impl Format {
    /// Every format, in the order `--report` lists them.
    pub const ALL: [Format; 7] = [
        Format::Json,
        Format::Junit,
        Format::Ktap,
        Format::KunitJson,
        Format::Md,
        Format::Html,
        Format::Github,
    ];
}

/// Renders `results` in `format`.
pub fn render(
    format: Format,
    results: &crate::model::RunResults,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => write_json(out, results),
        Format::Junit => write_junit(out, results),
        Format::Ktap => write_ktap(out, results),
        Format::KunitJson => write_kunit_json(out, results),
        Format::Md => write_markdown(out, results),
        Format::Html => write_html(out, results),
        Format::Github => write_github(out, results),
    }
}

/// Escapes text for XML and HTML content and attribute values, dropping the characters XML 1.0
/// forbids (terminal escape sequences in test output, for one).
pub(crate) fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text for one line of a report: control characters (terminal colours) dropped, runs of
/// white space and line breaks (a pretty-printed minimal input) made one space.
pub(crate) fn one_line(s: &str) -> String {
    printable(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `s` without what a test printed for a terminal: ANSI escape sequences (colours, cursor
/// moves, screen clears) and other control characters but tab and line breaks.
pub(crate) fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates up to a final byte in @..~.
                Some('[') => {
                    for f in chars.by_ref() {
                        if ('@'..='~').contains(&f) {
                            break;
                        }
                    }
                }
                // OSC (titles, links): up to BEL or ESC \.
                Some(']') => {
                    while let Some(f) = chars.next() {
                        if f == '\u{7}' || (f == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Saves `results` to `out` (atomically) and tells the reporter: both pipelines save after
/// every target, so a crash or Ctrl-C loses nothing already known.
pub fn save(
    results: &crate::model::RunResults,
    out: &std::path::Path,
    reporter: &mut dyn events::Reporter,
) -> Result<(), crate::model::ResultsError> {
    save_json(results, out)?;
    reporter.event(&events::Event::Saved);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `results` in every format that carries diagnostics (kunit-json has statuses and
    /// counts only, as kunit.py's has), as a reader sees the text: the markup formats'
    /// escaped apostrophe and GitHub's escaped `:` and `,` in titles read back.
    fn every_format(results: &crate::model::RunResults) -> Vec<(Format, String)> {
        Format::ALL
            .into_iter()
            .filter(|f| *f != Format::KunitJson)
            .map(|format| {
                let mut out = Vec::new();
                render(format, results, &mut out).unwrap();
                let text = String::from_utf8(out)
                    .unwrap()
                    .replace("&apos;", "'")
                    .replace("&#39;", "'")
                    .replace("%3A", ":")
                    .replace("%2C", ",");
                (format, text)
            })
            .collect()
    }

    #[test]
    fn terminal_sequences_and_control_characters_are_dropped() {
        assert_eq!(
            printable(
                "\u{1b}[31mred\u{1b}[0m nul:\0: \u{7}bell\ttab\n\u{1b}[2J\u{1b}]0;title\u{7}end\r"
            ),
            "red nul:: bell\ttab\nend"
        );
        assert_eq!(printable("ünï <&> \u{1b}"), "ünï <&> ");
    }

    /// A test executable that could not be listed fails the run: the exit code, the closing
    /// line and every format say so (before, only KTAP and the terminal showed it, and the
    /// closing line was green).
    #[test]
    fn an_executable_that_could_not_run_is_in_every_format_and_fails_the_run() {
        use crate::analyze::findings::{run_verdict, RunVerdict};
        let mut r = crate::testdata::every_status();
        // Only the listing error is left to fail the run.
        r.targets.retain(|t| {
            t.status == crate::model::TargetStatus::Ran && t.triple.starts_with("mips")
        });
        assert_eq!(r.targets.len(), 1);
        assert_eq!(run_verdict(&r), RunVerdict::Failures);
        for format in [
            Format::Junit,
            Format::Ktap,
            Format::Md,
            Format::Html,
            Format::Github,
        ] {
            let mut out = Vec::new();
            render(format, &r, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(
                text.contains("cannot list: exec format error"),
                "{format:?} does not show the error: {text}"
            );
        }
        let mut out = Vec::new();
        write_summary(&mut out, &r, Style { color: true }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("1 test executable could not run"), "{text}");
        assert!(
            text.contains("\u{1b}[1;31m0 tests on 1 of 1 targets"),
            "the summary line is red: {text}"
        );
    }
    /// A build that failed only in a dependency is said to, in every format: the verdict
    /// does not blame the workspace's code (before, "build fails on powerpc only").
    #[test]
    fn a_dependencys_build_failure_is_named_in_every_format() {
        let mut r = crate::testdata::every_status();
        let broken = (r.targets.iter_mut())
            .find(|t| t.status == crate::model::TargetStatus::BuildFailed)
            .unwrap();
        broken.build.as_mut().unwrap().failed_crates = vec![crate::model::FailedCrate {
            name: "rustix".into(),
            version: Some("1.1.6".into()),
            dependency: true,
        }];
        let said = "in a dependency, rustix 1.1.6 (not the workspace's code)";
        for (format, text) in every_format(&r) {
            assert!(text.contains(said), "{format:?}: {text}");
        }
        let mut out = Vec::new();
        write_summary(&mut out, &r, Style { color: false }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(said), "{text}");
        // A member's failure is the workspace's.
        let broken = (r.targets.iter_mut())
            .find(|t| t.status == crate::model::TargetStatus::BuildFailed)
            .unwrap();
        broken.build.as_mut().unwrap().failed_crates[0].dependency = false;
        let b = crate::analyze::triage::build_triage(&r).unwrap();
        assert!(
            !b.verdict_label.contains("dependency"),
            "{}",
            b.verdict_label
        );
        assert!(b.dependencies.is_empty());
    }

    /// A test never run to an outcome is counted apart from the skipped ones, everywhere.
    #[test]
    fn not_run_is_counted_apart_in_every_format() {
        let r = crate::testdata::every_status();
        for (format, said) in [
            (Format::Md, ", 1 not run"),
            (Format::Html, ", 1 not run"),
            (Format::Junit, "<skipped message=\"not run: "),
            (Format::Junit, "<property name=\"not_run\" value=\"1\"/>"),
            (Format::Ktap, " # SKIP not run: "),
            (Format::Github, "::warning title=1 test not run::"),
        ] {
            let mut out = Vec::new();
            render(format, &r, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains(said), "{format:?} lacks {said:?}: {text}");
        }
    }

    /// Records a probe file lost are not compared, and what was lost is in every format
    /// (before, the reader's problems were dropped: the records compared as if complete).
    #[test]
    fn probe_records_lost_are_told_in_every_format() {
        use crate::model::ProbeKind;
        use crate::testdata::{probed, results, target};
        let mut r = results(vec![]);
        for (triple, byte) in [
            ("x86_64-unknown-linux-gnu", 1),
            ("s390x-unknown-linux-gnu", 2),
        ] {
            let (test, seqs) = probed("t", ProbeKind::Wire, "frame", &[&[byte]]);
            r.targets.push(target(triple, vec![test]));
            r.probe_sequences.extend(seqs);
        }
        let lost = "more than 1000000 records in one test process: the rest were not kept";
        r.targets[1].binaries[0].probe_problems = vec![lost.into()];
        r.targets[0].binaries[0].unattributed_records = 2;
        for (format, text) in every_format(&r) {
            assert!(
                text.contains(lost),
                "{format:?} does not say what was lost: {text}"
            );
            assert!(
                text.contains("2 probe records made on threads without a test's name"),
                "{format:?} does not tell the unattributed records: {text}"
            );
            if format != Format::Json {
                assert!(
                    text.contains("records were lost on s390x"),
                    "{format:?} does not say the test was not compared: {text}"
                );
            }
        }
        let mut out = Vec::new();
        write_summary(&mut out, &r, Style { color: false }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("probe records of pkg t not compared: records were lost on s390x"),
            "{text}"
        );
        assert!(
            !text.contains("output differs"),
            "nothing compared, nothing differs: {text}"
        );
    }
}
