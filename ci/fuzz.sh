#!/usr/bin/env bash
# Fuzzes bele's parsers (harness/fuzz): libtest listings and events, cargo's messages, QEMU's
# output and the capped line reader, results files (then rendered in every format) and
# probe files. Installs what it needs (a minimal nightly toolchain, cargo-fuzz), runs every
# input in harness/fuzz/regressions/<target>/ (each crash ever found), then fuzzes each
# target for FUZZ_SECS seconds (default 20) from a corpus seeded with captured output.
# A crash leaves its input in harness/fuzz/artifacts/<target>/: copy it to regressions/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECS:-20}
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
tools=$PWD/target/tools
[ -x "$tools/bin/cargo-fuzz" ] || cargo install -q --locked cargo-fuzz --version 0.13.2 --root "$tools"
export PATH="$tools/bin:$PATH"
cd harness/fuzz
cargo +nightly fuzz build -O
captured=../tests/captured
seeds() {
  case $1 in
    libtest) echo "$captured"/libtest-* "$captured"/proptest-* "$captured"/rustdoc-* ;;
    cargo_messages) echo "$captured"/cargo-messages-* ;;
    qemu_output) echo "$captured"/libtest-json-* "$captured"/proptest-verbose2-stderr.txt ;;
    results_file) echo seeds/results_file/* ;;
    probe_file) echo "$captured"/probe-* ;;
  esac
}
for t in libtest cargo_messages qemu_output results_file probe_file; do
  corpus=corpus/$t
  mkdir -p "$corpus"
  for f in $(seeds "$t"); do [ -f "$f" ] && cp "$f" "$corpus/"; done
  if compgen -G "regressions/$t/*" >/dev/null; then
    echo "fuzz $t: regressions"
    cargo +nightly fuzz run -O "$t" regressions/"$t"/*
  fi
  echo "fuzz $t: ${secs}s"
  log=$(mktemp)
  if ! cargo +nightly fuzz run -O "$t" "$corpus" -- -max_total_time="$secs" -max_len=65536 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz $t: crashed (input in harness/fuzz/artifacts/$t/; copy it to harness/fuzz/regressions/$t/)" >&2
    exit 1
  fi
  grep -E '^Done [0-9]+ runs' "$log" || true
  rm -f "$log"
done
