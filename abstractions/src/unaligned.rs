//! Unaligned accessors: models `get_unaligned_le32` / `put_unaligned_be16` (linux/unaligned.h).
//!
//! Wire formats put fields at any offset; these read and write them byte-wise, so the result
//! is the same at every alignment and on every CPU, including those that trap on misaligned
//! loads (SPARC, older MIPS and ARM).

macro_rules! accessors {
    ($($get:ident, $put:ident, $t:ty, $n:literal, $from:ident, $to:ident;)*) => {$(
        /// Reads the value stored at the start of `buf`; panics if `buf` is too short.
        pub fn $get(buf: &[u8]) -> $t {
            let mut b = [0u8; $n];
            b.copy_from_slice(&buf[..$n]);
            <$t>::$from(b)
        }
        /// Stores `v` at the start of `buf`; panics if `buf` is too short.
        pub fn $put(v: $t, buf: &mut [u8]) {
            buf[..$n].copy_from_slice(&v.$to());
        }
    )*};
}

accessors! {
    get_unaligned_le16, put_unaligned_le16, u16, 2, from_le_bytes, to_le_bytes;
    get_unaligned_le32_bytewise, put_unaligned_le32, u32, 4, from_le_bytes, to_le_bytes;
    get_unaligned_le64, put_unaligned_le64, u64, 8, from_le_bytes, to_le_bytes;
    get_unaligned_be16, put_unaligned_be16, u16, 2, from_be_bytes, to_be_bytes;
    get_unaligned_be32, put_unaligned_be32, u32, 4, from_be_bytes, to_be_bytes;
    get_unaligned_be64, put_unaligned_be64, u64, 8, from_be_bytes, to_be_bytes;
}

/// Reads a little-endian `u32` at the start of `buf`; panics if `buf` is too short.
#[cfg(not(feature = "mutant-unaligned-cast"))]
pub fn get_unaligned_le32(buf: &[u8]) -> u32 {
    get_unaligned_le32_bytewise(buf)
}

/// Planted bug: a pointer cast and `read_unaligned` of a native `u32`, the way C code
/// casts `*(u32 *)p`; right on little-endian CPUs only.
#[cfg(feature = "mutant-unaligned-cast")]
#[allow(unsafe_code)]
pub fn get_unaligned_le32(buf: &[u8]) -> u32 {
    assert!(buf.len() >= 4);
    // SAFETY: the assert above keeps the read inside `buf`; read_unaligned has no
    // alignment requirement.
    unsafe { core::ptr::read_unaligned(buf.as_ptr().cast::<u32>()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use byteorder::{BigEndian, ByteOrder, LittleEndian};
    use proptest::prelude::*;
    use std::vec;

    #[test]
    fn golden_vectors() {
        let buf = [0xaa, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
        assert_eq!(get_unaligned_le32(&buf[1..]), 0x0403_0201);
        assert_eq!(get_unaligned_be32(&buf[1..]), 0x0102_0304);
        assert_eq!(get_unaligned_le16(&buf[1..]), 0x0201);
        assert_eq!(get_unaligned_be64(&buf[1..]), 0x0102_0304_0506_0708);
        let mut out = [0u8; 3];
        put_unaligned_be16(0x0800, &mut out[1..]);
        bele_probe::wire("be16", &out);
        assert_eq!(out, [0, 0x08, 0x00]);
    }

    proptest! {
        /// Same value at every offset of the buffer, and the same as byteorder's.
        #[test]
        fn every_offset_reads_the_same(v: u64, offset in 0usize..16) {
            let mut buf = vec![0u8; offset + 8];
            put_unaligned_le64(v, &mut buf[offset..]);
            bele_probe::wire("le64", &buf);
            prop_assert_eq!(LittleEndian::read_u64(&buf[offset..]), v);
            prop_assert_eq!(get_unaligned_le64(&buf[offset..]), v);
            put_unaligned_be32(v as u32, &mut buf[offset..]);
            prop_assert_eq!(BigEndian::read_u32(&buf[offset..]), v as u32);
            prop_assert_eq!(get_unaligned_be32(&buf[offset..]), v as u32);
        }

        #[test]
        fn le32_at_every_offset_agrees_with_std(v: u32, offset in 0usize..8) {
            let mut buf = vec![0u8; offset + 4];
            buf[offset..].copy_from_slice(&v.to_le_bytes());
            prop_assert_eq!(get_unaligned_le32(&buf[offset..]), v);
            let mut out = vec![0u8; offset + 4];
            put_unaligned_le32(v, &mut out[offset..]);
            bele_probe::wire("le32", &out);
            prop_assert_eq!(out, buf);
        }

        #[test]
        fn le16_and_be16_agree_with_std(v: u16, offset in 0usize..8) {
            let mut buf = vec![0u8; offset + 2];
            put_unaligned_le16(v, &mut buf[offset..]);
            bele_probe::wire("le16", &buf);
            prop_assert_eq!(&buf[offset..], &v.to_le_bytes()[..]);
            put_unaligned_be16(v, &mut buf[offset..]);
            prop_assert_eq!(&buf[offset..], &v.to_be_bytes()[..]);
            prop_assert_eq!(get_unaligned_be16(&buf[offset..]), v);
        }
    }
}
