// cluster:fault on real nodes, with the pod runner's meaning:
//   kill POD [CONTAINER]   SIGKILL the container's task in its node's containerd; the kubelet restarts it
//   stop-node NODE         the kubelet dies (no more heartbeats) and every container of the node is killed
//   start-node NODE        the kubelet starts again and takes its pods up (new sandboxes, restartCount + 1)
//   partition/heal POD     the pod's veth on the bridge goes down/up; its processes keep running
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import type { ProcessTable, DaemonSpec } from "../controlplane/processes.ts";
import { splitPodRef, type ControlReply, type ControlRequest } from "../podrunner/control.ts";
import { containerIdOf, killTask, listTasks } from "./containerd.ts";
import type { RealNodePlan } from "./plan.ts";
import { kubeletSpecFile, type RealNodesInfo } from "./start.ts";

export class RealNodeFaults {
  constructor(private readonly info: RealNodesInfo, private readonly core: CoreV1Api, private readonly table: ProcessTable) {}

  private node(name: string): RealNodePlan {
    const node = this.info.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`node "${name}" is not one of the proving ground's nodes: ${this.info.nodes.map((n) => n.name).join(", ")}`);
    return node;
  }

  private async pod(ref: string): Promise<{ pod: V1Pod; node: RealNodePlan }> {
    const { namespace, name } = splitPodRef(ref);
    let pod: V1Pod;
    try {
      pod = await this.core.readNamespacedPod({ name, namespace });
    } catch {
      throw new Error(`pod ${namespace}/${name} does not exist (kubectl get pod -n ${namespace} ${name})`);
    }
    if (!pod.spec?.nodeName) throw new Error(`pod ${namespace}/${name} is not scheduled to a node yet`);
    return { pod, node: this.node(pod.spec.nodeName) };
  }

  stopped(name: string): boolean {
    return this.table.running(`kubelet-${name}`) === undefined;
  }

  async handle(req: ControlRequest): Promise<ControlReply> {
    switch (req.action) {
      case "kill": {
        const { pod, node } = await this.pod(req.pod);
        const statuses = (pod.status?.containerStatuses ?? []).filter((s) => !req.container || s.name === req.container);
        if (req.container && statuses.length === 0) throw new Error(`pod ${req.pod} has no container '${req.container}'; it has: ${(pod.spec?.containers ?? []).map((c) => c.name).join(", ")}`);
        const killed: string[] = [];
        for (const s of statuses) {
          const id = containerIdOf(s.containerID);
          if (!id || !s.state?.running) continue;
          await killTask(node.containerdSocket, id);
          killed.push(s.name);
        }
        if (killed.length === 0) throw new Error(`pod ${req.pod}: no running container to kill${req.container ? ` named '${req.container}'` : ""}`);
        return { ok: true, message: `killed ${killed.join(", ")} of ${req.pod} on ${node.name}` };
      }
      case "partition": case "heal": {
        const { pod, node } = await this.pod(req.pod);
        const veth = await this.hostVeth(pod, node);
        execFileSync("ip", ["link", "set", veth, req.action === "partition" ? "down" : "up"]);
        return { ok: true, message: `${req.action === "partition" ? "partitioned" : "healed"} ${req.pod} (host veth ${veth})` };
      }
      case "stop-node": {
        const node = this.node(req.node);
        if (this.stopped(node.name)) return { ok: true, message: `node ${node.name} is already stopped` };
        await this.table.stop(`kubelet-${node.name}`, 2_000, "SIGKILL");
        const tasks = await listTasks(node.containerdSocket);
        await Promise.all(tasks.map((t) => killTask(node.containerdSocket, t.id).catch(() => undefined)));
        return { ok: true, message: `stopped node ${node.name}: kubelet killed, ${tasks.length} task(s) killed` };
      }
      case "start-node": {
        const node = this.node(req.node);
        if (!this.stopped(node.name)) return { ok: true, message: `node ${node.name} is already running` };
        const spec = JSON.parse(readFileSync(kubeletSpecFile(node), "utf8")) as DaemonSpec;
        this.table.start(spec);
        return { ok: true, message: `started node ${node.name}: kubelet running again` };
      }
      case "status": {
        const nodes = await Promise.all(this.info.nodes.map(async (n) => ({
          name: n.name, ip: n.ip, stopped: this.stopped(n.name),
          tasks: await listTasks(n.containerdSocket).catch(() => []),
        })));
        const pods = (await this.core.listPodForAllNamespaces()).items.filter((p) => this.info.nodes.some((n) => n.name === p.spec?.nodeName));
        const pidOf = new Map(nodes.flatMap((n) => n.tasks.map((t) => [t.id, t.pid] as const)));
        return { ok: true, message: `${pods.length} pod(s)`, data: {
          nodes: nodes.map(({ name, ip, stopped }) => ({ name, ip, stopped })),
          pods: pods.map((p) => {
            const containers = (p.status?.containerStatuses ?? []).map((s) => ({ name: s.name, pid: pidOf.get(containerIdOf(s.containerID) ?? ""), restarts: s.restartCount }));
            const pid = containers.find((c) => c.pid)?.pid;
            return { pod: `${p.metadata!.namespace}/${p.metadata!.name}`, node: p.spec!.nodeName, ip: p.status?.podIP,
              netns: pid ? netnsOf(pid) : undefined, containers };
          }),
        } };
      }
    }
  }

  /** The host end of the pod's veth: eth0's peer index, read inside the pod's network namespace. */
  private async hostVeth(pod: V1Pod, node: RealNodePlan): Promise<string> {
    const tasks = await listTasks(node.containerdSocket);
    const ids = (pod.status?.containerStatuses ?? []).map((s) => containerIdOf(s.containerID));
    const task = tasks.find((t) => ids.includes(t.id) && t.pid > 0);
    if (!task) throw new Error(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} has no running container on ${node.name}`);
    const link = spawnSync("nsenter", [`--net=/proc/${task.pid}/ns/net`, "ip", "-o", "link", "show", "eth0"], { encoding: "utf8" });
    const peer = /eth0@if(\d+)/.exec(link.stdout ?? "")?.[1];
    if (!peer) throw new Error(`pod ${pod.metadata?.name}: cannot find eth0's peer (${(link.stderr ?? "").trim()})`);
    const host = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).split("\n").find((l) => l.startsWith(`${peer}: `));
    const name = host?.split(": ")[1]?.split("@")[0];
    if (!name) throw new Error(`pod ${pod.metadata?.name}: no host interface with index ${peer}`);
    return name;
  }
}

/** A network namespace's identity (`net:[inode]`), to check later that it is gone. */
export function netnsOf(pid: number): string | undefined {
  try { return readlinkSync(`/proc/${pid}/ns/net`); } catch { return undefined; }
}
