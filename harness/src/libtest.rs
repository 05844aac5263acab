//! Parsers for what a libtest executable prints: its `--list --format terse` listing and
//! its `--format json` event stream. Text in, data out; tested on captured output.

use serde::Deserialize;

/// The names of the tests (not benchmarks) in a `--list --format terse` listing.
pub fn parse_listing(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_string)
        .collect()
}

/// One line of libtest's JSON output, as far as bele cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started {
        name: String,
    },
    Passed {
        name: String,
        seconds: Option<f64>,
    },
    Failed {
        name: String,
        seconds: Option<f64>,
        output: String,
    },
    Ignored {
        name: String,
        reason: Option<String>,
    },
    /// Suite start and end, and event kinds bele has no use for.
    Other,
    /// Not a libtest event: output a test wrote straight to the stream.
    Text(String),
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "type")]
    kind: String,
    event: String,
    name: Option<String>,
    exec_time: Option<f64>,
    stdout: Option<String>,
    message: Option<String>,
}

/// Parses one line of `--format json` output. Never fails: what is not an event is text.
pub fn parse_event(line: &str) -> Event {
    let text = || Event::Text(line.to_string());
    let trimmed = line.trim();
    if !trimmed.starts_with('{') {
        return text();
    }
    let Ok(raw) = serde_json::from_str::<Raw>(trimmed) else {
        return text();
    };
    if raw.kind != "test" {
        return if raw.kind == "suite" {
            Event::Other
        } else {
            text()
        };
    }
    let Some(name) = raw.name else {
        return text();
    };
    match raw.event.as_str() {
        "started" => Event::Started { name },
        "ok" => Event::Passed {
            name,
            seconds: raw.exec_time,
        },
        "failed" | "timeout" => Event::Failed {
            name,
            seconds: raw.exec_time,
            output: raw.stdout.or(raw.message).unwrap_or_default(),
        },
        "ignored" => Event::Ignored {
            name,
            reason: raw.message,
        },
        _ => Event::Other,
    }
}

/// The minimal failing input proptest reports in a failed property's output, after
/// shrinking (`minimal failing input: v = 1, slot = 0`; multi-line for `{:#?}` values).
pub fn proptest_minimal_input(output: &str) -> Option<String> {
    let start = output.find("minimal failing input: ")? + "minimal failing input: ".len();
    let rest = &output[start..];
    let end = rest.find("\n\tsuccesses:").unwrap_or(rest.len());
    Some(rest[..end].trim().to_string()).filter(|s| !s.is_empty())
}

/// The input in one line proptest prints per case under `PROPTEST_VERBOSE=2`
/// (`proptest: Next test input: (1, 2)`), or `None` for any other line.
pub fn proptest_input_line(line: &str) -> Option<&str> {
    line.strip_prefix("proptest: Next test input: ")
}

/// The signal that killed a doc-test, from rustdoc's report of it
/// (`Test executable failed (signal: 6 (SIGABRT)).`); `None` when it exited by itself.
pub fn doctest_signal(output: &str) -> Option<i32> {
    let rest = output
        .lines()
        .find_map(|l| l.trim().strip_prefix("Test executable failed (signal: "))?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A word (no whitespace) of a doc-test's name that selects it as a libtest filter, among
/// others: its item (`mmio::Reg::read`), or its file for crate-level examples. rustdoc
/// names doc-tests `<file> - <item> (line <n>)` and splits filters at whitespace, so a
/// whole name cannot select one doc-test.
pub fn doc_test_word(name: &str) -> &str {
    let (file, item) = doc_test_parts(name).map_or((name, ""), |(file, item, _)| (file, item));
    match item.split_whitespace().collect::<Vec<_>>().as_slice() {
        [one] => one,
        _ => file.split_whitespace().next().unwrap_or(name),
    }
}

/// The parts of a doc-test's name as rustdoc gives it, `<file> - <item> (line <n>)`: the
/// file, the item (empty for crate-level examples) and the line; `None` without ` - `.
pub fn doc_test_parts(name: &str) -> Option<(&str, &str, Option<u32>)> {
    let (file, rest) = name.split_once(" - ")?;
    Some(match rest.rsplit_once("(line ") {
        Some((item, line)) => (
            file,
            item.trim_end(),
            line.strip_suffix(')').and_then(|l| l.parse().ok()),
        ),
        None => (file, rest, None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = include_str!("../tests/captured/libtest-list-terse.txt");
    const RUN: &str = include_str!("../tests/captured/libtest-json-x86_64.txt");
    const NOCAPTURE: &str = include_str!("../tests/captured/libtest-json-nocapture.txt");
    const VERBOSE: &str = include_str!("../tests/captured/proptest-verbose2-stderr.txt");

    #[test]
    fn proptest_inputs_from_captured_verbose_output() {
        let inputs: Vec<&str> = VERBOSE.lines().filter_map(proptest_input_line).collect();
        assert_eq!(
            inputs,
            [
                "v = 921562233, slot = 3",
                "v = 30780906, slot = 3",
                "v = 1859362299, slot = 2"
            ]
        );
    }

    #[test]
    fn listing_names_tests_and_skips_benches() {
        assert_eq!(
            parse_listing(LISTING),
            ["t::fails", "t::ignored", "t::passes", "t::prints"]
        );
        assert_eq!(
            parse_listing("a::b: bench\nc: test\n\n2 tests, 0 benchmarks\n"),
            ["c"]
        );
    }

    #[test]
    fn captured_run() {
        let events: Vec<Event> = RUN.lines().map(parse_event).collect();
        assert_eq!(events[0], Event::Other);
        assert_eq!(
            events[1],
            Event::Started {
                name: "t::fails".into()
            }
        );
        match &events[2] {
            Event::Failed {
                name,
                seconds,
                output,
            } => {
                assert_eq!(name, "t::fails");
                assert!(seconds.unwrap() > 0.0);
                assert!(output.starts_with("some stdout\n"), "{output}");
                assert!(
                    output.contains("assertion `left == right` failed: byte order"),
                    "{output}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            events[4],
            Event::Ignored {
                name: "t::ignored".into(),
                reason: Some("needs hardware".into())
            }
        );
        assert!(
            matches!(&events[6], Event::Passed { name, seconds: Some(_) } if name == "t::passes")
        );
        assert_eq!(events.last(), Some(&Event::Other));
    }

    #[test]
    fn nocapture_output_is_text_between_events() {
        let events: Vec<Event> = NOCAPTURE.lines().map(parse_event).collect();
        assert_eq!(
            events[1],
            Event::Started {
                name: "t::fails".into()
            }
        );
        assert_eq!(events[2], Event::Text("some stdout".into()));
        assert!(events
            .iter()
            .any(|e| matches!(e, Event::Text(t) if t.contains("panicked at"))));
        assert!(
            matches!(&events[events.len() - 2], Event::Failed { output, .. } if output.is_empty())
        );
    }

    #[test]
    fn minimal_input_from_captured_proptest_failures() {
        let ppc = include_str!("../tests/captured/proptest-failure-powerpc.txt");
        assert_eq!(
            proptest_minimal_input(ppc).as_deref(),
            Some("start = 1, step = 0")
        );
        let s390x = include_str!("../tests/captured/proptest-failure-s390x.txt");
        assert_eq!(
            proptest_minimal_input(s390x).as_deref(),
            Some("bytes = [\n    0,\n    0,\n    0,\n    1,\n]")
        );
        assert_eq!(proptest_minimal_input("assertion failed"), None);
    }

    #[test]
    fn doc_tests_from_captured_rustdoc_output() {
        let text = include_str!("../tests/captured/rustdoc-json-powerpc.txt");
        let failed: Vec<(String, Option<i32>)> = text
            .lines()
            .filter_map(|l| match parse_event(l) {
                Event::Failed { name, output, .. } => Some((name, doctest_signal(&output))),
                _ => None,
            })
            .collect();
        assert_eq!(
            failed,
            [
                ("src/lib.rs - crash (line 23)".to_string(), Some(6)),
                ("src/lib.rs - read_le (line 5)".to_string(), None),
            ]
        );
        assert_eq!(
            doctest_signal("Test executable failed (exit status: 101)."),
            None
        );
        assert_eq!(doc_test_word("src/lib.rs - read_le (line 5)"), "read_le");
        assert_eq!(
            doc_test_word("src/lib.rs - Reg<u32>::get (line 50)"),
            "Reg<u32>::get"
        );
        assert_eq!(doc_test_word("src/lib.rs - (line 3)"), "src/lib.rs");
        assert_eq!(doc_test_word("no dash here"), "no");
        assert_eq!(
            doc_test_parts("src/lib.rs - Reg::get (line 50)"),
            Some(("src/lib.rs", "Reg::get", Some(50)))
        );
        assert_eq!(
            doc_test_parts("src/lib.rs - (line 3)"),
            Some(("src/lib.rs", "", Some(3)))
        );
        assert_eq!(doc_test_parts("plain::name"), None);
        assert_eq!(doctest_signal("Test executable failed (signal: x"), None);
    }

    #[test]
    fn json_looking_test_output_is_text() {
        assert_eq!(
            parse_event("{\"type\": \"looks like json\"}"),
            Event::Text("{\"type\": \"looks like json\"}".into())
        );
        assert_eq!(parse_event("{ broken"), Event::Text("{ broken".into()));
        assert_eq!(parse_event(""), Event::Text(String::new()));
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,200}") {
            let _ = parse_event(&s);
            let _ = parse_listing(&s);
            let _ = proptest_minimal_input(&s);
            let _ = doctest_signal(&s);
            let _ = doc_test_word(&s);
        }
    }
}
