//! Layouts compared across targets: the selected packages' `#[repr(..)]` types as rustc
//! laid them out on each target (`model::Layouts`), with no test written. A type whose
//! layout differs from the reference target's (the first in table order) is a finding with
//! the same verdicts as a failing test ("layout differs where u64 aligns to 4 (i686)"),
//! naming what moved. One the pointer width alone explains (the same layout within each
//! width, and no field moving before the first one whose size changes with the width) is
//! "pointer-width dependent": shown apart, failing the run only under `--strict`.

use serde::Serialize;

use crate::analyze::verdict::{verdict, Member, Subject, Verdict};
use crate::model::{RunResults, Shape, TypeLayout};

/// One type whose layout differs between targets.
#[derive(Debug, Clone, Serialize)]
pub struct LayoutFinding<'r> {
    #[serde(rename = "crate")]
    pub krate: &'r str,
    pub name: &'r str,
    pub repr: &'r str,
    pub verdict: Verdict,
    pub verdict_label: String,
    /// Explained by the pointer width alone: not a failure unless the run is `--strict`.
    pub pointer_width: bool,
    /// Per layout that differs from the reference's: where, and what moved.
    pub comparisons: Vec<LayoutComparison<'r>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayoutComparison<'r> {
    /// Triples with the reference's layout (the reference first).
    pub reference: Vec<&'r str>,
    /// Triples with this other layout.
    pub differing: Vec<&'r str>,
    /// "`addr` at offset 4 (8 elsewhere), size 16 (24 elsewhere)".
    pub changes: String,
}

impl LayoutFinding<'_> {
    /// ``layout of `fx_layout::Desc` `` (`repr(C)`).
    pub fn what(&self) -> String {
        format!(
            "layout of `{}::{}` (repr({}))",
            self.krate, self.name, self.repr
        )
    }

    /// Whether the layout on `triple` differs from the reference's.
    pub fn differs_on(&self, triple: &str) -> bool {
        (self.comparisons.iter()).any(|c| c.differing.contains(&triple))
    }

    /// Triples whose layout differs from the reference's.
    pub fn differing_targets(&self) -> Vec<&str> {
        (self.comparisons.iter())
            .flat_map(|c| c.differing.iter().copied())
            .collect()
    }

    /// Each comparison as one line: "i686 (vs x86_64, armv7): `addr` at offset 4 (8
    /// elsewhere)".
    pub fn lines(&self) -> Vec<String> {
        let short = |ts: &[&str]| -> String {
            let names: Vec<&str> = ts.iter().map(|t| crate::model::short_name(t)).collect();
            names.join(", ")
        };
        (self.comparisons.iter())
            .map(|c| {
                format!(
                    "{} (vs {}): {}",
                    short(&c.differing),
                    short(&c.reference),
                    c.changes
                )
            })
            .collect()
    }

    /// Whether it fails the run.
    pub fn fails(&self, strict: bool) -> bool {
        !self.pointer_width || strict
    }
}

/// Every recorded type whose layout differs between targets: failing ones (by verdict)
/// first, pointer-width dependent ones last.
pub fn compare(results: &RunResults) -> Vec<LayoutFinding<'_>> {
    // Each type, with where it was laid out, in table order (the first is the reference).
    let mut types: Vec<Vec<(usize, &TypeLayout)>> = Vec::new();
    for (i, t) in results.targets.iter().enumerate() {
        for l in t.layouts.iter().flat_map(|l| &l.types) {
            match (types.iter_mut()).find(|on| on[0].1.krate == l.krate && on[0].1.name == l.name) {
                Some(on) => on.push((i, l)),
                None => types.push(vec![(i, l)]),
            }
        }
    }
    let mut found: Vec<LayoutFinding<'_>> = (types.iter())
        .filter_map(|on| finding(results, on))
        .collect();
    found.sort_by(|a, b| {
        (a.pointer_width, &a.verdict, a.krate, a.name).cmp(&(
            b.pointer_width,
            &b.verdict,
            b.krate,
            b.name,
        ))
    });
    found
}

/// The finding of one type laid out on the targets `on` (the first is the reference), if
/// its layout differs anywhere.
fn finding<'r>(
    results: &'r RunResults,
    on: &[(usize, &'r TypeLayout)],
) -> Option<LayoutFinding<'r>> {
    let (_, reference) = *on.first()?;
    let mut members = Vec::new();
    let mut comparisons: Vec<(LayoutComparison<'r>, &Shape)> = Vec::new();
    let mut same: Vec<&str> = Vec::new();
    for &(i, l) in on {
        let t = &results.targets[i];
        let change = changes(&reference.shape, &l.shape);
        members.push(Member {
            name: t.short_name(),
            traits: t.traits(),
            bad: change.is_some(),
            bus_error: false,
        });
        let Some(change) = change else {
            same.push(&t.triple);
            continue;
        };
        match comparisons.iter_mut().find(|(_, s)| **s == l.shape) {
            Some((c, _)) => c.differing.push(&t.triple),
            None => comparisons.push((
                LayoutComparison {
                    reference: Vec::new(),
                    differing: vec![&t.triple],
                    changes: change,
                },
                &l.shape,
            )),
        }
    }
    if comparisons.is_empty() {
        return None;
    }
    let pointer_width = by_pointer_width(results, on);
    let verdict = verdict(&members, Subject::Layout);
    let verdict_label = if pointer_width {
        let names: Vec<&str> = members.iter().filter(|m| m.bad).map(|m| m.name).collect();
        format!("pointer-width dependent ({})", names.join(", "))
    } else {
        verdict.label_for(Subject::Layout)
    };
    Some(LayoutFinding {
        krate: &reference.krate,
        name: &reference.name,
        repr: &reference.repr,
        verdict,
        verdict_label,
        pointer_width,
        comparisons: comparisons
            .into_iter()
            .map(|(mut c, _)| {
                c.reference = same.clone();
                c
            })
            .collect(),
    })
}

/// Whether the pointer width alone explains the differences: one layout per width, and
/// between them no field moves before the first field whose size changes.
fn by_pointer_width(results: &RunResults, on: &[(usize, &TypeLayout)]) -> bool {
    let mut per_width: Vec<(bele_targets::PointerWidth, &Shape)> = Vec::new();
    for &(i, l) in on {
        let w = results.targets[i].pointer_width;
        match per_width.iter().find(|(pw, _)| *pw == w) {
            Some((_, s)) if changes(s, &l.shape).is_some() => return false,
            Some(_) => {}
            None => per_width.push((w, &l.shape)),
        }
    }
    let [(_, a), (_, b)] = per_width[..] else {
        return false;
    };
    let Some(first_resized) = a.fields.iter().position(|f| {
        b.fields
            .iter()
            .any(|g| g.name == f.name && g.size != f.size)
    }) else {
        return false;
    };
    a.fields[..first_resized].iter().all(|f| {
        b.fields
            .iter()
            .any(|g| g.name == f.name && g.offset == f.offset)
    })
}

/// What differs between a reference layout and another, field by field: "`len` at offset
/// 4 (8 elsewhere), size 12 (16 elsewhere)", with the alignment when it differs too;
/// `None` when no field and not the size differ (the alignment alone moves no byte).
pub fn changes(ours: &Shape, theirs: &Shape) -> Option<String> {
    let mut changes = Vec::new();
    for f in &theirs.fields {
        let Some(o) = ours.fields.iter().find(|o| o.name == f.name) else {
            changes.push(format!("`{}` here only", f.name));
            continue;
        };
        let mut moved = Vec::new();
        if o.offset != f.offset {
            moved.push(format!("at offset {} ({} elsewhere)", f.offset, o.offset));
        }
        if o.size != f.size {
            moved.push(format!("of {} bytes ({} elsewhere)", f.size, o.size));
        }
        if !moved.is_empty() {
            changes.push(format!("`{}` {}", f.name, moved.join(" ")));
        }
    }
    for o in &ours.fields {
        if !theirs.fields.iter().any(|f| f.name == o.name) {
            changes.push(format!("`{}` not here", o.name));
        }
    }
    if theirs.size != ours.size {
        changes.push(format!("size {} ({} elsewhere)", theirs.size, ours.size));
    }
    if changes.is_empty() {
        return None;
    }
    if theirs.align != ours.align {
        changes.push(format!(
            "alignment {} ({} elsewhere)",
            theirs.align, ours.align
        ));
    }
    Some(changes.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, Layouts};
    use crate::testdata::{results, target};

    const X86_64: &str = "x86_64-unknown-linux-gnu";
    const I686: &str = "i686-unknown-linux-gnu";
    const ARMV7: &str = "armv7-unknown-linux-gnueabihf";
    const S390X: &str = "s390x-unknown-linux-gnu";

    /// A repr(C) type `name` of fields `(name, offset, size)`.
    fn ty(name: &str, size: u64, align: u64, fields: &[(&str, u64, u64)]) -> TypeLayout {
        TypeLayout {
            krate: "fx".into(),
            name: name.into(),
            repr: "C".into(),
            shape: Shape {
                size,
                align,
                fields: (fields.iter())
                    .map(|&(n, offset, size)| Field {
                        name: n.into(),
                        offset,
                        size,
                    })
                    .collect(),
            },
        }
    }

    fn run(targets: &[(&str, Vec<TypeLayout>)]) -> RunResults {
        results(
            targets
                .iter()
                .map(|(triple, types)| {
                    let mut t = target(triple, vec![]);
                    t.layouts = Some(Layouts {
                        types: types.clone(),
                        ..Layouts::default()
                    });
                    t
                })
                .collect(),
        )
    }

    /// `Desc { len: u32, addr: u64, flags: u16 }` where u64 aligns to 8, and to 4.
    fn desc8() -> TypeLayout {
        ty(
            "Desc",
            24,
            8,
            &[("len", 0, 4), ("addr", 8, 8), ("flags", 16, 2)],
        )
    }
    fn desc4() -> TypeLayout {
        ty(
            "Desc",
            16,
            4,
            &[("len", 0, 4), ("addr", 4, 8), ("flags", 12, 2)],
        )
    }
    /// `Handle { id: u32, cookie: usize }` on 64- and 32-bit.
    fn handle64() -> TypeLayout {
        ty("Handle", 16, 8, &[("id", 0, 4), ("cookie", 8, 8)])
    }
    fn handle32() -> TypeLayout {
        ty("Handle", 8, 4, &[("id", 0, 4), ("cookie", 4, 4)])
    }

    #[test]
    fn a_u64_after_a_u32_differs_where_u64_aligns_to_4_naming_the_fields() {
        let r = run(&[
            (X86_64, vec![desc8()]),
            (I686, vec![desc4()]),
            (ARMV7, vec![desc8()]),
        ]);
        let found = compare(&r);
        assert_eq!(found.len(), 1);
        let d = &found[0];
        assert_eq!(
            d.verdict_label,
            "layout differs where u64 aligns to 4 (i686)"
        );
        assert!(!d.pointer_width && d.fails(false));
        assert_eq!(d.differing_targets(), [I686]);
        assert_eq!(
            d.lines(),
            [
                "i686 (vs x86_64, armv7): `addr` at offset 4 (8 elsewhere), `flags` at offset \
              12 (16 elsewhere), size 16 (24 elsewhere), alignment 4 (8 elsewhere)"
            ]
        );
        assert_eq!(d.what(), "layout of `fx::Desc` (repr(C))");
    }

    #[test]
    fn pointer_sized_fields_are_pointer_width_dependent_and_do_not_fail() {
        let r = run(&[
            (X86_64, vec![handle64()]),
            (I686, vec![handle32()]),
            (ARMV7, vec![handle32()]),
            (S390X, vec![handle64()]),
        ]);
        let found = compare(&r);
        assert_eq!(found.len(), 1);
        let h = &found[0];
        assert!(h.pointer_width, "{h:?}");
        assert!(!h.fails(false) && h.fails(true));
        assert_eq!(h.verdict_label, "pointer-width dependent (i686, armv7)");
        assert_eq!(h.comparisons.len(), 1);
        assert_eq!(h.comparisons[0].reference, [X86_64, S390X]);
        assert_eq!(h.comparisons[0].differing, [I686, ARMV7]);
    }

    #[test]
    fn a_field_moved_before_the_resized_one_is_not_the_pointer_widths_doing() {
        // `{ a: u32, b: u64, c: usize }` with only x86_64 and i686: `b` moves by the u64's
        // alignment, ahead of the pointer-sized `c`.
        let wide = ty("T", 24, 8, &[("a", 0, 4), ("b", 8, 8), ("c", 16, 8)]);
        let narrow = ty("T", 16, 4, &[("a", 0, 4), ("b", 4, 8), ("c", 12, 4)]);
        let r = run(&[(X86_64, vec![wide]), (I686, vec![narrow])]);
        let found = compare(&r);
        assert!(!found[0].pointer_width, "{:?}", found[0]);
        assert!(found[0].fails(false));
        // And two layouts within one width are never the width's doing.
        let r = run(&[
            (X86_64, vec![handle64()]),
            (I686, vec![handle32()]),
            (
                ARMV7,
                vec![ty("Handle", 12, 4, &[("id", 0, 4), ("cookie", 8, 4)])],
            ),
        ]);
        assert!(!compare(&r)[0].pointer_width);
    }

    #[test]
    fn same_layouts_alignment_alone_and_types_on_one_target_are_not_findings() {
        let packed = ty(
            "Header",
            7,
            1,
            &[("kind", 0, 1), ("len", 1, 4), ("seq", 5, 2)],
        );
        let mut aligned = ty("W", 8, 8, &[("x", 0, 8)]);
        let r = run(&[
            (X86_64, vec![packed.clone(), aligned.clone()]),
            (
                I686,
                vec![packed.clone(), {
                    aligned.shape.align = 4;
                    aligned
                }],
            ),
            (ARMV7, vec![packed, ty("OnlyHere", 4, 4, &[("x", 0, 4)])]),
        ]);
        assert!(compare(&r).is_empty());
        // No layouts recorded at all: nothing.
        assert!(compare(&results(vec![target(X86_64, vec![])])).is_empty());
    }

    #[test]
    fn failing_findings_come_before_pointer_width_ones() {
        let r = run(&[
            (X86_64, vec![handle64(), desc8()]),
            (I686, vec![handle32(), desc4()]),
            (ARMV7, vec![handle32(), desc8()]),
        ]);
        let names: Vec<&str> = compare(&r).iter().map(|l| l.name).collect();
        assert_eq!(names, ["Desc", "Handle"]);
    }

    #[test]
    fn changes_name_offsets_sizes_and_fields_on_one_side() {
        let a = ty("T", 8, 4, &[("x", 0, 4), ("y", 4, 4)]);
        let b = ty("T", 12, 4, &[("x", 0, 8), ("z", 8, 4)]);
        assert_eq!(
            changes(&a.shape, &b.shape).unwrap(),
            "`x` of 8 bytes (4 elsewhere), `z` here only, `y` not here, size 12 (8 elsewhere)"
        );
        assert_eq!(changes(&a.shape, &a.shape), None);
    }
}
