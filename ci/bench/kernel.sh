#!/usr/bin/env bash
# Benchmark: `bele kernel` against what a careful user runs without it, in one run on one
# tree: the kernel's own tools/testing/kunit/kunit.py, once per architecture in sequence,
# with the same Rust test configuration:
#
#   kunit.py run --arch s390 --cross_compile s390x-linux-gnu- --kunitconfig F
#   kunit.py run --arch arm --cross_compile arm-linux-gnueabihf- --kunitconfig F
#   kunit.py run --arch um --kunitconfig F
#   bele kernel --tree T --targets um,arm,s390x  (bele's default kernels: the same three;
#                                                 bele's um leaves out kunit.py's UML PCI,
#                                                 see targets/kernels.toml)
#
# Cold: empty build directories for both. Warm: the same again with nothing changed. Edit:
# one rust/kernel file edited. Per architecture, kunit.py is timed on its own and bele's
# build and boot come from its results (its builds and boots overlap, so they add up to more
# than its wall time).
# Prints the times and the ratios bele / kunit.py.
#
#   ci/bench/kernel.sh [TREE]     # default: ci/fetch-linux.sh's tree
set -euo pipefail
cd "$(dirname "$0")/../.."
TREE=${1:-$(ci/fetch-linux.sh)}
cargo build -q --release -p bele
BELE=$PWD/target/release/bele
$BELE setup --kernel --tree "$TREE" --color never >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# kunit.py writes into the tree unless --build_dir is outside it; a symlink farm keeps the
# fetched tree as it is, and bele gets the same farm so both read the same sources.
cp -as "$(realpath "$TREE")" "$WORK/linux"
# kunit.py builds the tree its own real path is in: copies, not links, keep it in the farm
# (else it builds the fetched tree and never sees the edit below).
for f in "$WORK"/linux/tools/testing/kunit/*.py "$WORK"/linux/tools/testing/kunit/qemu_configs/*.py; do
  cp --remove-destination "$(readlink -f "$f")" "$f"
done
# The same Rust tests bele enables: its fragment, as kunit.py's --kunitconfig.
python3 - "$TREE" > "$WORK/rust.kunitconfig" <<'PY'
import os, re, sys
tree = sys.argv[1]
opts = ["CONFIG_KUNIT=y", "CONFIG_RUST=y"]
if re.search(r"^config RUST_KERNEL_DOCTESTS", open(os.path.join(tree, "lib/Kconfig.debug")).read(), re.M):
    opts.append("CONFIG_RUST_KERNEL_DOCTESTS=y")
for root, _, files in sorted(os.walk(os.path.join(tree, "rust"))):
    for f in sorted(files):
        if f.startswith("Kconfig"):
            for m in re.finditer(r"^(?:menu)?config (RUST_\w+)", open(os.path.join(root, f)).read(), re.M):
                s = m.group(1)
                if "KUNIT" in s or s.endswith("_TEST") or s.endswith("_TESTS"):
                    opts.append(f"CONFIG_{s}=y")
print("\n".join(dict.fromkeys(opts)))
PY
# kunit.py needs the toolchain bele setup chose for the tree; bele finds it itself.
TOOLCHAIN=$(rustup toolchain list | awk '{print $1}' | grep -E '^1\.[0-9]+\.[0-9]+-' | sort -V | tail -n 1)
LLVM_LIB=$(ls -d /usr/lib/llvm-*/lib | sort -V | tail -n 1)
kunit() {
  (cd "$WORK/linux" && RUSTUP_TOOLCHAIN="$TOOLCHAIN" LIBCLANG_PATH="$LLVM_LIB" \
    python3 tools/testing/kunit/kunit.py run --kunitconfig "$WORK/rust.kunitconfig" \
      --build_dir "$WORK/kunit-$1" --jobs "$(nproc)" "${@:2}" >"$WORK/kunit-$1.log" 2>&1) ||
    { echo "kunit.py $* failed:"; tail -n 20 "$WORK/kunit-$1.log"; exit 1; }
}
secs() { python3 -c "import time; print(time.time())"; }
# One kunit.py run per architecture, each timed: "<arch> <seconds>" lines in $1.
loop() {
  local t0
  : >"$1"
  for a in s390 arm um; do
    t0=$(secs)
    case $a in
      s390) kunit s390 --arch s390 --cross_compile s390x-linux-gnu- ;;
      arm) kunit arm --arch arm --cross_compile arm-linux-gnueabihf- ;;
      um) kunit um --arch um ;;
    esac
    python3 -c "import sys, time; print(sys.argv[1], f'{time.time() - float(sys.argv[2]):.1f}')" "$a" "$t0" >>"$1"
  done
}
run_bele() {
  BELE_CACHE_DIR="$WORK/cache" $BELE kernel --tree "$WORK/linux" --targets um,arm,s390x \
    --color never --out "$1" >"$WORK/bele.log" 2>&1 ||
    { echo "bele kernel failed:"; tail -n 20 "$WORK/bele.log"; exit 1; }
}
measure() { local t0; t0=$(secs); "$@"; python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$t0"; }
# One edited rust/kernel file: the farm's link replaced by a copy with a line added, as a
# developer's edit (both sides rebuild what depends on it).
edit() {
  local f=$WORK/linux/rust/kernel/lib.rs
  cp --remove-destination "$(readlink -f "$f")" "$f"
  echo "// ci/bench/kernel.sh: an edit" >>"$f"
}
cold_loop=$(measure loop "$WORK/cold.loop")
cold_bele=$(measure run_bele "$WORK/cold.json")
warm_loop=$(measure loop "$WORK/warm.loop")
warm_bele=$(measure run_bele "$WORK/warm.json")
edit
edit_loop=$(measure loop "$WORK/edit.loop")
edit_bele=$(measure run_bele "$WORK/edit.json")
python3 - "$WORK" "$cold_bele" "$cold_loop" "$warm_bele" "$warm_loop" "$edit_bele" "$edit_loop" <<'PY'
import json, sys
work = sys.argv[1]
times = list(map(float, sys.argv[2:8]))
arch = {"s390x-linux-kernel": "s390", "arm-linux-kernel": "arm", "um-linux-kernel": "um"}
for i, case in enumerate(["cold", "warm", "edit"]):
    b, l = times[2 * i], times[2 * i + 1]
    loop = dict(line.split() for line in open(f"{work}/{case}.loop"))
    r = json.load(open(f"{work}/{case}.json"))
    print(f"{case}: bele {b:.1f} s, kunit.py per arch in sequence {l:.1f} s, ratio {b / l:.2f}")
    for t in r["targets"]:
        a = arch[t["triple"]]
        build = t["build"]["duration_ms"] / 1000
        boot = (t.get("run_ms") or 0) / 1000
        tests = sum(len(x["tests"]) for x in t["binaries"])
        k = float(loop[a])
        print(f"  {a:5} bele build {build:6.1f} s + boot {boot:5.1f} s = {build + boot:6.1f} s"
              f" against kunit.py {k:6.1f} s ({(build + boot) / k:.2f}); {tests} tests")
PY
