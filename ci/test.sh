#!/usr/bin/env bash
# The test suite: unit tests, parser tests on captured output, and end-to-end tests that
# run the real bele binary on the fixtures with real cross builds and real QEMU (x86_64,
# i686, armv7, armeb, mips and powerpc for 32-bit; aarch64_be, armeb, mips, powerpc, powerpc64,
# s390x and sparc64 for big-endian).
set -euo pipefail
cd "$(dirname "$0")/.."
E2E_TARGETS=x86_64-unknown-linux-gnu,i686-unknown-linux-gnu,armv7-unknown-linux-gnueabihf,aarch64-unknown-linux-gnu,aarch64_be-unknown-linux-musl,armeb-bele-linux-musleabi,mips-unknown-linux-gnu,powerpc-unknown-linux-gnu,powerpc64-unknown-linux-gnu,s390x-unknown-linux-gnu,sparc64-unknown-linux-gnu
cargo build -q -p bele
./target/debug/bele setup --targets "$E2E_TARGETS" --color never
# Reports are checked with what their readers use: the HTML in a real headless Chromium,
# JUnit against harness/schema/junit.xsd with xmllint, KTAP with the kernel's own parser.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v xmllint >/dev/null || missing+=(libxml2-utils)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
ci/fetch-kunit.sh
cargo test --workspace "$@"
