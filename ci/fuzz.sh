#!/usr/bin/env bash
# Fuzzes bele's parsers (harness/fuzz): libtest listings and events, cargo's messages, QEMU's
# output and the capped line reader, results files (then rendered in every format) and
# probe files. Runs every input in harness/fuzz/regressions/<target>/ (each crash ever
# found), then fuzzes each target for FUZZ_SECS seconds (default 20), two at a time, from a
# corpus seeded with captured output. A crash leaves its input in
# harness/fuzz/artifacts/<target>/: copy it to regressions/.
#
# The targets are libFuzzer binaries built by stable cargo with the coverage instrumentation
# cargo-fuzz gives them (its flags, less the address sanitizer: the parsers are safe Rust,
# so a bug shows as a panic, which libFuzzer catches without it), in the dev profile's
# checks (harness/fuzz/Cargo.toml says why not optimised). `cargo +nightly fuzz build -O`
# (release, one codegen unit, ASan) took 298 s here, after installing nightly and cargo-fuzz
# (61 s), to fuzz for 100 s; this build takes ~80 s. `cargo +nightly fuzz run <target>`
# still works on the same targets for longer sessions.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECS:-20}
host=$(rustc -vV | sed -n 's/^host: //p')
target_dir=$PWD/target/fuzz
flags=(
  -Cpasses=sancov-module
  -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters
  -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares
  -Cllvm-args=-sanitizer-coverage-stack-depth
  -Cllvm-args=-simplifycfg-branch-fold-threshold=0
  --cfg fuzzing
)
# `--target` keeps the instrumentation off build scripts and proc-macros, as cargo-fuzz does.
RUSTFLAGS="${flags[*]}" cargo build -q --manifest-path harness/fuzz/Cargo.toml --bins \
  --profile fuzz --target "$host" --target-dir "$target_dir"
bin=$target_dir/$host/fuzz
cd harness/fuzz
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
# One target: its regressions, then FUZZ_SECS of fuzzing; its log is printed when it fails.
fuzz() {
  local t=$1 corpus=corpus/$1 log
  log=$(mktemp)
  mkdir -p "$corpus" "artifacts/$t"
  for f in $(seeds "$t"); do [ -f "$f" ] && cp "$f" "$corpus/"; done
  if compgen -G "regressions/$t/*" >/dev/null && ! "$bin/$t" regressions/"$t"/* >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz $t: a regression input crashes again (harness/fuzz/regressions/$t/)" >&2
    return 1
  fi
  if ! "$bin/$t" "$corpus" -artifact_prefix="artifacts/$t/" -max_total_time="$secs" \
    -max_len=65536 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz $t: crashed (input in harness/fuzz/artifacts/$t/; copy it to harness/fuzz/regressions/$t/)" >&2
    return 1
  fi
  echo "fuzz $t: ${secs}s, $(grep -Eo '^Done [0-9]+ runs' "$log" || echo 'no run count')"
  rm -f "$log"
}
# libFuzzer uses one core: two targets at a time on two cores.
code=0
targets=(libtest cargo_messages qemu_output results_file probe_file)
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do
    fuzz "$t" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || code=1; done
done
exit "$code"
