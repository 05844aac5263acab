//! Tests of the table loader, the builtin table and target selection.

use super::*;

const ISSUE_TARGETS: [&str; 16] = [
    "x86_64-unknown-linux-gnu",
    "i686-unknown-linux-gnu",
    "armv7-unknown-linux-gnueabihf",
    "aarch64-unknown-linux-gnu",
    "riscv64gc-unknown-linux-gnu",
    "powerpc64le-unknown-linux-gnu",
    "mipsel-unknown-linux-gnu",
    "mips64el-unknown-linux-gnuabi64",
    "mips-unknown-linux-gnu",
    "mips64-unknown-linux-gnuabi64",
    "powerpc-unknown-linux-gnu",
    "powerpc64-unknown-linux-gnu",
    "s390x-unknown-linux-gnu",
    "sparc64-unknown-linux-gnu",
    "aarch64_be-unknown-linux-musl",
    "armeb-bele-linux-musleabi",
];

#[test]
fn builtin_table_has_the_sixteen_targets() {
    let table = Table::builtin();
    let triples: Vec<&str> = table.targets().iter().map(|t| t.triple.as_str()).collect();
    assert_eq!(triples, ISSUE_TARGETS);
}

/// Walks every entry and checks that its facts agree with each other, so a copy-paste
/// slip in the table (a big-endian target with an `el` QEMU, a linker for another
/// triple) fails here rather than as a confusing build error.
#[test]
fn every_entry_is_consistent() {
    for t in Table::builtin().targets() {
        let cpu = t.triple.split('-').next().unwrap();
        let qemu_arch = t.qemu.strip_prefix("qemu-").unwrap();
        let expected_family = match cpu {
            "x86_64" | "i686" => Arch::X86,
            c if c.starts_with("armv7") || c == "armeb" => Arch::Arm,
            "aarch64" | "aarch64_be" => Arch::Arm64,
            c if c.starts_with("mips") => Arch::Mips,
            c if c.starts_with("riscv") => Arch::Riscv,
            c if c.starts_with("powerpc") => Arch::Powerpc,
            "s390x" => Arch::S390x,
            c if c.starts_with("sparc") => Arch::Sparc,
            other => panic!("{}: unexpected cpu {other}", t.triple),
        };
        assert_eq!(t.arch, expected_family, "{}", t.triple);
        let little_suffix = qemu_arch.ends_with("el") || qemu_arch.ends_with("le");
        let big_suffix = qemu_arch.ends_with("eb") || qemu_arch.ends_with("_be");
        let little_family = matches!(t.arch, Arch::X86 | Arch::Arm | Arch::Arm64 | Arch::Riscv);
        assert_eq!(
            t.endian == Endian::Little,
            little_suffix || (little_family && !big_suffix),
            "{}: endianness {} does not match {}",
            t.triple,
            t.endian,
            t.qemu
        );
        let wide = qemu_arch.contains("64") || qemu_arch == "s390x";
        assert_eq!(
            t.pointer_width == PointerWidth::W64,
            wide,
            "{}: width vs {}",
            t.triple,
            t.qemu
        );
        match t.link_route() {
            LinkRoute::Gcc { linker, sysroot } => {
                let gnu = linker
                    .strip_suffix("-gcc")
                    .unwrap_or_else(|| panic!("{}: linker {linker} is not a gcc driver", t.triple));
                assert_eq!(t.libc, Libc::Glibc, "{}", t.triple);
                if t.native_on.is_none() {
                    assert_eq!(
                        sysroot,
                        Path::new("/usr").join(gnu),
                        "{}: sysroot vs linker",
                        t.triple
                    );
                    assert!(
                        t.packages.iter().any(|p| p == &format!("gcc-{gnu}")),
                        "{}: packages {:?} lack gcc-{gnu}",
                        t.triple,
                        t.packages
                    );
                    assert!(
                        t.packages
                            .iter()
                            .any(|p| p.starts_with("libc6-dev-") && p.ends_with("-cross")),
                        "{}: packages lack the libc6-dev cross sysroot",
                        t.triple
                    );
                }
            }
            LinkRoute::Zig { zig_target } => {
                assert_eq!(t.libc, Libc::Musl, "{}", t.triple);
                assert!(
                    t.qemu_sysroot().is_none(),
                    "{}: static, no guest root",
                    t.triple
                );
                assert!(
                    zig_target.starts_with(cpu) && zig_target.contains("-linux-musl"),
                    "{}: zig_target {zig_target}",
                    t.triple
                );
                assert_eq!(
                    t.std,
                    StdSource::BuildStd,
                    "{}: no prebuilt std for musl here",
                    t.triple
                );
            }
        }
        assert!(
            t.packages.iter().any(|p| p == "qemu-user"),
            "{}: qemu-user missing",
            t.triple
        );
        if t.tier == 3 {
            assert_eq!(
                t.std,
                StdSource::BuildStd,
                "{}: tier 3 targets have no prebuilt std",
                t.triple
            );
        }
        assert!(t.cargo_env_prefix().starts_with("CARGO_TARGET_"));
    }
}

#[test]
fn cargo_env_prefix_follows_cargo_rules() {
    let table = Table::builtin();
    let t = table.get("mips64el-unknown-linux-gnuabi64").unwrap();
    assert_eq!(
        t.cargo_env_prefix(),
        "CARGO_TARGET_MIPS64EL_UNKNOWN_LINUX_GNUABI64_"
    );
}

const ONE: &str = r#"
[[target]]
triple = "s390x-unknown-linux-gnu"
arch = "s390x"
endian = "big"
pointer_width = 64
qemu = "qemu-s390x"
linker = "s390x-linux-gnu-gcc"
libc = "glibc"
sysroot = "/usr/s390x-linux-gnu"
packages = ["gcc-s390x-linux-gnu"]
std = "prebuilt"
tier = 2
u64_align = 8
c_char = "unsigned"
strict_align = false
atomic64 = true
"#;

fn parse_err(text: &str) -> String {
    Table::parse(text, "my/targets.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn a_valid_single_entry_parses() {
    let table = Table::parse(ONE, "x").unwrap();
    assert_eq!(table.targets()[0].pointer_width, PointerWidth::W64);
}

#[test]
fn unknown_field_is_rejected_with_file_and_line() {
    let text = ONE.replace("tier = 2", "tier = 2\nendianess = \"big\"");
    let err = parse_err(&text);
    assert!(err.contains("my/targets.toml"), "{err}");
    assert!(err.contains("line 14"), "{err}");
    assert!(err.contains("unknown field `endianess`"), "{err}");
}

#[test]
fn bad_enum_value_names_the_value_and_line() {
    let err = parse_err(&ONE.replace("endian = \"big\"", "endian = \"middle\""));
    assert!(err.contains("line 5"), "{err}");
    assert!(err.contains("middle"), "{err}");
    assert!(err.contains("little") && err.contains("big"), "{err}");
}

#[test]
fn bad_pointer_width_is_explained() {
    let err = parse_err(&ONE.replace("pointer_width = 64", "pointer_width = 16"));
    assert!(err.contains("line 6"), "{err}");
    assert!(
        err.contains("pointer_width must be 32 or 64, not 16"),
        "{err}"
    );
}

#[test]
fn semantic_errors_point_at_the_entry() {
    let dup = format!("{ONE}{ONE}");
    let err = parse_err(&dup);
    assert_eq!(
        err,
        "invalid target table my/targets.toml:3: duplicate target `s390x-unknown-linux-gnu` (remove one of the entries)"
    );
    let err = parse_err(&ONE.replace("/usr/s390x-linux-gnu", "usr/s390x"));
    assert!(err.starts_with("invalid target table my/targets.toml:3: sysroot = `usr/s390x` must be an absolute path"), "{err}");
    let err = parse_err(&ONE.replace("qemu = \"qemu-s390x\"", "qemu = \"s390x\""));
    assert!(err.contains("qemu-<arch>"), "{err}");
    assert!(parse_err("").contains("missing field `target`"));
    let err = parse_err(&ONE.replace("u64_align = 8", "u64_align = 3"));
    assert!(
        err.starts_with(
            "invalid target table my/targets.toml:3: u64_align = 3 is not an alignment of u64"
        ),
        "{err}"
    );
    let err = parse_err(&ONE.replace("c_char = \"unsigned\"", "c_char = \"maybe\""));
    assert!(err.contains("maybe") && err.contains("signed"), "{err}");
    let err = parse_err(&ONE.replace("atomic64 = true\n", ""));
    assert!(err.contains("missing field `atomic64`"), "{err}");
    let err = parse_err(&ONE.replace("linker = \"s390x-linux-gnu-gcc\"\n", ""));
    assert!(err.contains("needs exactly one of `linker`"), "{err}");
    let err = parse_err(&ONE.replace("sysroot = \"/usr/s390x-linux-gnu\"\n", ""));
    assert!(err.contains("has no `sysroot`"), "{err}");
    let zig = ONE
        .replace(
            "linker = \"s390x-linux-gnu-gcc\"\n",
            "zig_target = \"s390x-linux-musl\"\n",
        )
        .replace("sysroot = \"/usr/s390x-linux-gnu\"\n", "");
    let err = parse_err(&zig);
    assert!(err.contains("set libc = \"musl\""), "{err}");
    let table = Table::parse(&zig.replace("libc = \"glibc\"", "libc = \"musl\""), "x").unwrap();
    assert_eq!(
        table.targets()[0].link_route(),
        LinkRoute::Zig {
            zig_target: "s390x-linux-musl"
        }
    );
}

#[test]
fn load_names_a_missing_file() {
    let err = Table::load(Path::new("/nonexistent/t.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("cannot read target table /nonexistent/t.toml"),
        "{err}"
    );
}

fn check_select(spec: &str, expected: &[&str]) {
    let table = Table::builtin();
    let got: Vec<&str> = select(&table, spec)
        .unwrap_or_else(|e| panic!("{spec}: {e}"))
        .into_iter()
        .map(|t| t.triple.as_str())
        .collect();
    assert_eq!(got, expected, "selection `{spec}`");
}

#[test]
fn selection() {
    check_select("all", &ISSUE_TARGETS);
    check_select(
        "be",
        &[
            "mips-unknown-linux-gnu",
            "mips64-unknown-linux-gnuabi64",
            "powerpc-unknown-linux-gnu",
            "powerpc64-unknown-linux-gnu",
            "s390x-unknown-linux-gnu",
            "sparc64-unknown-linux-gnu",
            "aarch64_be-unknown-linux-musl",
            "armeb-bele-linux-musleabi",
        ],
    );
    check_select(
        "be,32",
        &[
            "mips-unknown-linux-gnu",
            "powerpc-unknown-linux-gnu",
            "armeb-bele-linux-musleabi",
        ],
    );
    check_select(
        "le,32",
        &[
            "i686-unknown-linux-gnu",
            "armv7-unknown-linux-gnueabihf",
            "mipsel-unknown-linux-gnu",
        ],
    );
    check_select(
        "mips",
        &[
            "mipsel-unknown-linux-gnu",
            "mips64el-unknown-linux-gnuabi64",
            "mips-unknown-linux-gnu",
            "mips64-unknown-linux-gnuabi64",
        ],
    );
    check_select("mips,be,64", &["mips64-unknown-linux-gnuabi64"]);
    check_select(
        "arm,arm64",
        &[
            "armv7-unknown-linux-gnueabihf",
            "aarch64-unknown-linux-gnu",
            "aarch64_be-unknown-linux-musl",
            "armeb-bele-linux-musleabi",
        ],
    );
    check_select(
        "s390x-unknown-linux-gnu, x86_64-unknown-linux-gnu",
        &["x86_64-unknown-linux-gnu", "s390x-unknown-linux-gnu"],
    );
    check_select(
        "x86_64-unknown-linux-gnu,sparc",
        &["x86_64-unknown-linux-gnu", "sparc64-unknown-linux-gnu"],
    );
    check_select("all,x86_64-unknown-linux-gnu", &ISSUE_TARGETS);
}

#[test]
fn selection_errors() {
    let table = Table::builtin();
    let err = select(&table, "be,m68k").unwrap_err().to_string();
    assert!(
        err.starts_with("unknown target or selector `m68k` in `be,m68k`"),
        "{err}"
    );
    assert!(err.contains("sparc"), "{err}");
    let err = select(&table, "x86,be").unwrap_err();
    assert_eq!(
        err,
        SelectError::Empty {
            spec: "x86,be".into()
        }
    );
    assert!(matches!(select(&table, ""), Err(SelectError::Empty { .. })));
}

proptest::proptest! {
    /// Whatever the text, the loader returns a table or an error; it never panics.
    #[test]
    fn parse_never_panics(text in "\\PC{0,200}") {
        let _ = Table::parse(&text, "fuzz.toml");
    }

    /// Selection of any mix of known terms is a subset of the table, in table order.
    #[test]
    fn selection_is_an_ordered_subset(terms in proptest::collection::vec(
        proptest::sample::select(vec!["all", "be", "le", "32", "64", "mips", "x86", "sparc", "powerpc", "s390x-unknown-linux-gnu"]), 1..5))
    {
        let table = Table::builtin();
        let spec = terms.join(",");
        if let Ok(picked) = select(&table, &spec) {
            let positions: Vec<usize> = picked.iter()
                .map(|p| table.targets().iter().position(|t| t.triple == p.triple).unwrap())
                .collect();
            let mut sorted = positions.clone();
            sorted.sort_unstable();
            sorted.dedup();
            proptest::prop_assert_eq!(positions, sorted);
        }
    }
}

#[test]
fn traits_read_as_words() {
    use Trait::*;
    let check = |traits: &[Trait], words: Described| {
        assert_eq!(describe(traits), words, "{traits:?}");
    };
    check(
        &[Endian(crate::Endian::Big)],
        Described::Adjectives("big-endian".into()),
    );
    check(
        &[
            Endian(crate::Endian::Big),
            PointerWidth(crate::PointerWidth::W32),
        ],
        Described::Adjectives("big-endian 32-bit".into()),
    );
    check(
        &[U64Align(4)],
        Described::Clauses("where u64 aligns to 4".into()),
    );
    check(
        &[Atomic64(false)],
        Described::Clauses("without 64-bit atomics".into()),
    );
    check(
        &[Endian(crate::Endian::Big), CChar(Signedness::Signed)],
        Described::Both("big-endian targets where c_char is signed".into()),
    );
    assert_eq!(StrictAlign(true).slug(), "misaligned-traps");
    assert_eq!(Arch(crate::Arch::Mips).slug(), "mips");
}

#[test]
fn every_target_has_its_own_traits_and_the_table_covers_both_values() {
    let table = Table::builtin();
    for kind in 0..7 {
        let values: std::collections::BTreeSet<Trait> = table
            .targets()
            .iter()
            .map(|t| t.traits().atoms()[kind])
            .collect();
        assert!(
            values.len() >= 2,
            "trait kind {kind} has one value everywhere: {values:?}"
        );
    }
    let i686 = table.get("i686-unknown-linux-gnu").unwrap().traits();
    assert!(i686.has(Trait::U64Align(4)));
}

/// A known fault matches the crate versions and rustc releases it names; a requirement that
/// is not one is refused with the entry, the value and the form to write.
#[test]
fn known_faults_match_versions_and_refuse_bad_requirements() {
    let entry = |versions: &str, rustc: &str| {
        format!(
            "{ONE}\n[[target.known_faults]]\ncrate = \"memchr\"\nversions = \"{versions}\"\n{rustc}what = \"wrong positions\"\n"
        )
    };
    let table = Table::parse(&entry(">=2.8.1", "rustc = \"<1.97\"\n"), "x").unwrap();
    let f = &table.targets()[0].known_faults[0];
    let v = |s: &str| semver::Version::parse(s).unwrap();
    assert!(f.matches(&v("2.8.3"), Some(&v("1.95.0"))));
    assert!(!f.matches(&v("2.8.0"), Some(&v("1.95.0"))));
    assert!(!f.matches(&v("2.8.3"), Some(&v("1.97.0"))));
    // An unknown rustc may be the faulty one.
    assert!(f.matches(&v("2.8.3"), None));
    let any_rustc = Table::parse(&entry("=1.5.5", ""), "x").unwrap();
    assert!(any_rustc.targets()[0].known_faults[0].matches(&v("1.5.5"), Some(&v("1.97.0"))));
    let err = parse_err(&entry("2.8.1 or later", ""));
    assert!(
        err.contains("known_faults of `s390x-unknown-linux-gnu`, crate `memchr`: versions = \"2.8.1 or later\" is not a version requirement"),
        "{err}"
    );
    assert!(err.contains("\">=2.8.1\""), "{err}");
    let err = parse_err(&entry(">=2", "rustc = \"new\"\n"));
    assert!(err.contains("rustc = \"new\""), "{err}");
    let err = parse_err(&entry(">=2", "").replace("what = \"wrong positions\"", "what = \" \""));
    assert!(err.contains("needs `crate`"), "{err}");
    // A control is an exact version outside the faulty ones.
    let with = Table::parse(&entry(">=2.6.0", "control = \"2.5.0\"\n"), "x").unwrap();
    assert_eq!(
        with.targets()[0].known_faults[0].control.as_deref(),
        Some("2.5.0")
    );
    let err = parse_err(&entry(">=2.6.0", "control = \"2.7\"\n"));
    assert!(
        err.contains("crate `memchr`: control = \"2.7\" is not a version")
            && err.contains("\"1.4.2\""),
        "{err}"
    );
    let err = parse_err(&entry(">=2.6.0", "control = \"2.7.4\"\n"));
    assert!(
        err.contains("control = \"2.7.4\" is among the faulty versions (\">=2.6.0\")"),
        "{err}"
    );
}
