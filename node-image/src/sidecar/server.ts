// The gRPC server: authenticates each call, turns the request into its checked command (requests.ts,
// migrate-request.ts), hands it to the member and puts the result on the wire (responses.ts); maps
// errors to status codes. A refused or failed call never stops the server. Only the server and those
// conversion files speak proto; the member's commands take and return the domain types of commands.ts.
import { withLogContext, type LogContext } from "../../../common/log.ts";
import { OPERATOR_CLIENT_CN } from "../../../common/member-env.ts";
import type { MemberStatus__Output } from "../../../proto/index.ts";
import { PLAN_HEADER, STEP_HEADER } from "../../../proto/headers.ts";
import { SIDECAR_METHODS } from "../../../proto/methods.ts";
import { GrpcError, GrpcServer, type CallMetadata, type GrpcStatusName, type Handlers, type ResponseStream, type ServerCall } from "../grpc/server.ts";
import { checkBearer, memberTlsFiles } from "./auth.ts";
import type { ReloadingTlsFiles } from "./tls-files.ts";
import type { MemberApi } from "./commands.ts";
import { LeaderFence } from "./leader-fence.ts";
import type { Logger } from "./log.ts";
import { SidecarError } from "./errors.ts";
import { InvalidTransitionError, WrongStateError } from "./state-machine.ts";
import { assignSlotsCommand, cancelMigrationCommand, forgetNodeCommand, joinClusterCommand, promoteCommand, replicateFromCommand } from "./requests.ts";
import { checkMigrateSlotsRequest } from "./migrate-request.ts";
import { migrationProgressMessage, promoteMessage, replicationProgressMessage, statusMessage } from "./responses.ts";
import type { SidecarSettings } from "./settings.ts";
import type { MemberStatus } from "./status.ts";

export function toServiceError(err: unknown): GrpcError {
  if (err instanceof GrpcError) return err;
  if (err instanceof SidecarError) return new GrpcError(err.code, err.message);
  if (err instanceof InvalidTransitionError || err instanceof WrongStateError) return new GrpcError("FAILED_PRECONDITION", err.message);
  return new GrpcError("INTERNAL", `internal error: ${(err as Error)?.message ?? String(err)}`);
}

/** The plan and step an operator's call was made for (its metadata), for the log lines written while serving it. */
export function callLogContext(metadata: CallMetadata): LogContext {
  const text = (key: string) => { const v = metadata.get(key)[0]; return v === undefined ? undefined : String(v).slice(0, 200) || undefined; };
  return { plan: text(PLAN_HEADER), step: text(STEP_HEADER) };
}

const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** Over mTLS, only the operator's certificate is served (a member's may be for clientAuth too: OPERATOR_CLIENT_CN). */
function checkClientName(call: ServerCall): string | undefined {
  const cert = call.peerCertificate;
  if (!cert || !cert.subject) return undefined;
  const cn = cert.subject.CN;
  return cn === OPERATOR_CLIENT_CN ? undefined : `the client certificate is for ${JSON.stringify(cn ?? "")}; only the operator's (${OPERATOR_CLIENT_CN}) is served`;
}

type Message = Record<string, unknown>;

export function buildHandlers(member: MemberApi, settings: SidecarSettings, fence = new LeaderFence(settings.dataDir), log: Logger = quiet): Handlers {
  const token = settings.auth.bearerToken;
  const authError = (call: ServerCall, fenced: boolean): GrpcError | undefined => {
    const reason = checkBearer(call.metadata, token) ?? checkClientName(call);
    if (reason) return new GrpcError("UNAUTHENTICATED", reason);
    const refused = fenced ? fence.admit(call.metadata) : undefined;
    return refused ? new GrpcError("FAILED_PRECONDITION", refused) : undefined;
  };
  /** A command's arrival, and why a call did not succeed (reads are not logged when they do: the operator makes them all the time). */
  const received = (method: string, fenced: boolean) => { if (fenced) log.info(`${method} received`); };
  const refusals = new Set<GrpcStatusName>(["FAILED_PRECONDITION", "INVALID_ARGUMENT", "ABORTED"]);
  const ended = (method: string, fenced: boolean, e: GrpcError) => {
    const fields = { code: e.code, reason: e.details };
    if (e.code === "UNAUTHENTICATED") log.warn(`${method} refused`, fields);
    else if (refusals.has(e.code)) { if (fenced) log.info(`${method} refused`, fields); }
    else log.warn(`${method} failed`, fields);
  };

  // Reads (GetStatus, WatchStatus) are open to any authenticated caller; commands are fenced.
  function unary<Req, Res>(method: string, fn: (req: Req) => Promise<Res> | Res, fenced = true) {
    return (call: ServerCall, request: Message): Promise<Message> => withLogContext(callLogContext(call.metadata), async () => {
      const denied = authError(call, fenced);
      if (denied) { ended(method, fenced, denied); throw denied; }
      received(method, fenced);
      try {
        return await fn(request as Req) as Message;
      } catch (err) {
        const e = toServiceError(err);
        ended(method, fenced, e);
        throw e;
      }
    });
  }

  function stream<Req>(method: string, fn: (req: Req, out: ResponseStream, signal: AbortSignal) => Promise<void>, fenced = true) {
    return (call: ServerCall, request: Message, out: ResponseStream): Promise<void> => withLogContext(callLogContext(call.metadata), async () => {
      const denied = authError(call, fenced);
      if (denied) { ended(method, fenced, denied); throw denied; }
      received(method, fenced);
      try {
        await fn(request as Req, out, call.signal);
      } catch (err) {
        const e = toServiceError(err);
        ended(method, fenced, e);
        throw e;
      }
    });
  }

  return {
    GetStatus: unary("GetStatus", async () => statusMessage(await member.refresh()), false),

    WatchStatus: stream("WatchStatus", async (_req, out, signal) => {
      let lastSentMs = 0;
      // A status is a whole snapshot: while the stream is backed up (a stalled reader), one is skipped
      // and the next carries the latest, so the backlog stays near the stream's high-water mark (16 KiB).
      const send = (s: MemberStatus) => {
        if (out.backedUp) return;
        lastSentMs = Date.now();
        out.write(statusMessage(s) satisfies MemberStatus__Output as unknown as Message);
      };
      send(member.currentStatus());
      const unsubscribe = member.onChange(send);
      // The heartbeat: at least one message a second even when nothing changed.
      const heartbeat = setInterval(() => { if (Date.now() - lastSentMs >= 900) send(member.currentStatus()); }, 100);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      clearInterval(heartbeat);
      unsubscribe();
    }, false),

    JoinCluster: unary("JoinCluster", (req: Parameters<typeof joinClusterCommand>[0]) => member.joinCluster(joinClusterCommand(req))),
    AssignSlots: unary("AssignSlots", async (req: Parameters<typeof assignSlotsCommand>[0]) => ({ status: statusMessage(await member.assignSlots(assignSlotsCommand(req))) })),
    ReplicateFrom: stream("ReplicateFrom", async (req: Parameters<typeof replicateFromCommand>[0], out) => {
      await member.replicateFrom(replicateFromCommand(req), (p) => out.write(replicationProgressMessage(p) as unknown as Message));
    }),
    PrepareTakeover: unary("PrepareTakeover", () => member.prepareTakeover()),
    Promote: unary("Promote", async (req: Parameters<typeof promoteCommand>[0]) => promoteMessage(await member.promote(promoteCommand(req)))),
    MigrateSlots: stream("MigrateSlots", async (req: Parameters<typeof checkMigrateSlotsRequest>[0], out, signal) => {
      // Progress reports are snapshots too: skipped while the stream is backed up; the final one always goes.
      const final = await member.migrateSlots(checkMigrateSlotsRequest(req, settings), signal, (p) => { if (!out.backedUp) out.write(migrationProgressMessage(p) as unknown as Message); });
      out.write(migrationProgressMessage(final) as unknown as Message);
    }),
    CancelMigration: unary("CancelMigration", (req: Parameters<typeof cancelMigrationCommand>[0]) => member.cancelMigration(cancelMigrationCommand(req))),
    ForgetNode: unary("ForgetNode", async (req: Parameters<typeof forgetNodeCommand>[0]) => { await member.forgetNode(forgetNodeCommand(req)); return {}; }),
    LeaveCluster: unary("LeaveCluster", () => member.leaveCluster()),
    Reset: unary("Reset", () => member.reset()),
  };
}

export interface RunningServer { server: GrpcServer; ports: number[]; close(): Promise<void> }

/**
 * Serves the API on each listen host (the pod IP and, unless it is loopback itself, 127.0.0.1): over
 * mutual TLS when the member has TLS files, each renewed set taken for new connections; else plaintext
 * (the bearer token then authenticates). A client without a certificate signed by the CA cannot connect
 * at all, nor one whose certificate is not for client authentication (a member's serving certificate).
 */
export async function startGrpcServer(member: MemberApi, settings: SidecarSettings, log: Logger, tlsFiles?: ReloadingTlsFiles): Promise<RunningServer> {
  const files = tlsFiles ?? memberTlsFiles(settings.auth, log);
  const server = new GrpcServer(SIDECAR_METHODS, buildHandlers(member, settings, new LeaderFence(settings.dataDir), log), { tls: files?.material() });
  const stopRenewals = files?.onRenewed((m) => server.setTls(m)) ?? (() => undefined);
  const ports: number[] = [];
  for (const host of settings.listenHosts) {
    ports.push(await server.listen(host, settings.sidecarPort).catch((err: Error) => {
      throw new Error(`cannot listen on ${host}:${settings.sidecarPort}: ${err.message}`);
    }));
  }
  return { server, ports, close: async () => { stopRenewals(); await server.close(5000); } };
}
