//! libtest's listing and JSON events, whole or cut anywhere, as any bytes.
#![no_main]

use bele::testing::libtest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = libtest::parse_listing(&text);
    let _ = libtest::proptest_minimal_input(&text);
    let _ = libtest::doctest_signal(&text);
    for line in text.lines() {
        let _ = libtest::parse_event(line);
        let _ = libtest::listed_test(line);
        let _ = libtest::proptest_input_line(line);
        let _ = libtest::doc_test_word(line);
        let _ = libtest::doc_test_parts(line);
    }
    // A long line as the line reader cuts it: a start and an end, split where the data says.
    let at = data
        .first()
        .map_or(0, |&b| usize::from(b) * text.len() / 256);
    let at = (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let (head, tail) = text.split_at(at);
    let _ = libtest::parse_cut_event(head, tail, data.len() as u64);
});
