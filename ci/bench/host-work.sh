#!/usr/bin/env bash
# Benchmark: how much of a cold build of the compatibility corpus is host work (build
# scripts and proc-macros, shared by every --target in one target directory) and how much
# one cargo invocation with every --target gains over one per target. Issue 29 supposed the
# first was the bulk of bele's cold time; this measures it, in the careful user's setup
# (ci/bench/careful.sh: linkers and rustflags in .cargo/config.toml), without bele:
#
#   sequential: `cargo test --no-run --target T` per target, one target directory, each
#               timed (the first one pays the host work);
#   host warm:  the first target again in a fresh directory after the second was built
#               there (only its own units): host work = first cold - first host-warm;
#   multi:      one `cargo test --no-run --target A --target B ...` in a fresh directory.
#
#   ci/bench/host-work.sh [TARGETS]   # default: x86_64, i686, powerpc, s390x (gnu)
set -euo pipefail
cd "$(dirname "$0")/../.."
SELECTION=${1:-x86_64-unknown-linux-gnu,i686-unknown-linux-gnu,powerpc-unknown-linux-gnu,s390x-unknown-linux-gnu}
CACHE=${BELE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bele}
SYSROOT=$(rustc --print sysroot)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/careful"
git archive HEAD fixtures/corpus | tar -x -C "$WORK/careful" --strip-components=2
. ci/bench/careful.sh

secs() { python3 -c "import time; print(time.time())"; }
since() { python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$1"; }
# `cargo test --no-run` in target directory $1 for the targets after it.
build() {
  local dir=$1 args=() t
  shift
  for t in "$@"; do
    if [ ! -d "$SYSROOT/lib/rustlib/$t/lib" ]; then
      echo "host-work.sh: $t has no prebuilt std; pick targets that do" >&2
      exit 2
    fi
    args+=(--target "$t")
  done
  (cd "$WORK/careful" && cargo test -q --no-run "${args[@]}" --target-dir "$WORK/$dir" \
    >"$WORK/$dir.log" 2>&1) || { echo "cargo failed:" >&2; tail -n 20 "$WORK/$dir.log" >&2; exit 1; }
}

IFS=, read -r -a TARGETS <<<"$SELECTION"
total=0
for t in "${TARGETS[@]}"; do
  t0=$(secs)
  build seq "$t"
  s=$(since "$t0")
  echo "sequential  $t: $s s"
  total=$(python3 -c "print($total + $s)")
  [ -n "${first:-}" ] || first=$s
done
build warm "${TARGETS[1]}"
t0=$(secs)
build warm "${TARGETS[0]}"
warm=$(since "$t0")
echo "host warm   ${TARGETS[0]}: $warm s"
t0=$(secs)
build multi "${TARGETS[@]}"
multi=$(since "$t0")
python3 - "$first" "$warm" "$total" "$multi" <<'PY'
import sys
first, warm, total, multi = map(float, sys.argv[1:])
host = first - warm
print(f"host work: {host:.1f} s of the first target's {first:.1f} s ({host / first:.0%}); "
      f"{host * 100 / total:.0f}% of the sequential total")
print(f"sequential {total:.1f} s, one invocation with every --target {multi:.1f} s: "
      f"{multi / total:.2f}")
PY
echo "targets: $SELECTION, host: $(nproc) cores, $(rustc -V)"
