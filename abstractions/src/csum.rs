//! The Internet checksum: models `csum_partial`, `csum_fold` and `ip_fast_csum`
//! (RFC 1071 one's complement sum of 16-bit words in network order).

/// Adds the 16-bit big-endian words of `buf` (an odd last byte padded with zero) to `sum`,
/// with end-around carry. The result is a partial sum for `csum_fold`.
pub fn csum_partial(buf: &[u8], sum: u32) -> u32 {
    let mut acc = u64::from(sum);
    let mut words = buf.chunks_exact(2);
    for w in &mut words {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        acc += u64::from(u16::from_be_bytes([*last, 0]));
    }
    while acc > 0xffff_ffff {
        acc = (acc & 0xffff_ffff) + (acc >> 32);
    }
    acc as u32
}

/// Folds a partial sum to 16 bits and complements it: the checksum, as a CPU value to be
/// stored big-endian (`Be::from_cpu`).
pub fn csum_fold(sum: u32) -> u16 {
    let mut s = (sum & 0xffff) + (sum >> 16);
    s = (s & 0xffff) + (s >> 16);
    !(s as u16)
}

/// The checksum of an IPv4 header; 0 when the stored checksum is right.
pub fn ip_fast_csum(header: &[u8]) -> u16 {
    csum_fold(csum_partial(header, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endian::Be;
    use crate::ipv4::tests::CAPTURED;
    use byteorder::{BigEndian, ByteOrder};
    use proptest::prelude::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (after folding).
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(csum_fold(csum_partial(&bytes, 0)), !0xddf2);
    }

    #[test]
    fn captured_header_verifies_and_stores_golden_bytes() {
        assert_eq!(ip_fast_csum(&CAPTURED), 0);
        let mut h = CAPTURED;
        h[10..12].fill(0);
        let c = ip_fast_csum(&h);
        bele_probe::wire("check", &Be::from_cpu(c).to_bytes());
        assert_eq!(Be::from_cpu(c).to_bytes(), [0xb8, 0x61]);
    }

    /// An independent reference: byteorder's reads and a plain fold.
    fn reference(buf: &[u8]) -> u16 {
        let mut sum: u64 = 0;
        for i in (0..buf.len()).step_by(2) {
            sum += if i + 1 < buf.len() {
                u64::from(BigEndian::read_u16(&buf[i..]))
            } else {
                u64::from(buf[i]) << 8
            };
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    proptest! {
        #[test]
        fn matches_the_reference(buf in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(ip_fast_csum(&buf), reference(&buf));
        }

        #[test]
        fn storing_the_checksum_makes_the_header_verify(mut h in proptest::array::uniform20(any::<u8>())) {
            h[10..12].fill(0);
            let c = ip_fast_csum(&h);
            h[10..12].copy_from_slice(&Be::from_cpu(c).to_bytes());
            bele_probe::wire("iphdr", &h);
            prop_assert_eq!(ip_fast_csum(&h), 0);
        }
    }
}
