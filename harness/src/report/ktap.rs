//! KTAP (the kernel's test output format, Documentation/dev-tools/ktap.rst): targets, then
//! test executables, then tests, nested with four spaces, with SKIP and TIMEOUT directives.
//! A test that passed but whose probe records differ is `not ok` on the differing side.

use std::io::{self, Write};

use super::one_line;
use crate::analyze::findings::Findings;
use crate::model::{BinaryResult, Outcome, RunResults, TargetResult, TargetStatus};

pub fn write_ktap(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    let found = Findings::of(results);
    let verdicts = found.verdict_labels();
    writeln!(out, "KTAP version 1")?;
    writeln!(out, "1..{}", results.targets.len())?;
    writeln!(
        out,
        "# bele run {} (proptest seed {})",
        results.run_id, results.config.seed
    )?;
    for s in &found.not_compared {
        writeln!(out, "# {}", one_line(&s.line()))?;
    }
    for (ti, t) in results.targets.iter().enumerate() {
        let n = ti + 1;
        let triple = name(&t.triple);
        match t.status {
            TargetStatus::Unavailable => {
                let why = one_line(t.reason.as_deref().unwrap_or_default());
                writeln!(out, "ok {n} {triple} # SKIP unavailable: {why}")?;
                continue;
            }
            TargetStatus::BuildFailed => {
                let log = t.build.as_ref().and_then(|b| b.log_tail.as_deref());
                for line in log.unwrap_or_default().lines() {
                    writeln!(out, "# {}", one_line(line))?;
                }
                if let Some(b) = &found.build {
                    writeln!(out, "# verdict: {}", b.verdict_label)?;
                }
                writeln!(out, "not ok {n} {triple} # ERROR build failed")?;
                continue;
            }
            _ if t.binaries.is_empty() => {
                // The kernel's parser counts an empty plan as an error: say it as a skip.
                writeln!(out, "ok {n} {triple} # SKIP no test executable ran")?;
                continue;
            }
            _ => {}
        }
        // The layouts from the compiler, as one more subtest where any differ.
        let layouts = !found.layouts.is_empty() && t.layouts.is_some();
        writeln!(out, "    KTAP version 1")?;
        writeln!(out, "    # Subtest: {triple}")?;
        writeln!(out, "    1..{}", t.binaries.len() + usize::from(layouts))?;
        for note in found.probe_notes.iter().filter(|p| p.target == t.triple) {
            writeln!(out, "    # {}", one_line(&note.line()))?;
        }
        for note in t.build.iter().flat_map(|b| &b.left_out) {
            writeln!(out, "    # left out: {}", one_line(note))?;
        }
        let mut target_ok = !failed_itself(t);
        for (bi, b) in t.binaries.iter().enumerate() {
            let bin_ok = write_binary(out, results, (&found, &verdicts), t, bi + 1, b)?;
            target_ok &= bin_ok;
        }
        if layouts {
            target_ok &= write_layouts(out, results, &found, t, t.binaries.len() + 1)?;
        }
        let result = if target_ok { "ok" } else { "not ok" };
        writeln!(out, "{result} {n} {triple}")?;
    }
    Ok(())
}

/// Whether target `t`'s own line is `not ok` whatever its tests say: it did not run to its
/// end, or an executable of it ended in an error (even one whose tests were all skipped).
/// kunit.py counts such a line as a failure of its own (`kunit_json` writes what it reads).
pub(crate) fn failed_itself(t: &TargetResult) -> bool {
    t.status != TargetStatus::Ran || t.binaries.iter().any(|b| b.error.is_some())
}

/// One test executable of target `t` as a subtest numbered `bn`; returns whether it is ok.
fn write_binary(
    out: &mut dyn Write,
    results: &RunResults,
    (found, verdicts): (
        &Findings<'_>,
        &std::collections::HashMap<(&str, &str), String>,
    ),
    t: &TargetResult,
    bn: usize,
    b: &BinaryResult,
) -> io::Result<bool> {
    let binary = name(&b.id);
    if b.tests.is_empty() {
        match &b.error {
            Some(e) => {
                writeln!(out, "    not ok {bn} {binary} # ERROR {}", one_line(e))?;
                return Ok(false);
            }
            None => writeln!(out, "    ok {bn} {binary} # SKIP no tests")?,
        }
        return Ok(true);
    }
    writeln!(out, "        KTAP version 1")?;
    writeln!(out, "        # Subtest: {binary}")?;
    writeln!(out, "        1..{}", b.tests.len())?;
    let mut bin_ok = b.error.is_none();
    if let Some(e) = &b.error {
        writeln!(out, "        # {}", one_line(e))?;
    }
    for (ri, r) in b.tests.iter().enumerate() {
        let i = ri + 1;
        let test = name(&r.name);
        let differences = found.differing(&t.triple, &b.id, &r.name);
        let differs = r.outcome == Outcome::Passed && !differences.is_empty();
        if differs {
            bin_ok = false;
            for d in &differences {
                for line in d.details() {
                    writeln!(out, "        # {}", one_line(&line))?;
                }
            }
            let replay = crate::execute::invocation::repro_line(t, b, &r.name, &results.config);
            writeln!(out, "        # replay: {replay}")?;
        }
        if r.outcome.is_failure() {
            bin_ok = false;
            let output = r.output.as_deref().unwrap_or_default();
            for line in output.lines().filter(|l| !l.trim().is_empty()).take(20) {
                writeln!(out, "        # {}", one_line(line))?;
            }
            let verdict = verdicts.get(&(b.id.as_str(), r.name.as_str()));
            writeln!(
                out,
                "        # verdict: {}",
                verdict.map_or("", String::as_str)
            )?;
            if let Some(input) = &r.minimal_input {
                writeln!(out, "        # minimal failing input: {}", one_line(input))?;
            }
            let replay = crate::execute::invocation::repro_line(t, b, &r.name, &results.config);
            writeln!(out, "        # replay: {replay}")?;
        }
        let line = match r.outcome {
            Outcome::Passed if differs => format!("not ok {i} {test}"),
            Outcome::Passed => format!("ok {i} {test}"),
            Outcome::Failed => format!("not ok {i} {test}"),
            Outcome::Crashed => format!(
                "not ok {i} {test} # ERROR crashed: {}",
                r.signal.as_ref().map_or("?".into(), ToString::to_string)
            ),
            Outcome::TimedOut => format!("not ok {i} {test} # TIMEOUT"),
            Outcome::Ignored => format!(
                "ok {i} {test} # SKIP {}",
                one_line(r.output.as_deref().unwrap_or("ignored"))
            ),
            Outcome::NotRun => format!(
                "ok {i} {test} # SKIP not run: {}",
                one_line(r.output.as_deref().unwrap_or_default())
            ),
        };
        writeln!(out, "        {line}")?;
    }
    let result = if bin_ok { "ok" } else { "not ok" };
    writeln!(out, "    {result} {bn} {binary}")?;
    Ok(bin_ok)
}

/// The `layouts` subtest of target `t`, numbered `n`: `not ok` where a layout that fails the
/// run differs here from the reference's; returns whether it is ok.
fn write_layouts(
    out: &mut dyn Write,
    results: &RunResults,
    found: &Findings<'_>,
    t: &TargetResult,
    n: usize,
) -> io::Result<bool> {
    let mut ok = true;
    for l in &found.layouts {
        if !l.differs_on(&t.triple) {
            continue;
        }
        ok &= !l.fails(results.config.strict);
        writeln!(
            out,
            "    # {}: {}",
            one_line(&l.what()),
            one_line(&l.verdict_label)
        )?;
        for line in l.lines() {
            writeln!(out, "    # {}", one_line(&line))?;
        }
    }
    let result = if ok { "ok" } else { "not ok" };
    writeln!(out, "    {result} {n} layouts")?;
    Ok(ok)
}

/// A test name for a KTAP line: one line, and no `#`, which would start a directive (the
/// kernel's parser reads a name up to the first `#`; Rust test names never hold one).
fn name(s: &str) -> String {
    one_line(s).replace('#', "%23")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::validators::{self, kunit_parse};
    use crate::testdata::{every_status, sample};

    fn ktap(r: &RunResults) -> String {
        let mut out = Vec::new();
        write_ktap(&mut out, r).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn nested_targets_executables_tests() {
        let mut r = sample();
        r.targets[1].binaries[0].tests[0].outcome = Outcome::TimedOut;
        let k = ktap(&r);
        assert!(k.starts_with("KTAP version 1\n1..2\n# bele run r (proptest seed 42)\n    KTAP version 1\n    # Subtest: x86_64-unknown-linux-gnu\n"), "{k}");
        assert!(k.contains("        ok 4 hw # SKIP needs hardware\n"), "{k}");
        assert!(k.contains("ok 1 x86_64-unknown-linux-gnu\n"), "{k}");
        assert!(
            k.ends_with("    not ok 1 pkg\nnot ok 2 s390x-unknown-linux-gnu\n"),
            "{k}"
        );
        assert!(k.contains("        not ok 1 a # TIMEOUT\n"), "{k}");
        assert!(
            k.contains("        # died here\n        # verdict: fails on big-endian only\n        # replay: cd /src/pkg && PROPTEST_RNG_SEED=42 PROPTEST_RNG_ALGORITHM=xs qemu-x -L /s /t/pkg-1 --exact be_bug --nocapture\n        not ok 2 be_bug # ERROR crashed: SIGBUS\n"),
            "{k}"
        );
        assert!(
            k.contains("        # minimal failing input: bytes = [0, 0, 0, 1]\n        # replay: cd /src/pkg && PROPTEST_RNG_SEED=42 PROPTEST_RNG_ALGORITHM=xs qemu-x -L /s /t/pkg-1 --exact 'prop <script>|#' --nocapture\n        not ok 3 prop <script>|%23\n"),
            "{k}"
        );
    }

    /// The kernel's own parser reads every outcome and target status without an error, and
    /// gets the same tree and the same result for every test.
    #[test]
    fn the_kernels_parser_reads_it() {
        let r = every_status();
        let k = ktap(&r);
        let main = kunit_parse(&k, "sample.ktap");
        let mut written = Vec::new();
        crate::report::write_json(&mut written, &r).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&written).unwrap();
        if let Err(e) = validators::ktap_matches(&main, &json) {
            panic!("{e}\n{k}");
        }
        let status = |t: &validators::KtapTest| t.status.clone();
        assert_eq!(status(main.child("powerpc-unknown-linux-gnu")), "FAILURE");
        assert_eq!(status(main.child("sparc64-unknown-linux-gnu")), "SKIPPED");
        let mips = main.child("mips-unknown-linux-gnu");
        assert_eq!(
            (status(mips), status(mips.child("pkg"))),
            ("FAILURE".into(), "FAILURE".into())
        );
        let prop = main
            .child("s390x-unknown-linux-gnu")
            .child("pkg")
            .child("prop <script>|%23");
        assert!(
            prop.log
                .iter()
                .any(|l| l.trim() == "# minimal failing input: bytes = [0, 0, 0, 1]"),
            "{prop:#?}"
        );
        let differs = main
            .child("s390x-unknown-linux-gnu")
            .child("pkg")
            .child("round_trip <&>");
        assert_eq!(differs.status, "FAILURE");
        assert!(
            differs.log.iter().any(|l| l.trim()
                == "# record 1, byte 0: x86_64: [02] 01 (2 bytes) | s390x: [01] 02 (2 bytes)"),
            "{differs:#?}"
        );
    }

    /// The parser check can fail: KTAP broken the ways the kernel's parser notices is refused.
    #[test]
    fn the_kernels_parser_notices_broken_ktap() {
        let k = ktap(&sample());
        for (what, from, to) in [
            (
                "a test number skipped",
                "        ok 2 be_bug\n",
                "        ok 3 be_bug\n",
            ),
            ("a plan that does not match", "1..2\n", "1..3\n"),
            ("a result line lost", "    not ok 1 pkg\n", ""),
        ] {
            let bad = k.replacen(from, to, 1);
            assert_ne!(bad, k, "{what}: nothing replaced");
            let main = kunit_parse(&bad, "broken.ktap");
            assert!(main.errors > 0, "the parser accepted {what}: {main:#?}");
        }
    }
}
