//! A `register!`-style bitfield register: models rust/kernel/io/register.rs (fields `hi:lo`,
//! getters, `with_*` setters, `update`), stored little-endian in an MMIO region.

/// Defines a 32-bit register at a fixed offset with named fields `hi:lo`.
///
/// ```
/// abstractions::register! {
///     /// Interrupt control.
///     pub IrqCtrl @ 0x08 {
///         31:31 enable / with_enable,
///         7:0 vector / with_vector,
///     }
/// }
/// ```
#[macro_export]
macro_rules! register {
    (
        $(#[$meta:meta])*
        $vis:vis $name:ident @ $offset:literal {
            $($hi:literal : $lo:literal $field:ident / $with:ident),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        $vis struct $name(pub u32);

        impl $name {
            pub const OFFSET: usize = $offset;

            pub fn read(io: &$crate::mmio::Mmio) -> Self {
                $name(io.read32(Self::OFFSET))
            }

            pub fn write(self, io: &mut $crate::mmio::Mmio) {
                io.write32(self.0, Self::OFFSET)
            }

            /// Read, change with `f`, write back.
            pub fn update(io: &mut $crate::mmio::Mmio, f: impl FnOnce(Self) -> Self) {
                f(Self::read(io)).write(io)
            }

            $(
                pub fn $field(self) -> u32 {
                    $crate::bitfield::field_get($crate::bitfield::genmask($hi, $lo), self.0)
                }

                pub fn $with(self, value: u32) -> Self {
                    let mask = $crate::bitfield::genmask($hi, $lo);
                    $name((self.0 & !mask) | $crate::bitfield::field_prep(mask, value))
                }
            )*
        }
    };
}

register! {
    /// DMA engine control, as in many NIC data sheets.
    pub DmaCtrl @ 0x04 {
        31:31 enable / with_enable,
        23:16 burst / with_burst,
        11:8 channel / with_channel,
        3:0 mode / with_mode,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mmio::Mmio;
    use proptest::prelude::*;

    #[test]
    fn device_bytes_are_little_endian() {
        let mut io = Mmio::new(16);
        DmaCtrl::default()
            .with_enable(1)
            .with_burst(0x10)
            .with_channel(3)
            .with_mode(2)
            .write(&mut io);
        bele_probe::wire("registers", io.bytes());
        assert_eq!(&io.bytes()[4..8], &[0x02, 0x03, 0x10, 0x80]);
        let r = DmaCtrl::read(&io);
        assert_eq!(
            (r.enable(), r.burst(), r.channel(), r.mode()),
            (1, 0x10, 3, 2)
        );
    }

    proptest! {
        #[test]
        fn get_of_set_and_other_fields_untouched(start: u32, burst in 0u32..256, channel in 0u32..16) {
            let mut io = Mmio::new(16);
            DmaCtrl(start).write(&mut io);
            DmaCtrl::update(&mut io, |r| r.with_burst(burst));
            let r = DmaCtrl::read(&io);
            prop_assert_eq!(r.burst(), burst);
            prop_assert_eq!(r.enable(), DmaCtrl(start).enable());
            prop_assert_eq!(r.channel(), DmaCtrl(start).channel());
            prop_assert_eq!(r.mode(), DmaCtrl(start).mode());
            prop_assert_eq!(r.0 & !0x00ff_0000, start & !0x00ff_0000);
            let r = r.with_channel(channel);
            prop_assert_eq!(r.channel(), channel);
            prop_assert_eq!(r.burst(), burst);
            r.write(&mut io);
            bele_probe::wire("registers", io.bytes());
            prop_assert_eq!(&io.bytes()[4..8], &r.0.to_le_bytes()[..]);
        }
    }
}
