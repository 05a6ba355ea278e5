// `npm run demo` after its bootstrap (scripts/demo.sh): a cluster to run on (the proving ground unless
// KUBECONFIG names another cluster), the operator installed from charts/mdb-operator, the example
// MdbCluster applied and watched until Ready, keys written and read through a cluster client, then
// what runs where and what to try next (`-- scale N` scales it, `-- tls` shows TLS for clients). Every step finds what is already done and keeps it, so the
// demo can run again at any time.
import { existsSync, readFileSync } from "node:fs";
import { basename, resolve, join } from "node:path";
import { Cluster } from "ioredis";
import { clusterUp, ensureBinaries, REPO_ROOT, stateDirFrom } from "../../e2e/local/controlplane/cluster.ts";
import { pinnedBinDir } from "../../e2e/local/toolchain/paths.ts";
import { sleep } from "../../common/wait.ts";
import type { MdbCluster } from "../../operator/src/api/generated/mdbcluster.ts";
import { DemoError, Kube } from "./kube.ts";
import { formatTable, isReady, placement, progressLine, stepsWaiting, type NodeLabels } from "./report.ts";
import { parseShards, scale } from "./scale.ts";
import { tlsRoundTrip } from "./tls.ts";

// Overridable to run beside another installation on the same cluster (e.g. a second operator that
// watches only its own namespace: MDB_DEMO_HELM_SET=watchNamespace=NS).
const RELEASE = process.env.MDB_DEMO_RELEASE || "mdb-operator";
const OPERATOR_NS = process.env.MDB_DEMO_OPERATOR_NAMESPACE || "mdb-system";
const CLUSTER_NS = process.env.MDB_DEMO_NAMESPACE || "default";
const HELM_SET = (process.env.MDB_DEMO_HELM_SET ?? "").split(",").filter(Boolean).flatMap((kv) => ["--set", kv]);
const EXAMPLE = join(REPO_ROOT, "examples/mdbcluster.yaml");
const TLS_EXAMPLE = join(REPO_ROOT, "examples/mdbcluster-tls.yaml");
const CHART = join(REPO_ROOT, "charts/mdb-operator");
const KEYS = 1000;

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (title: string) => console.log(`\n${bold(`==> ${title}`)}`);
const seconds = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw ? Number(raw) : fallback;
  if (!Number.isInteger(n) || n <= 0) throw new DemoError(name, `"${raw}" is not a whole number of seconds`, `unset ${name} or set it to e.g. ${fallback}`);
  return n;
};

interface Target { kube: Kube; provingGround: boolean }

/** The proving ground (started when down) unless KUBECONFIG names another cluster, which must answer. */
async function cluster(): Promise<Target> {
  const local = join(stateDirFrom(), "kubeconfig");
  const given = process.env.KUBECONFIG;
  if (!given || resolve(given) === local) {
    step("Proving ground (a real control plane, pods as local processes)");
    const info = await clusterUp({ log: (line) => console.log(`  ${line}`) }).catch((err: Error) => {
      throw new DemoError("starting the proving ground", err.message,
        `fix what it names and run npm run demo again; component logs are in ${join(stateDirFrom(), "logs")}, and npm run cluster:down clears a half-started one`);
    });
    return { kube: new Kube(info.binDir, info.kubeconfig), provingGround: true };
  }
  step(`Cluster from KUBECONFIG=${given}`);
  if (!existsSync(given)) throw new DemoError("KUBECONFIG", `${given} does not exist`, "unset KUBECONFIG to use the proving ground, or point it at a kubeconfig file");
  const pinned = pinnedBinDir();
  const onPath = (t: string) => process.env.PATH?.split(":").some((d) => existsSync(join(d, t)));
  const binDir = existsSync(join(pinned, "kubectl")) && existsSync(join(pinned, "helm")) ? pinned
    : onPath("kubectl") && onPath("helm") ? undefined : ensureBinaries((l) => console.log(`  ${l}`));
  const kube = new Kube(binDir, given);
  const r = kube.run("kubectl", ["get", "--raw", "/readyz"]);
  if (!r.ok) throw new DemoError(`the cluster in KUBECONFIG=${given}`, r.stderr, "start that cluster, or unset KUBECONFIG to use the proving ground");
  console.log("  it answers. Its nodes must be able to run the images mdbcluster/operator:0.1.0 and mdbcluster/node:0.1.0");
  console.log("  (e2e/kind/run.sh builds and loads them into kind), and this machine must reach its pod IPs for the key round-trip.");
  return { kube, provingGround: false };
}

/** helm upgrade --install, then the Deployment's rollout, pod by pod, until every replica is ready. */
async function installOperator(kube: Kube): Promise<void> {
  step(`Operator: helm upgrade --install ${RELEASE} charts/mdb-operator -n ${OPERATOR_NS}`);
  // The cluster's namespace first: with MDB_DEMO_HELM_SET=watchNamespace=… the chart puts a Role there.
  if (!kube.getJson(["namespace", CLUSTER_NS])) kube.kubectl(["create", "namespace", CLUSTER_NS]);
  // helm installs a chart's CRDs only once and never upgrades them: apply the current one first.
  console.log(`  ${kube.kubectl(["apply", "--server-side", "--force-conflicts", "-f", join(CHART, "crds/mdbcluster.yaml")]).trim()}`);
  kube.kubectl(["wait", "--for=condition=Established", "crd/mdbclusters.mdbcluster.io", "--timeout=60s"]);
  const out = kube.must("helm", ["upgrade", "--install", RELEASE, CHART, "--namespace", OPERATOR_NS, "--create-namespace", ...HELM_SET],
    `fix the chart (helm lint ${CHART}) or remove a broken release: helm uninstall ${RELEASE} -n ${OPERATOR_NS}`);
  for (const line of out.split("\n")) { if (line.startsWith("NOTES:")) break; if (line.trim()) console.log(`  ${line}`); }

  const deadline = Date.now() + seconds("MDB_DEMO_OPERATOR_TIMEOUT_SECONDS", 240) * 1000;
  const selector = `app.kubernetes.io/instance=${RELEASE}`;
  type Deployment = { metadata: { name: string; generation: number }; spec: { replicas: number; template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
    status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number } };
  let last = "";
  let lastPrinted = 0;
  for (;;) {
    // Found by the release's label: the Deployment's name is the chart's full name, not the release's.
    const d = kube.getJson<{ items: Deployment[] }>(["deployments", "-n", OPERATOR_NS, "-l", selector])?.items[0];
    const pods = kube.getJson<{ items: { metadata: { name: string; deletionTimestamp?: string }; status: { phase: string; containerStatuses?: { ready: boolean; restartCount: number; state: { waiting?: { reason: string; message?: string } } }[] } }[] }>(["pods", "-n", OPERATOR_NS, "-l", selector]);
    const line = (pods?.items ?? []).map((p) => {
      const c = p.status.containerStatuses?.[0];
      const waiting = c?.state.waiting ? ` ${c.state.waiting.reason}${c.state.waiting.message ? `: ${c.state.waiting.message}` : ""}` : "";
      return `${p.metadata.name} ${p.metadata.deletionTimestamp ? "Terminating" : p.status.phase}${c?.ready ? " ready" : " not ready"}${c?.restartCount ? ` (restarts ${c.restartCount})` : ""}${waiting}`;
    }).join("; ");
    if (line !== last || Date.now() - lastPrinted > 30_000) {
      console.log(`  pods: ${line || "none yet"}`);
      last = line;
      lastPrinted = Date.now();
    }
    const s = d?.status;
    if (d && s && (s.observedGeneration ?? 0) >= d.metadata.generation && s.updatedReplicas === d.spec.replicas && s.readyReplicas === d.spec.replicas && s.replicas === d.spec.replicas) {
      const leaseName = d.spec.template.spec.containers[0]?.env?.find((e) => e.name === "MDB_LEASE_NAME")?.value ?? d.metadata.name;
      const leader = kube.run("kubectl", ["get", "lease", leaseName, "-n", OPERATOR_NS, "-o", "jsonpath={.spec.holderIdentity}"]);
      console.log(`  operator ready (deployment/${d.metadata.name})${leader.ok && leader.stdout ? `; leader: ${leader.stdout}` : ""}`);
      return;
    }
    if (Date.now() > deadline) {
      throw new DemoError("the operator did not become ready", line || "no pods",
        `look at its log: kubectl -n ${OPERATOR_NS} logs -l ${selector} --tail=50 (or npm run cluster:logs -- ${OPERATOR_NS}/POD), and kubectl -n ${OPERATOR_NS} describe pods`);
    }
    await sleep(2000);
  }
}

/** Applies an example and prints each change of its status until Ready: phase, members by state, plan. */
async function applyAndWait(kube: Kube, example = EXAMPLE): Promise<MdbCluster> {
  step(`MdbCluster: kubectl apply -n ${CLUSTER_NS} -f examples/${basename(example)}`);
  console.log(`  ${kube.kubectl(["apply", "-n", CLUSTER_NS, "-f", example]).trim()}`);
  const name = /^\s+name:\s*(\S+)/m.exec(readFileSync(example, "utf8"))?.[1] ?? "demo";
  const started = Date.now();
  const deadline = started + seconds("MDB_DEMO_READY_TIMEOUT_SECONDS", 600) * 1000;
  let last = "";
  let lastPrinted = 0;
  let hinted = false;
  for (;;) {
    const c = kube.getJson<MdbCluster>(["mdb", name, "-n", CLUSTER_NS]);
    if (!c) throw new DemoError(`MdbCluster ${CLUSTER_NS}/${name}`, "it vanished while the demo waited", "apply it again: npm run demo");
    const elapsed = Math.round((Date.now() - started) / 1000);
    const line = progressLine(c);
    // A line on every change, and one every 30 s while nothing changes, so the wait is never silent.
    if (line !== last || Date.now() - lastPrinted > 30_000) {
      console.log(`  [${String(elapsed).padStart(4)}s] ${line}`);
      last = line;
      lastPrinted = Date.now();
    }
    if (isReady(c)) return c;
    if (!c.status?.phase && elapsed > 60 && !hinted) {
      hinted = true;
      console.log(`  no status after 60 s: is the operator reconciling? kubectl -n ${OPERATOR_NS} logs -l app.kubernetes.io/instance=${RELEASE} --tail=20`);
    }
    if (Date.now() > deadline) {
      throw new DemoError(`MdbCluster ${CLUSTER_NS}/${name} did not become Ready`, [line, ...stepsWaiting(c)].join("\n"),
        `kubectl describe mdb ${name} -n ${CLUSTER_NS} shows its conditions and plan; the operator's log: kubectl -n ${OPERATOR_NS} logs -l app.kubernetes.io/instance=${RELEASE}; wait longer with MDB_DEMO_READY_TIMEOUT_SECONDS`);
    }
    await sleep(2000);
  }
}

/** Writes and reads KEYS keys with ioredis in cluster mode, starting from the members' pod IPs. */
async function roundTrip(kube: Kube, c: MdbCluster): Promise<void> {
  const ns = c.metadata?.namespace ?? CLUSTER_NS;
  const secretName = c.status?.secretName;
  step(`Keys: ${KEYS} writes and reads through a cluster-aware client (ioredis Cluster)`);
  if (!secretName) throw new DemoError("status.secretName", "the Ready cluster names no password Secret", "kubectl get mdb -o yaml shows the status; this is an operator bug");
  const encoded = kube.kubectl(["get", "secret", secretName, "-n", ns, "-o", "jsonpath={.data.password}"], `the Secret ${ns}/${secretName} named in status.secretName must exist with key password`);
  const password = Buffer.from(encoded, "base64").toString("utf8");
  const members = c.status?.members ?? [];
  const startupNodes = members.filter((m) => m.ip).map((m) => ({ host: m.ip!, port: 6379 }));
  if (startupNodes.length === 0) throw new DemoError("status.members[].ip", "no member has an IP", "kubectl get mdb -o yaml shows the members");
  const client = new Cluster(startupNodes, {
    redisOptions: { password, connectTimeout: 3000 },
    clusterRetryStrategy: (times) => (times > 5 ? null : 500),
    slotsRefreshTimeout: 3000,
  });
  client.on("error", () => undefined); // reported by the commands that fail
  try {
    const connectTimeout = setTimeout(() => client.disconnect(), 20_000);
    await new Promise<void>((ok, fail) => { client.once("ready", ok); client.once("end", () => fail(new Error("could not connect"))); });
    clearTimeout(connectTimeout);
    const t0 = Date.now();
    for (let i = 0; i < KEYS; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => client.set(`demo:key:${i + j}`, `value-${i + j}`)));
    const values = [] as (string | null)[];
    for (let i = 0; i < KEYS; i += 100) values.push(...await Promise.all(Array.from({ length: 100 }, (_, j) => client.get(`demo:key:${i + j}`))));
    const wrong = values.filter((v, i) => v !== `value-${i}`).length;
    if (wrong > 0) throw new DemoError("the key round-trip", `${wrong} of ${KEYS} keys read back wrong`, "kubectl describe mdb shows the cluster's state; redis-cli --cluster check <member IP>:6379 -a PASSWORD shows the engines' view");
    console.log(`  wrote ${KEYS} keys and read every one back in ${Date.now() - t0} ms`);
    const byIp = new Map(members.map((m) => [m.ip, m]));
    for (const node of client.nodes("master")) {
      const m = byIp.get(node.options.host);
      console.log(`  primary ${m?.name ?? node.options.host} (shard ${m?.shard ?? "?"}, ${m?.zone ?? "?"}): ${await node.dbsize()} keys`);
    }
  } catch (err) {
    if (err instanceof DemoError) throw err;
    throw new DemoError("the key round-trip", `${(err as Error).message} (members tried: ${startupNodes.map((n) => n.host).join(", ")})`,
      "the demo talks to member pods by pod IP on port 6379: on the proving ground they are reachable from this machine; on another cluster run the demo where pod IPs are routable");
  } finally {
    client.disconnect();
  }
}

function show(kube: Kube, c: MdbCluster, provingGround: boolean): void {
  const name = c.metadata?.name ?? "demo";
  const ns = c.metadata?.namespace ?? CLUSTER_NS;
  step("kubectl get mdb -o wide");
  console.log(kube.kubectl(["get", "mdb", "-n", ns, "-o", "wide"]).trimEnd());

  step(`Placement: member → node → zone/rack (from the Nodes' labels; isolation level ${c.spec.placement?.isolationLevel ?? "zone"})`);
  const nodes = kube.getJson<{ items: { metadata: { name: string; labels?: Record<string, string> } }[] }>(["nodes"]);
  const { rows, violations } = placement(c, (nodes?.items ?? []).map((n): NodeLabels => ({ name: n.metadata.name, labels: n.metadata.labels ?? {} })));
  console.log(formatTable(rows));
  console.log(violations.length ? `  !! ${violations.join("\n  !! ")}` : "  every shard's members are in different domains at its isolation level");

  step("What to try next");
  const primary = c.status?.members?.find((m) => m.role === "primary");
  const bin = kube.binDir ? ` PATH=${kube.binDir}:$PATH` : "";
  const n = ns === "default" ? "" : ` -n ${ns}`;
  const tries: [command: string, why: string][] = [
    [`kubectl describe mdb ${name}${n}`, "members, shards, conditions, the plan"],
    [`kubectl scale mdb ${name}${n} --replicas=4`, "a 4th shard online: members placed, slots move in waves (kubectl get mdb -w: Migration %)"],
    ["npm run demo -- scale 6", "the same with a live progress bar, the waves and the Events until Ready"],
    ["npm run demo -- tls", "a cluster serving TLS to clients: redis-cli --tls and ioredis with its CA"],
    [`kubectl get pods${n} -o wide -l ${c.status?.selector ?? `app.kubernetes.io/instance=${name}`}`, "the member pods"],
    [`redis-cli -c -h ${primary?.ip ?? "<member IP>"} -a "$(kubectl get secret${n} ${c.status?.secretName ?? "<secret>"} -o jsonpath='{.data.password}' | base64 -d)"`, "a shell on the cluster"],
    ...(provingGround ? [
      [`npm run cluster:fault -- kill ${ns}/${primary?.name ?? "<primary pod>"}`, "a primary's containers die and restart; the member rejoins with its data"],
      [`npm run cluster:fault -- stop-node ${primary?.node ?? "<node>"}`, "a node goes away: the operator fails over at once and places the lost member on another node"],
    ] as [string, string][] : []),
    ["npm test", "every check: unit, integration, e2e"],
    [`kubectl delete mdb ${name}${n}; helm uninstall ${RELEASE} -n ${OPERATOR_NS}${provingGround ? "; npm run cluster:down" : ""}`, "clean up"],
  ];
  const width = Math.min(72, Math.max(...tries.map(([cmd]) => cmd.length)));
  console.log(`  export KUBECONFIG=${kube.kubeconfig}${bin}`);
  for (const [cmd, why] of tries) console.log(`  ${cmd.padEnd(width)}  # ${why}`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const [command, arg] = process.argv.slice(2);
  if (command !== undefined && command !== "scale" && command !== "tls") throw new DemoError(`npm run demo -- ${command}`, "unknown command", "run npm run demo, npm run demo -- scale N, or npm run demo -- tls");
  const shards = command === "scale" ? parseShards(arg) : undefined;
  const { kube, provingGround } = await cluster();
  if (shards !== undefined) {
    const name = /^\s+name:\s*(\S+)/m.exec(readFileSync(EXAMPLE, "utf8"))?.[1] ?? "demo";
    step(`Scale: spec.shards of ${CLUSTER_NS}/${name} → ${shards}, slots move online (Ctrl-C stops watching, not the scale)`);
    const done = await scale(kube, { name, namespace: CLUSTER_NS, shards, timeoutSeconds: seconds("MDB_DEMO_READY_TIMEOUT_SECONDS", 600) });
    step("kubectl get mdb -o wide");
    console.log(kube.kubectl(["get", "mdb", "-n", CLUSTER_NS, "-o", "wide"]).trimEnd());
    console.log(`\nshards now: ${(done.status?.shardDetails ?? []).map((d) => `${d.index}: ${d.slots}`).join(" · ")}`);
    return;
  }
  await installOperator(kube);
  if (command === "tls") {
    const tls = await applyAndWait(kube, TLS_EXAMPLE);
    step("TLS for clients: the cluster's CA, redis-cli --tls and ioredis");
    await tlsRoundTrip(kube, tls, (line) => console.log(`  ${line}`));
    console.log(`\ndemo finished in ${Math.round((Date.now() - t0) / 1000)} s; kubectl delete mdb demo-tls${CLUSTER_NS === "default" ? "" : ` -n ${CLUSTER_NS}`} removes the TLS cluster.`);
    return;
  }
  const ready = await applyAndWait(kube);
  await roundTrip(kube, ready);
  show(kube, ready, provingGround);
  console.log(`\ndemo finished in ${Math.round((Date.now() - t0) / 1000)} s; running it again keeps what is there.`);
}

main().catch((err: unknown) => {
  if (err instanceof DemoError) {
    console.error(`\n✖ ${err.what}\n  ${err.detail.split("\n").join("\n  ")}\n→ ${err.fix}`);
  } else {
    console.error(`\n✖ demo failed: ${(err as Error).stack ?? String(err)}`);
  }
  process.exit(1);
});
