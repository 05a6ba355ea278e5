// The sidecar's gRPC server in-process, with a fake member: authentication on unary and streaming calls, error
// mapping to status codes, stream errors reaching the client, and the operator's GrpcSidecarClient.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildHandlers } from "../../src/sidecar/server.ts";
import { GrpcServer } from "../../src/grpc/server.ts";
import { SIDECAR_METHODS } from "../../../proto/index.ts";
import { InvalidArgumentError, SidecarError } from "../../src/sidecar/errors.ts";
import { checkTransition } from "../../src/sidecar/state-machine.ts";
import type { Member } from "../../src/sidecar/member.ts";
import type { SidecarSettings } from "../../src/sidecar/settings.ts";
import type { MemberStatus } from "../../src/sidecar/status.ts";
import { GrpcSidecarClient } from "../../../operator/src/sidecar/grpc-client.ts";
import { SidecarCallError, type MigrateSlotsParams } from "../../../operator/src/sidecar/client.ts";
import type { MigrationProgress__Output } from "../../../proto/index.ts";
import type { CheckedMigrateSlots } from "../../src/sidecar/migrate-request.ts";
import { MIGRATION_DEFAULTS } from "../../src/migration/index.ts";
import { currentLogContext, withLogContext, type LogContext } from "../../../common/log.ts";
import type { Logger } from "../../src/sidecar/log.ts";

/** A request the operator would never send: the sidecar must refuse it by itself. */
const incomplete = (req: Partial<MigrateSlotsParams>) => req as MigrateSlotsParams;

const TOKEN = "unit-test-token-".padEnd(40, "x");

function status(state: MemberStatus["state"]): MemberStatus {
  return {
    state, role: "PRIMARY", nodeId: "a".repeat(40), slots: [{ start: 0, end: 10 }], importing: [], migrating: [], replication: null,
    memoryUsedBytes: 1, memoryMaxBytes: 0, keys: 3, opsPerSecond: 0, engineUp: true, clusterState: "ok", clusterKnownNodes: 3,
    slotsOwned: 11, migration: null, ready: true, notReadyReason: "", observedAtMs: 1, lastError: "", engine: null, unreachablePeers: [], tlsDigest: "",
  };
}

const progress = (slotsDone: number, done: boolean): MigrationProgress__Output => ({
  migrationId: "m-1", slotsTotal: 2, slotsDone, slotsFailed: 0, keysMoved: slotsDone * 10, bytesMoved: 0, keysPerSecond: 0,
  bytesPerSecond: 0, activeSlots: [], maxSourceBlockMs: 0, done, cancelled: false, failedSlots: [], elapsedMs: 0, guard: null,
});

/** What the fake member's MigrateSlots was handed (after the edge's check). */
const received: CheckedMigrateSlots[] = [];

/** Only what the handlers under test call. */
const fakeMember = {
  refresh: async () => status("ACTIVE"),
  currentStatus: () => status("ACTIVE"),
  onChange: () => () => undefined,
  reset: async () => { checkTransition("ACTIVE", "ONLINE", "Reset"); return { newNodeId: "" }; },
  forgetNode: async (id: string) => { throw new InvalidArgumentError("nodeId", `"${id}" is not an engine node id`); },
  leaveCluster: async () => { throw new SidecarError("UNAVAILABLE", "engine down"); },
  prepareTakeover: () => { throw new Error("boom"); },
  migrateSlots: async (checked: CheckedMigrateSlots, _signal: AbortSignal, onProgress: (p: MigrationProgress__Output) => void) => {
    received.push(checked);
    onProgress(progress(1, false));
    return progress(2, true);
  },
} as unknown as Member;

/** What the server logged, with the log context each line was written in. */
const logged: { level: string; message: string; fields?: Record<string, unknown>; context: LogContext }[] = [];
const record = (level: string) => (message: string, fields?: Record<string, unknown>) => { logged.push({ level, message, fields, context: currentLogContext() }); };
const log: Logger = { error: record("error"), warn: record("warn"), info: record("info"), debug: record("debug") };

const settings = { auth: { bearerToken: TOKEN }, podIp: "127.0.0.1", enginePort: 7000, enginePassword: "pw" } as unknown as SidecarSettings;
const SOURCE = { host: "127.0.0.2", port: 7000 };

describe("sidecar gRPC server (in-process, fake member)", () => {
  let server: GrpcServer;
  let address: string;
  const clients: GrpcSidecarClient[] = [];
  const client = (token?: string) => {
    const c = new GrpcSidecarClient({ address, bearerToken: token, callTimeoutMs: 5000 });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = new GrpcServer(SIDECAR_METHODS, buildHandlers(fakeMember, settings, undefined, log));
    address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
  });
  after(() => {
    for (const c of clients) c.close();
    return server.close(0);
  });

  async function callError(fn: () => Promise<unknown>): Promise<SidecarCallError> {
    try {
      await fn();
    } catch (err) {
      assert.ok(err instanceof SidecarCallError, String(err));
      return err;
    }
    assert.fail("the call succeeded");
  }
  const drain = async <T>(it: AsyncIterable<T>) => { const out: T[] = []; for await (const x of it) out.push(x); return out; };

  test("an authenticated unary call is served", async () => assert.equal((await client(TOKEN).status()).state, "ACTIVE"));

  const unauthenticated: [string, string | undefined, RegExp][] = [["no token", undefined, /missing authorization/], ["wrong token", "y".repeat(40), /does not match/]];
  for (const [name, token, pattern] of unauthenticated) {
    test(`unary call with ${name} → UNAUTHENTICATED`, async () => {
      const err = await callError(() => client(token).status());
      assert.equal(err.code, "UNAUTHENTICATED");
      assert.match(err.details, pattern);
    });
    test(`streaming call with ${name} → UNAUTHENTICATED`, async () => {
      const err = await callError(() => drain(client(token).migrateSlots(incomplete({ slots: [{ start: 1, end: 1 }] }))));
      assert.equal(err.code, "UNAUTHENTICATED");
    });
  }

  const mapped: [string, (c: GrpcSidecarClient) => Promise<unknown>, string, RegExp][] = [
    ["invalid transition → FAILED_PRECONDITION", (c) => c.reset(), "FAILED_PRECONDITION", /ACTIVE → ONLINE.*may go to MIGRATING, STANDBY, RECOVERED/],
    ["bad field → INVALID_ARGUMENT naming it", (c) => c.forget("zz"), "INVALID_ARGUMENT", /^nodeId: "zz"/],
    ["engine down → UNAVAILABLE", (c) => c.leave(), "UNAVAILABLE", /engine down/],
    ["unexpected error → INTERNAL", (c) => c.prepareTakeover(), "INTERNAL", /internal error: boom/],
    ["stream error reaches the client", (c) => drain(c.migrateSlots(incomplete({ source: SOURCE }))), "INVALID_ARGUMENT", /^slots: must name/],
    ["MigrateSlots from this member's own engine", (c) => drain(c.migrateSlots({ source: { host: "127.0.0.1", port: 7000 }, slots: [{ start: 1, end: 1 }] })), "INVALID_ARGUMENT", /^source: is the same engine as the target \(127\.0\.0\.1:7000\)/],
    ["a guard knob out of range, named", (c) => drain(c.migrateSlots({ source: SOURCE, slots: [{ start: 1, end: 1 }], guard: { budgetFactor: 0.5 } })), "INVALID_ARGUMENT", /^guard\.budgetFactor: expected a number 1\.1\.\.100/],
  ];
  for (const [name, call, code, pattern] of mapped) {
    test(name, async () => {
      const err = await callError(() => call(client(TOKEN)));
      assert.equal(err.code, code);
      assert.match(err.details, pattern);
    });
  }

  test("the operator's call for a plan step: the lines written while serving it name the plan and the step", async () => {
    logged.length = 0;
    await withLogContext({ cluster: "ns/demo", plan: "scale-out-7", step: "reset/demo-3-0" }, () => callError(() => client(TOKEN).reset()));
    await callError(() => client(TOKEN).reset());
    await callError(() => client(TOKEN).prepareTakeover());
    await callError(() => client().status());
    assert.deepEqual(logged.map((l) => [l.level, l.message, l.context.plan, l.context.step, l.fields?.code]), [
      ["info", "Reset received", "scale-out-7", "reset/demo-3-0", undefined],
      ["info", "Reset refused", "scale-out-7", "reset/demo-3-0", "FAILED_PRECONDITION"],
      ["info", "Reset received", undefined, undefined, undefined],
      ["info", "Reset refused", undefined, undefined, "FAILED_PRECONDITION"],
      ["info", "PrepareTakeover received", undefined, undefined, undefined],
      ["warn", "PrepareTakeover failed", undefined, undefined, "INTERNAL"],
      ["warn", "GetStatus refused", undefined, undefined, "UNAUTHENTICATED"],
    ]);
    assert.equal(logged[0].context.cluster, undefined, "only the plan and the step travel; the sidecar knows its own cluster");
  });

  test("a migration streams progress, then the final message", async () => {
    const messages = await drain(client(TOKEN).migrateSlots({ source: SOURCE, slots: [{ start: 1, end: 2 }] }));
    assert.deepEqual(messages.map((p) => [p.slotsDone, p.done]), [[1, false], [2, true]]);
  });

  test("the request is checked once at the edge: the member gets this engine as target, the defaults and the guard knobs", async () => {
    received.length = 0;
    await drain(client(TOKEN).migrateSlots({ source: SOURCE, slots: [{ start: 1, end: 2 }, { start: 9, end: 9 }], batchKeys: 50, guard: { budgetMs: 3, floorKeysPerSecond: 500 } }));
    const [{ request, progressIntervalMs }] = received;
    assert.deepEqual(request.target, { host: "127.0.0.1", port: 7000 });
    assert.deepEqual(request.slots, [1, 2, 9]);
    assert.equal(request.batchKeys, 50);
    assert.equal(request.window, MIGRATION_DEFAULTS.window, "0 on the wire is the default");
    assert.equal(request.password, "pw");
    assert.equal(request.otherPrimaries, undefined, "none given: the member fills them in");
    assert.deepEqual(request.guard, { enabled: true, budgetFactor: 0, budgetMs: 3, floorKeysPerSecond: 500 });
    assert.equal(progressIntervalMs, 500);
  });

  test("guard.disabled reaches the member as a guard that is off", async () => {
    received.length = 0;
    await drain(client(TOKEN).migrateSlots({ source: SOURCE, slots: [{ start: 1, end: 1 }], guard: { disabled: true } }));
    assert.equal(received[0].request.guard.enabled, false);
  });

  test("the server keeps serving after refusals", async () => assert.equal((await client(TOKEN).status()).ready, true));

  test("a deposed operator leader's command is refused; reads stay open to it", async () => {
    const leader = (identity: string, epoch: number) => {
      const c = new GrpcSidecarClient({ address, bearerToken: TOKEN, callTimeoutMs: 5000, leadership: () => ({ identity, epoch }) });
      clients.push(c);
      return c;
    };
    const newer = leader("op-b", 5);
    const older = leader("op-a", 4);
    // The newer leader's command reaches the member (whose fake refuses the argument).
    assert.equal((await callError(() => newer.forget("x"))).code, "INVALID_ARGUMENT");
    const refused = await callError(() => older.forget("x"));
    assert.equal(refused.code, "FAILED_PRECONDITION");
    assert.match(refused.details, /op-b has led epoch 5/);
    assert.equal((await older.status()).state, "ACTIVE");
  });
});
