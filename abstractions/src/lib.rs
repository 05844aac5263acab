//! Kernel-style byte-order abstractions (`no_std` + `alloc`): the code bele exists to check.
//!
//! Each module models a kernel API and says which in its first line. Every property must
//! hold on every target bele knows, big- and little-endian, 32- and 64-bit. Properties are
//! checked against golden byte vectors and independent references (std's `to_le_bytes`
//! family, byteorder), never only as round trips: a consistently wrong encoder and decoder
//! round-trip perfectly.
//!
//! `unsafe` is denied except in `transmute` (zero-copy views, with their proofs) and behind
//! the `mutant-unaligned-cast` feature (a planted bug).
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod bitfield;
pub mod bitmap;
pub mod csum;
pub mod dma;
pub mod endian;
pub mod fwimage;
pub mod hilo;
pub mod ipv4;
pub mod mac;
pub mod mmio;
pub mod netlink;
pub mod pci;
pub mod phy;
pub mod register;
pub mod ringstate;
pub mod snapshot;
pub mod status;
pub mod tlv;
pub mod transmute;
pub mod unaligned;
pub mod virtio;

pub use endian::{Be, Le};
pub use mmio::Mmio;
