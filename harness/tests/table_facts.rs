//! The target table's traits against what the compiler in use says of every target:
//! endianness, pointer width and 64-bit atomics from `rustc --print cfg`, `u64` alignment
//! from the target's LLVM data layout. No build, no QEMU: rustc knows tier-3 targets too.
//! (`c_char` signedness follows core::ffi's list; strict alignment is what QEMU does, which
//! the crash fixture shows in e2e.rs.)
#![allow(clippy::disallowed_methods)] // asks rustc directly

use std::process::Command;

use bele_targets::Table;

fn rustc(args: &[&str]) -> String {
    let o = Command::new("rustc")
        .args(args)
        .env("RUSTC_BOOTSTRAP", "1")
        .output()
        .expect("rustc");
    assert!(
        o.status.success(),
        "rustc {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn every_target_trait_agrees_with_rustc() {
    for t in Table::builtin().targets() {
        // A derived spec keeps its base's byte order, width, atomics and data layout.
        let known = t
            .spec
            .as_ref()
            .map_or(t.triple.as_str(), |s| s.from.as_str());
        let cfg = rustc(&["--print", "cfg", "--target", known]);
        let has = |line: &str| cfg.lines().any(|l| l == line);
        assert!(
            has(&format!("target_endian=\"{}\"", t.endian)),
            "{}: endian\n{cfg}",
            t.triple
        );
        assert!(
            has(&format!("target_pointer_width=\"{}\"", t.pointer_width)),
            "{}: width\n{cfg}",
            t.triple
        );
        assert_eq!(
            has("target_has_atomic=\"64\""),
            t.atomic64,
            "{}: atomic64",
            t.triple
        );
        let spec: serde_json::Value = serde_json::from_str(&rustc(&[
            "-Z",
            "unstable-options",
            "--print",
            "target-spec-json",
            "--target",
            known,
        ]))
        .unwrap();
        let layout = spec["data-layout"].as_str().unwrap();
        // LLVM's default for i64 is ABI alignment 32 bits; most layouts say i64:64.
        let align = if layout.split('-').any(|p| p == "i64:64") {
            8
        } else {
            4
        };
        assert_eq!(
            t.u64_align, align,
            "{}: u64_align vs data layout {layout}",
            t.triple
        );
    }
}
