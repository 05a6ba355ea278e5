// Each pod's /etc/hosts. There is no cluster DNS on the proving ground, so the runner writes the
// names a pod would otherwise resolve through it: its own hostname, the API server, and every pod
// that sets hostname + subdomain (the stable names a headless Service gives StatefulSet members).

export interface HostsPeer {
  ip: string;
  namespace: string;
  hostname: string;
  subdomain?: string;
}

export const CLUSTER_DOMAIN = "cluster.local";

export function podHostname(pod: { metadata?: { name?: string }; spec?: { hostname?: string } }): string {
  return pod.spec?.hostname || pod.metadata?.name || "";
}

/** Names for a peer: `h.sub.ns.svc.cluster.local h.sub.ns.svc h.sub.ns h.sub` when it has a subdomain. */
export function peerNames(peer: HostsPeer): string[] {
  if (!peer.subdomain) return [];
  const base = `${peer.hostname}.${peer.subdomain}`;
  return [`${base}.${peer.namespace}.svc.${CLUSTER_DOMAIN}`, `${base}.${peer.namespace}.svc`, `${base}.${peer.namespace}`, base];
}

/** `aliases` are the pod's spec.hostAliases, appended as the kubelet does. */
export function renderHostsFile(self: HostsPeer, apiserverIP: string, peers: HostsPeer[], aliases: { ip?: string; hostnames?: string[] }[] = []): string {
  const lines = [
    "# Kubernetes-managed hosts file (written by the mdbcluster proving-ground pod runner).",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    `${self.ip}\t${[...peerNames(self), self.hostname].join(" ")}`,
    `${apiserverIP}\tkubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.${CLUSTER_DOMAIN}`,
  ];
  const sorted = [...peers].sort((a, b) => (a.namespace + a.hostname).localeCompare(b.namespace + b.hostname));
  for (const peer of sorted) {
    if (peer.ip === self.ip) continue;
    const names = peerNames(peer);
    if (names.length > 0) lines.push(`${peer.ip}\t${names.join(" ")}`);
  }
  const withNames = aliases.filter((a) => a.ip && (a.hostnames?.length ?? 0) > 0);
  if (withNames.length > 0) {
    lines.push("# Entries added by HostAliases.");
    for (const a of withNames) lines.push(`${a.ip}\t${a.hostnames!.join("\t")}`);
  }
  return `${lines.join("\n")}\n`;
}
