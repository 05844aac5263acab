//! cargo, rustc, rustup and apt-get invocations as values, and the one place they are run.
//! (Test executables and QEMU are started by the `bele-qemu` crate, never here.)

use std::io::BufReader;
use std::path::PathBuf;
use std::process::Stdio;

use bele_qemu::clip;

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

/// Longest line of a streamed command's stdout handed on, and most of its stderr kept (its end).
pub const STREAM_LINE: usize = 1024 * 1024;
pub const STREAM_STDERR: usize = 256 * 1024;

/// How a streamed command ended, and the end of what it wrote to stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    pub success: bool,
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    pub stderr_tail: String,
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
        let argv: Vec<String> = std::iter::once(self.program.clone())
            .chain(self.args.iter().cloned())
            .collect();
        bele_qemu::shell_command(&self.env, &argv)
    }

    fn error(&self, message: impl ToString) -> CommandError {
        CommandError {
            command: self.display(),
            message: message.to_string(),
        }
    }

    /// Runs `f` on the command as xshell builds it, with `base_env` plus its own variables.
    fn with_cmd<T>(
        &self,
        base_env: &[(String, String)],
        f: impl FnOnce(xshell::Cmd<'_>) -> Result<T, CommandError>,
    ) -> Result<T, CommandError> {
        let sh = xshell::Shell::new().map_err(|e| self.error(e))?;
        sh.change_dir(&self.cwd);
        f(sh.cmd(&self.program)
            .args(&self.args)
            .env_clear()
            .envs(base_env.iter().map(|(k, v)| (k, v)))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .quiet()
            .ignore_status())
    }

    /// Runs the command to completion, handing each line of its stdout to `on_line` as it
    /// comes (lines past [`STREAM_LINE`] bytes are skipped) and keeping only the end of its
    /// stderr: for commands whose output has no bound, such as a build's.
    pub fn stream(
        &self,
        base_env: &[(String, String)],
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Streamed, CommandError> {
        let mut child = self.with_cmd(base_env, |cmd| {
            std::process::Command::from(cmd)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| self.error(e))
        })?;
        let stderr = child.stderr.take().map(|mut err| {
            std::thread::spawn(move || clip::read_to_end(&mut err, 0, STREAM_STDERR))
        });
        if let Some(out) = child.stdout.take() {
            let mut reader = BufReader::new(out);
            while let Ok(Some(line)) = clip::read_line(&mut reader, STREAM_LINE, 0) {
                if line.parts().2 == 0 {
                    on_line(&line.finish());
                }
            }
        }
        let status = child.wait().map_err(|e| self.error(e))?;
        Ok(Streamed {
            success: status.success(),
            code: status.code(),
            signal: std::os::unix::process::ExitStatusExt::signal(&status),
            stderr_tail: stderr
                .and_then(|t| t.join().ok())
                .map(|kept| kept.finish())
                .unwrap_or_default(),
        })
    }

    /// Runs the command to completion with `base_env` plus its own variables, capturing output.
    pub fn output(&self, base_env: &[(String, String)]) -> Result<CommandOutput, CommandError> {
        let out = self.with_cmd(base_env, |cmd| cmd.output().map_err(|e| self.error(e)))?;
        Ok(CommandOutput {
            success: out.status.success(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

impl CommandSpec {
    /// Runs the command in this process's place, as a compiler wrapper runs the compiler:
    /// stdin and stderr are this process's, stdout is captured. `None`: killed by a signal.
    pub fn run_capturing_stdout(
        &self,
        base_env: &[(String, String)],
    ) -> Result<(Option<i32>, String), CommandError> {
        let out = self.with_cmd(base_env, |cmd| {
            std::process::Command::from(cmd)
                .stdin(Stdio::inherit())
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| self.error(e))
        })?;
        Ok((
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    }

    /// Runs the command with this process's stdin, stdout and stderr; its exit code.
    pub fn run_inheriting(
        &self,
        base_env: &[(String, String)],
    ) -> Result<Option<i32>, CommandError> {
        let status = self.with_cmd(base_env, |cmd| {
            std::process::Command::from(cmd)
                .status()
                .map_err(|e| self.error(e))
        })?;
        Ok(status.code())
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
        let (code, stdout) = CommandSpec::new("/bin/sh", "/tmp")
            .args(["-c", "echo out; exit 5"])
            .run_capturing_stdout(&[])
            .unwrap();
        assert_eq!((code, stdout.as_str()), (Some(5), "out\n"));
        let code = CommandSpec::new("/bin/sh", "/tmp")
            .args(["-c", "exit 6"])
            .run_inheriting(&[])
            .unwrap();
        assert_eq!(code, Some(6));
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
    fn streaming_hands_on_lines_and_keeps_the_end_of_stderr() {
        let mut lines = Vec::new();
        let out = CommandSpec::new("/bin/sh", "/tmp")
            .args([
                "-c",
                "echo one; head -c 3000000 /dev/zero | tr '\\0' x; echo; echo two; \
                 head -c 600000 /dev/zero | tr '\\0' e >&2; echo last >&2; exit 3",
            ])
            .stream(&[], &mut |l| lines.push(l.to_string()))
            .unwrap();
        assert_eq!(lines, ["one", "two"]);
        assert_eq!((out.success, out.code), (false, Some(3)));
        assert!(
            out.stderr_tail.ends_with("eeelast\n"),
            "{}",
            &out.stderr_tail[..50]
        );
        assert!(out.stderr_tail.len() < STREAM_STDERR + 100);
        assert!(
            out.stderr_tail.starts_with("\n[... "),
            "{}",
            &out.stderr_tail[..50]
        );
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
