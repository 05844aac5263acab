#!/usr/bin/env bash
# Puts the kernel's KTAP parser and its JSON writer (tools/testing/kunit/*.py) into
# target/kunit, taken from Debian's linux-source package (downloaded, not installed). Tests
# parse bele's KTAP with them and compare bele's kunit-json report with kunit.py's.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=target/kunit
[ -f "$DEST/kunit_json.py" ] && exit 0
PKG=${KUNIT_SOURCE_PACKAGE:-linux-source-6.1}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && apt-get download -q "$PKG" >/dev/null 2>&1) || {
  apt-get update -q >/dev/null
  (cd "$TMP" && apt-get download -q "$PKG")
}
TARBALL=$(dpkg-deb -c "$TMP"/"$PKG"_*.deb | awk '{print $NF}' | grep -E '/usr/src/linux-source-.*\.tar\.xz$')
dpkg-deb --fsys-tarfile "$TMP"/"$PKG"_*.deb | tar -xO "$TARBALL" |
  tar -xJ -C "$TMP" --wildcards '*/tools/testing/kunit/kunit_parser.py' \
    '*/tools/testing/kunit/kunit_printer.py' '*/tools/testing/kunit/kunit_json.py'
mkdir -p "$DEST"
cp "$TMP"/*/tools/testing/kunit/kunit_{parser,printer,json}.py "$DEST"/
echo "kunit parser from $(basename "$TMP"/"$PKG"_*.deb) in $DEST"
