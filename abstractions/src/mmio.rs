//! An MMIO region over memory: models rust/kernel/io.rs `Io`/`Mmio` (`read32`/`write32` are
//! little-endian like C's `readl`/`writel`; `ioread32be`; `__raw_readl` is native).
//!
//! The device's registers are bytes in the device's (little-endian) order; the accessors
//! convert, so driver code sees CPU values on every architecture.

use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{fence, Ordering};

/// An access outside the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange {
    pub offset: usize,
    pub width: usize,
}

/// A region of device memory, modelled as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mmio {
    mem: Vec<u8>,
}

impl Mmio {
    pub fn new(size: usize) -> Mmio {
        Mmio { mem: vec![0; size] }
    }

    /// The device's view: its bytes, in its order.
    pub fn bytes(&self) -> &[u8] {
        &self.mem
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.mem
    }

    fn window<const N: usize>(&self, offset: usize) -> Result<[u8; N], OutOfRange> {
        let end = offset
            .checked_add(N)
            .filter(|e| *e <= self.mem.len())
            .ok_or(OutOfRange { offset, width: N })?;
        let mut b = [0u8; N];
        b.copy_from_slice(&self.mem[offset..end]);
        Ok(b)
    }

    fn store<const N: usize>(&mut self, offset: usize, b: [u8; N]) -> Result<(), OutOfRange> {
        let end = offset
            .checked_add(N)
            .filter(|e| *e <= self.mem.len())
            .ok_or(OutOfRange { offset, width: N })?;
        self.mem[offset..end].copy_from_slice(&b);
        Ok(())
    }

    /// `try_read32`: little-endian, ordered.
    pub fn try_read32(&self, offset: usize) -> Result<u32, OutOfRange> {
        fence(Ordering::SeqCst);
        self.try_read32_relaxed(offset)
    }

    /// `readl_relaxed`: little-endian, no ordering against other memory accesses.
    pub fn try_read32_relaxed(&self, offset: usize) -> Result<u32, OutOfRange> {
        let b = self.window::<4>(offset)?;
        #[cfg(not(feature = "mutant-read32-native"))]
        return Ok(u32::from_le_bytes(b));
        // Planted bug: a native load, right on little-endian CPUs only.
        #[cfg(feature = "mutant-read32-native")]
        return Ok(u32::from_ne_bytes(b));
    }

    /// `readl`. Panics outside the region, like the kernel's infallible accessors would fault.
    pub fn read32(&self, offset: usize) -> u32 {
        self.try_read32(offset)
            .expect("read32 outside the MMIO region")
    }

    pub fn read32_relaxed(&self, offset: usize) -> u32 {
        self.try_read32_relaxed(offset)
            .expect("read32_relaxed outside the MMIO region")
    }

    /// `writel`.
    pub fn write32(&mut self, value: u32, offset: usize) {
        fence(Ordering::SeqCst);
        self.write32_relaxed(value, offset);
    }

    pub fn write32_relaxed(&mut self, value: u32, offset: usize) {
        self.store(offset, value.to_le_bytes())
            .expect("write32 outside the MMIO region");
    }

    /// `ioread32be`.
    pub fn read32_be(&self, offset: usize) -> u32 {
        u32::from_be_bytes(
            self.window(offset)
                .expect("read32_be outside the MMIO region"),
        )
    }

    /// `iowrite32be`.
    pub fn write32_be(&mut self, value: u32, offset: usize) {
        self.store(offset, value.to_be_bytes())
            .expect("write32_be outside the MMIO region");
    }

    /// `__raw_readl`: the CPU's own byte order, no conversion.
    pub fn raw_read32(&self, offset: usize) -> u32 {
        u32::from_ne_bytes(
            self.window(offset)
                .expect("raw_read32 outside the MMIO region"),
        )
    }

    pub fn raw_write32(&mut self, value: u32, offset: usize) {
        self.store(offset, value.to_ne_bytes())
            .expect("raw_write32 outside the MMIO region");
    }

    pub fn read16(&self, offset: usize) -> u16 {
        u16::from_le_bytes(self.window(offset).expect("read16 outside the MMIO region"))
    }

    pub fn write16(&mut self, value: u16, offset: usize) {
        self.store(offset, value.to_le_bytes())
            .expect("write16 outside the MMIO region");
    }

    pub fn read8(&self, offset: usize) -> u8 {
        self.window::<1>(offset)
            .expect("read8 outside the MMIO region")[0]
    }

    pub fn write8(&mut self, value: u8, offset: usize) {
        self.store(offset, [value])
            .expect("write8 outside the MMIO region");
    }

    pub fn read64(&self, offset: usize) -> u64 {
        u64::from_le_bytes(self.window(offset).expect("read64 outside the MMIO region"))
    }

    pub fn write64(&mut self, value: u64, offset: usize) {
        self.store(offset, value.to_le_bytes())
            .expect("write64 outside the MMIO region");
    }

    /// Copies `out.len() / 4` consecutive 32-bit data registers from `offset` into a byte
    /// stream in the device's order (what `ioread32_rep` plus `cpu_to_le32` does for a FIFO
    /// of packet data).
    pub fn read_stream(&self, offset: usize, out: &mut [u8]) {
        for (i, chunk) in out.chunks_exact_mut(4).enumerate() {
            let word = self.read32(offset + 4 * i);
            #[cfg(not(feature = "mutant-mmio-ne-stream"))]
            chunk.copy_from_slice(&word.to_le_bytes());
            // Planted bug: the CPU's order instead of the device's.
            #[cfg(feature = "mutant-mmio-ne-stream")]
            chunk.copy_from_slice(&word.to_ne_bytes());
        }
    }
}

/// A driver's doorbell: tells the device how many descriptors are ready.
pub fn ring_doorbell(io: &mut Mmio, offset: usize, tail: u32) {
    #[cfg(not(feature = "mutant-write32-double-le"))]
    io.write32(tail, offset);
    // Planted bug: converting twice (write32 already stores little-endian).
    #[cfg(feature = "mutant-write32-double-le")]
    io.write32(tail.to_le(), offset);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn golden_register_bytes() {
        let mut io = Mmio::new(16);
        io.write32(0x1234_5678, 4);
        assert_eq!(&io.bytes()[4..8], &[0x78, 0x56, 0x34, 0x12]);
        io.write32_be(0x1234_5678, 8);
        bele_probe::wire("registers", io.bytes());
        assert_eq!(&io.bytes()[8..12], &[0x12, 0x34, 0x56, 0x78]);
        assert_eq!(io.read32(4), 0x1234_5678);
        assert_eq!(io.read32_be(8), 0x1234_5678);
        assert_eq!(io.read16(4), 0x5678);
        assert_eq!(io.read8(7), 0x12);
        assert_eq!(
            io.try_read32(14),
            Err(OutOfRange {
                offset: 14,
                width: 4
            })
        );
    }

    #[test]
    fn raw_access_is_native_order() {
        let mut io = Mmio::new(4);
        io.raw_write32(0x0102_0304, 0);
        bele_probe::host("raw", io.bytes());
        assert_eq!(io.bytes(), &0x0102_0304_u32.to_ne_bytes()[..]);
        assert_eq!(io.raw_read32(0), 0x0102_0304);
    }

    #[test]
    fn stream_keeps_the_device_byte_order() {
        let mut io = Mmio::new(8);
        io.bytes_mut()
            .copy_from_slice(b"\x45\x00\x00\x54\xab\xcd\x40\x00");
        let mut out = [0u8; 8];
        io.read_stream(0, &mut out);
        bele_probe::wire("stream", &out);
        assert_eq!(
            &out, b"\x45\x00\x00\x54\xab\xcd\x40\x00",
            "packet bytes unchanged"
        );
    }

    #[test]
    fn doorbell_value_reaches_the_device_little_endian() {
        let mut io = Mmio::new(8);
        ring_doorbell(&mut io, 4, 0x0000_0102);
        bele_probe::wire("registers", io.bytes());
        assert_eq!(&io.bytes()[4..8], &[0x02, 0x01, 0x00, 0x00]);
    }

    proptest! {
        #[test]
        fn write32_stores_le_bytes(v: u32, slot in 0usize..4) {
            let mut io = Mmio::new(16);
            io.write32(v, slot * 4);
            bele_probe::wire("registers", io.bytes());
            prop_assert_eq!(&io.bytes()[slot * 4..slot * 4 + 4], &v.to_le_bytes()[..]);
            prop_assert_eq!(io.read32(slot * 4), v);
            prop_assert_eq!(io.read32_relaxed(slot * 4), v);
        }

        #[test]
        fn read32_matches_byteorder(bytes: [u8; 4]) {
            let mut io = Mmio::new(4);
            io.bytes_mut().copy_from_slice(&bytes);
            prop_assert_eq!(io.read32(0), <byteorder::LittleEndian as byteorder::ByteOrder>::read_u32(&bytes));
            prop_assert_eq!(io.read32_be(0), <byteorder::BigEndian as byteorder::ByteOrder>::read_u32(&bytes));
        }

        #[test]
        fn write64_is_two_le_halves(v: u64) {
            let mut io = Mmio::new(8);
            io.write64(v, 0);
            bele_probe::wire("registers", io.bytes());
            prop_assert_eq!(io.read32(0), v as u32);
            prop_assert_eq!(io.read32(4), (v >> 32) as u32);
            prop_assert_eq!(io.read64(0), v);
        }

        #[test]
        fn stream_equals_register_bytes(data: [u8; 16]) {
            let mut io = Mmio::new(16);
            io.bytes_mut().copy_from_slice(&data);
            let mut out = [0u8; 16];
            io.read_stream(0, &mut out);
            bele_probe::wire("stream", &out);
            prop_assert_eq!(out, data);
        }
    }
}
