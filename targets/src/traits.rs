//! Target traits: the properties that can explain why something fails on a set of targets
//! (byte order, pointer width, `u64` alignment, `c_char` signedness, ...), with the words
//! a verdict uses for each.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Arch, Endian, PointerWidth};

/// Whether a C type is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signedness {
    Signed,
    Unsigned,
}

impl fmt::Display for Signedness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signedness::Signed => "signed",
            Signedness::Unsigned => "unsigned",
        })
    }
}

/// Every trait of one target, as the table (or a results file) gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Traits {
    pub endian: Endian,
    pub pointer_width: PointerWidth,
    pub arch: Arch,
    pub u64_align: u8,
    pub c_char: Signedness,
    pub strict_align: bool,
    pub atomic64: bool,
}

/// One trait with its value: an atom of a verdict's explanation.
///
/// The variant order is the order of preference when two explanations of the same size
/// fit: byte order and pointer width are what maintainers ask about first; the arch family
/// comes last because it explains least (it is nearly the target's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Trait {
    Endian(Endian),
    PointerWidth(PointerWidth),
    U64Align(u8),
    CChar(Signedness),
    StrictAlign(bool),
    Atomic64(bool),
    Arch(Arch),
}

/// How a trait reads in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phrase {
    /// Qualifies "targets": `big-endian`, `32-bit`, `mips`.
    Adjective(String),
    /// Follows "targets": `where u64 aligns to 4`, `without 64-bit atomics`.
    Clause(String),
}

impl Traits {
    /// The target's traits, in order of preference (see [`Trait`]).
    pub fn atoms(&self) -> [Trait; 7] {
        [
            Trait::Endian(self.endian),
            Trait::PointerWidth(self.pointer_width),
            Trait::U64Align(self.u64_align),
            Trait::CChar(self.c_char),
            Trait::StrictAlign(self.strict_align),
            Trait::Atomic64(self.atomic64),
            Trait::Arch(self.arch),
        ]
    }

    pub fn has(&self, t: Trait) -> bool {
        self.atoms().contains(&t)
    }
}

impl Trait {
    /// Which property this is; two atoms of one kind never appear in one explanation.
    pub fn kind(self) -> usize {
        match self {
            Trait::Endian(_) => 0,
            Trait::PointerWidth(_) => 1,
            Trait::U64Align(_) => 2,
            Trait::CChar(_) => 3,
            Trait::StrictAlign(_) => 4,
            Trait::Atomic64(_) => 5,
            Trait::Arch(_) => 6,
        }
    }

    /// Whether this is about byte order (reports list those verdicts first).
    pub fn is_byte_order(self) -> bool {
        matches!(self, Trait::Endian(_))
    }

    /// A stable identifier, for verdict ids and filters: `big-endian`, `u64-align-4`.
    pub fn slug(self) -> String {
        match self {
            Trait::Endian(Endian::Big) => "big-endian".into(),
            Trait::Endian(Endian::Little) => "little-endian".into(),
            Trait::PointerWidth(w) => format!("{}-bit", w.bits()),
            Trait::U64Align(n) => format!("u64-align-{n}"),
            Trait::CChar(s) => format!("c-char-{s}"),
            Trait::StrictAlign(true) => "misaligned-traps".into(),
            Trait::StrictAlign(false) => "misaligned-ok".into(),
            Trait::Atomic64(true) => "atomic64".into(),
            Trait::Atomic64(false) => "no-atomic64".into(),
            Trait::Arch(a) => a.name().into(),
        }
    }

    pub fn phrase(self) -> Phrase {
        match self {
            Trait::Endian(_) | Trait::PointerWidth(_) | Trait::Arch(_) => {
                Phrase::Adjective(self.slug())
            }
            Trait::U64Align(n) => Phrase::Clause(format!("where u64 aligns to {n}")),
            Trait::CChar(s) => Phrase::Clause(format!("where c_char is {s}")),
            Trait::StrictAlign(true) => Phrase::Clause("where misaligned loads trap".into()),
            Trait::StrictAlign(false) => Phrase::Clause("where misaligned loads work".into()),
            Trait::Atomic64(true) => Phrase::Clause("with 64-bit atomics".into()),
            Trait::Atomic64(false) => Phrase::Clause("without 64-bit atomics".into()),
        }
    }
}

/// How a set of traits reads: "fails on {big-endian 32-bit} only", "fails {where u64 aligns
/// to 4}", "fails on {big-endian targets where c_char is signed}".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Described {
    /// Adjectives only: reads "on ... only".
    Adjectives(String),
    /// Clauses only: reads right after the verb.
    Clauses(String),
    /// Adjectives, "targets", clauses: reads after "on".
    Both(String),
}

/// The traits of an explanation as words.
pub fn describe(traits: &[Trait]) -> Described {
    let mut adjectives = Vec::new();
    let mut clauses = Vec::new();
    for t in traits {
        match t.phrase() {
            Phrase::Adjective(a) => adjectives.push(a),
            Phrase::Clause(c) => clauses.push(c),
        }
    }
    match (adjectives.is_empty(), clauses.is_empty()) {
        (false, true) => Described::Adjectives(adjectives.join(" ")),
        (true, _) => Described::Clauses(clauses.join(" and ")),
        (false, false) => Described::Both(format!(
            "{} targets {}",
            adjectives.join(" "),
            clauses.join(" and ")
        )),
    }
}
