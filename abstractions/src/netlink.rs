//! Netlink attributes (`struct nlattr`, include/uapi/linux/netlink.h): a host-order ABI.
//! Unlike the rest of this crate, lengths and types are in the CPU's own order, because
//! netlink only crosses the user/kernel boundary of one machine; tested as such.

use alloc::vec::Vec;

/// `NLA_ALIGNTO`.
pub const NLA_ALIGNTO: usize = 4;
/// `NLA_HDRLEN`.
pub const NLA_HDRLEN: usize = 4;

fn nla_align(len: usize) -> usize {
    (len + NLA_ALIGNTO - 1) & !(NLA_ALIGNTO - 1)
}

/// `nla_put`: appends an attribute, padded to 4 bytes.
pub fn nla_put(buf: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    let len = (NLA_HDRLEN + payload.len()) as u16;
    #[cfg(not(feature = "mutant-netlink-le"))]
    let (len_bytes, kind_bytes) = (len.to_ne_bytes(), kind.to_ne_bytes());
    // Planted bug: the "always little-endian" reflex applied to a host-order ABI.
    #[cfg(feature = "mutant-netlink-le")]
    let (len_bytes, kind_bytes) = (len.to_le_bytes(), kind.to_le_bytes());
    buf.extend_from_slice(&len_bytes);
    buf.extend_from_slice(&kind_bytes);
    buf.extend_from_slice(payload);
    buf.resize(buf.len() + nla_align(payload.len()) - payload.len(), 0);
}

/// `nla_for_each_attr`: the attributes of `buf` as (type, payload); stops at a malformed one.
pub fn nla_parse(buf: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + NLA_HDRLEN <= buf.len() {
        let len = usize::from(u16::from_ne_bytes([buf[off], buf[off + 1]]));
        let kind = u16::from_ne_bytes([buf[off + 2], buf[off + 3]]);
        if len < NLA_HDRLEN || off + len > buf.len() {
            break;
        }
        out.push((kind, &buf[off + NLA_HDRLEN..off + len]));
        off += nla_align(len);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    #[test]
    fn header_is_in_host_order() {
        let mut buf = Vec::new();
        nla_put(&mut buf, 3, b"eth0\0");
        bele_probe::host("nlattr", &buf);
        assert_eq!(buf.len(), 12);
        assert_eq!(&buf[0..2], &9u16.to_ne_bytes());
        assert_eq!(&buf[2..4], &3u16.to_ne_bytes());
        assert_eq!(nla_parse(&buf), vec![(3, &b"eth0\0"[..])]);
    }

    proptest! {
        #[test]
        fn put_then_parse_in_native_order(attrs in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..20)), 0..5)) {
            let mut buf = Vec::new();
            for (k, p) in &attrs {
                let at = buf.len();
                nla_put(&mut buf, *k, p);
                prop_assert_eq!(&buf[at..at + 2], &((NLA_HDRLEN + p.len()) as u16).to_ne_bytes()[..]);
            }
            bele_probe::host("nlattrs", &buf);
            let parsed: Vec<(u16, Vec<u8>)> = nla_parse(&buf).into_iter().map(|(k, p)| (k, p.to_vec())).collect();
            prop_assert_eq!(parsed, attrs);
        }
    }
}
