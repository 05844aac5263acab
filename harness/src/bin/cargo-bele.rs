//! `cargo bele ...`: cargo runs this as `cargo-bele bele ...`; it is `bele ...` exactly.

#[allow(clippy::disallowed_methods)] // the one place that exits the process
fn main() {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Called as a cargo subcommand, the subcommand's name comes first; called directly
    // (`cargo-bele test`), it does not.
    if args.get(1).is_some_and(|a| a == "bele") {
        args.remove(1);
    }
    std::process::exit(bele::cli::main(args));
}
