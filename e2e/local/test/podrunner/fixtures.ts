// Fluent builders for the pod runner's unit tests: makePod().ns("a").container(makeContainer("c")...).obj()
import type { V1Container, V1ContainerState, V1EnvVar, V1Pod, V1Probe, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { ContainerView, PodView } from "../../podrunner/status.ts";

export class ContainerBuilder {
  private readonly c: V1Container;
  constructor(name: string) { this.c = { name, image: "mdbcluster/test-http:1" }; }
  image(image: string) { this.c.image = image; return this; }
  command(...argv: string[]) { this.c.command = argv; return this; }
  args(...argv: string[]) { this.c.args = argv; return this; }
  env(name: string, value: string) { (this.c.env ??= []).push({ name, value }); return this; }
  envFrom(v: V1EnvVar) { (this.c.env ??= []).push(v); return this; }
  envFromSource(source: NonNullable<V1Container["envFrom"]>[number]) { (this.c.envFrom ??= []).push(source); return this; }
  mount(m: V1VolumeMount) { (this.c.volumeMounts ??= []).push(m); return this; }
  limits(limits: Record<string, string>) { this.c.resources = { limits }; return this; }
  ports(...ports: { name?: string; containerPort: number }[]) { this.c.ports = ports; return this; }
  readiness(p: V1Probe) { this.c.readinessProbe = p; return this; }
  obj(): V1Container { return this.c; }
}
export const makeContainer = (name: string) => new ContainerBuilder(name);

export class PodBuilder {
  private readonly p: V1Pod = {
    metadata: { name: "web-1", namespace: "default", uid: "uid-1", labels: {}, annotations: {} },
    spec: { nodeName: "z1-r1-h1", serviceAccountName: "default", containers: [] },
  };
  name(name: string) { this.p.metadata!.name = name; return this; }
  ns(namespace: string) { this.p.metadata!.namespace = namespace; return this; }
  uid(uid: string) { this.p.metadata!.uid = uid; return this; }
  label(k: string, v: string) { this.p.metadata!.labels![k] = v; return this; }
  annotation(k: string, v: string) { this.p.metadata!.annotations![k] = v; return this; }
  node(name: string) { this.p.spec!.nodeName = name; return this; }
  hostname(h: string, subdomain?: string) { this.p.spec!.hostname = h; this.p.spec!.subdomain = subdomain; return this; }
  container(c: ContainerBuilder | V1Container) { this.p.spec!.containers.push(c instanceof ContainerBuilder ? c.obj() : c); return this; }
  volume(v: V1Volume) { (this.p.spec!.volumes ??= []).push(v); return this; }
  readinessGate(type: string) { (this.p.spec!.readinessGates ??= []).push({ conditionType: type }); return this; }
  condition(type: string, status: string, lastTransitionTime: Date) { (this.p.status ??= {}).conditions = [...(this.p.status?.conditions ?? []), { type, status, lastTransitionTime }]; return this; }
  obj(): V1Pod { return this.p; }
}
export const makePod = () => new PodBuilder();

export const running = (at = new Date("2026-01-01T00:00:00Z")): V1ContainerState => ({ running: { startedAt: at } });
export const terminated = (exitCode: number): V1ContainerState => ({ terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error" } });
export const waitingState = (reason: string): V1ContainerState => ({ waiting: { reason } });

export class ViewBuilder {
  private readonly v: PodView = {
    sandboxReady: true, podIP: "10.244.1.2", hostIP: "10.244.0.1", startTime: new Date("2026-01-01T00:00:00Z"),
    restartPolicy: "Always", initContainers: [], initialized: true, containers: [],
  };
  policy(p: PodView["restartPolicy"]) { this.v.restartPolicy = p; return this; }
  noSandbox() { this.v.sandboxReady = false; this.v.podIP = undefined; return this; }
  uninitialized() { this.v.initialized = false; return this; }
  init(name: string, state: V1ContainerState) { this.v.initContainers.push(cv(name, state, false)); return this; }
  container(name: string, state: V1ContainerState, ready = Boolean(state.running), lastState?: V1ContainerState) {
    this.v.containers.push({ ...cv(name, state, ready), lastState });
    return this;
  }
  terminal(phase: "Succeeded" | "Failed", reason?: string) { this.v.terminal = { phase, reason }; return this; }
  obj(): PodView { return this.v; }
}
function cv(name: string, state: V1ContainerState, ready: boolean): ContainerView {
  return { name, image: "img", imageID: "mdb-local://img", state, restartCount: 0, started: Boolean(state.running), ready };
}
export const makeView = () => new ViewBuilder();
