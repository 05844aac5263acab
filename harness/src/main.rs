//! The `bele` binary: parses arguments, calls the library, maps the outcome to an exit code.

use std::sync::atomic::{AtomicBool, Ordering};

use bele::cli::{self, Cli, Context, Outcome};
use clap::Parser;

static CANCEL: AtomicBool = AtomicBool::new(false);

#[allow(clippy::disallowed_methods)] // the one place that exits the process
fn main() {
    let cli = Cli::parse();
    // First Ctrl-C: stop starting work, kill running tests, save what is known.
    // Second: leave at once.
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!(
            "bele: interrupted; stopping tests and saving results (Ctrl-C again to quit now)"
        );
    });
    let (stdout_is_tty, stderr_is_tty) = cli::tty_state();
    let ctx = Context {
        env: bele::env::HostEnv::from_process(),
        cwd: std::env::current_dir().unwrap_or_else(|_| ".".into()),
        cancel: &CANCEL,
        stdout_is_tty,
        stderr_is_tty,
    };
    let code = match cli::run(cli, &ctx, &mut std::io::stdout(), &mut std::io::stderr()) {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::Failures) => 1,
        Ok(Outcome::Incomplete) => 3,
        Ok(Outcome::Interrupted) => 130,
        // `bele targets | head` closes the pipe early: not an error worth a message.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            0
        }
        Err(e) => {
            eprintln!("bele: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
