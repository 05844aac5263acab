//! Kernel-style byte-order abstractions (`no_std` + `alloc`): the code bele exists to check.
//!
//! Each module models a kernel API and says which in its first line. Every property must
//! hold on every target bele knows, big- and little-endian, 32- and 64-bit.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod endian;
pub mod unaligned;

pub use endian::{Be, Le};
