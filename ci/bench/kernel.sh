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
# Cold: empty build directories for both. Warm: the same again with nothing changed.
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
loop() {
  kunit s390 --arch s390 --cross_compile s390x-linux-gnu-
  kunit arm --arch arm --cross_compile arm-linux-gnueabihf-
  kunit um --arch um
}
run_bele() {
  BELE_CACHE_DIR="$WORK/cache" $BELE kernel --tree "$WORK/linux" --targets um,arm,s390x \
    --color never --out "$WORK/bele.json" >"$WORK/bele.log" 2>&1 ||
    { echo "bele kernel failed:"; tail -n 20 "$WORK/bele.log"; exit 1; }
}
measure() { local t0; t0=$(secs); "$@"; python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$t0"; }
cold_loop=$(measure loop)
cold_bele=$(measure run_bele)
warm_loop=$(measure loop)
warm_bele=$(measure run_bele)
tests() { grep -cE '^\s+(ok|not ok) ' "$1" || true; }
python3 - "$cold_bele" "$cold_loop" "$warm_bele" "$warm_loop" "$WORK/bele.json" <<'PY'
import json, sys
cb, cl, wb, wl = map(float, sys.argv[1:5])
r = json.load(open(sys.argv[5]))
counts = {t["triple"]: sum(len(b["tests"]) for b in t["binaries"]) for t in r["targets"]}
print(f"tests per target (bele): {counts}")
print(f"cold: bele {cb:.1f} s, kunit.py per arch {cl:.1f} s, ratio {cb / cl:.2f}")
print(f"warm: bele {wb:.1f} s, kunit.py per arch {wl:.1f} s, ratio {wb / wl:.2f}")
PY
