#!/usr/bin/env bash
# The test suite: unit tests, parser tests on captured output, and end-to-end tests that
# run the real bele binary on the fixtures with real cross builds and real QEMU (x86_64,
# i686, armv7, armeb, mips and powerpc for 32-bit; aarch64_be, armeb, mips, powerpc, powerpc64,
# s390x and sparc64 for big-endian), and on a real kernel tree built as User Mode Linux
# (x86_64), for 32-bit ARMv7 and for big-endian s390x (both booted under qemu-system) with
# `bele kernel`; the
# compatibility corpus (the crates real test suites depend on) on all 16 targets.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase's wall time, printed as it ends and again at the end, so a CI log shows where
# the time goes.
phases=()
phase_start=$SECONDS
phase() {
  local took=$((SECONDS - phase_start))
  phases+=("$(printf '%6d s  %s' "$took" "$1")")
  echo "== $1: ${took} s"
  phase_start=$SECONDS
}
pids=()
trap 'printf "%s\n" "== phases (wall time):" "${phases[@]}"; [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true' EXIT
# The kernel tree is a download and an unpacking (its own apt configuration, no system
# lock): it goes on while the gates compile. Its exit status lands in a file, for the setup
# below to wait on.
mkdir -p target
linux_log=target/fetch-linux.log
rm -f "$linux_log.rc"
(
  code=0
  ci/fetch-linux.sh >"$linux_log.path" 2>"$linux_log" || code=$?
  echo "$code" >"$linux_log.rc"
) &
pids+=($!)
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all --check
cargo fmt --manifest-path harness/fuzz/Cargo.toml --check
# Every test executable and the bele binary they run, with the features the whole
# workspace's tests unify (a `cargo build -p bele` first would build much of the graph
# twice: serde's features differ).
cargo test -q --workspace --no-run
phase "build (bele and every test executable)"

# What the tests need installed, beside the gates: apt, the kernel's toolchain and the
# downloads are mostly waiting on the network, which clippy and rustdoc fill.
# - Every target: the compatibility corpus runs on all of them (harness/tests/corpus.rs).
# - Reports are checked with what their readers use: the HTML in a real headless Chromium,
#   JUnit against harness/schema/junit.xsd with xmllint, KTAP with the kernel's own parser.
# - The kernel mode's end-to-end test needs a real kernel tree (the newest linux-source,
#   >= 7.2, from Debian's unstable suite, downloaded, not installed) and what building it
#   takes (`bele setup --kernel`).
setup_log=target/setup.log
(
  set -e
  ./target/debug/bele setup --color never
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v xmllint >/dev/null || missing+=(libxml2-utils)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  ci/fetch-kunit.sh
  while [ ! -s "$linux_log.rc" ]; do sleep 2; done
  if [ "$(cat "$linux_log.rc")" != 0 ]; then
    cat "$linux_log"
    echo "ci/fetch-linux.sh failed" >&2
    exit 1
  fi
  ./target/debug/bele setup --kernel --tree "$(cat "$linux_log.path")" --color never
) >"$setup_log" 2>&1 &
setup_pid=$!
pids+=("$setup_pid")
# Gates: lints (warnings are errors; functions over 120 lines are warned; clippy.toml
# disallows spawning processes and exiting outside their one place) and the docs' links.
cargo clippy -q --workspace --all-targets -- -D warnings
RUSTDOCFLAGS=-Dwarnings cargo doc -q --no-deps --workspace
phase "gates (clippy, doc; setup beside them)"
# The parsers under libFuzzer for a bounded time (built by stable cargo, two at a time),
# while the setup's downloads and installs finish.
FUZZ_SECS=${FUZZ_SECS:-20} ci/fuzz.sh
phase "fuzz (setup beside it)"
setup_code=0
wait "$setup_pid" || setup_code=$?
cat "$setup_log"
[ "$setup_code" = 0 ] || { echo "setup failed (exit $setup_code)" >&2; exit 1; }
BELE_KERNEL_TREE=$(cat "$linux_log.path")
export BELE_KERNEL_TREE
phase "setup (bele setup, report checkers, kernel tree and setup --kernel), after fuzz"
cargo test --workspace --no-fail-fast "$@"
phase "cargo test"

# `cargo bele` as a user gets it: installed by `cargo install --path harness`, run as a cargo
# subcommand, on every big-endian target. The fixture's doc examples fail there (exit 1).
root=$(mktemp -d)
cargo install -q --locked --debug --path harness --root "$root" --target-dir target
export PATH="$root/bin:$PATH"
cargo bele setup --targets be --color never
code=0
cargo bele test --manifest-path fixtures/Cargo.toml -p fx-doc --doc --targets be --color never \
  --out target/cargo-bele.json || code=$?
if [ "$code" != 1 ]; then
  echo "cargo bele test --targets be: expected exit 1 (failing doc examples), got $code" >&2
  exit 1
fi
python3 - target/cargo-bele.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
targets = r["targets"]
assert len(targets) == 8, [t["triple"] for t in targets]
for t in targets:
    assert t["status"] == "ran" and t["endian"] == "big", (t["triple"], t["status"], t["reason"])
    tests = {x["name"]: x["outcome"] for b in t["binaries"] for x in b["tests"]}
    assert tests.get("doc/src/lib.rs - read_le32 (line 6)") == "failed", (t["triple"], tests)
    assert tests.get("doc/src/lib.rs - read_be32 (line 15)") == "passed", (t["triple"], tests)
print("cargo bele test --targets be: doc-tests ran on", len(targets), "big-endian targets")
PY
phase "cargo bele test --targets be"
