//! KTAP (the kernel's test output format, Documentation/dev-tools/ktap.rst): targets, then
//! test executables, then tests, nested with four spaces, with SKIP and TIMEOUT directives.

use std::io::{self, Write};

use crate::results::{Outcome, RunResults, TargetStatus};

pub fn write_ktap(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    writeln!(out, "KTAP version 1")?;
    writeln!(
        out,
        "# bele run {} (proptest seed {})",
        results.run_id, results.config.seed
    )?;
    writeln!(out, "1..{}", results.targets.len())?;
    for (ti, t) in results.targets.iter().enumerate() {
        let n = ti + 1;
        match t.status {
            TargetStatus::Unavailable => {
                writeln!(
                    out,
                    "ok {n} {} # SKIP unavailable: {}",
                    name(&t.triple),
                    one_line(t.reason.as_deref().unwrap_or_default())
                )?;
                continue;
            }
            TargetStatus::BuildFailed => {
                for line in t
                    .build
                    .as_ref()
                    .and_then(|b| b.log_tail.as_deref())
                    .unwrap_or_default()
                    .lines()
                {
                    writeln!(out, "# {line}")?;
                }
                writeln!(out, "not ok {n} {} # ERROR build failed", name(&t.triple))?;
                continue;
            }
            _ => {}
        }
        writeln!(out, "    KTAP version 1")?;
        writeln!(out, "    # Subtest: {}", name(&t.triple))?;
        writeln!(out, "    1..{}", t.binaries.len())?;
        let mut target_ok = t.status == TargetStatus::Ran;
        for (bi, b) in t.binaries.iter().enumerate() {
            writeln!(out, "        KTAP version 1")?;
            writeln!(out, "        # Subtest: {}", name(&b.id))?;
            writeln!(out, "        1..{}", b.tests.len())?;
            let mut bin_ok = b.error.is_none();
            if let Some(e) = &b.error {
                writeln!(out, "        # {}", one_line(e))?;
            }
            for (ri, r) in b.tests.iter().enumerate() {
                let i = ri + 1;
                let test = name(&r.name);
                if r.outcome.is_failure() {
                    bin_ok = false;
                    for line in r
                        .output
                        .as_deref()
                        .unwrap_or_default()
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .take(20)
                    {
                        writeln!(out, "        # {}", line.trim_end())?;
                    }
                    if let Some(input) = &r.minimal_input {
                        writeln!(out, "        # minimal failing input: {}", one_line(input))?;
                    }
                }
                let line = match r.outcome {
                    Outcome::Passed => format!("ok {i} {test}"),
                    Outcome::Failed => format!("not ok {i} {test}"),
                    Outcome::Crashed => format!(
                        "not ok {i} {test} # ERROR crashed: {}",
                        r.signal.as_deref().unwrap_or("?")
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
            target_ok &= bin_ok;
            writeln!(
                out,
                "    {} {} {}",
                if bin_ok { "ok" } else { "not ok" },
                bi + 1,
                name(&b.id)
            )?;
        }
        writeln!(
            out,
            "{} {n} {}",
            if target_ok { "ok" } else { "not ok" },
            name(&t.triple)
        )?;
    }
    Ok(())
}

/// A test name safe for a KTAP result line: `#` would start a directive.
fn name(s: &str) -> String {
    one_line(s).replace('#', "\\#")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;

    #[test]
    fn nested_targets_executables_tests() {
        let mut r = sample();
        r.targets[1].binaries[0].tests[0].outcome = Outcome::TimedOut;
        let mut out = Vec::new();
        write_ktap(&mut out, &r).unwrap();
        let k = String::from_utf8(out).unwrap();
        assert!(k.starts_with("KTAP version 1\n# bele run r (proptest seed 42)\n1..2\n    KTAP version 1\n    # Subtest: x86_64-unknown-linux-gnu\n"), "{k}");
        assert!(k.contains("        ok 4 hw # SKIP needs hardware\n"), "{k}");
        assert!(k.contains("ok 1 x86_64-unknown-linux-gnu\n"), "{k}");
        assert!(
            k.ends_with("    not ok 1 pkg\nnot ok 2 s390x-unknown-linux-gnu\n"),
            "{k}"
        );
        assert!(k.contains("        not ok 1 a # TIMEOUT\n"), "{k}");
        assert!(
            k.contains("        not ok 2 be_bug # ERROR crashed: SIGBUS\n"),
            "{k}"
        );
        assert!(k.contains("        # minimal failing input: bytes = [0, 0, 0, 1]\n        not ok 3 prop <script>|\\#\n"), "{k}");
    }
}
