//! Verdicts: what a set of failing (or differing, or not building) targets says about the
//! cause. The one place where verdicts are decided; pure, a leaf of the crate.
//!
//! Rule table, applied in order to the targets that can be compared: for a test, those on
//! which it ran to an outcome of its own (passed, failed, crashed, timed out); for probe
//! records, those the records were compared on (see `differential`); for builds, those
//! that built or failed to build (not the unavailable ones):
//!
//! | verdict                | when                                                                |
//! |------------------------|---------------------------------------------------------------------|
//! | passes everywhere      | something was compared and nothing failed                           |
//! | not comparable         | fewer than two targets, with a failure                              |
//! | fails everywhere       | it failed on every target (two or more)                             |
//! | fails on TRAITS        | the failing targets are exactly those with one trait, or two traits |
//! |                        | together (one trait only when a single target fails; never the arch |
//! |                        | family alone for a single target): big-endian, 32-bit, "big-endian  |
//! |                        | 32-bit", "where u64 aligns to 4", "where c_char is unsigned", ...   |
//! | one target only        | one target failed and no trait explains it: suspect it or QEMU      |
//! | mixed                  | anything else; the failing targets are listed                       |
//!
//! Three verdicts come after the rules, from evidence recorded in the results (`triage`):
//! flaky (every failing target passed a re-run as it ran), emulator-dependent (every
//! failing target failed every re-run as it ran and passed where only the emulator changed)
//! and dependency fault (on every failing target the test passed with a crate known to be
//! faulty there replaced by a version shown right). Nothing else excuses a failure: a crate
//! known to be faulty where a test fails, with no control, is a note beside its verdict.
//!
//! Traits are data in `targets/targets.toml`; when several explanations of the same size fit,
//! the first in the order endianness, pointer width, `u64` alignment, `c_char` signedness,
//! strict alignment, 64-bit atomics, arch family wins, and the label lists the others that
//! fit as well ("equally: ..."): beside byte order or pointer width only the other of the
//! two, so a little-endian 32-bit target failing beside a big-endian 64-bit one passing is
//! "fails on little-endian only (equally: on 32-bit)", never one of them alone.

use bele_targets::{describe, Described, Trait, Traits};
use serde::Serialize;

/// The traits that explain a failing set exactly, and the set, for the label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Explanation {
    /// 0 when byte order is part of it, 1 for pointer width, 2 otherwise: reports list
    /// byte-order verdicts first.
    rank: u8,
    pub traits: Vec<Trait>,
    /// Short names of the failing targets, in target order.
    pub targets: Vec<String>,
    /// Other trait sets of the same size that fit as exactly (a small target set can leave
    /// two causes apart from each other only by running more targets).
    pub equally: Vec<Vec<Trait>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    // Ordered by how a maintainer should read them: byte-order bugs first.
    Explained(Explanation),
    OneTargetOnly,
    Mixed,
    /// Every failing target passed when the test ran again as it had: `runs` is each one's
    /// short name, how many of its runs failed and how many there were. Fails the run
    /// unless `--retries` accepts it.
    Flaky {
        runs: Vec<(String, usize, usize)>,
    },
    /// Every failing target failed every re-run as it ran and passed where only the
    /// emulator changed, as `config` says (`with the same CPU and one instruction per
    /// translation block (QEMU_SINGLESTEP=1)`, `under QEMU 11.1.3 where QEMU 7.2.22 fails
    /// it`; `targets`: short names).
    EmulatorDependent {
        targets: Vec<String>,
        config: String,
    },
    /// On every failing target the test passed with a crate known to be faulty there
    /// replaced by a version shown right (the causal control): the crate's fault.
    DependencyFault {
        targets: Vec<String>,
        /// `crc32fast 1.5.5 (1.4.2 passes)`.
        faults: Vec<String>,
    },
    FailsEverywhere,
    NotComparable,
    PassesEverywhere,
}

/// What a verdict is about; it changes only the verb of the label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A test's outcomes: "fails on big-endian only".
    Test,
    /// A test's probe records: "output differs on big-endian only".
    Output,
    /// The builds of a run: "build fails on 32-bit only".
    Build,
    /// A type's declared layout (`bele_probe::layout!`): "layout differs where u64 aligns
    /// to 4 (i686)".
    Layout,
}

impl Subject {
    /// Whether a trait can explain this subject. 64-bit atomics decide what compiles
    /// (`AtomicU64` is missing where they are), not what a test does or writes.
    fn weighs(self, t: Trait) -> bool {
        !matches!(t, Trait::Atomic64(_)) || self == Subject::Build
    }

    fn verb(self) -> &'static str {
        match self {
            Subject::Test => "fails",
            Subject::Output => "output differs",
            Subject::Build => "build fails",
            Subject::Layout => "layout differs",
        }
    }
}

impl Verdict {
    /// The label for a test's outcomes.
    pub fn label(&self) -> String {
        self.label_for(Subject::Test)
    }

    pub fn label_for(&self, subject: Subject) -> String {
        let verb = subject.verb();
        match self {
            Verdict::Explained(e) => {
                let classic = e.traits.len() == 1
                    && matches!(e.traits[0], Trait::Endian(_) | Trait::PointerWidth(_));
                let mut list = if classic {
                    Vec::new()
                } else {
                    vec![e.targets.join(", ")]
                };
                let words = |traits: &[Trait]| match describe(traits) {
                    Described::Adjectives(w) => format!("on {w}"),
                    Described::Clauses(w) | Described::Both(w) => w,
                };
                if !e.equally.is_empty() {
                    let others: Vec<String> = e.equally.iter().map(|t| words(t)).collect();
                    list.push(format!("equally: {}", others.join("; ")));
                }
                let list = if list.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", list.join("; "))
                };
                match describe(&e.traits) {
                    Described::Adjectives(words) => format!("{verb} on {words} only{list}"),
                    Described::Clauses(words) => format!("{verb} {words}{list}"),
                    Described::Both(words) => format!("{verb} on {words}{list}"),
                }
            }
            Verdict::Flaky { runs } => {
                let on: Vec<String> = (runs.iter())
                    .map(|(t, failed, of)| format!("{t} (failed {failed} of {of} runs)"))
                    .collect();
                format!("flaky on {}", on.join(", "))
            }
            Verdict::DependencyFault { targets, faults } => format!(
                "{verb} on {} only through a dependency, shown by replacing it: {}",
                targets.join(", "),
                faults.join("; ")
            ),
            Verdict::EmulatorDependent { targets, config } => format!(
                "emulator-dependent on {}: fails every run, passes {config}",
                targets.join(", ")
            ),
            // No emulator runs while a target builds: its toolchain is the suspect.
            Verdict::OneTargetOnly if subject == Subject::Build => {
                format!("{verb} on one target only (suspect the target's toolchain)")
            }
            Verdict::OneTargetOnly => {
                format!("{verb} on one target only (suspect the target or QEMU)")
            }
            Verdict::Mixed => format!("{verb} on a mixed set of targets"),
            Verdict::FailsEverywhere => format!("{verb} everywhere"),
            Verdict::NotComparable => "not comparable (ran on fewer than two targets)".into(),
            Verdict::PassesEverywhere => match subject {
                Subject::Test => "passes everywhere".into(),
                Subject::Output => "output agrees everywhere".into(),
                Subject::Build => "builds everywhere".into(),
                Subject::Layout => "layout agrees everywhere".into(),
            },
        }
    }

    /// A stable identifier for tools and filters: `big-endian-only`, `32-bit-only`,
    /// `big-endian+32-bit-only`, `u64-align-4-only`, `one-target-only`, `mixed`, ...
    pub fn id(&self) -> String {
        match self {
            Verdict::Explained(e) => {
                let slugs: Vec<String> = e.traits.iter().map(|t| t.slug()).collect();
                format!("{}-only", slugs.join("+"))
            }
            Verdict::EmulatorDependent { .. } => "emulator-dependent".into(),
            Verdict::Flaky { .. } => "flaky".into(),
            Verdict::DependencyFault { .. } => "dependency-fault".into(),
            Verdict::OneTargetOnly => "one-target-only".into(),
            Verdict::Mixed => "mixed".into(),
            Verdict::FailsEverywhere => "fails-everywhere".into(),
            Verdict::NotComparable => "not-comparable".into(),
            Verdict::PassesEverywhere => "passes-everywhere".into(),
        }
    }

    pub fn passes(&self) -> bool {
        *self == Verdict::PassesEverywhere
    }
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id())
    }
}

/// One target in a comparison: its short name, its traits, and whether it failed.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub name: &'a str,
    pub traits: Traits,
    pub bad: bool,
    /// It failed by a bus error (SIGBUS): evidence of a misaligned access.
    pub bus_error: bool,
}

/// The verdict for a set of comparable targets, some of them failing.
pub fn verdict(members: &[Member<'_>], subject: Subject) -> Verdict {
    let nbad = members.iter().filter(|m| m.bad).count();
    if nbad == 0 && !members.is_empty() {
        return Verdict::PassesEverywhere;
    }
    if members.len() < 2 {
        // One failing target says nothing about why: not "everywhere", not "one target".
        return Verdict::NotComparable;
    }
    if nbad == members.len() {
        return Verdict::FailsEverywhere;
    }
    if let Some(e) = explain(members, nbad, subject) {
        return Verdict::Explained(e);
    }
    if nbad == 1 {
        Verdict::OneTargetOnly
    } else {
        Verdict::Mixed
    }
}

/// The smallest set of traits the failing members share and the others lack together.
fn explain(members: &[Member<'_>], nbad: usize, subject: Subject) -> Option<Explanation> {
    let bad: Vec<&Member<'_>> = members.iter().filter(|m| m.bad).collect();
    // One failing target: one trait only, and not its arch family (that would only name it).
    let max = if nbad == 1 { 1 } else { 2 };
    let shared: Vec<Trait> = bad[0]
        .traits
        .atoms()
        .into_iter()
        .filter(|a| bad.iter().all(|m| m.traits.has(*a)))
        .filter(|a| nbad > 1 || !matches!(a, Trait::Arch(_)))
        .filter(|a| subject.weighs(*a))
        .collect();
    // Every failure a bus error: strict alignment is the mechanism, try it first.
    let mut shared = shared;
    if bad.iter().all(|m| m.bus_error) {
        if let Some(i) = shared.iter().position(|t| *t == Trait::StrictAlign(true)) {
            let t = shared.remove(i);
            shared.insert(0, t);
        }
    }
    let fits = |combo: &[Trait]| {
        members
            .iter()
            .all(|m| m.bad == combo.iter().all(|a| m.traits.has(*a)))
    };
    let mut combos: Vec<Vec<Trait>> = shared.iter().map(|a| vec![*a]).collect();
    if max >= 2 {
        for (i, a) in shared.iter().enumerate() {
            for b in &shared[i + 1..] {
                combos.push(vec![*a, *b]);
            }
        }
    }
    let mut fitting = combos.into_iter().filter(|c| fits(c));
    let traits = fitting.next()?;
    let rank = if traits.iter().any(|t| t.is_byte_order()) {
        0
    } else if traits.iter().any(|t| matches!(t, Trait::PointerWidth(_))) {
        1
    } else {
        2
    };
    // Byte order and pointer width are what bele is for: when they explain the set, they
    // are the verdict, and other causes are not listed beside them; but where the other of
    // the two fits as well (a little-endian 32-bit target failing beside a big-endian
    // 64-bit one passing), the verdict cannot choose and says so. Any other cause is named
    // with the others that fit as well (only more targets could tell them apart).
    let core =
        |c: &[Trait]| (c.iter()).all(|t| t.is_byte_order() || matches!(t, Trait::PointerWidth(_)));
    let equally: Vec<Vec<Trait>> = (fitting.take_while(|c| c.len() == traits.len()))
        .filter(|c| rank == 2 || core(c))
        .collect();
    Some(Explanation {
        rank,
        traits,
        targets: bad.iter().map(|m| m.name.to_string()).collect(),
        equally,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Outcome::{self, *};
    use bele_targets::Table;

    const FOUR: [&str; 4] = [
        "x86_64-unknown-linux-gnu",
        "i686-unknown-linux-gnu",
        "powerpc-unknown-linux-gnu",
        "s390x-unknown-linux-gnu",
    ];

    /// The verdict for failures on `bad` (short names) among `triples`.
    fn over(triples: &[&str], bad: &[&str]) -> Verdict {
        over_for(triples, bad, Subject::Test)
    }

    fn over_for(triples: &[&str], bad: &[&str], subject: Subject) -> Verdict {
        let table = Table::builtin();
        let members: Vec<Member<'_>> = triples
            .iter()
            .map(|t| {
                let name = t.split('-').next().unwrap();
                Member {
                    name,
                    traits: table.get(t).unwrap().traits(),
                    bad: bad.contains(&name),
                    bus_error: false,
                }
            })
            .collect();
        verdict(&members, subject)
    }

    fn check(outcomes: [Outcome; 4], expected: &str) {
        let table = Table::builtin();
        let members: Vec<Member<'_>> = FOUR
            .iter()
            .zip(outcomes)
            .filter(|(_, o)| o.ran())
            .map(|(t, o)| Member {
                name: t.split('-').next().unwrap(),
                traits: table.get(t).unwrap().traits(),
                bad: o.is_failure(),
                bus_error: false,
            })
            .collect();
        assert_eq!(
            verdict(&members, Subject::Test).id(),
            expected,
            "{outcomes:?}"
        );
    }

    #[test]
    fn byte_order_and_width_that_fit_alike_are_both_named() {
        // A little-endian 32-bit target failing, a big-endian 64-bit one passing: either
        // cause fits, and the label says so rather than choosing.
        let v = over(
            &["s390x-unknown-linux-gnu", "armv7-unknown-linux-gnueabihf"],
            &["armv7"],
        );
        assert_eq!(v.id(), "little-endian-only");
        assert_eq!(
            v.label(),
            "fails on little-endian only (equally: on 32-bit)"
        );
        // A little-endian 64-bit target passing tells them apart.
        let v = over(
            &[
                "x86_64-unknown-linux-gnu",
                "s390x-unknown-linux-gnu",
                "armv7-unknown-linux-gnueabihf",
            ],
            &["armv7"],
        );
        assert_eq!(v.label(), "fails on 32-bit only");
    }

    #[test]
    fn rule_table() {
        check([Passed, Passed, Passed, Passed], "passes-everywhere");
        check([Passed, Passed, Failed, Crashed], "big-endian-only");
        check([Failed, TimedOut, Passed, Passed], "little-endian-only");
        check([Passed, Failed, Failed, Passed], "32-bit-only");
        check([Failed, Passed, Passed, Failed], "64-bit-only");
        check([Passed, Passed, Passed, Crashed], "one-target-only");
        // Everything but i686: the one target whose u64 aligns to 4 passes.
        check([Failed, Passed, Failed, Failed], "u64-align-8-only");
        check([Failed, Failed, Failed, Failed], "fails-everywhere");
        check([Ignored, NotRun, Ignored, Ignored], "not-comparable");
        // Targets where it did not run are left out of the comparison.
        check([Passed, Ignored, Failed, Failed], "big-endian-only");
        // One target is no comparison: a failure there has no verdict of its own.
        check([Ignored, NotRun, Failed, Ignored], "not-comparable");
        check([Ignored, NotRun, Passed, Ignored], "passes-everywhere");
    }

    #[test]
    #[allow(
        clippy::too_many_lines,
        reason = "a table of cases, one assertion each"
    )]
    fn the_smallest_trait_set_names_the_cause() {
        let table = Table::builtin();
        let all: Vec<&str> = table.targets().iter().map(|t| t.triple.as_str()).collect();
        let label = |bad: &[&str]| over(&all, bad).label();
        assert_eq!(
            over(&FOUR, &["i686"]).label(),
            "fails where u64 aligns to 4 (i686)"
        );
        assert_eq!(
            label(&["mips", "powerpc", "armeb"]),
            "fails on big-endian 32-bit only (mips, powerpc, armeb)"
        );
        assert_eq!(
            label(&["armv7", "aarch64", "riscv64gc", "powerpc64le", "powerpc", "powerpc64", "s390x", "aarch64_be", "armeb"]),
            "fails where c_char is unsigned (armv7, aarch64, riscv64gc, powerpc64le, powerpc, powerpc64, s390x, aarch64_be, armeb)"
        );
        assert_eq!(
            label(&["aarch64_be", "armeb"]),
            "fails on a mixed set of targets",
            "big-endian ARM is two families, arm and arm64: no trait covers both alone"
        );
        assert_eq!(
            label(&["mipsel", "mips64el", "mips", "mips64", "sparc64"]),
            "fails where misaligned loads trap (mipsel, mips64el, mips, mips64, sparc64)"
        );
        assert_eq!(
            over_for(&all, &["mipsel", "mips", "powerpc"], Subject::Build)
                .label_for(Subject::Build),
            "build fails without 64-bit atomics (mipsel, mips, powerpc)"
        );
        assert_eq!(
            label(&["mipsel", "mips", "powerpc"]),
            "fails on a mixed set of targets",
            "64-bit atomics decide what builds, not what a test does"
        );
        // Where a small run cannot tell two causes apart, the label says so.
        let five = [FOUR[0], FOUR[1], "mips-unknown-linux-gnu", FOUR[2], FOUR[3]];
        assert_eq!(
            over_for(&five, &["mips", "powerpc"], Subject::Build).label_for(Subject::Build),
            "build fails without 64-bit atomics (mips, powerpc)"
        );
        assert_eq!(
            over(&five, &["mips", "powerpc"]).label(),
            "fails on big-endian 32-bit only (mips, powerpc)"
        );
        // Signedness of char and byte order coincide on these four: byte order is named.
        assert_eq!(
            over(&FOUR, &["powerpc", "s390x"]).label(),
            "fails on big-endian only"
        );
        // Without byte order or width to explain it, every equal cause is named.
        assert_eq!(
            over(
                &[
                    "x86_64-unknown-linux-gnu",
                    "aarch64-unknown-linux-gnu",
                    "mips64el-unknown-linux-gnuabi64"
                ],
                &["mips64el"]
            )
            .label(),
            "fails where misaligned loads trap (mips64el)",
            "x86_64's char is signed too"
        );
        assert_eq!(
            over(
                &[
                    "x86_64-unknown-linux-gnu",
                    "aarch64-unknown-linux-gnu",
                    "s390x-unknown-linux-gnu"
                ],
                &["aarch64", "s390x"]
            )
            .label(),
            "fails where c_char is unsigned (aarch64, s390x)"
        );
        assert_eq!(
            over(
                &[
                    "x86_64-unknown-linux-gnu",
                    "i686-unknown-linux-gnu",
                    "mipsel-unknown-linux-gnu"
                ],
                &["mipsel"]
            )
            .label(),
            "fails where misaligned loads trap (mipsel)"
        );
        assert_eq!(
            over(
                &[
                    "aarch64-unknown-linux-gnu",
                    "mips64el-unknown-linux-gnuabi64",
                    "riscv64gc-unknown-linux-gnu"
                ],
                &["mips64el"]
            )
            .label(),
            "fails where c_char is signed (mips64el; equally: where misaligned loads trap)"
        );
        assert_eq!(
            label(&["mipsel", "mips64el", "mips", "mips64"]),
            "fails on mips only (mipsel, mips64el, mips, mips64)"
        );
        assert_eq!(
            label(&["mips", "mips64", "sparc64"]),
            "fails on big-endian targets where c_char is signed (mips, mips64, sparc64)"
        );
        assert_eq!(
            label(&["sparc64"]),
            "fails on one target only (suspect the target or QEMU)",
            "a lone target is not explained by naming its family"
        );
        assert_eq!(
            label(&["x86_64", "sparc64"]),
            "fails on a mixed set of targets"
        );
        let v = over(&all, &["mips", "powerpc", "armeb"]);
        assert_eq!(v.id(), "big-endian+32-bit-only");
        assert_eq!(
            v.label_for(Subject::Output),
            "output differs on big-endian 32-bit only (mips, powerpc, armeb)"
        );
        assert_eq!(
            over(&FOUR, &["i686", "powerpc"]).label_for(Subject::Build),
            "build fails on 32-bit only"
        );
    }

    #[test]
    fn a_bus_error_points_at_alignment() {
        let table = Table::builtin();
        let three = [
            "x86_64-unknown-linux-gnu",
            "i686-unknown-linux-gnu",
            "sparc64-unknown-linux-gnu",
        ];
        let members = |bus_error: bool| -> Vec<Member<'static>> {
            three
                .iter()
                .map(|t| Member {
                    name: t.split('-').next().unwrap(),
                    traits: table.get(t).unwrap().traits(),
                    bad: t.starts_with("sparc64"),
                    bus_error: bus_error && t.starts_with("sparc64"),
                })
                .collect()
        };
        assert_eq!(
            verdict(&members(false), Subject::Test).label(),
            "fails on big-endian only"
        );
        assert_eq!(
            verdict(&members(true), Subject::Test).label(),
            "fails where misaligned loads trap (sparc64; equally: on big-endian)"
        );
    }

    #[test]
    fn byte_order_verdicts_sort_first() {
        let mut v = [
            Verdict::Mixed,
            over(&FOUR, &["i686"]),
            Verdict::OneTargetOnly,
            over(&FOUR, &["i686", "powerpc"]),
            over(&FOUR, &["powerpc", "s390x"]),
        ];
        v.sort();
        let ids: Vec<String> = v.iter().map(Verdict::id).collect();
        assert_eq!(
            ids,
            [
                "big-endian-only",
                "32-bit-only",
                "u64-align-4-only",
                "one-target-only",
                "mixed"
            ]
        );
    }
}
