// Persists the member state on the pod's volume, atomically (write a temp file, fsync, rename), so a
// restart never reads a half-written file.
import { openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { isMemberState, type MemberStateName } from "./state-machine.ts";

export interface PersistedMemberState {
  state: MemberStateName;
  /** The engine node id this state belongs to; a different id after restart means the engine lost its data. */
  engineNodeId: string;
  /** Whether the engine held keys when last observed; an engine that restarts empty after holding keys lost its data. */
  engineHadKeys: boolean;
  updatedAtMs: number;
  /** Why the last transition happened, for humans reading the file. */
  reason: string;
}

export const stateFileName = "mdb-member-state.json";

export function stateFilePath(dataDir: string): string {
  return join(dataDir, stateFileName);
}

export function writeMemberState(path: string, value: PersistedMemberState): void {
  writeJsonAtomic(path, value);
}

/** Write JSON so a crash leaves the old file or the new one, never half of either. */
export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  // fsync the directory so the rename itself survives a crash.
  const dirFd = openSync(dirname(path), "r");
  try { fsyncSync(dirFd); } finally { closeSync(dirFd); }
}

/** undefined when there is no file yet; throws with the path and field when the file is corrupt. */
export function readMemberState(path: string): PersistedMemberState | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return parsePersistedMemberState(text, path);
}

export function parsePersistedMemberState(text: string, source: string): PersistedMemberState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${(err as Error).message}); delete it to start the member as ONLINE`);
  }
  const obj = raw as Record<string, unknown>;
  if (typeof obj !== "object" || obj === null) throw new Error(`${source}: expected a JSON object`);
  if (!isMemberState(obj.state)) throw new Error(`${source}: field "state" is ${JSON.stringify(obj.state)}, expected one of OFFLINE, ONLINE, MIGRATING, ACTIVE, STANDBY, RECOVERED`);
  return {
    state: obj.state,
    engineNodeId: typeof obj.engineNodeId === "string" ? obj.engineNodeId : "",
    engineHadKeys: obj.engineHadKeys === true,
    updatedAtMs: typeof obj.updatedAtMs === "number" ? obj.updatedAtMs : 0,
    reason: typeof obj.reason === "string" ? obj.reason : "",
  };
}
