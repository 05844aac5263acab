//! GitHub Actions workflow commands (`::error file=...,line=...::message`): one annotation per
//! failing test, probe difference and build failure, pointing at the failing assertion where
//! the panic message names it.

use std::io::{self, Write};
use std::path::Path;

use crate::analyze::findings::Findings;
use crate::analyze::triage::failure_label;
use crate::model::{RunResults, TargetStatus, TestResult};

/// Writes the annotations for `results`.
/// An `::error` per `#[repr]` type whose layout differs (a `::warning` for one that follows
/// the pointer width, which does not fail the run).
fn write_layouts(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
) -> io::Result<()> {
    for l in &found.layouts {
        let level = if l.fails(results.config.strict) {
            "error"
        } else {
            "warning"
        };
        command(
            out,
            level,
            None,
            &format!("{}: {}", l.what(), l.verdict_label),
            &l.lines().join("\n"),
        )?;
    }
    Ok(())
}

pub fn write_github(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    let found = Findings::of(results);
    let root = results
        .workspace
        .manifest_path
        .parent()
        .unwrap_or(Path::new(""));
    for t in found.tests.iter().filter(|t| t.has_failure()) {
        let failures = t.failures(results);
        let Some((first, first_target)) = failures.first() else {
            continue;
        };
        let wheres: Vec<String> = failures
            .iter()
            .map(|(r, target)| failure_label(r, target))
            .collect();
        let mut message = format!("{}: {}", t.verdict.label(), wheres.join(", "));
        for note in &t.notes {
            message.push_str(&format!("\n{note}"));
        }
        if let Some(input) = &first.minimal_input {
            message.push_str(&format!("\nminimal failing input: {input}"));
        }
        if let Some(line) =
            crate::execute::invocation::repro_of(first_target, t.binary, t.name, &results.config)
        {
            message.push_str(&format!("\nreproduce: {line}"));
        }
        if let Some(output) = &first.output {
            let head: Vec<&str> = output.lines().take(12).collect();
            message.push_str(&format!("\n{}", head.join("\n")));
        }
        let doc = first_target
            .binaries
            .iter()
            .any(|b| b.id == t.binary && b.doc.is_some());
        let place = location(first, t.name, doc)
            .and_then(|(file, line)| Some((relative(root, &file)?, line)));
        command(
            out,
            "error",
            place.as_ref().map(|(f, l)| (f.as_str(), *l)),
            &format!("{} {}: {}", t.binary, t.name, t.verdict.label()),
            &message,
        )?;
    }
    for d in &found.differences {
        let mut message = format!("{} ({})", d.what(), d.scope.label());
        for c in &d.comparisons {
            message.push_str(&format!(
                "\n{}",
                crate::analyze::differential::describe_comparison(c)
            ));
        }
        if let Some((triple, line)) = d.replay(results) {
            message.push_str(&format!("\nreproduce on {triple}: {line}"));
        }
        command(
            out,
            "error",
            None,
            &format!("{} {}: {}", d.binary, d.test, d.verdict_label),
            &message,
        )?;
    }
    write_layouts(out, results, &found)?;
    if let Some(b) = &found.build {
        let mut message = b.failed.join(", ");
        for t in results
            .targets
            .iter()
            .filter(|t| t.status == TargetStatus::BuildFailed)
        {
            if let Some(tail) = t.build.as_ref().and_then(|b| b.log_tail.as_deref()) {
                message.push_str(&format!("\n{}:\n{tail}", t.triple));
            }
        }
        command(out, "error", None, &b.verdict_label, &message)?;
    }
    for (triple, binary, error) in crate::analyze::findings::executable_errors(results) {
        command(
            out,
            "error",
            None,
            &format!("{binary} could not run on {triple}"),
            error,
        )?;
    }
    if found.summary.not_run > 0 {
        let n = found.summary.not_run;
        command(
            out,
            "warning",
            None,
            &format!("{n} {} not run", if n == 1 { "test" } else { "tests" }),
            "selected, but never run to an outcome (the run was interrupted, or a process died before reaching them): the results file names each",
        )?;
    }
    for s in &found.not_compared {
        let title = format!("{} {}: probe records not compared", s.binary, s.test);
        command(out, "warning", None, &title, &s.reason)?;
    }
    for n in &found.probe_notes {
        let title = format!("{} on {}: probe records", n.binary, n.target);
        command(out, "warning", None, &title, &n.note)?;
    }
    for t in results
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Unavailable)
    {
        command(
            out,
            "warning",
            None,
            &format!("{} unavailable", t.triple),
            t.reason.as_deref().unwrap_or("unavailable"),
        )?;
    }
    Ok(())
}

/// Where a failure points: for a doc-test the example's first line from its name
/// (`src/x.rs - f (line 12)`: rustdoc's panic lines are off within examples), else the panic
/// location in its output (`panicked at src/x.rs:12:5:`).
pub(crate) fn location(r: &TestResult, name: &str, doc: bool) -> Option<(String, u32)> {
    if doc {
        let (file, _, line) = crate::execute::libtest::doc_test_parts(name)?;
        return Some((file.to_string(), line?));
    }
    r.output.as_deref().and_then(|o| {
        o.lines().find_map(|l| {
            let rest = l.split_once("panicked at ")?.1;
            let mut parts = rest.trim_end_matches(':').rsplitn(3, ':');
            let _col = parts.next()?;
            let line = parts.next()?.parse().ok()?;
            Some((parts.next()?.to_string(), line))
        })
    })
}

/// `file` as a path relative to the workspace root, or `None` for a file outside it (std,
/// a dependency in cargo's registry).
fn relative(root: &Path, file: &str) -> Option<String> {
    let path = Path::new(file);
    if path.is_relative() {
        return Some(file.to_string());
    }
    path.strip_prefix(root)
        .ok()
        .map(|p| p.display().to_string())
}

/// One workflow command, escaped as GitHub's runner reads it.
fn command(
    out: &mut dyn Write,
    level: &str,
    place: Option<(&str, u32)>,
    title: &str,
    message: &str,
) -> io::Result<()> {
    let mut props = Vec::new();
    if let Some((file, line)) = place {
        props.push(format!("file={}", escape_property(file)));
        props.push(format!("line={line}"));
    }
    props.push(format!("title={}", escape_property(title)));
    writeln!(
        out,
        "::{level} {}::{}",
        props.join(","),
        escape_data(message)
    )
}

fn escape_data(s: &str) -> String {
    super::printable(s).replace('%', "%25").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Outcome;
    use crate::testdata::sample;

    #[test]
    fn panics_and_doc_test_names_give_file_and_line() {
        let r = |output: &str| TestResult::new("t", Outcome::Failed, 0).with_output(output);
        assert_eq!(
            location(
                &r("\nthread 't' (77) panicked at endian/src/lib.rs:41:9:\nboom"),
                "t",
                false
            ),
            Some(("endian/src/lib.rs".into(), 41))
        );
        assert_eq!(
            location(
                &r("thread 'main' (1) panicked at doc/src/lib.rs:34:1:"),
                "doc/src/lib.rs - give_up (line 35)",
                true
            ),
            Some(("doc/src/lib.rs".into(), 35))
        );
        assert_eq!(location(&r("no location"), "plain::name", false), None);
        assert_eq!(
            relative(Path::new("/w"), "/w/a/src/lib.rs").as_deref(),
            Some("a/src/lib.rs")
        );
        assert_eq!(
            relative(Path::new("/w"), "/rustc/abc/library/core/src/x.rs"),
            None
        );
    }

    #[test]
    fn annotations_are_escaped_workflow_commands() {
        let mut out = Vec::new();
        write_github(&mut out, &sample()).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(!lines.is_empty(), "the sample has failures");
        for l in &lines {
            assert!(
                l.starts_with("::error ") || l.starts_with("::warning "),
                "{l}"
            );
            let (props, _) = l[2..].split_once("::").unwrap();
            assert!(props.contains("title="), "{l}");
        }
        assert_eq!(escape_data("50%\nx"), "50%25%0Ax");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
