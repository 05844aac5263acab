//! Layouts of the selected packages' `#[repr(..)]` types, from the compiler, with no test
//! written: bele is cargo's `RUSTC_WORKSPACE_WRAPPER` for the build, and for each crate of a
//! selected package (`CARGO_PRIMARY_PACKAGE`) it compiles it with `-Zprint-type-sizes` (what
//! rustc laid out, with sizes and fields) and expands it with `-Zunpretty=expanded` (which
//! of those types have a `repr`, macro-generated ones included). What it finds goes in a
//! record file per compiled crate, named as the crate's artifacts are (`crate-hash.json`),
//! so a build cargo finds fresh still has its record: bele reads the records of the
//! artifacts cargo reports for the build.
//!
//! Limits: rustc prints only the types it laid out, so a type no compiled code uses is
//! listed as not laid out; a generic type is laid out per instance.

pub mod sizes;
pub mod source;

use std::ffi::OsString;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::{Layouts, TypeLayout};
use crate::util::process::CommandSpec;

/// Where the wrapper writes its records (set by bele on the cargo command).
pub const DIR_VAR: &str = "BELE_LAYOUTS_DIR";
/// The user's own `RUSTC_WORKSPACE_WRAPPER`, which the wrapper runs rustc through.
pub const USER_WRAPPER_VAR: &str = "BELE_USER_WORKSPACE_WRAPPER";

/// What one compilation of one crate left: its repr types as laid out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub types: Vec<TypeLayout>,
    pub not_laid_out: Vec<String>,
    /// What the layouts depend on when they were recorded: the crate's types
    /// (`source::types_digest`) and its dependencies' artifacts ([`extern_stamp`]). While
    /// it holds, the next compile of the same artifact may be incremental: rustc then prints
    /// only what it lays out again, and the rest is taken from this record.
    #[serde(default)]
    pub depends: String,
}

/// The record of crate `krate` from what rustc printed and its expanded source: the printed
/// types whose path (instance arguments left out) is a repr type's, each once; then those
/// of `earlier` (a record of the same artifact whose types nothing changed since, when this
/// compile was incremental) that were not printed again and are still repr types.
pub fn record_of(
    krate: &str,
    printed: &[sizes::Printed],
    reprs: &[source::ReprType],
    earlier: Option<&Record>,
) -> Record {
    let base = declared_path;
    let mut types: Vec<TypeLayout> = Vec::new();
    for p in printed {
        let Some(r) = reprs.iter().find(|r| r.path == base(&p.name)) else {
            continue;
        };
        if types.iter().any(|t| t.name == p.name) {
            continue;
        }
        types.push(TypeLayout {
            krate: krate.to_string(),
            name: p.name.clone(),
            repr: r.repr.clone(),
            shape: p.shape.clone(),
        });
    }
    for t in earlier.iter().flat_map(|r| &r.types) {
        let kept = reprs.iter().any(|r| r.path == base(&t.name));
        if kept && !types.iter().any(|o| o.name == t.name) {
            types.push(t.clone());
        }
    }
    types.sort_by(|a, b| a.name.cmp(&b.name));
    // A derive's helper types (`__ZerocopyKnownLayoutMaybeUninit`) are its business, not
    // the user's: compared when laid out, never listed as not laid out.
    let helper = |path: &str| {
        path.rsplit("::")
            .next()
            .is_some_and(|n| n.starts_with("__"))
    };
    let mut not_laid_out: Vec<String> = (reprs.iter())
        .filter(|r| !helper(&r.path) && !types.iter().any(|t| base(&t.name) == r.path))
        .map(|r| format!("{krate}::{}", r.path))
        .collect();
    not_laid_out.sort();
    not_laid_out.dedup();
    Record {
        types,
        not_laid_out,
        depends: String::new(),
    }
}

/// The path a printed type's declaration has in the source, as `source` names it: the
/// instance's arguments left out (`inner::G<u64>`: `inner::G`, `Wrap<T>::f::D`:
/// `Wrap::f::D`), a trait impl's qualified self type as its type (`<Ring as Encode>::f::D`:
/// `Ring::f::D`), and the scopes a declaration cannot name left out: `const _` blocks (`_`)
/// and closures (`{closure#0}`).
fn declared_path(name: &str) -> String {
    let b = name.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let end = closing_angle(b, i);
                // `<Self as Trait>` at a segment's start: the self type, cleaned the same way.
                let inner = &name[i + 1..end.min(b.len())];
                if out.is_empty() || out.ends_with("::") {
                    let this = top_level_split(inner, " as ").unwrap_or(inner);
                    out.push_str(&declared_path(this));
                }
                i = end + 1;
            }
            c => {
                out.push(c as char);
                i += 1;
            }
        }
    }
    let segments: Vec<&str> = (out.split("::"))
        .filter(|s| *s != "_" && !s.starts_with('{'))
        .collect();
    segments.join("::")
}

/// The index of the `>` that closes the `<` at `open` in `b` (an arrow's `>` is not one),
/// or the end.
fn closing_angle(b: &[u8], open: usize) -> usize {
    let mut depth = 0;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'<' => depth += 1,
            b'>' if i > 0 && b[i - 1] == b'-' => {}
            b'>' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// `text` before the first `sep` outside angle brackets.
fn top_level_split<'a>(text: &'a str, sep: &str) -> Option<&'a str> {
    let b = text.as_bytes();
    let mut depth = 0i32;
    for i in 0..b.len() {
        match b[i] {
            b'<' => depth += 1,
            b'>' if i > 0 && b[i - 1] == b'-' => {}
            b'>' => depth -= 1,
            _ if depth == 0 && text[i..].starts_with(sep) => return Some(&text[..i]),
            _ => {}
        }
    }
    None
}

/// The dependencies' artifacts a compilation with `args` reads (`--extern name=path`), each
/// with its size and modification time: a dependency built again changes it.
pub fn extern_stamp(args: &[String]) -> String {
    let mut stamps: Vec<String> = (args.iter().enumerate())
        .filter(|(_, a)| *a == "--extern")
        .filter_map(|(i, _)| args.get(i + 1))
        .filter_map(|e| e.split_once('='))
        .map(|(name, path)| {
            let meta = std::fs::metadata(path).ok();
            let modified = (meta.as_ref())
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{name}={path}:{}:{modified}", meta.map_or(0, |m| m.len()))
        })
        .collect();
    stamps.sort();
    stamps.join(";")
}

/// The value of option `name` in rustc's arguments (`--crate-name x`, `--crate-name=x`,
/// and for `-C`, `-C extra-filename=x` or `-Cextra-filename=x` with `name` `extra-filename`).
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let codegen = !name.starts_with('-');
    args.iter().enumerate().find_map(|(i, a)| {
        if codegen {
            let setting = if a == "-C" {
                args.get(i + 1)?.as_str()
            } else {
                a.strip_prefix("-C")?
            };
            setting.strip_prefix(name)?.strip_prefix('=')
        } else if a == name {
            args.get(i + 1).map(String::as_str)
        } else {
            a.strip_prefix(name)?.strip_prefix('=')
        }
    })
}

/// The record file a compilation with `args` writes, if it is one to record: a crate of a
/// selected package (`primary`) as cargo compiles it (with `-C extra-filename`, which a build
/// script's probe of the compiler, through the same wrapper, does not pass: a probe runs
/// unchanged, so it never sees the `RUSTC_BOOTSTRAP` of a recording run), not a build
/// script or proc-macro, not a query.
pub fn record_file(args: &[String], primary: bool) -> Option<String> {
    let krate = option(args, "--crate-name")?;
    let extra = option(args, "extra-filename")?;
    let skip = !primary
        || krate.starts_with("build_script_")
        || option(args, "--crate-type") == Some("proc-macro")
        || args.iter().any(|a| a.starts_with("--print") || a == "-");
    if skip {
        return None;
    }
    Some(format!("{krate}{extra}.json"))
}

/// `args` without the options a run that is not the build itself must not have: `-C
/// incremental` always (with it rustc takes layouts from its cache and prints none), and
/// with `outputs` also `--emit`, `--out-dir` and `-o`.
fn without(args: &[String], outputs: bool) -> Vec<String> {
    let mut kept = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let pair = |name: &str| a == name;
        let joined = |name: &str| a.starts_with(&format!("{name}="));
        let incremental = (a == "-C"
            && args
                .get(i + 1)
                .is_some_and(|v| v.starts_with("incremental=")))
            || a.starts_with("-Cincremental=");
        if incremental {
            i += if a == "-C" { 2 } else { 1 };
            continue;
        }
        if outputs && (pair("--emit") || pair("--out-dir") || pair("-o")) {
            i += 2;
            continue;
        }
        if outputs && (joined("--emit") || joined("--out-dir")) {
            i += 1;
            continue;
        }
        kept.push(a.clone());
        i += 1;
    }
    kept
}

/// The build's own compilation, printing type sizes; incremental only when `incremental`
/// (the layouts rustc takes from its cache it does not print).
pub fn sizes_args(args: &[String], incremental: bool) -> Vec<String> {
    let mut a = if incremental {
        args.to_vec()
    } else {
        without(args, false)
    };
    a.push("-Zprint-type-sizes".into());
    a
}

/// A second run that prints the crate's expanded source and writes nothing.
pub fn expanded_args(args: &[String]) -> Vec<String> {
    let mut a = without(args, true);
    a.push("-Zunpretty=expanded".into());
    a
}

/// The wrapper's command: rustc (through the user's own wrapper, if any) with `args`.
fn rustc_command(rustc: &str, args: Vec<String>, user_wrapper: Option<&str>) -> CommandSpec {
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    match user_wrapper {
        Some(w) => CommandSpec::new(w, cwd).arg(rustc).args(args),
        None => CommandSpec::new(rustc, cwd).args(args),
    }
}

/// bele as cargo's rustc wrapper, when cargo runs it so (`bele /path/to/rustc ARGS...`
/// with [`DIR_VAR`] set): the exit code to leave with, or `None` when this is not such a run
/// (`subcommands`: bele's own, which a compiler's path is not; the compiler may have any
/// name, as `$RUSTC` may).
pub fn wrapper_main(argv: &[OsString], subcommands: &[&str]) -> Option<i32> {
    let dir = std::env::var_os(DIR_VAR)?;
    let rustc = argv.get(1)?.to_str()?;
    if rustc.starts_with('-') || subcommands.contains(&rustc) {
        return None;
    }
    let args: Vec<String> = argv[2..]
        .iter()
        .map(|a| a.to_str().map(String::from))
        .collect::<Option<_>>()?;
    let env: Vec<(String, String)> = std::env::vars().collect();
    let user = std::env::var(USER_WRAPPER_VAR)
        .ok()
        .filter(|w| !w.is_empty());
    let primary = std::env::var_os("CARGO_PRIMARY_PACKAGE").is_some();
    let report = |e: crate::util::process::CommandError| {
        eprintln!("bele (rustc wrapper): {e}");
        101
    };
    let Some(file) = record_file(&args, primary) else {
        return Some(
            match rustc_command(rustc, args, user.as_deref()).run_inheriting(&env) {
                Ok(code) => code.unwrap_or(101),
                Err(e) => report(e),
            },
        );
    };
    let mut env = env;
    env.push(("RUSTC_BOOTSTRAP".into(), "1".into()));
    let path = Path::new(&dir).join(file);
    // The expansion first: whether any type changed since the last record decides whether
    // this compile may stay incremental.
    let expanded = rustc_command(rustc, expanded_args(&args), user.as_deref())
        .output(&env)
        .ok()
        .filter(|out| out.success)
        .map(|out| out.stdout);
    let depends = expanded
        .as_ref()
        .map(|src| format!("{:016x};{}", source::types_digest(src), extern_stamp(&args)));
    let earlier: Option<Record> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .filter(|r: &Record| depends.as_ref() == Some(&r.depends));
    let build = rustc_command(rustc, sizes_args(&args, earlier.is_some()), user.as_deref());
    let (code, stdout) = match build.run_capturing_stdout(&env) {
        Ok(out) => out,
        Err(e) => return Some(report(e)),
    };
    // What rustc printed besides the type sizes goes where cargo expects it.
    for line in stdout.lines().filter(|l| !sizes::is_type_size_line(l)) {
        println!("{line}");
    }
    if code != Some(0) {
        return Some(code.unwrap_or(101));
    }
    let krate = option(&args, "--crate-name").unwrap_or_default();
    let (Some(src), Some(depends)) = (&expanded, depends) else {
        // Not expandable on its own (it compiled): which types have a repr is not known.
        // No record, so the run names the crate as not recorded; the marker says it was
        // tried, so no run builds it again for a record.
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::write(
            unrecordable(&path),
            "rustc could not expand it on its own\n",
        );
        return Some(0);
    };
    let _ = std::fs::remove_file(unrecordable(&path));
    let record = Record {
        depends,
        ..record_of(
            krate,
            &sizes::parse(&stdout),
            &source::repr_types(src),
            earlier.as_ref(),
        )
    };
    let written = crate::util::atomic::write(&path, None, |w| {
        serde_json::to_writer(&mut *w, &record).map_err(std::io::Error::other)
    });
    if let Err(e) = written {
        eprintln!(
            "warning: bele could not write the layouts of `{krate}` to {}: {e}",
            path.display()
        );
    }
    Some(0)
}

/// The marker beside record `path` (`x-hash.json`) of a compilation whose record could not
/// be made: `x-hash.unrecordable`.
fn unrecordable(path: &Path) -> std::path::PathBuf {
    path.with_extension("unrecordable")
}

/// Of the records `files` names that are not in `dir`, those never tried: no marker says
/// the wrapper compiled the crate and could not record it. Their crates were compiled
/// under the wrapper before and their records removed since: built again, they are
/// recorded.
pub fn never_tried(dir: &Path, files: &[String]) -> Vec<String> {
    (files.iter())
        .filter(|f| !dir.join(f).is_file() && !unrecordable(&dir.join(f)).is_file())
        .cloned()
        .collect()
}

/// The layouts a build recorded: the records `files` name in `dir`, merged (a library and
/// its test build lay out the same types), with the files not there named.
pub fn collect(dir: &Path, files: &[String]) -> Layouts {
    let mut layouts = Layouts::default();
    for file in files {
        let record: Option<Record> = std::fs::read_to_string(dir.join(file))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        let Some(record) = record else {
            layouts.unrecorded.push(file.clone());
            continue;
        };
        for t in record.types {
            if !layouts
                .types
                .iter()
                .any(|o| o.krate == t.krate && o.name == t.name)
            {
                layouts.types.push(t);
            }
        }
        layouts.not_laid_out.extend(record.not_laid_out);
    }
    // Laid out in one of the crate's builds (its test build uses more) is laid out.
    let seen: Vec<String> = layouts.types.iter().map(TypeLayout::path).collect();
    layouts
        .not_laid_out
        .retain(|p| !seen.iter().any(|s| s == p || declared_path(s) == *p));
    layouts.not_laid_out.sort();
    layouts.not_laid_out.dedup();
    layouts
        .types
        .sort_by(|a, b| (&a.krate, &a.name).cmp(&(&b.krate, &b.name)));
    layouts
}

/// Makes cargo compile again the crates whose records `files` name (`crate-hash.json`),
/// built before under the wrapper but with their records gone since (cargo finds them
/// fresh): removes their fingerprints under `target_dir`
/// (`<target>/<profile>/.fingerprint/<package>-<hash>`). Returns how many it removed.
pub fn forget(target_dir: &Path, files: &[String]) -> usize {
    let hashes: Vec<&str> = (files.iter())
        .filter_map(|f| f.strip_suffix(".json")?.rsplit('-').next())
        .collect();
    let dirs = |d: &Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(d)
            .map(|it| {
                it.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut removed = 0;
    for profile in dirs(target_dir).iter().flat_map(|t| dirs(t)) {
        for unit in dirs(&profile.join(".fingerprint")) {
            let name = unit
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let ours = name
                .rsplit_once('-')
                .is_some_and(|(_, h)| hashes.contains(&h));
            if ours && std::fs::remove_dir_all(&unit).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// The record file of a compiled artifact of crate `krate` (`deps/libx-hash.rlib`,
/// `deps/x-hash`): `x-hash.json`.
pub fn record_file_of_artifact(krate: &str, artifact: &Path) -> Option<String> {
    let name = artifact.file_name()?.to_str()?;
    let rest = name
        .strip_prefix("lib")
        .and_then(|n| n.strip_prefix(krate))
        .or_else(|| name.strip_prefix(krate))?;
    let hash = rest.strip_prefix('-')?.split('.').next()?;
    (!hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("{krate}-{hash}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    /// cargo 1.95's rustc arguments for a library's test build (trimmed paths).
    const LIB_TEST: &str = "--crate-name fx_layout --edition=2021 src/lib.rs --error-format=json \
        --json=diagnostic-rendered-ansi,artifacts,future-incompat --emit=dep-info,link \
        -C embed-bitcode=no -C debuginfo=2 --test -C metadata=0c1d -C extra-filename=-4f2a9e0c \
        --out-dir /w/target/i686-unknown-linux-gnu/debug/deps --target i686-unknown-linux-gnu \
        -C incremental=/w/target/i686-unknown-linux-gnu/debug/incremental -L dependency=/w/deps";

    #[test]
    fn only_crates_of_selected_packages_are_recorded() {
        let args = strings(LIB_TEST);
        assert_eq!(
            record_file(&args, true).as_deref(),
            Some("fx_layout-4f2a9e0c.json")
        );
        assert_eq!(record_file(&args, false), None);
        let build_script = strings("--crate-name build_script_build --crate-type bin build.rs");
        assert_eq!(record_file(&build_script, true), None);
        let macros = strings("--crate-name m --crate-type proc-macro src/lib.rs");
        assert_eq!(record_file(&macros, true), None);
        assert_eq!(record_file(&strings("-vV"), true), None);
        let query = strings("--crate-name ___ --print=file-names -");
        assert_eq!(record_file(&query, true), None);
        let joined = strings("--crate-name=x -Cextra-filename=-ab");
        assert_eq!(record_file(&joined, true).as_deref(), Some("x-ab.json"));
        // autocfg's probe from a member's build script: run as it is.
        let probe =
            strings("--crate-name probe0 --crate-type lib --out-dir /t/build/x/out probe0.rs");
        assert_eq!(record_file(&probe, true), None);
    }

    #[test]
    fn the_runs_drop_incremental_and_the_expansion_writes_nothing() {
        let args = strings(LIB_TEST);
        let sizes = sizes_args(&args, false).join(" ");
        assert!(!sizes.contains("incremental"), "{sizes}");
        assert!(sizes.contains("--emit=dep-info,link") && sizes.contains("--out-dir /w/"));
        let incremental = sizes_args(&args, true).join(" ");
        assert!(incremental.contains(" -C incremental=/w/"), "{incremental}");
        assert!(sizes.ends_with(" -Zprint-type-sizes"), "{sizes}");
        let expanded = expanded_args(&args).join(" ");
        assert!(
            !expanded.contains("incremental")
                && !expanded.contains("--emit")
                && !expanded.contains("--out-dir"),
            "{expanded}"
        );
        assert!(expanded.contains("--test --target") || expanded.contains("--test -C"));
        assert!(expanded.ends_with(" -Zunpretty=expanded"), "{expanded}");
        let split = strings("-C incremental=/i --emit link --out-dir /o -o x -Cincremental=/j a");
        assert_eq!(expanded_args(&split), ["a", "-Zunpretty=expanded"]);
    }

    /// rustc 1.95 prints types nested in a trait impl's method, a generic impl's method, a
    /// `const _` block and a closure by paths their declarations cannot spell: each is
    /// matched to its declaration all the same, and none is "not laid out".
    #[test]
    fn nested_types_are_matched_to_their_declarations() {
        let printed = sizes::parse(include_str!(
            "../../../tests/captured/print-type-sizes-nested.txt"
        ));
        let reprs = source::repr_types(include_str!(
            "../../../tests/captured/unpretty-expanded-nested.txt"
        ));
        assert_eq!(reprs.len(), 6, "{reprs:?}");
        let r = record_of("p", &printed, &reprs, None);
        let names: Vec<&str> = r.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "<Ring as Encode>::encoded_len::TraitDesc",
                "<Wrap<T> as Encode>::encoded_len::TraitGenericDesc",
                "Ring::closure::{closure#0}::ClosureDesc",
                "Ring::inherent::InherentDesc",
                "Wrap<T>::packed_len::GenericDesc",
                "_::HiddenDesc",
            ]
        );
        assert!(r.not_laid_out.is_empty(), "{:?}", r.not_laid_out);
        for (printed, declared) in [
            ("inner::G<u64>", "inner::G"),
            ("<Wrap<T> as Encode>::f::D", "Wrap::f::D"),
            ("m::<X<fn() -> u8> as T<U>>::g::_::D", "m::X::g::D"),
            ("G<fn(u8) -> Vec<u8>>", "G"),
        ] {
            assert_eq!(declared_path(printed), declared, "{printed}");
        }
    }

    #[test]
    fn forgetting_removes_only_the_named_crates_fingerprints() {
        let dir = std::env::temp_dir().join(format!("bele-forget-{}", std::process::id()));
        let fp = dir.join("i686-unknown-linux-gnu/debug/.fingerprint");
        for unit in ["fx-layout-4f2a", "fx-layout-77aa", "proptest-4f2b"] {
            std::fs::create_dir_all(fp.join(unit)).unwrap();
        }
        let files = ["fx_layout-4f2a.json".to_string()];
        assert_eq!(forget(&dir, &files), 1);
        assert!(!fp.join("fx-layout-4f2a").exists());
        assert!(fp.join("fx-layout-77aa").exists() && fp.join("proptest-4f2b").exists());
        assert_eq!(forget(&dir.join("missing"), &files), 0);
        // Only a record never tried is worth a rebuild: one the wrapper could not make left
        // its marker.
        let records = dir.join("layouts");
        std::fs::create_dir_all(&records).unwrap();
        std::fs::write(records.join("a-1.json"), "{}").unwrap();
        std::fs::write(records.join("b-2.unrecordable"), "").unwrap();
        let files = ["a-1.json", "b-2.json", "c-3.json"].map(String::from);
        assert_eq!(never_tried(&records, &files), ["c-3.json"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_record_keeps_printed_repr_types_and_names_the_unused() {
        let printed = sizes::parse(include_str!(
            "../../../tests/captured/print-type-sizes-x86_64.txt"
        ));
        let reprs = source::repr_types(include_str!(
            "../../../tests/captured/unpretty-expanded.txt"
        ));
        let r = record_of("p", &printed, &reprs, None);
        let names: Vec<&str> = r.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Cmd",
                "Desc",
                "Desc::inner::InImpl",
                "after::Aligned",
                "inner::E",
                "inner::G<u64>",
                "inner::Made",
                "inner::T",
                "inner::U",
                "inner::Unused",
                "inner::local::L"
            ]
        );
        // Rust-repr types (`Plain`) and std's are not kept.
        assert!(r.types.iter().all(|t| t.krate == "p"));
        let made = r.types.iter().find(|t| t.name == "inner::Made").unwrap();
        assert_eq!(made.repr, "C, packed(2)");
        assert_eq!(r.not_laid_out, ["p::Hidden"]);
        // A derive's helper type is never listed.
        let helper = [source::ReprType {
            path: "tests::__ZerocopyKnownLayoutMaybeUninit".into(),
            repr: "C".into(),
        }];
        assert!(record_of("p", &printed, &helper, None)
            .not_laid_out
            .is_empty());
        // Incremental: what was not printed again comes from the earlier record while it is
        // still a repr type; what was printed replaces it.
        let only_desc: Vec<sizes::Printed> = printed
            .iter()
            .filter(|p| p.name == "Desc")
            .cloned()
            .collect();
        let mut earlier = r.clone();
        earlier.types.push(TypeLayout {
            name: "Gone".into(),
            ..r.types[0].clone()
        });
        earlier
            .types
            .iter_mut()
            .find(|t| t.name == "Desc")
            .unwrap()
            .shape
            .size = 99;
        let merged = record_of("p", &only_desc, &reprs, Some(&earlier));
        let names: Vec<&str> = merged.types.iter().map(|t| t.name.as_str()).collect();
        let before: Vec<&str> = r.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, before);
        let desc = merged.types.iter().find(|t| t.name == "Desc").unwrap();
        assert_eq!(desc.shape.size, 24);
        assert_eq!(merged.not_laid_out, ["p::Hidden"]);
    }

    #[test]
    fn records_merge_and_missing_ones_are_named() {
        let dir = std::env::temp_dir().join(format!("bele-layouts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let t = |name: &str, size| TypeLayout {
            krate: "x".into(),
            name: name.into(),
            repr: "C".into(),
            shape: crate::model::Shape {
                size,
                align: 4,
                fields: vec![],
            },
        };
        let lib = Record {
            types: vec![t("A", 4)],
            not_laid_out: vec!["x::B".into(), "x::C".into()],
            depends: String::new(),
        };
        let test = Record {
            types: vec![t("A", 4), t("B", 8)],
            not_laid_out: vec!["x::C".into()],
            depends: String::new(),
        };
        for (f, r) in [("x-1.json", &lib), ("x-2.json", &test)] {
            std::fs::write(dir.join(f), serde_json::to_string(r).unwrap()).unwrap();
        }
        std::fs::write(dir.join("x-3.json"), "{not json").unwrap();
        let files: Vec<String> = ["x-1.json", "x-2.json", "x-3.json", "x-4.json"]
            .map(String::from)
            .to_vec();
        let l = collect(&dir, &files);
        let names: Vec<&str> = l.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
        assert_eq!(l.not_laid_out, ["x::C"]);
        assert_eq!(l.unrecorded, ["x-3.json", "x-4.json"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn artifacts_name_their_records() {
        let of = |k: &str, p: &str| record_file_of_artifact(k, Path::new(p));
        assert_eq!(
            of("fx_layout", "/t/deps/libfx_layout-4f2a9e0c.rlib").as_deref(),
            Some("fx_layout-4f2a9e0c.json")
        );
        assert_eq!(
            of("fx_layout", "/t/deps/fx_layout-4f2a9e0c").as_deref(),
            Some("fx_layout-4f2a9e0c.json")
        );
        assert_eq!(of("fx_layout", "/t/libfx_layout.rlib"), None);
        assert_eq!(of("wire", "/t/deps/fx_layout-4f2a9e0c"), None);
    }
}
