#!/usr/bin/env bash
# Builds the pinned control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, helm) from the Go modules beside this script into a cache keyed by version:
#   ${MDB_CACHE:-~/.cache/mdbcluster}/k8s-<version>/bin
# Warm (cache present and stamped for the same go.sum files) it returns in well under a second.
# Prints the bin directory as its last line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
HELM_VERSION=v3.22.0
cache="${MDB_CACHE:-$HOME/.cache/mdbcluster}/k8s-${K8S_VERSION}"
bin="$cache/bin"
stamp="$(cat "$here"/*/go.sum "$here"/*/go.mod "$0" | sha256sum | cut -c1-16)"
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl helm)

complete() {
  [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp" ] || return 1
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
}
if complete; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "error: 'go' is not on PATH; install Go 1.26 or newer (the Debian package 'golang' is too old)" >&2; exit 1; }
mkdir -p "$bin"
export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
start=$(date +%s)
date_iso=$(date -u +%Y-%m-%dT%H:%M:%SZ)
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
kver() {
  local p=$1
  echo "-X $p.gitVersion=${K8S_VERSION} -X $p.gitMajor=1 -X $p.gitMinor=${minor} -X $p.gitTreeState=clean -X $p.gitCommit=module-${K8S_VERSION} -X $p.buildDate=${date_iso}"
}
k8s_ldflags="-s -w $(kver k8s.io/component-base/version) $(kver k8s.io/client-go/pkg/version)"

# build MODULE_DIR OUTPUT PACKAGE LDFLAGS — prints progress every 20 s while the compiler works.
build() {
  local dir=$1 out=$2 pkg=$3 ldflags=$4 t0=$(date +%s)
  echo "[control-plane] building $out ($pkg) ..." >&2
  ( cd "$here/$dir" && go build -trimpath -ldflags "$ldflags" -o "$bin/$out.tmp" "$pkg" ) &
  local pid=$!
  while kill -0 $pid 2>/dev/null; do
    sleep 2
    if kill -0 $pid 2>/dev/null && (( ($(date +%s) - t0) % 20 < 2 )); then
      echo "[control-plane]   $out: still compiling, $(( $(date +%s) - t0 ))s" >&2
    fi
  done
  wait $pid
  mv "$bin/$out.tmp" "$bin/$out"
  echo "[control-plane] built $out in $(( $(date +%s) - t0 ))s" >&2
}

echo "[control-plane] cold build of Kubernetes ${K8S_VERSION}, etcd ${ETCD_VERSION}, helm ${HELM_VERSION} into $bin (several minutes)" >&2
( cd "$here/kubernetes" && go mod download ) >&2
build etcd etcd go.etcd.io/etcd/server/v3 "-s -w"
build kubernetes kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags"
build kubernetes kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_ldflags"
build kubernetes kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "$k8s_ldflags"
build kubernetes kubectl k8s.io/kubernetes/cmd/kubectl "$k8s_ldflags"
build helm helm helm.sh/helm/v3/cmd/helm "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
echo "$stamp" > "$cache/stamp"
echo "[control-plane] cold build took $(( $(date +%s) - start ))s" >&2
echo "$bin"
