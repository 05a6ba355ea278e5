import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { computePodStatus, podPhase, statusFingerprint, statusPatch } from "../../podrunner/status.ts";
import { makePod, makeView, running, terminated, waitingState } from "./fixtures.ts";

const NOW = new Date("2026-01-01T00:05:00Z");

describe("pod status", () => {
  test("phase follows the kubelet's rules", () => {
    const cases: [string, ReturnType<typeof makeView>, string][] = [
      ["never started (image pull)", makeView().container("a", waitingState("ErrImagePull")), "Pending"],
      ["init not done", makeView().uninitialized().container("a", waitingState("PodInitializing")), "Pending"],
      ["one running, one waiting for the first time", makeView().container("a", running()).container("b", waitingState("ContainerCreating")), "Pending"],
      ["running", makeView().container("a", running()).container("b", running()), "Running"],
      ["running beside a crash-looping container", makeView().container("a", running()).container("b", waitingState("CrashLoopBackOff"), false, terminated(1)), "Running"],
      ["all exited 0, Always restarts", makeView().container("a", terminated(0)), "Running"],
      ["all exited 0, OnFailure", makeView().policy("OnFailure").container("a", terminated(0)), "Succeeded"],
      ["one failed, OnFailure will restart it", makeView().policy("OnFailure").container("a", terminated(0)).container("b", terminated(2)), "Running"],
      ["all exited 0, Never", makeView().policy("Never").container("a", terminated(0)).container("b", terminated(0)), "Succeeded"],
      ["one failed, Never", makeView().policy("Never").container("a", terminated(0)).container("b", terminated(137)), "Failed"],
      ["runner declared it failed", makeView().terminal("Failed", "InitContainerFailed").container("a", waitingState("PodInitializing")), "Failed"],
    ];
    for (const [name, view, want] of cases) assert.equal(podPhase(view.obj()), want, name);
  });

  test("Ready needs every container ready; the reason names the unready ones", () => {
    const status = computePodStatus(makePod().obj(), makeView().container("engine", running(), true).container("sidecar", running(), false).obj(), NOW);
    const ready = status.conditions!.find((c) => c.type === "Ready")!;
    assert.equal(ready.status, "False");
    assert.equal(ready.reason, "ContainersNotReady");
    assert.equal(ready.message, "containers with unready status: [sidecar]");
    assert.equal(status.conditions!.find((c) => c.type === "ContainersReady")!.status, "False");
    assert.equal(status.conditions!.find((c) => c.type === "PodReadyToStartContainers")!.status, "True");
    assert.equal(status.phase, "Running");
    assert.equal(status.podIP, "10.244.1.2");
    assert.deepEqual(status.podIPs, [{ ip: "10.244.1.2" }]);
  });

  test("readiness gates hold Ready until their condition is True", () => {
    const view = makeView().container("a", running(), true).obj();
    const gated = computePodStatus(makePod().readinessGate("mdbcluster.io/member").obj(), view, NOW);
    assert.equal(gated.conditions!.find((c) => c.type === "Ready")!.status, "False");
    assert.equal(gated.conditions!.find((c) => c.type === "Ready")!.reason, "ReadinessGatesNotReady");
    const open = computePodStatus(makePod().readinessGate("mdbcluster.io/member").condition("mdbcluster.io/member", "True", NOW).obj(), view, NOW);
    assert.equal(open.conditions!.find((c) => c.type === "Ready")!.status, "True");
  });

  test("lastTransitionTime changes only when a condition flips", () => {
    const earlier = new Date("2026-01-01T00:00:00Z");
    const pod = makePod().condition("Ready", "True", earlier).condition("Initialized", "False", earlier).obj();
    const status = computePodStatus(pod, makeView().container("a", running(), true).obj(), NOW);
    assert.deepEqual(status.conditions!.find((c) => c.type === "Ready")!.lastTransitionTime, earlier, "still True: keeps its time");
    assert.deepEqual(status.conditions!.find((c) => c.type === "Initialized")!.lastTransitionTime, NOW, "False → True: now");
  });

  test("a pod without a sandbox has no IP and is not ready to start containers", () => {
    const status = computePodStatus(makePod().obj(), makeView().noSandbox().container("a", waitingState("ContainerCreating")).obj(), NOW);
    assert.equal(status.podIP, undefined);
    assert.equal(status.conditions!.find((c) => c.type === "PodReadyToStartContainers")!.status, "False");
    assert.equal(status.phase, "Pending");
  });

  test("a finished pod is not Ready, with reason PodCompleted", () => {
    const status = computePodStatus(makePod().obj(), makeView().policy("Never").container("a", terminated(0), false).obj(), NOW);
    assert.equal(status.phase, "Succeeded");
    assert.equal(status.conditions!.find((c) => c.type === "Ready")!.reason, "PodCompleted");
  });

  test("the patch clears stale fields with nulls and replaces the IP lists", () => {
    const status = computePodStatus(makePod().obj(), makeView().container("a", running(), true, terminated(137)).obj(), NOW);
    const patch = statusPatch(status).status as { conditions: Record<string, unknown>[]; containerStatuses: { state: Record<string, unknown>; lastState: Record<string, unknown> }[]; podIPs: unknown[] };
    const ready = patch.conditions.find((c) => c.type === "Ready")!;
    assert.equal(ready.reason, null, "a True condition drops the reason it had while False");
    assert.equal(ready.message, null);
    assert.equal(patch.containerStatuses[0].state.terminated, null);
    assert.equal(patch.containerStatuses[0].state.waiting, null);
    assert.ok(patch.containerStatuses[0].state.running);
    assert.equal(patch.containerStatuses[0].lastState.running, null);
    assert.deepEqual(patch.podIPs, [{ ip: "10.244.1.2" }, { $patch: "replace" }]);
  });

  test("the fingerprint changes with what matters and not with transition times alone", () => {
    const view = (ready: boolean) => makeView().container("a", running(), ready).obj();
    const a = computePodStatus(makePod().obj(), view(true), NOW);
    const later = computePodStatus(makePod().obj(), view(true), new Date("2026-01-01T01:00:00Z"));
    const unready = computePodStatus(makePod().obj(), view(false), NOW);
    assert.equal(statusFingerprint(a), statusFingerprint(later), "same status at another time: no write");
    assert.notEqual(statusFingerprint(a), statusFingerprint(unready), "readiness changed: write");
  });
});
