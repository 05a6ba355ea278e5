// One shape for every plan (docs/architecture.md#plans; TiKV PD's operator steps): a plan is an id, a
// kind, typed reasons and an ordered list of steps, each with its own state. A step knows from
// observed state alone whether it is finished (`stepFinished`), so the executor can re-run any step
// after a crash or a change of leader without doing it twice.
import { countSlots, type SlotRange } from "../../../common/slots.ts";
import type { IsolationLevel } from "./topology.ts";

export type MemberRole = "primary" | "standby";

export type PlanKind = "bootstrap" | "scale-out" | "scale-in" | "rebalance" | "drain" | "replace" | "failover" | "switchover";
export type StepState = "pending" | "running" | "done" | "failed";

/** A member pod created on a chosen node (bootstrap, scale-out, replacement). */
export interface PlaceMemberStep { kind: "place-member"; member: string; shard: number; role: MemberRole; node: string }
/** A new shard's primary takes its slots with CLUSTER ADDSLOTS (bootstrap only: no data moves). */
export interface AssignSlotsStep { kind: "assign-slots"; shard: number; slots: SlotRange[] }
/** Slots move from one shard's primary to another's, keys first, then ownership (docs/architecture.md#slots-and-migration). */
export interface MoveSlotsStep { kind: "move-slots"; slots: SlotRange[]; from: number; to: number; wave: number }
/**
 * A shard's primary role moves to another member (CLUSTER FAILOVER, no acknowledged write lost).
 * `forced`: the old primary is gone for good (planReplacement), so the standby takes over without
 * its consent (CLUSTER FAILOVER FORCE); writes it had not replicated are lost with it.
 */
/** `stale`: the standby restarted and never reached its primary since, which came back without its data. */
export interface SwitchoverStep { kind: "switchover"; shard: number; from: string; to: string; forced?: true; stale?: true }
/** A member that holds no slots leaves the cluster and its pod is deleted. */
export interface RemoveMemberStep { kind: "remove-member"; member: string; shard: number }

/**
 * Every engine forgets a lost member's engine id (CLUSTER FORGET through each sidecar), so no engine
 * keeps a failed node in its table after the member came back with a new identity or elsewhere.
 */
export interface ForgetNodeStep { kind: "forget-node"; member: string; shard: number; nodeId: string }
export type Step = PlaceMemberStep | AssignSlotsStep | MoveSlotsStep | SwitchoverStep | RemoveMemberStep | ForgetNodeStep;
export type StepKind = Step["kind"];

/** A step inside a plan: its position-independent id, its state and, when it failed or waits, why. */
export type PlannedStep<S extends Step = Step> = S & { id: string; state: StepState; message?: string; keysMoved?: number; bytesMoved?: number };

export type ReasonCode =
  | "Bootstrap" | "DataLost" | "ShardsChanged" | "Imbalanced" | "NodeDraining" | "MemberLost" | "PrimaryLost" | "PrimarySpread"
  | "SlotsOwned" | "Placement" | "Waves"
  /** Nodes of the pool that cannot take members (cordoned, NotReady, …), or problems reading them. */
  | "NodesFiltered" | "TopologyProblem"
  /** A placement refusal's binding constraint or a node's rejection, repeated as a reason for Events. */
  | "Binding";

/** Why the plan exists or looks the way it does; `message` is for humans (Events, kubectl describe). */
export interface Reason { code: ReasonCode; message: string }

export interface Plan<S extends Step = Step> {
  /**
   * `<kind>-<digest>` of the inputs that determine the plan, in canonical form: lists are sorted by
   * name (nodes, members, requests, tolerations, taints) and object keys ordered, so the order in
   * which the shell lists things never changes it (identity.ts). The operator writes the plan,
   * id included, to status.plan before its first step; on resume (a restart or a new leader) it
   * reads status.plan and continues the steps stored there — the id is what it matches a plan
   * against (Events, a freshly computed plan for the same snapshot); it never re-plans to find it.
   */
  id: string;
  kind: PlanKind;
  steps: PlannedStep<S>[];
  reasons: Reason[];
  /** The shape a scale plan ends with (a spec asking for another one supersedes it). */
  target?: { shards: number; replicasPerShard: number };
}

/**
 * Unplaceable: no node of the pool passes the node filters at all. InsufficientCapacity: node room
 * or maxMembersPerHost binds. IsolationUnreachable: one member per shard per failure domain binds.
 * NoPromotableMember / ShardLost: a lost primary has no member left to take over (replacement).
 * NothingToDo: the plan would have no step (e.g. a drain of a node that holds no member).
 */
export type RefusalCode =
  | "Unplaceable" | "InsufficientCapacity" | "IsolationUnreachable" | "NoPromotableMember" | "ShardLost" | "NothingToDo";

export type RejectionCode =
  | "NodeSelectorMismatch" | "Excluded" | "NotReady" | "Cordoned" | "StoreDraining" | "StoreDisabled" | "UntoleratedTaint"
  | "HoldsShardMember" | "MaxMembersPerHost" | "InsufficientMemory" | "InsufficientCpu" | "TooManyPods" | "IsolationViolated";

/** Why one node cannot take one more member (Kubernetes scheduler framework: a filter's status). */
export interface Rejection { node: string; code: RejectionCode; message: string }

/**
 * One failure domain whose limits cap the placement (a min cut of the placement flow): the domain
 * can take `room` more members of this plan, limited by `limit`.
 */
export interface BindingConstraint {
  level: IsolationLevel;
  /**
   * The domain's label path, e.g. "region-1/zone-2" ("<unlabelled>" for a missing label); "*" when
   * what binds is how many domains some shards may use at all (`shards` names them).
   */
  domain: string;
  shards?: number[];
  room: number;
  limit: "OneMemberPerShard" | "NodeRoom" | "MaxMembersPerHost";
  message: string;
}

/** A plan that cannot be made from these inputs (not malformed input: that is a PlannerInputError). */
export interface Refusal {
  id: string;
  kind: PlanKind;
  code: RefusalCode;
  /** What binds and what to do, for the user. */
  message: string;
  reasons: Reason[];
  /** Placement refusals: how many members were asked for and how many fit at most. */
  members?: { wanted: number; fit: number };
  /** Placement refusals: the binding constraints per failure domain, with numbers. */
  constraints?: BindingConstraint[];
  /** Placement refusals: for `member`, a member that no assignment can place, why each node (name order) cannot take it. */
  member?: { name: string; shard: number };
  rejections?: Rejection[];
}

export type PlanOutcome<P extends Plan = Plan> = { ok: true; plan: P } | { ok: false; refusal: Refusal };

/** Build a planned step: pending, with an id that names what it does (unique within its plan). */
export function planned<S extends Step>(step: S): PlannedStep<S> {
  return { ...step, id: stepId(step), state: "pending" };
}

export function stepId(step: Step): string {
  switch (step.kind) {
    case "place-member": return `place-member/${step.member}`;
    case "assign-slots": return `assign-slots/${step.shard}`;
    case "move-slots": return `move-slots/${step.from}-${step.to}/${step.slots.map((r) => `${r.start}-${r.end}`).join(",")}`;
    case "switchover": return `switchover/${step.shard}/${step.to}`;
    case "remove-member": return `remove-member/${step.member}`;
    case "forget-node": return `forget-node/${step.member}/${step.nodeId}`;
  }
}

// ---- judged from observed state -----------------------------------------------------------------

/** What the operator observed of the cluster, in the planner's terms. */
export interface ObservedCluster {
  members: readonly ObservedMember[];
}

export interface ObservedMember {
  name: string;
  shard: number;
  /** The node its pod is bound to, or pinned to when not yet scheduled; "" when it has no pod. */
  node: string;
  /** The engine's role as its sidecar reports it; undefined when the sidecar has not answered. */
  role?: MemberRole;
  /** Slots the member's engine owns, as its sidecar reports them. */
  slots: readonly SlotRange[];
  /** The member holds data as a cluster member in its final state (ACTIVE or STANDBY). */
  settled: boolean;
}

function owns(member: ObservedMember, ranges: readonly SlotRange[]): boolean {
  return ranges.every((r) => member.slots.some((o) => o.start <= r.start && r.end <= o.end));
}

/** True when what the step asks for is already what is observed. */
export function stepFinished(step: Step, observed: ObservedCluster): boolean {
  const member = (name: string) => observed.members.find((m) => m.name === name);
  // Before standbys follow, every engine of a shard is an empty primary: the one that counts owns slots.
  const primaryOwning = (shard: number, ranges: readonly SlotRange[]) => observed.members.some((m) => m.shard === shard && m.role === "primary" && owns(m, ranges));
  switch (step.kind) {
    case "place-member": {
      const m = member(step.member);
      return m !== undefined && m.node === step.node && m.settled;
    }
    case "assign-slots":
      return primaryOwning(step.shard, step.slots);
    case "move-slots": {
      const fromStillOwns = observed.members.some((m) => m.shard === step.from && m.slots.some((o) => step.slots.some((r) => o.start <= r.end && r.start <= o.end)));
      return primaryOwning(step.to, step.slots) && !fromStillOwns;
    }
    case "switchover": {
      // The member that owns the shard's slots counts, not an empty primary (a new engine is one).
      const to = member(step.to);
      return to?.role === "primary" && to.slots.length > 0;
    }
    case "forget-node":
      // Judged by the executor from each engine's answer (forgotten, or not known): the observed
      // cluster carries member counts, not every engine's node table.
      return false;
    case "remove-member":
      return member(step.member) === undefined;
  }
}

/** Slots a plan moves or assigns in total and how many of them are observed done. */
export function planProgress(plan: Plan, observed: ObservedCluster): { stepsDone: number; stepsTotal: number; slotsDone: number; slotsTotal: number } {
  let stepsDone = 0;
  let slotsDone = 0;
  let slotsTotal = 0;
  for (const step of plan.steps) {
    const done = step.state === "done" || stepFinished(step, observed);
    if (done) stepsDone++;
    if (step.kind === "move-slots" || step.kind === "assign-slots") {
      const n = countSlots(step.slots);
      slotsTotal += n;
      if (done) slotsDone += n;
    }
  }
  return { stepsDone, stepsTotal: plan.steps.length, slotsDone, slotsTotal };
}
