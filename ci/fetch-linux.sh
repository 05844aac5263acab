#!/usr/bin/env bash
# Puts the newest Linux source that Debian's unstable suite offers (linux-source-X.Y, X.Y >= 7.2,
# the first release with Rust on big-endian s390x) into DEST (default target/linux), and prints
# its path. Downloaded with a private apt configuration: nothing is installed and the system's
# sources are not changed. The mirror is the one this machine's own apt sources name.
# Usage: ci/fetch-linux.sh [DEST]   (LINUX_SOURCE_PACKAGE=linux-source-7.3 picks a version)
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${1:-target/linux}
if [ -f "$DEST/.bele-source" ]; then
  cat "$DEST/.bele-source"
  exit 0
fi
APT=$(realpath -m target/apt-sid)
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources"
# The mirror of this machine's own Debian sources (deb822 or one-line format).
mirror=$( (grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}';
           grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}') |
          grep -v security | head -n 1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
cat > "$APT/sources/sid.sources" <<SRC
Types: deb
URIs: $mirror
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$APT/sources"
      -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
      -o "Dir::State::Status=/dev/null" -o "APT::Architecture=amd64" -o "Acquire::Languages=none")
apt-get "${opts[@]}" -q update >/dev/null
pkg=${LINUX_SOURCE_PACKAGE:-}
if [ -z "$pkg" ]; then
  # The newest linux-source-X.Y at or above 7.2 (Debian drops old ones as new ones arrive).
  pkg=$(apt-cache "${opts[@]}" pkgnames linux-source- |
        grep -E '^linux-source-[0-9]+\.[0-9]+$' |
        awk -F- '{split($3, v, "."); if (v[1] > 7 || (v[1] == 7 && v[2] >= 2)) print v[1] * 1000 + v[2], $0}' |
        sort -n | tail -n 1 | awk '{print $2}')
fi
if [ -z "$pkg" ]; then
  echo "fetch-linux: Debian's unstable suite at $mirror offers no linux-source-X.Y at or above 7.2" >&2
  exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && apt-get "${opts[@]}" -q download "$pkg" >/dev/null)
deb=$(ls "$TMP"/"$pkg"_*.deb)
tarball=$(dpkg-deb -c "$deb" | awk '{print $NF}' | grep -E '/usr/src/linux-source-.*\.tar\.xz$')
mkdir -p "$DEST"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" | tar -xJ -C "$DEST" --strip-components=1
src=$(realpath "$DEST")
echo "$src" > "$DEST/.bele-source"
echo "fetch-linux: $(basename "$deb") into $src" >&2
echo "$src"
