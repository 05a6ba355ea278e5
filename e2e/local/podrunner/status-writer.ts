// Writes one pod's status to the status subresource as the kubelet's status manager does: requests
// within 20 ms coalesce into one write, one write runs at a time, an unchanged status is not sent
// again, a failed write is retried every second; 404 (pod gone) and 422 (refused) end the run.
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1PodStatus } from "@kubernetes/client-node";
import { apiMessage, isApiStatus } from "./nodes.ts";
import { statusFingerprint, statusPatch } from "./status.ts";

export interface StatusTarget {
  core: CoreV1Api;
  name: string;
  namespace: string;
  key: string;
  /** The status as it is now. */
  compute(): V1PodStatus;
  /** False once nothing may be written any more (the pod was abandoned). */
  enabled(): boolean;
  log(msg: string): void;
}

export class StatusWriter {
  private timer?: NodeJS.Timeout;
  private writing = false;
  private dirty = false;
  private lastJson = "";

  constructor(private readonly target: StatusTarget) {}

  request(): void {
    if (!this.target.enabled()) return;
    this.dirty = true;
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, 20);
  }

  /** Cancels a coalescing write that has not started; a later request() schedules one again. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Writes now while the status is dirty; returns at once when a write is already running. */
  async flush(): Promise<void> {
    const t = this.target;
    if (this.writing || !t.enabled()) return;
    this.writing = true;
    try {
      while (this.dirty && t.enabled()) {
        this.dirty = false;
        const status = t.compute();
        const json = statusFingerprint(status);
        if (json === this.lastJson) continue;
        try {
          await t.core.patchNamespacedPodStatus({ name: t.name, namespace: t.namespace, body: statusPatch(status) },
            setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch));
          this.lastJson = json;
        } catch (e) {
          if (isApiStatus(e, 404)) return;
          if (isApiStatus(e, 422)) {
            t.log(`pod ${t.key}: status update refused: ${apiMessage(e)}`);
            return;
          }
          t.log(`pod ${t.key}: status update failed, retrying: ${apiMessage(e)}`);
          this.dirty = true;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
