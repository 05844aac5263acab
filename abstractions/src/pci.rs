//! PCI configuration space reads: models `pci_read_config_byte/word/dword`: configuration
//! space is little-endian, so a 16-bit read equals two 8-bit reads composed little-endian.

pub const PCI_VENDOR_ID: usize = 0x00;
pub const PCI_DEVICE_ID: usize = 0x02;
pub const PCI_COMMAND: usize = 0x04;
pub const PCI_CLASS_REVISION: usize = 0x08;

/// A function's 256-byte configuration space, as the device holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSpace {
    bytes: [u8; 256],
}

impl Default for ConfigSpace {
    fn default() -> Self {
        ConfigSpace { bytes: [0; 256] }
    }
}

impl ConfigSpace {
    pub fn from_bytes(bytes: [u8; 256]) -> ConfigSpace {
        ConfigSpace { bytes }
    }

    pub fn read_byte(&self, off: usize) -> u8 {
        self.bytes[off]
    }

    pub fn read_word(&self, off: usize) -> u16 {
        u16::from_le_bytes([self.bytes[off], self.bytes[off + 1]])
    }

    pub fn read_dword(&self, off: usize) -> u32 {
        u32::from_le_bytes([
            self.bytes[off],
            self.bytes[off + 1],
            self.bytes[off + 2],
            self.bytes[off + 3],
        ])
    }

    pub fn write_word(&mut self, off: usize, v: u16) {
        self.bytes[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }

    pub fn write_dword(&mut self, off: usize, v: u32) {
        self.bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn intel_82574l_ids() {
        let mut raw = [0u8; 256];
        raw[..4].copy_from_slice(&[0x86, 0x80, 0xd3, 0x10]);
        let cs = ConfigSpace::from_bytes(raw);
        assert_eq!(cs.read_word(PCI_VENDOR_ID), 0x8086);
        assert_eq!(cs.read_word(PCI_DEVICE_ID), 0x10d3);
        assert_eq!(cs.read_dword(PCI_VENDOR_ID), 0x10d3_8086);
    }

    proptest! {
        #[test]
        fn word_is_two_bytes_little_endian(raw in proptest::array::uniform32(any::<u8>()), off in 0usize..30) {
            let mut all = [0u8; 256];
            all[..32].copy_from_slice(&raw);
            let cs = ConfigSpace::from_bytes(all);
            bele_probe::wire("word", &cs.read_word(off).to_le_bytes());
            prop_assert_eq!(cs.read_word(off), u16::from(cs.read_byte(off)) | u16::from(cs.read_byte(off + 1)) << 8);
            prop_assert_eq!(
                cs.read_dword(off & !3),
                u32::from(cs.read_word(off & !3)) | u32::from(cs.read_word((off & !3) + 2)) << 16
            );
        }

        #[test]
        fn writes_store_le(v: u32, w: u16) {
            let mut cs = ConfigSpace::default();
            cs.write_dword(PCI_CLASS_REVISION, v);
            cs.write_word(PCI_COMMAND, w);
            bele_probe::wire("class_revision", &cs.read_dword(PCI_CLASS_REVISION).to_le_bytes());
            prop_assert_eq!(cs.read_byte(PCI_CLASS_REVISION), v.to_le_bytes()[0]);
            prop_assert_eq!(cs.read_byte(PCI_COMMAND + 1), w.to_le_bytes()[1]);
        }
    }
}
