//! Reporters: progress while a run goes, the summary at its end, the target table.
//! Each writes to any `io::Write`, so tests write into a `Vec<u8>`.

mod progress;
mod style;
mod summary;
mod targets;

pub use progress::{LineReporter, ProgressReporter};
pub use style::Style;
pub use summary::write_summary;
pub use targets::write_targets;
