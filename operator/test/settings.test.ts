import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { OperatorSettingsError, parseOperatorSettings } from "../src/settings.ts";

describe("operator settings", () => {
  test("defaults: leader election on, 15/10/2 s, identity from POD_NAME", () => {
    const s = parseOperatorSettings({ POD_NAME: "op-1", POD_NAMESPACE: "mdb-system" }, "host");
    assert.deepEqual([s.identity, s.podNamespace, s.leaderElect, s.leaseDurationMs, s.renewDeadlineMs, s.retryPeriodMs, s.watchNamespace], ["op-1", "mdb-system", true, 15_000, 10_000, 2_000, ""]);
  });
  test("MDB_OPERATOR_POD_LABELS: the operator's pod labels as key=value pairs; unset outside a pod", () => {
    const s = parseOperatorSettings({ MDB_OPERATOR_POD_LABELS: "app.kubernetes.io/name=mdb-operator, app.kubernetes.io/instance=ops" }, "h");
    assert.deepEqual(s.operatorPodLabels, { "app.kubernetes.io/name": "mdb-operator", "app.kubernetes.io/instance": "ops" });
    assert.deepEqual(parseOperatorSettings({}, "h").operatorPodLabels, {});
  });
  const bad: [Record<string, string>, string][] = [
    [{ MDB_LEADER_ELECT: "yes" }, "MDB_LEADER_ELECT"],
    [{ MDB_HEALTH_PORT: "99999" }, "MDB_HEALTH_PORT"],
    [{ MDB_METRICS_PORT: "http" }, "MDB_METRICS_PORT"],
    [{ MDB_METRICS_PORT: "8081" }, "MDB_METRICS_PORT"],
    [{ MDB_LEASE_DURATION_SECONDS: "5" }, "MDB_RENEW_DEADLINE_SECONDS"],
    [{ MDB_RETRY_PERIOD_SECONDS: "12" }, "MDB_RETRY_PERIOD_SECONDS"],
    [{ MDB_RESYNC_SECONDS: "-1" }, "MDB_RESYNC_SECONDS"],
    [{ MDB_OPERATOR_POD_LABELS: "app.kubernetes.io/name" }, "MDB_OPERATOR_POD_LABELS"],
    [{ MDB_OPERATOR_POD_LABELS: "a=b=c" }, "MDB_OPERATOR_POD_LABELS"],
    [{ MDB_OPERATOR_POD_LABELS: "app=my operator" }, "MDB_OPERATOR_POD_LABELS"],
  ];
  for (const [env, variable] of bad) {
    test(`refuses ${JSON.stringify(env)}, naming ${variable}`, () => {
      assert.throws(() => parseOperatorSettings(env, "h"), (e: unknown) => e instanceof OperatorSettingsError && e.variable === variable);
    });
  }
});
