// bench:failover's baseline: the same member pods as ours (operator/src/resources/member-pod.ts, the
// same image, containers, resources and node timeout), made by the bench in a namespace no operator
// watches, formed into a cluster with the engines' own commands (testing/cluster.ts) and left to fail
// over on their own. No operator: with spec.failover.enabled false the operator still tells every member
// whose engine reports cluster_state fail to CLUSTER MEET a seed once a second, and that loop made the
// engines' own elections fail (docs/benchmarks.md#benchmark-failover). After a fault that takes a member's
// pod or data away, and only after the measurement window closed, the bench does what an operator would
// to restore redundancy: the pod again on its node, CLUSTER FORGET of the lost engine id on every engine,
// CLUSTER MEET, CLUSTER REPLICATE to the shard's primary.
import { randomBytes } from "node:crypto";
import type { V1Pod } from "@kubernetes/client-node";
import { Redis } from "ioredis";
import { waitFor } from "../../../common/wait.ts";
import { resolveSpec } from "../../../operator/src/api/defaults.ts";
import type { MdbCluster, MemberImages } from "../../../operator/src/api/types.ts";
import { memberPodSecrets } from "./member-secrets.ts";
import { buildMemberPod } from "../../../operator/src/resources/member-pod.ts";
import { BUS_PORT, ENGINE_PORT, LABELS, memberName } from "../../../operator/src/resources/names.ts";
import { formCluster } from "../../../testing/cluster.ts";
import type { EngineProcess } from "../../../testing/engines.ts";
import { podStates, type Kube } from "../../support/mdb.ts";
import { MEMBERS, NODE_TIMEOUT_MS, SHAPE, type ClusterView, type MemberView } from "./failover-cluster.ts";
import type { FaultMode } from "./failover-stats.ts";

const ZONE_LABEL = "topology.kubernetes.io/zone";
const READY_TIMEOUT_MS = 300_000;

interface EngineState { id: string; role: "master" | "slave" | "?"; slots: string; linkUp: boolean; clusterOk: boolean; masterId: string; nodes: string }

export class Baseline {
  private readonly clients = new Map<string, Redis>();
  private readonly dropped = new Set<string>();
  private rebuilding = false;

  private constructor(private readonly kube: Kube, readonly namespace: string, readonly name: string, readonly password: string,
    private readonly templates: Map<string, V1Pod>) {}

  /** Makes the pods (each pinned to a node of `nodes`, a shard's two members in different zones) and forms the cluster. */
  static async create(kube: Kube, opts: { namespace: string; name: string; images: MemberImages; nodes: string[] }): Promise<Baseline> {
    const cluster = { apiVersion: "mdbcluster.io/v1alpha1", kind: "MdbCluster", metadata: { name: opts.name, namespace: opts.namespace, uid: "bench-baseline" },
      spec: { ...SHAPE, engine: { maxMemory: "64mb", image: opts.images.engine, nodeTimeoutMs: NODE_TIMEOUT_MS }, resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "128Mi" } } } } as MdbCluster;
    const spec = resolveSpec(cluster.spec, opts.images);
    const placement = await placeMembers(kube, opts.name, opts.nodes);
    const templates = new Map<string, V1Pod>();
    for (const [member, { shard, node }] of placement) {
      const hostLabelValue = (await kube.core.readNode({ name: node })).metadata?.labels?.[spec.placement.topologyKeys.host] ?? node;
      const pod = buildMemberPod({ cluster, spec, member, shard, node, hostLabelValue });
      delete pod.metadata!.ownerReferences; // no MdbCluster owns it: the garbage collector would delete it
      templates.set(member, pod);
    }
    const password = randomBytes(24).toString("base64url");
    for (const secret of await memberPodSecrets(cluster, [...templates.keys()], password)) {
      await kube.core.createNamespacedSecret({ namespace: opts.namespace, body: secret });
    }
    const b = new Baseline(kube, opts.namespace, opts.name, password, templates);
    await Promise.all([...templates.values()].map((body) => kube.core.createNamespacedPod({ namespace: opts.namespace, body: structuredClone(body) })));
    const ips = await Promise.all([...templates.keys()].map((m) => b.engineAnswering(m)));
    const byName = new Map([...templates.keys()].map((m, i) => [m, ips[i]]));
    // Primaries first (shard s at index s), then their standbys: formCluster's order.
    const order = [...Array(SHAPE.shards).keys()].flatMap((r) => [...Array(SHAPE.shards).keys()].map((s) => memberName(opts.name, s, r)));
    const engines = order.map((m) => ({ host: byName.get(m)!, port: ENGINE_PORT, password }) as unknown as EngineProcess); // formCluster reads host, port, password only
    await formCluster(engines, { primaries: SHAPE.shards, replicasPerPrimary: SHAPE.replicasPerShard, timeoutMs: 120_000 });
    await b.waitWhole(`${opts.name} formed`);
    return b;
  }

  private client(ip: string): Redis {
    let c = this.clients.get(ip);
    if (!c) {
      c = new Redis({ host: ip, port: ENGINE_PORT, password: this.password, lazyConnect: true, connectTimeout: 500, commandTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on("error", () => undefined);
      this.clients.set(ip, c);
    }
    return c;
  }

  private async engine(ip: string): Promise<EngineState | undefined> {
    const c = this.client(ip);
    try {
      if (c.status !== "ready") await c.connect();
      const [nodes, info, role] = await Promise.all([c.call("CLUSTER", "NODES"), c.call("CLUSTER", "INFO"), c.call("ROLE")]) as [string, string, unknown[]];
      const me = String(nodes).split("\n").find((l) => l.includes("myself"))?.split(" ") ?? [];
      return {
        id: me[0] ?? "", role: role[0] === "master" ? "master" : role[0] === "slave" ? "slave" : "?", slots: me.slice(8).join(","),
        linkUp: role[0] === "slave" && role[3] === "connected", clusterOk: String(info).includes("cluster_state:ok"), masterId: me[3] ?? "-", nodes: String(nodes),
      };
    } catch {
      c.disconnect();
      this.clients.delete(ip);
      return undefined;
    }
  }

  private async pods(): Promise<V1Pod[]> {
    return (await this.kube.pods(this.namespace, `${LABELS.cluster}=${this.name}`)).filter((p) => !p.metadata?.deletionTimestamp);
  }

  /** The cluster as its engines see it, in the shape the bench judges ours by. */
  async view(): Promise<ClusterView> {
    const pods = await this.pods();
    const states = await Promise.all(pods.map((p) => (p.status?.podIP ? this.engine(p.status.podIP) : Promise.resolve(undefined))));
    const members: (MemberView & { slots: string })[] = pods.map((p, i) => {
      const e = states[i];
      const primary = e?.role === "master" && e.slots !== "";
      const standby = e?.role === "slave" && e.linkUp;
      return {
        name: p.metadata!.name!, shard: Number(p.metadata!.labels![LABELS.shard]), node: p.spec?.nodeName ?? "", ip: p.status?.podIP ?? "", slots: e?.slots ?? "",
        role: primary ? "primary" : e?.role === "slave" ? "standby" : "", state: primary ? "ACTIVE" : standby ? "STANDBY" : e ? "ONLINE" : "Unknown",
        ready: Boolean(e?.clusterOk && (primary || standby)),
      };
    });
    const shards = [...Array(SHAPE.shards).keys()].map((index) => {
      const inShard = members.filter((m) => m.shard === index);
      const primary = inShard.find((m) => m.role === "primary" && m.ready) ?? inShard.find((m) => m.role === "primary");
      return { index, primary: primary?.name ?? "", standbys: inShard.filter((m) => m.role === "standby").map((m) => m.name), slots: primary?.slots ?? "" };
    });
    const whole = !this.rebuilding && members.length === MEMBERS && members.every((m) => m.ready)
      && shards.every((s) => s.primary && s.standbys.some((n) => members.find((m) => m.name === n)?.state === "STANDBY"));
    return { members: members.map(({ slots: _slots, ...m }) => m), shards, busy: this.rebuilding, whole, changedAtMs: 0 };
  }

  async waitWhole(what: string): Promise<void> {
    await waitFor(async () => (await this.view()).whole, { what, timeoutMs: READY_TIMEOUT_MS, intervalMs: 250 })
      .catch(async (err: Error) => { throw new Error(`${err.message}\n  pods: ${podStates(await this.pods())}`); });
  }

  /** Waits until the member's pod runs and its engine answers; returns its address. */
  private async engineAnswering(member: string): Promise<string> {
    return waitFor(async () => {
      const pod = (await this.pods()).find((p) => p.metadata?.name === member);
      const ip = pod?.status?.podIP;
      return ip && (await this.engine(ip)) ? ip : false;
    }, { what: `${this.namespace}/${member}'s engine answering`, timeoutMs: READY_TIMEOUT_MS, intervalMs: 200 });
  }

  /**
   * A member whose node stopped comes back, on the pod runner, in its old pod with no data, a new
   * address, and for half a minute no route to it; the bench deletes the pod (as it does for ours, whose
   * operator then replaces the member) and rebuild() makes it again.
   */
  async dropPod(member: string): Promise<void> {
    this.dropped.add(member);
    await this.kube.run("kubectl", ["delete", "pod", member, "-n", this.namespace, "--wait=false"]);
  }

  /**
   * After a fault, what an operator would do to get the member back as a standby: its pod again (pod
   * delete), then — when its engine came back empty (a new pod, or a node stop on the pod runner) —
   * FORGET the lost engine id everywhere, MEET, REPLICATE. An engine restarted in place rejoins by itself.
   */
  async rebuild(mode: FaultMode, member: string, oldUid: string, log: (line: string) => void): Promise<void> {
    if (mode === "engine-kill") return;
    this.rebuilding = true;
    try {
      if (mode === "pod-delete" || this.dropped.delete(member)) {
        // Terminating counts as there: a pod of the same name cannot be made until the old one is gone.
        await waitFor(async () => !(await this.kube.pods(this.namespace, `${LABELS.cluster}=${this.name}`)).some((p) => p.metadata?.name === member && p.metadata.uid === oldUid),
          { what: `the old pod of ${member} gone`, timeoutMs: 120_000, intervalMs: 200 });
        await this.kube.core.createNamespacedPod({ namespace: this.namespace, body: structuredClone(this.templates.get(member)!) });
      }
      const ip = await this.engineAnswering(member);
      const mine = (await this.engine(ip))!;
      if (mine.role === "slave" || mine.slots !== "") return; // kept its data and identity: it rejoins by itself
      const shard = Number(this.templates.get(member)!.metadata!.labels![LABELS.shard]);
      const others = (await this.pods()).filter((p) => p.metadata?.name !== member && p.status?.podIP);
      const live = (await Promise.all(others.map(async (p) => ({ pod: p, e: await this.engine(p.status!.podIP!) })))).filter((x) => x.e);
      const ids = new Set([mine.id, ...live.map((x) => x.e!.id)]);
      const stale = [...new Set(live.flatMap((x) => x.e!.nodes.split("\n").map((l) => l.split(" ")[0]).filter((id) => id && !ids.has(id))))];
      for (const id of stale) await Promise.all(live.map((x) => this.client(x.pod.status!.podIP!).call("CLUSTER", "FORGET", id).catch(() => undefined)));
      const primary = live.find((x) => Number(x.pod.metadata!.labels![LABELS.shard]) === shard && x.e!.role === "master" && x.e!.slots !== "");
      if (!primary) throw new Error(`${member}: no primary of shard ${shard} to replicate from`);
      const c = this.client(ip);
      await c.call("CLUSTER", "MEET", primary.pod.status!.podIP!, ENGINE_PORT, BUS_PORT);
      await waitFor(async () => (await this.engine(ip))?.nodes.includes(primary.e!.id), { what: `${member}'s engine to know ${primary.pod.metadata!.name}`, timeoutMs: 60_000, intervalMs: 100 });
      await waitFor(async () => c.call("CLUSTER", "REPLICATE", primary.e!.id).then(() => true, () => false), { what: `${member} replicating ${primary.pod.metadata!.name}`, timeoutMs: 60_000, intervalMs: 200 });
      log(`${member}: rebuilt by the bench (forgot ${stale.length} lost engine id(s), met and replicates ${primary.pod.metadata!.name})`);
    } finally {
      this.rebuilding = false;
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.disconnect();
    this.clients.clear();
  }

  /** Deletes the pods and Secrets. */
  async remove(): Promise<void> {
    this.close();
    const selector = `${LABELS.cluster}=${this.name}`;
    await this.kube.core.deleteCollectionNamespacedPod({ namespace: this.namespace, labelSelector: selector });
    await this.kube.core.deleteCollectionNamespacedSecret({ namespace: this.namespace, labelSelector: selector });
    await waitFor(async () => (await this.kube.pods(this.namespace, selector)).length === 0, { what: `the pods of ${this.name} gone`, timeoutMs: 120_000, intervalMs: 250 });
  }
}

/** Member → node: shard s's first member in zone s, its second in the next zone, one member per node. */
async function placeMembers(kube: Kube, name: string, nodes: string[]): Promise<Map<string, { shard: number; node: string }>> {
  const zones = new Map<string, string[]>();
  for (const n of nodes) {
    const zone = (await kube.core.readNode({ name: n })).metadata?.labels?.[ZONE_LABEL] ?? "";
    zones.set(zone, [...(zones.get(zone) ?? []), n].sort());
  }
  const zoneNames = [...zones.keys()].sort();
  if (zoneNames.length < 2) throw new Error(`the baseline needs nodes in two zones at least; ${nodes.join(", ")} are in ${zoneNames.join(", ")}`);
  const placement = new Map<string, { shard: number; node: string }>();
  for (let r = 0; r <= SHAPE.replicasPerShard; r++) {
    for (let s = 0; s < SHAPE.shards; s++) {
      const free = zones.get(zoneNames[(s + r) % zoneNames.length])!;
      const node = free.shift() ?? nodes.find((n) => ![...placement.values()].some((p) => p.node === n));
      if (!node) throw new Error(`no node left for member ${s}-${r} among ${nodes.join(", ")}`);
      placement.set(memberName(name, s, r), { shard: s, node });
    }
  }
  return placement;
}
