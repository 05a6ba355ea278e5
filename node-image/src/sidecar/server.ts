// The gRPC server: authenticates each call, turns the request into its checked command (requests.ts,
// migrate-request.ts), hands it to the member and puts the result on the wire (responses.ts); maps
// errors to status codes. A refused or failed call never stops the server. Only the server and those
// conversion files speak proto; the member's commands take and return the domain types of commands.ts.
import * as grpc from "@grpc/grpc-js";
import { withLogContext, type LogContext } from "../../../common/log.ts";
import { OPERATOR_CLIENT_CN } from "../../../common/member-env.ts";
import type { SidecarHandlers, MemberStatus__Output } from "../../../proto/index.ts";
import { PLAN_HEADER, sidecarService, STEP_HEADER } from "../../../proto/index.ts";
import { checkBearer, memberTlsFiles, serverCredentials } from "./auth.ts";
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

const codeOf: Record<SidecarError["code"], grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  ABORTED: grpc.status.ABORTED,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  NOT_FOUND: grpc.status.NOT_FOUND,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  INTERNAL: grpc.status.INTERNAL,
};

export function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  if (err instanceof SidecarError) return { code: codeOf[err.code], details: err.message };
  if (err instanceof InvalidTransitionError || err instanceof WrongStateError) return { code: grpc.status.FAILED_PRECONDITION, details: err.message };
  return { code: grpc.status.INTERNAL, details: `internal error: ${(err as Error)?.message ?? String(err)}` };
}

type AnyCall = { metadata: grpc.Metadata; getPath?: () => string; getAuthContext?: () => { sslPeerCertificate?: { subject?: { CN?: string | string[] } } } };

/** The plan and step an operator's call was made for (its metadata), for the log lines written while serving it. */
export function callLogContext(metadata: grpc.Metadata): LogContext {
  const text = (key: string) => { const v = metadata.get(key)[0]; return v === undefined ? undefined : String(v).slice(0, 200) || undefined; };
  return { plan: text(PLAN_HEADER), step: text(STEP_HEADER) };
}

const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** Over mTLS, only the operator's certificate is served (a member's may be for clientAuth too: OPERATOR_CLIENT_CN). */
function checkClientName(call: AnyCall): string | undefined {
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (!cert || !cert.subject) return undefined;
  const cn = cert.subject.CN;
  return cn === OPERATOR_CLIENT_CN ? undefined : `the client certificate is for ${JSON.stringify(cn ?? "")}; only the operator's (${OPERATOR_CLIENT_CN}) is served`;
}

export function buildHandlers(member: MemberApi, settings: SidecarSettings, fence = new LeaderFence(settings.dataDir), log: Logger = quiet): SidecarHandlers {
  const token = settings.auth.bearerToken;
  const authError = (call: AnyCall, fenced: boolean): Partial<grpc.ServiceError> | undefined => {
    const reason = checkBearer(call.metadata, token) ?? checkClientName(call);
    if (reason) return { code: grpc.status.UNAUTHENTICATED, details: reason };
    const refused = fenced ? fence.admit(call.metadata) : undefined;
    return refused ? { code: grpc.status.FAILED_PRECONDITION, details: refused } : undefined;
  };
  /** A command's arrival, and why a call did not succeed (reads are not logged when they do: the operator makes them all the time). */
  const received = (method: string, fenced: boolean) => { if (fenced) log.info(`${method} received`); };
  const refusals = new Set([grpc.status.FAILED_PRECONDITION, grpc.status.INVALID_ARGUMENT, grpc.status.ABORTED]);
  const ended = (method: string, fenced: boolean, e: Partial<grpc.ServiceError>) => {
    const fields = { code: grpc.status[e.code ?? grpc.status.UNKNOWN], reason: e.details };
    if (e.code === grpc.status.UNAUTHENTICATED) log.warn(`${method} refused`, fields);
    else if (refusals.has(e.code ?? grpc.status.UNKNOWN)) { if (fenced) log.info(`${method} refused`, fields); }
    else log.warn(`${method} failed`, fields);
  };

  // Reads (GetStatus, WatchStatus) are open to any authenticated caller; commands are fenced.
  function unary<Req, Res>(method: string, fn: (req: Req) => Promise<Res> | Res, fenced = true): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => withLogContext(callLogContext(call.metadata), () => {
      const denied = authError(call, fenced);
      if (denied) { ended(method, fenced, denied); return callback(denied); }
      received(method, fenced);
      Promise.resolve()
        .then(() => fn(call.request))
        .then((res) => callback(null, res), (err) => { const e = toServiceError(err); ended(method, fenced, e); callback(e); });
    });
  }

  function stream<Req, Res>(method: string, fn: (req: Req, call: grpc.ServerWritableStream<Req, Res>, signal: AbortSignal) => Promise<void>, fenced = true): grpc.handleServerStreamingCall<Req, Res> {
    return (call) => withLogContext(callLogContext(call.metadata), () => {
      const denied = authError(call, fenced);
      // emit("error") (not destroy) so grpc-js still sends the status to the client.
      if (denied) { ended(method, fenced, denied); call.emit("error", Object.assign(new Error(denied.details), denied)); return; }
      received(method, fenced);
      const controller = new AbortController();
      call.on("cancelled", () => controller.abort());
      fn(call.request, call, controller.signal).then(
        () => call.end(),
        (err) => { const e = toServiceError(err); ended(method, fenced, e); call.emit("error", Object.assign(new Error(e.details), e)); },
      );
    });
  }

  return {
    GetStatus: unary("GetStatus", async () => statusMessage(await member.refresh()), false),

    WatchStatus: stream<unknown, MemberStatus__Output>("WatchStatus", async (_req, call, signal) => {
      let lastSentMs = 0;
      // A status is a whole snapshot: while the stream is backed up (a stalled reader), one is skipped
      // and the next carries the latest, so the backlog stays at the stream's high-water mark (16).
      const send = (s: MemberStatus) => {
        if (call.writableNeedDrain) return;
        lastSentMs = Date.now();
        call.write(statusMessage(s));
      };
      send(member.currentStatus());
      const unsubscribe = member.onChange(send);
      // The heartbeat: at least one message a second even when nothing changed.
      const heartbeat = setInterval(() => { if (Date.now() - lastSentMs >= 900) send(member.currentStatus()); }, 100);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
        call.on("close", () => resolve());
      });
      clearInterval(heartbeat);
      unsubscribe();
    }, false),

    JoinCluster: unary("JoinCluster", (req) => member.joinCluster(joinClusterCommand(req))),
    AssignSlots: unary("AssignSlots", async (req) => ({ status: statusMessage(await member.assignSlots(assignSlotsCommand(req))) })),
    ReplicateFrom: stream("ReplicateFrom", async (req, call) => {
      await member.replicateFrom(replicateFromCommand(req), (p) => call.write(replicationProgressMessage(p)));
    }),
    PrepareTakeover: unary("PrepareTakeover", () => member.prepareTakeover()),
    Promote: unary("Promote", async (req) => promoteMessage(await member.promote(promoteCommand(req)))),
    MigrateSlots: stream("MigrateSlots", async (req, call, signal) => {
      // Progress reports are snapshots too: skipped while the stream is backed up; the final one always goes.
      const final = await member.migrateSlots(checkMigrateSlotsRequest(req, settings), signal, (p) => { if (!call.writableNeedDrain) call.write(migrationProgressMessage(p)); });
      call.write(migrationProgressMessage(final));
    }),
    CancelMigration: unary("CancelMigration", (req) => member.cancelMigration(cancelMigrationCommand(req))),
    ForgetNode: unary("ForgetNode", async (req) => { await member.forgetNode(forgetNodeCommand(req)); return {}; }),
    LeaveCluster: unary("LeaveCluster", () => member.leaveCluster()),
    Reset: unary("Reset", () => member.reset()),
  };
}

export interface RunningServer { server: grpc.Server; ports: number[]; close(): Promise<void> }

/** Binds the gRPC server on each listen host (the pod IP and, unless it is loopback itself, 127.0.0.1). */
export async function startGrpcServer(member: MemberApi, settings: SidecarSettings, log: Logger, tlsFiles?: ReloadingTlsFiles): Promise<RunningServer> {
  const server = new grpc.Server({ "grpc.keepalive_time_ms": 30_000, "grpc.keepalive_permit_without_calls": 1 });
  server.addService(sidecarService, buildHandlers(member, settings, new LeaderFence(settings.dataDir), log));
  const creds = serverCredentials(tlsFiles ?? memberTlsFiles(settings.auth, log));
  const ports: number[] = [];
  for (const host of settings.listenHosts) {
    ports.push(await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${settings.sidecarPort}`, creds, (err, port) => (err ? reject(new Error(`cannot listen on ${host}:${settings.sidecarPort}: ${err.message}`)) : resolve(port)))));
  }
  return {
    server, ports,
    close: () => new Promise<void>((resolve) => {
      const force = setTimeout(() => { server.forceShutdown(); resolve(); }, 5000);
      server.tryShutdown(() => { clearTimeout(force); resolve(); });
    }),
  };
}
