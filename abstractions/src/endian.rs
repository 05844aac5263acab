//! `Le<T>` / `Be<T>`: models C's `__le32` / `__be32` and `cpu_to_le32` / `be32_to_cpu`.
//!
//! A wrapper stores the value in its wire byte order, so a `#[repr(C)]` struct of them has
//! exactly the device's or the network's layout, whatever the CPU's byte order.

use core::fmt;

/// An integer that conversion to and from bytes handles in a fixed order.
pub trait Integer: Copy + Eq + fmt::Debug + sealed::Sealed {
    /// Size in bytes.
    const SIZE: usize;
    fn swap_bytes(self) -> Self;
    fn to_le(self) -> Self;
    fn to_be(self) -> Self;
    fn from_le(v: Self) -> Self;
    fn from_be(v: Self) -> Self;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Integer for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            fn swap_bytes(self) -> Self { <$t>::swap_bytes(self) }
            fn to_le(self) -> Self { <$t>::to_le(self) }
            fn to_be(self) -> Self { <$t>::to_be(self) }
            fn from_le(v: Self) -> Self { <$t>::from_le(v) }
            fn from_be(v: Self) -> Self { <$t>::from_be(v) }
        }
    )*};
}
integer!(u16, u32, u64, i16, i32, i64, usize);

/// A little-endian value in memory (`__le16`, `__le32`, `__le64`).
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
#[repr(transparent)]
pub struct Le<T: Integer>(T);

/// A big-endian value in memory (`__be16`, `__be32`, `__be64`: network byte order).
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
#[repr(transparent)]
pub struct Be<T: Integer>(T);

impl<T: Integer> Le<T> {
    /// `cpu_to_le*`.
    pub fn from_cpu(v: T) -> Self {
        Le(v.to_le())
    }
    /// `le*_to_cpu`.
    pub fn to_cpu(self) -> T {
        T::from_le(self.0)
    }
    /// The stored representation, as the device sees it (`__force` cast in C).
    pub fn raw(self) -> T {
        self.0
    }
}

impl<T: Integer> Be<T> {
    /// `cpu_to_be*`.
    pub fn from_cpu(v: T) -> Self {
        #[cfg(not(feature = "mutant-be-swap"))]
        return Be(v.to_be());
        // Planted bug: swapping unconditionally is right on little-endian CPUs only.
        #[cfg(feature = "mutant-be-swap")]
        return Be(v.swap_bytes());
    }
    /// `be*_to_cpu`.
    pub fn to_cpu(self) -> T {
        T::from_be(self.0)
    }
    pub fn raw(self) -> T {
        self.0
    }
}

macro_rules! bytes {
    ($($t:ty => $n:literal),*) => {$(
        impl Le<$t> {
            /// The bytes as stored: least significant first.
            pub fn to_bytes(self) -> [u8; $n] { self.0.to_ne_bytes() }
            pub fn from_bytes(b: [u8; $n]) -> Self { Le(<$t>::from_ne_bytes(b)) }
        }
        impl Be<$t> {
            /// The bytes as stored: most significant first.
            pub fn to_bytes(self) -> [u8; $n] { self.0.to_ne_bytes() }
            pub fn from_bytes(b: [u8; $n]) -> Self { Be(<$t>::from_ne_bytes(b)) }
        }
    )*};
}
bytes!(u16 => 2, u32 => 4, u64 => 8, i16 => 2, i32 => 4, i64 => 8);

impl<T: Integer> Le<T> {
    /// Wraps a value that is already in little-endian representation (C's `(__force __le32)`).
    /// Only for code that got the bytes from the device; anything else wants `from_cpu`.
    #[cfg_attr(not(feature = "mutant-dma-host-len"), allow(dead_code))]
    pub(crate) fn from_raw(raw: T) -> Self {
        Le(raw)
    }
}

impl<T: Integer> fmt::Debug for Le<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Le({:?})", self.to_cpu())
    }
}

impl<T: Integer> fmt::Debug for Be<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Be({:?})", self.to_cpu())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, size_of};
    use proptest::prelude::*;

    #[test]
    fn layout_is_the_integers() {
        assert_eq!(size_of::<Le<u32>>(), size_of::<u32>());
        assert_eq!(align_of::<Be<u64>>(), align_of::<u64>());
        assert_eq!(size_of::<Be<u16>>(), 2);
    }

    #[test]
    fn golden_bytes() {
        bele_probe::wire("le32", &Le::from_cpu(0x1234_5678_u32).to_bytes());
        bele_probe::wire("be32", &Be::from_cpu(0x1234_5678_u32).to_bytes());
        assert_eq!(
            Le::from_cpu(0x1234_5678_u32).to_bytes(),
            [0x78, 0x56, 0x34, 0x12]
        );
        assert_eq!(
            Be::from_cpu(0x1234_5678_u32).to_bytes(),
            [0x12, 0x34, 0x56, 0x78]
        );
        assert_eq!(
            Be::from_cpu(0x0800_u16).to_bytes(),
            [0x08, 0x00],
            "EtherType IPv4 on the wire"
        );
        assert_eq!(Le::from_cpu(-2_i16).to_bytes(), [0xfe, 0xff]);
        assert_eq!(
            Be::<u64>::from_bytes([0, 0, 0, 0, 0, 0, 1, 0]).to_cpu(),
            256
        );
    }

    proptest! {
        #[test]
        fn le_matches_the_standard_library(v: u32) {
            bele_probe::wire("le32", &Le::from_cpu(v).to_bytes());
            prop_assert_eq!(Le::from_cpu(v).to_bytes(), v.to_le_bytes());
            prop_assert_eq!(Le::<u32>::from_bytes(v.to_le_bytes()).to_cpu(), v);
        }

        #[test]
        fn be_matches_byteorder(v: u64) {
            use byteorder::{BigEndian, ByteOrder};
            let mut be = [0u8; 8];
            BigEndian::write_u64(&mut be, v);
            bele_probe::wire("be64", &Be::from_cpu(v).to_bytes());
            prop_assert_eq!(Be::from_cpu(v).to_bytes(), be);
            prop_assert_eq!(Be::<u64>::from_bytes(be).to_cpu(), v);
        }

        #[test]
        fn round_trips(v: i64, w: u16) {
            bele_probe::wire("le64", &Le::from_cpu(v).to_bytes());
            bele_probe::wire("be16", &Be::from_cpu(w).to_bytes());
            prop_assert_eq!(Le::from_cpu(v).to_cpu(), v);
            prop_assert_eq!(Be::from_cpu(w).to_cpu(), w);
        }

        #[test]
        fn le_and_be_bytes_are_each_others_reverse(v: u32) {
            let mut le = Le::from_cpu(v).to_bytes();
            le.reverse();
            prop_assert_eq!(le, Be::from_cpu(v).to_bytes());
        }
    }
}
