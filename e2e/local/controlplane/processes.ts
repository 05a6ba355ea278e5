// Starting, finding and stopping the proving ground's long-running processes. Each is detached,
// logs to a file and leaves a pid file; a pid is trusted only while /proc/<pid>/cmdline still shows
// the program we started (pids are recycled), so we never signal someone else's process.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { sleep } from "../../../common/wait.ts";

export interface DaemonSpec {
  name: string;            // pid file and log name, e.g. "kube-apiserver"
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The program the process finally becomes when `command` is a wrapper that execs it (unshare, nsenter). */
  execs?: string;
}

/** How each process this node process started ended (by pid file), for messages about a failed start. */
const exits = new Map<string, string>();

export class ProcessTable {
  constructor(readonly stateDir: string) {}

  private pidFile(name: string) { return join(this.stateDir, "pids", `${name}.pid`); }
  logFile(name: string) { return join(this.stateDir, "logs", `${name}.log`); }

  start(spec: DaemonSpec): number {
    mkdirSync(join(this.stateDir, "pids"), { recursive: true });
    mkdirSync(join(this.stateDir, "logs"), { recursive: true });
    const log = openSync(this.logFile(spec.name), "a");
    try {
      const child = spawn(spec.command, spec.args, {
        detached: true, stdio: ["ignore", log, log], env: spec.env ?? process.env, cwd: spec.cwd,
      });
      if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
      child.unref();
      const pidFile = this.pidFile(spec.name);
      exits.delete(pidFile);
      child.once("exit", (code, signal) => exits.set(pidFile, signal ? `killed by ${signal}` : `exit code ${code}`));
      writeFileSync(pidFile, JSON.stringify({ pid: child.pid, command: spec.execs ?? spec.command }));
      return child.pid;
    } finally {
      closeSync(log);
    }
  }

  /** How a process this node process started under `name` ended ("exit code 1", "killed by SIGKILL"), if it did. */
  exitOf(name: string): string | undefined {
    return exits.get(this.pidFile(name));
  }

  /**
   * Whether the process last started under `name` has ended: its exit was seen (when this node process
   * started it) or its pid is gone. Unlike `running`, never wrong while the program is still loading.
   */
  exited(name: string): boolean {
    const file = this.pidFile(name);
    if (exits.has(file)) return true;
    try {
      return !isAlive((JSON.parse(readFileSync(file, "utf8")) as { pid: number }).pid);
    } catch {
      return true;
    }
  }

  /** The pid of a running process we started under `name`, or undefined. */
  running(name: string): number | undefined {
    const file = this.pidFile(name);
    if (!existsSync(file)) return undefined;
    try {
      const { pid, command } = JSON.parse(readFileSync(file, "utf8")) as { pid: number; command: string };
      return isOurProcess(pid, command) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Names of every process recorded in this table (running or not). */
  names(): string[] {
    const dir = join(this.stateDir, "pids");
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".pid")).map((f) => f.slice(0, -4)) : [];
  }

  /** SIGTERM (or `signal`), wait up to `graceMs`, then SIGKILL the process group. Returns once it is gone. */
  async stop(name: string, graceMs = 10_000, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const pid = this.running(name);
    if (pid !== undefined) {
      signalGroup(pid, signal);
      const deadline = Date.now() + graceMs;
      while (isAlive(pid) && Date.now() < deadline) await sleep(100);
      if (isAlive(pid)) {
        signalGroup(pid, "SIGKILL");
        while (isAlive(pid)) await sleep(50);
      }
    }
    rmSync(this.pidFile(name), { force: true });
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  // Daemons are started detached, so each leads its own process group.
  try { process.kill(-pid, signal); } catch { try { process.kill(pid, signal); } catch { /* already gone */ } }
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie has exited
  } catch {
    return false;
  }
}

function isOurProcess(pid: number, command: string): boolean {
  try {
    if (!isAlive(pid)) return false;
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
    if (argv0 === command) return true;
    // From execve's point of no return until the loader has placed the new arguments (milliseconds for
    // a large binary on a busy machine) cmdline reads empty; the executable already is the new one.
    return argv0 === "" && readlinkSync(`/proc/${pid}/exe`) === realpathSync(command);
  } catch {
    return false;
  }
}

/** The pids of this process and its ancestors. */
export function selfAndAncestors(): Set<string> {
  const seen = new Set<string>();
  for (let pid = String(process.pid); pid !== "0" && !seen.has(pid);) {
    seen.add(pid);
    pid = parentOf(pid);
  }
  return seen;
}

export function parentOf(pid: string): string {
  try { return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) \S+ /, "").split(" ")[0]; } catch { return "0"; }
}

/** `text` holds `path` as a whole path, not as the start of a longer name (.mdb-local is not .mdb-local-bench). */
export function namesDir(text: string, path: string): boolean {
  for (let at = text.indexOf(path); at !== -1; at = text.indexOf(path, at + 1)) {
    if (!/[\w.-]/.test(text.charAt(at + path.length))) return true;
  }
  return false;
}

/**
 * SIGKILLs every process (but this one and its ancestors) whose command line names `dir`: a daemon of
 * a proving ground whose pid file no longer points at it. Returns what it killed, for the log.
 */
export async function killProcessesNaming(dir: string): Promise<string[]> {
  const spared = selfAndAncestors();
  const killed: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p) && !spared.has(p))) {
    let cmdline: string;
    try { cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim(); } catch { continue; }
    if (!namesDir(cmdline, dir)) continue;
    signalGroup(Number(pid), "SIGKILL");
    killed.push(`${pid} ${cmdline.slice(0, 120)}`);
  }
  for (const entry of killed) {
    const pid = Number(entry.split(" ")[0]);
    for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  }
  return killed;
}

/** Throws a clear error when host:port cannot be bound (another process has it). */
export async function assertPortFree(host: string, port: number, owner: string, envVar: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === "EADDRINUSE"
        ? `port ${port} on ${host} (for ${owner}) is in use by another process; stop that process (see \`ss -ltnp 'sport = :${port}'\`) or choose another port with ${envVar}=PORT`
        : `cannot bind ${host}:${port} for ${owner}: ${e.message}`));
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
