//! rustc's `-Zprint-type-sizes` output, parsed: each type's size, alignment and fields with
//! their offsets (the running sum of the sizes and paddings rustc prints, or the offset it
//! names).

use crate::model::{Field, Shape};

/// One type rustc laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// As rustc prints it: `dma::DmaDesc`, `inner::G<u64>`, `core::option::Option<u32>`.
    pub name: String,
    pub shape: Shape,
}

const PREFIX: &str = "print-type-size ";

/// Whether `line` is one of print-type-sizes' (the wrapper hands the others on).
pub fn is_type_size_line(line: &str) -> bool {
    line.starts_with(PREFIX)
}

/// Every type in `text`, in the order printed; lines that are not print-type-sizes' are
/// skipped, and so is a type whose header does not parse.
pub fn parse(text: &str) -> Vec<Printed> {
    let mut types: Vec<Printed> = Vec::new();
    // Where the next field starts: at the type's level, and inside the current variant.
    let (mut cursor, mut in_variant): (u64, Option<(String, u64)>) = (0, None);
    let mut open = false;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(PREFIX) else {
            continue;
        };
        let depth = rest.len() - rest.trim_start().len();
        let item = rest.trim_start();
        if depth == 0 {
            open = false;
            if let Some(t) = header(item) {
                types.push(t);
                (cursor, in_variant, open) = (0, None, true);
            }
            continue;
        }
        let Some(t) = types.last_mut().filter(|_| open) else {
            continue;
        };
        if depth <= 4 {
            in_variant = None;
            if let Some(n) = bytes_after(item, "discriminant: ") {
                t.shape.fields.push(Field {
                    name: "discriminant".into(),
                    offset: cursor,
                    size: n,
                });
                cursor += n;
            } else if let Some(rest) = item.strip_prefix("variant `") {
                let name = rest.split('`').next().unwrap_or_default().to_string();
                in_variant = Some((name, cursor));
            } else if let Some(n) = bytes_after(item, "padding: ") {
                cursor += n;
            } else if let Some((name, offset, size)) = field(item, cursor) {
                t.shape.fields.push(Field { name, offset, size });
                cursor = offset + size;
            }
        } else if let Some((variant, at)) = in_variant.as_mut() {
            if let Some(n) = bytes_after(item, "padding: ") {
                *at += n;
            } else if let Some((name, offset, size)) = field(item, *at) {
                // A union prints its fields as one variant named as the type.
                let union = t.name.rsplit("::").next() == Some(variant.as_str());
                let name = if union {
                    name
                } else {
                    format!("{variant}.{name}")
                };
                t.shape.fields.push(Field { name, offset, size });
                *at = offset + size;
            }
        }
    }
    types
}

/// `` type: `NAME`: S bytes, alignment: A bytes ``
fn header(item: &str) -> Option<Printed> {
    let rest = item.strip_prefix("type: `")?;
    let (name, rest) = rest.rsplit_once("`: ")?;
    let (size, align) = rest.split_once(", alignment: ")?;
    Some(Printed {
        name: name.to_string(),
        shape: Shape {
            size: bytes(size)?,
            align: bytes(align)?,
            fields: Vec::new(),
        },
    })
}

/// `` field `.NAME`: N bytes[, offset: O bytes][, alignment: A bytes] ``: name, offset (the
/// one printed, else `cursor`) and size.
fn field(item: &str, cursor: u64) -> Option<(String, u64, u64)> {
    let rest = item.strip_prefix("field `")?;
    let (name, rest) = rest.split_once("`: ")?;
    let mut parts = rest.split(", ");
    let size = bytes(parts.next()?)?;
    let offset = parts
        .find_map(|p| bytes(p.strip_prefix("offset: ")?))
        .unwrap_or(cursor);
    Some((name.trim_start_matches('.').to_string(), offset, size))
}

fn bytes_after(item: &str, prefix: &str) -> Option<u64> {
    bytes(item.strip_prefix(prefix)?)
}

/// `N bytes` (or `1 byte`).
fn bytes(text: &str) -> Option<u64> {
    let n = text.strip_suffix(" bytes").or(text.strip_suffix(" byte"))?;
    n.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rustc 1.95's output for a crate of the shapes a driver has (x86_64), with a type of
    /// std's between them.
    const CAPTURED: &str = include_str!("../../../tests/captured/print-type-sizes-x86_64.txt");

    fn of<'a>(types: &'a [Printed], name: &str) -> &'a Printed {
        types.iter().find(|t| t.name == name).expect(name)
    }

    fn fields(p: &Printed) -> Vec<(&str, u64, u64)> {
        (p.shape.fields.iter())
            .map(|f| (f.name.as_str(), f.offset, f.size))
            .collect()
    }

    #[test]
    fn structs_get_offsets_from_sizes_and_paddings() {
        let types = parse(CAPTURED);
        let desc = of(&types, "Desc");
        assert_eq!((desc.shape.size, desc.shape.align), (24, 8));
        assert_eq!(
            fields(desc),
            [("len", 0, 4), ("addr", 8, 8), ("flags", 16, 2)]
        );
        let made = of(&types, "inner::Made");
        assert_eq!((made.shape.size, made.shape.align), (6, 2));
        assert_eq!(fields(made), [("a", 0, 1), ("b", 2, 4)]);
        assert_eq!(
            fields(of(&types, "inner::local::L")),
            [("a", 0, 1), ("b", 4, 4)]
        );
        assert_eq!(
            fields(of(&types, "inner::G<u64>")),
            [("a", 0, 1), ("t", 8, 8)]
        );
        assert_eq!(fields(of(&types, "inner::T")), [("0", 0, 8)]);
    }

    #[test]
    fn enums_and_unions_name_their_variants_fields() {
        let types = parse(CAPTURED);
        let e = of(&types, "inner::E");
        assert_eq!((e.shape.size, e.shape.align), (24, 8));
        assert_eq!(
            fields(e),
            [
                ("discriminant", 0, 1),
                ("B.x", 8, 8),
                ("B.y", 16, 1),
                ("A.0", 4, 4)
            ]
        );
        let cmd = of(&types, "Cmd");
        assert_eq!(fields(cmd), [("discriminant", 0, 1)]);
        let u = of(&types, "inner::U");
        assert_eq!(fields(u), [("a", 0, 4), ("b", 0, 8)]);
    }

    #[test]
    fn other_lines_and_broken_headers_are_skipped() {
        let text = "warning: unused\nprint-type-size type: `X`: many bytes, alignment: 8 bytes\n\
                    print-type-size     field `.a`: 4 bytes\n\
                    print-type-size type: `Y`: 1 byte, alignment: 1 byte\n\
                    print-type-size     field `.b`: 1 byte\n";
        let types = parse(text);
        assert_eq!(types.len(), 1);
        assert_eq!(types[0].name, "Y");
        assert_eq!(fields(&types[0]), [("b", 0, 1)]);
        assert!(parse("").is_empty());
        assert!(is_type_size_line("print-type-size type: `Y`: 1 bytes"));
        assert!(!is_type_size_line("error[E0425]: cannot find"));
    }
}
