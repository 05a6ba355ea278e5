// The sidecar's connection to its own engine, and short-lived connections to peers (thin shell).
import { Redis } from "ioredis";
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
  readonly client: Redis;

  /** `tls`: the engines serve TLS only (spec.tls.enabled); this and every peer connection use it. */
  constructor(readonly host: string, readonly port: number, private readonly password: string, private readonly tls?: EngineTls) {
    this.client = new Redis({
      host, port, password,
      ...(tls ? { tls: engineTlsOptions(tls) } : {}),
      // Fail fast while the engine is down instead of queueing: the observe loop reports it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 5000,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(100 * times, 1000),
    });
    this.client.on("error", () => { /* reported by observe() */ });
  }

  /** Calls `listener` whenever the connection to the engine closes (the engine died or restarts, or a reconnect failed). */
  onDisconnect(listener: () => void): void {
    this.client.on("close", listener);
  }

  async call(...args: (string | number)[]): Promise<unknown> {
    const [command, ...rest] = args;
    return this.client.call(String(command), ...rest.map(String));
  }

  async callString(...args: (string | number)[]): Promise<string> {
    const reply = await this.call(...args);
    return Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply);
  }

  async observe(nowMs: number): Promise<EngineSnapshot> {
    if (this.client.status !== "ready") return downSnapshot(`engine ${this.host}:${this.port} is not connected (${this.client.status})`, nowMs);
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
  connectPeer(host: string, port: number): Redis {
    const peer = new Redis({
      host, port, password: this.password, lazyConnect: true, enableOfflineQueue: true,
      ...(this.tls ? { tls: engineTlsOptions(this.tls) } : {}),
      maxRetriesPerRequest: 0, connectTimeout: 2000, commandTimeout: 3000, retryStrategy: () => null,
    });
    peer.on("error", () => { /* surfaced through the failing command */ });
    return peer;
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
