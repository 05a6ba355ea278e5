// One container of a pod worker: what a container runtime holds for it (its process, the state the
// status reports, its probes, a pending restart), and signals to its process group.
import type { ChildProcess } from "node:child_process";
import type { V1Container, V1ContainerState, V1Probe } from "@kubernetes/client-node";
import type { ImageEntry } from "./images.ts";
import type { ProbeKind, ProbeSettings, ProbeState } from "./probes.ts";
import { waiting, type ContainerView } from "./status.ts";

export interface ProbeRun { kind: ProbeKind; probe: V1Probe; settings: ProbeSettings; state: ProbeState; timer?: NodeJS.Timeout; busy: boolean }

export class ContainerRun {
  state: V1ContainerState = waiting("ContainerCreating");
  lastState?: V1ContainerState;
  restartCount: number;
  consecutiveExits = 0;
  proc?: ChildProcess;
  pid?: number;
  startedAt?: Date;
  started = false;
  ready = false;
  env: Record<string, string> = {};
  entry?: ImageEntry;
  probes: ProbeRun[] = [];
  retryTimer?: NodeJS.Timeout;
  /** Set when the runner itself kills the container (liveness, termination): the reason to report. */
  killReason?: string;
  exited?: Promise<void>;

  constructor(readonly spec: V1Container, readonly init: boolean, restartCount: number) {
    this.restartCount = restartCount;
  }

  /** An init container with restartPolicy Always: started in order, then kept running beside the others. */
  get sidecar(): boolean {
    return this.init && this.spec.restartPolicy === "Always";
  }

  /** Cancels every probe of the container (it exited, or is being stopped). */
  stopProbes(): void {
    for (const p of this.probes) clearTimeout(p.timer);
    this.probes = [];
  }

  /** Cancels a pending start (image pull retry, back-off restart). */
  cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  view(): ContainerView {
    return {
      name: this.spec.name, image: this.spec.image ?? "", imageID: `mdb-local://${this.spec.image ?? ""}`,
      containerID: this.pid ? `mdb://${this.pid}` : this.state.terminated?.containerID,
      state: this.state, lastState: this.lastState, restartCount: this.restartCount, started: this.started, ready: this.ready,
    };
  }
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}
