import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { initialProbeState, observeProbe, probeHandler, probeSettings, resolveProbePort, type ProbeState } from "../../podrunner/probes.ts";
import { backoffFromEnv, DEFAULT_BACKOFF, nextConsecutiveExits, restartDelayMs, restartPolicyOf, shouldRestart, terminatedState } from "../../podrunner/restarts.ts";
import { decodeHealthStatus, encodeHealthRequest } from "../../podrunner/probe-runner.ts";

describe("probes", () => {
  test("settings take Kubernetes defaults and refuse bad values by field", () => {
    assert.deepEqual(probeSettings({ tcpSocket: { port: 1 } }, "readiness"),
      { initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual(probeSettings({ tcpSocket: { port: 1 }, initialDelaySeconds: 2, periodSeconds: 1, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 5 }, "readiness"),
      { initialDelayMs: 2_000, periodMs: 1_000, timeoutMs: 3_000, successThreshold: 2, failureThreshold: 5 });
    assert.throws(() => probeSettings({ tcpSocket: { port: 1 }, successThreshold: 2 }, "liveness"), /livenessProbe\.successThreshold must be 1/);
    assert.throws(() => probeSettings({ tcpSocket: { port: 1 }, periodSeconds: -1 }, "startup"), /startupProbe\.periodSeconds must be an integer ≥ 1/);
  });

  test("each kind starts where the kubelet starts it", () => {
    assert.equal(initialProbeState("readiness").result, "failure");
    assert.equal(initialProbeState("liveness").result, "success");
    assert.equal(initialProbeState("startup").result, "unknown");
  });

  test("results flip only after the thresholds of consecutive outcomes", () => {
    const settings = { initialDelayMs: 0, periodMs: 1, timeoutMs: 1, successThreshold: 2, failureThreshold: 3 };
    const run = (start: ProbeState, outcomes: boolean[]) => outcomes.map((ok) => (start = observeProbe(start, ok, settings)).result);
    assert.deepEqual(run(initialProbeState("readiness"), [true, true, false, false, true, false, false, false]),
      ["failure", "success", "success", "success", "success", "success", "success", "failure"]);
    assert.deepEqual(run(initialProbeState("liveness"), [false, false, true, false, false, false]),
      ["success", "success", "success", "success", "success", "failure"]);
  });

  test("a probe sets exactly one handler, and named ports resolve", () => {
    assert.equal(probeHandler({ grpc: { port: 9090 } }, "liveness"), "grpc");
    assert.throws(() => probeHandler({}, "readiness"), /readinessProbe must set exactly one of exec, httpGet, tcpSocket, grpc \(found none\)/);
    assert.throws(() => probeHandler({ exec: {}, tcpSocket: { port: 1 } }, "readiness"), /found exec, tcpSocket/);
    const ports = [{ name: "http", containerPort: 8080 }];
    assert.equal(resolveProbePort("http", ports, "readiness"), 8080);
    assert.equal(resolveProbePort("9000", ports, "readiness"), 9000);
    assert.equal(resolveProbePort(7, ports, "readiness"), 7);
    assert.throws(() => resolveProbePort("grpc", ports, "liveness"), /livenessProbe port "grpc" names no port/);
    assert.throws(() => probeHandler({}, "preStop"), /lifecycle\.preStop must set exactly one of/);
  });

  test("grpc health messages encode and decode by hand", () => {
    assert.deepEqual(encodeHealthRequest(""), Buffer.alloc(0));
    assert.deepEqual(encodeHealthRequest("mdb"), Buffer.from([0x0a, 3, 0x6d, 0x64, 0x62]));
    assert.equal(decodeHealthStatus(Buffer.from([0x08, 0x01])), 1);
    assert.equal(decodeHealthStatus(Buffer.from([0x08, 0x02])), 2);
    assert.equal(decodeHealthStatus(Buffer.alloc(0)), 0, "an empty message is UNKNOWN");
  });
});

describe("restarts", () => {
  test("restart policy decides by exit code", () => {
    const cases: [ReturnType<typeof restartPolicyOf>, number, boolean][] = [
      ["Always", 0, true], ["Always", 1, true], ["OnFailure", 0, false], ["OnFailure", 137, true], ["Never", 1, false], ["Never", 0, false],
    ];
    for (const [policy, code, want] of cases) assert.equal(shouldRestart(policy, code), want, `${policy}/${code}`);
    assert.equal(restartPolicyOf(undefined), "Always");
    assert.throws(() => restartPolicyOf("Sometimes"), /spec\.restartPolicy "Sometimes" is not one of Always, OnFailure, Never/);
  });

  test("back-off: first restart at once, then 10 s doubling, capped at 5 min", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelayMs(n, DEFAULT_BACKOFF) / 1000);
    assert.deepEqual(delays, [0, 10, 20, 40, 80, 160, 300, 300]);
  });

  test("a container that ran stably starts its back-off over", () => {
    assert.equal(nextConsecutiveExits(5, 1_000, DEFAULT_BACKOFF), 6);
    assert.equal(nextConsecutiveExits(5, DEFAULT_BACKOFF.stableAfterMs, DEFAULT_BACKOFF), 1);
  });

  test("back-off settings come from the environment for tests, and bad values are named", () => {
    assert.deepEqual(backoffFromEnv({ MDB_PODRUNNER_BACKOFF_BASE_MS: "200" }), { baseMs: 200, capMs: 300_000, stableAfterMs: 600_000 });
    assert.equal(backoffFromEnv({ MDB_PODRUNNER_BACKOFF_BASE_MS: "200", MDB_PODRUNNER_BACKOFF_CAP_MS: "1000" }).capMs, 1000);
    assert.throws(() => backoffFromEnv({ MDB_PODRUNNER_BACKOFF_BASE_MS: "soon" }), /MDB_PODRUNNER_BACKOFF_BASE_MS="soon": expected a non-negative number/);
  });

  test("terminated states: 128+signal for a signal, Completed for 0, Error otherwise", () => {
    const t = (code: number | null, signal: string | null, signalNumber?: number) =>
      terminatedState({ code, signal, signalNumber }, "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "mdb://1");
    assert.deepEqual([t(0, null).exitCode, t(0, null).reason], [0, "Completed"]);
    assert.deepEqual([t(3, null).exitCode, t(3, null).reason], [3, "Error"]);
    assert.deepEqual([t(null, "SIGKILL", 9).exitCode, t(null, "SIGKILL", 9).signal], [137, 9]);
    assert.equal(t(null, "SIGTERM", 15).exitCode, 143);
  });
});
