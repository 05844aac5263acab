//! cargo's `--message-format=json` output, as any bytes, against a real workspace's metadata.
#![no_main]

use bele::testing::parse_messages;
use bele::testing::Workspace;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

const METADATA: &str = include_str!("../../tests/captured/metadata-fixtures.json");

/// Parsed once: parsing it for every input took most of each run.
static WORKSPACE: LazyLock<Workspace> =
    LazyLock::new(|| Workspace::parse(METADATA).expect("captured metadata parses"));

fuzz_target!(|data: &[u8]| {
    let messages = parse_messages(&String::from_utf8_lossy(data), &WORKSPACE);
    let _ = messages.compiled;
    let _ = messages.binaries();
    let _ = Workspace::parse(&String::from_utf8_lossy(data));
});
