// The NetworkPolicy a cluster owns (pure): which sources reach which member port and where members
// connect to; the network plugin refuses the rest where it enforces NetworkPolicy
// (docs/usage.md#network-policy).
import type { V1LabelSelector, V1NetworkPolicy, V1NetworkPolicyPeer, V1NetworkPolicyPort } from "@kubernetes/client-node";
import type { MdbCluster, NetworkPeer, ResolvedSpec } from "../api/types.ts";
import {
  BUS_PORT, clusterLabels, ENGINE_PORT, LABELS, METRICS_PORT_NAME, networkPolicyName, ownerReference, SIDECAR_PORT,
} from "./names.ts";

/** The label the API server puts on every namespace, naming it: how a policy selects one namespace. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
const DNS_PORT = 53;

const tcp = (port: number | string): V1NetworkPolicyPort => ({ protocol: "TCP", port });

/**
 * A selector without empty parts: the API server drops empty lists and maps, so the object read back
 * compares equal to the one built (networkPolicyUpToDate).
 */
function selector(s: V1LabelSelector): V1LabelSelector {
  const labels = Object.keys(s.matchLabels ?? {}).length > 0 ? { matchLabels: { ...s.matchLabels } } : {};
  const exprs = (s.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, ...(e.values?.length ? { values: [...e.values] } : {}) }));
  return { ...labels, ...(exprs.length > 0 ? { matchExpressions: exprs } : {}) };
}

function peer(p: NetworkPeer): V1NetworkPolicyPeer {
  if (p.ipBlock) return { ipBlock: { cidr: p.ipBlock.cidr, ...(p.ipBlock.except?.length ? { except: [...p.ipBlock.except] } : {}) } };
  return {
    ...(p.podSelector ? { podSelector: selector(p.podSelector) } : {}),
    ...(p.namespaceSelector ? { namespaceSelector: selector(p.namespaceSelector) } : {}),
  };
}

/** Ingress: clients → engine, members ↔ engine + bus, operator → sidecar API, scrapers → metrics. Egress: members and DNS. */
export function buildNetworkPolicy(cluster: MdbCluster, policy: ResolvedSpec["networkPolicy"]): V1NetworkPolicy {
  const name = cluster.metadata!.name!;
  const members: V1NetworkPolicyPeer = { podSelector: { matchLabels: { [LABELS.cluster]: name, [LABELS.component]: "member" } } };
  const operator: V1NetworkPolicyPeer[] | undefined = policy.operatorPods && [{
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: policy.operatorPods.namespace } },
    podSelector: { matchLabels: { ...policy.operatorPods.labels } },
  }];
  // `from` left out admits any source; an empty list would admit none. (client-node names it `_from`.)
  const from = (peers: V1NetworkPolicyPeer[] | undefined) => (peers && peers.length > 0 ? { _from: peers } : {});
  const scrapers = policy.metrics.length > 0 ? policy.metrics.map(peer) : [{ podSelector: {} }];
  return {
    apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
    metadata: { name: networkPolicyName(name), namespace: cluster.metadata!.namespace!, labels: clusterLabels(name), ownerReferences: [ownerReference(cluster)] },
    spec: {
      podSelector: members.podSelector!,
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        { ports: [tcp(ENGINE_PORT)], ...from(policy.clients.map(peer)) },
        // Replication and slot migration use the engine port, gossip the bus.
        { ports: [tcp(ENGINE_PORT), tcp(BUS_PORT)], _from: [members] },
        { ports: [tcp(SIDECAR_PORT)], ...from(operator) },
        { ports: [tcp(METRICS_PORT_NAME)], _from: scrapers },
      ],
      egress: [
        { ports: [tcp(ENGINE_PORT), tcp(BUS_PORT)], to: [members] },
        { ports: [{ protocol: "UDP", port: DNS_PORT }, tcp(DNS_PORT)] },
      ],
    },
  };
}

/**
 * Key-order-free JSON of a value, undefined members left out. An ingress rule's sources are `_from`
 * when client-node deserialized the object (a list) and `from` when it did not (a watch event).
 */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined)
      .map(([k, x]) => [k === "_from" ? "from" : k, x] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The observed policy says what the built one says (a changed spec or a hand edit makes it differ). */
export const networkPolicyUpToDate = (observed: V1NetworkPolicy, wanted: V1NetworkPolicy): boolean => canonical(observed.spec) === canonical(wanted.spec);
