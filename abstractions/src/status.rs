//! A status byte taken from a 32-bit register: models drivers that read a status register
//! with `readl` and keep `val & 0xff`: always the least significant byte, bits 7:0.

use crate::mmio::Mmio;

/// The status field of a status register value.
pub fn status_byte(reg: u32) -> u8 {
    #[cfg(not(feature = "mutant-status-first-byte"))]
    return (reg & 0xff) as u8;
    // Planted bug: "the first byte" of the value's native bytes.
    #[cfg(feature = "mutant-status-first-byte")]
    return reg.to_ne_bytes()[0];
}

/// Reads the status register at `off` and returns its status byte.
pub fn read_status(io: &Mmio, off: usize) -> u8 {
    status_byte(io.read32(off))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn golden_register() {
        let mut io = Mmio::new(4);
        io.bytes_mut().copy_from_slice(&[0x5a, 0x00, 0x00, 0x80]);
        assert_eq!(read_status(&io, 0), 0x5a);
    }

    proptest! {
        #[test]
        fn status_is_the_least_significant_byte(v: u32) {
            bele_probe::wire("status", &[status_byte(v)]);
            prop_assert_eq!(status_byte(v), v.to_le_bytes()[0]);
            prop_assert_eq!(u32::from(status_byte(v)), v & 0xff);
        }
    }
}
