//! How a process ended: exit code or signal, with the guest's view of a crash parsed from QEMU.

use std::fmt;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// The end of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by a signal (host numbering: QEMU re-raises a guest's fatal signal on itself,
    /// mapped to the host's number).
    Signal(i32),
}

impl Exit {
    pub fn from_status(status: ExitStatus) -> Exit {
        match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(sig)) => Exit::Signal(sig),
            (None, None) => Exit::Code(-1),
        }
    }

    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }

    /// The signal's name (`SIGBUS`), if the process died of one.
    pub fn signal_name(self) -> Option<String> {
        match self {
            Exit::Signal(n) => Some(signal_name(n)),
            Exit::Code(_) => None,
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "exit code {c}"),
            Exit::Signal(n) => write!(f, "signal {n} ({})", signal_name(*n)),
        }
    }
}

/// The host name of signal `n`.
pub fn signal_name(n: i32) -> String {
    let name = match n {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSYS => "SIGSYS",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        _ => return format!("signal {n}"),
    };
    name.to_string()
}

/// QEMU's own report of a fatal guest signal, in the guest's numbering:
/// `qemu: uncaught target signal 10 (Bus error) - core dumped`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestSignal {
    pub number: i32,
    pub description: String,
}

impl GuestSignal {
    /// Finds QEMU's report in a process's standard error, if it is there.
    pub fn parse(stderr: &str) -> Option<GuestSignal> {
        stderr.lines().rev().find_map(|line| {
            let rest = line.trim().strip_prefix("qemu: uncaught target signal ")?;
            let (number, rest) = rest.split_once(' ')?;
            let description = rest.strip_prefix('(')?.split_once(')')?.0;
            Some(GuestSignal {
                number: number.parse().ok()?,
                description: description.to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classification() {
        assert_eq!(Exit::from_status(ExitStatus::from_raw(0)), Exit::Code(0));
        assert_eq!(
            Exit::from_status(ExitStatus::from_raw(101 << 8)),
            Exit::Code(101)
        );
        assert_eq!(
            Exit::from_status(ExitStatus::from_raw(libc::SIGBUS)),
            Exit::Signal(libc::SIGBUS)
        );
        // The raw status of a core-dumping death carries the 0x80 core flag.
        let cored = Exit::from_status(ExitStatus::from_raw(libc::SIGSEGV | 0x80));
        assert_eq!(cored.signal_name().as_deref(), Some("SIGSEGV"));
        assert!(Exit::Code(0).success());
        assert_eq!(
            Exit::Signal(libc::SIGABRT).to_string(),
            "signal 6 (SIGABRT)"
        );
        assert_eq!(signal_name(99), "signal 99");
    }

    /// Captured from qemu-sparc64 7.2 and qemu-mips 7.2 standard error.
    #[test]
    fn guest_signal_from_captured_qemu_stderr() {
        let text =
            "thread 'x' panicked\nqemu: uncaught target signal 10 (Bus error) - core dumped\n";
        assert_eq!(
            GuestSignal::parse(text),
            Some(GuestSignal {
                number: 10,
                description: "Bus error".into()
            })
        );
        assert_eq!(
            GuestSignal::parse("qemu: uncaught target signal 6 (Aborted) - core dumped"),
            Some(GuestSignal {
                number: 6,
                description: "Aborted".into()
            })
        );
        assert_eq!(
            GuestSignal::parse("qemu: uncaught target signal x (y)"),
            None
        );
        assert_eq!(GuestSignal::parse("Segmentation fault"), None);
    }

    proptest::proptest! {
        #[test]
        fn guest_signal_parse_never_panics(s in "\\PC{0,120}") {
            let _ = GuestSignal::parse(&s);
        }
    }
}
