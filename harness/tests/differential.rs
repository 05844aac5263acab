//! End-to-end tests of the differential probes: the real `bele` binary, real cross builds,
//! real QEMU, on `fixtures/roundtrip`, whose tests are round trips that pass everywhere
//! while its encoder writes host byte order. Needs x86_64, i686, powerpc and s390x set up
//! (`ci/test.sh` does).

mod support;

use bele::testing::{Outcome, RunResults};
use support::{bele, fixtures, outcome, report, scratch, test_fixture};

const X86_64: &str = "x86_64-unknown-linux-gnu";
const I686: &str = "i686-unknown-linux-gnu";
const PPC: &str = "powerpc-unknown-linux-gnu";
const S390X: &str = "s390x-unknown-linux-gnu";
const FOUR: [&str; 4] = [X86_64, I686, PPC, S390X];

const HEADER: &str = "tests::header_round_trips";
const ANY_HEADER: &str = "tests::any_header_round_trips";
const OFFSETS: &str = "tests::values_land_at_any_offset";
const STAMP: &str = "tests::a_timestamp_is_not_reproducible";

/// The derived part of a results file, as written.
fn derived(run: &support::Run) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(&run.results_file).unwrap()).unwrap()
}

fn every_test_passed(r: &RunResults) {
    for t in FOUR {
        for test in [HEADER, ANY_HEADER, OFFSETS, STAMP] {
            assert_eq!(
                outcome(r, t, test).outcome,
                Outcome::Passed,
                "{test} on {t}"
            );
        }
    }
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one real run (cross builds, QEMU) and every assertion on it: split, each part would pay for the run again"
)]
fn a_host_order_encoder_tested_by_round_trips_differs_on_big_endian_only() {
    let md = scratch("roundtrip.md");
    let html = scratch("roundtrip.html");
    let reports = [
        format!("md={}", md.display()),
        format!("html={}", html.display()),
    ];
    let run = test_fixture(
        "fx-roundtrip",
        &FOUR,
        &[
            "--seed",
            "7",
            "--report",
            &reports[0],
            "--report",
            &reports[1],
        ],
        &[],
    );
    let r = run.results.as_ref().unwrap();
    every_test_passed(r);
    assert_eq!(run.code, 1, "wire records differ: exit 1\n{}", run.stdout);
    let doc = derived(&run);
    let diffs = doc["differences"].as_array().unwrap();
    let tests: Vec<&str> = diffs.iter().map(|d| d["test"].as_str().unwrap()).collect();
    assert_eq!(
        tests,
        [ANY_HEADER, HEADER],
        "only the host-order header differs"
    );
    for d in diffs {
        assert_eq!(d["verdict"], "big-endian-only");
        assert_eq!(d["verdict_label"], "output differs on big-endian only");
        assert_eq!(
            (d["kind"].as_str(), d["label"].as_str()),
            (Some("wire"), Some("header"))
        );
        let c = &d["comparisons"][0];
        assert_eq!(c["reference"], serde_json::json!([X86_64, I686]));
        assert_eq!(c["differing"], serde_json::json!([PPC, S390X]));
        assert_eq!(c["first"]["record"], 0);
    }
    // kind 0x0102, len 0x03040506, seq 7: every field in host order.
    let first = &diffs[1]["comparisons"][0]["first"];
    assert_eq!(first["offset"], 0);
    assert_eq!(first["reference"]["hex"], "0201060504030700000000000000");
    assert_eq!(first["differing"]["hex"], "0102030405060000000000000007");
    // The usize strategy drew other inputs on 32- and 64-bit targets: checked, and not a
    // verdict. The clock is not reproducible: checked, and not compared.
    let checks = doc["probe_checks"].as_array().unwrap();
    let check = |test: &str| checks.iter().find(|c| c["test"] == test).unwrap();
    assert_eq!(check(OFFSETS)["stable"], true);
    let drew = |test: &str, t: &str| {
        check(test)["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["target"] == t)
            .unwrap_or_else(|| panic!("no inputs of {test} on {t}"))
            .clone()
    };
    // Its records are the same within each width: one target of each width is checked.
    let offsets_on: Vec<&str> = check(OFFSETS)["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["target"].as_str().unwrap())
        .collect();
    assert_eq!(offsets_on, [X86_64, I686]);
    assert_eq!(drew(OFFSETS, X86_64)["cases"], 256);
    assert_eq!(
        doc["compared_alone"],
        serde_json::json!([]),
        "every target drew what another did"
    );
    assert_ne!(
        drew(OFFSETS, X86_64)["digest"],
        drew(OFFSETS, I686)["digest"]
    );
    // The header's inputs are the same everywhere: its difference is the code's.
    for t in FOUR {
        assert_eq!(
            drew(ANY_HEADER, t)["digest"],
            drew(ANY_HEADER, X86_64)["digest"],
            "{t}"
        );
    }
    assert_eq!(check(STAMP)["stable"], false);
    assert_eq!(doc["not_compared"][0]["test"], STAMP);
    // The spawned thread's record belongs to no test: told on every target, in the results
    // file, the derived notes and the terminal.
    for t in &r.targets {
        let b = t.binaries.iter().find(|b| b.id == "fx-roundtrip").unwrap();
        assert_eq!(
            (b.unattributed_records, &b.probe_problems),
            (1, &vec![]),
            "{}",
            t.triple
        );
    }
    let notes = doc["probe_notes"].as_array().unwrap();
    assert_eq!(notes.len(), 4, "{notes:?}");
    assert!(run.stdout.contains("probe records of fx-roundtrip on s390x: 1 probe record made on threads without a test's name (a thread the test spawned) was not compared"), "{}", run.stdout);
    // The terminal shows both byte strings with the first differing byte marked.
    assert!(
        run.stdout.contains(
            "    record 0, byte 0: x86_64, i686: [02] 01 06 05 04 03 07 00 00 00 00 00 00 00 (14 bytes) | powerpc, s390x: [01] 02 03 04 05 06 00 00 00 00 00 00 00 07 (14 bytes)\n"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&format!("fx-roundtrip {HEADER}     .      .    D       D      output differs on big-endian only\n")), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("probe records of fx-roundtrip {STAMP} not compared: its records changed when it ran again on x86_64")), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("bele: 20 passed, 0 failed, 0 skipped, 2 outputs differ\n"),
        "{}",
        run.stdout
    );
    // Every format shows it: JUnit and KTAP fail the test on the differing side only.
    let xml = report(&run.results_file, "junit");
    assert!(
        xml.contains(&format!(
            "<testcase name=\"{HEADER} [powerpc]\" classname=\"{PPC}.fx-roundtrip\""
        )),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"output differs on big-endian only\" type=\"output-differs\">wire record &apos;header&apos; differs (across all targets)"), "{xml}");
    assert!(
        xml.contains(&format!(
            "<testcase name=\"{HEADER} [x86_64]\" classname=\"{X86_64}.fx-roundtrip\" time="
        )),
        "{xml}"
    );
    let ktap = report(&run.results_file, "ktap");
    assert!(
        ktap.contains("        # record 0, byte 0: x86_64, i686: [02] 01 06"),
        "{ktap}"
    );
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains("### output differs on big-endian only (2)"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "- **fx-roundtrip** `{HEADER}`: wire record 'header' (across all targets)"
        )),
        "{md}"
    );
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(
        html.contains(&format!("<td class=\"differs\" data-target=\"{S390X}\"")),
        "{html}"
    );
    assert!(
        html.contains("output differs on big-endian only (2)</h3>"),
        "{html}"
    );
}

#[test]
fn the_same_fixture_recording_host_order_gets_no_verdict() {
    let run = test_fixture(
        "fx-roundtrip",
        &FOUR,
        &["--seed", "7", "--features", "host-labels"],
        &[],
    );
    let r = run.results.as_ref().unwrap();
    every_test_passed(r);
    let doc = derived(&run);
    assert_eq!(doc["differences"], serde_json::json!([]), "{}", run.stdout);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let header = outcome(r, PPC, HEADER);
    assert_eq!(header.probes[0].kind, bele::testing::ProbeKind::Host);
    assert!(!run.stdout.contains("output differs"), "{}", run.stdout);
}

#[test]
fn probes_off_records_nothing() {
    let run = test_fixture("fx-roundtrip", &[X86_64, S390X], &["--no-probes"], &[]);
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(!r.config.probes);
    assert!(r.probe_sequences.is_empty());
    assert!(outcome(r, S390X, HEADER).probes.is_empty());
}

/// CI shards run apart: the merged file compares them, and each shard's own checks (the
/// inputs of the usize strategy, the clock) still hold.
#[test]
fn merged_shards_keep_the_difference() {
    let manifest = fixtures();
    let mut files = Vec::new();
    for (k, targets) in [(1, [X86_64, I686]), (2, [PPC, S390X])] {
        let spec = targets.join(",");
        let run = bele(
            &[
                "test",
                "--manifest-path",
                manifest.to_str().unwrap(),
                "-p",
                "fx-roundtrip",
                "--targets",
                &spec,
                "--seed",
                "7",
            ],
            &[],
            &format!("roundtrip-shard{k}"),
        );
        assert_eq!(
            run.code, 0,
            "no shard alone sees the difference\n{}",
            run.stdout
        );
        files.push(run.results_file);
    }
    let merged = scratch("roundtrip-merged.json");
    #[allow(clippy::disallowed_methods)]
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_bele"))
        .arg("merge")
        .args(&files)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    support::check_machine_reports(&merged);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    let tests: Vec<&str> = doc["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["test"].as_str().unwrap())
        .collect();
    assert_eq!(tests, [ANY_HEADER, HEADER]);
    assert_eq!(doc["differences"][0]["verdict"], "big-endian-only");
    assert_eq!(doc["not_compared"][0]["test"], STAMP);
}

/// A `#[repr(C)]` descriptor with a `u64` after a `u32`, declared a wire layout with
/// `bele_probe::layout!` in a test that passes everywhere: bele fails the run on i686 (where
/// `u64` aligns to 4), not on 32-bit armv7 (where it aligns to 8), names the field that
/// moved, and says so in every format. Undeclared, the same tests pass and nothing differs.
#[test]
fn a_declared_layout_that_moves_a_field_fails_the_run_where_u64_aligns_to_4() {
    const ARMV7: &str = "armv7-unknown-linux-gnueabihf";
    let targets = [X86_64, I686, ARMV7];
    let run = test_fixture("fx-layout", &targets, &["--features", "declare"], &[]);
    let r = run.results.as_ref().unwrap();
    assert_eq!(run.code, 1, "{}", run.stdout);
    for t in targets {
        for test in [
            "tests::a_descriptor_keeps_its_fields",
            "tests::a_handle_keeps_its_cookie",
        ] {
            assert_eq!(
                outcome(r, t, test).outcome,
                Outcome::Passed,
                "{test} on {t}"
            );
        }
    }
    let doc = derived(&run);
    let differences = doc["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 1, "{}", run.stdout);
    let d = &differences[0];
    assert_eq!(
        (
            d["kind"].as_str(),
            d["label"].as_str(),
            d["verdict"].as_str()
        ),
        (Some("layout"), Some("Desc"), Some("u64-align-4-only")),
        "{d}"
    );
    assert_eq!(d["comparisons"][0]["differing"], serde_json::json!([I686]));
    let fields = d["comparisons"][0]["layout"].as_str().unwrap();
    assert!(
        fields.starts_with("`addr` at offset 4 (8 elsewhere), `flags` at offset 12 (16 elsewhere), size 16 (24 elsewhere)"),
        "{fields}"
    );
    let verdict = "layout differs where u64 aligns to 4 (i686)";
    assert!(run.stdout.contains(verdict), "{}", run.stdout);
    assert!(run.stdout.contains(fields), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("0 failed, 0 skipped, 2 layouts differ, 1 pointer-width dependent layout"),
        "{}",
        run.stdout
    );
    // The matrix marks the cell: passed, but its declared layout differs there.
    let row = (run.stdout.lines())
        .find(|l| l.starts_with("fx-layout tests::a_descriptor_keeps_its_fields "))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let cells: Vec<&str> = row.split_whitespace().skip(2).take(3).collect();
    assert_eq!(cells, [".", "L", "."], "{row}");
    for format in ["md", "html", "junit", "ktap", "github"] {
        let text = report(&run.results_file, format);
        assert!(text.contains("Desc"), "{format}: {text}");
        assert!(text.contains("u64 aligns to 4"), "{format}: {text}");
    }
    // Not declared, layouts from the compiler left out: nothing compared, the run passes.
    let run = test_fixture("fx-layout", &[X86_64, I686], &["--no-layouts"], &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(derived(&run)["differences"], serde_json::json!([]));
    assert_eq!(derived(&run)["layout_differences"], serde_json::json!([]));
    let r = run.results.as_ref().unwrap();
    assert!(r.targets.iter().all(|t| t.layouts.is_none()));
}

/// Crates built without bele's rustc wrapper (`--no-layouts`) are fresh to cargo in the
/// next run, which would leave their layouts unrecorded: bele has cargo build them again.
#[test]
fn layouts_are_recorded_for_crates_built_before_without_them() {
    let records = support::repo().join("fixtures/target/bele/build/layouts");
    let _ = std::fs::remove_dir_all(&records);
    // The release profile: artifacts no other test of this file builds at the same time.
    let run = test_fixture("fx-layout", &[X86_64], &["--release", "--no-layouts"], &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = test_fixture("fx-layout", &[X86_64], &["--release"], &[]);
    let r = run.results.as_ref().unwrap();
    let t = &r.targets[0];
    let layouts = t.layouts.as_ref().expect("layouts recorded");
    assert!(layouts.unrecorded.is_empty(), "{:?}", layouts.unrecorded);
    let names: Vec<&str> = layouts.types.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Cmd", "Desc", "Handle", "Header"]);
    assert!(t.build.as_ref().unwrap().compiled > 0, "built again");
}

/// With no test declaring or asserting any layout, bele compares what the compiler laid
/// out: the `#[repr(C)]` descriptor with a `u64` after a `u32` differs where `u64` aligns to
/// 4, the struct with a `usize` follows the pointer width (shown, not failing unless
/// `--strict`), the packed header and the `#[repr(u8)]` enum agree everywhere.
#[test]
fn layouts_from_the_compiler_are_compared_with_no_test_written() {
    const ARMV7: &str = "armv7-unknown-linux-gnueabihf";
    let targets = [X86_64, I686, ARMV7];
    let run = test_fixture("fx-layout", &targets, &[], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let r = run.results.as_ref().unwrap();
    for t in &r.targets {
        let layouts = t.layouts.as_ref().unwrap_or_else(|| panic!("{}", t.triple));
        let names: Vec<&str> = layouts.types.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["Cmd", "Desc", "Handle", "Header"], "{}", t.triple);
        assert!(layouts.unrecorded.is_empty(), "{:?}", layouts.unrecorded);
    }
    let doc = derived(&run);
    let found = doc["layout_differences"].as_array().unwrap();
    let names: Vec<&str> = found.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Desc", "Handle"], "{}", run.stdout);
    let desc = &found[0];
    assert_eq!(desc["verdict"], "u64-align-4-only", "{desc}");
    assert_eq!(desc["pointer_width"], false);
    assert_eq!(
        desc["comparisons"][0]["differing"],
        serde_json::json!([I686])
    );
    let fields = desc["comparisons"][0]["changes"].as_str().unwrap();
    assert!(
        fields.starts_with(
            "`addr` at offset 4 (8 elsewhere), `flags` at offset 12 (16 elsewhere), size 16 (24 elsewhere)"
        ),
        "{fields}"
    );
    let handle = &found[1];
    assert_eq!(handle["pointer_width"], true, "{handle}");
    assert_eq!(
        handle["comparisons"][0]["differing"],
        serde_json::json!([I686, ARMV7])
    );
    assert!(
        run.stdout
            .contains("layout differs where u64 aligns to 4 (i686)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(fields), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("0 failed, 0 skipped, 1 layout differs, 1 pointer-width dependent layout"),
        "{}",
        run.stdout
    );
    let row = |name: &str| -> Vec<String> {
        let line = (run.stdout.lines())
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name}: {}", run.stdout));
        line.split_whitespace()
            .skip(2)
            .take(3)
            .map(String::from)
            .collect()
    };
    assert_eq!(row("layout fx_layout::Desc "), [".", "L", "."]);
    assert_eq!(row("layout fx_layout::Handle "), [".", "w", "w"]);
    for format in ["md", "html", "junit", "ktap", "github"] {
        // GitHub's annotation titles escape `:` and `,`.
        let text = report(&run.results_file, format)
            .replace("%3A", ":")
            .replace("%2C", ",");
        assert!(text.contains("fx_layout::Desc"), "{format}: {text}");
        assert!(text.contains("u64 aligns to 4"), "{format}: {text}");
        assert!(text.contains("pointer-width dependent"), "{format}: {text}");
        assert!(!text.contains("fx_layout::Header"), "{format}: {text}");
    }
    // Under --strict the pointer-width dependent layout fails the run too.
    let run = test_fixture("fx-layout", &[X86_64, I686], &["--strict"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("2 layouts differ, 1 pointer-width dependent layout"),
        "{}",
        run.stdout
    );
}

/// Between runs a crate is compiled again incrementally while none of its types changed:
/// rustc then prints only the layouts it computes again, and bele keeps the rest from the
/// last record. Edit a function: the layouts stay whole. Edit a type: they follow it.
#[test]
fn layouts_follow_edits_between_runs() {
    let dir = support::scratch_crate("fx_edits", false);
    let src = |desc: &str, body: &str| {
        format!(
            "#[repr(C)]\n#[derive(Default)]\npub struct Desc {{ {desc} }}\n\
             #[repr(C)]\npub struct Other {{ pub a: u8, pub b: u16 }}\n\
             pub fn len(d: &Desc) -> u32 {{ {body} }}\n\
             pub fn other(o: &Other) -> u16 {{ o.b + u16::from(o.a) }}\n\
             #[test]\nfn it_builds() {{ assert_eq!(len(&Desc {{ len: 3, ..Default::default() }}), 3); }}\n"
        )
    };
    let lib = dir.join("src/lib.rs");
    let manifest = dir.join("Cargo.toml");
    let run = |n: usize| {
        support::bele(
            &[
                "test",
                "--manifest-path",
                manifest.to_str().unwrap(),
                "--targets",
                &format!("{X86_64},{I686}"),
            ],
            &[],
            &format!("edits-{n}"),
        )
    };
    let desc_of = |r: &support::Run, triple: &str| -> (u64, Vec<(String, u64)>) {
        let t = (r.results.as_ref().unwrap().targets.iter())
            .find(|t| t.triple == triple)
            .unwrap();
        let l = (t.layouts.as_ref().unwrap().types.iter())
            .find(|l| l.name == "Desc")
            .unwrap_or_else(|| panic!("no Desc on {triple}: {:?}", t.layouts));
        let fields = l
            .shape
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.offset))
            .collect();
        (l.shape.size, fields)
    };
    std::fs::write(&lib, src("pub len: u32, pub addr: u64", "d.len")).unwrap();
    let first = run(0);
    assert_eq!(first.code, 1, "{}", first.stdout);
    assert_eq!(desc_of(&first, I686).0, 12);
    // A function edited, no type: the layouts are as before, every type still there.
    std::fs::write(&lib, src("pub len: u32, pub addr: u64", "d.len + 0")).unwrap();
    let second = run(1);
    assert_eq!(second.code, 1, "{}", second.stdout);
    for triple in [X86_64, I686] {
        assert_eq!(
            desc_of(&second, triple),
            desc_of(&first, triple),
            "{triple}"
        );
        let t = (second.results.as_ref().unwrap().targets.iter())
            .find(|t| t.triple == triple)
            .unwrap();
        let names: Vec<&str> = (t.layouts.as_ref().unwrap().types.iter())
            .map(|l| l.name.as_str())
            .collect();
        assert_eq!(names, ["Desc", "Other"], "{triple}");
    }
    assert!(
        second.stdout.contains("layout of `fx_edits::Desc`"),
        "{}",
        second.stdout
    );
    // The type edited: the padding made explicit, the same layout everywhere.
    std::fs::write(
        &lib,
        src("pub len: u32, pub pad: u32, pub addr: u64", "d.len"),
    )
    .unwrap();
    let third = run(2);
    assert_eq!(third.code, 0, "{}", third.stdout);
    let (size, fields) = desc_of(&third, X86_64);
    assert_eq!(size, 16);
    let fields: Vec<(&str, u64)> = fields.iter().map(|(n, o)| (n.as_str(), *o)).collect();
    assert_eq!(fields, [("len", 0), ("pad", 4), ("addr", 8)]);
    assert_eq!(desc_of(&third, I686).0, 16);
}

/// `#[repr(C)]` descriptors declared where rustc prints paths no declaration spells: in a
/// trait impl's method (`<Ring as Encode>::encoded_len::TraitDesc`), a generic impl's method
/// (`Wrap<T>::packed_len::GenericDesc`), a `const _` block (`_::HiddenDesc`) and a closure
/// (`Ring::closure::{closure#0}::ClosureDesc`): each is compared like any other, a `u32`
/// then a `u64` differing where `u64` aligns to 4, and none is "not compared".
#[test]
fn nested_repr_types_are_compared_like_any_other() {
    let dir = support::scratch_crate("nested-layouts", false);
    std::fs::write(
        dir.join("src/lib.rs"),
        include_str!("captured/unpretty-expanded-nested.txt")
            .lines()
            .skip_while(|l| !l.starts_with("pub trait Encode"))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n\n#[test]\nfn uses_them() {\n    assert!(use_all() > 0);\n}\n",
    )
    .unwrap();
    let targets = [X86_64, I686, "armv7-unknown-linux-gnueabihf"].join(",");
    let run = support::bele_on(&dir, &targets, &[], &[], "nested-layouts");
    let r = run
        .results
        .as_ref()
        .unwrap_or_else(|| panic!("{}\n{}", run.stdout, run.stderr));
    assert_eq!(run.code, 1, "{}", run.stdout);
    for t in &r.targets {
        let layouts = t.layouts.as_ref().unwrap();
        assert!(
            layouts.not_laid_out.is_empty(),
            "{}: {:?}",
            t.triple,
            layouts.not_laid_out
        );
    }
    let doc = derived(&run);
    let found = doc["layout_differences"].as_array().unwrap();
    let mut names: Vec<&str> = found.iter().map(|l| l["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "<Ring as Encode>::encoded_len::TraitDesc",
            "<Wrap<T> as Encode>::encoded_len::TraitGenericDesc",
            "Ring::closure::{closure#0}::ClosureDesc",
            "Ring::inherent::InherentDesc",
            "Wrap<T>::packed_len::GenericDesc",
            "_::HiddenDesc",
        ],
        "{}",
        run.stdout
    );
    assert!(
        found.iter().all(|l| l["verdict"] == "u64-align-4-only"),
        "{found:?}"
    );
    assert!(!run.stdout.contains("not compared"), "{}", run.stdout);
}

/// cargo runs the layout wrapper with whatever `$RUSTC` names: a compiler whose file name
/// does not start with `rustc` is wrapped like any other, and its crates' layouts recorded.
#[test]
#[allow(clippy::disallowed_methods)] // asks rustup where the real compiler is
fn a_compiler_of_any_name_is_wrapped() {
    let dir = support::scratch_crate("any-rustc", false);
    std::fs::write(
        dir.join("src/lib.rs"),
        "//! One repr type.\n\n#[repr(C)]\npub struct D {\n    pub a: u32,\n    pub b: u64,\n}\n\n\
         #[test]\nfn makes_one() {\n    assert_eq!(D { a: 1, b: 2 }.b, 2);\n}\n",
    )
    .unwrap();
    let out = std::process::Command::new("rustup")
        .args(["which", "rustc"])
        .output()
        .unwrap();
    let real = String::from_utf8(out.stdout).unwrap();
    let compiler = dir.join("my-compiler");
    std::os::unix::fs::symlink(real.trim(), &compiler).unwrap();
    let rustc = [("RUSTC", compiler.to_str().unwrap())];
    let run = support::bele_on(&dir, X86_64, &[], &rustc, "any-rustc");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = run.results.as_ref().unwrap();
    let layouts = r.targets[0].layouts.as_ref().expect("layouts recorded");
    let names: Vec<&str> = layouts.types.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["D"]);
    assert!(layouts.unrecorded.is_empty(), "{:?}", layouts.unrecorded);
}

/// A workspace wrapper the user's `.cargo/config.toml` sets (`build.rustc-workspace-wrapper`,
/// a path relative to the crate) still runs under bele's recording wrapper, for every
/// compilation of the crate, and the layouts are recorded all the same.
#[test]
fn a_configured_workspace_wrapper_still_runs() {
    use std::os::unix::fs::PermissionsExt;
    let dir = support::scratch_crate("configured-wrapper", false);
    std::fs::write(
        dir.join("src/lib.rs"),
        "//! One repr type.\n\n#[repr(C)]\npub struct D {\n    pub a: u32,\n    pub b: u64,\n}\n\n\
         #[test]\nfn makes_one() {\n    assert_eq!(D { a: 1, b: 2 }.b, 2);\n}\n",
    )
    .unwrap();
    let marker = dir.join("wrapped.log");
    let wrap = dir.join("tools/wrap.sh");
    std::fs::create_dir_all(wrap.parent().unwrap()).unwrap();
    std::fs::write(
        &wrap,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexec \"$@\"\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrap, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    std::fs::write(
        dir.join(".cargo/config.toml"),
        "[build]\nrustc-workspace-wrapper = \"tools/wrap.sh\"\n",
    )
    .unwrap();
    let run = support::bele_on(&dir, X86_64, &[], &[], "configured-wrapper");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let log = std::fs::read_to_string(&marker).unwrap_or_default();
    assert!(
        log.contains("--crate-name configured_wrapper"),
        "the user's wrapper ran: {log}"
    );
    assert!(log.contains("-Zprint-type-sizes"), "under bele's: {log}");
    let r = run.results.as_ref().unwrap();
    let layouts = r.targets[0].layouts.as_ref().expect("layouts recorded");
    let names: Vec<&str> = layouts.types.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["D"]);
}
