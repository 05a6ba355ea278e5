// SidecarClient over gRPC, with per-call deadlines and the bearer token and/or mTLS credentials; a call
// made inside a plan step's log context (withLogContext) carries the plan id and step in its metadata.
import * as grpc from "@grpc/grpc-js";
import { currentLogContext } from "../../../common/log.ts";
import {
  LEADER_EPOCH_HEADER, LEADER_IDENTITY_HEADER, PLAN_HEADER, SidecarStubClient, STEP_HEADER, type AssignSlotsRequest, type AssignSlotsResponse__Output, type PromoteRequest, type PromoteResponse__Output,
  type SidecarStub as GeneratedClient,
} from "../../../proto/index.ts";
import {
  SidecarCallError, type EngineAddress, type FenceGrant, type MemberStatus, type MigrateSlotsParams, type MigrationProgress,
  type PromoteMode, type PromoteResult, type ReplicationProgress, type SidecarClient, type SlotRange,
} from "./client.ts";

export interface GrpcSidecarClientOptions {
  /** "host:port" of the sidecar. */
  address: string;
  bearerToken?: string;
  /** TLS: the CA that signed the sidecar's certificate, and this client's certificate and key (required by a sidecar with mTLS). */
  tls?: { caPem: Buffer; certPem?: Buffer; keyPem?: Buffer; serverName?: string };
  /** Deadline of unary calls (default 30 s). */
  callTimeoutMs?: number;
  /** The operator leader's identity and lease epoch, sent with every call so a deposed leader is refused. */
  leadership?: () => { identity: string; epoch: number } | undefined;
}

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;

function toCallError(method: string, err: unknown): SidecarCallError {
  const e = err as Partial<grpc.ServiceError>;
  const code = typeof e.code === "number" ? grpc.status[e.code] : "UNKNOWN";
  // grpc-js appends ". Resolution note: " with nothing after it to a failed connection's details.
  return new SidecarCallError(method, code, (e.details ?? e.message ?? String(err)).replace(/\.? ?Resolution note: ?$/, ""));
}

export class GrpcSidecarClient implements SidecarClient {
  private readonly stub: GeneratedClient;
  private readonly callTimeoutMs: number;
  private readonly bearer: string | undefined;
  private readonly leadership: GrpcSidecarClientOptions["leadership"];

  constructor(opts: GrpcSidecarClientOptions) {
    const channelCreds = opts.tls
      ? grpc.credentials.createSsl(opts.tls.caPem, opts.tls.keyPem ?? null, opts.tls.certPem ?? null)
      : grpc.credentials.createInsecure();
    const channelOptions: grpc.ChannelOptions = {
      // A member's sidecar starts seconds after its pod: retry the connection every 0.1–0.5 s instead of
      // grpc-js's default back-off (1 s doubling to 120 s), which delayed the first status by up to 8 s
      // (at 0.2–1 s the last primary of a bootstrap still took its slots 2.4 s after its sidecar was up).
      // A refused connection to a pod on this network costs one SYN: cheap enough at this rate.
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 500,
      ...(opts.tls?.serverName ? { "grpc.ssl_target_name_override": opts.tls.serverName } : {}),
    };
    this.stub = new SidecarStubClient(opts.address, channelCreds, channelOptions);
    this.callTimeoutMs = opts.callTimeoutMs ?? 30_000;
    this.bearer = opts.bearerToken;
    this.leadership = opts.leadership;
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.bearer) md.set("authorization", `Bearer ${this.bearer}`);
    const leader = this.leadership?.();
    if (leader) {
      md.set(LEADER_IDENTITY_HEADER, leader.identity);
      md.set(LEADER_EPOCH_HEADER, String(leader.epoch));
    }
    // A call made for a plan step (its log context: common/log.ts) names them, for the sidecar's log lines.
    const { plan, step } = currentLogContext();
    if (plan) md.set(PLAN_HEADER, plan);
    if (step) md.set(STEP_HEADER, step);
    return md;
  }

  private deadline(ms: number): grpc.CallOptions {
    return { deadline: new Date(Date.now() + ms) };
  }

  private unary<Req, Res>(method: string, invoke: (req: Req, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<Res>) => unknown, req: Req, timeoutMs = this.callTimeoutMs): Promise<Res> {
    return new Promise((resolve, reject) => {
      invoke.call(this.stub, req, this.metadata(), this.deadline(timeoutMs), (err: grpc.ServiceError | null, value?: Res) => {
        if (err) reject(toCallError(method, err));
        else resolve(value as Res);
      });
    });
  }

  private async *streamed<T>(method: string, call: grpc.ClientReadableStream<T>, signal?: AbortSignal): AsyncIterable<T> {
    const onAbort = () => call.cancel();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const message of call) yield message as T;
    } catch (err) {
      if (signal?.aborted && (err as grpc.ServiceError).code === grpc.status.CANCELLED) return;
      throw toCallError(method, err);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      call.cancel();
    }
  }

  status(): Promise<MemberStatus> {
    return this.unary("GetStatus", this.stub.GetStatus, {});
  }

  watch(signal?: AbortSignal): AsyncIterable<MemberStatus> {
    return this.streamed("WatchStatus", this.stub.WatchStatus({}, this.metadata()), signal);
  }

  join(peers: EngineAddress[], opts: { timeoutMs?: number } = {}): Promise<{ knownNodes: number }> {
    return this.unary("JoinCluster", this.stub.JoinCluster, { peers, timeoutMs: opts.timeoutMs ?? 0 }, (opts.timeoutMs ?? 10_000) + 5000);
  }

  async assignSlots(slots: SlotRange[]): Promise<MemberStatus> {
    const res = await this.unary<AssignSlotsRequest, AssignSlotsResponse__Output>("AssignSlots", this.stub.AssignSlots, { slots });
    if (!res.status) throw new SidecarCallError("AssignSlots", "INTERNAL", "response carried no status");
    return res.status;
  }

  replicateFrom(primaryNodeId: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): AsyncIterable<ReplicationProgress> {
    const call = this.stub.ReplicateFrom({ primaryNodeId, timeoutMs: opts.timeoutMs ?? 0 }, this.metadata(), this.deadline((opts.timeoutMs ?? 600_000) + 10_000));
    return this.streamed("ReplicateFrom", call, opts.signal);
  }

  prepareTakeover(): Promise<FenceGrant> {
    return this.unary("PrepareTakeover", this.stub.PrepareTakeover, {});
  }

  async promote(mode: PromoteMode, opts: { fenceToken?: string; timeoutMs?: number } = {}): Promise<PromoteResult> {
    const res = await this.unary<PromoteRequest, PromoteResponse__Output>("Promote", this.stub.Promote, { mode, fenceToken: opts.fenceToken ?? "", timeoutMs: opts.timeoutMs ?? 0 }, (opts.timeoutMs ?? 30_000) + 10_000);
    if (!res.status) throw new SidecarCallError("Promote", "INTERNAL", "response carried no status");
    return { status: res.status, offsetAtSwitch: res.offsetAtSwitch, pauseMs: res.pauseMs };
  }

  migrateSlots(req: MigrateSlotsParams, opts: { signal?: AbortSignal } = {}): AsyncIterable<MigrationProgress> {
    // No deadline: a migration takes as long as the data needs; cancel with the signal or CancelMigration.
    return this.streamed("MigrateSlots", this.stub.MigrateSlots(req, this.metadata()), opts.signal);
  }

  cancelMigration(migrationId = ""): Promise<{ wasRunning: boolean }> {
    return this.unary("CancelMigration", this.stub.CancelMigration, { migrationId });
  }

  async forget(nodeId: string): Promise<void> {
    await this.unary("ForgetNode", this.stub.ForgetNode, { nodeId });
  }

  leave(): Promise<{ forgottenBy: string[] }> {
    return this.unary("LeaveCluster", this.stub.LeaveCluster, {});
  }

  reset(): Promise<{ newNodeId: string }> {
    return this.unary("Reset", this.stub.Reset, {});
  }

  close(): void {
    this.stub.close();
  }
}
