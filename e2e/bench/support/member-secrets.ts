// The Secrets a member pod built by buildMemberPod mounts — the engine's password, the sidecar API's
// token and the member's TLS certificate (docs/architecture/sidecar.md#mtls) — made as the operator
// makes them, for the pods the benches create without an operator. No owner: the garbage collector
// would delete objects whose owner does not exist.
import { randomBytes } from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import type { MdbCluster } from "../../../operator/src/api/types.ts";
import { createCa, issueLeaf } from "../../../operator/src/executor/pki.ts";
import { buildAuthSecret, buildSidecarSecret } from "../../../operator/src/resources/cluster-objects.ts";
import { memberDnsNames } from "../../../operator/src/resources/names.ts";
import { buildMemberTlsSecret } from "../../../operator/src/resources/tls-secrets.ts";

const DAY_MS = 24 * 3600 * 1000;

export async function memberPodSecrets(cluster: MdbCluster, members: readonly string[], password: string): Promise<V1Secret[]> {
  const name = cluster.metadata!.name!;
  const namespace = cluster.metadata!.namespace!;
  const now = Date.now();
  const ca = await createCa(`${namespace}/${name} bench CA`, now, DAY_MS);
  const tls = await Promise.all(members.map(async (member) => buildMemberTlsSecret(cluster, member, ca.certPem,
    await issueLeaf(ca, { commonName: member, dnsNames: memberDnsNames(name, namespace, member), usage: "server", nowMs: now, validityMs: DAY_MS }))));
  const secrets = [buildAuthSecret(cluster, password), buildSidecarSecret(cluster, randomBytes(32).toString("base64url")), ...tls];
  for (const s of secrets) delete s.metadata!.ownerReferences;
  return secrets;
}
