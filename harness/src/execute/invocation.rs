//! The one place that says how a test harness is called: the executable under its target's
//! runner, or for doc-tests cargo's rustdoc command (which runs each doc-test through the
//! runner itself), with the run's proptest seed. Runs, probe checks and replays use it.

use std::path::Path;

use bele_qemu::{Invocation, Runner};

use crate::model::{proptest_env, BinaryResult, DocCommand, RunConfigInfo, TargetResult};

/// One call of a test harness.
#[derive(Debug, Clone)]
pub(crate) struct HarnessCall<'a> {
    /// The target's runner (ignored for doc-tests: cargo runs them through it).
    pub runner: Runner,
    pub program: &'a Path,
    pub cwd: &'a Path,
    /// For doc-tests, rustdoc's command; the harness arguments follow its `--`.
    pub doc: Option<&'a DocCommand>,
    /// libtest's arguments.
    pub args: Vec<String>,
    /// Variables of this call beside the proptest ones.
    pub env: Vec<(String, String)>,
    pub seed: u64,
    pub base_env: &'a [(String, String)],
}

impl HarnessCall<'_> {
    pub fn invocation(self) -> Invocation {
        let mut env = Vec::new();
        let (runner, args) = match self.doc {
            None => (self.runner, self.args),
            Some(doc) => {
                env.extend(doc.env.iter().cloned());
                let mut all = doc.args.clone();
                all.push("--".into());
                all.extend(self.args);
                (Runner::Native, all)
            }
        };
        env.extend(self.env);
        env.extend(proptest_env(self.seed));
        Invocation {
            runner,
            program: self.program.to_path_buf(),
            args,
            env,
            base_env: self.base_env.to_vec(),
            cwd: self.cwd.to_path_buf(),
        }
    }
}

/// The invocation that re-runs one test of one executable on `target`, alone, with its
/// output streamed and the run's proptest seed and filters; `None` if the runner is not
/// known. rustdoc cannot select one doc-test by its whole name: for doc-tests this runs the
/// examples of its item (or file), the one named among them.
pub(crate) fn replay(
    target: &TargetResult,
    binary: &BinaryResult,
    test: &str,
    config: &RunConfigInfo,
    base_env: &[(String, String)],
) -> Option<Invocation> {
    let runner = Runner::from_prefix(&target.runner_prefix)?;
    let name = match binary.doc {
        None => test,
        Some(_) => crate::execute::libtest::doc_test_word(test),
    };
    let mut args = Vec::new();
    if binary.doc.is_none() {
        args.push("--exact".to_string());
    }
    args.push(name.into());
    args.push("--nocapture".into());
    args.extend(config.filter.mode_args());
    Some(
        HarnessCall {
            runner,
            program: &binary.executable,
            cwd: &binary.cwd,
            doc: binary.doc.as_ref(),
            args,
            env: Vec::new(),
            seed: config.seed,
            base_env,
        }
        .invocation(),
    )
}

/// The shell line that re-runs `test` of executable `binary` on `target`, if that executable
/// ran there.
pub(crate) fn repro_of(
    target: &TargetResult,
    binary: &str,
    test: &str,
    config: &RunConfigInfo,
) -> Option<String> {
    let b = target.binaries.iter().find(|b| b.id == binary)?;
    Some(repro_line(target, b, test, config))
}

/// A shell line that re-runs one test of one executable on `target`, by hand: for a kernel
/// test, `bele kernel` on that target with the test's suite and name as the glob.
pub fn repro_line(
    target: &TargetResult,
    binary: &BinaryResult,
    test: &str,
    config: &RunConfigInfo,
) -> String {
    if let Some(k) = &config.kernel {
        let mut line = format!(
            "bele kernel --tree {} --targets {}",
            bele_qemu::shell_quote(&k.tree.display().to_string()),
            target.triple.split('-').next().unwrap_or(&target.triple)
        );
        for s in &k.suites {
            line.push_str(&format!(" --suites {}", bele_qemu::shell_quote(s)));
        }
        if k.kasan {
            line.push_str(" --kasan");
        }
        if let Some(q) = &k.qemu {
            line.push_str(&format!(" --qemu {}", bele_qemu::shell_quote(q)));
        }
        for c in &k.kunitconfigs {
            line.push_str(&format!(
                " --kunitconfig {}",
                bele_qemu::shell_quote(&c.display().to_string())
            ));
        }
        for add in &k.kconfig_add {
            line.push_str(&format!(" --kconfig-add {}", bele_qemu::shell_quote(add)));
        }
        for (flag, words) in [
            ("--make-options", &k.make_options),
            ("--kernel-args", &k.kernel_args),
            ("--qemu-args", &k.qemu_args),
        ] {
            if !words.is_empty() {
                line.push_str(&format!(
                    " {flag} {}",
                    bele_qemu::shell_quote(&words.join(" "))
                ));
            }
        }
        // A parameterised case runs with its test; a suite-level error, and a test known
        // only by its place (`(test 3)`), with its suite.
        let test = test.split('/').next().unwrap_or(test);
        let glob = if test.is_empty() || test.starts_with('(') {
            binary.id.clone()
        } else {
            format!("{}.{test}", binary.id)
        };
        return format!("{line} {}", bele_qemu::shell_quote(&glob));
    }
    let line = replay(target, binary, test, config, &[])
        .map_or_else(|| "(unknown runner)".into(), |i| i.shell_line());
    let output = (binary.tests.iter())
        .find(|r| r.name == test)
        .and_then(|r| r.output.as_deref())
        .unwrap_or_default();
    if ignores_the_seed(output) {
        return format!("{line}  {UNSEEDED}");
    }
    line
}

/// What a repro line says when the test's proptest ignores the seed it is given: a shell
/// comment, so the line still runs as pasted.
pub const UNSEEDED: &str =
    "# not seeded: this proptest ignores PROPTEST_RNG_SEED (it said so); it \
     replays the failing case it saved under proptest-regressions/, if it saved one";

/// Whether a test's output shows its proptest ignoring the seed bele gives it (proptest
/// 1.5.0, for one, reads no `PROPTEST_RNG_SEED` and says so).
pub fn ignores_the_seed(output: &str) -> bool {
    output.contains("Ignoring unknown env-var PROPTEST_RNG_SEED")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KernelInfo;
    use crate::testdata::sample;

    /// A repro line runs the test with the run's seed; where the test's proptest said it
    /// ignores the seed, the line says it is not seeded, as a comment that leaves it
    /// runnable.
    #[test]
    #[allow(clippy::disallowed_methods, reason = "bash checks the line parses")]
    fn a_repro_line_says_when_it_is_not_seeded() {
        let mut r = sample();
        let t = &r.targets[1];
        let line = repro_line(t, &t.binaries[0], "be_bug", &r.config);
        assert!(line.contains("PROPTEST_RNG_SEED="), "{line}");
        assert!(!line.contains("not seeded"), "{line}");
        let x = (r.targets[1].binaries[0].tests.iter_mut())
            .find(|x| x.name == "be_bug")
            .unwrap();
        x.output = Some(
            "proptest: Ignoring unknown env-var PROPTEST_RNG_SEED.\nthread 'be_bug' panicked"
                .into(),
        );
        let t = &r.targets[1];
        let line = repro_line(t, &t.binaries[0], "be_bug", &r.config);
        assert!(
            line.ends_with(&format!("--nocapture  {UNSEEDED}")),
            "{line}"
        );
        let status = std::process::Command::new("bash")
            .args(["-n", "-c", &line])
            .status()
            .unwrap();
        assert!(status.success(), "the line still parses: {line}");
    }

    /// A kernel test's repro line is a `bele kernel` run of that test with everything the
    /// run was given that changes what it does: suite sets, KASAN, another QEMU,
    /// kunitconfigs, make options, kernel and QEMU arguments.
    #[test]
    fn a_kernel_repro_line_carries_the_runs_options() {
        let mut r = sample();
        r.config.kernel = Some(KernelInfo {
            tree: "/src/linux tree".into(),
            version: "7.2.1".into(),
            kunitconfigs: vec!["my.kunitconfig".into()],
            filter_globs: Vec::new(),
            kernel_args: vec!["oops=panic".into()],
            qemu_args: vec!["-smp".into(), "2".into()],
            make_options: vec!["LLVM=1".into()],
            kconfig_add: vec!["CONFIG_UBSAN=y".into()],
            suites: vec!["endian".into()],
            kasan: true,
            qemu: Some("sid".into()),
        });
        let t = &mut r.targets[1];
        t.triple = "s390x-linux-kernel".into();
        t.binaries[0].id = "rust_kernel_things".into();
        let t = &r.targets[1];
        assert_eq!(
            repro_line(t, &t.binaries[0], "reads_a_length", &r.config),
            "bele kernel --tree '/src/linux tree' --targets s390x --suites endian --kasan \
             --qemu sid --kunitconfig my.kunitconfig --kconfig-add CONFIG_UBSAN=y --make-options LLVM=1 --kernel-args oops=panic --qemu-args '-smp 2' \
             rust_kernel_things.reads_a_length"
        );
        // A test known only by its place replays its suite.
        assert!(repro_line(t, &t.binaries[0], "(test 2)", &r.config)
            .ends_with("--qemu-args '-smp 2' rust_kernel_things"));
    }
}
