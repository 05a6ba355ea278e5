// The chart, rendered by the pinned helm (e2e/local/toolchain/build.sh builds it; CI builds it before
// `npm test`): lint, the objects it renders, least-privilege RBAC rule by rule, the Deployment's
// security and probes, and the schema refusing bad values with the field's path.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { pinnedTool } from "../../../e2e/local/toolchain/paths.ts";
import { restrictedViolations } from "../../../testing/pod-security.ts";
import { nodeOptions } from "../../../common/node-options.ts";
import { memoryBytes } from "../../../operator/src/planner/index.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const chart = join(repo, "charts/mdb-operator");
const helm = pinnedTool("helm");
const NS = "mdb-system";

interface K8sObject { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown }
interface Rule { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }
interface EnvVar { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }
interface Probe { httpGet: { path: string; port: string | number } }
interface Container {
  name: string; image: string; env: EnvVar[]; ports: { name: string; containerPort: number }[];
  livenessProbe: Probe; readinessProbe: Probe; startupProbe: Probe; resources: Record<string, Record<string, string>>;
  securityContext: Record<string, unknown>; volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  serviceAccountName: string; securityContext: Record<string, unknown>; containers: Container[];
  volumes: { name: string; emptyDir?: object }[]; affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { podAffinityTerm: { topologyKey: string } }[]; requiredDuringSchedulingIgnoredDuringExecution?: unknown } };
  topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string }[];
}

function helmRun(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(helm, args, { encoding: "utf8" });
}

function render(set: string[] = [], extra: string[] = []): K8sObject[] {
  const r = helmRun(["template", "t", chart, "--namespace", NS, ...set.flatMap((s) => ["--set", s]), ...extra]);
  assert.equal(r.status, 0, `helm template failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject).filter(Boolean);
}

const find = (objs: K8sObject[], kind: string, name?: string) => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `expected one ${kind}${name ? ` ${name}` : ""}, rendered: ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found[0];
};

/** Rules as "group/resource" → sorted verbs, so a rule split or merged differently compares equal. */
function grants(rules: Rule[]): Record<string, string> {
  const out: Record<string, Set<string>> = {};
  for (const r of rules) {
    for (const g of r.apiGroups) for (const res of r.resources) {
      const key = `${g || "core"}/${res}${r.resourceNames ? `[${r.resourceNames.join(",")}]` : ""}`;
      for (const v of r.verbs) {
        assert.ok(!out[key]?.has(v), `${key} ${v} is granted by two rules`);
        (out[key] ??= new Set()).add(v);
      }
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort().join(",")]));
}

const owned = "create,delete,get,list,watch";
/** Verb for verb what the operator calls (operator-contract.test.ts checks the calls); no update or patch it does not make. */
const NAMESPACED_GRANTS = {
  "mdbcluster.io/mdbclusters": "get,list,update,watch",
  "mdbcluster.io/mdbclusters/status": "update",
  "mdbcluster.io/mdbclusters/finalizers": "update",
  "core/pods": "create,delete",
  "core/services": owned,
  // update: the sidecar API's certificates are renewed in place (docs/architecture/sidecar.md#mtls).
  "core/secrets": "create,delete,get,list,update,watch",
  "core/persistentvolumeclaims": owned,
  "policy/poddisruptionbudgets": "create,delete,get,list,update,watch",
  "networking.k8s.io/networkpolicies": "create,delete,get,list,update,watch",
  "core/events": "create",
  "cert-manager.io/certificates": "create,delete,get,list,update,watch",
  "cert-manager.io/issuers": "get",
};
/** Placement reads every Node and every pod's requests, whichever namespaces are watched. */
const CLUSTER_READ_GRANTS = { "core/nodes": "get,list,watch", "core/pods": "get,list,watch", "cert-manager.io/clusterissuers": "get" };
const LEASE_GRANTS = { "coordination.k8s.io/leases[t-mdb-operator]": "get,update" };

describe("charts/mdb-operator", () => {
  test("helm lint --strict passes, watching all namespaces or one", () => {
    for (const set of [[], ["watchNamespace=apps"], ["replicaCount=1", "leaderElection.enabled=false"]]) {
      const r = helmRun(["lint", "--strict", chart, ...set.flatMap((s) => ["--set", s])]);
      assert.equal(r.status, 0, `helm lint ${set.join(" ")}:\n${r.stdout}${r.stderr}`);
    }
  });

  test("its CRD is the repository's crds/mdbcluster.yaml, byte for byte", () => {
    const source = readFileSync(join(repo, "crds/mdbcluster.yaml"));
    const shipped = readFileSync(join(chart, "crds/mdbcluster.yaml"));
    assert.ok(source.equals(shipped), "charts/mdb-operator/crds/mdbcluster.yaml differs from crds/mdbcluster.yaml: run npm run crd:sync");
  });

  test("appVersion 0.1.0 tags both images", () => {
    assert.equal((parse(readFileSync(join(chart, "Chart.yaml"), "utf8")) as { appVersion: string }).appVersion, "0.1.0");
    const c = (find(render(), "Deployment").spec as { template: { spec: PodSpec } }).template.spec.containers[0];
    assert.equal(c.image, "mdbcluster/operator:0.1.0");
    assert.equal(c.env.find((e) => e.name === "MDB_MEMBER_IMAGE")?.value, "mdbcluster/node:0.1.0");
    assert.equal(c.env.find((e) => e.name === "MDB_ENGINE_IMAGE")?.value, "mdbcluster/engine-valkey:9.1.2", "the engine image keeps its own version");
  });

  test("renders the expected kinds, every namespaced one in the release namespace", () => {
    const objs = render();
    assert.deepEqual(objs.map((o) => o.kind).sort(), ["ClusterRole", "ClusterRoleBinding", "Deployment", "Lease", "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount"]);
    for (const o of objs) if (!o.kind.startsWith("Cluster")) assert.equal(o.metadata.namespace, NS, `${o.kind}/${o.metadata.name}`);
    const withCrd = render([], ["--include-crds"]);
    assert.equal(find(withCrd, "CustomResourceDefinition").metadata.name, "mdbclusters.mdbcluster.io");
  });

  test("RBAC watching every namespace: exactly the least-privilege rules, bound to the ServiceAccount", () => {
    const objs = render();
    const sa = find(objs, "ServiceAccount");
    assert.deepEqual(grants(find(objs, "ClusterRole").rules as Rule[]), { ...NAMESPACED_GRANTS, ...CLUSTER_READ_GRANTS, "core/pods": "create,delete,get,list,watch" });
    const lease = find(objs, "Role");
    assert.deepEqual(grants(lease.rules as Rule[]), LEASE_GRANTS);
    for (const [kind, role] of [["ClusterRoleBinding", "ClusterRole"], ["RoleBinding", "Role"]] as const) {
      const b = find(objs, kind) as K8sObject & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };
      assert.deepEqual(b.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: role, name: find(objs, role).metadata.name });
      assert.deepEqual(b.subjects, [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: NS }]);
    }
    const pod = (find(objs, "Deployment").spec as { template: { spec: PodSpec } }).template.spec;
    assert.equal(pod.serviceAccountName, sa.metadata.name);
  });

  test("RBAC watching one namespace: Secrets and every write only there, Nodes and Pods read-only cluster-wide", () => {
    const objs = render(["watchNamespace=apps"]);
    assert.deepEqual(grants(find(objs, "ClusterRole").rules as Rule[]), CLUSTER_READ_GRANTS);
    const roles = objs.filter((o) => o.kind === "Role");
    assert.deepEqual(roles.map((r) => r.metadata.namespace).sort(), ["apps", NS]);
    assert.deepEqual(grants(roles.find((r) => r.metadata.namespace === "apps")!.rules as Rule[]), NAMESPACED_GRANTS);
    assert.deepEqual(grants(roles.find((r) => r.metadata.namespace === NS)!.rules as Rule[]), LEASE_GRANTS);
    const binding = objs.find((o) => o.kind === "RoleBinding" && o.metadata.namespace === "apps") as K8sObject & { subjects: { namespace: string }[] };
    assert.equal(binding.subjects[0].namespace, NS, "the ServiceAccount lives in the release namespace");
    const env = (find(objs, "Deployment").spec as { template: { spec: PodSpec } }).template.spec.containers[0].env;
    assert.equal(env.find((e) => e.name === "MDB_WATCH_NAMESPACE")?.value, "apps");
  });

  test("the Lease is the release's (helm uninstall removes it), named as the operator is told, spec left to the operator", () => {
    const objs = render();
    const lease = find(objs, "Lease") as K8sObject & { spec: unknown };
    const env = (find(objs, "Deployment").spec as { template: { spec: PodSpec } }).template.spec.containers[0].env;
    assert.equal(lease.metadata.name, env.find((e) => e.name === "MDB_LEASE_NAME")?.value);
    assert.deepEqual(lease.spec, {});
  });

  test("without leader election (one replica): no Lease, no Lease rights, no PodDisruptionBudget", () => {
    const objs = render(["replicaCount=1", "leaderElection.enabled=false"]);
    assert.equal(objs.filter((o) => o.kind === "Role" || o.kind === "RoleBinding" || o.kind === "PodDisruptionBudget" || o.kind === "Lease").length, 0);
    const env = (find(objs, "Deployment").spec as { template: { spec: PodSpec } }).template.spec.containers[0].env;
    assert.equal(env.find((e) => e.name === "MDB_LEADER_ELECT")?.value, "false");
  });

  test("Deployment: 2 replicas, the operator's environment, downward API identity", () => {
    const d = find(render(), "Deployment") as K8sObject & { spec: { replicas: number; template: { spec: PodSpec } } };
    assert.equal(d.spec.replicas, 2);
    const c = d.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value ?? `fieldRef:${e.valueFrom?.fieldRef?.fieldPath}`]));
    assert.deepEqual(env, {
      POD_NAME: "fieldRef:metadata.name", POD_NAMESPACE: "fieldRef:metadata.namespace", NODE_OPTIONS: nodeOptions(memoryBytes(c.resources.limits.memory)), MDB_WATCH_NAMESPACE: "",
      MDB_OPERATOR_POD_LABELS: "app.kubernetes.io/name=mdb-operator,app.kubernetes.io/instance=t",
      MDB_LEADER_ELECT: "true", MDB_LEASE_NAME: "t-mdb-operator", MDB_LEASE_CREATE: "false", MDB_LEASE_DURATION_SECONDS: "15", MDB_RENEW_DEADLINE_SECONDS: "10",
      MDB_RETRY_PERIOD_SECONDS: "2", MDB_MEMBER_IMAGE: "mdbcluster/node:0.1.0", MDB_ENGINE_IMAGE: "mdbcluster/engine-valkey:9.1.2", MDB_HEALTH_PORT: "8081", MDB_METRICS_PORT: "8080", MDB_LOG_LEVEL: "info",
      MDB_RESYNC_SECONDS: "60", MDB_WORKERS: "4",
    });
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, "requests and a memory limit are set");
  });

  test("Deployment: NODE_OPTIONS is the heap flags of common/node-options.ts for the default memory limit, and can be emptied", () => {
    const env = (set: string[]) => ((find(render(set), "Deployment").spec as { template: { spec: PodSpec } }).template.spec.containers[0].env).map((e) => e.name);
    assert.ok(env([]).includes("NODE_OPTIONS"));
    assert.ok(!env(["nodeOptions="]).includes("NODE_OPTIONS"));
  });

  test("Deployment: non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, /tmp an emptyDir", () => {
    const pod = (find(render(), "Deployment").spec as { template: { spec: PodSpec } }).template.spec;
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } });
    const c = pod.containers[0];
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
    assert.deepEqual(c.volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
    assert.ok(pod.volumes.find((v) => v.name === "tmp")?.emptyDir, "/tmp is an emptyDir");
  });

  test("Deployment: MDB_OPERATOR_POD_LABELS are the pods' selector labels (the members' NetworkPolicy admits these pods), extra podLabels or not", () => {
    const d = find(render(["podLabels.team=db"]), "Deployment") as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };
    const value = d.spec.template.spec.containers[0].env.find((e) => e.name === "MDB_OPERATOR_POD_LABELS")?.value ?? "";
    const told = Object.fromEntries(value.split(",").map((kv) => kv.split("=")));
    assert.deepEqual(told, d.spec.selector.matchLabels);
    for (const [k, v] of Object.entries(told)) assert.equal(d.spec.template.metadata.labels[k], v, `the pod template carries ${k}=${v}`);
  });

  test("Deployment: passes the restricted Pod Security Standard", () => {
    const pod = (find(render(), "Deployment").spec as { template: { spec: PodSpec } }).template.spec;
    assert.deepEqual(restrictedViolations(pod as never), []);
  });

  test("Deployment: probes on the health port, which follows healthPort", () => {
    for (const port of [8081, 9444]) {
      const c = (find(render([`healthPort=${port}`]), "Deployment").spec as { template: { spec: PodSpec } }).template.spec.containers[0];
      assert.deepEqual(c.ports.map((p) => [p.name, p.containerPort]), [["health", port], ["metrics", 8080]]);
      assert.equal(c.env.find((e) => e.name === "MDB_HEALTH_PORT")?.value, String(port));
      assert.deepEqual([c.startupProbe, c.livenessProbe, c.readinessProbe].map((p) => [p.httpGet.path, p.httpGet.port]),
        [["/healthz", "health"], ["/healthz", "health"], ["/readyz", "health"]]);
    }
  });

  test("metrics: the container port named metrics, a Service for it, and a ServiceMonitor only when enabled", () => {
    const objs = render();
    const svc = objs.find((o) => o.kind === "Service") as K8sObject & { spec: { ports: { name: string; port: number; targetPort: string }[]; selector: Record<string, string> } };
    assert.equal(svc.metadata.name, "t-mdb-operator-metrics");
    assert.deepEqual(svc.spec.ports.map((p) => [p.name, p.port, p.targetPort]), [["metrics", 8080, "metrics"]]);
    assert.ok(!objs.some((o) => o.kind === "ServiceMonitor"), "no ServiceMonitor by default");
    const monitor = render(["metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.labels.release=prom"]).find((o) => o.kind === "ServiceMonitor") as K8sObject & { spec: { endpoints: { port: string; path: string; honorLabels: boolean }[] }; metadata: { labels: Record<string, string> } };
    assert.deepEqual(monitor.spec.endpoints.map((e) => [e.port, e.path, e.honorLabels]), [["metrics", "/metrics", true]]);
    assert.equal(monitor.metadata.labels.release, "prom");
  });

  test("Deployment: replicas prefer different hosts and zones, never required", () => {
    const pod = (find(render(), "Deployment").spec as { template: { spec: PodSpec } }).template.spec;
    const anti = pod.affinity?.podAntiAffinity;
    assert.equal(anti?.requiredDuringSchedulingIgnoredDuringExecution, undefined);
    assert.deepEqual(anti?.preferredDuringSchedulingIgnoredDuringExecution?.map((t) => t.podAffinityTerm.topologyKey), ["kubernetes.io/hostname"]);
    assert.deepEqual(pod.topologySpreadConstraints?.map((t) => [t.topologyKey, t.whenUnsatisfiable]), [["topology.kubernetes.io/zone", "ScheduleAnyway"]]);
    const off = (find(render(["spreadReplicas=false"]), "Deployment").spec as { template: { spec: PodSpec } }).template.spec;
    assert.equal(off.affinity, undefined);
    assert.equal(off.topologySpreadConstraints, undefined);
  });

  // Each bad value and what helm must say about it: the field's path, so the user knows what to fix.
  const refused: [set: string, message: RegExp][] = [
    ["replicaCount=two", /at '\/replicaCount': got string, want integer/],
    ["replicaCount=0", /at '\/replicaCount': minimum/],
    ["imag.tag=x", /additional properties 'imag' not allowed/],
    ["image.pullPolicy=Sometimes", /at '\/image\/pullPolicy'/],
    ["logLevel=verbose", /at '\/logLevel'/],
    ["watchNamespace=Bad_NS", /at '\/watchNamespace'/],
    ["healthPort=80", /at '\/healthPort': minimum/],
    ["metrics.port=80", /at '\/metrics\/port': minimum/],
    ["metrics.serviceMonitor.interval=often", /at '\/metrics\/serviceMonitor\/interval'/],
    ["resources.limits.memory=lots", /at '\/resources\/limits\/memory'/],
    ["leaderElection.leaseDurationSeconds=fast", /at '\/leaderElection\/leaseDurationSeconds'/],
    ["rbac.create=maybe", /at '\/rbac\/create': got string, want boolean/],
    // Cross-field rules the schema cannot say, checked by the templates:
    ["leaderElection.enabled=false", /replicaCount: 2 replicas need leaderElection.enabled=true/],
    ["leaderElection.renewDeadlineSeconds=20", /leaderElection.renewDeadlineSeconds \(20\) must be less than leaderElection.leaseDurationSeconds \(15\)/],
    ["leaderElection.retryPeriodSeconds=10", /leaderElection.retryPeriodSeconds \(10\) must be less than leaderElection.renewDeadlineSeconds \(10\)/],
  ];
  for (const [set, message] of refused) {
    test(`refuses --set ${set}, naming the field`, () => {
      const r = helmRun(["template", "t", chart, "--namespace", NS, "--set", set]);
      assert.notEqual(r.status, 0, `helm accepted --set ${set}`);
      assert.match(r.stderr, message);
    });
  }

  test("serviceAccount.create=false without a name is refused with what to set", () => {
    const r = helmRun(["template", "t", chart, "--set", "serviceAccount.create=false"]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /serviceAccount.name: name the existing ServiceAccount/);
  });
});
