#!/bin/bash
# The kind cluster's pod network, in place of kindnet (whose image no registry can give us here), run on
# every node by the DaemonSet in e2e/kind/node-image/files/kind/manifests/default-cni.yaml (host network,
# the node's /etc/cni/net.d mounted): every few seconds, read the Nodes; write the CNI config (ptp +
# host-local) for this node's podCIDR and route every other node's podCIDR to that node's InternalIP. All
# nodes share one container network, so the next hop is always direct. The API server is reached at
# CONTROL_PLANE_ENDPOINT (kind sets it), not through a Service: kube-proxy may not be running yet.
set -uo pipefail
: "${NODE_NAME:?}" "${CONTROL_PLANE_ENDPOINT:?}"
sa=/var/run/secrets/kubernetes.io/serviceaccount
conf=/etc/cni/net.d/10-mdb-kind.conflist
sysctl -qw net.ipv4.ip_forward=1 || echo 1 > /proc/sys/net/ipv4/ip_forward

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
    echo "pod network: $NODE_NAME has podCIDR $cidr"
  fi
}

while true; do
  kubectl --server "https://$CONTROL_PLANE_ENDPOINT" --certificate-authority "$sa/ca.crt" --token "$(cat "$sa/token")" \
    get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}' |
  while read -r name cidr ip; do
    [ -n "$cidr" ] && [ -n "$ip" ] || continue
    if [ "$name" = "$NODE_NAME" ]; then
      write_conf "$cidr"
    elif ! ip route show "$cidr" | grep -q "via $ip "; then
      ip route replace "$cidr" via "$ip" && echo "pod network: $cidr via $ip ($name)"
    fi
  done
  sleep 3
done
