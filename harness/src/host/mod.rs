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

/// This machine as results name it: its host name (`localhost` when it cannot be read),
/// `triple`, its CPUs.
pub(crate) fn this_host(triple: &str) -> crate::model::Host {
    crate::model::Host {
        name: std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into()),
        triple: triple.to_string(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}
