//! A 64-bit register through two 32-bit halves: models `lo_hi_readq` / `hi_lo_writeq`
//! (include/linux/io-64-nonatomic-lo-hi.h and -hi-lo.h) on a model device that latches its
//! high half when the low half is read, and commits a write when the low half is written.

use crate::mmio::Mmio;

pub const COUNTER_LO: usize = 0x00;
pub const COUNTER_HI: usize = 0x04;

/// A free-running counter that advances by `step` after every register access.
#[derive(Debug, Clone)]
pub struct LatchingCounter {
    value: u64,
    step: u64,
    latched_hi: u32,
    pending_hi: u32,
    regs: Mmio,
}

impl LatchingCounter {
    pub fn new(value: u64, step: u64) -> LatchingCounter {
        LatchingCounter {
            value,
            step,
            latched_hi: (value >> 32) as u32,
            pending_hi: 0,
            regs: Mmio::new(8),
        }
    }

    pub fn value(&self) -> u64 {
        self.value
    }

    /// A 32-bit read: the device puts the value in its little-endian register first.
    pub fn read32(&mut self, off: usize) -> u32 {
        let word = match off {
            COUNTER_LO => {
                self.latched_hi = (self.value >> 32) as u32;
                self.value as u32
            }
            _ => self.latched_hi,
        };
        self.regs.write32(word, off);
        self.value = self.value.wrapping_add(self.step);
        self.regs.read32(off)
    }

    /// A 32-bit write: the high half waits until the low half is written.
    pub fn write32(&mut self, v: u32, off: usize) {
        self.regs.write32(v, off);
        let v = self.regs.read32(off);
        match off {
            COUNTER_LO => self.value = (u64::from(self.pending_hi) << 32) | u64::from(v),
            _ => self.pending_hi = v,
        }
    }
}

/// `lo_hi_readq`: low half first, so the latched high half belongs to it.
pub fn lo_hi_readq(dev: &mut LatchingCounter) -> u64 {
    let lo = dev.read32(COUNTER_LO);
    let hi = dev.read32(COUNTER_HI);
    (u64::from(hi) << 32) | u64::from(lo)
}

/// `hi_lo_writeq`: high half first, the low half commits.
pub fn hi_lo_writeq(dev: &mut LatchingCounter, v: u64) {
    dev.write32((v >> 32) as u32, COUNTER_HI);
    dev.write32(v as u32, COUNTER_LO);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn read_across_a_carry_is_consistent() {
        let mut dev = LatchingCounter::new(0x0000_0001_ffff_ffff, 1);
        assert_eq!(lo_hi_readq(&mut dev), 0x0000_0001_ffff_ffff);
        assert_eq!(dev.value(), 0x0000_0002_0000_0001);
    }

    proptest! {
        #[test]
        fn readq_returns_the_value_at_the_low_read(start: u64, step in 0u64..1 << 33) {
            let mut dev = LatchingCounter::new(start, step);
            prop_assert_eq!(lo_hi_readq(&mut dev), start);
        }

        #[test]
        fn writeq_then_readq(v: u64) {
            let mut dev = LatchingCounter::new(0, 0);
            hi_lo_writeq(&mut dev, v);
            bele_probe::wire("readq", &lo_hi_readq(&mut dev.clone()).to_le_bytes());
            prop_assert_eq!(dev.value(), v);
            prop_assert_eq!(lo_hi_readq(&mut dev), v);
        }
    }
}
