// Keeps the proving ground's Nodes alive as a kubelet would: registers each Node, renews its Lease in
// kube-node-lease every few seconds and reports its status (Ready, no pressure) with a fresh
// lastHeartbeatTime. A stopped node goes silent, so the real node lifecycle controller marks it
// NotReady/Unknown and taint-based eviction removes its pods.
import { PatchStrategy, setHeaderOptions, V1MicroTime, type CoordinationV1Api, type CoreV1Api, type V1Lease, type V1Node, type V1NodeCondition } from "@kubernetes/client-node";
import type { LocalNode } from "../controlplane/topology.ts";

export const KUBELET_VERSION = "v1.36.3";
const LEASE_DURATION_SECONDS = 40;

export function isApiStatus(e: unknown, code: number): boolean {
  return typeof e === "object" && e !== null && (e as { code?: number }).code === code;
}

/** The API server's own message from a client-node ApiException (its body), else the error text. */
export function apiMessage(e: unknown): string {
  const body = (e as { body?: unknown })?.body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch { /* not JSON */ }
  }
  const message = (e as Error)?.message ?? String(e);
  return message.split("\n")[0];
}

/** The status a healthy kubelet reports; transition times come from when each node last became Ready. */
export function nodeConditions(now: Date, readySince: Date): V1NodeCondition[] {
  const ok = (type: string, status: string, reason: string, message: string): V1NodeCondition => ({
    type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: readySince,
  });
  return [
    ok("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ok("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ok("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ok("Ready", "True", "KubeletReady", "mdbcluster pod runner is posting ready status"),
  ];
}

export class NodeKeeper {
  private readonly stopped = new Set<string>();
  private readonly readySince = new Map<string, Date>();
  private timers: NodeJS.Timeout[] = [];
  private leaseVersions = new Map<string, V1Lease>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly coordination: CoordinationV1Api,
    readonly nodes: LocalNode[],
    private readonly hostIP: string,
    private readonly log: (msg: string) => void,
    private readonly kubeletPort = 10250,
  ) {}

  has(name: string): boolean { return this.nodes.some((n) => n.name === name); }
  isStopped(name: string): boolean { return this.stopped.has(name); }

  async registerAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.register(n)));
    await Promise.all(this.nodes.map((n) => Promise.all([this.postStatus(n), this.renewLease(n)])));
  }

  private async register(node: LocalNode): Promise<void> {
    const labels = { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": node.name, ...node.labels };
    try {
      await this.core.readNode({ name: node.name });
      await this.core.patchNode({ name: node.name, body: { metadata: { labels } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    } catch (e) {
      if (!isApiStatus(e, 404)) throw e;
      const body: V1Node = { apiVersion: "v1", kind: "Node", metadata: { name: node.name, labels }, spec: { taints: node.taints.length ? node.taints : undefined } };
      try {
        await this.core.createNode({ body });
      } catch (err) {
        if (!isApiStatus(err, 409)) throw err;
      }
      this.log(`node ${node.name}: registered`);
    }
  }

  private async postStatus(node: LocalNode): Promise<void> {
    if (this.stopped.has(node.name)) return;
    const now = new Date();
    if (!this.readySince.has(node.name)) this.readySince.set(node.name, now);
    const body = {
      status: {
        capacity: node.capacity,
        allocatable: node.capacity,
        conditions: nodeConditions(now, this.readySince.get(node.name)!),
        // Only the InternalIP: the API server dials the first address type it prefers, and a Hostname
        // address (the node name) resolves nowhere here.
        addresses: [{ type: "InternalIP", address: this.hostIP }],
        daemonEndpoints: { kubeletEndpoint: { Port: this.kubeletPort } },
        nodeInfo: {
          machineID: node.name, systemUUID: node.name, bootID: this.readySince.get(node.name)!.toISOString(),
          kernelVersion: "proving-ground", osImage: "mdbcluster proving ground", containerRuntimeVersion: "mdb-podrunner://0.1.0",
          kubeletVersion: KUBELET_VERSION, kubeProxyVersion: "", operatingSystem: "linux", architecture: "amd64",
        },
      },
    };
    await this.core.patchNodeStatus({ name: node.name, body }, setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch));
  }

  private async renewLease(node: LocalNode): Promise<void> {
    if (this.stopped.has(node.name)) return;
    const namespace = "kube-node-lease";
    const spec = { holderIdentity: node.name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: new V1MicroTime() };
    let lease = this.leaseVersions.get(node.name);
    if (!lease) {
      try {
        lease = await this.coordination.readNamespacedLease({ name: node.name, namespace });
      } catch (e) {
        if (!isApiStatus(e, 404)) throw e;
        const nodeObj = await this.core.readNode({ name: node.name });
        lease = await this.coordination.createNamespacedLease({ namespace, body: {
          metadata: { name: node.name, namespace, ownerReferences: [{ apiVersion: "v1", kind: "Node", name: node.name, uid: nodeObj.metadata!.uid! }] },
          spec,
        } });
        this.leaseVersions.set(node.name, lease);
        return;
      }
    }
    try {
      const updated = await this.coordination.replaceNamespacedLease({ name: node.name, namespace, body: { ...lease, spec: { ...lease.spec, ...spec } } });
      this.leaseVersions.set(node.name, updated);
    } catch (e) {
      this.leaseVersions.delete(node.name);
      throw e;
    }
  }

  /** Starts the heartbeat loops: leases every `leaseMs`, status every `statusMs`. */
  start(leaseMs = 5_000, statusMs = 10_000): void {
    const each = (fn: (n: LocalNode) => Promise<void>, what: string) => () => {
      for (const n of this.nodes) fn.call(this, n).catch((e: Error) => this.log(`node ${n.name}: ${what} failed: ${apiMessage(e)}`));
    };
    this.timers.push(setInterval(each(this.renewLease, "lease renewal"), leaseMs));
    this.timers.push(setInterval(each(this.postStatus, "status update"), statusMs));
  }

  stopNode(name: string): void {
    this.stopped.add(name);
    this.readySince.delete(name);
  }

  async startNode(name: string): Promise<void> {
    this.stopped.delete(name);
    const node = this.nodes.find((n) => n.name === name)!;
    await this.renewLease(node);
    await this.postStatus(node);
  }

  shutdown(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}
