// Pod events as the kubelet reports them (Pulled, Created, Started, Killing, Unhealthy, BackOff,
// Failed…), so `kubectl describe pod` explains what happened. Best effort: an event that cannot be
// written is dropped, and a repeat of the same event within a minute only bumps its count.
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type CoreV1Event, type V1Pod } from "@kubernetes/client-node";

export type EventType = "Normal" | "Warning";

export interface PodEvent { type: EventType; reason: string; message: string; container?: string }

const REPEAT_WINDOW_MS = 60_000;

/** The Event object for one occurrence (pure, for tests). */
export function podEventObject(pod: V1Pod, e: PodEvent, now: Date, count = 1): CoreV1Event {
  const node = pod.spec?.nodeName ?? "";
  const name = `${pod.metadata?.name}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
  return {
    metadata: { name, namespace: pod.metadata?.namespace },
    involvedObject: {
      apiVersion: "v1", kind: "Pod", name: pod.metadata?.name, namespace: pod.metadata?.namespace, uid: pod.metadata?.uid,
      ...(e.container ? { fieldPath: `spec.containers{${e.container}}` } : {}),
    },
    type: e.type, reason: e.reason, message: e.message, count,
    firstTimestamp: now, lastTimestamp: now,
    source: { component: "kubelet", host: node }, reportingComponent: "kubelet", reportingInstance: node,
  };
}

export class EventRecorder {
  private readonly recent = new Map<string, { at: number; name: string; namespace: string; count: number }>();

  constructor(private readonly core: CoreV1Api, private readonly log: (m: string) => void) {}

  record(pod: V1Pod, e: PodEvent): void {
    const key = `${pod.metadata?.uid}|${e.container ?? ""}|${e.reason}|${e.message}`;
    const now = new Date();
    const seen = this.recent.get(key);
    if (seen && now.getTime() - seen.at < REPEAT_WINDOW_MS) {
      seen.count++;
      seen.at = now.getTime();
      const body = { count: seen.count, lastTimestamp: now };
      void this.core.patchNamespacedEvent({ name: seen.name, namespace: seen.namespace, body },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch)).catch(() => undefined);
      return;
    }
    const event = podEventObject(pod, e, now);
    this.recent.set(key, { at: now.getTime(), name: event.metadata!.name!, namespace: event.metadata!.namespace!, count: 1 });
    if (this.recent.size > 5_000) {
      for (const [k, v] of this.recent) if (now.getTime() - v.at > REPEAT_WINDOW_MS) this.recent.delete(k);
    }
    this.core.createNamespacedEvent({ namespace: pod.metadata!.namespace!, body: event })
      .catch((err: Error) => this.log(`event ${e.reason} for ${pod.metadata?.namespace}/${pod.metadata?.name} dropped: ${err.message.split("\n")[0]}`));
  }
}
