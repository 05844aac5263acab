//! cargo's `--message-format=json` output, as any bytes, against a real workspace's metadata.
#![no_main]

use bele::testing::parse_messages;
use bele::testing::Workspace;
use libfuzzer_sys::fuzz_target;

const METADATA: &str = include_str!("../../tests/captured/metadata-fixtures.json");

fuzz_target!(|data: &[u8]| {
    let ws = Workspace::parse(METADATA).expect("captured metadata parses");
    let messages = parse_messages(&String::from_utf8_lossy(data), &ws);
    let _ = messages.compiled;
    let _ = messages.binaries();
    let _ = Workspace::parse(&String::from_utf8_lossy(data));
});
