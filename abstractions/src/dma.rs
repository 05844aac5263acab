//! A DMA descriptor ring: models the `dma_read!`/`dma_write!` view of coherent memory
//! (rust/kernel/dma.rs) holding descriptors with `__le64` addresses and `__le16` fields.

use alloc::vec::Vec;

use crate::endian::Le;
use crate::transmute::{AsBytes, FromBytes};

/// The device owns the descriptor (bit 15 of `flags`).
pub const DESC_OWN: u16 = 1 << 15;
/// Last descriptor of a packet.
pub const DESC_EOP: u16 = 1 << 0;

crate::wire_struct! {
    /// One descriptor, 16 bytes, little-endian as the device reads it.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct DmaDesc {
        addr: Le<u64>,
        len: Le<u16>,
        flags: Le<u16>,
        reserved: Le<u32>,
    }
}

impl DmaDesc {
    pub fn new(addr: u64, len: u16, flags: u16) -> DmaDesc {
        // Planted bug: the bus address kept in a `usize` on the way, truncated on 32-bit.
        #[cfg(feature = "mutant-dma-usize-addr")]
        let addr = addr as usize as u64;
        DmaDesc {
            addr: Le::from_cpu(addr),
            #[cfg(not(feature = "mutant-dma-host-len"))]
            len: Le::from_cpu(len),
            // Planted bug: a host-order length stored where the device expects little-endian.
            #[cfg(feature = "mutant-dma-host-len")]
            len: Le::from_raw(len),
            flags: Le::from_cpu(flags),
            reserved: Le::default(),
        }
    }

    pub fn addr(&self) -> u64 {
        self.addr.to_cpu()
    }
    pub fn len(&self) -> u16 {
        self.len.to_cpu()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn flags(&self) -> u16 {
        self.flags.to_cpu()
    }
}

/// A ring of descriptors in (modelled) coherent memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ring {
    descs: Vec<DmaDesc>,
}

impl Ring {
    pub fn push(&mut self, d: DmaDesc) {
        self.descs.push(d);
    }

    /// The ring's memory as the device sees it.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.descs
            .iter()
            .flat_map(|d| d.as_bytes().iter().copied())
            .collect()
    }

    /// Reads a ring the device wrote back.
    pub fn from_bytes(bytes: &[u8]) -> Ring {
        Ring {
            descs: bytes
                .chunks_exact(16)
                .filter_map(DmaDesc::from_bytes_copy)
                .collect(),
        }
    }

    pub fn descs(&self) -> &[DmaDesc] {
        &self.descs
    }
}

/// A completion entry the device writes into host memory and the driver reads in place (no
/// copy, no `FromBytes`): by the device's spec `status` at 0 and `cookie` at 8, 16 bytes.
/// The reserved word keeps `cookie` at 8 where `u64` aligns to 4 (i686) too; `align(8)`
/// keeps the entries of an array where the device puts them.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    status: Le<u32>,
    /// Planted bug (`mutant-completion-implicit-pad`): without the reserved word the
    /// compiler pads `cookie` to offset 8 where `u64` aligns to 8, and puts it at 4 where it
    /// aligns to 4. Round trips through the struct cannot see it.
    #[cfg(not(feature = "mutant-completion-implicit-pad"))]
    _reserved: Le<u32>,
    cookie: Le<u64>,
}

impl Completion {
    pub fn new(status: u32, cookie: u64) -> Completion {
        Completion {
            status: Le::from_cpu(status),
            #[cfg(not(feature = "mutant-completion-implicit-pad"))]
            _reserved: Le::default(),
            cookie: Le::from_cpu(cookie),
        }
    }

    pub fn status(&self) -> u32 {
        self.status.to_cpu()
    }

    /// The driver's cookie for the request this completes.
    pub fn cookie(&self) -> u64 {
        self.cookie.to_cpu()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn golden_ring_layout() {
        assert_eq!(core::mem::size_of::<DmaDesc>(), 16);
        bele_probe::layout!(DmaDesc {
            addr,
            len,
            flags,
            reserved
        });
        let mut ring = Ring::default();
        ring.push(DmaDesc::new(0x1_8000_0000, 1514, DESC_OWN | DESC_EOP));
        ring.push(DmaDesc::new(0x2000, 64, 0));
        bele_probe::wire("ring", &ring.to_bytes());
        let expected: [u8; 32] = [
            0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00, 0xea, 0x05, 0x01, 0x80, 0, 0, 0,
            0, //
            0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0, 0, 0, 0,
        ];
        assert_eq!(ring.to_bytes(), expected);
        assert_eq!(
            ring.to_bytes()[11] & 0x80,
            0x80,
            "OWN is the top bit of byte 11"
        );
    }

    #[test]
    fn a_completion_round_trips() {
        // The layout the device writes to, declared: bele compares it on every target.
        bele_probe::layout!(Completion { status, cookie });
        let c = Completion::new(0x8000_0001, 0x1_2345_6789);
        assert_eq!((c.status(), c.cookie()), (0x8000_0001, 0x1_2345_6789));
    }

    proptest! {
        #[test]
        fn descriptor_bytes_match_the_reference(addr: u64, len: u16, flags: u16) {
            let d = DmaDesc::new(addr, len, flags);
            bele_probe::wire("desc", d.as_bytes());
            let mut expected = Vec::new();
            expected.extend_from_slice(&addr.to_le_bytes());
            expected.extend_from_slice(&len.to_le_bytes());
            expected.extend_from_slice(&flags.to_le_bytes());
            expected.extend_from_slice(&[0; 4]);
            prop_assert_eq!(d.as_bytes(), &expected[..]);
            let back = Ring::from_bytes(&expected);
            prop_assert_eq!((back.descs()[0].addr(), back.descs()[0].len(), back.descs()[0].flags()), (addr, len, flags));
        }

        #[test]
        fn own_bit_lands_in_byte_11(len: u16, other in 0u16..0x8000) {
            let d = DmaDesc::new(0, len, DESC_OWN | other);
            bele_probe::wire("desc", d.as_bytes());
            prop_assert_eq!(d.as_bytes()[11] & 0x80, 0x80);
            let d = DmaDesc::new(0, len, other);
            prop_assert_eq!(d.as_bytes()[11] & 0x80, 0);
        }
    }
}
