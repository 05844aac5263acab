//! HTML: one self-contained file (no network): a test x target matrix coloured by outcome,
//! verdict groups, filters by verdict, arch and endianness (also preset from the address:
//! `report.html#verdict=fails-on-big-endian-only&endian=big`), failure details and the probe
//! records that differ. Every string that comes from tests or targets is escaped.

use std::io::{self, Write};

use super::escape_markup as esc;
use crate::analyze::findings::Findings;
use crate::model::{Outcome, RunResults, TargetStatus};

const STYLE: &str =
    "body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:2px 6px}th.t{writing-mode:vertical-rl;transform:rotate(180deg)}\
td.passed{background:#c8e6c9}td.failed,td.crashed,td.timed-out{background:#ef9a9a}\
td.ignored,td.not-run{background:#fff59d}td.none{background:#eee}td.differs{background:#ffcc80}\
.hidden{display:none}\
pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}.verdict{color:#555}";

const SCRIPT: &str = "function apply(){var v=document.getElementById('verdict').value,\
a=document.getElementById('arch').value,e=document.getElementById('endian').value;\
document.querySelectorAll('[data-target]').forEach(function(c){var ok=(a==''||c.dataset.arch==a)&&(e==''||c.dataset.endian==e);\
c.classList.toggle('hidden',!ok)});\
document.querySelectorAll('[data-verdict]').forEach(function(r){r.classList.toggle('hidden',v!=''&&r.dataset.verdict!=v)})}\
window.addEventListener('load',function(){var h=new URLSearchParams(location.hash.slice(1));\
['verdict','arch','endian'].forEach(function(k){if(h.get(k)!==null)document.getElementById(k).value=h.get(k)});apply()});";

pub fn write_html(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    let found = Findings::of(results);
    let tests = &found.tests;
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<title>bele {}</title><style>{STYLE}</style><script>{SCRIPT}</script></head><body>",
        esc(&results.run_id)
    )?;
    writeln!(
        out,
        "<h1>bele: {} tests on {} targets</h1><p>run {} &middot; proptest seed {} &middot; {}</p>",
        tests.len(),
        results.targets.len(),
        esc(&results.run_id),
        results.config.seed,
        esc(&results.toolchain.rustc)
    )?;
    writeln!(
        out,
        "<p class=\"summary\">{}</p>",
        esc(&found.closing_line())
    )?;
    write_filters(out, results, &found)?;
    // Rows and failure details in verdict order (byte-order bugs first), by name within.
    let mut order: Vec<usize> = (0..tests.len()).collect();
    order.sort_by(|&a, &b| tests[a].verdict.cmp(&tests[b].verdict));
    write_matrix(out, results, &found, &order)?;
    write_failures(out, results, tests, &order)?;
    write_differences(out, results, &found, &order)?;
    if let Some(b) = &found.build {
        writeln!(out, "<h2>{}</h2>", esc(&b.verdict_label))?;
    }
    for t in results
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::BuildFailed)
    {
        let log = t
            .build
            .as_ref()
            .and_then(|b| b.log_tail.as_deref())
            .unwrap_or_default();
        writeln!(
            out,
            "<section><h3>build failed: {}</h3><pre>{}</pre></section>",
            esc(&t.triple),
            esc(log)
        )?;
    }
    let errors = crate::analyze::findings::executable_errors(results);
    if !errors.is_empty() {
        writeln!(
            out,
            "<h2>Test executables that could not run ({})</h2>",
            errors.len()
        )?;
        for (triple, binary, error) in errors {
            writeln!(
                out,
                "<section><h3>{} on {}</h3><pre>{}</pre></section>",
                esc(binary),
                esc(triple),
                esc(error)
            )?;
        }
    }
    writeln!(out, "</body></html>")
}

/// The filters over the matrix and the details: verdict, arch, byte order.
fn write_filters(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
) -> io::Result<()> {
    let tests = &found.tests;
    let mut verdicts: Vec<String> = tests.iter().map(|t| found.row_verdict(t)).collect();
    verdicts.extend(found.differences.iter().map(|d| d.verdict_label.clone()));
    verdicts.sort();
    verdicts.dedup();
    let mut arches: Vec<&str> = results.targets.iter().map(|t| t.arch.name()).collect();
    arches.sort_unstable();
    arches.dedup();
    write!(
        out,
        "<p>verdict <select id=\"verdict\" onchange=\"apply()\"><option value=\"\">all</option>"
    )?;
    for v in &verdicts {
        write!(out, "<option value=\"{}\">{}</option>", slug(v), esc(v))?;
    }
    write!(
        out,
        "</select> arch <select id=\"arch\" onchange=\"apply()\"><option value=\"\">all</option>"
    )?;
    for a in &arches {
        write!(out, "<option>{a}</option>")?;
    }
    writeln!(
        out,
        "</select> endian <select id=\"endian\" onchange=\"apply()\"><option value=\"\">all</option><option>big</option><option>little</option></select></p>"
    )?;

    Ok(())
}

/// The tests x targets table, rows in `order`.
fn write_matrix(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
    order: &[usize],
) -> io::Result<()> {
    let tests = &found.tests;
    writeln!(
        out,
        "<table id=\"matrix\"><thead><tr><th>test</th><th>verdict</th>"
    )?;
    for t in &results.targets {
        writeln!(
            out,
            "<th class=\"t\" data-target=\"{0}\" data-arch=\"{1}\" data-endian=\"{2}\" title=\"{0}\">{0}</th>",
            esc(&t.triple),
            t.arch.name(),
            t.endian
        )?;
    }
    writeln!(out, "</tr></thead><tbody>")?;
    for &i in order {
        let t = &tests[i];
        let verdict = found.row_verdict(t);
        write!(
            out,
            "<tr data-verdict=\"{}\"><td><a href=\"#t{i}\">{} {}</a></td><td class=\"verdict\">{}</td>",
            slug(&verdict),
            esc(t.binary),
            esc(t.name),
            esc(&verdict)
        )?;
        for (r, target) in t.per_target.iter().zip(&results.targets) {
            let differs = !found.differing(&target.triple, t.binary, t.name).is_empty();
            let (class, text) = match (target.status, r) {
                (TargetStatus::BuildFailed, _) => ("failed", "build failed".to_string()),
                (TargetStatus::Unavailable, _) => ("none", "unavailable".to_string()),
                (_, None) => ("none", "-".to_string()),
                (_, Some(r)) if r.outcome == Outcome::Passed && differs => {
                    ("differs", "differs".to_string())
                }
                (_, Some(r)) => (
                    class(r.outcome),
                    r.signal
                        .as_ref()
                        .map_or_else(|| r.outcome.label().to_string(), ToString::to_string),
                ),
            };
            write!(
                out,
                "<td class=\"{class}\" data-target=\"{}\" data-arch=\"{}\" data-endian=\"{}\">{}</td>",
                esc(&target.triple),
                target.arch.name(),
                target.endian,
                esc(&text)
            )?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody></table>")
}

/// Each failing test's details, grouped by verdict, in `order`.
fn write_failures(
    out: &mut dyn Write,
    results: &RunResults,
    tests: &[crate::analyze::triage::TestAcross<'_>],
    order: &[usize],
) -> io::Result<()> {
    writeln!(out, "<h2>failures</h2>")?;
    let mut group = None;
    for &i in order {
        let t = &tests[i];
        let failing = t.failures(results);
        if failing.is_empty() {
            continue;
        }
        let label = t.verdict.label();
        if group != Some(&t.verdict) {
            group = Some(&t.verdict);
            let n = tests
                .iter()
                .filter(|o| o.verdict == t.verdict && o.has_failure())
                .count();
            writeln!(
                out,
                "<h3 class=\"group\" data-verdict=\"{}\">{} ({n})</h3>",
                slug(&label),
                esc(&label)
            )?;
        }
        writeln!(
            out,
            "<section id=\"t{i}\" data-verdict=\"{}\"><h4>{} {}</h4><p class=\"verdict\">{}</p>",
            slug(&label),
            esc(t.binary),
            esc(t.name),
            esc(&label)
        )?;
        if let Some(note) = &t.rechecked {
            writeln!(out, "<p class=\"rechecked\">{}</p>", esc(note))?;
        }
        for (r, target) in failing {
            writeln!(
                out,
                "<h5>{}: {}</h5>",
                esc(&target.triple),
                esc(&r
                    .signal
                    .as_ref()
                    .map_or_else(|| r.outcome.label().into(), ToString::to_string))
            )?;
            if let Some(input) = &r.minimal_input {
                writeln!(out, "<p>minimal input: <code>{}</code></p>", esc(input))?;
            }
            if let Some(line) =
                crate::execute::invocation::repro_of(target, t.binary, t.name, &results.config)
            {
                writeln!(out, "<p>replay: <code>{}</code></p>", esc(&line))?;
            }
            writeln!(
                out,
                "<pre>{}</pre>",
                esc(r.output.as_deref().unwrap_or_default())
            )?;
        }
        writeln!(out, "</section>")?;
    }
    Ok(())
}

/// The differing probe records, grouped by verdict; each under the id of its test's row
/// link when the test passes everywhere (the row links there).
fn write_differences(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
    order: &[usize],
) -> io::Result<()> {
    if found.differences.is_empty()
        && found.not_compared.is_empty()
        && found.alone.is_empty()
        && found.probe_notes.is_empty()
    {
        return Ok(());
    }
    writeln!(out, "<h2>output that differs between targets</h2>")?;
    let mut group = None;
    let mut anchored: Vec<usize> = Vec::new();
    for d in &found.differences {
        if group != Some(&d.verdict_label) {
            group = Some(&d.verdict_label);
            let n = found
                .differences
                .iter()
                .filter(|o| o.verdict_label == d.verdict_label)
                .count();
            writeln!(
                out,
                "<h3 class=\"group\" data-verdict=\"{}\">{} ({n})</h3>",
                slug(&d.verdict_label),
                esc(&d.verdict_label)
            )?;
        }
        // The row of a test that passes everywhere links to its first difference.
        let row = order.iter().copied().find(|&i| {
            let t = &found.tests[i];
            t.binary == d.binary && t.name == d.test && !t.has_failure()
        });
        let id = match row {
            Some(i) if !anchored.contains(&i) => {
                anchored.push(i);
                format!(" id=\"t{i}\"")
            }
            _ => String::new(),
        };
        writeln!(
            out,
            "<section{id} data-verdict=\"{}\"><h4>{} {}: {}</h4><p class=\"verdict\">{} ({})</p>",
            slug(&d.verdict_label),
            esc(d.binary),
            esc(d.test),
            esc(&d.what()),
            esc(&d.verdict_label),
            esc(d.scope.label())
        )?;
        writeln!(out, "<ul>")?;
        for c in &d.comparisons {
            writeln!(
                out,
                "<li><code>{}</code></li>",
                esc(&crate::analyze::differential::describe_comparison(c))
            )?;
        }
        writeln!(out, "</ul>")?;
        if let Some(n) = &d.note {
            writeln!(out, "<p>note: {}</p>", esc(n))?;
        }
        if let Some((triple, line)) = d.replay(results) {
            writeln!(
                out,
                "<p>replay on {}: <code>{}</code></p>",
                esc(triple),
                esc(&line)
            )?;
        }
        writeln!(out, "</section>")?;
    }
    for s in &found.not_compared {
        writeln!(out, "<p>{}</p>", esc(&s.line()))?;
    }
    for a in &found.alone {
        writeln!(out, "<p>{}</p>", esc(&super::alone_line(a)))?;
    }
    for n in &found.probe_notes {
        writeln!(out, "<p>{}</p>", esc(&n.line()))?;
    }
    Ok(())
}

fn class(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Crashed => "crashed",
        Outcome::TimedOut => "timed-out",
        Outcome::Ignored => "ignored",
        Outcome::NotRun => "not-run",
    }
}

fn slug(label: &str) -> String {
    label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testdata::sample;

    #[test]
    fn self_contained_escaped_and_filterable() {
        let mut out = Vec::new();
        write_html(&mut out, &sample()).unwrap();
        let html = String::from_utf8(out).unwrap();
        assert!(
            !html.contains("<script>|") && html.contains("prop &lt;script&gt;|#"),
            "test names are escaped"
        );
        assert_eq!(
            html.matches("<script>").count(),
            1,
            "only bele's own script"
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no network"
        );
        assert!(
            html.contains(
                "<option value=\"fails-on-big-endian-only\">fails on big-endian only</option>"
            ),
            "{html}"
        );
        assert!(html.contains("<td class=\"crashed\" data-target=\"s390x-unknown-linux-gnu\" data-arch=\"s390x\" data-endian=\"big\">SIGBUS</td>"), "{html}");
        assert!(
            html.contains("<p>minimal input: <code>bytes = [0, 0, 0, 1]</code></p>"),
            "{html}"
        );
        assert!(
            html.contains("<pre>left: 1\nright: 16777216 &amp; more</pre>"),
            "{html}"
        );
        assert!(!html.contains('\u{1b}'));
        assert!(html.contains("<td class=\"differs\" data-target=\"s390x-unknown-linux-gnu\" data-arch=\"s390x\" data-endian=\"big\">differs</td>"), "{html}");
        assert!(html.contains("<h3 class=\"group\" data-verdict=\"output-differs-on-big-endian-only\">output differs on big-endian only (1)</h3>"), "{html}");
        assert!(html.contains("<li><code>record 1, byte 0: x86_64: [02] 01 (2 bytes) | s390x: [01] 02 (2 bytes)</code></li>"), "{html}");
    }
}
