#!/bin/bash
# The kind cluster's pod network, in place of kindnet (whose image no registry can give us here): every
# few seconds, read the Nodes with this node's own credentials; write the CNI config (ptp + host-local)
# for this node's podCIDR and route every other node's podCIDR to that node's InternalIP. All nodes share
# one container network, so the next hop is always direct.
set -uo pipefail
kubeconfig=/etc/kubernetes/kubelet.conf
conf=/etc/cni/net.d/10-mdb-kind.conflist
self=$(hostname)
sysctl -qw net.ipv4.ip_forward=1

write_conf() {
  local cidr=$1 wanted
  wanted=$(cat <<JSON
{
  "cniVersion": "0.4.0",
  "name": "mdb-kind",
  "plugins": [
    { "type": "ptp", "ipMasq": false, "mtu": 1500,
      "ipam": { "type": "host-local", "dataDir": "/run/cni-ipam-state",
                "ranges": [[{ "subnet": "$cidr" }]], "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
)
  if [ "$(cat "$conf" 2>/dev/null)" != "$wanted" ]; then
    echo "$wanted" > "$conf.tmp" && mv "$conf.tmp" "$conf"
    echo "pod network: $self has podCIDR $cidr"
  fi
}

while true; do
  if [ -f "$kubeconfig" ]; then
    kubectl --kubeconfig "$kubeconfig" get nodes -o \
      jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}' 2>/dev/null |
    while read -r name cidr ip; do
      [ -n "$cidr" ] && [ -n "$ip" ] || continue
      if [ "$name" = "$self" ]; then
        write_conf "$cidr"
      elif ! ip route show "$cidr" | grep -q "via $ip "; then
        ip route replace "$cidr" via "$ip" && echo "pod network: $cidr via $ip ($name)"
      fi
    done
  fi
  sleep 3
done
