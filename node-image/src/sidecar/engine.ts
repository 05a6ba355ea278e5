// The sidecar's connection to its own engine, and short-lived connections to peers (thin shell).
import { RespClient } from "../resp/client.ts";
import { parseClusterNodes, parseInfo, type ClusterNode } from "../../../common/engine-replies.ts";
import { engineTlsOptions } from "../migration/connection.ts";
import type { EngineTls } from "../migration/request.ts";

export interface EngineSnapshot {
  up: boolean;
  error: string;
  runId: string;
  nodeId: string;
  nodes: ClusterNode[];
  myself: ClusterNode | undefined;
  clusterInfo: Map<string, string>;
  info: Map<string, string>;
  observedAtMs: number;
}

export function downSnapshot(error: string, nowMs: number): EngineSnapshot {
  return { up: false, error, runId: "", nodeId: "", nodes: [], myself: undefined, clusterInfo: new Map(), info: new Map(), observedAtMs: nowMs };
}

export class EngineDriver {
  readonly client: RespClient;

  /** `tls`: the engines serve TLS only (spec.tls.enabled); this and every peer connection use it. */
  constructor(readonly host: string, readonly port: number, private readonly password: string, private readonly tls?: EngineTls) {
    this.client = new RespClient({
      host, port, password,
      ...(tls ? { tls: engineTlsOptions(tls) } : {}),
      // Fail fast while the engine is down instead of queueing: the observe loop reports it.
      queueWhileConnecting: false,
      commandTimeoutMs: 5000,
      connectTimeoutMs: 2000,
      retryDelayMs: (attempt) => Math.min(100 * attempt, 1000),
    });
    this.client.on("error", () => { /* reported by observe() */ });
    void this.client.connect().catch(() => { /* reconnects on its schedule; observe() reports it */ });
  }

  /** Calls `listener` whenever the connection to the engine closes (the engine died or restarts, or a reconnect failed). */
  onDisconnect(listener: () => void): void {
    this.client.on("close", listener);
  }

  async call(...args: (string | number)[]): Promise<unknown> {
    return this.client.call(...args);
  }

  async callString(...args: (string | number)[]): Promise<string> {
    const reply = await this.call(...args);
    return String(reply);
  }

  async observe(nowMs: number): Promise<EngineSnapshot> {
    if (this.client.status !== "ready") return downSnapshot(`engine ${this.host}:${this.port} is not connected (${this.client.describeStatus()})`, nowMs);
    try {
      const [nodesText, clusterInfoText, infoText] = await Promise.all([
        this.callString("CLUSTER", "NODES"),
        this.callString("CLUSTER", "INFO"),
        this.callString("INFO", "server", "clients", "replication", "memory", "stats", "keyspace"),
      ]);
      const nodes = parseClusterNodes(nodesText);
      const myself = nodes.find((n) => n.myself);
      const info = parseInfo(infoText);
      return {
        up: true, error: "", runId: info.get("run_id") ?? "", nodeId: myself?.id ?? "", nodes, myself,
        clusterInfo: parseInfo(clusterInfoText), info, observedAtMs: nowMs,
      };
    } catch (err) {
      return downSnapshot(`engine ${this.host}:${this.port}: ${(err as Error).message}`, nowMs);
    }
  }

  /** A short-lived connection to another engine of the cluster (same password); the caller disconnects it. */
  connectPeer(host: string, port: number): RespClient {
    const peer = new RespClient({
      host, port, password: this.password, queueWhileConnecting: true,
      ...(this.tls ? { tls: engineTlsOptions(this.tls) } : {}),
      connectTimeoutMs: 2000, commandTimeoutMs: 3000, retryDelayMs: () => null,
    });
    peer.on("error", () => { /* surfaced through the failing command */ });
    return peer;
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
