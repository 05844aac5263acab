//! The only code in bele that starts test processes and emulators: test executables under
//! QEMU user mode (or natively for the host's own target), and kernels under qemu-system.
//!
//! A process is described by an [`Invocation`] (a plain value: runner, program, arguments,
//! environment, working directory), started by [`Process::spawn`] in its own process group,
//! watched line by line, killed with its children, and its end classified as an [`Exit`].
//! Nothing here knows about libtest or cargo; the harness interprets the lines.

pub mod clip;
mod exit;
mod invocation;
mod process;
mod system;
mod version;

pub use exit::{signal_name, Exit, GuestSignal};
pub use invocation::{shell_command, shell_quote, Invocation, Runner};
pub use process::{
    run_captured, run_lines, Captured, Cut, Line, Next, Process, SpawnError, Stream, CAPTURED_HEAD,
    CAPTURED_TAIL,
};
pub use system::{launcher_script, Boot};
pub use version::{parse_version, query_version};
