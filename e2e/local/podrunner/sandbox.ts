// A pod's sandbox: its own network namespace `<prefix><hash>` (`mdb-` by default) with eth0 (one end of a veth pair whose other
// end is plugged into the bridge) carrying the pod IP and only the on-link route of the pod network,
// so nothing a pod sends can leave the machine. Every sandbox is recorded in <state>/podrunner/sandboxes
// so a restarted runner removes what an earlier instance left, and touches nothing else.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface SandboxRecord {
  pod: string;
  uid: string;
  netns: string;
  hostVeth: string;
  ip: string;
  /** Process groups started in this sandbox (pid = pgid). */
  pids: number[];
}

/** `netnsPrefix` (cluster.json's network.netnsPrefix) keeps two proving grounds' namespaces apart. */
export interface PodNetwork { bridge: string; prefixLength: number; netnsPrefix?: string }

export function sandboxNames(uid: string, netnsPrefix = "mdb-"): { netns: string; hostVeth: string; podVeth: string } {
  const hash = createHash("sha256").update(uid).digest("hex").slice(0, 10);
  return { netns: `${netnsPrefix}${hash}`, hostVeth: `mdbh${hash}`, podVeth: `mdbp${hash}` };
}

async function ip(args: string[]): Promise<void> {
  try {
    await run("ip", args, { timeout: 10_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(" ")}: ${(err.stderr || err.message).trim()}`);
  }
}

function ipBatch(options: string[], commands: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("ip", [...options, "-batch", "-"], { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`ip ${options.join(" ")} -batch: ${(stderr || err.message).trim()} (commands: ${commands.join("; ")})`));
      else resolve();
    });
    child.stdin?.end(`${commands.join("\n")}\n`);
  });
}

export class SandboxStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private file(netns: string): string { return join(this.dir, `${netns}.json`); }

  save(record: SandboxRecord): void {
    writeFileSync(this.file(record.netns), JSON.stringify(record));
  }

  remove(netns: string): void {
    rmSync(this.file(netns), { force: true });
  }

  all(): SandboxRecord[] {
    return readdirSync(this.dir).filter((f) => f.endsWith(".json")).flatMap((f) => {
      try { return [JSON.parse(readFileSync(join(this.dir, f), "utf8")) as SandboxRecord]; } catch { return []; }
    });
  }
}

/** Creates the namespace, the veth pair and the address; undoes its own steps when one fails. */
export async function createSandbox(uid: string, podIP: string, net: PodNetwork): Promise<{ netns: string; hostVeth: string }> {
  const { netns, hostVeth, podVeth } = sandboxNames(uid, net.netnsPrefix);
  await removeSandbox(netns, hostVeth);
  try {
    // Two `ip -batch` runs (host side, then inside the namespace) instead of seven processes.
    await ipBatch([], [
      `netns add ${netns}`,
      `link add ${hostVeth} type veth peer name ${podVeth} netns ${netns}`,
      `link set ${hostVeth} master ${net.bridge} up`,
    ]);
    await ipBatch(["-n", netns], [
      "link set lo up",
      `link set ${podVeth} name eth0`,
      `addr add ${podIP}/${net.prefixLength} dev eth0`,
      "link set eth0 up",
    ]);
  } catch (e) {
    await removeSandbox(netns, hostVeth);
    throw e;
  }
  return { netns, hostVeth };
}

/** Deletes the namespace (its eth0 and the host end go with it). Idempotent. */
export async function removeSandbox(netns: string, hostVeth: string): Promise<void> {
  if (existsSync(`/sys/class/net/${hostVeth}`)) await ip(["link", "delete", hostVeth]).catch(() => undefined);
  if (existsSync(`/run/netns/${netns}`)) await ip(["netns", "delete", netns]);
}

/** Cuts (or restores) the pod's link to the bridge; its processes keep running. */
export async function setPartitioned(hostVeth: string, partitioned: boolean): Promise<void> {
  await ip(["link", "set", hostVeth, partitioned ? "down" : "up"]);
}

/** True when `pid` lives in the named network namespace: proof that a recorded pid is still ours. */
export function processInNetns(pid: number, netns: string): boolean {
  try {
    const link = readlinkSync(`/proc/${pid}/ns/net`);
    const inode = statSync(`/run/netns/${netns}`).ino;
    return link === `net:[${inode}]`;
  } catch {
    return false;
  }
}
