// The chart and the operator agree: the Deployment sets exactly the environment the operator reads,
// and the operator's own settings parser accepts what the chart renders and gets what the values say.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { pinnedTool } from "../../../e2e/local/toolchain/paths.ts";
import { parseOperatorSettings } from "../../../operator/src/settings.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const helm = pinnedTool("helm");

interface EnvVar { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }

/** The operator container's environment as the pod would see it (downward API filled in). */
function renderedEnv(set: string[] = []): Record<string, string> {
  const r = spawnSync(helm, ["template", "rel", join(repo, "charts/mdb-operator"), "--namespace", "ops", ...set.flatMap((s) => ["--set", s])], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const deployment = parseAllDocuments(r.stdout).map((d) => d.toJS()).find((o) => o?.kind === "Deployment");
  const env = deployment.spec.template.spec.containers[0].env as EnvVar[];
  const downward: Record<string, string> = { "metadata.name": "rel-mdb-operator-abc12", "metadata.namespace": "ops" };
  return Object.fromEntries(env.map((e) => [e.name, e.value ?? downward[e.valueFrom?.fieldRef?.fieldPath ?? ""] ?? ""]));
}

/** The text of every TypeScript file of operator/src, generated files excluded. */
function operatorSources(dir = join(repo, "operator/src")): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "generated" ? [] : operatorSources(path);
    return name.endsWith(".ts") ? [readFileSync(path, "utf8")] : [];
  });
}

/** Every MDB_* variable the operator's source reads from its environment. */
function variablesTheOperatorReads(): string[] {
  const found = new Set<string>();
  // Reads only (`env.X`, `env["X"]`, `(env, "X"`): member pods' variables are named in builders too.
  for (const text of operatorSources()) for (const m of text.matchAll(/(?:\benv\.|\benv\[["']|\(env, ["'])(MDB_[A-Z_]+)/g)) found.add(m[1]);
  return [...found].sort();
}

/** client-node's method names for the kinds the operator touches: the RBAC resource and its API group. */
const RESOURCE_OF: Record<string, string> = {
  Pod: "core/pods", Node: "core/nodes", Service: "core/services", Secret: "core/secrets", PersistentVolumeClaim: "core/persistentvolumeclaims",
  Event: "core/events", PodDisruptionBudget: "policy/poddisruptionbudgets", NetworkPolicy: "networking.k8s.io/networkpolicies",
  Lease: "coordination.k8s.io/leases", CustomObject: "mdbcluster.io/mdbclusters", CustomObjectStatus: "mdbcluster.io/mdbclusters/status",
  Certificate: "cert-manager.io/certificates", Issuer: "cert-manager.io/issuers", ClusterIssuer: "cert-manager.io/clusterissuers",
};
const VERBS_OF: Record<string, string[]> = { create: ["create"], read: ["get"], replace: ["update"], patch: ["patch"], delete: ["delete"], list: ["list", "watch"] };

/**
 * Every "resource verb" the operator's source asks the API server for, from its client calls
 * (`createNamespacedPod`, `listSecretForAllNamespaces`, …); a list is an informer's, so it watches too.
 */
function requestsTheOperatorMakes(): Set<string> {
  const found = new Set<string>();
  // client-node's names: verb + Namespaced/Cluster + kind, verb + kind + ForAllNamespaces, or listNode (the
  // operator's own KubeWrites.createPod and the like call these, and are not matched).
  const call = /\.(create|read|replace|patch|delete|list)(?:(?:Namespaced|Cluster(?!Issuer\())([A-Z]\w*?)|([A-Z]\w*?)ForAllNamespaces|(Node|ClusterIssuer))\(/g;
  for (const text of operatorSources()) {
    for (const m of text.matchAll(call)) {
      const resource = RESOURCE_OF[m[2] ?? m[3] ?? m[4]];
      assert.ok(resource, `operator/src calls ${m[0]}: add its kind to RESOURCE_OF`);
      for (const verb of VERBS_OF[m[1]]) found.add(`${resource} ${verb}`);
    }
  }
  // Setting blockOwnerDeletion in an owner reference needs update on the owner's finalizers.
  found.add("mdbcluster.io/mdbclusters/finalizers update");
  // The chart makes the Lease (MDB_LEASE_CREATE=false), so the operator never creates it.
  found.delete("coordination.k8s.io/leases create");
  return found;
}

/** Every "resource verb" the chart's RBAC grants (ClusterRole and Roles together). */
function requestsTheChartGrants(set: string[]): Set<string> {
  const r = spawnSync(helm, ["template", "rel", join(repo, "charts/mdb-operator"), "--namespace", "ops", ...set.flatMap((s) => ["--set", s])], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const granted = new Set<string>();
  for (const o of parseAllDocuments(r.stdout).map((d) => d.toJS())) {
    if (o?.kind !== "ClusterRole" && o?.kind !== "Role") continue;
    for (const rule of o.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
      for (const g of rule.apiGroups) for (const res of rule.resources) for (const v of rule.verbs) granted.add(`${g || "core"}/${res} ${v}`);
    }
  }
  return granted;
}

describe("chart RBAC ↔ the operator's API calls", () => {
  for (const set of [[], ["watchNamespace=apps"]]) {
    test(`granted is exactly what the operator calls (get besides a list) ${set.length ? `with ${set.join(" ")}` : "watching every namespace"}`, () => {
      const wanted = requestsTheOperatorMakes();
      const granted = requestsTheChartGrants(set);
      assert.deepEqual([...wanted].filter((w) => !granted.has(w)).sort(), [], "the operator calls these but charts/mdb-operator/templates RBAC does not grant them");
      const listed = new Set([...wanted].filter((w) => w.endsWith(" list")).map((w) => w.split(" ")[0]));
      const unused = [...granted].filter((g) => !wanted.has(g) && !(g.endsWith(" get") && listed.has(g.split(" ")[0])));
      assert.deepEqual(unused.sort(), [], "the chart grants these but the operator never calls them: remove them (least privilege)");
    });
  }
});

describe("chart ↔ operator settings", () => {
  test("the Deployment sets exactly the variables the operator reads, plus its pod identity", () => {
    const chartVars = Object.keys(renderedEnv()).sort();
    assert.deepEqual(chartVars.filter((v) => !v.startsWith("MDB_")), ["NODE_OPTIONS", "POD_NAME", "POD_NAMESPACE"], "besides the operator's: its pod identity, and Node's own options");
    assert.deepEqual(chartVars.filter((v) => v.startsWith("MDB_")), variablesTheOperatorReads(),
      "a variable the operator reads is not set by charts/mdb-operator/templates/deployment.yaml, or the chart sets one nobody reads");
  });

  test("the operator accepts the default values and gets what they say", () => {
    const config = parseOperatorSettings(renderedEnv(), "host");
    assert.deepEqual(config, {
      identity: "rel-mdb-operator-abc12", podNamespace: "ops", operatorPodLabels: { "app.kubernetes.io/name": "mdb-operator", "app.kubernetes.io/instance": "rel" }, watchNamespace: "", leaderElect: true, leaseName: "rel-mdb-operator", createLease: false,
      leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, memberImage: "mdbcluster/node:0.1.0",
      engineImage: "mdbcluster/engine-valkey:9.1.2", healthPort: 8081, metricsPort: 8080, resyncMs: 60_000, workers: 4,
    });
  });

  test("values reach the operator: one namespace, no election, other timings, port and image", () => {
    const config = parseOperatorSettings(renderedEnv([
      "watchNamespace=apps", "replicaCount=1", "leaderElection.enabled=false", "leaderElection.leaseName=my-lease",
      "leaderElection.leaseDurationSeconds=30", "leaderElection.renewDeadlineSeconds=20", "leaderElection.retryPeriodSeconds=5",
      "healthPort=9444", "resyncSeconds=300", "workers=8", "memberImage.repository=example/node", "memberImage.tag=1.2.3",
      "engineImage.repository=valkey/valkey", "engineImage.tag=9.0",
    ]), "host");
    assert.deepEqual(
      [config.watchNamespace, config.leaderElect, config.leaseName, config.leaseDurationMs, config.renewDeadlineMs, config.retryPeriodMs, config.healthPort, config.resyncMs, config.workers, config.memberImage, config.engineImage],
      ["apps", false, "my-lease", 30_000, 20_000, 5_000, 9444, 300_000, 8, "example/node:1.2.3", "valkey/valkey:9.0"]);
  });

  test("the chart's bounds are within what the operator accepts", () => {
    const schema = JSON.parse(readFileSync(join(repo, "charts/mdb-operator/values.schema.json"), "utf8")) as { properties: Record<string, { maximum?: number; properties?: Record<string, unknown> }> };
    // The largest values the schema allows must still parse.
    const env = renderedEnv([`resyncSeconds=${schema.properties.resyncSeconds.maximum}`, `workers=${schema.properties.workers.maximum}`, "healthPort=65535"]);
    assert.doesNotThrow(() => parseOperatorSettings(env, "host"));
  });
});
