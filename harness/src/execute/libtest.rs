//! Parsers for what a libtest executable prints: its `--list --format terse` listing and
//! its `--format json` event stream. Text in, data out; tested on captured output.

use serde::Deserialize;

/// The names of the tests (not benchmarks) in a `--list --format terse` listing.
pub fn parse_listing(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(listed_test)
        .map(str::to_string)
        .collect()
}

/// The test a line of a `--list --format terse` listing names, if it names a test.
pub fn listed_test(line: &str) -> Option<&str> {
    line.strip_suffix(": test")
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
        /// The event's line was too long to keep whole: `cut.1` bytes of the output are
        /// gone at byte `cut.0` of `output`.
        cut: Option<(usize, u64)>,
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
        // `timeout` is libtest's warning that a test has run for 60 s (sent only when tests
        // run concurrently); the test's own result follows. bele keeps its own clock.
        "failed" => Event::Failed {
            name,
            seconds: raw.exec_time,
            output: raw.stdout.or(raw.message).unwrap_or_default(),
            cut: None,
        },
        "ignored" => Event::Ignored {
            name,
            reason: raw.message,
        },
        _ => Event::Other,
    }
}

/// Parses a line of `--format json` output that was too long to keep whole, from its start,
/// its end and how many bytes were cut between: a failed test's event whose captured output
/// was huge. libtest writes such an event as `{ "type": "test", "name": "…", "event":
/// "failed"[, "exec_time": …], "stdout": "…"[, "message": "…"] }`, so the start holds the
/// name and the output's start, the end the output's end. `None` when the line is not
/// such an event (it is then text).
pub fn parse_cut_event(head: &str, tail: &str, bytes: u64) -> Option<Event> {
    const STDOUT: &str = r#", "stdout": ""#;
    const MESSAGE: &str = r#"", "message": ""#;
    let head = head.trim_start();
    let key = head.find(STDOUT)?;
    let fields: Raw = serde_json::from_str(&format!("{} }}", &head[..key])).ok()?;
    if fields.kind != "test" || fields.event != "failed" {
        return None;
    }
    let end = tail.trim_end().strip_suffix('}')?.trim_end();
    // A quote cannot appear unescaped inside a JSON string, so the last `", "message": "`
    // is where the output ends and libtest's message starts.
    let end = match end.rfind(MESSAGE) {
        Some(i) => &end[..i],
        None => end.strip_suffix('"')?,
    };
    let mut output = unescape_lenient(&head[key + STDOUT.len()..]);
    let at = output.len();
    output.push_str(&unescape_lenient(end));
    Some(Event::Failed {
        name: fields.name?,
        seconds: fields.exec_time,
        output,
        cut: Some((at, bytes)),
    })
}

/// The text of a piece of a JSON string's contents, cut anywhere: escapes decoded, an escape
/// cut short at either end dropped, a lone surrogate replaced.
fn unescape_lenient(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let Some(mut code) = hex4(&hex) else {
                    continue;
                };
                if (0xD800..0xDC00).contains(&code) {
                    let mut ahead = chars.clone();
                    if ahead.next() == Some('\\') && ahead.next() == Some('u') {
                        let low: String = ahead.by_ref().take(4).collect();
                        if let Some(low) = hex4(&low) {
                            if (0xDC00..0xE000).contains(&low) {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                                chars = ahead;
                            }
                        }
                    }
                }
                out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn hex4(s: &str) -> Option<u32> {
    (s.len() == 4)
        .then(|| u32::from_str_radix(s, 16).ok())
        .flatten()
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

    const LISTING: &str = include_str!("../../tests/captured/libtest-list-terse.txt");
    const RUN: &str = include_str!("../../tests/captured/libtest-json-x86_64.txt");
    const NOCAPTURE: &str = include_str!("../../tests/captured/libtest-json-nocapture.txt");
    const VERBOSE: &str = include_str!("../../tests/captured/proptest-verbose2-stderr.txt");

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
                cut: None,
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
        let ppc = include_str!("../../tests/captured/proptest-failure-powerpc.txt");
        assert_eq!(
            proptest_minimal_input(ppc).as_deref(),
            Some("start = 1, step = 0")
        );
        let s390x = include_str!("../../tests/captured/proptest-failure-s390x.txt");
        assert_eq!(
            proptest_minimal_input(s390x).as_deref(),
            Some("bytes = [\n    0,\n    0,\n    0,\n    1,\n]")
        );
        assert_eq!(proptest_minimal_input("assertion failed"), None);
    }

    #[test]
    fn doc_tests_from_captured_rustdoc_output() {
        let text = include_str!("../../tests/captured/rustdoc-json-powerpc.txt");
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

    /// A failed event whose line was cut (as the line reader cuts it) still names its test
    /// and keeps the output's start and end, escapes decoded; a message after the output
    /// stays out of it.
    #[test]
    fn cut_failed_events_are_rebuilt_from_their_ends() {
        let line = RUN.lines().nth(2).unwrap();
        let (head, tail) = (&line[..110], &line[line.len() - 60..]);
        let cut = (line.len() - 170) as u64;
        match parse_cut_event(head, tail, cut) {
            Some(Event::Failed {
                name,
                output,
                cut: Some((at, n)),
                seconds: Some(_),
            }) => {
                assert_eq!(name, "t::fails");
                assert_eq!(n, cut);
                assert!(output[..at].starts_with("some"), "{output}");
                assert!(
                    output[at..].ends_with("display a backtrace\n"),
                    "{output:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        let with_message = r#"{ "type": "test", "name": "a::b", "event": "failed", "stdout": "x\"y\u00e9\ud83d\ude00"#;
        let tail = r#"end\n", "message": "note: test did not panic as expected" }"#;
        match parse_cut_event(with_message, tail, 10) {
            Some(Event::Failed { output, cut, .. }) => {
                assert_eq!(output, "x\"yé😀end\n");
                assert_eq!(cut, Some((9, 10)));
            }
            other => panic!("{other:?}"),
        }
        // Escapes cut short at either end are dropped, not decoded as something else.
        assert_eq!(unescape_lenient("ab\\u00"), "ab");
        assert_eq!(unescape_lenient("ab\\"), "ab");
        assert_eq!(parse_cut_event("plain text", "more", 3), None);
        let ok = r#"{ "type": "test", "name": "p", "event": "ok", "stdout": "x"#;
        assert_eq!(parse_cut_event(ok, "y\" }", 3), None);
    }

    proptest::proptest! {
        #[test]
        fn cut_event_parser_never_panics(h in "\\PC{0,200}", t in "\\PC{0,100}", n in 0u64..9) {
            let _ = parse_cut_event(&h, &t, n);
            let _ = unescape_lenient(&h);
        }

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
