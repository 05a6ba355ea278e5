// Where and how the operator reaches each member's sidecar: the pod's IP, the bearer token, and mTLS
// with the cluster's CA (or cert-manager's) and the operator's client certificate (docs/architecture/sidecar.md#mtls) for
// every pod made with TLS files. A pod without them (made by an operator before mTLS) is reached with
// the token alone until it is made again.
import type { V1Pod, V1Secret } from "@kubernetes/client-node";
import { MemberEnv } from "../../../common/member-env.ts";
import { LABELS, memberDnsNames, SIDECAR_PORT } from "../resources/names.ts";
import { secretText, type OperatorCredentials } from "../resources/tls-secrets.ts";
import type { MemberEndpoint } from "../sidecar/pool.ts";

/** The pod's sidecar serves mTLS: it was given the TLS files. */
export function podServesTls(pod: V1Pod): boolean {
  return (pod.spec?.containers ?? []).some((c) => c.name === "sidecar" && (c.env ?? []).some((e) => e.name === MemberEnv.TLS_CERT_FILE));
}

/**
 * The endpoints of a cluster's running member pods. A pod that serves mTLS while the operator has no
 * client certificate yet is left out: it cannot be reached until one is issued.
 */
export function sidecarEndpoints(cluster: { name: string; namespace: string }, pods: readonly V1Pod[], tokenSecret: V1Secret | undefined, credentials: OperatorCredentials | undefined): MemberEndpoint[] {
  const token = secretText(tokenSecret, "token");
  if (!token) return [];
  const out: MemberEndpoint[] = [];
  for (const pod of pods) {
    if (pod.metadata?.labels?.[LABELS.cluster] !== cluster.name || !pod.status?.podIP || pod.metadata.deletionTimestamp) continue;
    const member = pod.metadata.name!;
    const endpoint: MemberEndpoint = { member, address: `${pod.status.podIP}:${SIDECAR_PORT}`, token };
    if (!podServesTls(pod)) out.push(endpoint);
    else if (credentials) {
      const { caPem, certPem, keyPem } = credentials;
      out.push({ ...endpoint, tls: { caPem: Buffer.from(caPem), certPem: Buffer.from(certPem), keyPem: Buffer.from(keyPem), serverName: memberDnsNames(cluster.name, cluster.namespace, member)[0] } });
    }
  }
  return out;
}
