#!/usr/bin/env bash
# Benchmark: `bele test` on the compatibility corpus (fixtures/corpus: the crates real test
# suites depend on, proc-macros and build scripts among them) against the loop a careful
# user writes, in one run, each on a copy of the corpus of its own (nothing shared):
#
#   careful loop: `cargo test --target T` per target in one target directory, linkers and
#                 runners in .cargo/config.toml, RUSTC_BOOTSTRAP=1 on every target (so the
#                 host's artifacts, built once, are never rebuilt);
#   bele:         `bele test --targets <the same>` (doc-tests and layouts included, as a
#                 user gets it).
#
# Cold: empty target directories (bele's std cache as it is: the default targets have
# prebuilt std). Warm: the same again with everything built. Prints wall seconds and the
# ratio bele/loop (below 1: bele is faster).
#
#   ci/bench/corpus.sh [TARGETS]   # default: x86_64, i686, powerpc and s390x (gnu)
set -euo pipefail
cd "$(dirname "$0")/../.."
SELECTION=${1:-x86_64-unknown-linux-gnu,i686-unknown-linux-gnu,powerpc-unknown-linux-gnu,s390x-unknown-linux-gnu}
# bele as a user has it from `cargo install`: the release build.
cargo build -q --release -p bele
BELE=$PWD/target/release/bele
$BELE setup --targets "$SELECTION" --color never >/dev/null
CACHE=${BELE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bele}
SYSROOT=$(rustc --print sysroot)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for copy in bele careful; do
  mkdir -p "$WORK/$copy"
  git archive HEAD fixtures/corpus | tar -x -C "$WORK/$copy" --strip-components=2
done
. ci/bench/careful.sh

careful_one() {
  RUSTC_BOOTSTRAP=1 cargo test -q --target "$2" "${EXTRA[@]}" >"$WORK/careful-$1.log" 2>&1 || {
    echo "careful loop: $1 failed:" >&2
    tail -n 20 "$WORK/careful-$1.log" >&2
  }
}
careful_run() { careful_each careful_one; }

bele_run() { # results file
  (cd "$WORK/bele" && $BELE test --targets "$SELECTION" --color never --out "$WORK/$1.json" \
    >"$WORK/$1.log" 2>&1) || {
    echo "bele: exit $?" >&2
    tail -n 20 "$WORK/$1.log" >&2
  }
}

timed() { local s; s=$(date +%s.%N); "$@"; python3 -c "print($(date +%s.%N) - $s)"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

bele_cold=$(timed bele_run cold)
careful_cold=$(timed careful_run)
bele_warm=$(timed bele_run warm)
careful_warm=$(timed careful_run)
tests=$(python3 -c "
import json; r = json.load(open('$WORK/cold.json'))
print(sum(len(b['tests']) for t in r['targets'] for b in t['binaries']))")

printf '%-8s %9s %9s %9s\n' "" "bele (s)" "loop (s)" "bele/loop"
printf '%-8s %9.1f %9.1f %9s\n' "cold" "$bele_cold" "$careful_cold" "$(ratio "$bele_cold" "$careful_cold")"
printf '%-8s %9.1f %9.1f %9s\n' "warm" "$bele_warm" "$careful_warm" "$(ratio "$bele_warm" "$careful_warm")"
echo "targets: ${#ROWS[@]} ($SELECTION), fixtures/corpus ($tests tests run by bele), host: $(nproc) cores, $(rustc -V)"
