#!/usr/bin/env bash
# Builds the node components of the real-node proving ground (kubelet, kube-proxy) and of the kind
# node image (kubeadm; e2e/kind/node-image) from the same
# pinned Kubernetes module as the control plane (kubernetes/go.mod beside this script), and the
# cluster DNS (CoreDNS, pinned in coredns/go.mod), and the kind cluster's storage provisioner
# (local-path-provisioner, pinned below; go checks its module against the checksum database), into
#   ${MDB_CACHE:-~/.cache/mdbcluster}/k8s-<version>/node-bin
# with its own hash stamp, so it never invalidates or rebuilds the control plane's cache (build.sh).
# The kubelet needs a few modules the control plane does not (e.g. k8s.io/cri-streaming); go resolves
# them from the pinned requirements in a copy of the module, so the checked-in go.mod/go.sum (and with
# them build.sh's stamp) stay as they are.
# Warm it returns in well under a second. Prints the bin directory as its last line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION=v1.36.3
cache="${MDB_CACHE:-$HOME/.cache/mdbcluster}/k8s-${K8S_VERSION}"
bin="$cache/node-bin"
stamp="$(cat "$here"/kubernetes/go.sum "$here"/kubernetes/go.mod "$here"/coredns/go.sum "$here"/coredns/go.mod "$0" | sha256sum | cut -c1-16)"
LOCAL_PATH_PROVISIONER_VERSION=v0.0.30
binaries=(kubelet kube-proxy kubeadm coredns local-path-provisioner)

complete() {
  [ "$(cat "$bin/stamp" 2>/dev/null)" = "$stamp" ] || return 1
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
ldflags="-s -w $(kver k8s.io/component-base/version) $(kver k8s.io/client-go/pkg/version)"

module="$cache/node-module"
mkdir -p "$module"
cp "$here/kubernetes/go.mod" "$here/kubernetes/go.sum" "$module/"
# build DIR OUTPUT PACKAGE LDFLAGS
build() {
  local dir=$1 out=$2 pkg=$3 flags=$4 t0=$(date +%s)
  echo "[node-components] building $out ($pkg) ..." >&2
  ( cd "$dir" && go build -trimpath -ldflags "$flags" -o "$bin/$out.tmp" "$pkg" ) >&2
  mv "$bin/$out.tmp" "$bin/$out"
  echo "[node-components] built $out in $(( $(date +%s) - t0 ))s" >&2
}
build "$module" kubelet k8s.io/kubernetes/cmd/kubelet "$ldflags"
build "$module" kube-proxy k8s.io/kubernetes/cmd/kube-proxy "$ldflags"
build "$module" kubeadm k8s.io/kubernetes/cmd/kubeadm "$ldflags"
build "$here/coredns" coredns github.com/coredns/coredns "-s -w"
t0=$(date +%s)
GOBIN="$bin/.gobin" go install -trimpath -ldflags "-s -w" "github.com/rancher/local-path-provisioner@${LOCAL_PATH_PROVISIONER_VERSION}" >&2
mv "$bin/.gobin/local-path-provisioner" "$bin/local-path-provisioner" && rmdir "$bin/.gobin"
echo "[node-components] built local-path-provisioner in $(( $(date +%s) - t0 ))s" >&2
echo "$stamp" > "$bin/stamp"
echo "[node-components] build took $(( $(date +%s) - start ))s" >&2
echo "$bin"
