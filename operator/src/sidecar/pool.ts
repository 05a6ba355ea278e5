// One client and one WatchStatus stream per member pod. The streams are the heartbeats (seed 003):
// a change in what a member reports enqueues its cluster; the latest status is what `observe` reads.
import type { Logger } from "../runtime/log.ts";
import type { MemberStatus, SidecarClient } from "./client.ts";

export interface MemberEndpoint {
  member: string;
  /** "ip:port" of the sidecar's gRPC server. */
  address: string;
  token: string;
  /**
   * mTLS (docs/architecture/sidecar.md#mtls): the CA the member's certificate comes from, the
   * operator's client certificate and key, and the name the member's certificate is for (the pod is
   * dialled by IP). Absent for a pod made without TLS files (by an operator before mTLS).
   */
  tls?: { caPem: Buffer; certPem: Buffer; keyPem: Buffer; serverName: string };
}

/** Whether an open client may go on serving `want`: same address and credentials. */
function sameEndpoint(have: MemberEndpoint, want: MemberEndpoint): boolean {
  if (have.address !== want.address || have.token !== want.token) return false;
  if (!have.tls || !want.tls) return !have.tls && !want.tls;
  return have.tls.serverName === want.tls.serverName && have.tls.caPem.equals(want.tls.caPem) && have.tls.certPem.equals(want.tls.certPem) && have.tls.keyPem.equals(want.tls.keyPem);
}

export interface ObservedSidecar {
  status?: MemberStatus;
  /** When the last message arrived (ms); undefined before the first. */
  atMs?: number;
  /** When the stream was opened (ms): a member that never reported is Unknown once this is old enough. */
  sinceMs?: number;
  /** Why the stream is not delivering, when it is not. */
  error?: string;
}

interface Entry {
  endpoint: MemberEndpoint;
  client: SidecarClient;
  abort: AbortController;
  observed: ObservedSidecar;
  /** Fires when the stream has been silent for staleMs, so the member's cluster is looked at again. */
  silence?: NodeJS.Timeout;
}

export type ClientFactory = (endpoint: MemberEndpoint) => SidecarClient;


/** The parts of a status whose change is worth a reconcile (not keys, memory or timestamps). */
export function statusSignature(s: MemberStatus): string {
  return JSON.stringify([s.state, s.role, s.nodeId, s.slots, s.importing.length, s.migrating.length, s.ready, s.engineUp, s.clusterState,
    s.clusterKnownNodes, s.replication?.linkUp, s.replication?.primaryNodeId, s.replication?.syncInProgress, s.migration?.slotsDone, s.lastError, s.unreachablePeers, s.tlsDigest]);
}

export class SidecarPool {
  private readonly clusters = new Map<string, Map<string, Entry>>();

  constructor(
    private readonly factory: ClientFactory,
    private readonly onChange: (clusterKey: string, member: string) => void,
    private readonly log: Logger,
    /** Pause before a failed stream is opened again; the channel's own reconnect back-off (0.1–0.5 s) paces the connection. */
    private readonly retryMs = 200,
    private readonly now: () => number = Date.now,
    /** Silence after which the member's cluster is looked at again (its member is then Unknown). */
    private readonly staleMs = 3_000,
  ) {}

  /** Make the open streams of a cluster match its member pods (open new, close gone or moved). */
  sync(clusterKey: string, endpoints: readonly MemberEndpoint[]): void {
    let members = this.clusters.get(clusterKey);
    if (!members) this.clusters.set(clusterKey, (members = new Map()));
    const wanted = new Map(endpoints.map((e) => [e.member, e]));
    for (const [name, entry] of members) {
      const want = wanted.get(name);
      // New credentials (a renewed client certificate, a new CA) take a new channel.
      if (!want || !sameEndpoint(entry.endpoint, want)) this.close(members, name);
    }
    for (const e of endpoints) if (!members.has(e.member)) this.open(clusterKey, members, e);
    if (members.size === 0) this.clusters.delete(clusterKey);
  }

  client(clusterKey: string, member: string): SidecarClient | undefined {
    return this.clusters.get(clusterKey)?.get(member)?.client;
  }

  observed(clusterKey: string, member: string): ObservedSidecar {
    return this.clusters.get(clusterKey)?.get(member)?.observed ?? {};
  }

  closeCluster(clusterKey: string): void {
    const members = this.clusters.get(clusterKey);
    if (!members) return;
    for (const name of [...members.keys()]) this.close(members, name);
    this.clusters.delete(clusterKey);
  }

  closeAll(): void {
    for (const key of [...this.clusters.keys()]) this.closeCluster(key);
  }

  private close(members: Map<string, Entry>, name: string): void {
    const entry = members.get(name);
    if (!entry) return;
    entry.abort.abort();
    clearTimeout(entry.silence);
    entry.client.close();
    members.delete(name);
  }

  private open(clusterKey: string, members: Map<string, Entry>, endpoint: MemberEndpoint): void {
    const entry: Entry = { endpoint, client: this.factory(endpoint), abort: new AbortController(), observed: { sinceMs: this.now() } };
    members.set(endpoint.member, entry);
    this.armSilence(clusterKey, entry);
    void this.watch(clusterKey, entry);
  }

  private armSilence(clusterKey: string, entry: Entry): void {
    clearTimeout(entry.silence);
    entry.silence = setTimeout(() => {
      if (!entry.abort.signal.aborted) this.onChange(clusterKey, entry.endpoint.member);
    }, this.staleMs + 50);
    entry.silence.unref?.();
  }

  private async watch(clusterKey: string, entry: Entry): Promise<void> {
    const { signal } = entry.abort;
    let last = "";
    while (!signal.aborted) {
      try {
        for await (const status of entry.client.watch(signal)) {
          entry.observed = { status, atMs: this.now(), sinceMs: entry.observed.sinceMs };
          this.armSilence(clusterKey, entry);
          const sig = statusSignature(status);
          if (sig !== last) {
            last = sig;
            this.onChange(clusterKey, entry.endpoint.member);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        const message = (err as Error)?.message ?? String(err);
        if (entry.observed.error !== message) {
          this.log.debug("sidecar watch failed; retrying", { cluster: clusterKey, member: entry.endpoint.member, error: message });
          entry.observed = { ...entry.observed, error: message };
          this.onChange(clusterKey, entry.endpoint.member);
        }
        last = "";
      }
      if (signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, this.retryMs));
    }
  }
}
