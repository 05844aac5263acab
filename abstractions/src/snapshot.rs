//! A register snapshot: models a devlink region snapshot of a device's MMIO registers
//! (`devlink_region_snapshot_create`), the dump a user saves and a vendor tool decodes:
//! magic, count, then (offset, value) pairs, all `__le32` like the registers themselves.
//!
//! Its tests only take a snapshot and parse it back. The dump leaves the machine, so its
//! bytes are recorded with `bele_probe::wire`.

use alloc::vec::Vec;

use crate::mmio::Mmio;

pub const MAGIC: [u8; 4] = *b"RSNP";

/// Register values read at given offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub regs: Vec<(u32, u32)>,
}

impl Snapshot {
    /// Reads the 32-bit registers at `offsets` (`readl`: CPU values).
    pub fn take(io: &Mmio, offsets: &[u32]) -> Snapshot {
        Snapshot {
            regs: offsets
                .iter()
                .map(|&o| (o, io.read32(o as usize)))
                .collect(),
        }
    }

    /// The dump's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 8 * self.regs.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&(self.regs.len() as u32).to_le_bytes());
        for &(offset, value) in &self.regs {
            out.extend_from_slice(&offset.to_le_bytes());
            #[cfg(not(feature = "mutant-snapshot-host-values"))]
            out.extend_from_slice(&value.to_le_bytes());
            // Planted bug: register values dumped in the CPU's order.
            #[cfg(feature = "mutant-snapshot-host-values")]
            out.extend_from_slice(&value.to_ne_bytes());
        }
        out
    }

    /// Parses a dump; `None` if it is not one.
    pub fn from_bytes(b: &[u8]) -> Option<Snapshot> {
        let word = |i: usize| -> Option<[u8; 4]> { b.get(i..i + 4)?.try_into().ok() };
        if word(0)? != MAGIC {
            return None;
        }
        let n = u32::from_le_bytes(word(4)?) as usize;
        let mut regs = Vec::with_capacity(n.min(1024));
        for i in 0..n {
            let at = 8 + 8 * i;
            let offset = u32::from_le_bytes(word(at)?);
            #[cfg(not(feature = "mutant-snapshot-host-values"))]
            let value = u32::from_le_bytes(word(at + 4)?);
            #[cfg(feature = "mutant-snapshot-host-values")]
            let value = u32::from_ne_bytes(word(at + 4)?);
            regs.push((offset, value));
        }
        Some(Snapshot { regs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_snapshot_parses_back() {
        let mut io = Mmio::new(16);
        io.write32(0xdead_beef, 0);
        io.write32(0x0000_0102, 8);
        let snap = Snapshot::take(&io, &[0, 8]);
        let dump = snap.to_bytes();
        bele_probe::wire("dump", &dump);
        assert_eq!(Snapshot::from_bytes(&dump), Some(snap));
        assert_eq!(Snapshot::from_bytes(b"RSNQ\0\0\0\0"), None);
    }

    proptest! {
        #[test]
        fn any_snapshot_parses_back(values in proptest::collection::vec(any::<u32>(), 0..8)) {
            let mut io = Mmio::new(4 * values.len());
            for (i, v) in values.iter().enumerate() {
                io.write32(*v, 4 * i);
            }
            let offsets: Vec<u32> = (0..values.len() as u32).map(|i| 4 * i).collect();
            let snap = Snapshot::take(&io, &offsets);
            let dump = snap.to_bytes();
            bele_probe::wire("dump", &dump);
            prop_assert_eq!(Snapshot::from_bytes(&dump), Some(snap));
        }
    }
}
