//! Probe records in the results model: what a test recorded with `bele_probe` on a target,
//! as digests and the first bytes, and the checks that confirm a difference. Data and its
//! `LEN:DIGEST:HEX` codec only; the probe file's reader is `execute::probe_file`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Whether a probe record must agree on every target or only on targets of one byte order
/// and pointer width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// `bele_probe::wire`: the same bytes on every target.
    Wire,
    /// `bele_probe::host`: host order by design; compared within one endianness and width.
    Host,
    /// `bele_probe::layout!`: a type's size, alignment and field offsets, as text records
    /// (`size S align A`, then `FIELD OFFSET SIZE` per field); the same on every target.
    Layout,
}

impl ProbeKind {
    pub fn label(self) -> &'static str {
        match self {
            ProbeKind::Wire => "wire",
            ProbeKind::Host => "host",
            ProbeKind::Layout => "layout",
        }
    }
}

/// The records one test made under one label on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeTrace {
    pub kind: ProbeKind,
    pub label: String,
    /// How many records.
    pub count: u64,
    /// Digest of the whole sequence (length and digest of every record, in order): equal
    /// digests mean equal records. The key of the records in `probe_sequences`.
    pub digest: String,
}

/// The records of one sequence: the first [`ProbeSequence::DETAIL`] in detail.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProbeSequence {
    pub records: Vec<ProbeRecord>,
    /// Records after the last one kept: counted and digested, not kept.
    pub omitted: u64,
}

impl ProbeSequence {
    /// Records kept per sequence; a difference after them is reported without its bytes.
    pub const DETAIL: usize = 4096;
}

/// One probe record: its length, the digest of all its bytes, and its first bytes.
/// Written as `LEN:DIGEST:HEX` (`4:af63dc4c8601ec8c:12345678`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ProbeRecord {
    pub len: u64,
    pub digest: u64,
    /// The first `bele_probe::PREFIX` bytes.
    pub prefix: Vec<u8>,
}

impl fmt::Display for ProbeRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:016x}:", self.len, self.digest)?;
        for b in &self.prefix {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl From<ProbeRecord> for String {
    fn from(r: ProbeRecord) -> String {
        r.to_string()
    }
}

impl TryFrom<String> for ProbeRecord {
    type Error = String;
    fn try_from(s: String) -> Result<ProbeRecord, String> {
        let bad = || format!("`{s}` is not a probe record (LEN:DIGEST:HEX)");
        let mut parts = s.split(':');
        let (Some(len), Some(digest), Some(hex), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let len: u64 = len.parse().map_err(|_| bad())?;
        let digest = u64::from_str_radix(digest, 16).map_err(|_| bad())?;
        let prefix = parse_hex(hex).ok_or_else(bad)?;
        if prefix.len() as u64 > len {
            return Err(bad());
        }
        Ok(ProbeRecord {
            len,
            digest,
            prefix,
        })
    }
}

/// A test whose records differed between targets, run again before its difference is
/// believed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCheck {
    pub binary: String,
    pub test: String,
    /// The target it ran on again (the first that passed it, the host when it can).
    pub rerun_on: String,
    /// Whether the second run recorded exactly what the first did. When it did not, the
    /// records depend on something other than the code and the seed (a clock, OS
    /// randomness, a proptest regression file written during the run): not compared.
    pub stable: bool,
    /// Why the check could not tell (the re-run failed or could not start).
    pub note: Option<String>,
    /// The inputs proptest drew from the run's seed on each target the test ran on again
    /// (with `PROPTEST_VERBOSE=2`): records are compared only among targets that drew the
    /// same. They can differ: `usize`/`isize` strategies draw by pointer width, and a
    /// target's RNG can differ.
    pub inputs: Vec<InputsOn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputsOn {
    pub target: String,
    /// How many inputs proptest reported (0 for a test that is not a property).
    pub cases: u64,
    /// Digest of the inputs as proptest printed them, in order.
    pub digest: String,
}

/// Bytes from lower- or upper-case hex digits; `None` for anything else.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}
