# Sourced by the benchmarks: the careful user's setup for the targets a selection names,
# from the same table bele uses. Needs CACHE (bele's cache), SYSROOT (rustc's), WORK and
# SELECTION; sets ROWS (one line per target: triple qemu sysroot linker native target
# rustflags), writes $WORK/careful-config.toml (a [target.<triple>] section each: linker,
# runner, rustflags) and copies it to $WORK/careful/.cargo/config.toml, and defines
# extra_for (build-std and spec flags for one row, in EXTRA) and careful_each.
# zig-linked targets use the wrappers `bele setup` wrote in bele's cache, and derived specs
# the files bele wrote for its own run, copied to $WORK/specs.
mkdir -p "$WORK/specs"
cp target/bele/specs/*.json "$WORK/specs/" 2>/dev/null || true

ZIGBIN=$CACHE/zig-0.14.1/bin
mapfile -t ROWS < <(python3 - "$SELECTION" "$ZIGBIN" "$WORK/specs" <<'PY'
import sys, tomllib
sel, zigbin, specs = sys.argv[1:4]
table = tomllib.load(open("targets/targets.toml", "rb"))["target"]
picked = sel.split(",")
for t in table:
    if sel == "all" or t["triple"] in picked:
        linker = t.get("linker") or f"{zigbin}/{t['zig_target']}-cc"
        target = f"{specs}/{t['triple']}.json" if "spec" in t else t["triple"]
        print(t["triple"], t["qemu"], t.get("sysroot", "-"), linker, t.get("native_on", "-"),
              target, ",".join(t.get("rustflags", [])) or "-")
PY
)

# The careful user's .cargo/config.toml: a section per target.
{
  for row in "${ROWS[@]}"; do
    read -r triple qemu sysroot linker native target rustflags <<<"$row"
    echo "[target.$triple]"
    echo "linker = \"$linker\""
    if [ "$native" != "$triple" ]; then
      if [ "$sysroot" != "-" ]; then
        echo "runner = [\"$qemu\", \"-L\", \"$sysroot\"]"
      else
        echo "runner = [\"$qemu\"]"
      fi
    fi
    if [ "$rustflags" != "-" ]; then
      echo "rustflags = [$(echo "$rustflags" | sed 's/\([^,]*\)/"\1"/g; s/ /", "/g')]"
    fi
    echo
  done
} >"$WORK/careful-config.toml"

extra_for() { # build-std and spec flags for one row
  local triple=$1 target=$2
  EXTRA=()
  if [ ! -d "$SYSROOT/lib/rustlib/$triple/lib" ]; then EXTRA+=(-Zbuild-std); fi
  case "$target" in *.json) EXTRA+=(-Zjson-target-spec) ;; esac
}

mkdir -p "$WORK/careful/.cargo"
cp "$WORK/careful-config.toml" "$WORK/careful/.cargo/config.toml"

# Runs `$1 TRIPLE TARGET` for each row, in the careful user's copy, with EXTRA set for it.
careful_each() {
  local row triple qemu sysroot linker native target rustflags
  for row in "${ROWS[@]}"; do
    read -r triple qemu sysroot linker native target rustflags <<<"$row"
    extra_for "$triple" "$target"
    (cd "$WORK/careful" && "$1" "$triple" "$target")
  done
}
