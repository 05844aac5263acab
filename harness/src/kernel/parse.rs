//! `bele kernel parse`: consoles saved elsewhere (a real s390x machine's serial log, a
//! KernelCI or LKFT lab's, kunit.py's `--raw_output`) read into the same results a boot
//! under QEMU gives, keyed the same way, so `merge` and `diff` compare a real machine with
//! the emulated ones. Text in, results out: nothing is built or booted.

use std::path::{Path, PathBuf};

use bele_targets::{KernelTarget, Target};

use super::results::{binaries, name_cut_tests, BootEnd};
use crate::model::*;

/// What `parse` reads: the kernel target the consoles came from, its user-mode twin (byte
/// order, width), each console file with its text, and the tree the kernel was built from
/// when known (doc-test keys are read from it).
pub struct Consoles<'a> {
    pub kernel: &'a KernelTarget,
    pub like: &'a Target,
    pub files: Vec<(PathBuf, String)>,
    pub tree: Option<&'a Path>,
    pub run_id: String,
    pub host: Host,
}

/// The results of `c`: one target, whose suites are those of every console in order (a run
/// isolated per suite leaves one console per boot).
pub fn parse(c: &Consoles<'_>) -> RunResults {
    let mut t = TargetResult::new(c.like, RunnerName::Native, Vec::new());
    t.triple = c.kernel.result_name();
    t.std = Some(StdUsed::Kernel);
    t.status = TargetStatus::Ran;
    t.console = c.files.first().map(|(p, _)| p.clone());
    let tree = c.tree.unwrap_or(Path::new(""));
    for (file, text) in &c.files {
        let lines: Vec<String> = text.lines().map(String::from).collect();
        let console = super::ktap::parse(text);
        t.binaries
            .extend(binaries(&console, &lines, &BootEnd::Exited, file, tree));
    }
    let version = (c.files.iter())
        .find_map(|(_, text)| linux_version(text))
        .unwrap_or_else(|| "unknown".into());
    let mut targets = vec![t];
    name_cut_tests(&mut targets);
    let mut results = super::results::kernel_run(
        c.run_id.clone(),
        c.host.clone(),
        String::new(),
        KernelInfo {
            tree: tree.to_path_buf(),
            version,
            ..KernelInfo::default()
        },
        (0, 0),
    );
    results.state = RunState::Complete;
    results.targets = targets;
    results
}

/// The kernel's version from its banner (`Linux version 7.2.13 (...)`), if the console has
/// it.
pub fn linux_version(console: &str) -> Option<String> {
    console.lines().find_map(|l| {
        let rest = &l[l.find("Linux version ")? + "Linux version ".len()..];
        rest.split_whitespace().next().map(String::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bele_targets::{KernelTable, Table};

    /// A console kunit.py printed on a real run (its own log lines, timestamps and all)
    /// reads into an s390x kernel target with its suites and tests.
    #[test]
    fn a_saved_console_reads_into_a_kernel_target() {
        let text = include_str!("../../tests/captured/kernel-s390x-console.txt");
        let kernels = KernelTable::builtin();
        let users = Table::builtin();
        let k = kernels.get("s390x").unwrap();
        let c = Consoles {
            kernel: k,
            like: users.get(&k.like).unwrap(),
            files: vec![("s390x.log".into(), text.to_string())],
            tree: None,
            run_id: "r".into(),
            host: Host {
                name: "h".into(),
                triple: "x86_64-unknown-linux-gnu".into(),
                cpus: 2,
            },
        };
        let r = parse(&c);
        let t = &r.targets[0];
        assert_eq!(t.triple, "s390x-linux-kernel");
        assert_eq!(t.endian.to_string(), "big");
        let counts = t.counts();
        assert!(counts.passed > 100, "{counts:?}");
        assert!(
            t.binaries.iter().any(|b| b.id == "rust_doctests_kernel"),
            "{:?}",
            t.binaries.iter().map(|b| &b.id).collect::<Vec<_>>()
        );
        assert_eq!(
            linux_version("[    0.000000] Linux version 7.2.13 (gcc 12) #1 SMP\n").as_deref(),
            Some("7.2.13")
        );
        assert_eq!(linux_version("no banner"), None);
    }
}
