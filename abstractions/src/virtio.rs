//! virtio 16/32/64-bit accessors: models `__virtio32_to_cpu` / `__cpu_to_virtio32`
//! (include/linux/virtio_byteorder.h): legacy devices use the guest's native order,
//! devices that negotiated VIRTIO_F_VERSION_1 use little-endian.

/// Whether the device's fields are little-endian: always with VERSION_1, else as the CPU.
pub fn virtio_is_little_endian(version_1: bool) -> bool {
    version_1 || cfg!(target_endian = "little")
}

macro_rules! virtio {
    ($($to_cpu:ident, $from_cpu:ident, $t:ty, $n:literal;)*) => {$(
        pub fn $to_cpu(version_1: bool, bytes: [u8; $n]) -> $t {
            if virtio_is_little_endian(version_1) { <$t>::from_le_bytes(bytes) } else { <$t>::from_be_bytes(bytes) }
        }
        pub fn $from_cpu(version_1: bool, v: $t) -> [u8; $n] {
            if virtio_is_little_endian(version_1) { v.to_le_bytes() } else { v.to_be_bytes() }
        }
    )*};
}

virtio! {
    virtio16_to_cpu, cpu_to_virtio16, u16, 2;
    virtio32_to_cpu, cpu_to_virtio32, u32, 4;
    virtio64_to_cpu, cpu_to_virtio64, u64, 8;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn modern_is_little_endian_golden() {
        assert_eq!(cpu_to_virtio32(true, 0x0102_0304), [0x04, 0x03, 0x02, 0x01]);
        assert_eq!(virtio16_to_cpu(true, [0x00, 0x01]), 0x0100);
    }

    proptest! {
        /// Legacy devices speak the guest's own order: the opposite of modern on big-endian.
        #[test]
        fn legacy_is_native(v: u32, w: u64) {
            bele_probe::host("legacy32", &cpu_to_virtio32(false, v));
            prop_assert_eq!(cpu_to_virtio32(false, v), v.to_ne_bytes());
            prop_assert_eq!(cpu_to_virtio64(false, w), w.to_ne_bytes());
            prop_assert_eq!(virtio32_to_cpu(false, v.to_ne_bytes()), v);
        }

        #[test]
        fn modern_is_le(v: u16, w: u64) {
            bele_probe::wire("modern16", &cpu_to_virtio16(true, v));
            bele_probe::wire("modern64", &cpu_to_virtio64(true, w));
            prop_assert_eq!(cpu_to_virtio16(true, v), v.to_le_bytes());
            prop_assert_eq!(virtio64_to_cpu(true, w.to_le_bytes()), w);
        }
    }
}
