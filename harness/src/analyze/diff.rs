//! `bele diff OLD NEW`: per test and target, what regressed, what was fixed, what is new,
//! what went missing, and what stays failing; and per test and probe label, which outputs
//! started or stopped differing between targets. A target that ran under another QEMU
//! version is said first: a change of outcome there may be the emulator's.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::model::{Outcome, RunResults};

/// The change of one test on one target between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Regressed,
    StillFailing,
    Fixed,
    /// It ran to an outcome before and now was not run or is ignored (an interrupted run,
    /// a new `#[ignore]`): neither fixed nor a regression, but said.
    NoLongerRun,
    New,
    Missing,
}

impl Change {
    fn label(self) -> &'static str {
        match self {
            Change::Regressed => "regressed",
            Change::StillFailing => "still failing",
            Change::Fixed => "fixed",
            Change::NoLongerRun => "no longer run",
            Change::New => "new",
            Change::Missing => "missing",
        }
    }
}

type Key = (String, String, String);

/// Per (target, executable, identity): the test's name and outcome. A test's identity is
/// its `key` when it has one (a kernel doc-test: its file and the digest of its example,
/// since KUnit numbers doc-tests by position and the numbers move), else its name.
fn outcomes(r: &RunResults) -> BTreeMap<Key, (String, Outcome)> {
    let mut map = BTreeMap::new();
    for t in &r.targets {
        for b in &t.binaries {
            for x in &b.tests {
                let id = x.key.clone().unwrap_or_else(|| x.name.clone());
                map.insert(
                    (t.triple.clone(), b.id.clone(), id),
                    (x.name.clone(), x.outcome),
                );
            }
        }
    }
    map
}

/// Every test and target whose state is worth reporting, sorted by change then key.
pub fn diff(
    old: &RunResults,
    new: &RunResults,
) -> Vec<(Change, Key, Option<Outcome>, Option<Outcome>)> {
    let (a, b) = (outcomes(old), outcomes(new));
    let mut out = Vec::new();
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        let (o, n) = (a.get(key).map(|x| x.1), b.get(key).map(|x| x.1));
        // Rows name the test as the newer run does.
        let name = b
            .get(key)
            .or(a.get(key))
            .map(|x| x.0.clone())
            .unwrap_or_default();
        let change = match (o, n) {
            // A test or target that is new and fails is a regression too.
            (o, Some(n)) if n.is_failure() && !o.is_some_and(Outcome::is_failure) => {
                Change::Regressed
            }
            (Some(o), Some(n)) if o.is_failure() && n.is_failure() => Change::StillFailing,
            (Some(o), Some(Outcome::Passed)) if o.is_failure() => Change::Fixed,
            (Some(o), Some(n)) if o.ran() && !n.ran() => Change::NoLongerRun,
            (None, Some(_)) => Change::New,
            (Some(_), None) => Change::Missing,
            _ => continue,
        };
        out.push((change, (key.0.clone(), key.1.clone(), name), o, n));
    }
    out.sort();
    out
}

/// `(binary, test, what)`: one label of one test's probe records.
type OutputKey = (String, String, String);

/// A change of a probe output: the key, the verdict label before and after.
type OutputChange = (Change, OutputKey, Option<String>, Option<String>);

/// `(binary, test, what)` of every probe difference, with its verdict label.
fn differing(r: &RunResults) -> BTreeMap<OutputKey, String> {
    crate::analyze::differential::differences(r)
        .differences
        .into_iter()
        .map(|d| {
            (
                (d.binary.to_string(), d.test.to_string(), d.what()),
                d.verdict_label,
            )
        })
        .collect()
}

/// Probe outputs that started to differ, stopped differing, or still differ.
pub fn diff_outputs(old: &RunResults, new: &RunResults) -> Vec<OutputChange> {
    let (a, b) = (differing(old), differing(new));
    let mut out = Vec::new();
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        let (o, n) = (a.get(key).cloned(), b.get(key).cloned());
        let change = match (&o, &n) {
            (None, Some(_)) => Change::Regressed,
            (Some(_), Some(_)) => Change::StillFailing,
            (Some(_), None) => Change::Fixed,
            (None, None) => continue,
        };
        out.push((change, key.clone(), o, n));
    }
    out.sort();
    out
}

/// Per target in both runs that ran under different QEMU versions: its name and the two.
pub fn emulator_changes(old: &RunResults, new: &RunResults) -> Vec<(String, String, String)> {
    let version = |t: &crate::model::TargetResult| t.qemu_version.clone();
    (new.targets.iter())
        .filter_map(|n| {
            let o = old.targets.iter().find(|o| o.triple == n.triple)?;
            let (a, b) = (version(o)?, version(n)?);
            (a != b).then(|| (n.triple.clone(), a, b))
        })
        .collect()
}

/// Writes the diff; returns whether anything regressed.
pub fn write_diff(out: &mut dyn Write, old: &RunResults, new: &RunResults) -> io::Result<bool> {
    for (triple, a, b) in emulator_changes(old, new) {
        writeln!(
            out,
            "{:<13} {triple}: QEMU {a} -> {b} (a change of outcome there may be the emulator's)",
            "emulator"
        )?;
    }
    let rows = diff(old, new);
    let outputs = diff_outputs(old, new);
    let label = |o: Option<Outcome>| o.map_or("absent", Outcome::label);
    for (change, (triple, binary, test), o, n) in &rows {
        writeln!(
            out,
            "{:<13} {triple} {binary} {test}: {} -> {}",
            change.label(),
            label(*o),
            label(*n)
        )?;
    }
    for (change, (binary, test, what), o, n) in &outputs {
        writeln!(
            out,
            "{:<13} {binary} {test} {what}: {} -> {}",
            change.label(),
            o.as_deref().unwrap_or("output agrees"),
            n.as_deref().unwrap_or("output agrees")
        )?;
    }
    let count = |c: Change| {
        rows.iter().filter(|r| r.0 == c).count() + outputs.iter().filter(|r| r.0 == c).count()
    };
    write!(
        out,
        "{} regressed, {} fixed, {} new, {} missing, {} still failing",
        count(Change::Regressed),
        count(Change::Fixed),
        count(Change::New),
        count(Change::Missing),
        count(Change::StillFailing)
    )?;
    match count(Change::NoLongerRun) {
        0 => writeln!(out),
        n => writeln!(out, ", {n} no longer run"),
    }?;
    Ok(count(Change::Regressed) > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{sample, test};

    #[test]
    fn classifies_every_kind_of_change() {
        let old = sample();
        let mut new = sample();
        let s390x = &mut new.targets[1].binaries[0].tests;
        s390x[1].outcome = Outcome::Passed; // be_bug: crashed -> passed
        s390x.retain(|t| t.name != "hw"); // missing
        s390x.push(test("brand_new", Outcome::Passed, None, None));
        new.targets[0].binaries[0].tests[0].outcome = Outcome::TimedOut; // a on x86_64: regressed
        let mut out = Vec::new();
        let regressed = write_diff(&mut out, &old, &new).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(regressed);
        assert_eq!(
            text,
            "regressed     x86_64-unknown-linux-gnu pkg a: passed -> timed out
still failing s390x-unknown-linux-gnu pkg prop <script>|#: failed -> failed
fixed         s390x-unknown-linux-gnu pkg be_bug: crashed -> passed
new           s390x-unknown-linux-gnu pkg brand_new: absent -> passed
missing       s390x-unknown-linux-gnu pkg hw: ignored -> absent
still failing pkg round_trip <&> wire record 'frame \"hdr\"': output differs on big-endian only -> output differs on big-endian only
1 regressed, 1 fixed, 1 new, 1 missing, 2 still failing
"
        );
        assert!(!write_diff(&mut Vec::new(), &old, &old).unwrap());
    }

    /// Two runs of one target under different QEMU versions (`bele kernel --qemu sid`, a
    /// second emulator): the diff says so before the changes it may explain.
    #[test]
    fn another_emulator_is_said_first() {
        let mut old = sample();
        old.targets[1].qemu_version = Some("7.2.22".into());
        let mut new = old.clone();
        new.targets[1].qemu_version = Some("11.1.3".into());
        new.targets[1].binaries[0].tests[1].outcome = Outcome::Passed;
        let mut out = Vec::new();
        write_diff(&mut out, &old, &new).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(
                "emulator      s390x-unknown-linux-gnu: QEMU 7.2.22 -> 11.1.3 (a change of \
                 outcome there may be the emulator's)\nstill failing"
            ),
            "{text}"
        );
        assert!(
            text.contains("fixed         s390x-unknown-linux-gnu pkg be_bug: crashed -> passed")
        );
        assert!(emulator_changes(&old, &old).is_empty());
    }

    #[test]
    fn outputs_that_start_to_differ_are_regressions() {
        use crate::model::ProbeKind;
        use crate::testdata::{probed, results, target};
        let run = |be: &[u8]| {
            let mut r = results(vec![]);
            for (triple, bytes) in [
                ("x86_64-unknown-linux-gnu", &[1u8, 0][..]),
                ("s390x-unknown-linux-gnu", be),
            ] {
                let (t, seqs) = probed("t", ProbeKind::Wire, "frame", &[bytes]);
                r.targets.push(target(triple, vec![t]));
                r.probe_sequences.extend(seqs);
            }
            r
        };
        let (same, swapped) = (run(&[1, 0]), run(&[0, 1]));
        let mut out = Vec::new();
        assert!(write_diff(&mut out, &same, &swapped).unwrap());
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "regressed     pkg t wire record 'frame': output agrees -> output differs on big-endian only\n\
             1 regressed, 0 fixed, 0 new, 0 missing, 0 still failing\n"
        );
        let mut out = Vec::new();
        assert!(!write_diff(&mut out, &swapped, &same).unwrap());
        assert!(String::from_utf8(out).unwrap().starts_with("fixed         pkg t wire record 'frame': output differs on big-endian only -> output agrees\n"));
    }

    /// A failing test that is new (or on a new target) is a regression, not "new"; a failing
    /// test that was not run again is "no longer run", not "fixed"; so is a passing one.
    #[test]
    fn new_failures_regress_and_tests_not_run_are_not_fixed() {
        let old = sample();
        let mut new = sample();
        let s390x = &mut new.targets[1].binaries[0].tests;
        s390x.push(test("brand_new_failing", Outcome::Failed, None, None));
        s390x[1].outcome = Outcome::NotRun; // be_bug: crashed -> not run
        new.targets[0].binaries[0].tests[0].outcome = Outcome::NotRun; // a: passed -> not run
        let mut out = Vec::new();
        assert!(write_diff(&mut out, &old, &new).unwrap());
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "regressed     s390x-unknown-linux-gnu pkg brand_new_failing: absent -> failed\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("no longer run s390x-unknown-linux-gnu pkg be_bug: crashed -> not run\n"),
            "{text}"
        );
        assert!(
            text.contains("no longer run x86_64-unknown-linux-gnu pkg a: passed -> not run\n"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "1 regressed, 0 fixed, 0 new, 0 missing, 2 still failing, 2 no longer run\n"
            ),
            "{text}"
        );
    }
}
