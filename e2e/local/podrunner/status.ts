// Pod status as the kubelet writes it, computed from what the runner observes. Pure: the shell
// passes the pod, a snapshot of its containers and the time, and patches the result.
import type { V1ContainerState, V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from "@kubernetes/client-node";
import type { RestartPolicy } from "./restarts.ts";

export interface ContainerView {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  state: V1ContainerState;
  lastState?: V1ContainerState;
  restartCount: number;
  started: boolean;
  ready: boolean;
}

export interface PodView {
  sandboxReady: boolean;
  podIP?: string;
  hostIP: string;
  startTime: Date;
  restartPolicy: RestartPolicy;
  initContainers: ContainerView[];
  /** True once every init container has completed successfully (or there are none). */
  initialized: boolean;
  containers: ContainerView[];
  /** Set when the runner has given up on the pod (e.g. an init container failed under restartPolicy Never). */
  terminal?: { phase: "Succeeded" | "Failed"; reason?: string; message?: string };
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

/** The kubelet's getPhase: waiting containers that never ran keep the pod Pending. */
export function podPhase(view: PodView): PodPhase {
  if (view.terminal) return view.terminal.phase;
  if (!view.initialized) return "Pending";
  let waiting = 0, running = 0, stopped = 0, succeeded = 0;
  for (const c of view.containers) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState?.terminated) {
      stopped++;
      if (c.lastState.terminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped === view.containers.length && stopped > 0) {
    if (view.restartPolicy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    return view.restartPolicy === "Never" ? "Failed" : "Running";
  }
  return "Pending";
}

function condition(type: string, ok: boolean, now: Date, previous: V1PodCondition[] | undefined, reason?: string, message?: string): V1PodCondition {
  const status = ok ? "True" : "False";
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status && before.lastTransitionTime ? new Date(before.lastTransitionTime) : now;
  const out: V1PodCondition = { type, status, lastTransitionTime };
  if (!ok && reason) out.reason = reason;
  if (!ok && message) out.message = message;
  return out;
}

/** The status subresource body: phase, conditions, IPs, container statuses. */
export function computePodStatus(pod: V1Pod, view: PodView, now: Date): V1PodStatus {
  const phase = podPhase(view);
  const previous = pod.status?.conditions;
  const terminal = phase === "Succeeded" || phase === "Failed";
  const unready = view.containers.filter((c) => !c.ready).map((c) => c.name);
  const containersReady = !terminal && unready.length === 0 && view.containers.length > 0;
  const gates = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType);
  const failedGates = gates.filter((g) => previous?.find((c) => c.type === g)?.status !== "True");
  const notReadyReason = terminal ? "PodCompleted" : unready.length > 0 ? "ContainersNotReady" : "ReadinessGatesNotReady";
  const notReadyMessage = terminal ? undefined : unready.length > 0
    ? `containers with unready status: [${unready.join(" ")}]`
    : `corresponding condition of pod readiness gate "${failedGates[0]}" does not exist or is not True`;
  const uninitialized = view.initContainers.filter((c) => !(c.state.terminated?.exitCode === 0) && !(c.state.running && c.started)).map((c) => c.name);
  const conditions: V1PodCondition[] = [
    condition("PodReadyToStartContainers", view.sandboxReady, now, previous),
    condition("Initialized", view.initialized, now, previous, "ContainersNotInitialized",
      `containers with incomplete status: [${uninitialized.join(" ")}]`),
    condition("Ready", containersReady && failedGates.length === 0, now, previous, notReadyReason, notReadyMessage),
    condition("ContainersReady", containersReady, now, previous, terminal ? "PodCompleted" : "ContainersNotReady",
      terminal ? undefined : `containers with unready status: [${unready.join(" ")}]`),
  ];
  const status: V1PodStatus = {
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    startTime: view.startTime,
    initContainerStatuses: view.initContainers.map(containerStatus),
    containerStatuses: view.containers.map(containerStatus),
    qosClass: pod.status?.qosClass,
  };
  if (view.podIP) {
    status.podIP = view.podIP;
    status.podIPs = [{ ip: view.podIP }];
  }
  if (view.terminal?.reason) status.reason = view.terminal.reason;
  if (view.terminal?.message) status.message = view.terminal.message;
  return status;
}

function containerStatus(c: ContainerView): V1ContainerStatus {
  const out: V1ContainerStatus = {
    name: c.name,
    image: c.image,
    imageID: c.imageID,
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
    state: c.state,
    lastState: c.lastState ?? {},
  };
  if (c.containerID) out.containerID = c.containerID;
  return out;
}

/** Waiting state with a reason, e.g. ContainerCreating, ErrImagePull, CrashLoopBackOff. */
export function waiting(reason: string, message?: string): V1ContainerState {
  return { waiting: message ? { reason, message } : { reason } };
}

/**
 * What decides whether a status write is needed: the status without transition times (they only
 * move when a condition flips, which the rest of the status already shows).
 */
export function statusFingerprint(status: V1PodStatus): string {
  return JSON.stringify(status, (key, value) => (key === "lastTransitionTime" || key === "lastProbeTime" ? undefined : value));
}

/**
 * The strategic-merge patch body for a status: merge patches keep fields the patch does not
 * mention, so fields that must disappear (a condition's old reason, a container's previous state)
 * are sent as explicit nulls.
 */
export function statusPatch(status: V1PodStatus): { status: Record<string, unknown> } {
  const state = (s: V1ContainerState | undefined) => ({ waiting: s?.waiting ?? null, running: s?.running ?? null, terminated: s?.terminated ?? null });
  const containers = (list: V1ContainerStatus[] | undefined) => list?.map((c) => ({ ...c, state: state(c.state), lastState: state(c.lastState) }));
  return {
    status: {
      ...status,
      reason: status.reason ?? null,
      message: status.message ?? null,
      // podIPs/hostIPs merge by ip: replace them so a changed address never leaves two of a family.
      ...(status.podIPs ? { podIPs: [...status.podIPs, { $patch: "replace" }] } : {}),
      ...(status.hostIPs ? { hostIPs: [...status.hostIPs, { $patch: "replace" }] } : {}),
      conditions: status.conditions?.map((c) => ({ ...c, reason: c.reason ?? null, message: c.message ?? null })),
      initContainerStatuses: containers(status.initContainerStatuses),
      containerStatuses: containers(status.containerStatuses),
    },
  };
}
