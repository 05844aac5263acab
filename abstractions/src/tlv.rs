//! A firmware TLV blob parser: models `request_firmware` consumers (for example iwlwifi's
//! TLV images): `__le16` type and length, values padded to 4 bytes. The copying parser works
//! at any alignment; a zero-copy header view refuses a misaligned buffer instead of faulting.

use alloc::vec::Vec;

use crate::endian::Le;
use crate::transmute::{AsBytes, FromBytes};

crate::wire_struct! {
    /// A record header as stored.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct TlvHeader {
        pub kind: Le<u16>,
        pub len: Le<u16>,
    }
}

/// One record, copied out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlv {
    pub kind: u16,
    pub value: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlvError {
    /// A header or value runs past the end of the blob.
    Truncated { offset: usize },
    /// A zero-copy view was asked of a misaligned buffer.
    Misaligned,
}

fn padded(len: usize) -> usize {
    (len + 3) & !3
}

/// Parses every record, copying: the same result at every alignment of `blob`.
pub fn parse(blob: &[u8]) -> Result<Vec<Tlv>, TlvError> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < blob.len() {
        let h =
            TlvHeader::from_bytes_copy(&blob[off..]).ok_or(TlvError::Truncated { offset: off })?;
        let len = usize::from(h.len.to_cpu());
        let start = off + 4;
        let value = blob
            .get(start..start + len)
            .ok_or(TlvError::Truncated { offset: off })?;
        out.push(Tlv {
            kind: h.kind.to_cpu(),
            value: value.to_vec(),
        });
        off = start + padded(len);
    }
    Ok(out)
}

/// A zero-copy view of the first header; refused when `blob` is misaligned for it.
pub fn view_header(blob: &[u8]) -> Result<&TlvHeader, TlvError> {
    if blob.len() < core::mem::size_of::<TlvHeader>() {
        return Err(TlvError::Truncated { offset: 0 });
    }
    TlvHeader::from_bytes(blob).ok_or(TlvError::Misaligned)
}

/// Encodes records (the inverse of `parse`).
pub fn encode(records: &[Tlv]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        let h = TlvHeader {
            kind: Le::from_cpu(r.kind),
            len: Le::from_cpu(r.value.len() as u16),
        };
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(&r.value);
        out.resize(out.len() + padded(r.value.len()) - r.value.len(), 0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    const GOLDEN: [u8; 16] = [
        0x01, 0x00, 0x03, 0x00, 0xaa, 0xbb, 0xcc, 0x00, 0x34, 0x12, 0x04, 0x00, 1, 2, 3, 4,
    ];

    #[test]
    fn golden_blob() {
        let recs = parse(&GOLDEN).unwrap();
        assert_eq!(
            recs,
            vec![
                Tlv {
                    kind: 1,
                    value: vec![0xaa, 0xbb, 0xcc]
                },
                Tlv {
                    kind: 0x1234,
                    value: vec![1, 2, 3, 4]
                }
            ]
        );
        bele_probe::wire("blob", &encode(&recs));
        assert_eq!(encode(&recs), GOLDEN);
        assert_eq!(parse(&GOLDEN[..10]), Err(TlvError::Truncated { offset: 8 }));
    }

    /// A buffer whose start is 8-aligned on every target, so offsets are exact alignments.
    #[repr(C, align(8))]
    struct Aligned([u8; 128]);

    proptest! {
        #[test]
        fn same_result_at_every_alignment(
            recs in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..12)), 0..6),
            offset in 0usize..8,
        ) {
            let recs: Vec<Tlv> = recs.into_iter().map(|(kind, value)| Tlv { kind, value }).collect();
            let blob = encode(&recs);
            bele_probe::wire("blob", &blob);
            let mut buf = Aligned([0; 128]);
            buf.0[offset..offset + blob.len()].copy_from_slice(&blob);
            let at = &buf.0[offset..offset + blob.len()];
            prop_assert_eq!(parse(at).unwrap(), recs.clone());
            if !recs.is_empty() {
                let view = view_header(at);
                if offset % 2 == 0 {
                    prop_assert_eq!(view.map(|h| h.kind.to_cpu()), Ok(recs[0].kind));
                } else {
                    prop_assert_eq!(view, Err(TlvError::Misaligned));
                }
            }
        }
    }
}
