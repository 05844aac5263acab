//! Starting, watching and killing one process (and every process it started).
//!
//! Each process runs in a process group of its own, so a hung test, QEMU and anything the
//! test spawned are killed together, and a Ctrl-C at the terminal reaches bele, which
//! decides what to kill, rather than the tests.

use std::io::{BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

use crate::clip::{self, Clip, LINE_HEAD, LINE_TAIL};
use crate::{Exit, Invocation};

/// Lines read ahead of the consumer per process: with lines capped, this bounds the memory
/// a process's output can take however fast it writes.
const LINES_AHEAD: usize = 16;

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line of output, without its line terminator, decoded lossily. A line longer than
/// [`LINE_HEAD`] + [`LINE_TAIL`] bytes keeps only its ends: `text` then has a marker where
/// bytes were cut, and `cut` says where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub stream: Stream,
    pub text: String,
    pub cut: Option<Cut>,
}

/// Where a long line was cut: `text[..head_end]` is its start, `text[tail_start..]` its
/// end, and `bytes` bytes between them are gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub head_end: usize,
    pub tail_start: usize,
    pub bytes: u64,
}

impl Line {
    pub fn new(stream: Stream, clip: &Clip) -> Line {
        let (head, tail, bytes) = clip.parts();
        if bytes == 0 {
            return Line {
                stream,
                text: head,
                cut: None,
            };
        }
        let head_end = head.len();
        let text = clip::join(&head, &tail, bytes);
        Line {
            stream,
            cut: Some(Cut {
                head_end,
                tail_start: text.len() - tail.len(),
                bytes,
            }),
            text,
        }
    }

    /// The start and the end of a line that was cut, and how many bytes are gone between.
    pub fn cut_parts(&self) -> Option<(&str, &str, u64)> {
        self.cut.map(|c| {
            (
                &self.text[..c.head_end],
                &self.text[c.tail_start..],
                c.bytes,
            )
        })
    }
}

/// What waiting for the next line gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Line(Line),
    /// Nothing arrived within the wait; the process may still be running.
    Idle,
    /// Both streams are closed: the process has ended (or handed its streams away).
    Closed,
}

/// A process could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start `{program}`: {source}")]
pub struct SpawnError {
    pub program: String,
    #[source]
    pub source: std::io::Error,
}

/// A running process whose output arrives line by line.
#[derive(Debug)]
pub struct Process {
    child: Child,
    lines: Receiver<Option<Line>>,
    open_streams: u8,
}

impl Process {
    /// Starts `inv` in a new process group with both output streams piped and stdin closed.
    pub fn spawn(inv: &Invocation) -> Result<Process, SpawnError> {
        let mut cmd = inv.to_command();
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd.spawn().map_err(|source| SpawnError {
            program: inv.argv()[0].clone(),
            source,
        })?;
        let (tx, lines) = mpsc::sync_channel(LINES_AHEAD);
        if let Some(out) = child.stdout.take() {
            forward(out, Stream::Stdout, tx.clone());
        }
        if let Some(err) = child.stderr.take() {
            forward(err, Stream::Stderr, tx);
        }
        Ok(Process {
            child,
            lines,
            open_streams: 2,
        })
    }

    /// Like [`Process::spawn`], but both output streams go into one pipe, so lines arrive
    /// in the order the process wrote them (all as [`Stream::Stdout`]): what one thread
    /// printed to stderr between two lines on stdout stays between them.
    pub fn spawn_merged(inv: &Invocation) -> Result<Process, SpawnError> {
        let spawn_error = |source| SpawnError {
            program: inv.argv()[0].clone(),
            source,
        };
        let (reader, writer) = std::io::pipe().map_err(spawn_error)?;
        let mut cmd = inv.to_command();
        cmd.stdin(Stdio::null())
            .stdout(writer.try_clone().map_err(spawn_error)?)
            .stderr(writer)
            .process_group(0);
        let child = cmd.spawn().map_err(spawn_error)?;
        // The command holds the write ends; dropping it leaves the child's as the only ones,
        // so the pipe closes when the child (and what it started) exits.
        drop(cmd);
        let (tx, lines) = mpsc::sync_channel(LINES_AHEAD);
        forward(reader, Stream::Stdout, tx);
        Ok(Process {
            child,
            lines,
            open_streams: 1,
        })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `wait` for the next line of output.
    pub fn next_line(&mut self, wait: Duration) -> Next {
        loop {
            if self.open_streams == 0 {
                return Next::Closed;
            }
            match self.lines.recv_timeout(wait) {
                Ok(Some(line)) => return Next::Line(line),
                Ok(None) => self.open_streams -= 1,
                Err(RecvTimeoutError::Timeout) => return Next::Idle,
                Err(RecvTimeoutError::Disconnected) => {
                    self.open_streams = 0;
                }
            }
        }
    }

    /// Kills the process and everything in its process group.
    pub fn kill_tree(&mut self) {
        kill_group(self.child.id());
        // The group kill covers the child too; this also reaps nothing yet.
        let _ = self.child.kill();
    }

    /// Waits for the process to end. Read its output first (until [`Next::Closed`]) or kill
    /// it: only a few lines are read ahead, so a process with more to say waits for a reader.
    pub fn wait(&mut self) -> Exit {
        match self.child.wait() {
            Ok(status) => Exit::from_status(status),
            Err(_) => Exit::Code(-1),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill_tree();
            let _ = self.child.wait();
        }
    }
}

#[allow(unsafe_code)]
fn kill_group(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals the process group `pid`, which this
    // process created with `process_group(0)` and has not reaped yet, so the id cannot
    // have been reused for a group of someone else's.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

fn forward(stream: impl Read + Send + 'static, which: Stream, tx: SyncSender<Option<Line>>) {
    thread::spawn(move || {
        let mut reader = BufReader::with_capacity(64 * 1024, stream);
        while let Ok(Some(clip)) = clip::read_line(&mut reader, LINE_HEAD, LINE_TAIL) {
            if tx.send(Some(Line::new(which, &clip))).is_err() {
                return;
            }
        }
        let _ = tx.send(None);
    });
}

/// Bytes kept of each stream by [`run_captured`]: this much of its start and of its end.
pub const CAPTURED_HEAD: usize = 1024 * 1024;
pub const CAPTURED_TAIL: usize = 1024 * 1024;

/// The output of a process run to its end (or until its time ran out): each stream whole
/// up to [`CAPTURED_HEAD`] + [`CAPTURED_TAIL`] bytes, beyond that its ends with a marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub stdout: String,
    pub stderr: String,
    pub exit: Exit,
    /// The process was killed because it outlived its time.
    pub timed_out: bool,
}

/// Runs `inv` to completion, killing it (and its children) after `timeout`.
pub fn run_captured(inv: &Invocation, timeout: Duration) -> Result<Captured, SpawnError> {
    let mut stdout = Clip::new(CAPTURED_HEAD, CAPTURED_TAIL);
    let mut stderr = Clip::new(CAPTURED_HEAD, CAPTURED_TAIL);
    let (exit, timed_out) = run_lines(inv, timeout, &mut |line| {
        let sink = match line.stream {
            Stream::Stdout => &mut stdout,
            Stream::Stderr => &mut stderr,
        };
        sink.push_str(&line.text);
        sink.push_str("\n");
    })?;
    Ok(Captured {
        stdout: stdout.finish(),
        stderr: stderr.finish(),
        exit,
        timed_out,
    })
}

/// Runs `inv` to completion, handing each line of its output to `on_line` as it comes and
/// killing it (and its children) after `timeout`: how it ended, and whether time ran out.
pub fn run_lines(
    inv: &Invocation,
    timeout: Duration,
    on_line: &mut dyn FnMut(Line),
) -> Result<(Exit, bool), SpawnError> {
    let mut process = Process::spawn(inv)?;
    // A timeout past what the clock can hold (`--timeout 18446744073709551615`) is none.
    let deadline = Instant::now().checked_add(timeout);
    let mut timed_out = false;
    loop {
        let left = deadline.map_or(Duration::MAX, |d| {
            d.saturating_duration_since(Instant::now())
        });
        if left.is_zero() {
            timed_out = true;
            process.kill_tree();
            break;
        }
        match process.next_line(left.min(Duration::from_millis(200))) {
            Next::Line(line) => on_line(line),
            Next::Idle => {}
            Next::Closed => break,
        }
    }
    Ok((process.wait(), timed_out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Runner;

    #[test]
    fn a_timeout_past_the_clocks_range_is_no_timeout() {
        let mut lines = Vec::new();
        let (exit, timed_out) =
            run_lines(&sh("echo hi"), Duration::MAX, &mut |l| lines.push(l.text)).unwrap();
        assert!(exit.success() && !timed_out);
        assert_eq!(lines, ["hi"]);
    }

    #[test]
    fn merged_output_keeps_the_order_of_both_streams() {
        let mut p = Process::spawn_merged(&sh("echo one; echo two >&2; echo three; echo four >&2"))
            .unwrap();
        let mut got = Vec::new();
        loop {
            match p.next_line(Duration::from_secs(5)) {
                Next::Line(l) => got.push(l.text),
                Next::Idle => panic!("no output"),
                Next::Closed => break,
            }
        }
        assert_eq!(got, ["one", "two", "three", "four"]);
        assert!(p.wait().success());
    }

    fn sh(script: &str) -> Invocation {
        Invocation {
            runner: Runner::Native,
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![("GREETING".into(), "hello".into())],
            base_env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            cwd: "/".into(),
        }
    }

    #[test]
    fn captures_both_streams_the_environment_and_the_code() {
        let out = run_captured(
            &sh("echo $GREETING; echo oops >&2; pwd; exit 3"),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(out.stdout, "hello\n/\n");
        assert_eq!(out.stderr, "oops\n");
        assert_eq!(out.exit, Exit::Code(3));
        assert!(!out.timed_out);
    }

    #[test]
    fn environment_is_not_inherited_implicitly() {
        let out = run_captured(&sh("echo \"[$HOME]\""), Duration::from_secs(30)).unwrap();
        assert_eq!(out.stdout, "[]\n");
    }

    #[test]
    fn a_signal_death_is_reported_as_such() {
        let out = run_captured(&sh("kill -BUS $$"), Duration::from_secs(30)).unwrap();
        assert_eq!(out.exit, Exit::Signal(libc::SIGBUS));
        assert_eq!(out.exit.signal_name().as_deref(), Some("SIGBUS"));
    }

    /// The shell starts a grandchild that would keep the pipes open forever; the timeout
    /// must kill the whole group, or this test would never end.
    #[test]
    fn timeout_kills_the_process_and_its_children() {
        let out = run_captured(
            &sh("echo started; sleep 1000 & sleep 1000"),
            Duration::from_millis(300),
        )
        .unwrap();
        assert!(out.timed_out);
        assert_eq!(out.stdout, "started\n");
        assert_eq!(out.exit, Exit::Signal(libc::SIGKILL));
    }

    #[test]
    fn a_missing_program_is_a_spawn_error_naming_it() {
        let mut inv = sh("");
        inv.program = "/nonexistent/qemu-m68k".into();
        let err = run_captured(&inv, Duration::from_secs(1)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot start `/nonexistent/qemu-m68k`"),
            "{err}"
        );
    }

    #[test]
    fn lossy_decoding_keeps_lines_apart() {
        let out =
            run_captured(&sh("printf 'a\\377b\\r\\nsecond'"), Duration::from_secs(30)).unwrap();
        assert_eq!(out.stdout, "a\u{fffd}b\nsecond\n");
    }
}
