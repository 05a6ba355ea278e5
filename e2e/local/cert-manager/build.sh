#!/usr/bin/env bash
# Builds the proving ground's cert-manager controller (main.go beside this script) from cert-manager's
# pinned Go module, and copies cert-manager's CRDs from that module, into a cache keyed by version:
#   ${MDB_CACHE:-~/.cache/mdbcluster}/cert-manager-<version>/{bin/cert-manager-controller,crds/*.yaml}
# Warm (stamped for the same sources) it returns at once. Prints the cache directory as its last line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(awk '/^require github.com\/cert-manager\/cert-manager /{print $3}' "$here/go.mod")"
cache="${MDB_CACHE:-$HOME/.cache/mdbcluster}/cert-manager-${version}"
stamp="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" "$0" | sha256sum | cut -c1-16)"
if [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp" ] && [ -x "$cache/bin/cert-manager-controller" ]; then echo "$cache"; exit 0; fi

command -v go >/dev/null || { echo "error: 'go' is not on PATH; install Go 1.26 or newer" >&2; exit 1; }
export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
start=$(date +%s)
echo "[cert-manager] building cert-manager ${version}'s controllers into $cache (about 2 minutes, once)" >&2
mkdir -p "$cache/bin" "$cache/crds"
cd "$here"
go build -trimpath -ldflags "-s -w" -o "$cache/bin/cert-manager-controller.tmp" .
mv "$cache/bin/cert-manager-controller.tmp" "$cache/bin/cert-manager-controller"
module="$(go list -m -f '{{.Dir}}' github.com/cert-manager/cert-manager)"
for crd in certificates certificaterequests issuers clusterissuers; do
  cp "$module/deploy/crds/cert-manager.io_${crd}.yaml" "$cache/crds/"
done
chmod -R u+w "$cache/crds"
echo "$stamp" > "$cache/stamp"
echo "[cert-manager] built in $(( $(date +%s) - start ))s" >&2
echo "$cache"
