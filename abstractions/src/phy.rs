//! PHY/MDIO registers: models rust/kernel/net/phy/reg.rs (`C22` registers and `C45` MMD
//! registers) on a model MDIO bus whose register window holds each 16-bit register
//! little-endian (as USB and PCI MDIO bridges transfer them).

use alloc::collections::BTreeMap;

use crate::unaligned::{get_unaligned_le16, put_unaligned_le16};

pub const MII_BMCR: u8 = 0;
pub const MII_BMSR: u8 = 1;
pub const MII_PHYSID1: u8 = 2;
pub const MII_PHYSID2: u8 = 3;
/// MMD device identifier registers (IEEE 802.3 clause 45).
pub const MDIO_DEVID1: u16 = 2;
pub const MDIO_DEVID2: u16 = 3;
pub const MDIO_MMD_PMAPMD: u8 = 1;

/// A PHY register address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reg {
    /// Clause 22: one of 32 registers.
    C22(u8),
    /// Clause 45: a register of an MMD (MDIO manageable device).
    C45 { devad: u8, regnum: u16 },
}

/// A model MDIO bus with one PHY.
#[derive(Debug, Clone)]
pub struct MdioBus {
    c22_window: [u8; 64],
    c45: BTreeMap<(u8, u16), [u8; 2]>,
}

impl Default for MdioBus {
    fn default() -> Self {
        MdioBus {
            c22_window: [0; 64],
            c45: BTreeMap::new(),
        }
    }
}

impl MdioBus {
    pub fn read(&self, reg: Reg) -> u16 {
        match reg {
            Reg::C22(r) => get_unaligned_le16(&self.c22_window[usize::from(r & 31) * 2..]),
            Reg::C45 { devad, regnum } => self
                .c45
                .get(&(devad, regnum))
                .map_or(0xffff, |b| u16::from_le_bytes(*b)),
        }
    }

    pub fn write(&mut self, reg: Reg, value: u16) {
        match reg {
            Reg::C22(r) => {
                put_unaligned_le16(value, &mut self.c22_window[usize::from(r & 31) * 2..])
            }
            Reg::C45 { devad, regnum } => {
                self.c45.insert((devad, regnum), value.to_le_bytes());
            }
        }
    }

    /// The register window as transferred by the bridge.
    pub fn c22_window(&self) -> &[u8; 64] {
        &self.c22_window
    }
}

/// `get_phy_c22_id`: PHYSID1 is the high half.
pub fn phy_id(bus: &MdioBus) -> u32 {
    (u32::from(bus.read(Reg::C22(MII_PHYSID1))) << 16) | u32::from(bus.read(Reg::C22(MII_PHYSID2)))
}

/// `get_phy_c45_devs_in_pkg`-style id of one MMD: DEVID1 is the high half.
pub fn phy_c45_id(bus: &MdioBus, devad: u8) -> u32 {
    let hi = bus.read(Reg::C45 {
        devad,
        regnum: MDIO_DEVID1,
    });
    let lo = bus.read(Reg::C45 {
        devad,
        regnum: MDIO_DEVID2,
    });
    (u32::from(hi) << 16) | u32::from(lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn marvell_88e1510_id() {
        let mut bus = MdioBus::default();
        bus.write(Reg::C22(MII_PHYSID1), 0x0141);
        bus.write(Reg::C22(MII_PHYSID2), 0x0dd1);
        assert_eq!(phy_id(&bus), 0x0141_0dd1);
        bele_probe::wire("c22_window", bus.c22_window());
        assert_eq!(
            &bus.c22_window()[4..8],
            &[0x41, 0x01, 0xd1, 0x0d],
            "window bytes little-endian"
        );
        bus.write(
            Reg::C45 {
                devad: MDIO_MMD_PMAPMD,
                regnum: MDIO_DEVID1,
            },
            0x0141,
        );
        bus.write(
            Reg::C45 {
                devad: MDIO_MMD_PMAPMD,
                regnum: MDIO_DEVID2,
            },
            0x0dd1,
        );
        assert_eq!(phy_c45_id(&bus, MDIO_MMD_PMAPMD), 0x0141_0dd1);
        assert_eq!(
            bus.read(Reg::C45 {
                devad: 3,
                regnum: 0
            }),
            0xffff,
            "absent MMD reads all ones"
        );
    }

    proptest! {
        #[test]
        fn id_is_physid1_high(id1: u16, id2: u16, bmcr: u16) {
            let mut bus = MdioBus::default();
            bus.write(Reg::C22(MII_BMCR), bmcr);
            bus.write(Reg::C22(MII_PHYSID1), id1);
            bus.write(Reg::C22(MII_PHYSID2), id2);
            bele_probe::wire("c22_window", bus.c22_window());
            prop_assert_eq!(phy_id(&bus), (u32::from(id1) << 16) | u32::from(id2));
            prop_assert_eq!(bus.read(Reg::C22(MII_BMCR)), bmcr);
            prop_assert_eq!(&bus.c22_window()[4..6], &id1.to_le_bytes()[..]);
        }
    }
}
