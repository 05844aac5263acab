//! IPv4 header view: models `struct iphdr` (include/uapi/linux/ip.h) with its `__be16`/`__be32`
//! fields and the version/ihl nibbles of its first byte.

use crate::endian::Be;
use crate::transmute::FromBytes;

crate::wire_struct! {
    /// `struct iphdr`, as on the wire.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Iphdr {
        /// Version in the high nibble, header length in 32-bit words in the low one.
        pub ver_ihl: u8,
        pub tos: u8,
        pub tot_len: Be<u16>,
        pub id: Be<u16>,
        pub frag_off: Be<u16>,
        pub ttl: u8,
        pub protocol: u8,
        pub check: Be<u16>,
        pub saddr: Be<u32>,
        pub daddr: Be<u32>,
    }
}

impl Iphdr {
    /// Copies a header out of a packet (any alignment).
    pub fn parse(packet: &[u8]) -> Option<Iphdr> {
        Iphdr::from_bytes_copy(packet)
    }

    #[cfg(not(feature = "mutant-ipv4-native-u16"))]
    fn nibbles(&self) -> (u8, u8) {
        (self.ver_ihl >> 4, self.ver_ihl & 0xf)
    }

    /// Planted bug: the nibbles taken from a native 16-bit load of the first two bytes.
    #[cfg(feature = "mutant-ipv4-native-u16")]
    fn nibbles(&self) -> (u8, u8) {
        let w = u16::from_ne_bytes([self.ver_ihl, self.tos]);
        (((w >> 4) & 0xf) as u8, (w & 0xf) as u8)
    }

    pub fn version(&self) -> u8 {
        self.nibbles().0
    }

    pub fn ihl(&self) -> u8 {
        self.nibbles().1
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::transmute::AsBytes;
    use proptest::prelude::*;

    /// A captured UDP packet's header: 192.168.0.1 -> 192.168.0.199, 115 bytes, checksum 0xb861.
    pub(crate) const CAPTURED: [u8; 20] = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];

    #[test]
    fn layout() {
        assert_eq!(core::mem::size_of::<Iphdr>(), 20);
        bele_probe::layout!(Iphdr {
            ver_ihl,
            tos,
            tot_len,
            id,
            frag_off,
            ttl,
            protocol,
            check,
            saddr,
            daddr
        });
    }

    #[test]
    fn captured_header_parses_and_serialises_identically() {
        let h = Iphdr::parse(&CAPTURED).unwrap();
        bele_probe::wire("iphdr", h.as_bytes());
        assert_eq!((h.version(), h.ihl()), (4, 5));
        assert_eq!(h.tot_len.to_cpu(), 115);
        assert_eq!(h.frag_off.to_cpu(), 0x4000, "don't fragment");
        assert_eq!((h.ttl, h.protocol), (64, 17));
        assert_eq!(h.check.to_cpu(), 0xb861);
        assert_eq!(h.saddr.to_cpu().to_be_bytes(), [192, 168, 0, 1]);
        assert_eq!(h.daddr.to_cpu(), 0xc0a8_00c7);
        assert_eq!(h.as_bytes(), &CAPTURED[..]);
    }

    proptest! {
        #[test]
        fn nibbles_and_lengths_follow_the_wire(version in 0u8..16, ihl in 0u8..16, tos: u8, len: u16, saddr: u32) {
            let mut b = CAPTURED;
            b[0] = version << 4 | ihl;
            b[1] = tos;
            b[2..4].copy_from_slice(&len.to_be_bytes());
            b[12..16].copy_from_slice(&saddr.to_be_bytes());
            let h = Iphdr::parse(&b).unwrap();
            bele_probe::wire("iphdr", h.as_bytes());
            prop_assert_eq!((h.version(), h.ihl(), h.tos), (version, ihl, tos));
            prop_assert_eq!(h.tot_len.to_cpu(), len);
            prop_assert_eq!(h.saddr.to_cpu(), saddr);
            prop_assert_eq!(h.as_bytes(), &b[..]);
        }
    }
}
