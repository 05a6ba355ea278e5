// gRPC metadata of the sidecar API that both sides name (proto/index.ts re-exports them).

/** Sent by the operator leader with every call (docs/architecture.md#leader-election-and-fencing: a deposed leader is refused). */
export const LEADER_IDENTITY_HEADER = "x-mdb-leader";
export const LEADER_EPOCH_HEADER = "x-mdb-leader-epoch";

/**
 * Sent with a call made for a plan step: the sidecar's log lines while it serves the call name the
 * plan and the step, as the operator's lines do (docs/operations.md#logs).
 */
export const PLAN_HEADER = "x-mdb-plan";
export const STEP_HEADER = "x-mdb-step";
