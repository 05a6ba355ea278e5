#!/usr/bin/env bash
# Runs a real node's containerd (and, through nsenter, its kubelet) in a private mount namespace where
# the host-wide paths these programs hard-code are the node's own, so nothing they write there is
# shared with the machine or with another node, and nothing needs creating on the host:
#   /run      a tmpfs: pod network namespaces (/run/netns), shim sockets (/run/containerd), runc state
#   /var/lib  the node's directory: the device-plugin socket (/var/lib/kubelet), CNI result cache
#   /var/log  the node's directory: /var/log/containers links
# and the kernel settings the kubelet insists on (vm.overcommit_memory=1, kernel.panic=10,
# kernel.panic_on_oops=1, …) are files of this node: the kubelet reads and writes them, the host's
# values stay as they are. Mounts made here vanish with the namespace's last process.
# usage: node-namespace.sh NODE_DIR -- COMMAND [ARGS…]
set -euo pipefail
dir=$1
shift
[ "${1:-}" = "--" ] && shift
ns="$dir/ns"
mkdir -p "$ns/sysctl"
mount -t tmpfs -o mode=0755,size=64m "node-run" /run
mkdir -p /run/netns /run/containerd
for pair in /var/lib:var-lib /var/log:var-log; do
  mkdir -p "$ns/${pair#*:}"
  mount --bind "$ns/${pair#*:}" "${pair%%:*}"
done
for key in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes; do
  file="$ns/sysctl/${key//\//.}"
  cat "/proc/sys/$key" > "$file"
  mount --bind "$file" "/proc/sys/$key"
done
exec "$@"
