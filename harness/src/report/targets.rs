//! `bele targets`: the table, and for this machine what each target misses and how to fix it.

use std::io::{self, Write};

use super::style::{pad, Style};
use crate::host::doctor::TargetCheck;

pub fn write_targets(
    out: &mut dyn Write,
    checks: &[TargetCheck<'_>],
    style: Style,
) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{} {} {} {} {} {} {} {}",
            pad("target", 32),
            pad("arch", 8),
            pad("endian", 6),
            pad("bits", 4),
            pad("libc", 5),
            pad("runner", 15),
            pad("std", 9),
            "status"
        ))
    )?;
    for c in checks {
        let t = c.target;
        let runner = if c.native { "native" } else { t.qemu.as_str() };
        let status = if c.ready() {
            style.green("ready")
        } else {
            style.red("missing")
        };
        writeln!(
            out,
            "{} {} {} {} {} {} {} {}",
            pad(&t.triple, 32),
            pad(t.arch.name(), 8),
            pad(t.endian.short(), 6),
            pad(&t.pointer_width.to_string(), 4),
            pad(&t.libc.to_string(), 5),
            pad(runner, 15),
            pad(c.std.label(), 9),
            status
        )?;
        if let Some(cache) = &c.std_cache {
            if cache.is_ready() {
                writeln!(out, "    std: in bele's std cache, {}", cache.dir.display())?;
            } else {
                writeln!(
                    out,
                    "    std: not in bele's std cache yet (the first run or `bele setup` builds it into {})",
                    cache.dir.display()
                )?;
            }
        }
        for m in &c.missing {
            writeln!(out, "    missing: {m}")?;
        }
        for cmd in c.install_commands() {
            writeln!(out, "    fix: {cmd}")?;
        }
    }
    let missing = checks.iter().filter(|c| !c.ready()).count();
    if missing > 0 {
        writeln!(
            out,
            "\n{missing} of {} targets need setup: run `bele setup` (add --targets to narrow it)",
            checks.len()
        )?;
    } else {
        writeln!(out, "\nall {} targets are ready", checks.len())?;
    }
    Ok(())
}
