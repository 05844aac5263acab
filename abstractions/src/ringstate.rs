//! A descriptor ring saved and restored across a device reset: models what a driver keeps
//! over suspend/resume or hands to the destination of a live migration (vhost's
//! `vhost_vring_state` plus the descriptors): a header (`__le16` head and tail, `__le32`
//! count), then each descriptor as the device lays it out in memory.
//!
//! Its tests only export a ring and import it back. The exported bytes cross machines, so
//! they are recorded with `bele_probe::wire`.

use alloc::vec::Vec;

/// A descriptor as the driver holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Desc {
    pub addr: u64,
    pub len: u32,
    pub flags: u16,
    pub id: u16,
}

/// A ring's state: where the driver and the device are, and the descriptors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingState {
    pub head: u16,
    pub tail: u16,
    pub descs: Vec<Desc>,
}

const DESC_LEN: usize = 16;

impl RingState {
    /// The saved state's bytes.
    pub fn export(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.head.to_le_bytes());
        out.extend_from_slice(&self.tail.to_le_bytes());
        #[cfg(not(feature = "mutant-ringstate-usize-count"))]
        out.extend_from_slice(&(self.descs.len() as u32).to_le_bytes());
        // Planted bug: the count written as a `usize`, 4 bytes on 32-bit and 8 on 64-bit.
        #[cfg(feature = "mutant-ringstate-usize-count")]
        out.extend_from_slice(&self.descs.len().to_le_bytes());
        for d in &self.descs {
            #[cfg(not(feature = "mutant-ringstate-native-descs"))]
            {
                out.extend_from_slice(&d.addr.to_le_bytes());
                out.extend_from_slice(&d.len.to_le_bytes());
                out.extend_from_slice(&d.flags.to_le_bytes());
                out.extend_from_slice(&d.id.to_le_bytes());
            }
            // Planted bug: the descriptors copied out as the CPU holds them.
            #[cfg(feature = "mutant-ringstate-native-descs")]
            {
                out.extend_from_slice(&d.addr.to_ne_bytes());
                out.extend_from_slice(&d.len.to_ne_bytes());
                out.extend_from_slice(&d.flags.to_ne_bytes());
                out.extend_from_slice(&d.id.to_ne_bytes());
            }
        }
        out
    }

    /// Restores a saved state; `None` if the bytes are short.
    pub fn import(b: &[u8]) -> Option<RingState> {
        let head = u16::from_le_bytes(b.get(0..2)?.try_into().ok()?);
        let tail = u16::from_le_bytes(b.get(2..4)?.try_into().ok()?);
        #[cfg(not(feature = "mutant-ringstate-usize-count"))]
        let (n, mut at) = (
            u32::from_le_bytes(b.get(4..8)?.try_into().ok()?) as usize,
            8,
        );
        #[cfg(feature = "mutant-ringstate-usize-count")]
        let (n, mut at) = {
            const W: usize = core::mem::size_of::<usize>();
            (
                usize::from_le_bytes(b.get(4..4 + W)?.try_into().ok()?),
                4 + W,
            )
        };
        let mut descs = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            let d = b.get(at..at + DESC_LEN)?;
            #[cfg(not(feature = "mutant-ringstate-native-descs"))]
            descs.push(Desc {
                addr: u64::from_le_bytes(d[0..8].try_into().ok()?),
                len: u32::from_le_bytes(d[8..12].try_into().ok()?),
                flags: u16::from_le_bytes(d[12..14].try_into().ok()?),
                id: u16::from_le_bytes(d[14..16].try_into().ok()?),
            });
            #[cfg(feature = "mutant-ringstate-native-descs")]
            descs.push(Desc {
                addr: u64::from_ne_bytes(d[0..8].try_into().ok()?),
                len: u32::from_ne_bytes(d[8..12].try_into().ok()?),
                flags: u16::from_ne_bytes(d[12..14].try_into().ok()?),
                id: u16::from_ne_bytes(d[14..16].try_into().ok()?),
            });
            at += DESC_LEN;
        }
        Some(RingState { head, tail, descs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn desc() -> impl Strategy<Value = Desc> {
        (any::<u64>(), any::<u32>(), any::<u16>(), any::<u16>()).prop_map(
            |(addr, len, flags, id)| Desc {
                addr,
                len,
                flags,
                id,
            },
        )
    }

    #[test]
    fn a_ring_survives_a_reset() {
        let state = RingState {
            head: 3,
            tail: 1,
            descs: alloc::vec![Desc {
                addr: 0x1_0000_2000,
                len: 1514,
                flags: 0x8001,
                id: 7
            }],
        };
        let saved = state.export();
        bele_probe::wire("state", &saved);
        assert_eq!(RingState::import(&saved), Some(state));
        assert_eq!(RingState::import(&saved[..3]), None);
    }

    proptest! {
        #[test]
        fn any_ring_survives_a_reset(head: u16, tail: u16, descs in proptest::collection::vec(desc(), 0..5)) {
            let state = RingState { head, tail, descs };
            let saved = state.export();
            bele_probe::wire("state", &saved);
            prop_assert_eq!(RingState::import(&saved), Some(state));
        }
    }
}
