//! Reading what `bele_probe` wrote: one file per test process, parsed into per-test,
//! per-label sequences of records (kept in detail up to a bound, digested in full).
//!
//! The writer is `bele_probe::line`; the format is one record per line, tab-separated:
//! kind (`w` wire, `h` host), test name, label (both with `\t`, `\n`, `\r`, `\\` escaped),
//! length, 64-bit digest in hex, the first bytes in hex. Lines starting with `#` are
//! headers; `!overflow` marks the writer's cap.

use std::collections::BTreeMap;
use std::io::BufRead;

use crate::model::{parse_hex, ProbeKind, ProbeRecord, ProbeSequence, ProbeTrace};

/// The variable bele sets to the file a test process records into.
pub const ENV: &str = bele_probe::ENV;

/// What one test recorded, label by label in the order first recorded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TestProbes {
    labels: Vec<SequenceBuilder>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SequenceBuilder {
    kind: ProbeKind,
    label: String,
    count: u64,
    state: u64,
    sequence: ProbeSequence,
}

/// Start of the digest of a sequence (FNV-1a's offset basis).
const SEQUENCE_SEED: u64 = 0xcbf2_9ce4_8422_2325;

impl SequenceBuilder {
    fn push(&mut self, record: ProbeRecord) {
        self.count += 1;
        self.state = bele_probe::digest_from(self.state, &record.len.to_le_bytes());
        self.state = bele_probe::digest_from(self.state, &record.digest.to_le_bytes());
        if self.sequence.records.len() < ProbeSequence::DETAIL {
            self.sequence.records.push(record);
        } else {
            self.sequence.omitted += 1;
        }
    }
}

impl TestProbes {
    fn push(&mut self, kind: ProbeKind, label: &str, record: ProbeRecord) {
        let i = match self
            .labels
            .iter()
            .position(|s| s.kind == kind && s.label == label)
        {
            Some(i) => i,
            None => {
                self.labels.push(SequenceBuilder {
                    kind,
                    label: label.to_string(),
                    count: 0,
                    state: SEQUENCE_SEED,
                    sequence: ProbeSequence::default(),
                });
                self.labels.len() - 1
            }
        };
        self.labels[i].push(record);
    }

    /// The traces for the test's result, and the sequences they name by digest.
    pub fn finish(self) -> (Vec<ProbeTrace>, Vec<(String, ProbeSequence)>) {
        self.labels
            .into_iter()
            .map(|s| {
                let digest = format!("{:016x}", s.state);
                (
                    ProbeTrace {
                        kind: s.kind,
                        label: s.label,
                        count: s.count,
                        digest: digest.clone(),
                    },
                    (digest, s.sequence),
                )
            })
            .unzip()
    }
}

/// Everything one probe file held.
#[derive(Debug, Default)]
pub struct Recorded {
    /// By test name (the test thread's name).
    pub tests: BTreeMap<String, TestProbes>,
    /// Records made from threads without a test's name (a thread the test spawned).
    pub unattributed: u64,
    /// Lines that are not records (a record cut by a crash, say), and the writer's cap.
    pub problems: Vec<String>,
}

/// Reads a probe file. Never fails: what cannot be read is counted in `problems`.
pub fn read(input: impl BufRead) -> Recorded {
    let mut out = Recorded::default();
    for (n, line) in input.split(b'\n').enumerate() {
        let Ok(line) = line else {
            out.problems.push(format!("line {}: unreadable", n + 1));
            break;
        };
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "!overflow" {
            out.problems.push(format!(
                "more than {} records in one test process: the rest were not kept",
                bele_probe::MAX_RECORDS
            ));
            continue;
        }
        match parse_line(line) {
            Some((kind, test, label, record)) if test.is_empty() => {
                let _ = (kind, label, record);
                out.unattributed += 1;
            }
            Some((kind, test, label, record)) => {
                out.tests
                    .entry(test)
                    .or_default()
                    .push(kind, &label, record);
            }
            None if out.problems.len() < 10 => {
                out.problems.push(format!(
                    "line {}: not a probe record: {}",
                    n + 1,
                    line.chars().take(80).collect::<String>()
                ));
            }
            None => {}
        }
    }
    out
}

/// Reads the probe file at `path`; a file that does not exist means nothing was recorded.
pub fn read_file(path: &std::path::Path) -> Recorded {
    match std::fs::File::open(path) {
        Ok(f) => read(std::io::BufReader::new(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Recorded::default(),
        Err(e) => Recorded {
            problems: vec![format!("cannot read {}: {e}", path.display())],
            ..Recorded::default()
        },
    }
}

fn parse_line(line: &str) -> Option<(ProbeKind, String, String, ProbeRecord)> {
    let mut f = line.split('\t');
    let kind = match f.next()? {
        "w" => ProbeKind::Wire,
        "h" => ProbeKind::Host,
        "l" => ProbeKind::Layout,
        _ => return None,
    };
    let test = unescape(f.next()?)?;
    let label = unescape(f.next()?)?;
    let len: u64 = f.next()?.parse().ok()?;
    let digest = u64::from_str_radix(f.next()?, 16).ok()?;
    let prefix = parse_hex(f.next()?)?;
    if f.next().is_some() || prefix.len() as u64 > len {
        return None;
    }
    Some((
        kind,
        test,
        label,
        ProbeRecord {
            len,
            digest,
            prefix,
        },
    ))
}

fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            _ => return None,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bele_probe::{line, Kind};
    use proptest::prelude::*;

    /// Captured: what the abstractions' x86_64 test executable wrote for three tests run
    /// two at a time (`BELE_PROBE_FILE=... PROPTEST_CASES=2`).
    const CAPTURED: &str = include_str!("../../tests/captured/probe-abstractions-x86_64.txt");

    #[test]
    fn captured_file_groups_records_by_test_and_label() {
        // A record from a thread the test spawned has no test name: counted, not kept.
        let text = format!("{CAPTURED}w\t\tspawned\t1\taf63dc4c8601ec8c\t61\n");
        let r = read(text.as_bytes());
        assert_eq!(r.unattributed, 1);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let (traces, seqs) = r.tests["mmio::tests::write32_stores_le_bytes"]
            .clone()
            .finish();
        assert_eq!(traces.len(), 1);
        assert_eq!((traces[0].kind, traces[0].count), (ProbeKind::Wire, 2));
        assert_eq!(seqs[0].1.records[0].len, 16);
        assert_eq!(seqs[0].1.records[0].prefix[12..], [0x79, 0xec, 0xed, 0x36]);
        let (traces, seqs) = r.tests["netlink::tests::header_is_in_host_order"]
            .clone()
            .finish();
        assert_eq!(
            (traces[0].kind, traces[0].label.as_str()),
            (ProbeKind::Host, "nlattr")
        );
        // nla_len 9, nla_type 3 in host order (x86_64), then "eth0\0" and padding.
        assert_eq!(
            seqs[0].1.records[0].prefix,
            [9, 0, 3, 0, b'e', b't', b'h', b'0', 0, 0, 0, 0]
        );
        assert_eq!(
            seqs[0].1.records[0].digest,
            bele_probe::digest(&[9, 0, 3, 0, b'e', b't', b'h', b'0', 0, 0, 0, 0])
        );
    }

    #[test]
    fn broken_lines_are_problems_not_errors() {
        let r = read(
            "w\tt\tl\t4\tzz\t00\nw\tt\tl\t1\t00\t0102\nq\tt\n!overflow\nw\tt\tl\t2\t0f\t01"
                .as_bytes(),
        );
        assert_eq!(r.problems.len(), 4, "{:?}", r.problems);
        assert!(r.problems[3].contains("were not kept"));
        assert_eq!(
            r.tests["t"].labels[0].count, 1,
            "a line cut short at the end still counts when whole"
        );
    }

    #[test]
    fn equal_records_give_equal_digests_and_order_matters() {
        let seq = |values: &[u32]| {
            let text: String = values
                .iter()
                .map(|v| line(Kind::Wire, "t", "x", &v.to_be_bytes()))
                .collect();
            let (traces, _) = read(text.as_bytes()).tests.remove("t").unwrap().finish();
            traces[0].digest.clone()
        };
        assert_eq!(seq(&[1, 2, 3]), seq(&[1, 2, 3]));
        assert_ne!(seq(&[1, 2, 3]), seq(&[1, 3, 2]));
        assert_ne!(seq(&[1, 2]), seq(&[1, 2, 2]));
    }

    #[test]
    fn detail_is_bounded_and_the_rest_counted() {
        let text: String = (0..ProbeSequence::DETAIL as u32 + 10)
            .map(|v| line(Kind::Wire, "t", "x", &v.to_le_bytes()))
            .collect();
        let (traces, seqs) = read(text.as_bytes()).tests.remove("t").unwrap().finish();
        assert_eq!(traces[0].count, ProbeSequence::DETAIL as u64 + 10);
        assert_eq!(seqs[0].1.records.len(), ProbeSequence::DETAIL);
        assert_eq!(seqs[0].1.omitted, 10);
    }

    proptest! {
        /// What the probe writes, bele reads back: names and labels with any characters,
        /// any bytes (the first `PREFIX` of them kept).
        #[test]
        fn written_records_read_back(
            test in "\\PC{1,30}", label in "[\\PC\t\n\r\\\\]{0,30}",
            bytes in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let text = line(Kind::Host, &test, &label, &bytes);
            let mut r = read(text.as_bytes());
            prop_assert!(r.problems.is_empty(), "{:?}", r.problems);
            let (traces, seqs) = r.tests.remove(&test).unwrap().finish();
            let kept: String = label.chars().scan(0, |n, c| { *n += c.len_utf8(); (*n <= bele_probe::MAX_LABEL).then_some(c) }).collect();
            prop_assert_eq!(&traces[0].label, &kept);
            let rec = &seqs[0].1.records[0];
            prop_assert_eq!(rec.len, bytes.len() as u64);
            prop_assert_eq!(rec.digest, bele_probe::digest(&bytes));
            prop_assert_eq!(&rec.prefix[..], &bytes[..bytes.len().min(bele_probe::PREFIX)]);
            // And a record survives its compact form in the results file.
            prop_assert_eq!(&ProbeRecord::try_from(rec.to_string()).unwrap(), rec);
        }

        /// Arbitrary bytes never make the reader panic.
        #[test]
        fn any_bytes_are_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = read(&bytes[..]);
        }
    }
}
