//! Bitmap export: models `bitmap_to_arr32` / `bitmap_from_arr32` (lib/bitmap.c): a bitmap
//! of `usize` words becomes 32-bit words, low bits first, then little-endian bytes for a
//! device or a UAPI, identically on 32- and 64-bit kernels.

use alloc::vec;
use alloc::vec::Vec;

const BITS: usize = usize::BITS as usize;

/// Sets bit `n` of a bitmap (`set_bit`).
pub fn set_bit(bitmap: &mut [usize], n: usize) {
    bitmap[n / BITS] |= 1 << (n % BITS);
}

/// Whether bit `n` is set (`test_bit`).
pub fn test_bit(bitmap: &[usize], n: usize) -> bool {
    bitmap[n / BITS] >> (n % BITS) & 1 == 1
}

/// The first `nbits` bits as 32-bit words, bits beyond `nbits` cleared.
pub fn bitmap_to_arr32(bitmap: &[usize], nbits: usize) -> Vec<u32> {
    let n = nbits.div_ceil(32);
    let mut out = vec![0u32; n];
    for (i, word) in out.iter_mut().enumerate() {
        let bit = i * 32;
        *word = (bitmap[bit / BITS] >> (bit % BITS)) as u32;
    }
    if !nbits.is_multiple_of(32) {
        if let Some(last) = out.last_mut() {
            *last &= (1u32 << (nbits % 32)) - 1;
        }
    }
    out
}

/// The inverse of `bitmap_to_arr32`.
pub fn bitmap_from_arr32(arr: &[u32], nbits: usize) -> Vec<usize> {
    let mut out = vec![0usize; nbits.div_ceil(BITS)];
    for n in (0..nbits).filter(|n| arr[n / 32] >> (n % 32) & 1 == 1) {
        set_bit(&mut out, n);
    }
    out
}

/// The bitmap as little-endian bytes of its 32-bit words.
pub fn bitmap_to_le_bytes(bitmap: &[usize], nbits: usize) -> Vec<u8> {
    bitmap_to_arr32(bitmap, nbits)
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn golden() {
        let mut bm = vec![0usize; 71usize.div_ceil(BITS)];
        for n in [0, 33, 70] {
            set_bit(&mut bm, n);
        }
        bele_probe::wire("le_bytes", &bitmap_to_le_bytes(&bm, 71));
        assert_eq!(bitmap_to_arr32(&bm, 71), [0x1, 0x2, 0x40]);
        assert_eq!(
            bitmap_to_le_bytes(&bm, 71),
            [1, 0, 0, 0, 2, 0, 0, 0, 0x40, 0, 0, 0]
        );
    }

    proptest! {
        #[test]
        fn every_bit_lands_in_its_word_and_byte(bits in proptest::collection::btree_set(0usize..200, 0..40), nbits in 1usize..200) {
            let mut bm = vec![0usize; 200usize.div_ceil(BITS)];
            for &b in &bits {
                set_bit(&mut bm, b);
            }
            let arr = bitmap_to_arr32(&bm, nbits);
            let bytes = bitmap_to_le_bytes(&bm, nbits);
            bele_probe::wire("le_bytes", &bytes);
            prop_assert_eq!(arr.len(), nbits.div_ceil(32));
            for n in 0..nbits {
                let set = bits.contains(&n);
                prop_assert_eq!(arr[n / 32] >> (n % 32) & 1 == 1, set);
                prop_assert_eq!(bytes[n / 8] >> (n % 8) & 1 == 1, set, "bit {} in byte {}", n, n / 8);
            }
            let back = bitmap_from_arr32(&arr, nbits);
            for n in 0..nbits {
                prop_assert_eq!(test_bit(&back, n), bits.contains(&n));
            }
        }
    }
}
