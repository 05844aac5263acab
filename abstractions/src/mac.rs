//! MAC address <-> u64: models `ether_addr_to_u64` / `u64_to_ether_addr`
//! (include/linux/etherdevice.h): the first octet is the most significant.

/// The address as a number, first octet most significant.
pub fn ether_addr_to_u64(addr: &[u8; 6]) -> u64 {
    addr.iter().fold(0u64, |u, b| (u << 8) | u64::from(*b))
}

/// The low 48 bits of `u` as an address.
pub fn u64_to_ether_addr(u: u64) -> [u8; 6] {
    let b = u.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use byteorder::{BigEndian, ByteOrder};
    use proptest::prelude::*;

    #[test]
    fn golden() {
        assert_eq!(
            ether_addr_to_u64(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]),
            0x0011_2233_4455
        );
        assert_eq!(
            u64_to_ether_addr(0xffff_0200_5e00_00fb),
            [0x02, 0x00, 0x5e, 0x00, 0x00, 0xfb]
        );
    }

    proptest! {
        #[test]
        fn agrees_with_byteorder(addr: [u8; 6]) {
            bele_probe::wire("addr", &u64_to_ether_addr(ether_addr_to_u64(&addr)));
            prop_assert_eq!(ether_addr_to_u64(&addr), BigEndian::read_u48(&addr));
            prop_assert_eq!(u64_to_ether_addr(ether_addr_to_u64(&addr)), addr);
        }
    }
}
