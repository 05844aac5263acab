//! Target selection: turns `--targets be,32,x86_64-unknown-linux-gnu` into rows of the table.
//!
//! Terms are separated by commas. A term is a triple, `all`, an endianness (`be`, `le`),
//! a pointer width (`32`, `64`) or an arch family (`mips`, `arm`, ...). Selectors of the
//! same kind add up (`mips,powerpc` is both families); selectors of different kinds narrow
//! each other (`be,32` is the big-endian 32-bit targets). Triples are always added.

use crate::{Arch, Endian, PointerWidth, Table, Target};

/// A `--targets` value that names nothing bele knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("unknown target or selector `{term}` in `{spec}` (use a triple from `bele targets`, or all, be, le, 32, 64, {families})")]
    Unknown {
        term: String,
        spec: String,
        families: String,
    },
    #[error("`{spec}` selects no target (the selectors exclude each other; see `bele targets`)")]
    Empty { spec: String },
}

/// Selects rows of `table`, in table order, without duplicates.
pub fn select<'t>(table: &'t Table, spec: &str) -> Result<Vec<&'t Target>, SelectError> {
    let mut triples: Vec<&str> = Vec::new();
    let mut endians: Vec<Endian> = Vec::new();
    let mut widths: Vec<PointerWidth> = Vec::new();
    let mut arches: Vec<Arch> = Vec::new();
    let mut all = false;
    for term in spec.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match term {
            "all" => all = true,
            "be" | "big" => endians.push(Endian::Big),
            "le" | "little" => endians.push(Endian::Little),
            "32" => widths.push(PointerWidth::W32),
            "64" => widths.push(PointerWidth::W64),
            _ => {
                if let Some(arch) = Arch::ALL.iter().find(|a| a.name() == term) {
                    arches.push(*arch);
                } else if table.get(term).is_some() {
                    triples.push(term);
                } else {
                    return Err(SelectError::Unknown {
                        term: term.to_string(),
                        spec: spec.to_string(),
                        families: Arch::ALL.map(Arch::name).join(", "),
                    });
                }
            }
        }
    }
    let has_selector = all || !endians.is_empty() || !widths.is_empty() || !arches.is_empty();
    let picked: Vec<&Target> = table
        .targets()
        .iter()
        .filter(|t| {
            let by_selector = has_selector
                && (endians.is_empty() || endians.contains(&t.endian))
                && (widths.is_empty() || widths.contains(&t.pointer_width))
                && (arches.is_empty() || arches.contains(&t.arch));
            by_selector || triples.contains(&t.triple.as_str())
        })
        .collect();
    if picked.is_empty() {
        return Err(SelectError::Empty {
            spec: spec.to_string(),
        });
    }
    Ok(picked)
}
