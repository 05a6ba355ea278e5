// Talking to one node's containerd with `ctr` (Debian's containerd package), in the CRI's namespace.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Task { id: string; pid: number; status: string }

async function ctr(socket: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run("ctr", ["--address", socket, "--namespace", "k8s.io", ...args], { timeout: 15_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ctr ${args.join(" ")} (${socket}): ${(err.stderr || err.message).trim()}`);
  }
}

/** The node's tasks (sandboxes and containers) with their host pids. */
export async function listTasks(socket: string): Promise<Task[]> {
  const out = await ctr(socket, ["tasks", "list"]);
  return out.split("\n").slice(1).filter(Boolean).map((line) => {
    const [id, pid, status] = line.trim().split(/\s+/);
    return { id, pid: Number(pid), status };
  });
}

export async function killTask(socket: string, id: string, signal = "SIGKILL"): Promise<void> {
  await ctr(socket, ["tasks", "kill", "--signal", signal, id]);
}

/** `containerd://<id>` from a pod's container status → `<id>`. */
export function containerIdOf(statusId: string | undefined): string | undefined {
  const m = /^containerd:\/\/([0-9a-f]+)$/.exec(statusId ?? "");
  return m?.[1];
}
