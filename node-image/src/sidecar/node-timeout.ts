// The engine's cluster-node-timeout while a cluster forms, and after.
//
// A primary turns cluster_state ok only cluster-node-timeout (capped at 5 s, at least 0.5 s) after it
// last counted itself in a minority — and every engine counts itself in a minority until it learns that
// some primary owns slots. Formation therefore cost every new cluster the whole node timeout (5 s by
// default) after its last primary met the others, with nothing left to wait for: no engine has data or
// clients yet. So while the engine knows no slot owner at all (a new cluster, or an engine reset to
// join one), the sidecar runs it with a short formation timeout; once the engine reports
// cluster_state ok, the spec's timeout is put back. An engine that knows slot owners but is not ok
// (a restarted member, a failed cluster) is left alone: there the wait protects clients.
import type { EngineSnapshot } from "./engine.ts";

/** 1 s: twice the engine's 0.5 s minimum wait, so a busy machine's late pong does not flag a peer failed. */
export const FORMATION_NODE_TIMEOUT_MS = 1000;

export function formationNodeTimeoutMs(specMs: number): number {
  return Math.min(specMs, FORMATION_NODE_TIMEOUT_MS);
}

/** The timeout this engine should run with now, or undefined to leave it as it is (pure). */
export function wantedNodeTimeoutMs(clusterInfo: ReadonlyMap<string, string>, specMs: number): number | undefined {
  if (clusterInfo.get("cluster_state") === "ok") return specMs;
  if (Number(clusterInfo.get("cluster_slots_assigned") ?? 0) === 0) return formationNodeTimeoutMs(specMs);
  return undefined;
}

export interface NodeTimeoutEngine {
  call(...args: (string | number)[]): Promise<unknown>;
}

export interface NodeTimeoutLog { info(msg: string, fields?: Record<string, unknown>): void }

/** Keeps one engine's cluster-node-timeout at the wanted value; remembers what it set per engine run. */
export class NodeTimeoutKeeper {
  private runId = "";
  private current: number | undefined;

  constructor(private readonly engine: NodeTimeoutEngine, private readonly specMs: number, private readonly log: NodeTimeoutLog) {}

  /** Called on every observation of an engine that is up. */
  async keep(snapshot: Pick<EngineSnapshot, "runId" | "clusterInfo">): Promise<void> {
    if (snapshot.runId !== this.runId) {
      this.runId = snapshot.runId;
      this.current = undefined;
    }
    const wanted = wantedNodeTimeoutMs(snapshot.clusterInfo, this.specMs);
    if (wanted === undefined) return;
    if (this.current === undefined) this.current = Number(configValue(await this.engine.call("CONFIG", "GET", "cluster-node-timeout")));
    if (this.current === wanted) return;
    await this.engine.call("CONFIG", "SET", "cluster-node-timeout", wanted);
    this.log.info("engine cluster-node-timeout set", {
      from: this.current, to: wanted, why: wanted === this.specMs ? "cluster_state ok: the spec's timeout" : "no slot owner known: forming a cluster",
    });
    this.current = wanted;
  }
}

/** CONFIG GET's reply: [name, value] (RESP2) or { name: value } (RESP3). */
function configValue(reply: unknown): string {
  if (Array.isArray(reply)) return String(reply[1]);
  if (reply && typeof reply === "object") return String(Object.values(reply)[0]);
  return String(reply);
}
