import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Container } from "@kubernetes/client-node";
import { ContainerRun } from "../../podrunner/container-run.ts";
import { canMove, PodLifecycle, type PodLifecycleState } from "../../podrunner/pod-state.ts";
import { stopContainers, type StopDeps } from "../../podrunner/pod-stop.ts";

/** A container whose "process" exits on SIGKILL, and on SIGTERM unless it ignores it. */
function fakeContainer(name: string, pid: number | undefined, opts: { ignoresTerm?: boolean; spec?: Partial<V1Container> } = {}) {
  const c = new ContainerRun({ name, image: "img", ...opts.spec }, false, 0);
  let exit: () => void = () => undefined;
  if (pid !== undefined) {
    c.pid = pid;
    c.exited = new Promise<void>((resolve) => { exit = resolve; });
  }
  return { c, ignoresTerm: Boolean(opts.ignoresTerm), exit: () => { c.pid = undefined; exit(); } };
}

function harness(fakes: ReturnType<typeof fakeContainer>[], hook?: (name: string) => { ok: boolean; message: string }) {
  const t0 = Date.now();
  const events: string[] = [];
  const at = new Map<string, number>();
  const logs: string[] = [];
  const deps: StopDeps = {
    signal: (pid, signal) => {
      const f = fakes.find((x) => x.c.pid === pid);
      events.push(`${f?.c.spec.name ?? pid} ${signal}`);
      at.set(`${f?.c.spec.name ?? pid} ${signal}`, Date.now() - t0);
      if (f && (signal === "SIGKILL" || !f.ignoresTerm)) f.exit();
    },
    runHook: async (c, _pid, kind) => {
      events.push(`${c.spec.name} ${kind}`);
      return hook ? hook(c.spec.name) : { ok: true, message: "" };
    },
    log: (msg) => logs.push(msg),
  };
  return { deps, events, at, logs };
}

describe("the stop loop", () => {
  test("graceful: SIGTERM to all at once, SIGKILL only to what outlives the grace period", async () => {
    const polite = fakeContainer("polite", 101);
    const stubborn = fakeContainer("stubborn", 102, { ignoresTerm: true });
    const idle = fakeContainer("idle", undefined);
    let retried = false;
    idle.c.retryTimer = setTimeout(() => { retried = true; }, 20);
    let probed = false;
    polite.c.probes.push({ kind: "liveness", probe: {}, settings: { initialDelayMs: 0, periodMs: 1, timeoutMs: 1, successThreshold: 1, failureThreshold: 1 },
      state: { result: "success", consecutiveSuccesses: 0, consecutiveFailures: 0 }, busy: false, timer: setTimeout(() => { probed = true; }, 20) });
    const h = harness([polite, stubborn, idle]);
    const running: string[] = [];
    const notRunning: string[] = [];
    await stopContainers([polite.c, stubborn.c, idle.c], { graceMs: 300 }, h.deps,
      { running: (c) => running.push(c.spec.name), idle: (c) => notRunning.push(c.spec.name) });
    assert.deepEqual(h.events, ["polite SIGTERM", "stubborn SIGTERM", "stubborn SIGKILL"]);
    assert.ok(h.at.get("stubborn SIGKILL")! >= 295, `SIGKILL once the grace period is over (${h.at.get("stubborn SIGKILL")} ms)`);
    assert.ok(h.at.get("stubborn SIGTERM")! < 100, `SIGTERM to every container at once (${h.at.get("stubborn SIGTERM")} ms)`);
    assert.deepEqual(running, ["polite", "stubborn"]);
    assert.deepEqual(notRunning, ["idle"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(retried, false, "a pending restart is cancelled");
    assert.equal(idle.c.retryTimer, undefined);
    assert.equal(probed, false, "probes are cancelled");
    assert.deepEqual(polite.c.probes, []);
  });

  test("kill: SIGKILL at once, no preStop, no SIGTERM", async () => {
    const a = fakeContainer("a", 201, { spec: { lifecycle: { preStop: { exec: { command: ["true"] } } } } });
    const b = fakeContainer("b", 202, { ignoresTerm: true });
    const h = harness([a, b]);
    await stopContainers([a.c, b.c], "kill", h.deps);
    assert.deepEqual(h.events, ["a SIGKILL", "b SIGKILL"]);
  });

  test("preStop runs before SIGTERM; a failed hook is logged and the stop goes on", async () => {
    const a = fakeContainer("a", 301, { spec: { lifecycle: { preStop: { exec: { command: ["false"] } } } } });
    const h = harness([a], () => ({ ok: false, message: "exit 1" }));
    await stopContainers([a.c], { graceMs: 5_000 }, h.deps);
    assert.deepEqual(h.events, ["a preStop", "a SIGTERM"]);
    assert.deepEqual(h.logs, ["container a: preStop hook failed: exit 1"]);
  });
});

describe("the pod lifecycle", () => {
  test("moves only forward; terminating and abandoned are reachable from every live stage", () => {
    const states: PodLifecycleState[] = ["new", "setting-up", "running", "finished", "terminating", "abandoned"];
    const legal = states.flatMap((from) => states.filter((to) => canMove(from, to)).map((to) => `${from}→${to}`));
    assert.deepEqual(legal, [
      "new→setting-up", "new→terminating", "new→abandoned",
      "setting-up→running", "setting-up→terminating", "setting-up→abandoned",
      "running→finished", "running→terminating", "running→abandoned",
      "finished→terminating", "finished→abandoned",
      "terminating→abandoned",
    ]);
  });

  test("a deletion seen twice terminates once; an abandoned pod stays abandoned", () => {
    const l = new PodLifecycle();
    l.moveTo("setting-up");
    assert.equal(l.stopping, false);
    assert.equal(l.tryMove("terminating"), true);
    assert.equal(l.tryMove("terminating"), false);
    assert.equal(l.stopping, true);
    assert.equal(l.tryMove("abandoned"), true);
    assert.equal(l.tryMove("abandoned"), false);
    assert.throws(() => l.moveTo("running"), /no move from abandoned to running/);
  });
});
