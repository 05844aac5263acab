#!/usr/bin/env bash
# Benchmark: how many cargo builds at once (`bele test --builders N`) on this machine. Each
# count builds the bundled abstractions cold (a fresh copy of the repository: git archive
# HEAD) for the same targets, std at hand (prebuilt, or in bele's std cache), and prints the
# wall time and its ratio to one builder. `run::default_builders` is chosen from this.
#
#   ci/bench/builders.sh [TARGETS] [COUNTS]
#   default: four prebuilt-std targets, counts "1 2 4"
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGETS=${1:-i686-unknown-linux-gnu,armv7-unknown-linux-gnueabihf,aarch64-unknown-linux-gnu,powerpc-unknown-linux-gnu}
COUNTS=${2:-1 2 4}
cargo build -q --release -p bele
BELE=$PWD/target/release/bele
$BELE setup --targets "$TARGETS" --color never >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
declare -A wall
for n in $COUNTS; do
  mkdir -p "$WORK/$n"
  git archive HEAD | tar -x -C "$WORK/$n"
  s=$(date +%s.%N)
  (cd "$WORK/$n" && $BELE test -p abstractions --lib --tests --targets "$TARGETS" \
    --builders "$n" --color never --out "$WORK/$n.json" >/dev/null 2>&1) || echo "builders=$n: exit $?" >&2
  wall[$n]=$(python3 -c "print($(date +%s.%N) - $s)")
done
first=${COUNTS%% *}
for n in $COUNTS; do
  python3 -c "print(f'builders={$n}: {${wall[$n]}:.1f} s, {${wall[$n]} / ${wall[$first]}:.2f} of builders=$first')"
done
echo "targets: $TARGETS; host: $(nproc) cores, $(rustc -V)"
