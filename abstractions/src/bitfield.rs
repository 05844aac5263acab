//! `GENMASK` / `FIELD_GET` / `FIELD_PREP` (linux/bits.h, linux/bitfield.h) and
//! `le32_get_bits` / `le32_replace_bits` for fields of little-endian words.

use crate::endian::Le;

/// `GENMASK(h, l)`: bits `h` down to `l` set. Requires `l <= h < 32`.
pub const fn genmask(h: u32, l: u32) -> u32 {
    assert!(l <= h && h < 32, "GENMASK(h, l) needs l <= h < 32");
    (u32::MAX >> (31 - h)) & (u32::MAX << l)
}

/// `GENMASK_ULL(h, l)`.
pub const fn genmask_ull(h: u32, l: u32) -> u64 {
    assert!(l <= h && h < 64, "GENMASK_ULL(h, l) needs l <= h < 64");
    (u64::MAX >> (63 - h)) & (u64::MAX << l)
}

/// `FIELD_GET(mask, reg)`: the field's value, shifted down. `mask` must be non-zero.
pub const fn field_get(mask: u32, reg: u32) -> u32 {
    (reg & mask) >> mask.trailing_zeros()
}

/// `FIELD_PREP(mask, val)`: `val` shifted into the field; bits beyond it are dropped.
pub const fn field_prep(mask: u32, val: u32) -> u32 {
    (val << mask.trailing_zeros()) & mask
}

/// `le32_get_bits(v, mask)`.
pub fn le32_get_bits(v: Le<u32>, mask: u32) -> u32 {
    field_get(mask, v.to_cpu())
}

/// `le32_replace_bits(v, val, mask)`: `v` with the field replaced, still little-endian.
pub fn le32_replace_bits(v: Le<u32>, val: u32, mask: u32) -> Le<u32> {
    Le::from_cpu((v.to_cpu() & !mask) | field_prep(mask, val))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn golden_masks() {
        assert_eq!(genmask(7, 4), 0xf0);
        assert_eq!(genmask(31, 0), u32::MAX);
        assert_eq!(genmask(0, 0), 1);
        assert_eq!(genmask_ull(39, 32), 0xff_0000_0000);
        assert_eq!(field_get(genmask(15, 8), 0xabcd), 0xab);
        assert_eq!(
            field_prep(genmask(15, 8), 0x1ff),
            0xff00,
            "excess bits dropped"
        );
    }

    #[test]
    fn le32_bits_golden_bytes() {
        let v = Le::<u32>::from_bytes([0x00, 0x00, 0x00, 0x00]);
        let v = le32_replace_bits(v, 0x5, genmask(11, 8));
        bele_probe::wire("le32", &v.to_bytes());
        assert_eq!(v.to_bytes(), [0x00, 0x05, 0x00, 0x00]);
        assert_eq!(
            le32_get_bits(
                Le::<u32>::from_bytes([0x00, 0x05, 0x00, 0x80]),
                genmask(31, 31)
            ),
            1
        );
    }

    fn mask() -> impl Strategy<Value = u32> {
        (0u32..32)
            .prop_flat_map(|h| (Just(h), 0..=h))
            .prop_map(|(h, l)| genmask(h, l))
    }

    proptest! {
        #[test]
        fn get_of_prep_is_the_value_within_the_field(m in mask(), v: u32) {
            let width_mask = m >> m.trailing_zeros();
            prop_assert_eq!(field_get(m, field_prep(m, v)), v & width_mask);
        }

        #[test]
        fn replace_touches_only_the_field(m in mask(), word: u32, v: u32) {
            let replaced = le32_replace_bits(Le::from_cpu(word), v, m);
            bele_probe::wire("le32", &replaced.to_bytes());
            let r = replaced.to_cpu();
            prop_assert_eq!(r & !m, word & !m);
            prop_assert_eq!(le32_get_bits(Le::from_cpu(r), m), v & (m >> m.trailing_zeros()));
            prop_assert_eq!(Le::from_cpu(r).to_bytes(), r.to_le_bytes());
        }

        #[test]
        fn genmask_matches_a_bit_loop(h in 0u32..32, l in 0u32..32) {
            prop_assume!(l <= h);
            let expected = (l..=h).fold(0u32, |m, b| m | (1 << b));
            prop_assert_eq!(genmask(h, l), expected);
        }
    }
}
