#!/usr/bin/env bash
# Benchmark: `bele test` against the best loop a careful user would write, in one run, on
# copies of this repository (git archive HEAD) so no build directory is shared:
#
#   careful loop: `cargo test -p abstractions --lib --tests --target T` per target, linkers,
#                 runners and flags in .cargo/config.toml, RUSTC_BOOTSTRAP=1 on every target
#                 (so the host's artifacts are never rebuilt), -Zbuild-std where rustup has
#                 no std;
#   naive loop:   the same with the settings in per-target environment variables, which
#                 rebuilds the host's artifacts whenever they change (second reference);
#   bele:         `bele test -p abstractions --lib --tests` (the same work; probes recorded).
#
# Cold: empty build directories and an empty bele std cache. Cold, second workspace: a fresh
# copy, bele's std cache warm. Warm: everything built. Also the wall time of bele's test
# processes (the union of their intervals, from its results file).
#
#   ci/bench/speed.sh [TARGET-SELECTION]       # default: all; NAIVE=0 skips the naive loop
#
# Clears bele's std cache (~/.cache/bele/std) first: it is a cache, rebuilt as needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
SELECTION=${1:-all}
# bele as a user has it from `cargo install`: the release build.
cargo build -q --release -p bele
BELE=$PWD/target/release/bele
$BELE setup --targets "$SELECTION" --color never >/dev/null
# A bele run writes the derived specs the loops use (target/bele/specs).
$BELE test --targets x86_64-unknown-linux-gnu --lib --color never >/dev/null 2>&1 || true
CACHE=${BELE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bele}
SYSROOT=$(rustc --print sysroot)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for copy in bele bele2 careful naive; do
  mkdir -p "$WORK/$copy"
  git archive HEAD | tar -x -C "$WORK/$copy"
done
. ci/bench/careful.sh

careful_one() {
  RUSTC_BOOTSTRAP=1 cargo test -q -p abstractions --lib --tests --target "$2" "${EXTRA[@]}" \
    >/dev/null 2>&1 || echo "careful loop: $1 failed" >&2
}
careful_run() { careful_each careful_one; }

naive_run() {
  for row in "${ROWS[@]}"; do
    read -r triple qemu sysroot linker native target rustflags <<<"$row"
    extra_for "$triple" "$target"
    prefix="CARGO_TARGET_$(echo "$triple" | tr 'a-z.-' 'A-Z__')"
    envs=("${prefix}_LINKER=$linker")
    runner="$qemu"; if [ "$sysroot" != "-" ]; then runner="$qemu -L $sysroot"; fi
    if [ "$native" != "$triple" ]; then envs+=("${prefix}_RUNNER=$runner"); fi
    if [ "$rustflags" != "-" ]; then envs+=("${prefix}_RUSTFLAGS=${rustflags//,/ }"); fi
    if [ ${#EXTRA[@]} -gt 0 ]; then envs+=(RUSTC_BOOTSTRAP=1); fi
    (cd "$WORK/naive" && env "${envs[@]}" cargo test -q -p abstractions --lib --tests \
      --target "$target" "${EXTRA[@]}" >/dev/null 2>&1) || echo "naive loop: $triple failed" >&2
  done
}

bele_run() { # workspace copy, results file, extra options
  (cd "$WORK/$1" && $BELE test -p abstractions --lib --tests --targets "$SELECTION" \
    --color never --out "$WORK/$2.json" "${@:3}" >/dev/null 2>&1) || echo "bele in $1: exit $?" >&2
}

timed() { local s; s=$(date +%s.%N); "$@"; python3 -c "print($(date +%s.%N) - $s)"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
one() { python3 -c "v='$1'; print(v if v == '-' else f'{float(v):.1f}')"; }

rm -rf "$CACHE/std"
bele_cold=$(timed bele_run bele cold)
careful_cold=$(timed careful_run)
bele_cold2=$(timed bele_run bele2 cold2)
bele_warm=$(timed bele_run bele warm)
bele_warm_np=$(timed bele_run bele warm-np --no-probes)
careful_warm=$(timed careful_run)
naive_cold=-; naive_warm=-
if [ "${NAIVE:-1}" != 0 ]; then
  naive_cold=$(timed naive_run)
  naive_warm=$(timed naive_run)
fi
# The wall time of bele's test processes in a warm run: the union of their intervals.
tests_wall() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
spans = sorted((b["started_ms"], b["started_ms"] + b["duration_ms"])
               for t in r["targets"] for b in t["binaries"])
total, end = 0, -1
for s, e in spans:
    if s > end:
        total += e - s; end = e
    elif e > end:
        total += e - end; end = e
print(total / 1000)
PY
}
tests_wall=$(tests_wall "$WORK/warm.json")
tests_wall_np=$(tests_wall "$WORK/warm-np.json")
stds=$(python3 -c "
import json; r = json.load(open('$WORK/cold.json'))
print(sum((t.get('build') or {}).get('std_ms') or 0 for t in r['targets']) / 1000)")

printf '%-28s %9s %9s %9s %12s\n' "" "bele (s)" "loop (s)" "bele/loop" "naive (s)"
printf '%-28s %9.1f %9.1f %9s %12s\n' "cold, empty std cache" "$bele_cold" "$careful_cold" "$(ratio "$bele_cold" "$careful_cold")" "$(one "$naive_cold")"
printf '%-28s %9.1f %9.1f %9s\n' "cold, second workspace" "$bele_cold2" "$careful_cold" "$(ratio "$bele_cold2" "$careful_cold")"
printf '%-28s %9.1f %9.1f %9s %12s\n' "warm" "$bele_warm" "$careful_warm" "$(ratio "$bele_warm" "$careful_warm")" "$(one "$naive_warm")"
echo "warm: the test executables' own wall time $(one "$tests_wall")s; bele/tests $(ratio "$bele_warm" "$tests_wall") (bele also re-runs the tests whose probe records differ, to check them)"
echo "warm, --no-probes: bele $(one "$bele_warm_np")s, test executables $(one "$tests_wall_np")s; bele/tests $(ratio "$bele_warm_np" "$tests_wall_np")"
echo "cold: std built into the cache $(one "$stds")s of bele's $(one "$bele_cold")s"
echo "targets: ${#ROWS[@]} ($SELECTION), package: abstractions (--lib --tests), host: $(nproc) cores, $(rustc -V)"
