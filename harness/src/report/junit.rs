//! JUnit XML: one `testsuite` per target, test cases named with their target, failure text
//! with the verdict and the minimal input, for CI systems that read JUnit. A test that
//! passed but whose probe records differ fails on the targets on the differing side.

use std::io::{self, Write};

use super::escape_markup as esc;
use crate::analyze::findings::Findings;
use crate::model::{
    BinaryResult, Outcome, RunResults, StdUsed, TargetResult, TargetStatus, TestResult,
};

pub fn write_junit(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    let found = Findings::of(results);
    let verdicts = found.verdict_labels();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    // No attributes on <testsuites>: Ant's model allows none (the totals are per suite).
    writeln!(out, "<testsuites>")?;
    for (id, t) in results.targets.iter().enumerate() {
        write_suite_start(out, results, &found, id, t)?;
        if t.status == TargetStatus::BuildFailed {
            write_build_case(out, &found, t)?;
        }
        for l in failing_layouts(results, &found, t) {
            writeln!(
                out,
                "    <testcase name=\"{0} [{1}]\" classname=\"{2}.layouts\" time=\"0.000\">\n      <failure message=\"{3}\" type=\"layout-differs\">{4}</failure>\n    </testcase>",
                esc(&l.what()),
                esc(t.short_name()),
                esc(&t.triple),
                esc(&l.verdict_label),
                esc(&l.lines().join("\n"))
            )?;
        }
        for b in &t.binaries {
            if let Some(error) = &b.error {
                // An executable that could not be listed or run is an error of its own,
                // beside whatever tests it did report.
                writeln!(
                    out,
                    "    <testcase name=\"{0} [{1}]\" classname=\"{2}.{0}\" time=\"{3}\">\n      <error message=\"test executable could not run\" type=\"executable-failed\">{4}</error>\n    </testcase>",
                    esc(&b.id),
                    esc(t.short_name()),
                    esc(&t.triple),
                    seconds(b.duration_ms),
                    esc(error)
                )?;
            }
            for r in &b.tests {
                let verdict = verdicts
                    .get(&(b.id.as_str(), r.name.as_str()))
                    .map_or("", String::as_str);
                write_test_case(out, results, &found, (t, b, r), verdict)?;
            }
        }
        // What a reader of the probe records must know goes where CI shows a suite's log.
        let has = |binary: &str, test: &str| {
            t.binaries
                .iter()
                .any(|b| b.id == binary && b.tests.iter().any(|r| r.name == test))
        };
        let notes: Vec<String> = found
            .not_compared
            .iter()
            .filter(|s| has(s.binary, s.test))
            .map(|s| s.line())
            .chain(
                found
                    .probe_notes
                    .iter()
                    .filter(|p| p.target == t.triple)
                    .map(|p| p.line()),
            )
            .chain(
                (found.layouts.iter())
                    .filter(|l| !l.fails(results.config.strict))
                    .filter(|l| l.differs_on(&t.triple))
                    .map(|l| format!("{}: {}", l.what(), l.verdict_label)),
            )
            .collect();
        if notes.is_empty() {
            writeln!(out, "    <system-out/>\n    <system-err/>\n  </testsuite>")?;
        } else {
            let notes = esc(&notes.join("\n"));
            writeln!(
                out,
                "    <system-out/>\n    <system-err>{notes}</system-err>\n  </testsuite>"
            )?;
        }
    }
    writeln!(out, "</testsuites>")
}

/// The layouts that fail the run and differ on target `t` from the reference's.
fn failing_layouts<'f, 'r>(
    results: &RunResults,
    found: &'f Findings<'r>,
    t: &TargetResult,
) -> Vec<&'f crate::analyze::layouts::LayoutFinding<'r>> {
    (found.layouts.iter())
        .filter(|l| l.fails(results.config.strict))
        .filter(|l| l.differs_on(&t.triple))
        .collect()
}

/// A target's `<testsuite>` line with its totals, and its properties.
fn write_suite_start(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
    id: usize,
    t: &TargetResult,
) -> io::Result<()> {
    let c = t.counts();
    let build_failed = usize::from(t.status == TargetStatus::BuildFailed);
    let executables_failed = t.binaries.iter().filter(|b| b.error.is_some()).count();
    let differing = t
        .binaries
        .iter()
        .flat_map(|b| b.tests.iter().map(move |r| (b, r)))
        .filter(|(b, r)| {
            r.outcome == Outcome::Passed && !found.differing(&t.triple, &b.id, &r.name).is_empty()
        })
        .count();
    let layouts = failing_layouts(results, found, t).len();
    let time: u64 = t
        .binaries
        .iter()
        .flat_map(|b| &b.tests)
        .map(|r| r.duration_ms)
        .sum();
    writeln!(
        out,
        r#"  <testsuite name="{triple}" package="{triple}" id="{id}" timestamp="{timestamp}" hostname="{host}" tests="{}" failures="{}" errors="{}" skipped="{}" time="{}">"#,
        c.total() + build_failed + executables_failed + layouts,
        c.failed + differing + layouts,
        c.crashed + c.timed_out + build_failed + executables_failed,
        c.ignored + c.not_run,
        seconds(time),
        triple = esc(&t.triple),
        host = esc(&results.host.name),
        timestamp = crate::util::time::iso_utc(results.started_at_ms / 1000),
    )?;
    writeln!(out, "    <properties>")?;
    for (k, v) in [
        ("endian", t.endian.to_string()),
        ("pointer_width", t.pointer_width.to_string()),
        ("runner", t.runner.to_string()),
        ("qemu_version", t.qemu_version.clone().unwrap_or_default()),
        (
            "std",
            t.std.map(StdUsed::label).unwrap_or_default().to_string(),
        ),
        ("status", format!("{:?}", t.status)),
        ("seed", results.config.seed.to_string()),
        ("not_run", c.not_run.to_string()),
    ] {
        writeln!(out, r#"      <property name="{k}" value="{}"/>"#, esc(&v))?;
    }
    writeln!(out, "    </properties>")
}

/// The test case that stands for a target's failed build.
fn write_build_case(out: &mut dyn Write, found: &Findings<'_>, t: &TargetResult) -> io::Result<()> {
    let build = t.build.as_ref();
    writeln!(
        out,
        r#"    <testcase name="build [{0}]" classname="{0}" time="{1}">"#,
        esc(&t.triple),
        seconds(build.map_or(0, |b| b.duration_ms))
    )?;
    let verdict = found
        .build
        .as_ref()
        .map_or_else(|| "build failed".into(), |b| b.verdict_label.clone());
    writeln!(
        out,
        r#"      <error message="{}" type="build-failed">{}</error>"#,
        esc(&verdict),
        esc(build
            .and_then(|b| b.log_tail.as_deref())
            .unwrap_or_default())
    )?;
    writeln!(out, "    </testcase>")
}

/// One test on one target: passed, or why not, with what a maintainer needs first (why it
/// matters, the input, how to replay).
fn write_test_case(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
    (t, b, r): (&TargetResult, &BinaryResult, &TestResult),
    verdict: &str,
) -> io::Result<()> {
    write!(
        out,
        r#"    <testcase name="{} [{}]" classname="{}.{}" time="{}""#,
        esc(&r.name),
        esc(t.short_name()),
        esc(&t.triple),
        esc(&b.id),
        seconds(r.duration_ms)
    )?;
    let replay = crate::execute::invocation::repro_line(t, b, &r.name, &results.config);
    let body = || {
        let mut body = format!("verdict: {verdict}\n");
        if let Some(input) = &r.minimal_input {
            body += &format!("minimal failing input: {input}\n");
        }
        body += &format!(
            "replay: {replay}\n\n{}",
            r.output.as_deref().unwrap_or_default()
        );
        esc(&body)
    };
    let differs = found.differing(&t.triple, &b.id, &r.name);
    match r.outcome {
        Outcome::Passed if !differs.is_empty() => {
            let mut body = String::new();
            for d in &differs {
                for line in d.details() {
                    body += &line;
                    body.push('\n');
                }
            }
            body += &format!("replay: {replay}\n");
            writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"output-differs\">{}</failure>\n    </testcase>",
                esc(&differs[0].verdict_label),
                esc(&body)
            )
        }
        Outcome::Passed => writeln!(out, "/>"),
        Outcome::Failed => writeln!(
            out,
            ">\n      <failure message=\"failed: {}\" type=\"failed\">{}</failure>\n    </testcase>",
            esc(verdict),
            body()
        ),
        Outcome::Crashed | Outcome::TimedOut => {
            let what = match (r.outcome, &r.signal) {
                (Outcome::Crashed, Some(sig)) => format!("crashed ({sig})"),
                (o, _) => o.label().to_string(),
            };
            writeln!(
                out,
                ">\n      <error message=\"{}: {}\" type=\"{}\">{}</error>\n    </testcase>",
                esc(&what),
                esc(verdict),
                r.outcome.label().replace(' ', "-"),
                body()
            )
        }
        Outcome::Ignored => writeln!(
            out,
            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
            esc(r.output.as_deref().unwrap_or(r.outcome.label()))
        ),
        // JUnit has no "not run": a skip that says it was not one on purpose.
        Outcome::NotRun => writeln!(
            out,
            ">\n      <skipped message=\"not run: {}\"/>\n    </testcase>",
            esc(r.output.as_deref().unwrap_or_default())
        ),
    }
}

/// Milliseconds as seconds with three decimals: `1.250`.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::validators;
    use crate::testdata::{every_status, sample};

    fn junit(r: &RunResults) -> String {
        let mut out = Vec::new();
        write_junit(&mut out, r).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_suite_per_target_with_escaped_failures() {
        let xml = junit(&sample());
        assert!(xml.contains(r#"<testsuite name="s390x-unknown-linux-gnu" package="s390x-unknown-linux-gnu" id="1" timestamp="1970-01-01T00:00:00" hostname="ci-1" tests="6" failures="2" errors="1" skipped="1" time="0.006">"#), "{xml}");
        assert!(xml.contains(r#"<testcase name="prop &lt;script&gt;|# [s390x]" classname="s390x-unknown-linux-gnu.pkg" time="0.001">"#), "{xml}");
        assert!(xml.contains("<failure message=\"failed: fails on big-endian only\" type=\"failed\">verdict: fails on big-endian only\nminimal failing input: bytes = [0, 0, 0, 1]\nreplay: cd /src/pkg &amp;&amp; PROPTEST_RNG_SEED=42 PROPTEST_RNG_ALGORITHM=xs qemu-x -L /s /t/pkg-1 --exact &apos;prop &lt;script&gt;|#&apos; --nocapture\n\nleft: 1\nright: 16777216 &amp; more</failure>"), "{xml}");
        assert!(xml.contains(r#"<error message="crashed (SIGBUS): fails on big-endian only" type="crashed">verdict: "#), "{xml}");
        assert!(
            xml.contains(r#"<skipped message="needs hardware"/>"#),
            "{xml}"
        );
        // Passed everywhere, but its wire bytes differ: a failure on the differing side only.
        assert!(xml.contains(r#"<testcase name="round_trip &lt;&amp;&gt; [x86_64]" classname="x86_64-unknown-linux-gnu.pkg" time="0.001"/>"#), "{xml}");
        assert!(xml.contains("<failure message=\"output differs on big-endian only\" type=\"output-differs\">wire record &apos;frame &quot;hdr&quot;&apos; differs (across all targets): output differs on big-endian only\nrecord 1, byte 0: x86_64: [02] 01 (2 bytes) | s390x: [01] 02 (2 bytes)\nreplay: "), "{xml}");
        assert!(xml.contains(r#"<testcase name="netlink [s390x]" classname="s390x-unknown-linux-gnu.pkg" time="0.001"/>"#), "host-order records may differ: {xml}");
        assert!(
            !xml.contains('\u{1b}') && !xml.contains("<script>"),
            "{xml}"
        );
    }

    #[test]
    fn validates_against_the_junit_schema() {
        let xml = junit(&every_status());
        if let Err(e) = validators::junit_schema_errors(&xml, "sample-junit.xml") {
            panic!("{e}\n{xml}");
        }
        assert!(
            xml.contains(r#"<testcase name="build [powerpc-unknown-linux-gnu]" classname="powerpc-unknown-linux-gnu" time="1.500">"#),
            "{xml}"
        );
    }

    /// The schema check can fail: reports broken the ways readers reject are refused.
    #[test]
    fn the_schema_refuses_what_readers_refuse() {
        let xml = junit(&sample());
        for (what, from, to, complaint) in [
            (
                "a failure without a type",
                r#" type="failed""#,
                "",
                "'type' is required",
            ),
            (
                "a test case without a time",
                r#" time="0.001""#,
                "",
                "'time' is required",
            ),
            (
                "a zone in the timestamp",
                "T00:00:00\"",
                "T00:00:00Z\"",
                "'timestamp'",
            ),
            (
                "a negative count",
                r#"failures="2""#,
                r#"failures="-1""#,
                "minInclusive",
            ),
            (
                "totals on testsuites",
                "<testsuites>",
                r#"<testsuites tests="8">"#,
                "'tests' is not allowed",
            ),
            (
                "a missing system-err",
                "<system-err/>",
                "",
                "Expected is ( system-err )",
            ),
            (
                "two suites for one target",
                r#"name="s390x-unknown-linux-gnu" package"#,
                r#"name="x86_64-unknown-linux-gnu" package"#,
                "one-suite-per-target",
            ),
        ] {
            let bad = xml.replacen(from, to, 1);
            assert_ne!(bad, xml, "{what}: nothing replaced");
            match validators::junit_schema_errors(&bad, "broken-junit.xml") {
                Ok(()) => panic!("the schema accepted {what}"),
                Err(e) => assert!(e.contains(complaint), "{what}: {e}"),
            }
        }
    }
}
