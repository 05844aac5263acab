#!/usr/bin/env bash
# Benchmark: what the differential probes cost. The bundled abstractions (whose tests
# record their wire bytes with bele_probe) run with probes recording and compared, and the
# same run with `--no-probes`, on the same targets with the same seed, warm (everything
# built first, so both runs execute the same test executables), alternating, R times each.
# With COLD=1 every run starts from an empty build directory instead (builds included, as
# in a fresh CI job).
#
#   ci/bench/probes.sh [TARGET-SELECTION] [REPEATS]     # default: all 3
#   COLD=1 ci/bench/probes.sh x86_64-unknown-linux-gnu,i686-unknown-linux-gnu,powerpc-unknown-linux-gnu,s390x-unknown-linux-gnu 2
#
# Prints the median wall seconds of each and the ratio, and the same for the time the test
# processes reported (the sum of test durations: recording alone, without bele's reading,
# comparing and re-running the tests whose records differ).
set -euo pipefail
cd "$(dirname "$0")/../.."
SELECTION=${1:-all}
REPEATS=${2:-3}
# bele as users install it (`cargo install --path harness` builds release).
cargo build -q --release -p bele
BELE=./target/release/bele
$BELE setup --targets "$SELECTION" --color never >/dev/null
OUT=target/bench-probes
mkdir -p "$OUT"

run() { # $1: name, rest: extra arguments; prints "wall test-seconds"
  local name=$1; shift
  if [ "${COLD:-0}" = 1 ]; then rm -rf target/bele/build target/bele/build-*; fi
  local s; s=$(date +%s.%N)
  $BELE test --targets "$SELECTION" --seed 1 --color never --out "$OUT/$name.json" "$@" \
    >/dev/null 2>&1 || echo "bele $name: exit $?" >&2
  local wall; wall=$(python3 -c "print($(date +%s.%N) - $s)")
  python3 - "$OUT/$name.json" "$wall" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
tests = sum(t["duration_ms"] for tg in r["targets"] for b in tg["binaries"] for t in b["tests"])
print(sys.argv[2], tests / 1000)
PY
}

if [ "${COLD:-0}" != 1 ]; then run warmup >/dev/null; fi
on=(); off=()
for i in $(seq "$REPEATS"); do
  on+=("$(run "on-$i")")
  off+=("$(run "off-$i" --no-probes)")
done
python3 - "$REPEATS" "${on[@]}" "${off[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
rows = [tuple(map(float, a.split())) for a in sys.argv[2:]]
on, off = rows[:n], rows[n:]
med = lambda xs, i: statistics.median(x[i] for x in xs)
for i, what in enumerate(["wall (s)", "in tests (s)"]):
    a, b = med(on, i), med(off, i)
    print(f"{what:<13} probes {a:8.2f}   no probes {b:8.2f}   ratio {a / b:.3f}")
PY
echo "targets: $SELECTION, repeats: $REPEATS, $([ "${COLD:-0}" = 1 ] && echo cold || echo warm), package: abstractions, host: $(nproc) cores"
echo "records kept: $(python3 -c "import json; r=json.load(open('$OUT/on-1.json')); print(sum(p['count'] for tg in r['targets'] for b in tg['binaries'] for t in b['tests'] for p in t.get('probes', [])))"), tests re-run to check: $(python3 -c "import json; print(len(json.load(open('$OUT/on-1.json'))['probe_checks']))")"
