// The operator end to end (issue 8, item 7): helm install of charts/mdb-operator (2 replicas, leader
// election) as this suite's own release watching this suite's own namespace, an MdbCluster applied
// until Ready, keys through cluster clients, the engines' own view of the slots, placement judged from
// the Nodes' labels, what kubectl shows, `kubectl scale`, leader failover, and clean deletion of the
// cluster and of the release. Reads only KUBECONFIG; with it unset, runs on a proving ground it starts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CoordinationV1Api, type V1Lease } from "@kubernetes/client-node";
import { Cluster } from "ioredis";
import { waitFor } from "../../common/wait.ts";
import { LABELS, memberName, pvcName } from "../../operator/src/resources/names.ts";
import { DEFAULT_TOPOLOGY_KEYS } from "../../common/labels.ts";
import { acquireGround, releaseGround, type Ground } from "../support/ground.ts";
import {
  clusterManifest, clusterProgress, conditionOf, createNamespace, installOperator, isReady, Kube, podStates, releaseFullname,
  waitForCluster, waitForOperatorReady, type OperatorRelease,
} from "../support/mdb.ts";
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
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

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
  /** `kubectl get` of the named objects that still exist, as kind/name lines. */
  const stillThere = async (namespace: string | undefined, kind: string, names: string[]) => {
    if (names.length === 0) return [] as string[];
    const out = await kubectl("get", kind, ...names, ...(namespace ? ["-n", namespace] : []), "--ignore-not-found", "-o", "name");
    return out.split("\n").filter(Boolean);
  };
  const byLabel = async (namespace: string, kinds: string, selector: string) =>
    (await kubectl("get", kinds, "-n", namespace, "-l", selector, "-o", "name")).split("\n").filter(Boolean);

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

  test("the leader's /metrics (port named metrics, from its pod IP): members by state and slots served as the cluster is", async () => {
    const lease = await readLease();
    const leader = (await kube.pods(OPERATOR.namespace, `app.kubernetes.io/instance=${OPERATOR.release}`)).find((p) => p.metadata?.name === lease.spec?.holderIdentity)!;
    const port = leader.spec!.containers[0].ports!.find((p) => p.name === "metrics")!.containerPort;
    const text = await waitFor(async () => {
      const t = await (await fetch(`http://${leader.status!.podIP}:${port}/metrics`)).text();
      if (!t.includes(`mdb_cluster_members{namespace="${NS}",cluster="${CLUSTER}",state="ACTIVE"} ${SHARDS}`)) throw new Error("not yet");
      return t;
    }, { what: "the leader's metrics to show the cluster", timeoutMs: 30_000, intervalMs: 500 });
    assert.ok(text.includes(`mdb_cluster_members{namespace="${NS}",cluster="${CLUSTER}",state="STANDBY"} ${MEMBERS.length - SHARDS}`), text);
    assert.ok(text.includes(`mdb_cluster_slots{namespace="${NS}",cluster="${CLUSTER}",state="served"} 16384`), text);
    assert.match(text, /^mdb_operator_leader 1$/m);
    assert.match(text, /^mdb_operator_reconcile_duration_seconds_count\{result="ok"\} [1-9]/m);
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

  test("the leader operator pod deleted → the other replica takes the Lease over and still reconciles a spec change", async () => {
    const before = await readLease();
    const leader = before.spec!.holderIdentity!;
    const transitions = before.spec!.leaseTransitions ?? 0;
    const pods = await waitForOperatorReady(kube, OPERATOR);
    const other = pods.map((p) => p.metadata!.name!).find((n) => n !== leader);
    assert.ok(other, `a second operator replica besides the leader ${leader}: ${podStates(pods)}`);
    const t0 = Date.now();
    await kubectl("delete", "pod", leader, "-n", OPERATOR.namespace, "--wait=false");
    const after = await waitFor(async () => {
      const l = await readLease();
      if (l.spec?.holderIdentity === other && (l.spec.leaseTransitions ?? 0) > transitions) return l;
      throw new Error(`holder "${l.spec?.holderIdentity ?? ""}", leaseTransitions ${l.spec?.leaseTransitions}`);
    }, { what: `Lease ${FULLNAME} taken over by ${other} (was ${leader}, leaseTransitions ${transitions})`, timeoutMs: 60_000, intervalMs: 200 });
    log(`${other} took the Lease over ${Date.now() - t0} ms after the leader's pod was deleted (leaseTransitions ${transitions} → ${after.spec!.leaseTransitions})`);

    const window = ((await cluster()).spec.migration?.window ?? 2) + 3;
    await kubectl("patch", "mdb", CLUSTER, "-n", NS, "--type", "merge", "-p", JSON.stringify({ spec: { migration: { window } } }));
    const generation = (await cluster()).metadata!.generation!;
    const reconciled = await waitForCluster(kube, NS, CLUSTER, `status.observedGeneration ${generation} (spec.migration.window ${window}) from the new leader`,
      (c) => c?.status?.observedGeneration === generation && isReady(c), 60_000);
    assert.equal(reconciled!.spec.migration?.window, window);
    const newLeaderLog = await kubectl("logs", "-n", OPERATOR.namespace, other!);
    assert.match(newLeaderLog, /"message":"leading"/, `the new leader's log says it leads:\n${newLeaderLog.slice(-2000)}`);
    await waitForOperatorReady(kube, OPERATOR); // the Deployment replaced the deleted pod
  });

  test("deleting the MdbCluster removes every pod, Service, Secret, PVC and PDB it made", async () => {
    const selector = `${LABELS.cluster}=${CLUSTER}`;
    const kinds = "pods,services,secrets,persistentvolumeclaims,poddisruptionbudgets";
    const made = await byLabel(NS, kinds, selector);
    const expected = [
      ...MEMBERS.map((m) => `pod/${m}`), ...MEMBERS.map((m) => `persistentvolumeclaim/${pvcName(m)}`),
      `service/${CLUSTER}`, `service/${CLUSTER}-members`, `secret/${CLUSTER}-auth`, `secret/${CLUSTER}-sidecar`, `poddisruptionbudget.policy/${CLUSTER}`,
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
    const pvsReleased = await waitFor(async () => {
      const pvsLeft = await stillThere(undefined, "persistentvolumes", pvs);
      if (pvsLeft.length === 0) return true;
      throw new Error(`still there: ${pvsLeft.join(", ")}`);
    }, { what: "the PVs of the deleted PVCs released by the Delete reclaim policy", timeoutMs: 60_000, intervalMs: 500 });
    assert.equal(pvsReleased, true);
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
