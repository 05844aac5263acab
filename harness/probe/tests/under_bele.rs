//! Under bele (`BELE_PROBE_FILE` set), records are appended per test thread, whole lines,
//! in each thread's order, and survive a process that aborts right after recording.
#![allow(clippy::disallowed_methods)] // the crash check starts this test binary again

use std::path::PathBuf;
use std::process::Command;

fn file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bele-probe-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Runs this test binary's test `name` alone as a child, recording to `path`.
fn child(name: &str, path: &PathBuf) -> std::process::ExitStatus {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--test-threads=1"])
        .env(bele_probe::ENV, path)
        .env("BELE_PROBE_TEST_CHILD", "1")
        .output()
        .unwrap()
        .status
}

fn records(path: &PathBuf) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

/// Started again by `a_crash_keeps_what_was_recorded` with the variable set: records, then
/// dies of SIGABRT without unwinding or flushing anything.
#[test]
fn child_records_then_aborts() {
    if std::env::var_os("BELE_PROBE_TEST_CHILD").is_none() {
        return;
    }
    bele_probe::wire("before-crash", &[0xde, 0xad]);
    bele_probe::wire("before-crash", &[0xbe, 0xef]);
    std::process::abort();
}

#[test]
fn a_crash_keeps_what_was_recorded() {
    let path = file("crash.probe");
    let _ = std::fs::remove_file(&path);
    let status = child("child_records_then_aborts", &path);
    assert!(!status.success(), "the child must die");
    let got = records(&path);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        got[0][..4],
        ["w", "child_records_then_aborts", "before-crash", "2"]
    );
    assert_eq!(got[1][5], "beef");
}

#[test]
fn concurrent_threads_keep_their_own_order() {
    let path = file("threads.probe");
    let _ = std::fs::remove_file(&path);
    let status = child("child_threads_record", &path);
    assert!(status.success());
    let got = records(&path);
    assert_eq!(got.len(), 8 * 500, "every record is a whole line");
    for t in 0..8u32 {
        let name = format!("mod::test_{t}");
        let seq: Vec<u32> = got
            .iter()
            .filter(|r| r[1] == name)
            .map(|r| u32::from_str_radix(&r[5], 16).unwrap())
            .collect();
        assert_eq!(seq, (0..500u32).collect::<Vec<_>>(), "{name}");
    }
}

/// Eight threads named like tests, recording at once.
#[test]
fn child_threads_record() {
    if std::env::var_os("BELE_PROBE_TEST_CHILD").is_none() {
        return;
    }
    assert!(bele_probe::enabled());
    let handles: Vec<_> = (0..8u32)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("mod::test_{t}"))
                .spawn(move || {
                    for i in 0..500u32 {
                        bele_probe::wire("counter", &i.to_be_bytes());
                    }
                })
                .unwrap()
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Started again by `a_layout_is_recorded_as_text_records` with the variable set.
#[test]
fn child_declares_a_layout() {
    if std::env::var_os("BELE_PROBE_TEST_CHILD").is_none() {
        return;
    }
    #[repr(C)]
    struct Desc {
        len: u32,
        addr: u64,
    }
    bele_probe::layout!(Desc { len, addr });
}

#[test]
fn a_layout_is_recorded_as_text_records() {
    let path = file("layout.probe");
    let _ = std::fs::remove_file(&path);
    let status = child("child_declares_a_layout", &path);
    assert!(status.success());
    let got = records(&path);
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let align = std::mem::align_of::<u64>();
    let expected = [
        format!("size {} align {align}", 8 + align),
        "len 0 4".to_string(),
        format!("addr {align} 8"),
    ];
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for (line, text) in got.iter().zip(&expected) {
        assert_eq!(
            line[..3],
            ["l", "child_declares_a_layout", "Desc"],
            "{line:?}"
        );
        assert_eq!(line[3], text.len().to_string());
        assert_eq!(line[5], hex(text), "{text}");
    }
}
