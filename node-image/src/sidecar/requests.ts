// The API's requests at the gRPC edge (pure): each proto message becomes the command it asks for
// (commands.ts), checked once, here. Every refusal is INVALID_ARGUMENT naming the field, what was
// expected and what was given. MigrateSlots has its own file (migrate-request.ts).
import type {
  AssignSlotsRequest__Output, CancelMigrationRequest__Output, ForgetNodeRequest__Output, JoinClusterRequest__Output, PromoteRequest__Output,
  ReplicateFromRequest__Output,
} from "../../../proto/index.ts";
import { InvalidArgumentError } from "./errors.ts";
import { SLOT_COUNT, type SlotRange } from "../../../common/slots.ts";
import { hostProblem, portProblem } from "../../../common/address.ts";
import type {
  Address, AssignSlotsCommand, CancelMigrationCommand, ForgetNodeCommand, JoinClusterCommand, PromoteCommand, PromoteModeName, ReplicateFromCommand,
} from "./commands.ts";

export interface AddressInput { host?: string; port?: number; busPort?: number }

const nodeIdPattern = /^[0-9a-f]{40}$/;

export function validateAddress(input: AddressInput | null | undefined, field: string): Address {
  if (!input) throw new InvalidArgumentError(field, "is required (host and port of an engine)");
  const host = (input.host ?? "").trim();
  const badHost = hostProblem(host);
  if (badHost) throw new InvalidArgumentError(`${field}.host`, badHost);
  const port = input.port ?? 0;
  const badPort = portProblem(port);
  if (badPort) throw new InvalidArgumentError(`${field}.port`, badPort);
  const busPort = input.busPort ?? 0;
  if (!Number.isInteger(busPort) || busPort < 0 || busPort > 65535) throw new InvalidArgumentError(`${field}.busPort`, `${busPort} is not a port in 0..65535 (0 = port + 10000)`);
  if (busPort === 0 && port + 10000 > 65535) throw new InvalidArgumentError(`${field}.busPort`, `is required when port + 10000 exceeds 65535 (port ${port})`);
  return { host, port, busPort: busPort || port + 10000 };
}

export function validateSlotRanges(input: readonly { start?: number; end?: number }[] | undefined, field: string): SlotRange[] {
  if (!input || input.length === 0) throw new InvalidArgumentError(field, "must name at least one slot range");
  const ranges = input.map((r, i) => {
    const start = r.start ?? 0;
    const end = r.end ?? 0;
    for (const [name, v] of [["start", start], ["end", end]] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= SLOT_COUNT) throw new InvalidArgumentError(`${field}[${i}].${name}`, `${v} is not a slot in 0..${SLOT_COUNT - 1}`);
    }
    if (end < start) throw new InvalidArgumentError(`${field}[${i}]`, `end ${end} is before start ${start}`);
    return { start, end };
  });
  const sorted = [...ranges].sort((x, y) => x.start - y.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start <= sorted[i - 1].end) {
      throw new InvalidArgumentError(field, `ranges ${sorted[i - 1].start}-${sorted[i - 1].end} and ${sorted[i].start}-${sorted[i].end} overlap`);
    }
  }
  return sorted;
}

export function validateNodeId(value: string | undefined, field: string): string {
  const id = (value ?? "").trim();
  if (!id) throw new InvalidArgumentError(field, "is required (an engine node id: 40 hex characters, see GetStatus.nodeId)");
  if (!nodeIdPattern.test(id)) throw new InvalidArgumentError(field, `"${id}" is not an engine node id (40 lowercase hex characters)`);
  return id;
}

export function validateTimeoutMs(value: number | undefined, field: string, fallback: number, max: number): number {
  const v = value ?? 0;
  if (v === 0) return fallback;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new InvalidArgumentError(field, `${v} is not a timeout in 1..${max} ms (0 = default ${fallback})`);
  return v;
}

export function validatePromoteMode(mode: string | number | undefined): PromoteModeName {
  const byNumber: Record<number, PromoteModeName> = { 1: "GRACEFUL", 2: "FORCE", 3: "TAKEOVER" };
  const name = typeof mode === "number" ? byNumber[mode] : mode;
  if (name === "GRACEFUL" || name === "FORCE" || name === "TAKEOVER") return name;
  throw new InvalidArgumentError("mode", `${JSON.stringify(mode ?? "")} is not a promote mode; use GRACEFUL (switchover), FORCE (primary gone) or TAKEOVER (primary fenced, with fenceToken)`);
}

// ------------------------------------------------------------------------------------------------
// the commands

export function joinClusterCommand(req: JoinClusterRequest__Output): JoinClusterCommand {
  if (!req.peers || req.peers.length === 0) throw new InvalidArgumentError("peers", "must name at least one engine address to meet");
  const peers = req.peers.map((p, i) => validateAddress(p, `peers[${i}]`));
  peers.forEach((p, i) => {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(p.host)) throw new InvalidArgumentError(`peers[${i}].host`, `"${p.host}" must be an IP address: CLUSTER MEET does not resolve names`);
  });
  return { peers, timeoutMs: validateTimeoutMs(req.timeoutMs, "timeoutMs", 10_000, 120_000) };
}

export function assignSlotsCommand(req: AssignSlotsRequest__Output): AssignSlotsCommand {
  return { slots: validateSlotRanges(req.slots, "slots") };
}

export function replicateFromCommand(req: ReplicateFromRequest__Output): ReplicateFromCommand {
  const primaryNodeId = validateNodeId(req.primaryNodeId, "primaryNodeId");
  return { primaryNodeId, timeoutMs: validateTimeoutMs(req.timeoutMs, "timeoutMs", 600_000, 3_600_000) };
}

export function promoteCommand(req: PromoteRequest__Output): PromoteCommand {
  const mode = validatePromoteMode(req.mode);
  const timeoutMs = validateTimeoutMs(req.timeoutMs, "timeoutMs", 30_000, 600_000);
  const fenceToken = req.fenceToken ?? "";
  if (mode !== "TAKEOVER" && fenceToken) throw new InvalidArgumentError("fenceToken", `is only used with mode TAKEOVER, not ${mode}`);
  return { mode, fenceToken, timeoutMs };
}

export function cancelMigrationCommand(req: CancelMigrationRequest__Output): CancelMigrationCommand {
  return { migrationId: req.migrationId ?? "" };
}

export function forgetNodeCommand(req: ForgetNodeRequest__Output): ForgetNodeCommand {
  return { nodeId: validateNodeId(req.nodeId, "nodeId") };
}
