// The operator end to end (issue 8, item 7; issue 18): helm install of charts/mdb-operator (2 replicas,
// leader election) watching this suite's namespace; an MdbCluster to Ready; keys through cluster clients;
// the engines' slot view; placement from the Nodes' labels; kubectl output; the ServiceAccount's rights,
// restricted Pod Security, the NetworkPolicy; the operator's and members' metrics and logs; `kubectl
// scale`; leader failover; clean removal. Reads only KUBECONFIG; unset, runs on a proving ground it starts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CoordinationV1Api, type V1Lease } from "@kubernetes/client-node";
import { Cluster } from "ioredis";
import { waitFor } from "../../common/wait.ts";
import { caSecretName, LABELS, memberName, memberTlsSecretName, pvcName } from "../../operator/src/resources/names.ts";
import { DEFAULT_TOPOLOGY_KEYS } from "../../common/labels.ts";
import { acquireGround, releaseGround, type Ground } from "../support/ground.ts";
import {
  clusterManifest, clusterProgress, conditionOf, createNamespace, installOperator, isReady, Kube, podStates, releaseFullname,
  waitForCluster, waitForOperatorReady, type OperatorRelease,
} from "../support/mdb.ts";
import { canI, podSecurityVerdict, reachFromOutsiders, readNetworkPolicy, RESTRICTED_LABELS } from "../support/lockdown.ts";
import { metricValue, scrapeMember } from "../support/member-metrics.ts";
import type { MdbCluster } from "../../operator/src/api/types.ts";

const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `e2e-${RUN}`, namespace: `mdb-e2e-${RUN}-system`, watchNamespace: `mdb-e2e-${RUN}`, replicas: 2 };
const NS = OPERATOR.watchNamespace;
const FULLNAME = releaseFullname(OPERATOR.release);
const CLUSTER = "e2e";
const SHARDS = 3;
const STANDBYS = 1;
const MEMBERS = Array.from({ length: SHARDS }, (_, s) => Array.from({ length: STANDBYS + 1 }, (_, i) => memberName(CLUSTER, s, i))).flat();
const CRD = "mdbclusters.mdbcluster.io";
const READY_TIMEOUT_MS = 240_000;
/**
 * The node whose pods a NetworkPolicy implementation enforces policies for, when one runs (the proving
 * ground has none of its own: docs/proving-ground.md); unset, the enforcement test is skipped.
 */
const ENFORCED_NODE = process.env.MDB_NETWORK_POLICY_NODE;
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
/** Keys the round-trip test writes: 200 through ioredis, 5 through redis-cli. */
const KEYS_WRITTEN = 205;

const log = (line: string) => console.log(`  [operator e2e] ${line}`);

describe("operator: helm install → Ready cluster → failover of the operator → clean removal", { timeout: 900_000 }, () => {
  let ground: Ground | undefined;
  let kube: Kube;
  let leases: CoordinationV1Api;
  let password = "";
  let helmInstalled = false;

  const readLease = (): Promise<V1Lease> => leases.readNamespacedLease({ name: FULLNAME, namespace: OPERATOR.namespace });
  const cluster = async (): Promise<MdbCluster> => {
    const c = await kube.getCluster(NS, CLUSTER);
    assert.ok(c, `MdbCluster ${NS}/${CLUSTER} exists`);
    return c;
  };
  const kubectl = (...args: string[]) => kube.must("kubectl", args);
  /** The leader's /metrics, from its pod IP on the container port named metrics. */
  const leaderMetrics = async () => {
    const lease = await readLease();
    const leader = (await kube.pods(OPERATOR.namespace, `app.kubernetes.io/instance=${OPERATOR.release}`)).find((p) => p.metadata?.name === lease.spec?.holderIdentity)!;
    const port = leader.spec!.containers[0].ports!.find((p) => p.name === "metrics")!.containerPort;
    return (await fetch(`http://${leader.status!.podIP}:${port}/metrics`)).text();
  };
  const reconciles = async () => Number(/^mdb_operator_reconcile_duration_seconds_count\{result="ok"\} (\d+)/m.exec(await leaderMetrics())?.[1] ?? 0);
  const stillThere = (namespace: string | undefined, kind: string, names: string[]) => kube.stillThere(namespace, kind, names);
  const byLabel = (namespace: string, kinds: string, selector: string) => kube.byLabel(namespace, kinds, selector);

  before(async () => {
    ground = await acquireGround();
    kube = new Kube(ground);
    leases = kube.kc.makeApiClient(CoordinationV1Api);
    await createNamespace(kube, OPERATOR.namespace);
    await createNamespace(kube, NS);
  });

  after(async () => {
    if (!kube) return;
    // After a failure part-way: the cluster goes first while its operator can still run the finalizer.
    try {
      if (await kube.getCluster(NS, CLUSTER)) {
        await kube.run("kubectl", ["delete", "mdb", CLUSTER, "-n", NS, "--wait=false"]);
        await waitFor(async () => (await kube.getCluster(NS, CLUSTER)) === undefined, { what: `MdbCluster ${NS}/${CLUSTER} deleted (clean-up)`, timeoutMs: 60_000, intervalMs: 500 })
          .catch(() => kube.run("kubectl", ["patch", "mdb", CLUSTER, "-n", NS, "--type", "merge", "-p", '{"metadata":{"finalizers":[]}}']));
      }
      if (helmInstalled) await kube.run("helm", ["uninstall", OPERATOR.release, "-n", OPERATOR.namespace]);
      await kube.run("kubectl", ["delete", "namespace", NS, OPERATOR.namespace, "--ignore-not-found", "--wait=false"]);
    } finally {
      await releaseGround(ground);
    }
  });

  test("helm install runs 2 operator replicas, one of them holds the Lease", async () => {
    const t0 = Date.now();
    await installOperator(kube, OPERATOR);
    helmInstalled = true;
    const pods = await waitForOperatorReady(kube, OPERATOR);
    const names = pods.map((p) => p.metadata!.name!);
    const lease = await waitFor(async () => {
      const l = await readLease();
      if (names.includes(l.spec?.holderIdentity ?? "")) return l;
      throw new Error(`holder "${l.spec?.holderIdentity ?? ""}", operator pods ${names.join(", ")}`);
    }, { what: `Lease ${OPERATOR.namespace}/${FULLNAME} held by one of the operator pods`, timeoutMs: 60_000, intervalMs: 250 });
    log(`operator ready in ${Date.now() - t0} ms: ${podStates(pods)}; leader ${lease.spec!.holderIdentity}`);
    assert.deepEqual(await stillThere(undefined, "customresourcedefinitions", [CRD]), [`customresourcedefinition.apiextensions.k8s.io/${CRD}`],
      "the CRD is installed (helm installs the chart's crds/ when it is missing)");
  });

  test("RBAC: the operator's ServiceAccount reaches Secrets and writes only in the watched namespace; Nodes and Pods it only reads", async () => {
    const sa = { namespace: OPERATOR.namespace, name: FULLNAME };
    const asked: [verb: string, resource: string, namespace: string, allowed: boolean][] = [
      ["get", "secrets", NS, true], ["create", "secrets", NS, true], ["delete", "secrets", NS, true],
      ["update", "secrets", NS, true], ["update", "secrets", "default", false], ["patch", "secrets", NS, false],
      ["get", "secrets", OPERATOR.namespace, false], ["get", "secrets", "default", false], ["get", "secrets", "kube-system", false],
      ["list", "secrets", "*", false], ["watch", "secrets", "*", false],
      ["create", "pods", NS, true], ["create", "pods", "default", false], ["list", "pods", "*", true], ["patch", "pods", NS, false],
      ["create", "networkpolicies.networking.k8s.io", NS, true], ["create", "networkpolicies.networking.k8s.io", "default", false],
      ["list", "mdbclusters.mdbcluster.io", NS, true], ["list", "mdbclusters.mdbcluster.io", "default", false],
      ["list", "nodes", "*", true], ["update", "nodes", "*", false], ["create", "events", NS, true], ["create", "events", "default", false],
      ["update", "leases.coordination.k8s.io/" + FULLNAME, OPERATOR.namespace, true], ["create", "leases.coordination.k8s.io", OPERATOR.namespace, false],
      ["create", "roles.rbac.authorization.k8s.io", NS, false],
    ];
    const answers = await Promise.all(asked.map(([verb, resource, ns]) => canI(kube, sa, verb, resource, ns)));
    const wrong = asked.filter((a, i) => answers[i] !== a[3]).map(([v, r, ns, allowed]) => `${v} ${r} in ${ns}: expected ${allowed ? "yes" : "no"}`);
    log(`kubectl auth can-i as ${sa.namespace}:${sa.name}: ${asked.length} questions, ${asked.length - wrong.length} as expected`);
    assert.deepEqual(wrong, []);
  });

  test("kubectl apply → phase Ready and condition Available True, one bound PVC per member", async () => {
    const t0 = Date.now();
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], clusterManifest(CLUSTER, { shards: SHARDS, replicasPerShard: STANDBYS, persistence: true }));
    const ready = await waitForCluster(kube, NS, CLUSTER, `MdbCluster ${NS}/${CLUSTER} phase Ready with condition Available True`, isReady, READY_TIMEOUT_MS,
      (line) => log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`));
    log(`Ready ${Date.now() - t0} ms after kubectl apply`);
    const s = ready!.status!;
    assert.equal(conditionOf(ready, "Available")?.status, "True");
    assert.deepEqual((s.members ?? []).map((m) => m.name).sort(), [...MEMBERS].sort(), "status.members lists every member");
    assert.ok((s.members ?? []).every((m) => m.ready && m.ip), `every member ready with an IP: ${JSON.stringify(s.members)}`);
    assert.equal(s.secretName, `${CLUSTER}-auth`, "status.secretName names the generated password Secret");
    const pvcs = await kube.core.listNamespacedPersistentVolumeClaim({ namespace: NS, labelSelector: `${LABELS.cluster}=${CLUSTER}` });
    assert.deepEqual(pvcs.items.map((p) => `${p.metadata!.name} ${p.status?.phase}`).sort(), MEMBERS.map((m) => `${pvcName(m)} Bound`).sort(),
      "spec.persistence.enabled: one Bound PVC per member");
    const secret = await kube.core.readNamespacedSecret({ name: s.secretName!, namespace: NS });
    password = Buffer.from(secret.data?.password ?? "", "base64").toString("utf8");
    assert.ok(password.length >= 16, `Secret ${s.secretName} has a generated password (length ${password.length})`);
  });

  test("a key round-trip through ioredis in cluster mode and through redis-cli -c", async () => {
    const members = (await cluster()).status!.members!;
    const client = new Cluster(members.map((m) => ({ host: m.ip!, port: 6379 })), {
      redisOptions: { password, connectTimeout: 3000 }, clusterRetryStrategy: (times) => (times > 5 ? null : 300), slotsRefreshTimeout: 3000,
    });
    client.on("error", () => undefined); // the commands below report failures
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `e2e:ioredis:${i}`);
      await Promise.all(keys.map((k) => client.set(k, `v-${k}`)));
      const values = await Promise.all(keys.map((k) => client.get(k)));
      const wrong = keys.filter((k, i) => values[i] !== `v-${k}`);
      assert.deepEqual(wrong, [], "every key written through ioredis reads back");
      const masters = client.nodes("master");
      assert.equal(masters.length, SHARDS, `ioredis sees ${SHARDS} primaries`);
      const perPrimary = await Promise.all(masters.map((n) => n.dbsize()));
      assert.ok(perPrimary.every((n) => n > 0), `keys spread over every primary: ${perPrimary.join(", ")}`);

      // redis-cli -c follows MOVED: write through one member, read through another, and cross over
      // with the ioredis client both ways.
      const cli = (ip: string, ...args: string[]) => kube.must("redis-cli", ["-c", "-h", ip, "-p", "6379", "-a", password, "--no-auth-warning", ...args]);
      const [first, second] = [members[0].ip!, members[members.length - 1].ip!];
      for (let i = 0; i < 5; i++) assert.equal((await cli(first, "SET", `e2e:cli:${i}`, `cli-${i}`)).trim(), "OK", `redis-cli -c SET e2e:cli:${i} via ${first}`);
      for (let i = 0; i < 5; i++) {
        assert.equal((await cli(second, "GET", `e2e:cli:${i}`)).trim(), `cli-${i}`, `redis-cli -c GET e2e:cli:${i} via ${second}`);
        assert.equal(await client.get(`e2e:cli:${i}`), `cli-${i}`, `ioredis reads e2e:cli:${i} that redis-cli wrote`);
      }
      assert.equal((await cli(second, "GET", "e2e:ioredis:7")).trim(), "v-e2e:ioredis:7", "redis-cli -c reads a key that ioredis wrote");
    } finally {
      client.disconnect();
    }
  });

  test("redis-cli --cluster check on a member: all 16384 slots covered, all nodes agree", async () => {
    const members = (await cluster()).status!.members!;
    // Gossip spreads the last config epochs within moments of Ready; agreement must come, not be there
    // at the very first millisecond (a run on real nodes checked 30 ms after Ready and saw it pending).
    let r = { code: -1, stdout: "", stderr: "" };
    await waitFor(async () => {
      r = await kube.run("redis-cli", ["--cluster", "check", `${members[0].ip}:6379`, "-a", password, "--no-auth-warning"]);
      return r.code === 0;
    }, { what: "redis-cli --cluster check to pass", timeoutMs: 15_000, intervalMs: 500 }).catch(() => undefined);
    const out = (r.stdout + r.stderr).replace(ANSI_COLOUR, ""); // redis-cli colours its report even into a pipe
    assert.equal(r.code, 0, `redis-cli --cluster check exit code; output:\n${out}`);
    assert.match(out, /\[OK\] All nodes agree about slots configuration\./, `agreement; output:\n${out}`);
    assert.match(out, /\[OK\] All 16384 slots covered\./, `coverage; output:\n${out}`);
    const primaries = out.split("\n").filter((l) => /^M: /.test(l));
    assert.equal(primaries.length, SHARDS, `${SHARDS} primaries in the check; output:\n${out}`);
    assert.equal((out.match(/1 additional replica\(s\)/g) ?? []).length, SHARDS, `each primary has ${STANDBYS} replica; output:\n${out}`);
  });

  test("the members of every shard run on nodes in different zones (from the Nodes' labels)", async () => {
    const pods = await kube.pods(NS, `${LABELS.cluster}=${CLUSTER},${LABELS.component}=member`);
    const zoneOfNode = new Map<string, string>();
    const byShard = new Map<string, { pod: string; node: string; zone: string }[]>();
    for (const p of pods) {
      const node = p.spec?.nodeName;
      assert.ok(node, `pod ${p.metadata!.name} is bound to a node`);
      if (!zoneOfNode.has(node)) zoneOfNode.set(node, (await kube.core.readNode({ name: node })).metadata?.labels?.[DEFAULT_TOPOLOGY_KEYS.zone] ?? "");
      const shard = p.metadata!.labels![LABELS.shard];
      byShard.set(shard, [...(byShard.get(shard) ?? []), { pod: p.metadata!.name!, node, zone: zoneOfNode.get(node)! }]);
    }
    const seen = [...byShard].map(([s, ms]) => `shard ${s}: ${ms.map((m) => `${m.pod}@${m.node}/${m.zone}`).join(" ")}`).join("; ");
    log(`placement: ${seen}`);
    assert.equal(byShard.size, SHARDS, `pods of ${SHARDS} shards: ${seen}`);
    for (const [shard, ms] of byShard) {
      assert.equal(ms.length, STANDBYS + 1, `shard ${shard} has ${STANDBYS + 1} members: ${seen}`);
      assert.ok(ms.every((m) => m.zone !== ""), `every node of shard ${shard} has a zone label: ${seen}`);
      assert.equal(new Set(ms.map((m) => m.zone)).size, ms.length, `shard ${shard}'s members are in different zones: ${seen}`);
    }
  });

  test("kubectl get mdb shows SHARDS READY PHASE MIGRATION AGE; kubectl describe mdb shows the status", async () => {
    const table = await kubectl("get", "mdb", CLUSTER, "-n", NS);
    const [header, row] = table.trimEnd().split("\n");
    assert.match(header, /^NAME\s+SHARDS\s+READY\s+PHASE\s+MIGRATION\s+AGE\s*$/, `kubectl get mdb header:\n${table}`);
    assert.match(row, new RegExp(`^${CLUSTER}\\s+${SHARDS}\\s+${MEMBERS.length}/${MEMBERS.length}\\s+Ready\\s+\\S+\\s*$`), `kubectl get mdb row (no plan running, so MIGRATION is empty):\n${table}`);
    const wide = await kubectl("get", "mdb", CLUSTER, "-n", NS, "-o", "wide");
    assert.match(wide.split("\n")[0], /STANDBYS\s+ISOLATION\s+ENDPOINT\s+ENGINE/, `kubectl get mdb -o wide adds the priority-1 columns:\n${wide}`);
    assert.match(wide.split("\n")[1], /\svalkey 9\.1\.2\s*$/, `the members run the default engine, reported by their sidecars:\n${wide}`);

    const described = await kubectl("describe", "mdb", CLUSTER, "-n", NS);
    for (const [what, re] of [
      ["the phase", /^\s+Phase:\s+Ready$/m],
      ["the Available condition", /Reason:\s+AllSlotsServed[\s\S]*?Type:\s+Available/],
      ["the secret name", new RegExp(`Secret Name:\\s+${CLUSTER}-auth`)],
      ["the observed generation", /Observed Generation:\s+\d+/],
      ["a member with its zone", new RegExp(`Name:\\s+${MEMBERS[0]}[\\s\\S]*?Zone:\\s+zone-`)],
      ["the shards' slot ranges", /Slots:\s+0-\d+/],
    ] as const) assert.match(described, re, `kubectl describe mdb shows ${what}:\n${described}`);
  });

  test("Pod Security: both namespaces enforce restricted, an unrestricted pod is refused, every operator and member pod passes", async () => {
    for (const namespace of [NS, OPERATOR.namespace]) {
      const verdict = await podSecurityVerdict(kube, namespace);
      for (const [k, v] of Object.entries(RESTRICTED_LABELS)) assert.equal(verdict.labels[k], v, `namespace ${namespace} is labelled ${k}=${v}`);
      assert.match(verdict.unrestrictedRefusal, /violates PodSecurity "restricted:latest"/, `a pod without a securityContext is refused in ${namespace}`);
      assert.equal(verdict.existingPodWarnings, "", `no pod of ${namespace} violates restricted`);
    }
    const pods = [...await kube.pods(NS, `${LABELS.cluster}=${CLUSTER}`), ...await kube.pods(OPERATOR.namespace, `app.kubernetes.io/instance=${OPERATOR.release}`)];
    assert.equal(pods.filter((p) => p.status?.phase === "Running").length, MEMBERS.length + OPERATOR.replicas, `admitted and running: ${podStates(pods)}`);
  });

  test("NetworkPolicy: owned by the cluster, selects its members, admits the operator's pods to the sidecar API; follows spec.networkPolicy", async () => {
    const uid = (await cluster()).metadata!.uid;
    const policy = await readNetworkPolicy(kube, NS, CLUSTER);
    assert.ok(policy, `NetworkPolicy ${NS}/${CLUSTER} exists`);
    assert.equal(policy.metadata.ownerReferences?.[0]?.uid, uid, "owned by the MdbCluster");
    assert.deepEqual(policy.spec.podSelector.matchLabels, { [LABELS.cluster]: CLUSTER, [LABELS.component]: "member" });
    assert.deepEqual(policy.spec.policyTypes, ["Ingress", "Egress"]);
    const sidecarRule = policy.spec.ingress.find((r) => r.ports?.some((p) => p.port === 7070));
    assert.deepEqual(sidecarRule?.from, [{
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": OPERATOR.namespace } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "mdb-operator", "app.kubernetes.io/instance": OPERATOR.release } },
    }], "only the operator's pods reach the sidecar API");
    // What the API server stored compares equal to what the operator builds: passes made after it
    // (each annotation is a watch event, so a reconcile) leave it as it was.
    for (let i = 0; i < 3; i++) {
      const before = await reconciles();
      await kubectl("annotate", "mdb", CLUSTER, "-n", NS, "--overwrite", `e2e.mdbcluster.io/touched=${i}`);
      await waitFor(async () => (await reconciles()) > before, { what: `a reconcile after annotation ${i}`, timeoutMs: 30_000, intervalMs: 250 });
    }
    const later = await readNetworkPolicy(kube, NS, CLUSTER);
    assert.deepEqual([later?.metadata?.generation, later?.metadata?.resourceVersion], [policy.metadata.generation, policy.metadata.resourceVersion], "not rewritten while nothing changed");

    // The CRD refuses a source that is not a NetworkPolicy peer, and a CIDR that does not parse.
    for (const [bad, message] of [[{ clients: [{ ipBlock: { cidr: "10.0.0.0/33" } }] }, /must be a CIDR/], [{ metrics: [{}] }, /a peer is either an ipBlock alone/]] as const) {
      const r = await kube.run("kubectl", ["patch", "mdb", CLUSTER, "-n", NS, "--dry-run=server", "--type", "merge", "-p", JSON.stringify({ spec: { networkPolicy: bad } })]);
      assert.match(r.stderr, message, `spec.networkPolicy ${JSON.stringify(bad)} is refused`);
    }
    const patch = (networkPolicy: unknown) => kubectl("patch", "mdb", CLUSTER, "-n", NS, "--type", "merge", "-p", JSON.stringify({ spec: { networkPolicy } }));
    await patch({ metrics: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }] });
    await waitFor(async () => JSON.stringify((await readNetworkPolicy(kube, NS, CLUSTER))?.spec?.ingress).includes('"monitoring"'),
      { what: "the NetworkPolicy to admit the monitoring namespace to the metrics port", timeoutMs: 30_000, intervalMs: 250 });
    await patch({ enabled: false });
    await waitFor(async () => (await readNetworkPolicy(kube, NS, CLUSTER)) === undefined, { what: "the NetworkPolicy removed (enabled: false)", timeoutMs: 30_000, intervalMs: 250 });
    await patch({ enabled: true, metrics: null });
    const back = await waitFor(async () => readNetworkPolicy(kube, NS, CLUSTER), { what: "the NetworkPolicy made again (enabled: true)", timeoutMs: 30_000, intervalMs: 250 });
    assert.deepEqual(back.spec, policy.spec, "back to the default policy");
    await waitFor(async () => isReady(await cluster()), { what: "the cluster Ready at the patches' generation", timeoutMs: 30_000, intervalMs: 250 });
  });

  test(`NetworkPolicy enforced on ${ENFORCED_NODE ?? "(no node)"}: an outsider pod reaches the engine port, not the bus or the sidecar API`,
    { skip: !ENFORCED_NODE && "set MDB_NETWORK_POLICY_NODE to a node whose pods a NetworkPolicy implementation enforces" }, async () => {
      const pods = await kube.pods(NS, `${LABELS.cluster}=${CLUSTER},${LABELS.component}=member`);
      const target = pods.find((p) => p.spec?.nodeName === ENFORCED_NODE);
      assert.ok(target, `a member on ${ENFORCED_NODE}: ${pods.map((p) => `${p.metadata!.name}@${p.spec?.nodeName}`).join(" ")}`);
      const ip = target.status!.podIP!;
      // Scrapers are pods labelled app=scraper here (none runs): an implementation may widen a named
      // port no container declares to every port (kube-router 2.1 does), and the metrics rule names one.
      const setScrapers = (metrics: unknown) => kubectl("patch", "mdb", CLUSTER, "-n", NS, "--type", "merge", "-p", JSON.stringify({ spec: { networkPolicy: { metrics } } }));
      await setScrapers([{ podSelector: { matchLabels: { app: "scraper" } } }]);
      await waitFor(async () => JSON.stringify((await readNetworkPolicy(kube, NS, CLUSTER))?.spec.ingress).includes('"scraper"'), { what: "the policy to name the scrapers", timeoutMs: 30_000, intervalMs: 250 });
      try {
        const seen = await reachFromOutsiders(kube, NS, OPERATOR.namespace, ip);
        log(`from outsider pods to ${target.metadata!.name} (${ip}) on ${ENFORCED_NODE}: ${JSON.stringify(seen)}`);
        assert.equal(seen.engine, "open", "clients reach the engine port");
        for (const k of ["bus", "sidecarApi", "sidecarApiFromTheOperatorsNamespace"] as const) assert.notEqual(seen[k], "open", `${k} is closed to an outsider`);
      } finally {
        await setScrapers(null);
      }
      // The member on the enforced node is Ready and reported by its sidecar: the operator's pods and
      // the other members got through the same policy.
      assert.ok((await cluster()).status!.members!.find((m) => m.name === target.metadata!.name)?.ready, clusterProgress(await cluster()));
    });

  test("the leader's /metrics (port named metrics, from its pod IP): members by state and slots served as the cluster is", async () => {
    const text = await waitFor(async () => {
      const t = await leaderMetrics();
      if (!t.includes(`mdb_cluster_members{namespace="${NS}",cluster="${CLUSTER}",state="ACTIVE"} ${SHARDS}`)) throw new Error("not yet");
      return t;
    }, { what: "the leader's metrics to show the cluster", timeoutMs: 30_000, intervalMs: 500 });
    assert.ok(text.includes(`mdb_cluster_members{namespace="${NS}",cluster="${CLUSTER}",state="STANDBY"} ${MEMBERS.length - SHARDS}`), text);
    assert.ok(text.includes(`mdb_cluster_slots{namespace="${NS}",cluster="${CLUSTER}",state="served"} 16384`), text);
    assert.match(text, /^mdb_operator_leader 1$/m);
    assert.match(text, /^mdb_operator_reconcile_duration_seconds_count\{result="ok"\} [1-9]/m);
  });

  test("each member's /metrics (port named metrics, from its pod IP, no token): its keys and its state as the engine and the status say", async () => {
    const status = (await cluster()).status!;
    const stateOf = new Map((status.members ?? []).map((m) => [m.name, m.state]));
    const pods = await kube.pods(NS, `${LABELS.cluster}=${CLUSTER},${LABELS.component}=member`);
    assert.equal(pods.length, MEMBERS.length);
    let primaryKeys = 0;
    const byState = new Map<string, number>();
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      const sidecar = pod.spec!.containers.find((c) => c.name === "sidecar")!;
      assert.deepEqual(sidecar.ports!.map((p) => p.name), ["grpc", "health", "metrics"], `${name}: the sidecar's named ports`);
      const { status: httpStatus, text, dbsize } = await scrapeMember(pod, password);
      assert.equal(httpStatus, 200, text);
      assert.ok(!text.includes(password), `${name}: /metrics does not show the engine password`);
      const L = `cluster="${CLUSTER}",member="${name}",shard="${pod.metadata!.labels![LABELS.shard]}"`;
      assert.equal(metricValue(text, `redis_up{${L}}`), 1, `${name}:\n${text}`);
      assert.equal(metricValue(text, `redis_db_keys{db="db0",${L}}`), dbsize, `${name}: redis_db_keys is the engine's DBSIZE`);
      const state = ["ACTIVE", "STANDBY", "MIGRATING", "ONLINE", "OFFLINE", "RECOVERED"].find((s) => metricValue(text, `mdb_member_state{state="${s}",${L}}`) === 1);
      assert.equal(state, stateOf.get(name), `${name}: the state in /metrics is the one status.members reports`);
      byState.set(state!, (byState.get(state!) ?? 0) + 1);
      assert.equal(metricValue(text, `redis_cluster_state{${L}}`), 1, `${name}: cluster_state ok`);
      if (state === "ACTIVE") {
        primaryKeys += dbsize;
        assert.ok((metricValue(text, `mdb_member_slots{state="owned",${L}}`) ?? 0) > 0, `${name}: an ACTIVE member owns slots`);
        assert.equal(metricValue(text, `redis_connected_slaves{${L}}`), STANDBYS, `${name}: its standby is connected`);
      } else {
        assert.match(text, new RegExp(`^redis_master_link_up\\{[^}]*${L}\\} 1$`, "m"), `${name}: a standby's link to its primary is up`);
      }
      if (pod === pods[0]) log(`member metrics of ${name} (excerpt):\n${text.split("\n").filter((l) => /^(redis_up|redis_db_keys|redis_memory_used_bytes|redis_connected_slaves|redis_cluster_state|mdb_member_state\{state="(ACTIVE|STANDBY)"|mdb_member_slots)/.test(l)).join("\n")}`);
    }
    assert.equal(primaryKeys, KEYS_WRITTEN, `the primaries' redis_db_keys add up to the ${KEYS_WRITTEN} keys written`);
    assert.deepEqual(Object.fromEntries(byState), { ACTIVE: SHARDS, STANDBY: MEMBERS.length - SHARDS }, "members by state in /metrics");
  });

  test("a member's sidecar logs in the operator's format: time, level, its cluster, member and shard, message", async () => {
    const member = MEMBERS[0];
    const lines = (await kubectl("logs", "-n", NS, member, "-c", "sidecar")).split("\n").filter(Boolean);
    assert.ok(lines.length > 0);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of parsed) {
      assert.deepEqual(Object.keys(l).slice(0, 5), ["time", "level", "cluster", "member", "shard"], JSON.stringify(l));
      assert.deepEqual([l.cluster, l.member, l.shard], [`${NS}/${CLUSTER}`, member, 0], JSON.stringify(l));
      assert.equal(typeof l.message, "string");
    }
    assert.ok(parsed.some((l) => l.message === "mdb-sidecar serving" && l.logLevel === "info"), "the spec's default level, info");
    log(`sidecar log of ${member} (first lines):\n${lines.slice(0, 8).join("\n")}`);
    const operatorPod = (await kube.pods(OPERATOR.namespace, `app.kubernetes.io/instance=${OPERATOR.release}`))[0].metadata!.name!;
    const operatorLines = (await kubectl("logs", "-n", OPERATOR.namespace, operatorPod)).split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(operatorLines.length > 0);
    for (const l of operatorLines) assert.deepEqual(Object.keys(l).slice(0, 2), ["time", "level"], `the operator's line: ${JSON.stringify(l)}`);
    log(`operator log (lines naming the cluster):\n${operatorLines.filter((l) => l.cluster).slice(0, 6).map((l) => JSON.stringify(l)).join("\n")}`);
  });

  test("kubectl scale mdb sets spec.shards through the scale subresource: the operator scales out online, and back in", async () => {
    await kubectl("scale", "mdb", CLUSTER, "-n", NS, `--replicas=${SHARDS + 1}`);
    assert.equal((await cluster()).spec.shards, SHARDS + 1, "kubectl scale wrote spec.shards through the scale subresource");
    const scale = JSON.parse(await kubectl("get", "mdb", CLUSTER, "-n", NS, "--subresource=scale", "-o", "json")) as { spec: { replicas: number }; status: { replicas: number; selector: string } };
    assert.equal(scale.spec.replicas, SHARDS + 1, "scale subresource spec.replicas");
    assert.equal(scale.status.selector, `${LABELS.cluster}=${CLUSTER},${LABELS.component}=member`, "scale subresource status.selector");
    const done = (kind: string, shards: number) => (c: MdbCluster | undefined) =>
      isReady(c) && conditionOf(c, "Degraded")?.status === "False" && c?.status?.plan?.kind === kind && c.status.plan.phase === "Succeeded" && c.status.shards === shards
      && c.status.observedGeneration === c.metadata?.generation;
    const out = await waitForCluster(kube, NS, CLUSTER, `scaled out to ${SHARDS + 1} shards`, done("scale-out", SHARDS + 1), 240_000);
    assert.equal(out!.status!.readyMembers, MEMBERS.length + MEMBERS.length / SHARDS, clusterProgress(out));
    const described = await kubectl("get", "mdb", CLUSTER, "-n", NS);
    assert.match(described, /MIGRATION/, `kubectl get shows the Migration column:\n${described}`);
    await kubectl("scale", "mdb", CLUSTER, "-n", NS, `--replicas=${SHARDS}`);
    const back = await waitForCluster(kube, NS, CLUSTER, `scaled back in to ${SHARDS} shards`, done("scale-in", SHARDS), 240_000);
    assert.equal(back!.spec.shards, SHARDS);
    await waitFor(async () => (await kube.pods(NS, `${LABELS.cluster}=${CLUSTER}`)).length === MEMBERS.length, { what: "the removed shard's pods to be gone", timeoutMs: 60_000 });
  });

  test("the leader operator pod deleted → another replica takes the Lease over and still reconciles a spec change", async () => {
    const before = await readLease();
    const leader = before.spec!.holderIdentity!;
    const transitions = before.spec!.leaseTransitions ?? 0;
    const pods = await waitForOperatorReady(kube, OPERATOR);
    const other = pods.map((p) => p.metadata!.name!).find((n) => n !== leader);
    assert.ok(other, `a second operator replica besides the leader ${leader}: ${podStates(pods)}`);
    const t0 = Date.now();
    await kubectl("delete", "pod", leader, "-n", OPERATOR.namespace, "--wait=false");
    // The standing replica, or the Deployment's replacement if it asks first (seen once in CI): either leads.
    const after = await waitFor(async () => {
      const l = await readLease();
      const holder = l.spec?.holderIdentity;
      if (holder && holder !== leader && (l.spec?.leaseTransitions ?? 0) > transitions) return l;
      throw new Error(`holder "${holder ?? ""}", leaseTransitions ${l.spec?.leaseTransitions}`);
    }, { what: `Lease ${FULLNAME} taken over by another replica than ${leader} (leaseTransitions ${transitions})`, timeoutMs: 60_000, intervalMs: 200 });
    const newLeader = after.spec!.holderIdentity!;
    log(`${newLeader}${newLeader === other ? " (the standing replica)" : " (the replacement pod)"} took the Lease over ${Date.now() - t0} ms after the leader's pod was deleted (leaseTransitions ${transitions} → ${after.spec!.leaseTransitions})`);

    const window = ((await cluster()).spec.migration?.window ?? 2) + 3;
    await kubectl("patch", "mdb", CLUSTER, "-n", NS, "--type", "merge", "-p", JSON.stringify({ spec: { migration: { window } } }));
    const generation = (await cluster()).metadata!.generation!;
    const reconciled = await waitForCluster(kube, NS, CLUSTER, `status.observedGeneration ${generation} (spec.migration.window ${window}) from the new leader`,
      (c) => c?.status?.observedGeneration === generation && isReady(c), 60_000);
    assert.equal(reconciled!.spec.migration?.window, window);
    const newLeaderLog = await kubectl("logs", "-n", OPERATOR.namespace, newLeader);
    assert.match(newLeaderLog, /"message":"leading"/, `the new leader's log says it leads:\n${newLeaderLog.slice(-2000)}`);
    await waitForOperatorReady(kube, OPERATOR); // the Deployment replaced the deleted pod
  });

  test("deleting the MdbCluster removes every pod, Service, Secret, PVC, PDB and NetworkPolicy it made", async () => {
    const selector = `${LABELS.cluster}=${CLUSTER}`;
    const kinds = "pods,services,secrets,persistentvolumeclaims,poddisruptionbudgets,networkpolicies";
    const made = await byLabel(NS, kinds, selector);
    const expected = [
      ...MEMBERS.map((m) => `pod/${m}`), ...MEMBERS.map((m) => `persistentvolumeclaim/${pvcName(m)}`),
      `service/${CLUSTER}`, `service/${CLUSTER}-members`, `secret/${CLUSTER}-auth`, `secret/${CLUSTER}-sidecar`, `poddisruptionbudget.policy/${CLUSTER}`,
      `secret/${caSecretName(CLUSTER)}`, ...MEMBERS.map((m) => `secret/${memberTlsSecretName(m)}`),
      `networkpolicy.networking.k8s.io/${CLUSTER}`,
    ].sort();
    assert.deepEqual([...made].sort(), expected, "what the operator made, found by its label");
    const pvs = (await kube.core.listNamespacedPersistentVolumeClaim({ namespace: NS })).items.map((p) => p.spec?.volumeName).filter(Boolean) as string[];

    const t0 = Date.now();
    await kubectl("delete", "mdb", CLUSTER, "-n", NS, "--wait=false");
    await waitForCluster(kube, NS, CLUSTER, `MdbCluster ${NS}/${CLUSTER} gone (finalizer done)`, (c) => c === undefined, 120_000);
    const left = await waitFor(async () => {
      const rest = [...await byLabel(NS, kinds, selector),
        ...(await Promise.all(expected.map(async (ref) => stillThere(NS, ref.split("/")[0], [ref.split("/")[1]])))).flat()];
      if (rest.length === 0) return true;
      throw new Error(`still there: ${[...new Set(rest)].join(", ")}; pods: ${podStates(await kube.pods(NS, selector))}`);
    }, { what: `every object of MdbCluster ${CLUSTER} removed (by label ${selector} and by name)`, timeoutMs: 120_000, intervalMs: 500 });
    assert.equal(left, true);
    // An external provisioner (kind's local-path-provisioner) deletes a released PV asynchronously, through
    // a helper pod that removes its directory: seconds after its PVC is gone.
    await waitFor(async () => (await stillThere(undefined, "persistentvolumes", pvs)).length === 0 || undefined,
      { what: "the PVs of the deleted PVCs released by the Delete reclaim policy", timeoutMs: 60_000, intervalMs: 500 });
    log(`cluster and everything it made removed in ${Date.now() - t0} ms`);
  });

  test("helm uninstall removes the Deployment, its pods, the ServiceAccount and all RBAC; the CRD stays (Helm never deletes a chart's crds/)", async () => {
    const instance = `app.kubernetes.io/instance=${OPERATOR.release}`;
    const named: [namespace: string | undefined, kind: string, names: string[]][] = [
      [OPERATOR.namespace, "deployments", [FULLNAME]],
      [OPERATOR.namespace, "serviceaccounts", [FULLNAME]],
      [OPERATOR.namespace, "poddisruptionbudgets", [FULLNAME]],
      [OPERATOR.namespace, "roles", [`${FULLNAME}-leader-election`]],
      [OPERATOR.namespace, "rolebindings", [`${FULLNAME}-leader-election`]],
      [NS, "roles", [FULLNAME]],
      [NS, "rolebindings", [FULLNAME]],
      [undefined, "clusterroles", [FULLNAME]],
      [undefined, "clusterrolebindings", [FULLNAME]],
    ];
    const present = async () => (await Promise.all(named.map(([ns, kind, names]) => stillThere(ns, kind, names)))).flat();
    const beforeUninstall = await present();
    assert.equal(beforeUninstall.length, named.length, `every object of the release exists before uninstall: ${beforeUninstall.join(", ")}`);
    assert.equal((await stillThere(OPERATOR.namespace, "leases", [FULLNAME])).length, 1, `the release's Lease ${FULLNAME} exists before uninstall`);

    await kube.must("helm", ["uninstall", OPERATOR.release, "-n", OPERATOR.namespace]);
    helmInstalled = false;
    await waitFor(async () => {
      const rest = [...await present(), ...await byLabel(OPERATOR.namespace, "pods,deployments,replicasets,serviceaccounts,roles,rolebindings", instance),
        ...await byLabel(NS, "roles,rolebindings", instance),
        ...(await kubectl("get", "clusterroles,clusterrolebindings", "-l", instance, "-o", "name")).split("\n").filter(Boolean)];
      if (rest.length === 0) return true;
      throw new Error(`still there: ${[...new Set(rest)].join(", ")}`);
    }, { what: `nothing of release ${OPERATOR.release} left (by name and by label ${instance})`, timeoutMs: 90_000, intervalMs: 500 });
    assert.deepEqual(await kube.pods(OPERATOR.namespace, ""), [], `no pod left in ${OPERATOR.namespace}`);
    // By Helm's design the CRD of a chart's crds/ directory is installed once and never deleted, so
    // that uninstalling an operator cannot delete every user's MdbCluster with it.
    assert.equal((await stillThere(undefined, "customresourcedefinitions", [CRD])).length, 1, "the CRD stays after helm uninstall");
  });

  test("helm uninstall leaves no leader-election Lease behind", async () => {
    // The chart renders the Lease (metadata only), so helm uninstall deletes it. This runs after the
    // test above saw every operator pod gone, so a replica still terminating cannot have made it anew.
    const lease = await waitFor(async () => {
      const left = await stillThere(OPERATOR.namespace, "leases", [FULLNAME]);
      if (left.length === 0) return true;
      const l = await readLease();
      throw new Error(`Lease ${OPERATOR.namespace}/${FULLNAME} still there: holder "${l.spec?.holderIdentity ?? ""}", ownerReferences ${JSON.stringify(l.metadata?.ownerReferences ?? [])}`);
    }, { what: `the Lease ${OPERATOR.namespace}/${FULLNAME} of the uninstalled release to be removed`, timeoutMs: 20_000, intervalMs: 500 });
    assert.equal(lease, true);
  });
});
