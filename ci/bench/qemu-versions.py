"""Benchmark: the two QEMUs bele uses, Debian 12's 7.2 (on PATH after `bele setup`) and
Debian unstable's static 11.x (bele's cache, what `--qemu sid` and the re-check's second
emulator run), on the same test executables: each emulated target's executable named BINARY
in a results file, run whole by both, alternating which goes first, ROUNDS times; the best
wall time of each. Exit codes other than 0 are printed (a test that fails under both is
the test's; one under one QEMU alone is that QEMU's).

    python3 ci/bench/qemu-versions.py RESULTS.json BINARY [ROUNDS]
    # after `bele test --targets all --out r.json`: BINARY is the package's test executable
    # id in the results (`abstractions`, `fx-corpus`); ROUNDS defaults to 3
"""

import glob
import json
import os
import subprocess
import sys
import time

results, binary = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
cache = os.environ.get("BELE_CACHE_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "bele")
sid = sorted(glob.glob(os.path.join(cache, "qemu-sid", "*", "usr", "bin")))
if not sid:
    sys.exit(f"no Debian unstable QEMU in {cache}/qemu-sid: run `bele test --qemu sid` once")
new_bin, new_version = sid[-1], sid[-1].split(os.sep)[-3]
run = json.load(open(results))
rows = []
for t in run["targets"]:
    if t["runner"] == "native":
        continue
    b = next((b for b in t["binaries"] if b["id"] == binary), None)
    if b is None or not os.path.exists(b["executable"]):
        print(f"{t['triple']}: no executable {binary} (built in this results file's run?)")
        continue
    old = t["runner_prefix"] + [b["executable"], "-q"]
    new = [os.path.join(new_bin, t["runner_prefix"][0])] + old[1:]
    rows.append((t["triple"], t.get("qemu_version") or "?", old, new, b["cwd"]))

best = {"old": 0.0, "new": 0.0}
print(f"{'target':34} {'old (s)':>8} {'new (s)':>8} {'new/old':>8}")
for triple, old_version, old, new, cwd in rows:
    times = {"old": [], "new": []}
    for i in range(rounds):
        order = [("old", old), ("new", new)]
        for name, cmd in order if i % 2 == 0 else order[::-1]:
            start = time.time()
            code = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode
            times[name].append(time.time() - start)
            if code != 0:
                print(f"  {triple}: exit {code} under QEMU {old_version if name == 'old' else new_version}")
    o, n = min(times["old"]), min(times["new"])
    best["old"] += o
    best["new"] += n
    print(f"{triple:34} {o:8.2f} {n:8.2f} {n / o:8.2f}")
print(f"{'all (best of %d each)' % rounds:34} {best['old']:8.2f} {best['new']:8.2f} "
      f"{best['new'] / best['old']:8.2f}")
print(f"old: QEMU {rows[0][1] if rows else '?'} (PATH), new: QEMU {new_version} ({new_bin})")
