// MigrateSlots and CancelMigration on a member (the target of the move): the member's side of the
// migration engine (node-image/src/migration/), with its state and progress kept on the member.
import { randomUUID } from "node:crypto";
import {
  migrateSlots as runMigration, withOtherPrimaries, MigrationPreconditionError, type MigrationProgress as LibProgress, type MigrationResult,
} from "../migration/index.ts";
import { compactSlots, countSlots, formatSlotRanges } from "../../../common/slots.ts";
import type { CancelMigrationCommand, CancelMigrationResult, CheckedMigrateSlots, MigrationReport } from "./commands.ts";
import { SidecarError, failedPrecondition } from "./errors.ts";
import type { MemberContext, RunningMigration } from "./member-context.ts";
import { requireState } from "./state-machine.ts";
import { engineRole, observationOf } from "./status.ts";

/** MigrateSlots on this member (the target), with the request checked at the gRPC edge (migrate-request.ts). */
export async function migrateSlots(m: MemberContext, checked: CheckedMigrateSlots, signal: AbortSignal, onProgress: (p: MigrationReport) => void): Promise<MigrationReport> {
  let libRequest = checked.request;
  const { progressIntervalMs } = checked;
  const source = { ...libRequest.source, busPort: libRequest.source.busPort ?? libRequest.source.port + 10000 };
  const already = m.migration();
  if (already) throw new SidecarError("ALREADY_EXISTS", `MigrateSlots: migration ${already.id} is running on this member; wait for it or CancelMigration`);
  return m.exclusive("MigrateSlots", async () => {
    requireState(m.state(), ["ONLINE", "ACTIVE", "MIGRATING"], "MigrateSlots", "the target must be an empty or active primary");
    if (engineRole(m.snapshot()) !== "primary") throw failedPrecondition("MigrateSlots: this member's engine is a replica; call MigrateSlots on a primary (the target)");
    const me = m.myself();
    const sourceNode = m.snapshot().nodes.find((n) => n.host === source.host && n.port === source.port);
    if (!sourceNode) throw failedPrecondition(`MigrateSlots: source ${source.host}:${source.port} is not in this engine's cluster; JoinCluster first`);
    if (libRequest.otherPrimaries === undefined) {
      // Default: every other primary with slots learns the new owner (step 3 of docs/architecture/migration.md#one-move-step-by-step).
      libRequest = withOtherPrimaries(libRequest, m.snapshot().nodes
        .filter((n) => n.primary && !n.failed && n.id !== me.id && n.id !== sourceNode.id && n.slots.length > 0)
        .map((n) => ({ host: n.host, port: n.port })));
    }
    const running: RunningMigration = { id: randomUUID(), source, slots: [...libRequest.slots], controller: new AbortController(), progress: undefined };
    const abortFromCaller = () => running.controller.abort();
    if (signal.aborted) throw new SidecarError("ABORTED", "MigrateSlots: the caller cancelled before the migration started");
    signal.addEventListener("abort", abortFromCaller, { once: true });
    m.setMigration(running);
    m.transition("MIGRATING", "MigrateSlots");
    const report = (p: LibProgress): MigrationReport => ({
      migrationId: running.id, slotsTotal: p.slotsTotal, slotsDone: p.slotsDone, slotsFailed: p.slotsFailed,
      keysMoved: p.keysMoved, bytesMoved: p.bytesMoved, keysPerSecond: p.keysPerSecond, bytesPerSecond: p.bytesPerSecond,
      activeSlots: p.activeSlots, maxSourceBlockMs: p.maxSourceBlockMs, guard: p.guard, done: false, cancelled: false, failedSlots: [],
      elapsedMs: m.clock.nowMs() - startedAtMs,
    });
    const startedAtMs = m.clock.nowMs();
    m.log.info("migration started", { id: running.id, source: `${source.host}:${source.port}`, slots: formatSlotRanges(compactSlots(running.slots)) });
    let result: MigrationResult;
    try {
      onProgress(report({ slotsTotal: running.slots.length, slotsDone: 0, slotsFailed: 0, keysMoved: 0, bytesMoved: 0, keysPerSecond: 0, bytesPerSecond: 0, activeSlots: [], maxSourceBlockMs: 0, guard: null }));
      result = await runMigration(libRequest, {
        signal: running.controller.signal,
        progressIntervalMs,
        onProgress: (p) => { running.progress = p; m.publish(); onProgress(report(p)); },
      });
    } catch (err) {
      if (err instanceof MigrationPreconditionError) throw failedPrecondition(`MigrateSlots: ${err.message}`);
      throw err;
    } finally {
      signal.removeEventListener("abort", abortFromCaller);
      m.setMigration(undefined);
      await m.refresh();
      const owns = countSlots(m.myself().slots) > 0;
      if (m.state() === "MIGRATING" && !observationOf(m.snapshot()).importingOrMigrating) m.transition(owns ? "ACTIVE" : "ONLINE", "MigrateSlots finished");
    }
    m.log.info("migration finished", { id: running.id, cancelled: result.cancelled, slotsDone: result.slotsDone, failed: result.failedSlots.length, keysMoved: result.keysMoved, elapsedMs: result.elapsedMs });
    return { ...report(result), done: true, cancelled: result.cancelled, failedSlots: result.failedSlots, elapsedMs: result.elapsedMs };
  });
}

export function cancelMigration(m: MemberContext, { migrationId: id }: CancelMigrationCommand): CancelMigrationResult {
  const running = m.migration();
  if (!running) return { wasRunning: false };
  if (id && id !== running.id) throw new SidecarError("NOT_FOUND", `CancelMigration: migration ${id} is not running here; the running one is ${running.id}`);
  running.controller.abort();
  m.log.info("migration cancel requested", { id: running.id });
  return { wasRunning: true };
}
