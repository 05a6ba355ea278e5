// A pod worker's lifecycle as one explicit state with the moves it may make, instead of a flag per
// stage. Whether the init containers are done (`initialized`), why a pod failed (`terminal`) and a
// network cut (`partitioned`) are facts the status reports, not stages, and stay fields of the pod.
//
//   new ──start()──▶ setting-up ──sandbox + volumes──▶ running ──every container ended for good──▶ finished
//    │                  │                               │                                           │
//    └──────────────────┴──── deletionTimestamp ────────┴──────────────▶ terminating ◀──────────────┘
//   any state but abandoned ──pod vanished, node stopped, runner shutdown──▶ abandoned (final)
export type PodLifecycleState =
  /** Constructed; start() not called yet. */
  | "new"
  /** Network namespace, IP, hosts file and volumes; a failed step is retried every 5 s. */
  | "setting-up"
  /** Init containers in order, then the containers, with probes and restarts. */
  | "running"
  /** Succeeded or Failed: nothing runs or restarts, the sandbox is gone, the pod object stays. */
  | "finished"
  /** Deletion: preStop, SIGTERM, grace period, SIGKILL, final status, sandbox removed, pod deleted. */
  | "terminating"
  /** The pod vanished (force delete) or its node or the runner stopped: containers killed, nothing written. */
  | "abandoned";

const NEXT: Readonly<Record<PodLifecycleState, readonly PodLifecycleState[]>> = {
  new: ["setting-up", "terminating", "abandoned"],
  "setting-up": ["running", "terminating", "abandoned"],
  running: ["finished", "terminating", "abandoned"],
  finished: ["terminating", "abandoned"],
  terminating: ["abandoned"],
  abandoned: [],
};

export function canMove(from: PodLifecycleState, to: PodLifecycleState): boolean {
  return NEXT[from].includes(to);
}

export class PodLifecycle {
  private current: PodLifecycleState = "new";

  get state(): PodLifecycleState { return this.current; }

  is(...states: PodLifecycleState[]): boolean { return states.includes(this.current); }

  /** Terminating or abandoned: containers are being stopped (or are gone) and nothing starts any more. */
  get stopping(): boolean { return this.is("terminating", "abandoned"); }

  /** A move the worker's own flow makes; an illegal one is a bug in the worker and throws. */
  moveTo(next: PodLifecycleState): void {
    if (!this.tryMove(next)) throw new Error(`pod lifecycle: no move from ${this.current} to ${next}`);
  }

  /** A move for an event that may come in any state (a deletion, a vanished pod): made when legal; says whether it was. */
  tryMove(next: PodLifecycleState): boolean {
    if (!canMove(this.current, next)) return false;
    this.current = next;
    return true;
  }
}
