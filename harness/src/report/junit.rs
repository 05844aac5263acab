//! JUnit XML: one `testsuite` per target, test cases named with their target, failure text
//! with the verdict and the minimal input, for CI systems that read JUnit.

use std::io::{self, Write};

use super::escape_markup as esc;
use crate::results::{Outcome, RunResults, TargetStatus};
use crate::triage::tests_across;

pub fn write_junit(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    let verdicts: std::collections::HashMap<(&str, &str), &'static str> = tests_across(results)
        .iter()
        .map(|t| ((t.binary, t.name), t.verdict.label()))
        .collect();
    let mut all = crate::results::Counts::default();
    for t in &results.targets {
        let c = t.counts();
        all.passed += c.passed;
        all.failed += c.failed;
        all.crashed += c.crashed + c.timed_out;
        all.ignored += c.ignored + c.not_run;
    }
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="bele" tests="{}" failures="{}" errors="{}" skipped="{}" time="{:.3}">"#,
        all.total(),
        all.failed,
        all.crashed,
        all.ignored,
        results.duration_ms as f64 / 1000.0
    )?;
    for t in &results.targets {
        let c = t.counts();
        let build_failed = t.status == TargetStatus::BuildFailed;
        let time: u64 = t
            .binaries
            .iter()
            .flat_map(|b| &b.tests)
            .map(|r| r.duration_ms)
            .sum();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="{}" time="{:.3}">"#,
            esc(&t.triple),
            c.total() + usize::from(build_failed),
            c.failed,
            c.crashed + c.timed_out + usize::from(build_failed),
            c.ignored + c.not_run,
            time as f64 / 1000.0
        )?;
        writeln!(out, "    <properties>")?;
        for (k, v) in [
            ("endian", t.endian.to_string()),
            ("pointer_width", t.pointer_width.to_string()),
            ("runner", t.runner.clone()),
            ("qemu_version", t.qemu_version.clone().unwrap_or_default()),
            ("std", t.std.clone().unwrap_or_default()),
            ("status", format!("{:?}", t.status)),
            ("seed", results.config.seed.to_string()),
        ] {
            writeln!(out, r#"      <property name="{k}" value="{}"/>"#, esc(&v))?;
        }
        writeln!(out, "    </properties>")?;
        if build_failed {
            let log = t
                .build
                .as_ref()
                .and_then(|b| b.log_tail.as_deref())
                .unwrap_or_default();
            writeln!(
                out,
                r#"    <testcase name="build [{0}]" classname="{0}">"#,
                esc(&t.triple)
            )?;
            writeln!(
                out,
                r#"      <error message="build failed" type="build-failed">{}</error>"#,
                esc(log)
            )?;
            writeln!(out, "    </testcase>")?;
        }
        for b in &t.binaries {
            for r in &b.tests {
                writeln!(
                    out,
                    r#"    <testcase name="{} [{}]" classname="{}.{}" time="{:.3}">"#,
                    esc(&r.name),
                    esc(t.short_name()),
                    esc(&t.triple),
                    esc(&b.id),
                    r.duration_ms as f64 / 1000.0
                )?;
                let verdict = verdicts
                    .get(&(b.id.as_str(), r.name.as_str()))
                    .copied()
                    .unwrap_or_default();
                let mut body = r.output.clone().unwrap_or_default();
                if let Some(input) = &r.minimal_input {
                    body = format!("minimal failing input: {input}\n{body}");
                }
                match r.outcome {
                    Outcome::Passed => {}
                    Outcome::Failed => writeln!(
                        out,
                        r#"      <failure message="failed: {}" type="failed">{}</failure>"#,
                        esc(verdict),
                        esc(&body)
                    )?,
                    Outcome::Crashed | Outcome::TimedOut => {
                        let what = match (r.outcome, &r.signal) {
                            (Outcome::Crashed, Some(sig)) => format!("crashed ({sig})"),
                            (o, _) => o.label().to_string(),
                        };
                        writeln!(
                            out,
                            r#"      <error message="{}: {}" type="{}">{}</error>"#,
                            esc(&what),
                            esc(verdict),
                            r.outcome.label().replace(' ', "-"),
                            esc(&body)
                        )?;
                    }
                    Outcome::Ignored | Outcome::NotRun => {
                        writeln!(out, r#"      <skipped message="{}"/>"#, esc(&body))?
                    }
                }
                writeln!(out, "    </testcase>")?;
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;

    #[test]
    fn one_suite_per_target_with_escaped_failures() {
        let mut out = Vec::new();
        write_junit(&mut out, &sample()).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(
            xml.contains(
                r#"<testsuites name="bele" tests="8" failures="1" errors="1" skipped="2""#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"<testsuite name="s390x-unknown-linux-gnu" tests="4" failures="1" errors="1" skipped="1""#), "{xml}");
        assert!(xml.contains(r#"<testcase name="prop &lt;script&gt;|# [s390x]" classname="s390x-unknown-linux-gnu.pkg""#), "{xml}");
        assert!(xml.contains(r#"<failure message="failed: fails on big-endian only" type="failed">minimal failing input: bytes = [0, 0, 0, 1]"#), "{xml}");
        assert!(xml.contains("right: 16777216 &amp; more"), "{xml}");
        assert!(xml.contains(r#"<error message="crashed (SIGBUS): fails on big-endian only" type="crashed">died [31mhere</error>"#), "{xml}");
        assert!(
            !xml.contains('\u{1b}') && !xml.contains("<script>"),
            "{xml}"
        );
        assert_eq!(
            xml.matches("<testcase ").count(),
            xml.matches("</testcase>").count()
        );
    }
}
