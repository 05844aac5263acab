//! The results file as written: the results model, then what is derived from it for tools
//! that want verdicts without re-implementing the rules: `triage` (every test that did not
//! pass everywhere), `build` (where builds failed), `differences`, `not_compared`,
//! `compared_alone` and `probe_notes` (probe records), `layout_differences` (`#[repr]` types
//! whose layouts from the compiler differ). Readers of the file ignore the derived parts.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::analyze::differential::{self, Alone, Difference, Skipped};
use crate::analyze::findings::ProbeNote;
use crate::analyze::triage::{self, BuildTriage, TriageEntry};
use crate::model::{ResultsError, RunResults};

#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    results: &'a RunResults,
    triage: Vec<TriageEntry<'a>>,
    build: Option<BuildTriage<'a>>,
    differences: Vec<Difference<'a>>,
    not_compared: Vec<Skipped<'a>>,
    compared_alone: Vec<Alone<'a>>,
    probe_notes: Vec<ProbeNote<'a>>,
    layout_differences: Vec<crate::analyze::layouts::LayoutFinding<'a>>,
}

pub fn write_json(out: &mut dyn Write, results: &RunResults) -> io::Result<()> {
    let analysis = differential::differences(results);
    let doc = Document {
        results,
        triage: triage::triage(results),
        build: triage::build_triage(results),
        differences: analysis.differences,
        not_compared: analysis.skipped,
        compared_alone: analysis.alone,
        probe_notes: crate::analyze::findings::probe_notes(results),
        layout_differences: crate::analyze::layouts::compare(results),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

/// Writes the results file at `path` atomically.
pub fn save_json(results: &RunResults, path: &Path) -> Result<(), ResultsError> {
    write_atomic(path, |w| write_json(w, results))
}

/// Writes a file atomically: `write` fills a temporary file beside `path`, which then
/// replaces it, so a reader sees the old file or the new one, never half of one.
fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), ResultsError> {
    crate::util::atomic::write(path, None, write).map_err(|source| ResultsError::Write {
        file: path.display().to_string(),
        source,
    })
}
