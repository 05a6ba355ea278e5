#!/usr/bin/env bash
# Installs the Debian packages the proving ground and the tests use, when missing (`.ci/run` and
# `npm run demo` share this list): real engines, the PKI, pod networking.
set -euo pipefail
need_pkgs=()
command -v redis-server >/dev/null || need_pkgs+=(redis-server)
command -v redis-cli >/dev/null || need_pkgs+=(redis-tools)
command -v openssl >/dev/null || need_pkgs+=(openssl)
command -v ip >/dev/null || need_pkgs+=(iproute2)
command -v nsenter >/dev/null || need_pkgs+=(util-linux)
command -v ps >/dev/null || need_pkgs+=(procps)
command -v curl >/dev/null || need_pkgs+=(curl)
# Real nodes and the images (docs/proving-ground.md#real-nodes): buildah builds the images on debootstrapped bases,
# containerd + runc run them under real kubelets, CNI plugins wire the pods, nft holds kube-proxy's rules.
command -v buildah >/dev/null || need_pkgs+=(buildah)
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
command -v containerd >/dev/null || need_pkgs+=(containerd)
command -v runc >/dev/null || need_pkgs+=(runc)
command -v nft >/dev/null || need_pkgs+=(nftables)
[ -x /usr/lib/cni/bridge ] || need_pkgs+=(containernetworking-plugins)
# kind's podman provider (docs/kind.md): CI runs the operator's e2e on kind too.
command -v podman >/dev/null || need_pkgs+=(podman)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: missing Debian packages ${need_pkgs[*]}; install them as root: apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
  echo "installing Debian packages: ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}"
fi
# Debian's redis-server package starts a service on 127.0.0.1:6379; the tests start their own engines.
if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then systemctl stop redis-server || true; fi
