//! bele: build a crate's tests for many Linux targets, run them under QEMU user mode, and
//! report per target what passed, what failed, and why it matters.
//!
//! Data flows one way: the command line becomes a [`run::Plan`], the plan is carried out
//! ([`build`] through cargo, [`execute`] through `bele-qemu`), events go to reporters, and
//! the [`results`] model is saved and summarised.

pub mod atomic;
pub mod build;
pub mod cli;
pub mod confirm;
pub mod diff;
pub mod differential;
pub mod doctor;
pub mod env;
pub mod execute;
pub mod libtest;
pub mod probes;
pub mod process;
pub mod report;
pub mod results;
pub mod run;
pub mod selection;
pub mod setup;
pub mod spec;
pub mod stdcache;
pub mod toolchain;
pub mod triage;
pub mod workspace;
pub mod zig;
