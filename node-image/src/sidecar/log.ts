// The sidecar's logger: the operator's format (common/log.ts, docs/operations.md#logs) at the spec's
// logLevel, every line naming this member's cluster (namespace/name, as the operator's lines do),
// member and shard; a line written while serving an operator's call also names its plan and step.
import { makeLogger, type LogContext, type Logger as SharedLogger } from "../../../common/log.ts";
import type { SidecarSettings } from "./settings.ts";

/** What the member and its commands log through (the shared logger, or a fake in tests). */
export type Logger = Omit<SharedLogger, "level">;

export function memberLogContext(identity: SidecarSettings["identity"]): LogContext {
  const cluster = identity.namespace && identity.cluster ? `${identity.namespace}/${identity.cluster}` : identity.cluster;
  return { cluster: cluster || undefined, member: identity.member || undefined, shard: identity.shard };
}

export function sidecarLogger(settings: Pick<SidecarSettings, "logLevel" | "identity">): Logger {
  return makeLogger({ level: settings.logLevel, base: memberLogContext(settings.identity) });
}
