//! Markdown: the answer first (counts by verdict, one line per verdict group with its
//! targets, the tests x targets matrix of what did not pass everywhere), the targets' table
//! and timings folded in `<details>`, then the verdict groups (byte-order bugs first) with
//! minimal inputs and replay commands, and differing probe records; sized for a GitHub job
//! summary or a PR comment.

use std::io::{self, Write};

use super::one_line;
use crate::analyze::findings::Findings;
use crate::analyze::triage::failure_label;
use crate::analyze::verdict::Verdict;
use crate::model::{RunResults, TargetStatus};

/// Failures shown per verdict group before the rest is summarised.
const PER_GROUP: usize = 50;

pub fn write_markdown(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    let found = Findings::of(results);
    writeln!(
        out,
        "## bele: {} tests on {} targets\n",
        found.tests.len(),
        results.targets.len()
    )?;
    writeln!(out, "**{}**\n", found.closing_line())?;
    write_answer(out, results, &found)?;
    writeln!(
        out,
        "\n<details><summary>Targets: {} ran, {} not</summary>\n",
        (results.targets.iter())
            .filter(|t| t.status == TargetStatus::Ran)
            .count(),
        (results.targets.iter())
            .filter(|t| t.status != TargetStatus::Ran)
            .count()
    )?;
    write_targets(out, results)?;
    write_time_spent(out, results)?;
    writeln!(out, "\n</details>")?;
    if let Some(b) = &found.build {
        let on: Vec<String> = b.failed.iter().map(|t| format!("`{t}`")).collect();
        writeln!(out, "\n### {}\n\n- {}", b.verdict_label, on.join(", "))?;
    }
    let errors = crate::analyze::findings::executable_errors(results);
    if !errors.is_empty() {
        writeln!(
            out,
            "\n### Test executables that could not run ({})\n",
            errors.len()
        )?;
        for (triple, binary, error) in errors {
            writeln!(
                out,
                "- `{}` on `{triple}`: {}",
                code(binary),
                one_line(error)
            )?;
        }
    }
    let failing = write_failing(out, results, &found)?;
    write_differences(out, results, &found)?;
    write_layouts(out, results, &found)?;
    if failing == 0 && found.differences.is_empty() && found.layouts.is_empty() {
        writeln!(out, "\nAll tests passed on every target that ran.")?;
    }
    writeln!(out, "\nproptest seed: `{}`", results.config.seed)
}

/// The `#[repr]` types whose layouts differ, a section per verdict (failing ones first),
/// with what moved where; then the count and what was not compared.
fn write_layouts(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
) -> io::Result<()> {
    let Some((line, notes)) = super::layouts_lines(results, found) else {
        return Ok(());
    };
    for (label, fails, members) in super::layout_groups(found, results.config.strict) {
        let note = if fails {
            ""
        } else {
            ": not failing without `--strict`"
        };
        writeln!(out, "\n### {label} ({}){note}\n", members.len())?;
        for (_, l) in members {
            writeln!(out, "- **{}**", l.what())?;
            for c in l.lines() {
                writeln!(out, "  - {}", one_line(&c))?;
            }
        }
    }
    writeln!(out, "\n{}", one_line(&line))?;
    for n in notes {
        writeln!(out, "\n- {}", one_line(&n))?;
    }
    Ok(())
}

/// Rows of the first screen's matrix before the rest is left to the sections below.
const MATRIX_ROWS: usize = 20;

/// The first screen: counts by verdict, one line per verdict group with its targets, and
/// the tests x targets matrix of the tests that did not pass everywhere (failures first),
/// the rest folded into one count.
fn write_answer(out: &mut dyn Write, results: &RunResults, found: &Findings<'_>) -> io::Result<()> {
    let groups = found.groups(results);
    if groups.is_empty() {
        return Ok(());
    }
    let counts = crate::analyze::findings::group_counts(&groups);
    writeln!(out, "{}\n", counts.join(" · "))?;
    for g in &groups {
        let mark = if g.kind.fails() { "❌" } else { "⚠️" };
        let n = g.count_suffix();
        writeln!(
            out,
            "- {mark} **{}**{n}: {}",
            cell(&g.label),
            g.targets.join(", ")
        )?;
    }
    let mut rows: Vec<_> = (found.tests.iter())
        .filter(|t| super::summary::troubled(found, t))
        .collect();
    if rows.is_empty() && found.layouts.is_empty() {
        return Ok(());
    }
    // Failures first, then differing outputs and layouts.
    rows.sort_by_key(|t| !t.has_failure());
    let plain = super::style::Style { color: false };
    let names: Vec<&str> = results.targets.iter().map(|t| t.short_name()).collect();
    writeln!(out, "\n| test | {} |", names.join(" | "))?;
    writeln!(out, "|---|{}", ":-:|".repeat(names.len()))?;
    for t in rows.iter().take(MATRIX_ROWS) {
        let cells: Vec<String> = (t.per_target.iter())
            .zip(&results.targets)
            .map(|(r, target)| super::summary::matrix_cell(found, t, *r, target, plain))
            .collect();
        writeln!(
            out,
            "| `{}` | {} |",
            cell(&code(&format!("{} {}", t.binary, t.name))),
            cells.join(" | ")
        )?;
    }
    for l in found
        .layouts
        .iter()
        .take(MATRIX_ROWS.saturating_sub(rows.len()))
    {
        let cells: Vec<String> = (results.targets.iter())
            .map(|t| super::summary::layout_cell(l, t, results.config.strict, plain))
            .collect();
        writeln!(
            out,
            "| `{}` | {} |",
            cell(&code(&super::summary::layout_row_name(l))),
            cells.join(" | ")
        )?;
    }
    let rest = (rows.len() + found.layouts.len()).saturating_sub(MATRIX_ROWS);
    let passing = found.tests.len() - rows.len();
    writeln!(
        out,
        "\n{}{passing} more {} on every target where {} ran. Symbols: {}.",
        if rest > 0 {
            format!("{rest} more not shown here (below). ")
        } else {
            String::new()
        },
        if passing == 1 {
            "test passes"
        } else {
            "tests pass"
        },
        if passing == 1 { "it" } else { "they" },
        super::summary::MATRIX_LEGEND
    )
}

/// One row per target: its traits, status and counts.
fn write_targets(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    writeln!(
        out,
        "| target | endian | bits | status | passed | failed | crashed | timed out | ignored | not run |"
    )?;
    writeln!(out, "|---|---|---|---|---:|---:|---:|---:|---:|---:|")?;
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
            "| `{}` | {} | {} | {status} | {} | {} | {} | {} | {} | {} |",
            t.triple,
            t.endian,
            t.pointer_width,
            c.passed,
            c.failed,
            c.crashed,
            c.timed_out,
            c.ignored,
            c.not_run
        )?;
    }
    let left_out: Vec<(&str, &String)> = (results.targets.iter())
        .flat_map(|t| (t.build.iter().flat_map(|b| &b.left_out)).map(|n| (t.triple.as_str(), n)))
        .collect();
    if !left_out.is_empty() {
        writeln!(out)?;
        for (triple, note) in left_out {
            writeln!(out, "- left out on `{triple}`: {}", cell(note))?;
        }
    }
    Ok(())
}

/// Where each target's time went.
fn write_time_spent(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    let spent = crate::analyze::findings::time_spent(results);
    if !spent.is_empty() {
        writeln!(
            out,
            "\n### Where time went\n\n| target | std into the cache | build | tests (wall) | slowest tests |\n|---|---:|---:|---:|---|"
        )?;
        for t in &spent {
            let slowest: Vec<String> = t
                .slowest
                .iter()
                .map(|(b, n, ms)| {
                    format!("`{}` {}", code(&format!("{b} {n}")), super::secs(Some(*ms)))
                })
                .collect();
            writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                t.triple,
                super::secs(t.std_ms),
                super::secs(t.build_ms),
                super::secs(t.tests_ms),
                cell(&slowest.join(", "))
            )?;
        }
    }
    Ok(())
}

/// The failing tests by verdict, each with where it failed, its minimal input and replay
/// line. Returns how many tests fail.
fn write_failing(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
) -> io::Result<usize> {
    let mut failing: Vec<_> = found.tests.iter().filter(|t| t.has_failure()).collect();
    failing.sort_by(|a, b| a.verdict.cmp(&b.verdict));
    let mut group: Option<&Verdict> = None;
    let mut shown = 0;
    for (i, t) in failing.iter().enumerate() {
        if group != Some(&t.verdict) {
            group = Some(&t.verdict);
            shown = 0;
            let n = failing.iter().filter(|o| o.verdict == t.verdict).count();
            writeln!(out, "\n### {} ({n})\n", t.verdict.label())?;
        }
        let last = failing
            .get(i + 1)
            .is_none_or(|next| next.verdict != t.verdict);
        if !within_group(out, &mut shown, last)? {
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
        for note in &t.notes {
            writeln!(out, "  - {}", one_line(note))?;
        }
        let first = failures.first().copied();
        if let Some((r, target)) = first {
            if let Some(input) = &r.minimal_input {
                writeln!(out, "  - minimal input: `{}`", code(&one_line(input)))?;
            }
            if let Some(line) =
                crate::execute::invocation::repro_of(target, t.binary, t.name, &results.config)
            {
                writeln!(out, "  - replay on `{}`: `{}`", target.triple, code(&line))?;
            }
        }
    }
    Ok(failing.len())
}

fn write_differences(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
) -> io::Result<()> {
    let mut group: Option<&String> = None;
    let mut shown = 0;
    for (i, d) in found.differences.iter().enumerate() {
        let n = found.differences[i..]
            .iter()
            .take_while(|o| o.verdict_label == d.verdict_label)
            .count();
        if group != Some(&d.verdict_label) {
            group = Some(&d.verdict_label);
            shown = 0;
            writeln!(out, "\n### {} ({n})\n", d.verdict_label)?;
        }
        if !within_group(out, &mut shown, n == 1)? {
            continue;
        }
        writeln!(
            out,
            "- **{}** `{}`: {} ({})",
            code(d.binary),
            code(d.test),
            code(&d.what()),
            d.scope.label()
        )?;
        for c in &d.comparisons {
            writeln!(
                out,
                "  - `{}`",
                code(&one_line(
                    &crate::analyze::differential::describe_comparison(c)
                ))
            )?;
        }
        if let Some(n) = &d.note {
            writeln!(out, "  - note: {}", one_line(n))?;
        }
        if let Some((triple, line)) = d.replay(results) {
            writeln!(out, "  - replay on `{triple}`: `{}`", code(&line))?;
        }
    }
    for s in &found.not_compared {
        writeln!(
            out,
            "\n- probe records of `{}` `{}` not compared: {}",
            code(s.binary),
            code(s.test),
            one_line(&s.reason)
        )?;
    }
    for n in &found.probe_notes {
        writeln!(out, "\n- {}", one_line(&n.line()))?;
    }
    for a in &found.alone {
        writeln!(out, "\n- {}", super::alone_line(a))?;
    }
    Ok(())
}

/// Counts one more item of a verdict group: whether to show it. Past `PER_GROUP` items it
/// is not shown, and at the group's `last` item a line says how many were left out.
fn within_group(out: &mut dyn Write, shown: &mut usize, last: bool) -> io::Result<bool> {
    *shown += 1;
    if *shown <= PER_GROUP {
        return Ok(true);
    }
    if last {
        writeln!(
            out,
            "- ... and {} more (see the results file)",
            *shown - PER_GROUP
        )?;
    }
    Ok(false)
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
    use crate::testdata::sample;

    #[test]
    fn big_endian_group_with_minimal_input_and_replay() {
        let mut out = Vec::new();
        write_markdown(&mut out, &sample()).unwrap();
        let md = String::from_utf8(out).unwrap();
        assert!(md.starts_with("## bele: 6 tests on 2 targets\n"), "{md}");
        assert!(
            md.contains("| `s390x-unknown-linux-gnu` | big | 64 | ❌ ran | 3 | 1 | 1 | 0 | 1 |"),
            "{md}"
        );
        assert!(md.contains("\n### output differs on big-endian only (1)\n\n- **pkg** `round_trip <&>`: wire record 'frame \"hdr\"' (across all targets)\n  - `record 1, byte 0: x86_64: [02] 01 (2 bytes) | s390x: [01] 02 (2 bytes)`\n  - replay on `s390x-unknown-linux-gnu`: `cd /src/pkg && PROPTEST_RNG_SEED=42 PROPTEST_RNG_ALGORITHM=xs qemu-x -L /s /t/pkg-1 --exact 'round_trip <&>' --nocapture`\n"), "{md}");
        assert!(md.contains("### fails on big-endian only (2)"), "{md}");
        assert!(
            md.contains("- **pkg** `be_bug`: `s390x (crashed: SIGBUS)`"),
            "{md}"
        );
        assert!(
            md.contains("  - minimal input: `bytes = [0, 0, 0, 1]`"),
            "{md}"
        );
        assert!(md.contains("  - replay on `s390x-unknown-linux-gnu`: `cd /src/pkg && PROPTEST_RNG_SEED=42 PROPTEST_RNG_ALGORITHM=xs qemu-x -L /s /t/pkg-1 --exact be_bug --nocapture`"), "{md}");
        assert!(md.ends_with("proptest seed: `42`\n"));
    }

    #[test]
    fn the_first_screen_is_the_answer() {
        let mut out = Vec::new();
        write_markdown(&mut out, &crate::testdata::every_status()).unwrap();
        let md = String::from_utf8(out).unwrap();
        // Counts by verdict, the groups with their targets, and the matrix, all before the
        // targets' table, which is folded.
        let answer = md.split("<details>").next().unwrap();
        assert!(
            answer.contains(
                "\n3 failing · 1 output differs · 1 target fails to build · 1 test executable \
                 could not run · 1 target unavailable · 1 target with tests not run\n"
            ),
            "{answer}"
        );
        assert!(
            answer.contains("- ❌ **fails on big-endian only** (1): s390x\n"),
            "{answer}"
        );
        assert!(
            answer.contains("- ❌ **test executable could not run** (1): mips\n"),
            "{answer}"
        );
        assert!(answer.contains("| `pkg prop <script>\\|#` | . | F | B | U | - |"));
        assert!(
            answer.contains("- ❌ **output differs on big-endian only** (1): s390x\n"),
            "{answer}"
        );
        assert!(
            answer.contains("- ⚠️ **unavailable**: sparc64\n"),
            "{answer}"
        );
        assert!(answer.contains("| test | x86_64 | s390x | powerpc | sparc64 | mips |\n"));
        // Failures first; a test that passed everywhere but whose output differs after.
        let be_bug = answer.find("| `pkg be_bug` | - | C | B | U | - |").unwrap();
        let round_trip = answer
            .find("| `pkg round_trip <&>` | . | D | B | U | - |")
            .unwrap();
        assert!(be_bug < round_trip, "{answer}");
        assert!(answer.contains("more tests pass on every target where they ran"));
        assert!(
            md.contains("<details><summary>Targets: 3 ran, 2 not</summary>"),
            "{md}"
        );
    }

    #[test]
    fn a_long_group_is_cut_and_says_how_much() {
        use crate::model::ProbeKind;
        use crate::testdata::{probed, results, target};
        let mut r = results(vec![
            target("x86_64-unknown-linux-gnu", vec![]),
            target("s390x-unknown-linux-gnu", vec![]),
        ]);
        for i in 0..PER_GROUP + 5 {
            for (t, bytes) in [(0, [1u8, 0]), (1, [0, 1])] {
                let (test, seqs) = probed(&format!("t{i:03}"), ProbeKind::Wire, "x", &[&bytes]);
                r.targets[t].binaries[0].tests.push(test);
                r.probe_sequences.extend(seqs);
            }
        }
        let mut out = Vec::new();
        write_markdown(&mut out, &r).unwrap();
        let md = String::from_utf8(out).unwrap();
        assert!(
            md.contains(&format!(
                "### output differs on big-endian only ({})",
                PER_GROUP + 5
            )),
            "{md}"
        );
        assert_eq!(md.matches("- **pkg**").count(), PER_GROUP, "{md}");
        assert!(
            md.contains("- ... and 5 more (see the results file)\n"),
            "{md}"
        );
    }
}
