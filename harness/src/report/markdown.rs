//! Markdown: totals, verdict groups (byte-order bugs first), minimal inputs and replay
//! commands, sized for a GitHub job summary or a PR comment.

use std::io::{self, Write};

use super::one_line;
use crate::results::{RunResults, TargetStatus};
use crate::triage::{failure_label, tests_across, Verdict};

/// Failures shown per verdict group before the rest is summarised.
const PER_GROUP: usize = 50;

pub fn write_markdown(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    writeln!(
        out,
        "## bele: {} tests on {} targets\n",
        tests_across(results).len(),
        results.targets.len()
    )?;
    writeln!(
        out,
        "| target | endian | bits | status | passed | failed | crashed | timed out | ignored |"
    )?;
    writeln!(out, "|---|---|---|---|---:|---:|---:|---:|---:|")?;
    for t in &results.targets {
        let c = t.counts();
        let status = match t.status {
            TargetStatus::Ran if c.failures() == 0 => "✅ ran".to_string(),
            TargetStatus::Ran => "❌ ran".to_string(),
            TargetStatus::BuildFailed => "❌ build failed".to_string(),
            TargetStatus::Unavailable => format!(
                "⚠️ unavailable: {}",
                cell(t.reason.as_deref().unwrap_or_default())
            ),
            TargetStatus::Interrupted | TargetStatus::Pending => "⚠️ interrupted".to_string(),
        };
        writeln!(
            out,
            "| `{}` | {} | {} | {status} | {} | {} | {} | {} | {} |",
            t.triple,
            t.endian,
            t.pointer_width,
            c.passed,
            c.failed,
            c.crashed,
            c.timed_out,
            c.ignored
        )?;
    }
    let mut failing: Vec<_> = tests_across(results)
        .into_iter()
        .filter(|t| t.has_failure())
        .collect();
    failing.sort_by_key(|t| t.verdict);
    let mut group: Option<Verdict> = None;
    let mut shown = 0;
    for (i, t) in failing.iter().enumerate() {
        if group != Some(t.verdict) {
            group = Some(t.verdict);
            shown = 0;
            let n = failing.iter().filter(|o| o.verdict == t.verdict).count();
            writeln!(out, "\n### {} ({n})\n", t.verdict.label())?;
        }
        shown += 1;
        if shown > PER_GROUP {
            if failing
                .get(i + 1)
                .is_none_or(|next| next.verdict != t.verdict)
            {
                writeln!(
                    out,
                    "- ... and {} more (see the results file)",
                    shown - PER_GROUP
                )?;
            }
            continue;
        }
        let failures = t.failures(results);
        let on: Vec<String> = failures
            .iter()
            .map(|(r, target)| format!("`{}`", failure_label(r, target)))
            .collect();
        writeln!(
            out,
            "- **{}** `{}`: {}",
            code(t.binary),
            code(t.name),
            on.join(", ")
        )?;
        let first = failures.first().copied();
        if let Some((r, target)) = first {
            if let Some(input) = &r.minimal_input {
                writeln!(out, "  - minimal input: `{}`", code(&one_line(input)))?;
            }
            if let Some(bin) = target.binaries.iter().find(|b| b.id == t.binary) {
                writeln!(
                    out,
                    "  - replay on `{}`: `{}`",
                    target.triple,
                    code(&target.repro_line(bin, t.name, results.config.seed))
                )?;
            }
        }
    }
    if failing.is_empty() {
        writeln!(out, "\nAll tests passed on every target that ran.")?;
    }
    writeln!(out, "\nproptest seed: `{}`", results.config.seed)
}

/// Text for a table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

/// Text inside backticks: a backtick would end the span early.
fn code(s: &str) -> String {
    s.replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;

    #[test]
    fn big_endian_group_with_minimal_input_and_replay() {
        let mut out = Vec::new();
        write_markdown(&mut out, &sample()).unwrap();
        let md = String::from_utf8(out).unwrap();
        assert!(md.starts_with("## bele: 4 tests on 2 targets\n"), "{md}");
        assert!(
            md.contains("| `s390x-unknown-linux-gnu` | big | 64 | ❌ ran | 1 | 1 | 1 | 0 | 1 |"),
            "{md}"
        );
        assert!(md.contains("### fails on big-endian only (2)"), "{md}");
        assert!(
            md.contains("- **pkg** `be_bug`: `s390x (crashed: SIGBUS)`"),
            "{md}"
        );
        assert!(
            md.contains("  - minimal input: `bytes = [0, 0, 0, 1]`"),
            "{md}"
        );
        assert!(md.contains("  - replay on `s390x-unknown-linux-gnu`: `cd /src/pkg && PROPTEST_RNG_SEED=42 qemu-x -L /s /t/pkg-1 --exact be_bug --nocapture`"), "{md}");
        assert!(md.ends_with("proptest seed: `42`\n"));
    }
}
