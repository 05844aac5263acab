#!/usr/bin/env bash
# The main job: the bundled abstractions on every target bele knows, installing what is
# missing first (Debian cross toolchains and QEMU, Rust std per target). Extra arguments go
# to `bele test` (for example --targets be,32 or --out results.json).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p bele
./target/debug/bele setup --color never
exec ./target/debug/bele test "$@"
