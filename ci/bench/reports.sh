#!/usr/bin/env bash
# Benchmark: time to build every report format from a results file of 10,000 tests x 14
# targets (generated, with 2% failing on big-endian targets and 0.5% crashing on 32-bit).
#   ci/bench/reports.sh [TESTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
TESTS=${1:-10000}
cargo build -q --release -p bele
BELE=./target/release/bele
DIR=target/bench-reports
mkdir -p "$DIR"
python3 - "$TESTS" "$DIR/big.json" <<'PY'
import json, sys, tomllib
n, path = int(sys.argv[1]), sys.argv[2]
table = tomllib.load(open("targets/targets.toml", "rb"))["target"]
targets = []
for t in table:
    tests = []
    for i in range(n):
        outcome, output, signal, minimal = "passed", None, None, None
        if t["endian"] == "big" and i % 50 == 0:
            outcome, output, minimal = "failed", f"assertion failed at case {i}\nleft: 1\nright: 16777216", f"v = {i}"
        elif t["pointer_width"] == 32 and i % 200 == 1:
            outcome, output, signal = "crashed", "the test process died of signal 7 (SIGBUS)", "SIGBUS"
        tests.append({"name": f"module{i // 100}::tests::property_{i}", "outcome": outcome, "duration_ms": i % 17,
                      "output": output, "signal": signal, "minimal_input": minimal})
    targets.append({"triple": t["triple"], "arch": t["arch"], "endian": t["endian"], "pointer_width": t["pointer_width"],
        "runner": t["qemu"], "runner_prefix": [t["qemu"], "-L", t["sysroot"]], "qemu_version": "7.2.22", "std": t["std"],
        "status": "ran", "reason": None, "build": {"duration_ms": 1000, "success": True, "log_tail": None, "command": "cargo test"},
        "binaries": [{"id": "bench", "executable": "/t/bench-1", "cwd": "/src", "error": None, "tests": tests}]})
doc = {"schema_version": 3, "run_id": "bench", "started_at_ms": 0, "duration_ms": 0, "state": "complete",
       "host": {"name": "bench", "triple": "x86_64-unknown-linux-gnu", "cpus": 2},
       "toolchain": {"rustc": "rustc", "cargo": "cargo", "sysroot": "/"},
       "workspace": {"manifest_path": "/src/Cargo.toml", "commit": "bench", "packages": [], "features": [], "all_features": False, "no_default_features": False},
       "config": {"seed": 1, "timeout_secs": 300, "jobs": 2, "test_threads": 1}, "targets": targets}
json.dump(doc, open(path, "w"))
PY
echo "results file: $(du -h "$DIR/big.json" | cut -f1), $TESTS tests x 14 targets"
for f in json junit ktap md html; do
  s=$(date +%s.%N)
  $BELE report "$DIR/big.json" --format "$f" --out "$DIR/report.$f"
  e=$(date +%s.%N)
  printf '%-6s %6.2f s  %s\n' "$f" "$(python3 -c "print($e - $s)")" "$(du -h "$DIR/report.$f" | cut -f1)"
done
