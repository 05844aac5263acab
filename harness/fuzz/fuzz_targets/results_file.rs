//! Results files, as any bytes: what parses is then rendered in every report format and
//! compared, as `bele report` and `bele diff` would.
#![no_main]

use bele::testing::RunResults;
use bele::testing::{self as report, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(results) = RunResults::parse(&String::from_utf8_lossy(data), "fuzz.json".into()) else {
        return;
    };
    for format in Format::ALL {
        let mut out = Vec::new();
        report::render(format, &results, &mut out).expect("rendering into memory");
    }
    let mut out = Vec::new();
    report::write_summary(&mut out, &results, report::Style { color: false }).expect("summary");
    let _ = bele::testing::diff(&results, &results);
});
