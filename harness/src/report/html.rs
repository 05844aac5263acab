//! HTML: one self-contained file (no network): a test x target matrix coloured by outcome,
//! verdict groups, filters by verdict, arch and endianness (also preset from the address:
//! `report.html#verdict=fails-on-big-endian-only&endian=big`), failure details and the probe
//! records that differ. Every string that comes from tests or targets is escaped.

use std::io::{self, Write};

use super::escape_markup as esc;
use crate::analyze::findings::Findings;
use crate::model::{Outcome, RunResults, TargetStatus};

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1em 1.5em;overflow-wrap:anywhere}\
h1{font-size:1.4em;margin:.2em 0}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:2px 6px}th.t{writing-mode:vertical-rl;transform:rotate(180deg)}\
td.passed{background:#c8e6c9}td.failed,td.crashed,td.timed-out{background:#ef9a9a}\
td.ignored,td.not-run{background:#fff59d}td.none{background:#eee}td.differs{background:#ffcc80}\
.hidden{display:none}.fail{color:#b71c1c}.ok{color:#1b5e20}\
#groups{margin:.3em 0;padding-left:1.2em}#groups li{margin:1px 0}\
#grid td,#grid th{padding:0;border:1px solid #fff}#grid th.n{max-width:26em;overflow:hidden;\
text-overflow:ellipsis;white-space:nowrap;text-align:left;font-weight:normal;padding-right:6px}\
#grid th.t{font-weight:normal;font-size:12px;padding:2px 0}\
#grid td.c a{display:block;width:22px;height:19px;line-height:19px;text-align:center;\
text-decoration:none;font:bold 13px ui-monospace,monospace;color:#000}\
#grid .ok a{background:#a5d6a7}#grid .bad a{background:#c62828;color:#fff}\
#grid .diff a{background:#6a1b9a;color:#fff}#grid .warn a{background:#ffb74d}\
#grid .none a{background:#e0e0e0;color:#555}#grid tr.fold td{font-size:12px;padding:2px}\
.legend{font-size:12px;color:#555;margin:.3em 0}\
#strip{display:flex;flex-wrap:wrap;gap:4px;margin:.5em 0}#strip div{border:1px solid #ccc;\
border-left-width:6px;padding:2px 6px;font-size:12px;min-width:9em}\
#strip .s-ok{border-left-color:#2e7d32}#strip .s-bad{border-left-color:#c62828}\
#strip .s-warn{border-left-color:#f9a825}\
pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}.verdict{color:#555}";

const SCRIPT: &str = "function apply(){var v=document.getElementById('verdict').value,\
a=document.getElementById('arch').value,e=document.getElementById('endian').value;\
document.querySelectorAll('[data-target]').forEach(function(c){var ok=(a==''||c.dataset.arch==a)&&(e==''||c.dataset.endian==e);\
c.classList.toggle('hidden',!ok)});\
document.querySelectorAll('[data-verdict]').forEach(function(r){r.classList.toggle('hidden',v!=''&&r.dataset.verdict!=v)})}\
window.addEventListener('load',function(){var h=new URLSearchParams(location.hash.slice(1));\
['verdict','arch','endian'].forEach(function(k){if(h.get(k)!==null)document.getElementById(k).value=h.get(k)});\
if(h.toString()!=''&&document.getElementById('all'))document.getElementById('all').open=true;apply()});";

/// Rows of the first screen's grid; the rest is in the full matrix below.
const GRID_ROWS: usize = 14;

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
        "<h1>bele: {} tests on {} targets</h1>",
        tests.len(),
        results.targets.len(),
    )?;
    writeln!(
        out,
        "<p class=\"summary {}\"><b>{}</b></p>",
        if found.summary.failing() {
            "fail"
        } else {
            "ok"
        },
        esc(&found.closing_line())
    )?;
    // Rows and failure details in verdict order (byte-order bugs first), by name within.
    let mut order: Vec<usize> = (0..tests.len()).collect();
    order.sort_by(|&a, &b| tests[a].verdict.cmp(&tests[b].verdict));
    write_answer(out, results, &found, &order)?;
    write_strip(out, results)?;
    writeln!(
        out,
        "<p class=\"verdict\">run {} &middot; proptest seed {} &middot; {}</p>",
        esc(&results.run_id),
        results.config.seed,
        esc(&results.toolchain.rustc)
    )?;
    writeln!(
        out,
        "<details id=\"all\"><summary>all {} tests &times; {} targets, with filters</summary>",
        tests.len(),
        results.targets.len()
    )?;
    write_filters(out, results, &found)?;
    write_matrix(out, results, &found, &order)?;
    writeln!(out, "</details>")?;
    write_failures(out, results, tests, &order)?;
    write_differences(out, results, &found, &order)?;
    write_layouts(out, results, &found)?;
    if let Some(b) = &found.build {
        writeln!(out, "<h2 id=\"builds\">{}</h2>", esc(&b.verdict_label))?;
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

/// The first screen: counts by verdict, a line per verdict group with its targets (each
/// linking to its details), and the grid of what did not pass everywhere (failures first,
/// colour and symbol, each cell linking to its details), the rest folded into one row.
fn write_answer(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
    order: &[usize],
) -> io::Result<()> {
    use crate::analyze::findings::GroupKind;
    let groups = found.groups(results);
    writeln!(out, "<section id=\"answer\">")?;
    if !groups.is_empty() {
        let counts = crate::analyze::findings::group_counts(&groups);
        writeln!(out, "<p class=\"counts\">{}</p>", esc(&counts.join(" · ")))?;
        writeln!(out, "<ul id=\"groups\">")?;
        for g in &groups {
            let (class, mark) = if g.kind.fails() {
                ("fail", "&#x2717;")
            } else {
                ("warn", "!")
            };
            let href = match g.kind {
                GroupKind::Failing
                | GroupKind::Excused
                | GroupKind::OutputDiffers
                | GroupKind::LayoutDiffers
                | GroupKind::PointerWidth => format!("#g-{}", slug(&g.label)),
                GroupKind::BuildFails => "#builds".into(),
                _ => "#strip".into(),
            };
            let n = g.count_suffix();
            writeln!(
                out,
                "<li class=\"{class}\">{mark} <a href=\"{href}\"><b>{}</b></a>{n}: {}</li>",
                esc(&g.label),
                esc(&g.targets.join(", "))
            )?;
        }
        writeln!(out, "</ul>")?;
    }
    write_grid(out, results, found, order)?;
    writeln!(out, "</section>")
}

/// The compact tests x targets grid of the first screen.
fn write_grid(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
    order: &[usize],
) -> io::Result<()> {
    let tests = &found.tests;
    let mut rows: Vec<usize> = (order.iter().copied())
        .filter(|&i| super::summary::troubled(found, &tests[i]))
        .collect();
    rows.sort_by_key(|&i| !tests[i].has_failure());
    if rows.is_empty() && found.layouts.is_empty() {
        return Ok(());
    }
    let plain = super::style::Style { color: false };
    writeln!(out, "<table id=\"grid\"><thead><tr><th></th>")?;
    for t in &results.targets {
        write!(
            out,
            "<th class=\"t\" title=\"{}\">{}</th>",
            esc(&t.triple),
            esc(t.short_name())
        )?;
    }
    writeln!(out, "</tr></thead><tbody>")?;
    let mut shown = 0;
    for &i in rows.iter().take(GRID_ROWS) {
        let t = &tests[i];
        let name = format!("{} {}", t.binary, t.name);
        // Where the row's details are: its failure or difference section, else the matrix.
        let anchored = t.has_failure() || !found.differences_of(t.binary, t.name).is_empty();
        let row_href = if anchored {
            format!("#t{i}")
        } else {
            "#all".into()
        };
        write!(
            out,
            "<tr><th class=\"n\" title=\"{0}\"><a href=\"{row_href}\">{0}</a></th>",
            esc(&name)
        )?;
        for (k, (r, target)) in t.per_target.iter().zip(&results.targets).enumerate() {
            let symbol = super::summary::matrix_cell(found, t, *r, target, plain);
            let failed_here = r.is_some_and(|r| r.outcome.is_failure());
            let href = if failed_here {
                format!("#t{i}-{k}")
            } else {
                row_href.clone()
            };
            grid_cell(out, &symbol, &href, &target.triple)?;
        }
        writeln!(out, "</tr>")?;
        shown += 1;
    }
    for (j, l) in found.layouts.iter().enumerate() {
        if shown >= GRID_ROWS {
            break;
        }
        let name = super::summary::layout_row_name(l);
        write!(
            out,
            "<tr><th class=\"n\" title=\"{0}\"><a href=\"#l{j}\">{0}</a></th>",
            esc(&name)
        )?;
        for target in &results.targets {
            let symbol = super::summary::layout_cell(l, target, results.config.strict, plain);
            grid_cell(out, &symbol, &format!("#l{j}"), &target.triple)?;
        }
        writeln!(out, "</tr>")?;
        shown += 1;
    }
    let rest = rows.len() + found.layouts.len() - shown;
    let passing = tests.len() - rows.len();
    let mut fold = Vec::new();
    if rest > 0 {
        fold.push(format!("{rest} more rows below"));
    }
    if passing > 0 {
        fold.push(format!(
            "{passing} more {} on every target where {} ran",
            if passing == 1 {
                "test passes"
            } else {
                "tests pass"
            },
            if passing == 1 { "it" } else { "they" }
        ));
    }
    if !fold.is_empty() {
        writeln!(
            out,
            "<tr class=\"fold\"><td colspan=\"{}\"><a href=\"#all\">{}</a></td></tr>",
            results.targets.len() + 1,
            esc(&fold.join("; "))
        )?;
    }
    writeln!(out, "</tbody></table>")?;
    writeln!(
        out,
        "<p class=\"legend\">{}</p>",
        esc(super::summary::MATRIX_LEGEND)
    )
}

/// One cell of the grid: its symbol on a colour of its kind, linking to `href`.
fn grid_cell(out: &mut dyn Write, symbol: &str, href: &str, triple: &str) -> io::Result<()> {
    let class = match symbol {
        "." => "ok",
        "F" | "C" | "T" | "B" => "bad",
        "D" | "L" => "diff",
        "e" | "d" | "w" => "warn",
        _ => "none",
    };
    write!(
        out,
        "<td class=\"c {class}\"><a href=\"{href}\" title=\"{}\">{}</a></td>",
        esc(triple),
        esc(symbol)
    )
}

/// A strip per target: byte order, width, status, build and test time.
fn write_strip(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    writeln!(out, "<div id=\"strip\">")?;
    for t in &results.targets {
        let c = t.counts();
        let (class, status) = match t.status {
            TargetStatus::Ran if c.failures() == 0 => ("s-ok", format!("{} passed", c.passed)),
            TargetStatus::Ran => ("s-bad", format!("{} failed", c.failures())),
            TargetStatus::BuildFailed => ("s-bad", "build failed".into()),
            TargetStatus::Unavailable => ("s-warn", "unavailable".into()),
            TargetStatus::Interrupted | TargetStatus::Pending => ("s-warn", "interrupted".into()),
        };
        let build = t.build.as_ref().map(|b| b.duration_ms);
        writeln!(
            out,
            "<div class=\"{class}\" title=\"{}\"><b>{}</b> {} {}<br>{} &middot; build {} &middot; tests {}</div>",
            esc(&format!("{}{}", t.triple, t.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())),
            esc(t.short_name()),
            if t.endian == bele_targets::Endian::Big { "BE" } else { "LE" },
            t.pointer_width,
            esc(&status),
            super::secs(build),
            super::secs(t.run_ms)
        )?;
    }
    writeln!(out, "</div>")?;
    for t in &results.targets {
        for note in t.build.iter().flat_map(|b| &b.left_out) {
            writeln!(
                out,
                "<p class=\"note\">left out on {}: {}</p>",
                esc(&t.triple),
                esc(note)
            )?;
        }
    }
    Ok(())
}

/// The `#[repr]` types whose layouts differ, by verdict, each under id `l{index}` (the
/// grid's rows link there).
fn write_layouts(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
) -> io::Result<()> {
    let Some((line, notes)) = super::layouts_lines(results, found) else {
        return Ok(());
    };
    writeln!(
        out,
        "<h2>layouts that differ between targets (from the compiler)</h2>"
    )?;
    for (label, fails, members) in super::layout_groups(found, results.config.strict) {
        let note = if fails {
            ""
        } else {
            ": not failing without --strict"
        };
        writeln!(
            out,
            "<h3 class=\"group\" id=\"g-{0}\" data-verdict=\"{0}\">{1} ({2}){note}</h3>",
            slug(label),
            esc(label),
            members.len()
        )?;
        for (j, l) in members {
            writeln!(out, "<section id=\"l{j}\"><h4>{}</h4><ul>", esc(&l.what()))?;
            for c in l.lines() {
                writeln!(out, "<li><code>{}</code></li>", esc(&c))?;
            }
            writeln!(out, "</ul></section>")?;
        }
    }
    writeln!(out, "<p>{}</p>", esc(&line))?;
    for n in notes {
        writeln!(out, "<p class=\"verdict\">{}</p>", esc(&n))?;
    }
    Ok(())
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
                "<h3 class=\"group\" id=\"g-{0}\" data-verdict=\"{0}\">{1} ({n})</h3>",
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
        for note in &t.notes {
            writeln!(out, "<p class=\"rechecked\">{}</p>", esc(note))?;
        }
        for (r, target) in failing {
            let k = (results.targets.iter())
                .position(|o| o.triple == target.triple)
                .unwrap_or_default();
            writeln!(
                out,
                "<h5 id=\"t{i}-{k}\">{}: {}</h5>",
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
                "<h3 class=\"group\" id=\"g-{0}\" data-verdict=\"{0}\">{1} ({n})</h3>",
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
    use crate::testdata::sample;

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
        assert!(html.contains("<h3 class=\"group\" id=\"g-output-differs-on-big-endian-only\" data-verdict=\"output-differs-on-big-endian-only\">output differs on big-endian only (1)</h3>"), "{html}");
        // The first screen: the groups, each linking to its section, and the grid's cells
        // linking to the failure on that target.
        assert!(html.contains("<a href=\"#g-output-differs-on-big-endian-only\"><b>output differs on big-endian only</b></a>"), "{html}");
        let answer = &html[html.find("<section id=\"answer\">").unwrap()
            ..html.find("<div id=\"strip\">").unwrap()];
        assert!(answer.contains("<table id=\"grid\">"), "{answer}");
        assert!(
            answer.contains("<td class=\"c bad\"><a href=\"#t"),
            "{answer}"
        );
        assert!(
            html.find("<div id=\"strip\">").unwrap() < html.find("<details id=\"all\">").unwrap()
        );
        assert!(html.contains("<li><code>record 1, byte 0: x86_64: [02] 01 (2 bytes) | s390x: [01] 02 (2 bytes)</code></li>"), "{html}");
    }
}
