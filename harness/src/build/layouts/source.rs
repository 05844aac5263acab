//! The `#[repr(..)]` types a crate declares, read from its macro-expanded source (rustc's
//! `-Zunpretty=expanded`, so types a macro generates are there): each with its path as
//! `-Zprint-type-sizes` names it (`mod`s, `fn`s and `impl`s it is nested in) and what its
//! `repr` says. A small tokenizer, not a Rust parser: it knows strings, chars, lifetimes,
//! comments and brackets, which is what finding items and their nesting takes.

/// A type with a `#[repr(..)]` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReprType {
    /// `inner::local::L`: the enclosing modules, functions and impl types, then its name.
    pub path: String,
    /// The attribute's arguments as written: `C`, `C, packed(2)`, `u8`, `transparent`.
    pub repr: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Punct(char),
    Open(char),
    Close(char),
    /// A string or char literal, or a lifetime: nothing here looks inside. (Numbers are
    /// `Ident`s: a repr's `packed(2)` reads back whole.)
    Other,
}

/// The tokens of `src`; comments and the insides of literals are dropped.
fn tokens(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    while i < b.len() {
        let c = b[i];
        match c {
            _ if c.is_ascii_whitespace() => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                i = skip_string(b, i + 1);
                out.push(Tok::Other);
            }
            b'\'' => {
                // A char literal ('x', '\n', '{'), else a lifetime ('a).
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                } else if let Some(len) = src[i + 1..].chars().next().map(char::len_utf8) {
                    if b.get(i + 1 + len) == Some(&b'\'') {
                        i += len + 2;
                    } else {
                        i += 1;
                        while i < b.len() && ident(b[i]) {
                            i += 1;
                        }
                    }
                } else {
                    i += 1;
                }
                out.push(Tok::Other);
            }
            b'{' | b'(' | b'[' => {
                out.push(Tok::Open(c as char));
                i += 1;
            }
            b'}' | b')' | b']' => {
                out.push(Tok::Close(c as char));
                i += 1;
            }
            _ if ident(c) => {
                let start = i;
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
                let word = &src[start..i];
                // Prefixed strings: b"..", c"..", r"..", r#".."#, br#".."#, and b'x'.
                let hashes = b[i..].iter().take_while(|&&h| h == b'#').count();
                if matches!(word, "r" | "br" | "cr") && b.get(i + hashes) == Some(&b'"') {
                    i = skip_raw(b, i + hashes + 1, hashes);
                    out.push(Tok::Other);
                } else if matches!(word, "b" | "c") && b.get(i) == Some(&b'"') {
                    i = skip_string(b, i + 1);
                    out.push(Tok::Other);
                } else if word == "b" && b.get(i) == Some(&b'\'') {
                    i += 1;
                    if b.get(i) == Some(&b'\\') {
                        i += 1;
                    }
                    i += 1;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                    out.push(Tok::Other);
                } else if word == "r" && hashes == 1 {
                    // A raw identifier: r#ref.
                    let start = i + 1;
                    i = start;
                    while i < b.len() && ident(b[i]) {
                        i += 1;
                    }
                    out.push(Tok::Ident(src[start..i].to_string()));
                } else {
                    out.push(Tok::Ident(word.to_string()));
                }
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or(' ');
                out.push(Tok::Punct(ch));
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// Past the end of a string whose opening quote is just before `i`.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Past the end of a raw string closed by `"` and `hashes` `#`s.
fn skip_raw(b: &[u8], mut i: usize, hashes: usize) -> usize {
    while i < b.len() {
        if b[i] == b'"'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&h| h == b'#')
                .count()
                == hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

/// A scope a `{` opened: named when it is a module's, a function's or an impl's body.
struct Scope {
    name: Option<String>,
}

/// Every `#[repr(..)]` struct, enum and union in `src`, with its path.
pub fn repr_types(src: &str) -> Vec<ReprType> {
    let toks = tokens(src);
    let mut found = Vec::new();
    let mut scopes: Vec<Scope> = Vec::new();
    // The name the next `{` opens (after `mod x`, `fn x`, `impl .. X`), and how many
    // brackets deep from there the tokens are (a `{` inside them is not the body).
    let mut pending: Option<(String, usize)> = None;
    let mut in_impl = false;
    let mut brackets = 0usize;
    // The repr of the attributes just read, for the item that follows them.
    let mut repr: Option<String> = None;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Punct('#') => {
                let bang = toks.get(i + 1) == Some(&Tok::Punct('!'));
                let open = i + 1 + usize::from(bang);
                if toks.get(open) == Some(&Tok::Open('[')) {
                    let close = matching(&toks, open);
                    if let (Some(Tok::Ident(name)), Some(Tok::Open('('))) =
                        (toks.get(open + 1), toks.get(open + 2))
                    {
                        if name == "repr" && !bang {
                            let end = matching(&toks, open + 2);
                            repr = Some(join(&toks[open + 3..end.min(toks.len())]));
                        }
                    }
                    i = close + 1;
                    continue;
                }
                repr = None;
            }
            Tok::Ident(w) if w == "pub" => {
                // `pub(crate)`, `pub(in path)`: part of the item's head.
                if toks.get(i + 1) == Some(&Tok::Open('(')) {
                    i = matching(&toks, i + 1) + 1;
                    continue;
                }
            }
            Tok::Ident(w) if matches!(w.as_str(), "struct" | "enum" | "union") => {
                if let (Some(r), Some(Tok::Ident(name))) = (repr.take(), toks.get(i + 1)) {
                    let mut path: Vec<&str> =
                        scopes.iter().filter_map(|s| s.name.as_deref()).collect();
                    path.push(name);
                    found.push(ReprType {
                        path: path.join("::"),
                        repr: r,
                    });
                }
            }
            Tok::Ident(w) if matches!(w.as_str(), "mod" | "fn") => {
                repr = None;
                if let Some(Tok::Ident(name)) = toks.get(i + 1) {
                    pending = Some((name.clone(), brackets));
                    in_impl = false;
                    i += 2;
                    continue;
                }
            }
            Tok::Ident(w) if w == "impl" => {
                repr = None;
                pending = Some((String::new(), brackets));
                in_impl = true;
            }
            Tok::Ident(w) => {
                repr = None;
                // In an impl's head, the self type's name is the last one before `where`
                // outside angle brackets (`impl<T> Tr for Foo<T> where ..` is `Foo`).
                if in_impl && w != "for" && w != "where" && !w.is_empty() {
                    if let Some((name, _)) = pending.as_mut().filter(|_| angle_depth(&toks, i) == 0)
                    {
                        *name = w.clone();
                    }
                } else if w == "where" {
                    in_impl = false;
                }
            }
            Tok::Open('{') => {
                repr = None;
                let name = match pending.take() {
                    Some((name, depth)) if depth == brackets && !name.is_empty() => Some(name),
                    Some(p) if p.1 != brackets => {
                        pending = Some(p);
                        None
                    }
                    _ => None,
                };
                in_impl = false;
                scopes.push(Scope { name });
            }
            Tok::Close('}') => {
                repr = None;
                scopes.pop();
            }
            Tok::Open(_) => {
                brackets += 1;
            }
            Tok::Close(_) => {
                brackets = brackets.saturating_sub(1);
            }
            Tok::Punct(';') => {
                repr = None;
                if pending.as_ref().is_some_and(|p| p.1 == brackets) {
                    pending = None;
                    in_impl = false;
                }
            }
            _ => repr = None,
        }
        i += 1;
    }
    found
}

/// A digest of every item a layout can depend on (`struct`, `enum`, `union`, `type`,
/// `const`, `static`), token by token: equal digests mean no type of the crate changed,
/// whatever else did.
pub fn types_digest(src: &str) -> u64 {
    let toks = tokens(src);
    let mut state = bele_probe::digest(b"");
    let mut i = 0;
    while i < toks.len() {
        let Tok::Ident(w) = &toks[i] else {
            i += 1;
            continue;
        };
        if !matches!(
            w.as_str(),
            "struct" | "enum" | "union" | "type" | "const" | "static"
        ) {
            i += 1;
            continue;
        }
        // The item: up to its body's closing brace, or a `;` outside brackets.
        let mut depth = 0usize;
        let mut j = i;
        while j < toks.len() {
            match &toks[j] {
                Tok::Open(_) => depth += 1,
                Tok::Close(c) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 && *c == '}' {
                        break;
                    }
                }
                Tok::Punct(';') if depth == 0 => break,
                _ => {}
            }
            j += 1;
        }
        for t in &toks[i..=j.min(toks.len() - 1)] {
            let text = match t {
                Tok::Ident(w) => w.clone(),
                Tok::Punct(c) | Tok::Open(c) | Tok::Close(c) => c.to_string(),
                Tok::Other => "_".into(),
            };
            state = bele_probe::digest_from(state, text.as_bytes());
            state = bele_probe::digest_from(state, b" ");
        }
        i = j + 1;
    }
    state
}

/// How many `<` are open at token `i` since the last `impl` (generic parameters and
/// arguments of an impl's head).
fn angle_depth(toks: &[Tok], i: usize) -> i64 {
    let start = toks[..i]
        .iter()
        .rposition(|t| *t == Tok::Ident("impl".into()))
        .unwrap_or(0);
    let mut depth = 0i64;
    for (j, t) in toks[start..i].iter().enumerate() {
        match t {
            Tok::Punct('<') => depth += 1,
            // `->` is not a closing bracket.
            Tok::Punct('>') if toks[start + j - 1] != Tok::Punct('-') => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// The index of the bracket closing the one opened at `open` (or the last token).
fn matching(toks: &[Tok], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Open(_) => depth += 1,
            Tok::Close(_) => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    toks.len().saturating_sub(1)
}

/// Tokens back to text, as rustc prints a repr's arguments: `C, packed(2)`.
fn join(toks: &[Tok]) -> String {
    let mut s = String::new();
    for t in toks {
        match t {
            Tok::Ident(w) => {
                if s.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    s.push(' ');
                }
                s.push_str(w);
            }
            Tok::Punct(',') => s.push_str(", "),
            Tok::Punct(c) | Tok::Open(c) | Tok::Close(c) => s.push(*c),
            Tok::Other => s.push('_'),
        }
    }
    s.replace(", )", ")").trim_end_matches(", ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rustc 1.95's `-Zunpretty=expanded` of a crate with repr types in modules, in a
    /// function, in an impl, made by a macro, and strings and chars holding braces.
    const EXPANDED: &str = include_str!("../../../tests/captured/unpretty-expanded.txt");

    #[test]
    fn repr_types_with_their_paths_from_captured_expanded_source() {
        let found = repr_types(EXPANDED);
        let got: Vec<(&str, &str)> = (found.iter())
            .map(|t| (t.path.as_str(), t.repr.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("inner::Unused", "C"),
                ("inner::U", "C"),
                ("inner::G", "C"),
                ("inner::E", "u8"),
                ("inner::T", "transparent"),
                ("inner::local::L", "C"),
                ("inner::Made", "C, packed(2)"),
                ("Hidden", "C"),
                ("Desc", "C"),
                ("Cmd", "u8"),
                ("Desc::inner::InImpl", "C"),
                ("after::Aligned", "C, align(8)"),
            ]
        );
    }

    #[test]
    fn strings_chars_comments_and_lifetimes_hide_nothing_and_open_nothing() {
        let src = "/* #[repr(C)] struct A; { */ fn f<'a>(x: &'a str) -> char { '{' }\n\
                   // #[repr(C)] struct B {\n\
                   const S: &str = \"}\\\" {\"; const R: &str = r##\"}\"#\"##;\n\
                   mod m { #[derive(Clone)] #[repr(u16)] pub(crate) enum E { A } \
                   #[repr(C)] #[derive(Copy)] struct F(u8); }\n\
                   #[repr(C)] fn not_a_type() {} struct NoRepr;";
        let found = repr_types(src);
        let got: Vec<(&str, &str)> = (found.iter())
            .map(|t| (t.path.as_str(), t.repr.as_str()))
            .collect();
        assert_eq!(got, [("m::E", "u16"), ("m::F", "C")]);
        assert!(repr_types("").is_empty());
        assert!(repr_types("#[repr(C)] struct").is_empty());
        assert!(repr_types("macro_rules! m { () => { #[repr(C)] struct $n; } }").is_empty());
    }

    #[test]
    fn the_types_digest_follows_types_not_code() {
        let src = "pub struct A { x: u32 } const N: usize = 4; fn f() -> u32 { 1 }";
        let d = types_digest(src);
        assert_eq!(d, types_digest(&src.replace("{ 1 }", "{ 2 + 3 }")));
        assert_eq!(d, types_digest(&src.replace("{ x", "{\n    x")));
        assert_ne!(d, types_digest(&src.replace("x: u32", "x: u64")));
        assert_ne!(
            d,
            types_digest(&src.replace("N: usize = 4", "N: usize = 8"))
        );
        assert_ne!(d, types_digest(&format!("{src} struct B(u8);")));
        assert_ne!(d, types_digest(&src.replace("{ x: u32 }", "(u32);")));
    }

    #[test]
    fn impl_heads_name_the_self_type() {
        let src = "impl<T: Into<u8>> From<T> for Wrap<T> where T: Copy { \
                   fn f() { #[repr(C)] struct L(u8); } }\n\
                   impl Desc { fn g() -> Result<u8, ()> { #[repr(C)] struct M(u8); Ok(0) } }";
        let found = repr_types(src);
        let paths: Vec<&str> = found.iter().map(|t| t.path.as_str()).collect();
        assert_eq!(paths, ["Wrap::f::L", "Desc::g::M"]);
    }
}
