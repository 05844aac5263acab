//! `bele kernel`: the kernel's own Rust tests (KUnit suites and the `kernel` crate's
//! doc-tests) built into a kernel per target, booted under qemu-system, and their KTAP read
//! into the same results model as user mode, so verdicts, reports, `diff` and `merge` work
//! unchanged.

pub(crate) mod build;
pub(crate) mod ktap;
pub(crate) mod parse;
pub(crate) mod recheck;
pub(crate) mod results;
pub(crate) mod run;
pub(crate) mod suites;
pub(crate) mod tools;
pub(crate) mod tree;
