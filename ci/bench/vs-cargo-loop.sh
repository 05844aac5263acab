#!/usr/bin/env bash
# Benchmark: `bele test` against the obvious alternative, a shell loop of
# `cargo test --target <T>` with a QEMU runner, on the same targets and the same package,
# cold (empty build directories) and warm (everything built), measured in one run.
#
#   ci/bench/vs-cargo-loop.sh [TARGET-SELECTION]     # default: all
#
# Prints wall seconds and the ratio loop/bele (above 1: bele is faster).
set -euo pipefail
cd "$(dirname "$0")/../.."
SELECTION=${1:-all}
cargo build -q -p bele
BELE=./target/debug/bele
$BELE setup --targets "$SELECTION" --color never >/dev/null
SYSROOT=$(rustc --print sysroot)

# The targets, with the facts the loop needs, from the same table bele uses.
# zig-linked targets use the wrappers `bele setup` wrote in bele's cache, and derived specs
# the file bele wrote for its own run (the loop runs after it).
ZIGBIN=${BELE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bele}/zig-0.14.1/bin
mapfile -t ROWS < <(python3 - "$SELECTION" "$ZIGBIN" <<'PY'
import sys, tomllib
sel, zigbin = sys.argv[1], sys.argv[2]
table = tomllib.load(open("targets/targets.toml", "rb"))["target"]
for t in table:
    if sel == "all" or t["triple"] in sel.split(","):
        linker = t.get("linker") or f"{zigbin}/{t['zig_target']}-cc"
        target = f"target/bele/specs/{t['triple']}.json" if "spec" in t else t["triple"]
        print(t["triple"], t["qemu"], t.get("sysroot", "-"), linker, t.get("native_on", "-"),
              target, ",".join(t.get("rustflags", [])) or "-")
PY
)

loop_run() {
  for row in "${ROWS[@]}"; do
    read -r triple qemu sysroot linker native target rustflags <<<"$row"
    prefix="CARGO_TARGET_$(echo "$triple" | tr 'a-z.-' 'A-Z__')"
    extra=()
    envs=("${prefix}_LINKER=$linker")
    runner="$qemu"; if [ "$sysroot" != "-" ]; then runner="$qemu -L $sysroot"; fi
    if [ "$native" != "$triple" ]; then envs+=("${prefix}_RUNNER=$runner"); fi
    if [ "$rustflags" != "-" ]; then envs+=("${prefix}_RUSTFLAGS=${rustflags//,/ }"); fi
    if [ ! -d "$SYSROOT/lib/rustlib/$triple/lib" ]; then
      extra+=(-Zbuild-std); envs+=(RUSTC_BOOTSTRAP=1)
    fi
    case "$target" in *.json) extra+=(-Zjson-target-spec); target="$PWD/$target" ;; esac
    env "${envs[@]}" cargo test -q -p abstractions --target "$target" --target-dir target/bench-loop "${extra[@]}" \
      >/dev/null 2>&1 || echo "loop: $triple failed" >&2
  done
}

bele_run() {
  $BELE test --targets "$SELECTION" --color never --out target/bench-bele.json >/dev/null 2>&1 || echo "bele: exit $?" >&2
}

timed() { local s; s=$(date +%s.%N); "$@"; python3 -c "print($(date +%s.%N) - $s)"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

rm -rf target/bele/build target/bele/build-* target/bench-loop
bele_cold=$(timed bele_run)
bele_warm=$(timed bele_run)
loop_cold=$(timed loop_run)
loop_warm=$(timed loop_run)

printf '%-6s %10s %10s %8s\n' "" "bele (s)" "loop (s)" "loop/bele"
printf '%-6s %10.1f %10.1f %8s\n' cold "$bele_cold" "$loop_cold" "$(ratio "$loop_cold" "$bele_cold")"
printf '%-6s %10.1f %10.1f %8s\n' warm "$bele_warm" "$loop_warm" "$(ratio "$loop_warm" "$bele_warm")"
echo "targets: ${#ROWS[@]} ($SELECTION), package: abstractions, host: $(nproc) cores"
