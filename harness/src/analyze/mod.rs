//! Analysis: pure functions of the results model. `verdict` is the rule table (a leaf);
//! `triage` and `differential` apply it to tests and probe records; `findings` sits above
//! both and derives, once, what every report and the exit code read; `diff` compares runs.

pub(crate) mod diff;
pub(crate) mod differential;
pub(crate) mod findings;
pub(crate) mod layouts;
pub(crate) mod triage;
pub(crate) mod verdict;
