// One cluster:up or cluster:down at a time per state dir. Two at once (a suite's tear-down while
// someone starts the same proving ground) kill each other's components and delete each other's logs
// mid-start: one plausible cause of a start that failed at once with an empty kube-apiserver log.
// The lock is a file beside the state dir (cluster:down removes the dir itself) holding the owner's pid.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { isAlive } from "./processes.ts";
import { sleep } from "../../../common/wait.ts";

const held = new Set<string>();

export function lockFileOf(stateDir: string): string {
  return `${stateDir}.lock`;
}

/** Runs `work` holding the state dir's lock; waits up to `waitMs` for another process's cluster:up/down. */
export async function withStateLock<T>(stateDir: string, work: () => Promise<T>, opts: { waitMs?: number; log?: (line: string) => void } = {}): Promise<T> {
  const file = lockFileOf(stateDir);
  if (held.has(file)) return work(); // cluster:up cleaning up through cluster:down, in this process
  const deadline = Date.now() + (opts.waitMs ?? 120_000);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = Number(readFileSync(file, "utf8").trim());
      if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) { rmSync(file, { force: true }); continue; } // left by a process that died
      if (Date.now() > deadline) throw new Error(`another cluster:up or cluster:down (pid ${owner}) is still working on ${stateDir}; wait for it, or use another MDB_LOCAL_DIR`);
      if (!told) { opts.log?.(`waiting for pid ${owner}, which is starting or stopping the proving ground in ${stateDir}`); told = true; }
      await sleep(250);
    }
  }
  held.add(file);
  try {
    return await work();
  } finally {
    held.delete(file);
    rmSync(file, { force: true });
  }
}
