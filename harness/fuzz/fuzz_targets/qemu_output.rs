//! What QEMU and test processes print: crash reports, version banners, and output read line
//! by line with caps (head and tail kept, the cut counted), as any bytes.
#![no_main]

use std::io::BufReader;

use bele_qemu::clip::{self, Clip};
use bele_qemu::{parse_version, GuestSignal, Line, Stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = GuestSignal::parse(&text);
    let _ = parse_version(&text);
    let (head, tail) = (
        usize::from(data.first().copied().unwrap_or(0) % 64),
        1 + usize::from(data.last().copied().unwrap_or(0) % 64),
    );
    let mut reader = BufReader::with_capacity(7, data);
    let mut total = 0u64;
    let mut lines = 0u64;
    while let Ok(Some(c)) = clip::read_line(&mut reader, head, tail) {
        total += c.len();
        lines += 1;
        let line = Line::new(Stream::Stdout, &c);
        if let Some((h, t, _)) = line.cut_parts() {
            assert!(h.len() <= head * 3 && t.len() <= tail * 3);
        }
    }
    // Every byte is in a line, a line break or a `\r` trimmed before one.
    assert!(total <= data.len() as u64);
    assert!(lines <= data.len() as u64);
    let mut whole = Clip::new(head, tail);
    for chunk in data.chunks(5) {
        whole.push(chunk);
    }
    assert_eq!(whole.len(), data.len() as u64);
    let _ = whole.finish();
});
