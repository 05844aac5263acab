//! The `bele` binary: runs the command line and exits with the code it maps to.

#[allow(clippy::disallowed_methods)] // the one place that exits the process
fn main() {
    std::process::exit(bele::cli::main(std::env::args_os()));
}
