//! A firmware image of typed sections: models the TLV files drivers load with
//! `request_firmware` (iwlwifi's `struct iwl_ucode_tlv { __le32 type; __le32 length; u8
//! data[]; }`), each section padded to 4 bytes.
//!
//! Its tests only write an image and read it back, as many real firmware tests do: a
//! writer and a reader that agree on a wrong byte order pass them. What the device loads
//! is the bytes, which `bele_probe::wire` records for bele to compare across targets.

use alloc::vec::Vec;

/// One section of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: u32,
    pub data: Vec<u8>,
}

/// An image that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageError {
    /// A section header or its data runs past the end, at this offset.
    Truncated { offset: usize },
}

const HDR: usize = 8;

fn put32(out: &mut Vec<u8>, v: u32) {
    #[cfg(not(feature = "mutant-fwimage-host-order"))]
    out.extend_from_slice(&v.to_le_bytes());
    // Planted bug: the section header in the CPU's order.
    #[cfg(feature = "mutant-fwimage-host-order")]
    out.extend_from_slice(&v.to_ne_bytes());
}

fn get32(b: [u8; 4]) -> u32 {
    #[cfg(not(feature = "mutant-fwimage-host-order"))]
    return u32::from_le_bytes(b);
    // The matching reader: round trips hide the bug.
    #[cfg(feature = "mutant-fwimage-host-order")]
    return u32::from_ne_bytes(b);
}

/// The image file's bytes.
pub fn write_image(sections: &[Section]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in sections {
        put32(&mut out, s.kind);
        put32(&mut out, s.data.len() as u32);
        out.extend_from_slice(&s.data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    out
}

/// The sections of an image file.
pub fn read_image(blob: &[u8]) -> Result<Vec<Section>, ImageError> {
    let mut sections = Vec::new();
    let mut off = 0;
    while off < blob.len() {
        let hdr = blob
            .get(off..off + HDR)
            .ok_or(ImageError::Truncated { offset: off })?;
        let kind = get32([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let len = get32([hdr[4], hdr[5], hdr[6], hdr[7]]) as usize;
        let data = blob
            .get(off + HDR..off + HDR + len)
            .ok_or(ImageError::Truncated { offset: off })?;
        sections.push(Section {
            kind,
            data: data.to_vec(),
        });
        off = (off + HDR + len).next_multiple_of(4);
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn section() -> impl Strategy<Value = Section> {
        (any::<u32>(), proptest::collection::vec(any::<u8>(), 0..24))
            .prop_map(|(kind, data)| Section { kind, data })
    }

    #[test]
    fn an_image_reads_back() {
        let sections = [
            Section {
                kind: 1,
                data: b"INIT".to_vec(),
            },
            Section {
                kind: 0x13,
                data: alloc::vec![0xaa; 5],
            },
        ];
        let image = write_image(&sections);
        bele_probe::wire("image", &image);
        assert_eq!(image.len(), 8 + 4 + 8 + 8);
        assert_eq!(read_image(&image).unwrap(), sections);
        assert_eq!(
            read_image(&image[..10]),
            Err(ImageError::Truncated { offset: 0 })
        );
    }

    proptest! {
        #[test]
        fn any_image_reads_back(sections in proptest::collection::vec(section(), 0..6)) {
            let image = write_image(&sections);
            bele_probe::wire("image", &image);
            prop_assert_eq!(image.len() % 4, 0);
            prop_assert_eq!(read_image(&image).unwrap(), sections);
        }
    }
}
