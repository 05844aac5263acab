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
        for c in &k.kunitconfigs {
            line.push_str(&format!(
                " --kunitconfig {}",
                bele_qemu::shell_quote(&c.display().to_string())
            ));
        }
        // A parameterised case runs with its test; a suite-level error with its suite.
        let test = test.split('/').next().unwrap_or(test);
        let glob = if test.is_empty() {
            binary.id.clone()
        } else {
            format!("{}.{test}", binary.id)
        };
        return format!("{line} {}", bele_qemu::shell_quote(&glob));
    }
    replay(target, binary, test, config, &[])
        .map_or_else(|| "(unknown runner)".into(), |i| i.shell_line())
}
