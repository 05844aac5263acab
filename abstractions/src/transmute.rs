//! `FromBytes` / `AsBytes`: models rust/kernel/transmute.rs, for `#[repr(C)]` wire structs.
//!
//! One of the two places in the crate with `unsafe`: a wire struct is read from and viewed
//! as bytes without copying field by field. The traits are `unsafe` to implement; the
//! conditions are on each trait.
#![allow(unsafe_code)]

use core::mem::{align_of, size_of};

use crate::endian::{Be, Integer, Le};

/// Types that any byte pattern of their size is a valid value of.
///
/// # Safety
/// The type is `#[repr(C)]` or `#[repr(transparent)]`, has no padding, and every bit pattern
/// is a valid value (integers, `Le`/`Be`, arrays and structs of such).
pub unsafe trait FromBytes: Sized + Copy {
    /// Copies a value out of the start of `bytes`, at any alignment; `None` if too short.
    fn from_bytes_copy(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < size_of::<Self>() {
            return None;
        }
        // SAFETY: the length check keeps the read inside `bytes`; `read_unaligned` has no
        // alignment requirement; the trait's contract makes every bit pattern valid.
        Some(unsafe { core::ptr::read_unaligned(bytes.as_ptr().cast::<Self>()) })
    }

    /// A zero-copy view of the start of `bytes`; `None` if too short or misaligned for `Self`.
    fn from_bytes(bytes: &[u8]) -> Option<&Self> {
        if bytes.len() < size_of::<Self>() || bytes.as_ptr().align_offset(align_of::<Self>()) != 0 {
            return None;
        }
        // SAFETY: length and alignment are checked above, the lifetime is tied to `bytes`,
        // and the trait's contract makes every bit pattern valid.
        Some(unsafe { &*bytes.as_ptr().cast::<Self>() })
    }
}

/// Types whose every byte is initialised, so they can be viewed as bytes.
///
/// # Safety
/// The type has no padding bytes.
pub unsafe trait AsBytes: Sized {
    fn as_bytes(&self) -> &[u8] {
        // SAFETY: `self` is a valid reference to `size_of::<Self>()` initialised bytes (no
        // padding, by the trait's contract), borrowed for the slice's lifetime.
        unsafe {
            core::slice::from_raw_parts((self as *const Self).cast::<u8>(), size_of::<Self>())
        }
    }
}

/// Defines a `#[repr(C)]` wire struct and implements `FromBytes` and `AsBytes` for it, with
/// what makes that sound checked at compile time: every field's type is `FromBytes` and
/// `AsBytes` (a `bool` or a reference is refused), and the struct's size is the sum of its
/// fields' sizes (the size of a packed twin), so it has no padding. The macro writes the
/// `#[repr(C)]` itself; the struct must derive `Clone` and `Copy`.
///
/// ```
/// use abstractions::endian::{Be, Le};
/// abstractions::wire_struct! {
///     #[derive(Clone, Copy)]
///     pub struct Hdr { pub kind: Be<u16>, pub len: Le<u16> }
/// }
/// ```
///
/// Padding is refused:
/// ```compile_fail,E0080
/// abstractions::wire_struct! {
///     #[derive(Clone, Copy)]
///     pub struct Padded { pub a: u8, pub b: u32 }
/// }
/// ```
///
/// So is a field that not every byte pattern is valid for:
/// ```compile_fail,E0277
/// abstractions::wire_struct! {
///     #[derive(Clone, Copy)]
///     pub struct Flagged { pub set: bool, pub rest: [u8; 3] }
/// }
/// ```
#[macro_export]
macro_rules! wire_struct {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fattr:meta])* $fvis:vis $field:ident : $fty:ty ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[repr(C)]
        $vis struct $name {
            $( $(#[$fattr])* $fvis $field: $fty, )*
        }

        const _: () = {
            // The same fields with no padding between them: equal sizes mean `$name` has
            // none either.
            #[repr(C, packed)]
            #[allow(dead_code)]
            struct Unpadded {
                $( $(#[$fattr])* $field: $fty, )*
            }
            assert!(
                core::mem::size_of::<$name>() == core::mem::size_of::<Unpadded>(),
                concat!("wire struct `", stringify!($name), "` has padding")
            );
            // Never called: it compiles only if every field's type holds the bounds.
            #[allow(dead_code)]
            fn fields_are_plain_bytes()
            where
                $( $fty: $crate::transmute::FromBytes + $crate::transmute::AsBytes, )*
            {
            }
        };

        // SAFETY: `repr(C)`, every field `FromBytes` and `AsBytes`, and no padding, all
        // checked above at compile time.
        #[allow(unsafe_code)]
        unsafe impl $crate::transmute::FromBytes for $name {}
        // SAFETY: as above.
        #[allow(unsafe_code)]
        unsafe impl $crate::transmute::AsBytes for $name {}
    };
}

macro_rules! plain {
    ($($t:ty),*) => {$(
        // SAFETY: primitive integers have no padding and no invalid bit patterns.
        unsafe impl FromBytes for $t {}
        // SAFETY: as above.
        unsafe impl AsBytes for $t {}
    )*};
}
plain!(u8, u16, u32, u64, i16, i32, i64, usize);

// SAFETY: `repr(transparent)` over an integer.
unsafe impl<T: Integer + FromBytes> FromBytes for Le<T> {}
// SAFETY: as above.
unsafe impl<T: Integer + AsBytes> AsBytes for Le<T> {}
// SAFETY: as above.
unsafe impl<T: Integer + FromBytes> FromBytes for Be<T> {}
// SAFETY: as above.
unsafe impl<T: Integer + AsBytes> AsBytes for Be<T> {}
// SAFETY: arrays of such types have no padding between elements.
unsafe impl<T: FromBytes, const N: usize> FromBytes for [T; N] {}
// SAFETY: as above.
unsafe impl<T: AsBytes, const N: usize> AsBytes for [T; N] {}

crate::wire_struct! {
    /// A firmware image header, as a device reads it from flash: mixed byte orders, as in
    /// life.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FwHeader {
        pub magic: Be<u32>,
        pub version: Le<u16>,
        #[cfg(not(feature = "mutant-wire-plain-u16"))]
        hdr_len: Le<u16>,
        /// Planted bug: a plain `u16` where the wire has a little-endian field.
        #[cfg(feature = "mutant-wire-plain-u16")]
        hdr_len: u16,
        #[cfg(not(feature = "mutant-wire-usize-len"))]
        payload_len: Le<u64>,
        /// Planted bug: a `usize` in a wire struct changes its layout on 32-bit targets
        /// (the header shrinks to 20 bytes there: still no padding).
        #[cfg(feature = "mutant-wire-usize-len")]
        payload_len: Le<usize>,
        pub crc: Le<u32>,
        pub reserved: Le<u32>,
    }
}

impl FwHeader {
    pub const MAGIC: u32 = 0x4245_4c45; // "BELE"

    pub fn new(version: u16, hdr_len: u16, payload_len: u64, crc: u32) -> FwHeader {
        FwHeader {
            magic: Be::from_cpu(Self::MAGIC),
            version: Le::from_cpu(version),
            #[cfg(not(feature = "mutant-wire-plain-u16"))]
            hdr_len: Le::from_cpu(hdr_len),
            #[cfg(feature = "mutant-wire-plain-u16")]
            hdr_len,
            #[cfg(not(feature = "mutant-wire-usize-len"))]
            payload_len: Le::from_cpu(payload_len),
            #[cfg(feature = "mutant-wire-usize-len")]
            payload_len: Le::from_cpu(payload_len as usize),
            crc: Le::from_cpu(crc),
            reserved: Le::default(),
        }
    }

    pub fn hdr_len(&self) -> u16 {
        #[cfg(not(feature = "mutant-wire-plain-u16"))]
        return self.hdr_len.to_cpu();
        #[cfg(feature = "mutant-wire-plain-u16")]
        return self.hdr_len;
    }

    // The cast is a no-op except with the planted `usize` bug.
    #[allow(clippy::unnecessary_cast)]
    pub fn payload_len(&self) -> u64 {
        self.payload_len.to_cpu() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A header as a vendor tool wrote it: magic "BELE", version 3, header 24 bytes,
    /// payload 0x1_0000_0010 bytes, crc 0xdeadbeef.
    pub(crate) const GOLDEN: [u8; 24] = [
        0x42, 0x45, 0x4c, 0x45, 0x03, 0x00, 0x18, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0xef, 0xbe, 0xad, 0xde, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn fw_header_layout() {
        assert_eq!(
            size_of::<FwHeader>(),
            24,
            "identical on 32- and 64-bit targets"
        );
        assert_eq!(core::mem::offset_of!(FwHeader, crc), 16);
        bele_probe::layout!(FwHeader {
            magic,
            version,
            hdr_len,
            payload_len,
            crc,
            reserved
        });
    }

    #[test]
    fn golden_blob_parses_to_known_fields_and_back() {
        let h = FwHeader::from_bytes_copy(&GOLDEN).unwrap();
        assert_eq!(h.magic.to_cpu(), FwHeader::MAGIC);
        assert_eq!(h.version.to_cpu(), 3);
        assert_eq!(h.hdr_len(), 24);
        assert_eq!(h.payload_len(), 0x1_0000_0010);
        assert_eq!(h.crc.to_cpu(), 0xdead_beef);
        bele_probe::wire("fw_header", h.as_bytes());
        assert_eq!(h.as_bytes(), &GOLDEN[..]);
    }

    #[test]
    fn zero_copy_view_checks_alignment_and_length() {
        #[repr(align(8))]
        struct Aligned([u8; 32]);
        let mut buf = Aligned([0; 32]);
        buf.0[..24].copy_from_slice(&GOLDEN);
        assert_eq!(
            FwHeader::from_bytes(&buf.0).map(FwHeader::hdr_len),
            Some(24)
        );
        assert!(
            FwHeader::from_bytes(&buf.0[1..]).is_none(),
            "misaligned view refused"
        );
        assert!(
            FwHeader::from_bytes(&buf.0[..23]).is_none(),
            "short view refused"
        );
        assert!(FwHeader::from_bytes_copy(&buf.0[..23]).is_none());
    }

    proptest! {
        #[test]
        fn fields_land_where_the_wire_says(version: u16, hdr_len: u16, payload_len: u64, crc: u32) {
            let h = FwHeader::new(version, hdr_len, payload_len, crc);
            let b = h.as_bytes();
            bele_probe::wire("fw_header", b);
            prop_assert_eq!(&b[0..4], &FwHeader::MAGIC.to_be_bytes()[..]);
            prop_assert_eq!(&b[4..6], &version.to_le_bytes()[..]);
            prop_assert_eq!(&b[6..8], &hdr_len.to_le_bytes()[..]);
            prop_assert_eq!(&b[8..16], &payload_len.to_le_bytes()[..]);
            prop_assert_eq!(&b[16..20], &crc.to_le_bytes()[..]);
            let back = FwHeader::from_bytes_copy(b).unwrap();
            prop_assert_eq!(back.payload_len(), payload_len);
            prop_assert_eq!(back.hdr_len(), hdr_len);
        }
    }
}
