//! End-to-end under extreme input: a failing test that prints a gigabyte in one line among
//! 10,000 passing tests, on the host and under QEMU. Outcomes stay right, the output keeps
//! its start and end with the cut marked, and bele's own memory stays bounded (VmHWM from
//! `/proc`, bele's process only, not the test processes').

mod support;

use bele::testing::{Outcome, TargetStatus};
use support::{bele_watched, scratch};

const TARGETS: &str = "x86_64-unknown-linux-gnu,s390x-unknown-linux-gnu";
const PASSING: usize = 10_000;
/// bele's own peak resident memory may not exceed this, whatever the tests print.
const PEAK_LIMIT_KB: u64 = 100 * 1024;

/// A crate of 10,000 passing tests and one that prints 1 GiB without a line break and fails.
fn extreme_crate() -> std::path::PathBuf {
    let dir = support::scratch_crate("extreme", false);
    let mut lib = String::from("//! Many tests, one loud.\n#[cfg(test)]\nmod t {\n");
    for i in 0..PASSING {
        lib.push_str(&format!(
            "#[test] fn p{i:05}() {{ assert_eq!({i}u32.wrapping_add(1), {}); }}\n",
            i + 1
        ));
    }
    lib.push_str(
        "#[test]\nfn gigabyte() {\n    let chunk = \"x\".repeat(1 << 20);\n    print!(\"HEAD-MARK\");\n    for _ in 0..1024 {\n        print!(\"{chunk}\");\n    }\n    panic!(\"TAIL-MARK after a gigabyte\");\n}\n}\n",
    );
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    dir
}

#[test]
fn a_gigabyte_of_failing_output_among_ten_thousand_tests_stays_bounded() {
    let dir = extreme_crate();
    let manifest = dir.join("Cargo.toml");
    let (run, peak_kb) = bele_watched(
        &[
            "test",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--targets",
            TARGETS,
        ],
        &[],
        "extreme",
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let results = run.results.expect("a results file");
    assert_eq!(results.targets.len(), 2);
    for t in &results.targets {
        assert_eq!(t.status, TargetStatus::Ran, "{}: {:?}", t.triple, t.reason);
        let tests: Vec<_> = t.binaries.iter().flat_map(|b| &b.tests).collect();
        let passed = tests
            .iter()
            .filter(|r| r.outcome == Outcome::Passed)
            .count();
        assert_eq!(
            (tests.len(), passed),
            (PASSING + 1, PASSING),
            "{}",
            t.triple
        );
        let loud = tests.iter().find(|r| r.name == "t::gigabyte").unwrap();
        assert_eq!(loud.outcome, Outcome::Failed, "{}", t.triple);
        let output = loud.output.as_deref().unwrap();
        assert!(
            output.starts_with("HEAD-MARKxxx"),
            "{}: {}",
            t.triple,
            &output[..40]
        );
        assert!(
            output.contains("TAIL-MARK after a gigabyte"),
            "{}",
            t.triple
        );
        let cut: u64 = output
            .split("[... ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}: no cut marker in the output", t.triple));
        assert!(cut > (1 << 30) - (1 << 20), "{}: {cut} bytes cut", t.triple);
        assert!(
            output.len() < 100 * 1024,
            "{}: {} bytes kept",
            t.triple,
            output.len()
        );
    }
    let size = std::fs::metadata(&run.results_file).unwrap().len();
    eprintln!("bele's peak memory {peak_kb} KiB; results file {size} bytes");
    assert!(
        peak_kb > 0 && peak_kb < PEAK_LIMIT_KB,
        "bele's own peak resident memory was {peak_kb} KiB"
    );
}

const LONG_NAME_LEN: usize = 10_000;

/// A crate whose tests have names and output that try to break reports: a non-ASCII name,
/// a 10 KB name, doc-tests named after `impl<'a> Wrap<&'a [u8]>` and a file called
/// `odd #<&"'.rs`, output with ANSI escapes, NUL, a BOM, `]]>`, `<!--` and invalid UTF-8.
fn hostile_crate() -> std::path::PathBuf {
    let dir = support::scratch_crate("hostile", true);
    let lib = r#"//! Names and output that try to break reports.
#[path = "odd #<&\"'.rs"]
pub mod odd;

/// A wrapper with a generic, borrowed parameter.
pub struct Wrap<T>(pub T);

impl<'a> Wrap<&'a [u8]> {
    /// The first byte.
    ///
    /// ```
    /// assert_eq!(hostile::Wrap(&[1u8, 2][..]).first(), 2, "<&\"]]>");
    /// ```
    pub fn first(&self) -> u8 {
        self.0[0]
    }
}

#[cfg(test)]
mod t {
    use std::io::Write;

    #[test]
    fn grüße_ünïcødé() {
        print!("\u{1b}[31mred\u{1b}[0m nul:\0: ]]> <!-- & \" ' \u{7} \u{feff} # not a directive\n");
        std::io::stdout().write_all(b"raw \xff\xfe invalid utf-8 \x1b[2J\n").unwrap();
        panic!("ünïcødé <failure> & \"quotes\" \u{1b}[0m\0");
    }

    #[test]
    fn LONG() {
        panic!("a long name fails");
    }

    #[test]
    fn passes() {}
}
"#
    .replace("LONG", &long_name());
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    std::fs::write(
        dir.join("src/odd #<&\"'.rs"),
        "//! A module in a file with an odd name.\n\n/// Two.\n///\n/// ```\n/// assert_eq!(hostile::odd::two(), 3);\n/// ```\npub fn two() -> u32 {\n    2\n}\n",
    )
    .unwrap();
    dir
}

fn long_name() -> String {
    let mut name = String::from("a_very_long_name_");
    name.push_str(&"x".repeat(LONG_NAME_LEN - name.len()));
    name
}

/// On the host and a 32-bit QEMU target every outcome is right and every report stays
/// valid for its reader: the results file for its JSON Schema, JUnit for its XSD (xmllint),
/// KTAP for the kernel's parser, the HTML in Chromium, and the text formats show each name
/// whole, without the control characters the tests printed.
#[test]
fn hostile_names_and_output_keep_every_report_valid() {
    let dir = hostile_crate();
    let manifest = dir.join("Cargo.toml");
    let run = support::bele(
        &[
            "test",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--targets",
            "x86_64-unknown-linux-gnu,i686-unknown-linux-gnu",
        ],
        &[],
        "hostile",
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let results = run.results.as_ref().unwrap();
    let long = format!("t::{}", long_name());
    let odd = "src/odd #<&\"'.rs - odd::two (line 5)";
    let wrap = "src/lib.rs - Wrap<&'a[u8]>::first (line 11)";
    for t in &results.targets {
        assert_eq!(t.status, TargetStatus::Ran, "{}: {:?}", t.triple, t.reason);
        let outcome = |name: &str| {
            t.binaries
                .iter()
                .flat_map(|b| &b.tests)
                .find(|r| r.name == name)
                .unwrap_or_else(|| panic!("{}: no result for {name:?}", t.triple))
        };
        for name in ["t::grüße_ünïcødé", long.as_str(), odd, wrap] {
            assert_eq!(
                outcome(name).outcome,
                Outcome::Failed,
                "{}: {name}",
                t.triple
            );
        }
        assert_eq!(outcome("t::passes").outcome, Outcome::Passed);
        let output = outcome("t::grüße_ünïcødé").output.clone().unwrap();
        for shown in [
            "ünïcødé <failure> & \"quotes\"",
            "raw \u{fffd}\u{fffd} invalid utf-8",
            "]]> <!--",
        ] {
            assert!(
                output.contains(shown),
                "{}: {shown:?} not in {output:?}",
                t.triple
            );
        }
    }
    support::check_machine_reports(&run.results_file);

    let plain = &run.stdout;
    for name in ["t::grüße_ünïcødé", long.as_str(), odd, wrap] {
        assert!(plain.contains(name), "the summary shows {name:.40} whole");
    }
    for format in ["md", "github"] {
        let text = support::report(&run.results_file, format);
        assert!(text.contains("grüße_ünïcødé"), "{format}");
        assert!(
            text.contains("odd #<&") || text.contains("odd #&lt;&amp;"),
            "{format}"
        );
        assert!(
            !text.contains(['\u{1b}', '\0', '\u{7}']),
            "{format} keeps control characters"
        );
    }
    assert!(
        !plain.contains(['\u{1b}', '\0', '\u{7}']),
        "the summary keeps control characters"
    );
    assert!(
        !plain.contains(&" ".repeat(200)),
        "no line of the summary is padded to the long name"
    );

    let html = scratch("hostile.html");
    std::fs::write(&html, support::report(&run.results_file, "html")).unwrap();
    let dom = support::chromium(&html, &["--dump-dom"], "");
    assert!(dom.contains("grüße_ünïcødé"), "{dom:.2000}");
    assert!(
        dom.contains("odd #&lt;&amp;\"'.rs - odd::two"),
        "{dom:.2000}"
    );
    assert!(
        dom.contains(&long_name()),
        "the long name is in the page whole"
    );
}
