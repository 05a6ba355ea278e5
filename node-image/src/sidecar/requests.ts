// Validates API requests (pure). Every refusal names the field, what was expected and what was given.
import { InvalidArgumentError } from "./errors.ts";
import { SLOT_COUNT, type SlotRange } from "../../../common/slots.ts";

export interface AddressInput { host?: string; port?: number; busPort?: number }
export interface Address { host: string; port: number; busPort: number }

const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const dnsName = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const nodeIdPattern = /^[0-9a-f]{40}$/;

export function validateAddress(input: AddressInput | null | undefined, field: string): Address {
  if (!input) throw new InvalidArgumentError(field, "is required (host and port of an engine)");
  const host = (input.host ?? "").trim();
  if (!host) throw new InvalidArgumentError(`${field}.host`, "is required (an IPv4 address or DNS name)");
  if (!ipv4.test(host) && !(dnsName.test(host) && /[a-z]/i.test(host))) {
    throw new InvalidArgumentError(`${field}.host`, `"${host}" is not an IPv4 address or DNS name`);
  }
  const port = input.port ?? 0;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`${field}.port`, `${port} is not a port in 1..65535`);
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

export type PromoteModeName = "GRACEFUL" | "FORCE" | "TAKEOVER";

export function validatePromoteMode(mode: string | number | undefined): PromoteModeName {
  const byNumber: Record<number, PromoteModeName> = { 1: "GRACEFUL", 2: "FORCE", 3: "TAKEOVER" };
  const name = typeof mode === "number" ? byNumber[mode] : mode;
  if (name === "GRACEFUL" || name === "FORCE" || name === "TAKEOVER") return name;
  throw new InvalidArgumentError("mode", `${JSON.stringify(mode ?? "")} is not a promote mode; use GRACEFUL (switchover), FORCE (primary gone) or TAKEOVER (primary fenced, with fenceToken)`);
}
