//! cargo, rustc, rustup and apt-get invocations as values, and the one place they are run.
//! (Test executables and QEMU are started by the `bele-qemu` crate, never here.)

use std::path::PathBuf;

use bele_qemu::shell_quote;

/// A command to run: program, arguments, added environment and working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
}

/// What a finished command printed, and whether it succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A command that could not be started at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot run `{command}`: {message}")]
pub struct CommandError {
    pub command: String,
    pub message: String,
}

impl CommandSpec {
    pub fn new(program: &str, cwd: impl Into<PathBuf>) -> CommandSpec {
        CommandSpec {
            program: program.to_string(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: cwd.into(),
        }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> CommandSpec {
        self.args.push(arg.into());
        self
    }

    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> CommandSpec {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> CommandSpec {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The command as a line to paste into a shell (added variables, program, arguments).
    pub fn display(&self) -> String {
        self.env
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_quote(v)))
            .chain(std::iter::once(shell_quote(&self.program)))
            .chain(self.args.iter().map(|a| shell_quote(a)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs the command to completion with `base_env` plus its own variables, capturing output.
    pub fn output(&self, base_env: &[(String, String)]) -> Result<CommandOutput, CommandError> {
        let err = |message: String| CommandError {
            command: self.display(),
            message,
        };
        let sh = xshell::Shell::new().map_err(|e| err(e.to_string()))?;
        sh.change_dir(&self.cwd);
        let out = sh
            .cmd(&self.program)
            .args(&self.args)
            .env_clear()
            .envs(base_env.iter().map(|(k, v)| (k, v)))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .quiet()
            .ignore_status()
            .output()
            .map_err(|e| err(e.to_string()))?;
        Ok(CommandOutput {
            success: out.status.success(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_a_pasteable_line() {
        let c = CommandSpec::new("cargo", "/w")
            .args(["test", "--features", "a b"])
            .env("RUSTC_BOOTSTRAP", "1");
        assert_eq!(c.display(), "RUSTC_BOOTSTRAP=1 cargo test --features 'a b'");
    }

    #[test]
    fn runs_with_only_the_given_environment() {
        let out = CommandSpec::new("/bin/sh", "/tmp")
            .args(["-c", "echo \"$A:$HOME:$(pwd)\"; echo e >&2; exit 4"])
            .env("A", "x")
            .output(&[])
            .unwrap();
        assert_eq!(out.stdout, "x::/tmp\n");
        assert_eq!(out.stderr, "e\n");
        assert_eq!((out.success, out.code), (false, Some(4)));
    }

    #[test]
    fn a_missing_program_is_an_error_naming_the_command() {
        let err = CommandSpec::new("no-such-tool-bele", "/")
            .arg("x")
            .output(&[])
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot run `no-such-tool-bele x`"),
            "{err}"
        );
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
