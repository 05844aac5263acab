//! Probe files as tests write them, as any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bele::testing::probe_file::read(data);
    let _ = bele::testing::parse_hex(&String::from_utf8_lossy(data));
});
