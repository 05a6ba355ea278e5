// The faults of `npm run cluster:fault` (kill, stop-node, start-node, partition, heal) on a kind cluster of
// kind:up, so the recovery suite injects the same faults there, as the real-node proving ground does: a
// container's task killed in its node's containerd; a node stopped = its kubelet stopped and every task
// killed (not the node container paused: a frozen process keeps its connections open and a client
// waits on it forever), started = its kubelet started; a pod's veth on its node down and up.
import { join } from "node:path";
import type { ControlReply, ControlRequest } from "../local/podrunner/control.ts";
import { splitPodRef } from "../local/podrunner/control.ts";
import { imageCacheDir } from "../local/imagebuild/buildah.ts";
import { pinnedBinDir } from "../local/toolchain/paths.ts";
import { readState, type KindState } from "./cluster.ts";
import { inHost, podmanEnv, sh } from "./podman-host.ts";

interface PodFacts { node: string; ip: string; containers: { name: string; id: string }[] }

export async function kindFault(stateDir: string, req: ControlRequest): Promise<ControlReply> {
  const state = readState(stateDir);
  if (!state) throw new Error(`no kind cluster in ${stateDir}: npm run kind:up first`);
  const engine = (args: string[], what: string): string => state.provider === "docker"
    ? sh("docker", args, what)
    : inHost({ pid: state.hostPid!, stateDir }, "podman", args, what, { env: podmanEnv(stateDir, imageCacheDir(), []) });
  const onNode = (node: string, script: string, what: string) => engine(["exec", node, "sh", "-ec", script], what);
  switch (req.action) {
    case "kill": {
      const pod = podFacts(state, req.pod);
      const targets = pod.containers.filter((c) => !req.container || c.name === req.container);
      if (targets.length === 0) throw new Error(`pod ${req.pod} has no running container${req.container ? ` named ${req.container}` : ""}`);
      for (const c of targets) onNode(pod.node, `ctr --namespace k8s.io task kill --signal SIGKILL ${c.id}`, `killing ${req.pod}/${c.name}`);
      return { ok: true, message: `killed ${targets.map((c) => c.name).join(", ")} of ${req.pod} on ${pod.node}` };
    }
    case "stop-node":
      onNode(req.node, "systemctl stop kubelet\nfor task in $(ctr --namespace k8s.io task ls --quiet); do ctr --namespace k8s.io task kill --signal SIGKILL \"$task\" || true; done",
        `stopping node ${req.node}`);
      return { ok: true, message: `node ${req.node}: kubelet stopped, every task killed` };
    case "start-node":
      onNode(req.node, "systemctl start kubelet", `starting node ${req.node}`);
      return { ok: true, message: `node ${req.node}: kubelet started` };
    case "partition": case "heal": {
      const pod = podFacts(state, req.pod);
      const updown = req.action === "partition" ? "down" : "up";
      onNode(pod.node, `ip link set "$(ip -o route get ${pod.ip} | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')" ${updown}`, `${req.action} of ${req.pod}`);
      return { ok: true, message: `${req.pod}'s veth on ${pod.node} ${updown}` };
    }
    case "status":
      return { ok: true, message: "kind", data: { nodes: engine(["ps", "--format", "{{.Names}} {{.Status}}"], "listing nodes").split("\n") } };
  }
}

function podFacts(state: KindState, ref: string): PodFacts {
  const { namespace, name } = splitPodRef(ref);
  const pod = JSON.parse(sh(join(pinnedBinDir(), "kubectl"), ["--kubeconfig", state.kubeconfig, "get", "pod", name, "-n", namespace, "-o", "json"], `reading pod ${ref}`)) as {
    spec: { nodeName?: string }; status: { podIP?: string; containerStatuses?: { name: string; containerID?: string }[] };
  };
  if (!pod.spec.nodeName || !pod.status.podIP) throw new Error(`pod ${ref} is not running on a node yet`);
  return {
    node: pod.spec.nodeName, ip: pod.status.podIP,
    containers: (pod.status.containerStatuses ?? []).filter((c) => c.containerID).map((c) => ({ name: c.name, id: c.containerID!.replace(/^[a-z]+:\/\//, "") })),
  };
}
