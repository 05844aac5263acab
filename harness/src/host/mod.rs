//! What this machine has, and how to get the rest: the Rust toolchain, what each target
//! misses (`doctor`) and the commands that install it (`setup`), zig for big-endian ARM,
//! derived target specs, bele's std cache, and a second QEMU (`qemu_sid`).

pub(crate) mod doctor;
pub(crate) mod qemu_sid;
pub(crate) mod setup;
pub(crate) mod spec;
pub(crate) mod stdcache;
pub(crate) mod toolchain;
pub(crate) mod zig;
