//! Comparing what tests recorded with `bele_probe` across targets: which targets' records
//! differ from the reference's, the first record and byte where they do, and the verdict
//! (decided by `triage`, as for failures).
//!
//! What is compared, per test and label, among the targets on which the test passed:
//! `wire` records across all targets, `host` records only among targets of the same
//! endianness and pointer width; and in either case only among targets on which proptest
//! drew the same inputs from the run's seed. That is not a given: strategies over
//! `usize`/`isize` draw by pointer width, and a target's RNG can differ (proptest's ChaCha
//! draws other numbers on aarch64_be, which is why bele runs it with XorShift). So a test
//! whose records differ anywhere is run again with proptest printing its inputs
//! (`confirm`), on one target per set of equal records and width; targets are then grouped
//! by what they drew. Where that was not checked (shards merged from CI jobs),
//! targets are grouped by pointer width, the one cause known for certain.
//!
//! In each group the reference is the first target in table order (the host, usually); the
//! targets whose records differ from it are the "failing" set the verdict explains. A test
//! whose records changed when it ran again on the same target is not compared at all.

use std::collections::BTreeMap;

use bele_targets::{Endian, PointerWidth};
use serde::Serialize;

use crate::analyze::verdict::{verdict, Member, Subject, Verdict};
use crate::model::{
    Field, Outcome, ProbeCheck, ProbeKind, ProbeSequence, RunResults, RunnerName, Shape,
    TargetStatus, TestResult,
};

/// Which targets a kind of record must agree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    AllTargets,
    EachEndiannessAndWidth,
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            Scope::AllTargets => "across all targets",
            Scope::EachEndiannessAndWidth => "within each endianness and pointer width",
        }
    }

    /// The group a target falls in under this rule alone.
    fn key(self, t: &crate::model::TargetResult) -> Option<(Endian, PointerWidth)> {
        (self == Scope::EachEndiannessAndWidth).then_some((t.endian, t.pointer_width))
    }

    fn of(kind: ProbeKind) -> Scope {
        match kind {
            ProbeKind::Wire | ProbeKind::Layout => Scope::AllTargets,
            ProbeKind::Host => Scope::EachEndiannessAndWidth,
        }
    }
}

/// One label of one test whose records differ between targets.
#[derive(Debug, Clone, Serialize)]
pub struct Difference<'r> {
    pub binary: &'r str,
    pub test: &'r str,
    pub kind: ProbeKind,
    pub label: &'r str,
    pub verdict: Verdict,
    pub verdict_label: String,
    pub scope: Scope,
    /// Why the comparison was narrower than the kind asks for.
    pub note: Option<String>,
    /// Per group and variant: the reference side against one differing side.
    pub comparisons: Vec<Comparison<'r>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison<'r> {
    /// Triples whose records equal the reference target's (the reference first).
    pub reference: Vec<&'r str>,
    /// Triples whose records are this other variant.
    pub differing: Vec<&'r str>,
    pub reference_count: u64,
    pub differing_count: u64,
    pub first: FirstDifference,
    /// For a declared layout: what differs, field by field ("`len` at offset 4 (8
    /// elsewhere), size 12 (16 elsewhere)").
    pub layout: Option<String>,
}

/// Where two sequences of records first part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirstDifference {
    /// Index of the first record that differs (or that one side lacks); when `kept` is
    /// false, the first record not kept, at or after which they differ.
    pub record: u64,
    /// Whether the records there were kept (only the first `ProbeSequence::DETAIL` are).
    pub kept: bool,
    /// First differing byte in that record, when the kept bytes show it.
    pub offset: Option<u64>,
    /// The record on each side (`None`: that side has no such record, or it was not kept).
    pub reference: Option<RecordShown>,
    pub differing: Option<RecordShown>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordShown {
    pub len: u64,
    /// The kept first bytes, in hex.
    pub hex: String,
}

/// A test whose records were not compared.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped<'r> {
    pub binary: &'r str,
    pub test: &'r str,
    pub reason: String,
}

impl Skipped<'_> {
    /// The skip as one line of a report.
    pub fn line(&self) -> String {
        format!(
            "probe records of {} {} not compared: {}",
            self.binary, self.test, self.reason
        )
    }
}

/// A target on which proptest drew inputs no other target drew, for some tests: their
/// records there were compared with nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alone<'r> {
    pub target: &'r str,
    pub tests: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Analysis<'r> {
    pub differences: Vec<Difference<'r>>,
    pub skipped: Vec<Skipped<'r>>,
    pub alone: Vec<Alone<'r>>,
}

/// A test whose records differ in a first, naive comparison and must be run again before
/// the difference is believed (see `confirm`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckNeed {
    pub binary: String,
    pub test: String,
    /// Index in `results.targets` of the target whose records must come out the same again.
    pub rerun_on: usize,
    /// One target per (records, pointer width) among those it passed on: each runs it
    /// again to say what inputs proptest drew, for itself and the targets like it.
    pub census: Vec<usize>,
}

/// What the checks of one test say (several, after `bele merge`).
#[derive(Debug, Clone, Default)]
struct Checked<'r> {
    unstable: bool,
    /// The digest of the inputs proptest drew, per triple.
    inputs: BTreeMap<&'r str, &'r str>,
}

fn checks(results: &RunResults) -> BTreeMap<(&str, &str), (Checked<'_>, Vec<&ProbeCheck>)> {
    let mut map: BTreeMap<(&str, &str), (Checked<'_>, Vec<&ProbeCheck>)> = BTreeMap::new();
    for c in &results.probe_checks {
        let e = map.entry((c.binary.as_str(), c.test.as_str())).or_default();
        e.0.unstable |= !c.stable;
        for i in &c.inputs {
            e.0.inputs.insert(i.target.as_str(), i.digest.as_str());
        }
        e.1.push(c);
    }
    map
}

/// One test on the targets where it passed with probes: `(target index, result)`.
type Participants<'r> = Vec<(usize, &'r TestResult)>;

fn participants(results: &RunResults) -> BTreeMap<(&str, &str), Participants<'_>> {
    let mut map: BTreeMap<(&str, &str), Participants<'_>> = BTreeMap::new();
    for (i, t) in results.targets.iter().enumerate() {
        if t.status != TargetStatus::Ran {
            continue;
        }
        for b in &t.binaries {
            for r in &b.tests {
                if r.outcome == Outcome::Passed {
                    map.entry((b.id.as_str(), r.name.as_str()))
                        .or_default()
                        .push((i, r));
                }
            }
        }
    }
    map.retain(|_, p| p.iter().any(|(_, r)| !r.probes.is_empty()));
    map
}

/// Why a test's records cannot be trusted on some of its targets: the probe files of its
/// executable lost records there (`target: problem`, joined), or `None`.
fn records_lost(results: &RunResults, binary: &str, parts: &Participants<'_>) -> Option<String> {
    let lost: Vec<String> = parts
        .iter()
        .filter_map(|(i, _)| {
            let t = &results.targets[*i];
            let b = t.binaries.iter().find(|b| b.id == binary)?;
            (!b.probe_problems.is_empty()).then(|| {
                format!(
                    "{}: {}",
                    crate::model::short_name(&t.triple),
                    b.probe_problems.join("; ")
                )
            })
        })
        .collect();
    (!lost.is_empty()).then(|| format!("records were lost on {}", lost.join(" | ")))
}

/// Every `(kind, label)` any participant recorded, in order of first appearance.
fn labels<'r>(parts: &Participants<'r>) -> Vec<(ProbeKind, &'r str)> {
    let mut out: Vec<(ProbeKind, &str)> = Vec::new();
    for (_, r) in parts {
        for p in &r.probes {
            if !out.contains(&(p.kind, p.label.as_str())) {
                out.push((p.kind, p.label.as_str()));
            }
        }
    }
    out
}

/// The digest and count of a label's records on one participant ("" and 0: none).
fn sequence_of<'r>(r: &'r TestResult, kind: ProbeKind, label: &str) -> (&'r str, u64) {
    r.probes
        .iter()
        .find(|p| p.kind == kind && p.label == label)
        .map_or(("", 0), |p| (p.digest.as_str(), p.count))
}

/// Everything a test recorded on one target, as digests: equal signatures, equal records.
fn signature(r: &TestResult) -> Vec<&str> {
    r.probes.iter().map(|p| p.digest.as_str()).collect()
}

/// The inputs each participant drew: checked where it ran again, else those of a checked
/// target of the same width that recorded exactly the same (see `needs_check`).
fn inputs_of<'r>(
    results: &'r RunResults,
    parts: &Participants<'r>,
    checked: &BTreeMap<&'r str, &'r str>,
) -> BTreeMap<&'r str, &'r str> {
    let mut drew = checked.clone();
    for (i, r) in parts {
        let t = &results.targets[*i];
        if drew.contains_key(t.triple.as_str()) {
            continue;
        }
        let twin = parts.iter().find_map(|(j, q)| {
            let u = &results.targets[*j];
            (u.pointer_width == t.pointer_width && signature(q) == signature(r))
                .then(|| checked.get(u.triple.as_str()))
                .flatten()
        });
        if let Some(d) = twin {
            drew.insert(t.triple.as_str(), d);
        }
    }
    drew
}

/// What a target is compared by besides the kind's rule: the inputs it drew, or, where
/// they were not checked, its pointer width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Inputs<'r> {
    Drew(&'r str),
    Unchecked(PointerWidth),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey<'r> {
    kind_rule: Option<(Endian, PointerWidth)>,
    inputs: Inputs<'r>,
}

/// Participants by group, each group in target order (its first is the reference).
fn groups<'p, 'r>(
    results: &'r RunResults,
    parts: &'p Participants<'r>,
    kind: ProbeKind,
    drew: &BTreeMap<&'r str, &'r str>,
) -> BTreeMap<GroupKey<'r>, Vec<&'p (usize, &'r TestResult)>> {
    let mut map: BTreeMap<GroupKey<'r>, Vec<&'p (usize, &'r TestResult)>> = BTreeMap::new();
    for p in parts {
        let t = &results.targets[p.0];
        // A layout is the compiler's, whatever proptest drew.
        let inputs = if kind == ProbeKind::Layout {
            Inputs::Drew("")
        } else {
            drew.get(t.triple.as_str())
                .map_or(Inputs::Unchecked(t.pointer_width), |d| Inputs::Drew(d))
        };
        let key = GroupKey {
            kind_rule: Scope::of(kind).key(t),
            inputs,
        };
        map.entry(key).or_default().push(p);
    }
    map
}

/// The tests whose records differ anywhere in a first comparison that trusts every record
/// and every input: wire records across all targets, host records within each endianness
/// and width.
pub fn needs_check(results: &RunResults) -> Vec<CheckNeed> {
    let mut out = Vec::new();
    for ((binary, test), parts) in participants(results) {
        if records_lost(results, binary, &parts).is_some() {
            continue;
        }
        // Layouts do not depend on inputs: they need no check.
        let differs = (labels(&parts).into_iter())
            .filter(|(kind, _)| *kind != ProbeKind::Layout)
            .any(|(kind, label)| {
                let mut firsts: BTreeMap<Option<(Endian, PointerWidth)>, &str> = BTreeMap::new();
                parts.iter().any(|(i, r)| {
                    let key = Scope::of(kind).key(&results.targets[*i]);
                    let seq = sequence_of(r, kind, label).0;
                    *firsts.entry(key).or_insert(seq) != seq
                })
            });
        if !differs {
            continue;
        }
        // Run it again where it costs least: natively when a target runs so.
        let rerun_on = parts
            .iter()
            .find(|(i, _)| results.targets[*i].runner == RunnerName::Native)
            .unwrap_or(&parts[0])
            .0;
        // One target per (records, pointer width): targets that recorded exactly the same
        // compare the same whatever they drew, so one of them speaks for all.
        let mut seen: Vec<(Vec<&str>, PointerWidth)> = Vec::new();
        let census = parts
            .iter()
            .filter(|(i, r)| {
                let cell = (signature(r), results.targets[*i].pointer_width);
                let new = !seen.contains(&cell);
                if new {
                    seen.push(cell);
                }
                new
            })
            .map(|(i, _)| *i)
            .collect();
        out.push(CheckNeed {
            binary: binary.to_string(),
            test: test.to_string(),
            rerun_on,
            census,
        });
    }
    out
}

/// Every difference between targets' probe records, byte-order verdicts first.
pub fn differences(results: &RunResults) -> Analysis<'_> {
    let checks = checks(results);
    let mut analysis = Analysis::default();
    let none = Checked::default();
    for ((binary, test), parts) in participants(results) {
        let (checked, list) = checks
            .get(&(binary, test))
            .map_or((&none, &[][..]), |(c, l)| (c, l.as_slice()));
        if let Some(reason) = records_lost(results, binary, &parts) {
            analysis.skipped.push(Skipped {
                binary,
                test,
                reason,
            });
            continue;
        }
        if checked.unstable {
            let on: Vec<&str> = list
                .iter()
                .filter(|c| !c.stable)
                .map(|c| c.rerun_on.as_str())
                .collect();
            let why = list.iter().find_map(|c| c.note.clone());
            analysis.skipped.push(Skipped {
                binary,
                test,
                reason: why.unwrap_or_else(|| {
                    format!(
                        "its records changed when it ran again on {}: they depend on something \
                         besides the code and the seed (a clock, OS randomness, a proptest \
                         regression file written during the run)",
                        on.join(", ")
                    )
                }),
            });
            continue;
        }
        let drew = inputs_of(results, &parts, &checked.inputs);
        for (kind, label) in labels(&parts) {
            if let Some(d) = compare(results, binary, test, &parts, kind, label, &drew) {
                analysis.differences.push(d);
            }
        }
        // Targets that drew what no other did: nothing to compare them with.
        for (i, _) in &parts {
            let triple = results.targets[*i].triple.as_str();
            let Some(mine) = drew.get(triple) else {
                continue;
            };
            let shared = parts.iter().any(|(j, _)| {
                j != i && drew.get(results.targets[*j].triple.as_str()) == Some(mine)
            });
            if !shared {
                match analysis.alone.iter_mut().find(|a| a.target == triple) {
                    Some(a) => a.tests += 1,
                    None => analysis.alone.push(Alone {
                        target: triple,
                        tests: 1,
                    }),
                }
            }
        }
    }
    // By verdict, then layouts after records under one verdict: reports group by label.
    analysis.differences.sort_by(|a, b| {
        (
            &a.verdict,
            a.kind == ProbeKind::Layout,
            a.binary,
            a.test,
            a.label,
        )
            .cmp(&(
                &b.verdict,
                b.kind == ProbeKind::Layout,
                b.binary,
                b.test,
                b.label,
            ))
    });
    analysis
}

/// Why targets were compared in smaller groups than the kind's rule: the inputs proptest
/// drew split them, or were not checked.
fn inputs_note(
    results: &RunResults,
    parts: &Participants<'_>,
    drew: &BTreeMap<&str, &str>,
) -> Option<String> {
    let short = |i: usize| crate::model::short_name(&results.targets[i].triple).to_string();
    let unchecked: Vec<String> = parts
        .iter()
        .filter(|(i, _)| !drew.contains_key(results.targets[*i].triple.as_str()))
        .map(|(i, _)| short(*i))
        .collect();
    let mut by_inputs: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (i, _) in parts {
        if let Some(d) = drew.get(results.targets[*i].triple.as_str()) {
            by_inputs.entry(d).or_default().push(short(*i));
        }
    }
    let mut notes = Vec::new();
    if by_inputs.len() > 1 {
        let mut sets: Vec<String> = by_inputs.values().map(|v| v.join(", ")).collect();
        sets.sort();
        notes.push(format!(
            "proptest drew different inputs from the same seed on {}: compared only among \
             targets that drew the same (a usize or isize strategy draws by pointer width)",
            sets.join(" | ")
        ));
    }
    let widths: std::collections::BTreeSet<PointerWidth> = parts
        .iter()
        .map(|(i, _)| results.targets[*i].pointer_width)
        .collect();
    // Unchecked targets are grouped by width: that narrows the comparison when the run
    // spans both widths, or when other targets were checked.
    if !unchecked.is_empty() && (widths.len() > 1 || !by_inputs.is_empty()) {
        notes.push(format!(
            "whether proptest drew the same inputs was not checked on {} (it is, when their \
             records differ within one `bele test`): compared within each pointer width there",
            unchecked.join(", ")
        ));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

fn compare<'r>(
    results: &'r RunResults,
    binary: &'r str,
    test: &'r str,
    parts: &Participants<'r>,
    kind: ProbeKind,
    label: &'r str,
    drew: &BTreeMap<&'r str, &'r str>,
) -> Option<Difference<'r>> {
    let scope = Scope::of(kind);
    let mut members = Vec::new();
    let mut comparisons = Vec::new();
    // Groups in the order of their first target, the table's.
    let mut ordered: Vec<_> = groups(results, parts, kind, drew).into_values().collect();
    ordered.sort_by_key(|g| g[0].0);
    for group in ordered {
        if group.len() < 2 {
            continue;
        }
        let (ref_digest, ref_count) = sequence_of(group[0].1, kind, label);
        // Distinct differing variants, in target order, each with what moved if it is a
        // declared layout.
        let mut variants: Vec<(&str, u64, Vec<&str>, Option<String>)> = Vec::new();
        let mut reference: Vec<&str> = Vec::new();
        // A declared layout's changes against the reference, worked out once per digest.
        let mut changes_of: BTreeMap<&str, Option<String>> = BTreeMap::new();
        for (i, r) in &group {
            let t = &results.targets[*i];
            let (digest, count) = sequence_of(r, kind, label);
            let changes = (kind == ProbeKind::Layout && digest != ref_digest).then(|| {
                (changes_of.entry(digest)).or_insert_with(|| {
                    layout_changes(
                        results.probe_sequences.get(ref_digest),
                        results.probe_sequences.get(digest),
                    )
                })
            });
            // A layout that differs only in alignment moves no byte of the type: not a
            // difference (where it moves a field of a type that embeds it, that type's own
            // layout shows it).
            let bad = digest != ref_digest && changes.as_ref().is_none_or(|c| c.is_some());
            members.push(Member {
                name: t.short_name(),
                traits: t.traits(),
                bad,
                bus_error: false,
            });
            if !bad {
                reference.push(t.triple.as_str());
            } else if let Some(v) = variants.iter_mut().find(|v| v.0 == digest) {
                v.2.push(t.triple.as_str());
            } else {
                let layout = changes.and_then(|c| c.clone());
                variants.push((digest, count, vec![t.triple.as_str()], layout));
            }
        }
        for (digest, count, triples, layout) in variants {
            comparisons.push(Comparison {
                layout,
                reference: reference.clone(),
                differing: triples,
                reference_count: ref_count,
                differing_count: count,
                first: first_difference(
                    results.probe_sequences.get(ref_digest),
                    ref_count,
                    results.probe_sequences.get(digest),
                    count,
                ),
            });
        }
    }
    if comparisons.is_empty() {
        return None;
    }
    let subject = if kind == ProbeKind::Layout {
        Subject::Layout
    } else {
        Subject::Output
    };
    let verdict = verdict(&members, subject);
    Some(Difference {
        binary,
        test,
        kind,
        label,
        verdict_label: verdict.label_for(subject),
        verdict,
        scope,
        note: (kind != ProbeKind::Layout)
            .then(|| inputs_note(results, parts, drew))
            .flatten(),
        comparisons,
    })
}

/// Where sequence `a` (`a_count` records) and `b` first part.
pub fn first_difference(
    a: Option<&ProbeSequence>,
    a_count: u64,
    b: Option<&ProbeSequence>,
    b_count: u64,
) -> FirstDifference {
    let empty = ProbeSequence::default();
    let (a, b) = (a.unwrap_or(&empty), b.unwrap_or(&empty));
    let kept = a.records.len().min(b.records.len());
    let index = (0..kept)
        .find(|&i| a.records[i] != b.records[i])
        .unwrap_or(kept);
    // Equal as far as kept, and both go on: the difference lies in records not kept.
    let kept_all = !(index == kept && (index as u64) < a_count.min(b_count));
    let (ra, rb) = if kept_all {
        (a.records.get(index), b.records.get(index))
    } else {
        (None, None)
    };
    let offset = match (ra, rb) {
        (Some(x), Some(y)) => {
            let common = x.prefix.len().min(y.prefix.len());
            match (0..common).find(|&j| x.prefix[j] != y.prefix[j]) {
                Some(j) => Some(j as u64),
                // Same kept bytes: the shorter record ends first, if that is within them.
                None if x.len != y.len && (common as u64) == x.len.min(y.len) => {
                    Some(x.len.min(y.len))
                }
                None => None,
            }
        }
        _ => None,
    };
    let shown = |r: Option<&crate::model::ProbeRecord>| {
        r.map(|r| RecordShown {
            len: r.len,
            hex: r.prefix.iter().map(|b| format!("{b:02x}")).collect(),
        })
    };
    FirstDifference {
        record: index as u64,
        kept: kept_all,
        offset,
        reference: shown(ra),
        differing: shown(rb),
    }
}

/// A declared layout's text records (`size S align A`, then `FIELD OFFSET SIZE`), or `None`
/// if they are not all kept or not of that form.
fn layout_of(seq: &ProbeSequence) -> Option<Shape> {
    let text = |r: &crate::model::ProbeRecord| {
        (r.prefix.len() as u64 == r.len)
            .then(|| String::from_utf8(r.prefix.clone()).ok())
            .flatten()
    };
    if seq.omitted > 0 {
        return None;
    }
    let (head, fields) = seq.records.split_first()?;
    let head = text(head)?;
    let mut words = head.split(' ');
    let (Some("size"), Some(size), Some("align"), Some(align), None) = (
        words.next(),
        words.next(),
        words.next(),
        words.next(),
        words.next(),
    ) else {
        return None;
    };
    let fields = fields
        .iter()
        .map(|r| {
            let line = text(r)?;
            let mut words = line.rsplitn(3, ' ');
            let (len, offset, name) = (words.next()?, words.next()?, words.next()?);
            Some(Field {
                name: name.to_string(),
                offset: offset.parse().ok()?,
                size: len.parse().ok()?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Shape {
        size: size.parse().ok()?,
        align: align.parse().ok()?,
        fields,
    })
}

/// What differs between a reference's declared layout and another's (as for layouts from
/// the compiler: `layouts::changes`); `None` when only the alignment does.
fn layout_changes(
    reference: Option<&ProbeSequence>,
    other: Option<&ProbeSequence>,
) -> Option<String> {
    let (Some(ours), Some(theirs)) = (reference.and_then(layout_of), other.and_then(layout_of))
    else {
        return Some("the declared layouts differ (their records were not all kept)".into());
    };
    crate::analyze::layouts::changes(&ours, &theirs)
}

impl<'r> Difference<'r> {
    /// `wire record 'frame'`, or ``layout of `Desc` ``: what differs.
    pub fn what(&self) -> String {
        match self.kind {
            ProbeKind::Layout => format!("layout of `{}`", self.label),
            _ => format!("{} record '{}'", self.kind.label(), self.label),
        }
    }

    /// The lines that explain it: what was compared where, each comparison, the note.
    pub fn details(&self) -> Vec<String> {
        let mut lines = vec![if self.kind == ProbeKind::Layout {
            format!("{}: {}", self.what(), self.verdict_label)
        } else {
            format!(
                "{} differs ({}): {}",
                self.what(),
                self.scope.label(),
                self.verdict_label
            )
        }];
        lines.extend(self.comparisons.iter().map(describe_comparison));
        lines.extend(self.note.iter().map(|n| format!("note: {n}")));
        lines
    }

    /// The first differing target and the line that re-runs the test there.
    pub fn replay(&self, results: &RunResults) -> Option<(&'r str, String)> {
        let triple = self.differing_targets().into_iter().next()?;
        let target = results.targets.iter().find(|t| t.triple == triple)?;
        Some((
            triple,
            crate::execute::invocation::repro_of(target, self.binary, self.test, &results.config)?,
        ))
    }

    /// Triples whose records differ from their group's reference.
    pub fn differing_targets(&self) -> Vec<&'r str> {
        self.comparisons
            .iter()
            .flat_map(|c| c.differing.iter().copied())
            .collect()
    }
}

/// A record's kept bytes as `12 34 [56] 78 …` with the byte at `offset` bracketed, at most
/// `max` bytes around it; `(no record)` when there is none.
pub fn marked(r: Option<&RecordShown>, offset: Option<u64>, max: usize) -> String {
    let Some(r) = r else {
        return "(no record)".into();
    };
    let bytes: Vec<&str> = (0..r.hex.len() / 2)
        .map(|i| &r.hex[2 * i..2 * i + 2])
        .collect();
    let at = offset.map(|o| o as usize);
    let start = at.map_or(0, |o| o.saturating_sub(max / 2)).min(bytes.len());
    let end = (start + max).min(bytes.len());
    let mut parts: Vec<String> = Vec::new();
    if start > 0 {
        parts.push("…".into());
    }
    for (i, b) in bytes.iter().enumerate().take(end).skip(start) {
        parts.push(if Some(i) == at {
            format!("[{b}]")
        } else {
            (*b).to_string()
        });
    }
    if at == Some(bytes.len()) && bytes.len() as u64 == r.len {
        // The other record goes on where this one ends.
        parts.push("[end]".into());
    }
    if (end as u64) < r.len {
        parts.push("…".into());
    }
    format!("{} ({} bytes)", parts.join(" "), r.len)
}

/// One line for a comparison: record index, offset, both sides' bytes and targets.
pub fn describe_comparison(c: &Comparison<'_>) -> String {
    let names = |v: &[&str]| {
        v.iter()
            .map(|t| crate::model::short_name(t))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(layout) = &c.layout {
        return format!(
            "{}: {layout}; elsewhere: {}",
            names(&c.differing),
            names(&c.reference)
        );
    }
    if !c.first.kept {
        return format!(
            "after record {} (later records are kept as digests only): {} ({} records) | {} ({} records)",
            c.first.record,
            names(&c.reference),
            c.reference_count,
            names(&c.differing),
            c.differing_count
        );
    }
    let at = match c.first.offset {
        Some(o) => format!("record {}, byte {o}", c.first.record),
        None => format!("record {}", c.first.record),
    };
    format!(
        "{at}: {}: {} | {}: {}",
        names(&c.reference),
        marked(c.first.reference.as_ref(), c.first.offset, 16),
        names(&c.differing),
        marked(c.first.differing.as_ref(), c.first.offset, 16),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{InputsOn, ProbeCheck};
    use crate::testdata::{probed, results, target};

    const X86_64: &str = "x86_64-unknown-linux-gnu";
    const I686: &str = "i686-unknown-linux-gnu";
    const PPC: &str = "powerpc-unknown-linux-gnu";
    const S390X: &str = "s390x-unknown-linux-gnu";

    /// A run where test `t` recorded, per target, the wire values given.
    fn run(per_target: &[(&str, &[&[u8]])], kind: ProbeKind) -> RunResults {
        let mut r = results(vec![]);
        for (triple, records) in per_target {
            let (test, seqs) = probed("t", kind, "frame", records);
            r.targets.push(target(triple, vec![test]));
            r.probe_sequences.extend(seqs);
        }
        r
    }

    #[test]
    fn a_host_order_encoder_differs_on_big_endian_only() {
        let le: &[&[u8]] = &[&[1, 0, 0, 0], &[2, 0]];
        let be: &[&[u8]] = &[&[0, 0, 0, 1], &[0, 2]];
        let mut r = run(
            &[(X86_64, le), (I686, le), (PPC, be), (S390X, be)],
            ProbeKind::Wire,
        );
        // As `confirm` finds in a real run: the same inputs everywhere.
        r.probe_checks = vec![check(&[
            (X86_64, "a"),
            (I686, "a"),
            (PPC, "a"),
            (S390X, "a"),
        ])];
        let a = differences(&r);
        assert_eq!(a.differences.len(), 1);
        let d = &a.differences[0];
        assert_eq!(d.verdict_label, "output differs on big-endian only");
        assert_eq!(d.scope, Scope::AllTargets);
        let c = &d.comparisons[0];
        assert_eq!(c.reference, [X86_64, I686]);
        assert_eq!(c.differing, [PPC, S390X]);
        assert_eq!((c.first.record, c.first.offset), (0, Some(0)));
        assert_eq!(
            describe_comparison(c),
            "record 0, byte 0: x86_64, i686: [01] 00 00 00 (4 bytes) | powerpc, s390x: [00] 00 00 01 (4 bytes)"
        );
        // Host records are host order by design: nothing to say.
        let r = run(
            &[(X86_64, le), (I686, le), (PPC, be), (S390X, be)],
            ProbeKind::Host,
        );
        assert!(differences(&r).differences.is_empty());
        assert!(needs_check(&r).is_empty());
    }

    #[test]
    fn a_declared_layout_names_the_fields_that_moved_whatever_the_inputs() {
        // `u32 len; u64 addr` in `#[repr(C)]`: `addr` at 4 where u64 aligns to 4.
        let wide: &[&[u8]] = &[b"size 16 align 8", b"len 0 4", b"addr 8 8"];
        let i686: &[&[u8]] = &[b"size 12 align 4", b"len 0 4", b"addr 4 8"];
        let mut r = run(
            &[(X86_64, wide), (I686, i686), (PPC, wide), (S390X, wide)],
            ProbeKind::Layout,
        );
        // A layout needs no check of proptest's inputs, and is compared across widths
        // even where inputs differ.
        assert!(needs_check(&r).is_empty());
        r.probe_checks = vec![check(&[
            (X86_64, "a"),
            (I686, "b"),
            (PPC, "b"),
            (S390X, "a"),
        ])];
        let a = differences(&r);
        assert_eq!(a.differences.len(), 1);
        let d = &a.differences[0];
        assert_eq!(d.what(), "layout of `frame`");
        assert_eq!(
            d.verdict_label,
            "layout differs where u64 aligns to 4 (i686)"
        );
        assert_eq!(d.note, None);
        assert_eq!(
            describe_comparison(&d.comparisons[0]),
            "i686: `addr` at offset 4 (8 elsewhere), size 12 (16 elsewhere), alignment 4 \
             (8 elsewhere); elsewhere: x86_64, powerpc, s390x"
        );
        assert_eq!(
            d.details()[0],
            "layout of `frame`: layout differs where u64 aligns to 4 (i686)"
        );
        // Fields declared on one side only, a field's size, and records that are not text.
        let other: &[&[u8]] = &[b"size 16 align 8", b"len 0 8", b"flags 8 8"];
        assert_eq!(
            layout_changes(
                Some(&probed("t", ProbeKind::Layout, "x", wide).1[0].1),
                Some(&probed("t", ProbeKind::Layout, "x", other).1[0].1)
            ),
            Some("`len` of 8 bytes (4 elsewhere), `flags` here only, `addr` not here".into())
        );
        // Alignment alone (`u64` then two `u32`: 4 on i686) moves no byte.
        let aligned_4: &[&[u8]] = &[b"size 16 align 4", b"len 0 4", b"addr 8 8"];
        assert_eq!(
            layout_changes(
                Some(&probed("t", ProbeKind::Layout, "x", wide).1[0].1),
                Some(&probed("t", ProbeKind::Layout, "x", aligned_4).1[0].1)
            ),
            None
        );
        let r = run(&[(X86_64, wide), (I686, aligned_4)], ProbeKind::Layout);
        assert!(differences(&r).differences.is_empty());
        let garbage: &[&[u8]] = &[&[0xff, 0xfe]];
        assert!(layout_changes(
            Some(&probed("t", ProbeKind::Layout, "x", wide).1[0].1),
            Some(&probed("t", ProbeKind::Layout, "x", garbage).1[0].1)
        )
        .unwrap()
        .contains("not all kept"));
    }

    /// A check: `drew` gives each target's input digest.
    fn check(drew: &[(&str, &str)]) -> ProbeCheck {
        ProbeCheck {
            binary: "pkg".into(),
            test: "t".into(),
            rerun_on: X86_64.into(),
            stable: true,
            note: None,
            inputs: drew
                .iter()
                .map(|(t, d)| InputsOn {
                    target: t.to_string(),
                    cases: 256,
                    digest: d.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn targets_are_compared_only_with_those_that_drew_the_same_inputs() {
        // Other inputs on 32- and 64-bit targets, and a big-endian bug in each width.
        let r64: &[&[u8]] = &[&[1, 0]];
        let r64be: &[&[u8]] = &[&[0, 1]];
        let r32: &[&[u8]] = &[&[7, 0]];
        let r32be: &[&[u8]] = &[&[0, 7]];
        let mut r = run(
            &[(X86_64, r64), (I686, r32), (PPC, r32be), (S390X, r64be)],
            ProbeKind::Wire,
        );
        let need = needs_check(&r);
        assert_eq!(need.len(), 1);
        assert_eq!(
            (need[0].rerun_on, &need[0].census[..]),
            (0, &[0, 1, 2, 3][..])
        );
        // Not checked (as after a merge of shards): within each width, and a note says so.
        let d = &differences(&r).differences[0];
        assert!(
            d.note
                .as_deref()
                .unwrap()
                .contains("was not checked on x86_64, i686, powerpc, s390x"),
            "{d:?}"
        );
        assert_eq!(d.verdict_label, "output differs on big-endian only");
        // Checked: the widths drew differently; same verdict, the note says why.
        r.probe_checks = vec![check(&[
            (X86_64, "a"),
            (I686, "b"),
            (PPC, "b"),
            (S390X, "a"),
        ])];
        let d = &differences(&r).differences[0];
        assert_eq!(d.verdict_label, "output differs on big-endian only");
        assert!(
            d.note.as_deref().unwrap().starts_with("proptest drew different inputs from the same seed on i686, powerpc | x86_64, s390x"),
            "{d:?}"
        );
        // The same inputs everywhere: the 32-bit targets really write other bytes.
        r.probe_checks = vec![check(&[
            (X86_64, "a"),
            (I686, "a"),
            (PPC, "a"),
            (S390X, "a"),
        ])];
        let d = &differences(&r).differences[0];
        assert_eq!(d.note, None);
        assert_eq!(d.verdict_label, "output differs on a mixed set of targets");
        let mut r = run(
            &[(X86_64, r64), (I686, r32), (PPC, r32), (S390X, r64)],
            ProbeKind::Wire,
        );
        r.probe_checks = vec![check(&[
            (X86_64, "a"),
            (I686, "a"),
            (PPC, "a"),
            (S390X, "a"),
        ])];
        assert_eq!(
            differences(&r).differences[0].verdict_label,
            "output differs on 32-bit only"
        );
        // One target's RNG draws other inputs (rand's ChaCha on aarch64_be): it is left out,
        // and its records, different as they are, give no verdict.
        r.probe_checks = vec![check(&[
            (X86_64, "a"),
            (I686, "a"),
            (PPC, "a"),
            (S390X, "z"),
        ])];
        let d = &differences(&r).differences[0];
        assert_eq!(d.verdict_label, "output differs on 32-bit only");
        let c = &d.comparisons[0];
        assert_eq!(
            (&c.reference[..], &c.differing[..]),
            (&[X86_64][..], &[I686, PPC][..])
        );
        let same: &[&[u8]] = &[&[1, 0]];
        let mut r = run(
            &[(X86_64, same), (I686, same), (PPC, same), (S390X, r64be)],
            ProbeKind::Wire,
        );
        r.probe_checks = vec![check(&[
            (X86_64, "a"),
            (I686, "a"),
            (PPC, "a"),
            (S390X, "z"),
        ])];
        let a = differences(&r);
        assert!(a.differences.is_empty());
        assert_eq!(
            a.alone,
            [Alone {
                target: S390X,
                tests: 1
            }],
            "said, not silently dropped"
        );
    }

    #[test]
    fn unstable_records_are_not_compared() {
        let a: &[&[u8]] = &[&[1]];
        let b: &[&[u8]] = &[&[2]];
        let mut r = run(&[(X86_64, a), (S390X, b)], ProbeKind::Wire);
        r.probe_checks = vec![ProbeCheck {
            binary: "pkg".into(),
            test: "t".into(),
            rerun_on: X86_64.into(),
            stable: false,
            note: None,
            inputs: Vec::new(),
        }];
        let a = differences(&r);
        assert!(a.differences.is_empty());
        assert!(
            a.skipped[0]
                .reason
                .contains("changed when it ran again on x86_64"),
            "{:?}",
            a.skipped
        );
    }

    #[test]
    fn records_lost_on_a_target_are_not_compared_and_not_checked() {
        let a: &[&[u8]] = &[&[1]];
        let b: &[&[u8]] = &[&[2]];
        let mut r = run(&[(X86_64, a), (S390X, b)], ProbeKind::Wire);
        assert_eq!(
            differences(&r).differences.len(),
            1,
            "compared while nothing was lost"
        );
        r.targets[1].binaries[0].probe_problems =
            vec!["more than 1000000 records in one test process: the rest were not kept".into()];
        let a = differences(&r);
        assert!(a.differences.is_empty(), "{:?}", a.differences);
        assert_eq!(
            a.skipped[0].reason,
            "records were lost on s390x: more than 1000000 records in one test process: \
             the rest were not kept"
        );
        assert!(
            needs_check(&r).is_empty(),
            "no re-run for records that are not compared"
        );
        // Records made outside a test's thread are told, and do not stop the comparison.
        r.targets[1].binaries[0].probe_problems.clear();
        r.targets[1].binaries[0].unattributed_records = 3;
        assert_eq!(differences(&r).differences.len(), 1);
        assert!(r.targets[1].binaries[0].probe_notes()[0]
            .starts_with("3 probe records made on threads without a test's name"));
    }

    #[test]
    fn first_difference_finds_record_and_byte() {
        let seq = |records: &[&[u8]]| {
            let (_, mut seqs) = probed("t", ProbeKind::Wire, "x", records);
            seqs.remove(0).1
        };
        let a = seq(&[&[1, 2, 3], &[4, 5, 6]]);
        let b = seq(&[&[1, 2, 3], &[4, 9, 6]]);
        let f = first_difference(Some(&a), 2, Some(&b), 2);
        assert_eq!((f.record, f.offset), (1, Some(1)));
        assert_eq!(
            marked(f.differing.as_ref(), f.offset, 16),
            "04 [09] 06 (3 bytes)"
        );
        // One side is longer: the other ends where it goes on.
        let c = seq(&[&[1, 2, 3], &[4, 5, 6, 7]]);
        let f = first_difference(Some(&a), 2, Some(&c), 2);
        assert_eq!((f.record, f.offset), (1, Some(3)));
        // One side has fewer records.
        let d = seq(&[&[1, 2, 3]]);
        let f = first_difference(Some(&a), 2, Some(&d), 1);
        assert_eq!((f.record, f.kept, f.differing), (1, true, None));
        assert_eq!(marked(None, None, 16), "(no record)");
        // Beyond the kept bytes: the record is known to differ, the byte is not.
        let long_a: Vec<u8> = vec![0; 100];
        let mut long_b = long_a.clone();
        long_b[90] = 1;
        let (x, y) = (seq(&[&long_a]), seq(&[&long_b]));
        let f = first_difference(Some(&x), 1, Some(&y), 1);
        assert_eq!((f.record, f.offset), (0, None));
        let shown = marked(f.reference.as_ref(), None, 4);
        assert_eq!(shown, "00 00 00 00 … (100 bytes)");
        // Beyond the kept records: known to differ, not where.
        let many = |last: u8| {
            let rs: Vec<Vec<u8>> = (0..ProbeSequence::DETAIL + 2)
                .map(|i| {
                    vec![
                        (i % 200) as u8,
                        if i > ProbeSequence::DETAIL { last } else { 0 },
                    ]
                })
                .collect();
            let refs: Vec<&[u8]> = rs.iter().map(Vec::as_slice).collect();
            let (_, mut seqs) = probed("t", ProbeKind::Wire, "x", &refs);
            seqs.remove(0).1
        };
        let n = ProbeSequence::DETAIL as u64 + 2;
        let f = first_difference(Some(&many(0)), n, Some(&many(1)), n);
        assert_eq!(
            (f.record, f.kept, f.reference.clone()),
            (ProbeSequence::DETAIL as u64, false, None)
        );
        let c = Comparison {
            reference: vec![X86_64],
            differing: vec![S390X],
            reference_count: n,
            differing_count: n,
            first: f,
            layout: None,
        };
        assert_eq!(
            describe_comparison(&c),
            "after record 4096 (later records are kept as digests only): x86_64 (4098 records) | s390x (4098 records)"
        );
    }
}
