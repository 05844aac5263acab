#!/usr/bin/env bash
# Benchmark: what recording the layouts of `#[repr]` types costs. The bundled abstractions,
# cold (every run starts from an empty build directory, as a fresh CI job does; the std
# cache is kept), with layouts recorded and compared and with `--no-layouts`, on the same
# targets with the same seed, alternating, R times each.
#
#   ci/bench/layouts.sh [TARGET-SELECTION] [REPEATS]
#   ci/bench/layouts.sh x86_64-unknown-linux-gnu,i686-unknown-linux-gnu,powerpc-unknown-linux-gnu 2
#
# Prints the median wall seconds and build seconds of each and their ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
SELECTION=${1:-x86_64-unknown-linux-gnu,i686-unknown-linux-gnu,powerpc-unknown-linux-gnu,s390x-unknown-linux-gnu}
REPEATS=${2:-2}
# bele as users install it (`cargo install --path harness` builds release).
cargo build -q --release -p bele
BELE=./target/release/bele
$BELE setup --targets "$SELECTION" --color never >/dev/null
OUT=target/bench-layouts
mkdir -p "$OUT"

run() { # $1: name, rest: extra arguments; prints "wall build-seconds"
  local name=$1; shift
  rm -rf target/bele/build target/bele/build-*
  local s; s=$(date +%s.%N)
  $BELE test -p abstractions --targets "$SELECTION" --seed 1 --color never \
    --out "$OUT/$name.json" "$@" >/dev/null 2>&1 || echo "bele $name: exit $?" >&2
  local wall; wall=$(python3 -c "print($(date +%s.%N) - $s)")
  python3 - "$OUT/$name.json" "$wall" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
build = sum((t.get("build") or {}).get("duration_ms", 0) for t in r["targets"])
print(sys.argv[2], build / 1000)
PY
}

on=(); off=()
for i in $(seq "$REPEATS"); do
  on+=("$(run "on-$i")")
  off+=("$(run "off-$i" --no-layouts)")
done
python3 - "$REPEATS" "${on[@]}" "${off[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
rows = [tuple(map(float, a.split())) for a in sys.argv[2:]]
on, off = rows[:n], rows[n:]
med = lambda xs, i: statistics.median(x[i] for x in xs)
for i, what in enumerate(["wall (s)", "builds (s)"]):
    a, b = med(on, i), med(off, i)
    print(f"{what:<11} layouts {a:8.2f}   --no-layouts {b:8.2f}   ratio {a / b:.3f}")
PY
echo "targets: $SELECTION, repeats: $REPEATS, cold, package: abstractions, host: $(nproc) cores"
python3 - "$OUT/on-1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
types = {(l["crate"], l["name"]) for t in r["targets"] for l in (t.get("layouts") or {}).get("types", [])}
print(f"types laid out and compared: {len(types)}, layouts that differ: {len(r['layout_differences'])}")
PY
