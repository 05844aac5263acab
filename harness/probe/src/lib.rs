//! Probes for bele: record the bytes a test puts on a wire, a disk or a device, so bele can
//! compare them across targets and find byte-order bugs that no assertion in the test sees.
//!
//! ```
//! # fn encode(v: u32) -> [u8; 4] { v.to_be_bytes() }
//! # fn decode(b: [u8; 4]) -> u32 { u32::from_be_bytes(b) }
//! let frame = encode(0x1234_5678);
//! // A round trip passes on every target even when `encode` writes host order...
//! assert_eq!(decode(frame), 0x1234_5678);
//! // ...but the bytes on the wire must be the same everywhere: bele compares them.
//! bele_probe::wire("frame", &frame);
//! ```
//!
//! Under `bele test`, every call appends one record (label, length, digest and the first
//! [`PREFIX`] bytes) to a file bele names in [`ENV`], attributed to the test whose thread
//! made it (libtest names each test's thread after the test). Each record is written with
//! one `write` as it is made, so a test that crashes later loses nothing it recorded.
//!
//! Outside bele ([`ENV`] unset) every call returns at once: no file, no allocation, nothing
//! printed, so `cargo test` behaves as before. Without the default `std` feature (`no_std`
//! users) every call is always a no-op.
#![no_std]

#[cfg(feature = "std")]
extern crate std;

/// The environment variable through which bele names the file records go to.
pub const ENV: &str = "BELE_PROBE_FILE";

/// How many leading bytes of each record are kept verbatim (the rest only in the digest).
pub const PREFIX: usize = 64;

/// Records past this many in one process are dropped (a marker line says so), which
/// bounds the file whatever a test does in a loop.
pub const MAX_RECORDS: u64 = 1_000_000;

/// Longest label kept, in bytes; longer labels are cut at a character boundary.
pub const MAX_LABEL: usize = 200;

/// Records bytes that must be identical on every target: a packet, an on-disk structure, a
/// DMA descriptor, a register image. bele compares them across all targets the test passed
/// on and reports a difference with a verdict (for example "output differs on big-endian
/// only").
pub fn wire(label: &str, bytes: &[u8]) {
    record(Kind::Wire, label, bytes);
}

/// Records bytes that are in host order by design (netlink attributes, a native in-memory
/// layout). bele compares them only among targets of the same endianness and pointer width.
pub fn host(label: &str, bytes: &[u8]) {
    record(Kind::Host, label, bytes);
}

/// Whether records are being kept: true only under bele, with the `std` feature.
pub fn enabled() -> bool {
    #[cfg(feature = "std")]
    {
        imp::sink().is_some()
    }
    #[cfg(not(feature = "std"))]
    {
        false
    }
}

/// Declares that a type's memory layout must be the same on every target: its size and each
/// named field's offset and size. bele compares the layouts across targets and fails the run
/// where they differ (a `u64` after a `u32` is at offset 4 on i686, 8 elsewhere), naming the
/// fields, even when every test passes. The alignment is recorded and shown beside such a
/// difference; alone it moves no byte of the type and is not one (where it moves a field of
/// a type that embeds this one, that type's declaration shows it).
///
/// ```
/// #[repr(C)]
/// struct Desc {
///     addr: u64,
///     len: u32,
///     flags: u32,
/// }
/// bele_probe::layout!(Desc { addr, len, flags });
/// ```
///
/// Call it in a test (each call records under the test that makes it). Fields are named as
/// in a struct pattern, tuple fields by index (`Pair { 0, 1 }`); fields left out are not
/// compared, but still count in the size. Needs Rust 1.77 (`core::mem::offset_of!`); the
/// type's fields must be readable where it is called and the type must not implement `Drop`.
#[macro_export]
macro_rules! layout {
    ($ty:ty { $($field:tt),* $(,)? }) => {
        $crate::record_layout(
            ::core::stringify!($ty),
            ::core::mem::size_of::<$ty>(),
            ::core::mem::align_of::<$ty>(),
            &[$((
                ::core::stringify!($field),
                ::core::mem::offset_of!($ty, $field),
                $crate::field_size(|v: $ty| v.$field),
            )),*],
        )
    };
}

/// The size of the type a field projection returns: `layout!` names field types this way
/// (the closure is never called).
#[doc(hidden)]
pub fn field_size<T, F>(_project: fn(T) -> F) -> usize {
    core::mem::size_of::<F>()
}

/// What `layout!` records: one record `size S align A` and one `FIELD OFFSET SIZE` per field,
/// as text, under the label `name` with the kind [`Kind::Layout`].
#[doc(hidden)]
pub fn record_layout(name: &str, size: usize, align: usize, fields: &[(&str, usize, usize)]) {
    #[cfg(feature = "std")]
    {
        use std::format;
        if !enabled() {
            return;
        }
        record(
            Kind::Layout,
            name,
            format!("size {size} align {align}").as_bytes(),
        );
        for (field, offset, len) in fields {
            record(
                Kind::Layout,
                name,
                format!("{field} {offset} {len}").as_bytes(),
            );
        }
    }
    #[cfg(not(feature = "std"))]
    let _ = (name, size, align, fields);
}

/// The kinds of record, as the file marks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Wire,
    Host,
    /// A type's layout, declared with [`layout!`]: the same on every target.
    Layout,
}

impl Kind {
    /// The mark in the first field of a record line.
    pub fn mark(self) -> char {
        match self {
            Kind::Wire => 'w',
            Kind::Host => 'h',
            Kind::Layout => 'l',
        }
    }
}

/// FNV-1a, 64 bits: the digest of a record's bytes (and bele's digest of a sequence).
pub fn digest(bytes: &[u8]) -> u64 {
    digest_from(0xcbf2_9ce4_8422_2325, bytes)
}

/// Continues an FNV-1a digest from `state` over `bytes`.
pub fn digest_from(mut state: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        state ^= u64::from(*b);
        state = state.wrapping_mul(0x0000_0100_0000_01b3);
    }
    state
}

#[cfg(not(feature = "std"))]
fn record(_kind: Kind, _label: &str, _bytes: &[u8]) {}

#[cfg(feature = "std")]
fn record(kind: Kind, label: &str, bytes: &[u8]) {
    imp::record(kind, label, bytes);
}

#[cfg(feature = "std")]
pub use imp::line;

#[cfg(feature = "std")]
mod imp {
    use std::fs::{File, OpenOptions};
    use std::io::Write;
    use std::string::String;
    use std::sync::{Mutex, OnceLock};
    use std::vec::Vec;

    use super::{digest, Kind, MAX_LABEL, MAX_RECORDS, PREFIX};

    pub(super) struct Sink {
        file: File,
        written: u64,
    }

    static SINK: OnceLock<Option<Mutex<Sink>>> = OnceLock::new();

    /// The open record file, or `None` outside bele. The variable is read once per process;
    /// when it is unset this allocates nothing.
    pub(super) fn sink() -> Option<&'static Mutex<Sink>> {
        SINK.get_or_init(|| {
            let path = std::env::var_os(super::ENV)?;
            if path.is_empty() {
                return None;
            }
            match OpenOptions::new().create(true).append(true).open(&path) {
                Ok(mut file) => {
                    let _ = file.write_all(b"#bele-probe 1\n");
                    Some(Mutex::new(Sink { file, written: 0 }))
                }
                Err(e) => {
                    // Under bele only: the message lands in the test's output.
                    std::eprintln!(
                        "bele-probe: cannot open {}: {e}; no probe records are kept",
                        std::path::Path::new(&path).display()
                    );
                    None
                }
            }
        })
        .as_ref()
    }

    /// Per thread: the record being built, and the thread's name as the file writes it
    /// (escaped once: a test's records all come from its one thread).
    struct Scratch {
        line: Vec<u8>,
        test: Option<Vec<u8>>,
    }

    std::thread_local! {
        static SCRATCH: core::cell::RefCell<Scratch> =
            const { core::cell::RefCell::new(Scratch { line: Vec::new(), test: None }) };
    }

    pub(super) fn record(kind: Kind, label: &str, bytes: &[u8]) {
        let Some(sink) = sink() else { return };
        SCRATCH.with(|cell| {
            let Ok(mut scratch) = cell.try_borrow_mut() else {
                return;
            };
            let Scratch { line, test } = &mut *scratch;
            let test = test.get_or_insert_with(|| {
                let mut name = Vec::new();
                escape_into(&mut name, std::thread::current().name().unwrap_or(""));
                name
            });
            line.clear();
            line_into(line, kind, test, label, bytes);
            let mut sink = sink.lock().unwrap_or_else(|p| p.into_inner());
            if sink.written > MAX_RECORDS {
                return;
            }
            let text: &[u8] = if sink.written == MAX_RECORDS {
                b"!overflow\n"
            } else {
                line
            };
            // One write per record, unbuffered: what is recorded survives a crash that
            // follows.
            let _ = sink.file.write_all(text);
            sink.written += 1;
        });
    }

    /// One record line: `KIND TAB TEST TAB LABEL TAB LEN TAB DIGEST TAB PREFIX-HEX LF`, with
    /// tabs, line breaks and backslashes in the test name and label escaped as `\t`, `\n`,
    /// `\r` and `\\`.
    pub fn line(kind: Kind, test: &str, label: &str, bytes: &[u8]) -> String {
        let mut name = Vec::new();
        escape_into(&mut name, test);
        let mut out = Vec::new();
        line_into(&mut out, kind, &name, label, bytes);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Builds a record line byte by byte (formatting machinery costs dearly under
    /// emulation); `test` is already escaped.
    fn line_into(out: &mut Vec<u8>, kind: Kind, test: &[u8], label: &str, bytes: &[u8]) {
        let mut cut = label.len().min(MAX_LABEL);
        while !label.is_char_boundary(cut) {
            cut -= 1;
        }
        let shown = &bytes[..bytes.len().min(PREFIX)];
        out.reserve(48 + test.len() + cut + 2 * shown.len());
        out.push(kind.mark() as u8);
        out.push(b'\t');
        out.extend_from_slice(test);
        out.push(b'\t');
        escape_into(out, &label[..cut]);
        out.push(b'\t');
        push_decimal(out, bytes.len() as u64);
        out.push(b'\t');
        push_hex(out, &digest(bytes).to_be_bytes());
        out.push(b'\t');
        push_hex(out, shown);
        out.push(b'\n');
    }

    fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for b in bytes {
            out.push(DIGITS[usize::from(b >> 4)]);
            out.push(DIGITS[usize::from(b & 15)]);
        }
    }

    fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[i..]);
    }

    fn escape_into(out: &mut Vec<u8>, s: &str) {
        for b in s.bytes() {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b => out.push(b),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_fnv1a_64() {
        // Published FNV-1a test vectors.
        assert_eq!(digest(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(digest(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(digest(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(digest_from(digest(b"foo"), b"bar"), digest(b"foobar"));
    }

    #[repr(C)]
    struct Desc {
        addr: u64,
        len: u32,
        flags: u8,
    }

    #[repr(C, packed)]
    struct Packed(u8, u32);

    #[test]
    fn layout_names_field_sizes_and_offsets() {
        assert_eq!(field_size(|d: Desc| d.flags), 1);
        assert_eq!(field_size(|d: Desc| d.addr), 8);
        assert_eq!(field_size(|p: Packed| p.1), 4);
        // Outside bele it records nothing and does not fail, on any form of field.
        layout!(Desc { addr, len, flags });
        layout!(Packed { 0, 1 });
        layout!(self::Desc { addr });
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_line_escapes_names_and_cuts_long_records() {
        let bytes: std::vec::Vec<u8> = (0..100u8).collect();
        let l = line(Kind::Host, "m::t", "a\tb\\c\n", &bytes);
        let fields: std::vec::Vec<&str> = l.trim_end_matches('\n').split('\t').collect();
        assert_eq!(
            fields[..5],
            [
                "h",
                "m::t",
                "a\\tb\\\\c\\n",
                "100",
                &std::format!("{:016x}", digest(&bytes))
            ]
        );
        assert_eq!(fields[5].len(), 2 * PREFIX);
        assert!(fields[5].starts_with("00010203"));
        let long = "é".repeat(150);
        let l = line(Kind::Wire, "", &long, &[]);
        let label = l.split('\t').nth(2).unwrap();
        assert_eq!(label.len(), MAX_LABEL);
        assert!(l.ends_with("\t0\tcbf29ce484222325\t\n"), "{l}");
    }
}
