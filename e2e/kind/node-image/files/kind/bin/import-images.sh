#!/bin/bash
# Imports /kind/images.tar (control plane, etcd, CoreDNS, pause, kube-proxy, pod network, storage provisioner and its
# helper) into containerd's k8s.io namespace, once per node: /var outlives a restart of the node.
set -euo pipefail
done_file=/var/lib/mdb-kind/images-imported
[ -f "$done_file" ] && exit 0
for _ in $(seq 1 120); do ctr version >/dev/null 2>&1 && break; sleep 0.5; done
ctr --namespace k8s.io images import --all-platforms /kind/images.tar
mkdir -p "$(dirname "$done_file")" && touch "$done_file"
