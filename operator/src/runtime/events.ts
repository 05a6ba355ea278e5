// Kubernetes Events for what a user should see in `kubectl describe mdb`: plans starting and
// finishing, conditions flipping. Best effort: a failed Event never fails a reconcile.
import type { CoreV1Event } from "@kubernetes/client-node";
import type { KubeClients } from "./kube.ts";
import type { MdbCluster } from "../api/types.ts";
import type { Logger } from "./log.ts";

export interface EventSink {
  record(cluster: MdbCluster, type: "Normal" | "Warning", reason: string, message: string): void;
}

export function kubeEvents(core: Pick<KubeClients["core"], "createNamespacedEvent">, component: string, log: Logger, now: () => Date = () => new Date()): EventSink {
  let seq = 0;
  return {
    record(cluster, type, reason, message) {
      const t = now();
      const body: CoreV1Event = {
        metadata: { name: `${cluster.metadata!.name}.${t.getTime().toString(36)}${(seq++).toString(36)}`, namespace: cluster.metadata!.namespace! },
        involvedObject: { apiVersion: cluster.apiVersion, kind: cluster.kind, name: cluster.metadata!.name, namespace: cluster.metadata!.namespace, uid: cluster.metadata!.uid },
        type, reason, message: message.slice(0, 1000),
        source: { component }, reportingComponent: component, reportingInstance: component,
        firstTimestamp: t, lastTimestamp: t, count: 1,
      };
      core.createNamespacedEvent({ namespace: cluster.metadata!.namespace!, body }).catch((err) => log.debug("event not recorded", { reason, error: String(err) }));
    },
  };
}
