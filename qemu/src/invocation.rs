//! An invocation of a test executable as a plain value, and the command line it becomes.

use std::path::PathBuf;

/// How an executable built for a target is run on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    /// Directly: the target is the host's own.
    Native,
    /// Under QEMU user mode: `<binary> [-L <sysroot>] <program> <args>`; no sysroot for
    /// statically linked executables.
    Qemu {
        binary: String,
        sysroot: Option<PathBuf>,
    },
}

impl Runner {
    /// What precedes the program on the command line: `qemu-s390x -L /usr/s390x-linux-gnu`.
    pub fn prefix(&self) -> Vec<String> {
        match self {
            Runner::Native => Vec::new(),
            Runner::Qemu {
                binary,
                sysroot: Some(sysroot),
            } => vec![binary.clone(), "-L".into(), sysroot.display().to_string()],
            Runner::Qemu {
                binary,
                sysroot: None,
            } => vec![binary.clone()],
        }
    }
}

impl Runner {
    /// The runner whose `prefix()` is `prefix` (as recorded in results files).
    pub fn from_prefix(prefix: &[String]) -> Option<Runner> {
        match prefix {
            [] => Some(Runner::Native),
            [binary, l, sysroot] if l == "-L" => Some(Runner::Qemu {
                binary: binary.clone(),
                sysroot: Some(sysroot.into()),
            }),
            [binary] if binary.starts_with("qemu-") => Some(Runner::Qemu {
                binary: binary.clone(),
                sysroot: None,
            }),
            _ => None,
        }
    }
}

/// Everything needed to start one process. Built by the caller, executed here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub runner: Runner,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Variables set on top of `base_env`.
    pub env: Vec<(String, String)>,
    /// The complete environment the process starts from: nothing is inherited implicitly.
    pub base_env: Vec<(String, String)>,
    pub cwd: PathBuf,
}

impl Invocation {
    /// The program and arguments actually executed, runner included.
    pub fn argv(&self) -> Vec<String> {
        let mut argv = self.runner.prefix();
        argv.push(self.program.display().to_string());
        argv.extend(self.args.iter().cloned());
        argv
    }

    /// A line a person can paste into a shell to run the same thing (the added variables,
    /// the working directory and the command; the inherited environment is not repeated).
    pub fn shell_line(&self) -> String {
        format!(
            "cd {} && {}",
            shell_quote(&self.cwd.display().to_string()),
            shell_command(&self.env, &self.argv())
        )
    }

    pub(crate) fn to_command(&self) -> std::process::Command {
        let argv = self.argv();
        #[allow(clippy::disallowed_methods)] // this is the one place test processes are made
        let mut cmd = std::process::Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env_clear()
            .envs(self.base_env.iter().map(|(k, v)| (k, v)))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd);
        cmd
    }
}

/// `argv` with the variables `env` added, as one line a POSIX shell runs: `K=v cmd ...`
/// when every name can be assigned that way, else `env 'K=v' ... cmd ...` (cargo reads
/// names such as `CC_aarch64_be-unknown-linux-musl`, which a shell cannot assign).
pub fn shell_command(env: &[(String, String)], argv: &[String]) -> String {
    let assignable = |k: &str| {
        k.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let mut parts: Vec<String> = Vec::new();
    if env.iter().all(|(k, _)| assignable(k)) {
        // An assignment's name and `=` must stay unquoted.
        parts.extend(env.iter().map(|(k, v)| format!("{k}={}", shell_quote(v))));
    } else {
        parts.push("env".into());
        parts.extend(env.iter().map(|(k, v)| shell_quote(&format!("{k}={v}"))));
    }
    parts.extend(argv.iter().map(|a| shell_quote(a)));
    parts.join(" ")
}

/// Quotes `s` for a POSIX shell when it needs quoting.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each printed line runs in a real shell and sets what it says.
    #[test]
    fn printed_commands_are_valid_shell() {
        let run = |env: &[(&str, &str)]| {
            let env: Vec<(String, String)> = (env.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let argv = ["/usr/bin/env".to_string()];
            let line = shell_command(&env, &argv);
            #[allow(clippy::disallowed_methods)] // a shell, to check the line as a user runs it
            let out = std::process::Command::new("bash")
                .args(["-c", &line])
                .output()
                .unwrap();
            assert!(out.status.success(), "{line}: {out:?}");
            (
                line,
                format!("\n{}", String::from_utf8(out.stdout).unwrap()),
            )
        };
        let (line, out) = run(&[("RUSTFLAGS", "-C a b"), ("X", "it's")]);
        assert_eq!(line, "RUSTFLAGS='-C a b' X='it'\\''s' /usr/bin/env");
        assert!(
            out.contains("\nRUSTFLAGS=-C a b\n") && out.contains("\nX=it's\n"),
            "{out}"
        );
        let (line, out) = run(&[
            ("CC_aarch64_be-unknown-linux-musl", "/z/cc"),
            ("RUSTFLAGS", "-C a b"),
        ]);
        assert_eq!(
            line,
            "env CC_aarch64_be-unknown-linux-musl=/z/cc 'RUSTFLAGS=-C a b' /usr/bin/env"
        );
        assert!(
            out.contains("\nCC_aarch64_be-unknown-linux-musl=/z/cc\n"),
            "{out}"
        );
        assert!(out.contains("\nRUSTFLAGS=-C a b\n"), "{out}");
    }

    fn inv(runner: Runner) -> Invocation {
        Invocation {
            runner,
            program: "/t/deps/abstractions-1234".into(),
            args: vec!["--exact".into(), "le::round trip".into()],
            env: vec![("RUSTC_BOOTSTRAP".into(), "1".into())],
            base_env: vec![],
            cwd: "/src/abstractions".into(),
        }
    }

    #[test]
    fn qemu_argv_puts_the_sysroot_before_the_program() {
        let i = inv(Runner::Qemu {
            binary: "qemu-s390x".into(),
            sysroot: Some("/usr/s390x-linux-gnu".into()),
        });
        assert_eq!(
            i.argv(),
            [
                "qemu-s390x",
                "-L",
                "/usr/s390x-linux-gnu",
                "/t/deps/abstractions-1234",
                "--exact",
                "le::round trip"
            ]
        );
        assert_eq!(
            i.shell_line(),
            "cd /src/abstractions && RUSTC_BOOTSTRAP=1 qemu-s390x -L /usr/s390x-linux-gnu /t/deps/abstractions-1234 --exact 'le::round trip'"
        );
    }

    #[test]
    fn prefix_round_trips() {
        for r in [
            Runner::Native,
            Runner::Qemu {
                binary: "qemu-ppc".into(),
                sysroot: Some("/usr/powerpc-linux-gnu".into()),
            },
            Runner::Qemu {
                binary: "qemu-aarch64_be".into(),
                sysroot: None,
            },
        ] {
            assert_eq!(Runner::from_prefix(&r.prefix()), Some(r));
        }
        assert_eq!(Runner::from_prefix(&["/t/prog".into()]), None);
        assert_eq!(
            Runner::from_prefix(&["qemu-ppc".into(), "-x".into(), "y".into()]),
            None
        );
    }

    #[test]
    fn native_argv_is_just_the_program() {
        assert_eq!(inv(Runner::Native).argv()[0], "/t/deps/abstractions-1234");
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a$b"), "'a$b'");
    }
}
