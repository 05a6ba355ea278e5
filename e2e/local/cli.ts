// The proving ground's command line: `npm run cluster:up|cluster:down|cluster:logs|cluster:fault`.
import { existsSync, readdirSync, readFileSync, watchFile } from "node:fs";
import { join } from "node:path";
import { clusterDown, clusterUp, readClusterInfo, stateDirFrom, TopologyError } from "./controlplane/cluster.ts";

const USAGE = `usage:
  npm run cluster:up [-- --topology FILE]     start (or find) the proving ground
  npm run cluster:down                        stop everything it started and remove its state
  npm run cluster:logs -- POD [CONTAINER] [-f]   a container's log (POD is [namespace/]name)
  npm run cluster:fault -- kill POD [CONTAINER] | stop-node NODE | start-node NODE | partition POD | heal POD
  npm run cluster:status                      what is running, and the KUBECONFIG line`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "up": {
      let topologyFile: string | undefined;
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === "--topology" && rest[i + 1]) topologyFile = rest[++i];
        else throw new UsageError(`unknown argument '${rest[i]}' for up`);
      }
      const info = await clusterUp({ topologyFile });
      console.log(`export KUBECONFIG=${info.kubeconfig}`);
      console.log(`export PATH=${info.binDir}:$PATH   # kubectl and helm of the pinned build`);
      return;
    }
    case "down":
      if (rest.length) throw new UsageError("down takes no arguments");
      await clusterDown();
      return;
    case "status": {
      const info = readClusterInfo();
      if (!info) { console.log(`no proving ground in ${stateDirFrom()}; start one with npm run cluster:up`); return; }
      console.log(`state: ${info.stateDir}\nexport KUBECONFIG=${info.kubeconfig}`);
      const { sendControl } = await import("./podrunner/control.ts");
      console.log(JSON.stringify(await sendControl(info.stateDir, { action: "status" }), null, 2));
      return;
    }
    case "logs":
      return showLogs(rest);
    case "fault":
      return fault(rest);
    default:
      throw new UsageError(command ? `unknown command '${command}'` : "missing command");
  }
}

function splitPod(ref: string): { namespace: string; name: string } {
  const [a, b] = ref.split("/");
  return b === undefined ? { namespace: "default", name: a } : { namespace: a, name: b };
}

async function showLogs(args: string[]): Promise<void> {
  const follow = args.includes("-f") || args.includes("--follow");
  const [podRef, container] = args.filter((a) => a !== "-f" && a !== "--follow");
  if (!podRef) throw new UsageError("logs needs a POD");
  const { namespace, name } = splitPod(podRef);
  const real = realNodeLogs(namespace, name);
  if (real) return showRealNodeLog(real, args, podRef, follow);
  const dir = join(stateDirFrom(), "logs", "pods", `${namespace}_${name}`);
  if (!existsSync(dir)) throw new Error(`no logs for pod ${namespace}/${name} in ${dir}: is the pod running on the proving ground? (kubectl get pod -n ${namespace} ${name})`);
  const containers = readdirSync(dir).filter((f) => f.endsWith(".log")).map((f) => f.slice(0, -4));
  let chosen = container;
  if (!chosen) {
    if (containers.length !== 1) throw new Error(`pod ${namespace}/${name} has containers ${containers.join(", ")}: name one (npm run cluster:logs -- ${podRef} CONTAINER)`);
    chosen = containers[0];
  }
  const file = join(dir, `${chosen}.log`);
  if (!existsSync(file)) throw new Error(`pod ${namespace}/${name} has no container '${chosen}'; it has: ${containers.join(", ")}`);
  let printed = 0;
  const flush = () => {
    const text = readFileSync(file);
    process.stdout.write(text.subarray(printed));
    printed = text.length;
  };
  flush();
  if (follow) {
    watchFile(file, { interval: 250 }, flush);
    await new Promise(() => undefined);
  }
}

/** On real nodes a kubelet keeps each pod's logs in <node>/pod-logs/<ns>_<pod>_<uid>/<container>/<restart>.log. */
function realNodeLogs(namespace: string, name: string): string | undefined {
  const nodesDir = join(stateDirFrom(), "nodes");
  if (!existsSync(nodesDir)) return undefined;
  for (const node of readdirSync(nodesDir)) {
    const logs = join(nodesDir, node, "pod-logs");
    const found = existsSync(logs) ? readdirSync(logs).find((d) => d.startsWith(`${namespace}_${name}_`)) : undefined;
    if (found) return join(logs, found);
  }
  return undefined;
}

function showRealNodeLog(podDir: string, args: string[], podRef: string, follow: boolean): void {
  const container = args.filter((a) => a !== "-f" && a !== "--follow")[1];
  const containers = readdirSync(podDir);
  const chosen = container ?? (containers.length === 1 ? containers[0] : undefined);
  if (!chosen) throw new Error(`pod ${podRef} has containers ${containers.join(", ")}: name one (npm run cluster:logs -- ${podRef} CONTAINER)`);
  if (!containers.includes(chosen)) throw new Error(`pod ${podRef} has no container '${chosen}'; it has: ${containers.join(", ")}`);
  const dir = join(podDir, chosen);
  const latest = readdirSync(dir).filter((f) => /^\d+\.log$/.test(f)).sort((a, b) => parseInt(b) - parseInt(a))[0];
  if (!latest) throw new Error(`container '${chosen}' of ${podRef} has not logged yet`);
  // The kubelet's CRI log format: "<time> <stream> <F|P> <text>"; print the text.
  const print = (from: number) => {
    const text = readFileSync(join(dir, latest), "utf8");
    process.stdout.write(text.slice(from).split("\n").filter(Boolean).map((l) => `${l.split(" ").slice(3).join(" ")}\n`).join(""));
    return text.length;
  };
  let printed = print(0);
  if (follow) watchFile(join(dir, latest), { interval: 250 }, () => { printed = print(printed); });
}

async function fault(args: string[]): Promise<void> {
  const [action, target, container] = args;
  const needs: Record<string, string> = { kill: "POD", "stop-node": "NODE", "start-node": "NODE", partition: "POD", heal: "POD" };
  if (!action || !(action in needs)) throw new UsageError(`fault needs one of: ${Object.keys(needs).join(", ")}`);
  if (!target) throw new UsageError(`fault ${action} needs a ${needs[action]}`);
  const { sendControl } = await import("./podrunner/control.ts");
  const request = needs[action] === "NODE"
    ? { action, node: target }
    : { action, pod: target.includes("/") ? target : `default/${target}`, ...(container ? { container } : {}) };
  const reply = await sendControl(stateDirFrom(), request as Parameters<typeof sendControl>[1]);
  console.log(typeof reply === "string" ? reply : JSON.stringify(reply));
}

main(process.argv.slice(2)).catch((e: Error) => {
  if (e instanceof UsageError) console.error(`${e.message}\n${USAGE}`);
  else if (e instanceof TopologyError) console.error(`topology error: ${e.message}`);
  else console.error(`error: ${e.message}`);
  process.exitCode = 1;
});
