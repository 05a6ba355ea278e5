// Create the Secrets, Services, PodDisruptionBudget and NetworkPolicy a cluster owns, and delete them on teardown.
import type { OwnedKind } from "../model/actions.ts";
import {
  buildAuthSecret, buildClientService, buildHeadlessService, buildPodDisruptionBudget, buildSidecarSecret,
} from "../resources/cluster-objects.ts";
import { clientServiceName, generatedAuthSecretName, headlessServiceName, networkPolicyName, pdbName, sidecarSecretName } from "../resources/names.ts";
import { buildNetworkPolicy } from "../resources/network-policy.ts";
import type { ExecutorContext, OwnedObject, OwnedObjectKind } from "./context.ts";

export async function createOwned(kinds: readonly OwnedKind[], ctx: ExecutorContext): Promise<void> {
  const cluster = ctx.observation.cluster;
  const build: Record<OwnedKind, () => OwnedObject> = {
    "auth-secret": () => buildAuthSecret(cluster, ctx.randomBytes(24).toString("base64url")),
    "sidecar-secret": () => buildSidecarSecret(cluster, ctx.randomBytes(32).toString("hex")),
    "headless-service": () => buildHeadlessService(cluster),
    "client-service": () => buildClientService(cluster),
    pdb: () => buildPodDisruptionBudget(cluster, ctx.spec),
    "network-policy": () => buildNetworkPolicy(cluster, ctx.spec.networkPolicy),
  };
  for (const kind of kinds) await ctx.kube.createOwned(build[kind]());
}

/** The NetworkPolicy follows spec.networkPolicy: replaced when it differs, removed when turned off. */
export async function syncNetworkPolicy(ctx: ExecutorContext, remove: boolean): Promise<void> {
  const cluster = ctx.observation.cluster;
  if (remove) await ctx.kube.deleteOwned("NetworkPolicy", cluster.metadata!.namespace!, networkPolicyName(cluster.metadata!.name!));
  else await ctx.kube.replaceOwned(buildNetworkPolicy(cluster, ctx.spec.networkPolicy));
}

/** The PDB follows the member count when shards or standbys change. */
export async function updatePdb(ctx: ExecutorContext, shape: { shards: number; replicasPerShard: number }): Promise<void> {
  await ctx.kube.replaceOwned(buildPodDisruptionBudget(ctx.observation.cluster, shape));
}

export function ownedRef(kind: OwnedKind, cluster: string): { kind: OwnedObjectKind; name: string } {
  switch (kind) {
    case "auth-secret": return { kind: "Secret", name: generatedAuthSecretName(cluster) };
    case "sidecar-secret": return { kind: "Secret", name: sidecarSecretName(cluster) };
    case "headless-service": return { kind: "Service", name: headlessServiceName(cluster) };
    case "client-service": return { kind: "Service", name: clientServiceName(cluster) };
    case "pdb": return { kind: "PodDisruptionBudget", name: pdbName(cluster) };
    case "network-policy": return { kind: "NetworkPolicy", name: networkPolicyName(cluster) };
  }
}

export async function teardown(action: { pods: string[]; pvcs: string[]; owned: OwnedKind[]; tlsSecrets?: string[]; certificates?: string[] }, ctx: ExecutorContext): Promise<void> {
  const ns = ctx.observation.cluster.metadata!.namespace!;
  const name = ctx.observation.cluster.metadata!.name!;
  for (const pod of action.pods) await ctx.kube.deletePod(ns, pod);
  for (const pvc of action.pvcs) await ctx.kube.deletePvc(ns, pvc);
  for (const kind of action.owned) {
    const ref = ownedRef(kind, name);
    await ctx.kube.deleteOwned(ref.kind, ns, ref.name);
  }
  for (const certificate of action.certificates ?? []) await ctx.kube.deleteCertificate(ns, certificate);
  for (const secret of action.tlsSecrets ?? []) await ctx.kube.deleteOwned("Secret", ns, secret);
}
