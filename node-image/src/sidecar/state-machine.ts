// The member state machine (docs/architecture.md#member-states), pure: no I/O, the shell persists and applies it.
//
//   OFFLINE ─► ONLINE ─► MIGRATING ─► ACTIVE ─► STANDBY (switchover)
//                 ▲  └─► STANDBY ─► ACTIVE       │
//                 └── MIGRATING ◄────────────────┘ (scale-in, drain)
//   any ─► RECOVERED (after a failure) ─► STANDBY
export const memberStates = ["OFFLINE", "ONLINE", "MIGRATING", "ACTIVE", "STANDBY", "RECOVERED"] as const;
export type MemberStateName = (typeof memberStates)[number];

/** Allowed next states. STANDBY → ONLINE: a standby that leaves (replica scale-down); docs/architecture.md#member-states. */
export const transitions: Readonly<Record<MemberStateName, readonly MemberStateName[]>> = {
  OFFLINE: ["ONLINE", "RECOVERED"],
  ONLINE: ["MIGRATING", "STANDBY", "OFFLINE", "RECOVERED"],
  MIGRATING: ["ACTIVE", "ONLINE", "RECOVERED"],
  ACTIVE: ["MIGRATING", "STANDBY", "RECOVERED"],
  STANDBY: ["ACTIVE", "ONLINE", "RECOVERED"],
  RECOVERED: ["STANDBY"],
};

export function isMemberState(value: unknown): value is MemberStateName {
  return typeof value === "string" && (memberStates as readonly string[]).includes(value);
}

export function allowedNextStates(from: MemberStateName): readonly MemberStateName[] {
  return transitions[from];
}

export function canTransition(from: MemberStateName, to: MemberStateName): boolean {
  return transitions[from].includes(to);
}

export class InvalidTransitionError extends Error {
  readonly from: MemberStateName;
  readonly to: MemberStateName;
  readonly allowed: readonly MemberStateName[];
  constructor(from: MemberStateName, to: MemberStateName, action: string) {
    const allowed = transitions[from];
    super(`${action} needs a transition ${from} → ${to}, which is not allowed: the member is ${from}; ` +
      `from ${from} it may go to ${allowed.join(", ") || "nothing"}`);
    this.name = "InvalidTransitionError";
    this.from = from;
    this.to = to;
    this.allowed = allowed;
  }
}

/** Throws InvalidTransitionError naming current, requested and allowed states. */
export function checkTransition(from: MemberStateName, to: MemberStateName, action: string): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to, action);
}

/** Refuses an action that is only valid in some states (e.g. Reset only in ONLINE or RECOVERED). */
export class WrongStateError extends Error {
  constructor(readonly current: MemberStateName, readonly requiredStates: readonly MemberStateName[], action: string, hint = "") {
    super(`${action} is allowed only when the member is ${requiredStates.join(" or ")}; it is ${current}${hint ? `: ${hint}` : ""}`);
    this.name = "WrongStateError";
  }
}

export function requireState(current: MemberStateName, requiredStates: readonly MemberStateName[], action: string, hint = ""): void {
  if (!requiredStates.includes(current)) throw new WrongStateError(current, requiredStates, action, hint);
}

/** What the sidecar saw of its engine, enough to decide the state after a restart or a change. */
export interface EngineObservation {
  nodeId: string;
  role: "primary" | "replica";
  slotsOwned: number;
  importingOrMigrating: boolean;
  /** Other nodes the engine knows about (cluster_known_nodes - 1). */
  knownPeers: number;
  keys: number;
}

/**
 * The state to come back in after the sidecar (or its engine) restarted. A member whose persisted
 * state says it held data (ACTIVE, MIGRATING, STANDBY) but whose engine has a new node id or forgot the
 * cluster, or that held keys and now has none, lost its data: it comes back RECOVERED and must resync (docs/architecture.md#member-states).
 */
export function restoredState(persisted: { state: MemberStateName; engineNodeId: string; engineHadKeys?: boolean } | undefined, engine: EngineObservation): MemberStateName {
  if (!persisted) return "ONLINE";
  const heldData = persisted.state === "ACTIVE" || persisted.state === "MIGRATING" || persisted.state === "STANDBY";
  const lostIdentity = persisted.engineNodeId !== "" && persisted.engineNodeId !== engine.nodeId;
  const forgotCluster = engine.knownPeers === 0 && engine.slotsOwned === 0;
  // e.g. persistence off: nodes.conf survived on the volume but the dataset did not.
  const lostKeys = persisted.engineHadKeys === true && engine.keys === 0;
  if (persisted.state === "RECOVERED") return "RECOVERED";
  if (heldData && (lostIdentity || forgotCluster || lostKeys)) return "RECOVERED";
  if (persisted.state === "OFFLINE") return "ONLINE";
  return reconciledState(persisted.state, engine, false) ?? persisted.state;
}

/**
 * A state change that the engine's own behaviour forces, with no command from the operator:
 * the engine failed over (STANDBY → ACTIVE), was switched over (ACTIVE → STANDBY), or a migration
 * finished (MIGRATING → ACTIVE/ONLINE) or began on this engine as the source (ACTIVE → MIGRATING).
 * Returns undefined when the state already matches. `migrationRunningHere` keeps MIGRATING while this
 * sidecar drives an import.
 */
export function reconciledState(current: MemberStateName, engine: EngineObservation, migrationRunningHere: boolean): MemberStateName | undefined {
  switch (current) {
    case "ACTIVE":
      if (engine.role === "replica") return "STANDBY";
      if (engine.importingOrMigrating) return "MIGRATING";
      if (engine.slotsOwned === 0) return "MIGRATING"; // every slot moved away: on the way to ONLINE
      return undefined;
    case "STANDBY":
      if (engine.role === "primary" && engine.slotsOwned > 0) return "ACTIVE";
      return undefined;
    case "MIGRATING":
      if (migrationRunningHere || engine.importingOrMigrating || engine.role !== "primary") return undefined;
      return engine.slotsOwned > 0 ? "ACTIVE" : "ONLINE";
    default:
      return undefined;
  }
}
