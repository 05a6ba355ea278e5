import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { OperatorSettingsError, parseOperatorSettings } from "../src/settings.ts";

describe("operator settings", () => {
  test("defaults: leader election on, 15/10/2 s, identity from POD_NAME", () => {
    const s = parseOperatorSettings({ POD_NAME: "op-1", POD_NAMESPACE: "mdb-system" }, "host");
    assert.deepEqual([s.identity, s.podNamespace, s.leaderElect, s.leaseDurationMs, s.renewDeadlineMs, s.retryPeriodMs, s.watchNamespace], ["op-1", "mdb-system", true, 15_000, 10_000, 2_000, ""]);
  });
  const bad: [Record<string, string>, string][] = [
    [{ MDB_LEADER_ELECT: "yes" }, "MDB_LEADER_ELECT"],
    [{ MDB_HEALTH_PORT: "99999" }, "MDB_HEALTH_PORT"],
    [{ MDB_METRICS_PORT: "http" }, "MDB_METRICS_PORT"],
    [{ MDB_METRICS_PORT: "8081" }, "MDB_METRICS_PORT"],
    [{ MDB_LEASE_DURATION_SECONDS: "5" }, "MDB_RENEW_DEADLINE_SECONDS"],
    [{ MDB_RETRY_PERIOD_SECONDS: "12" }, "MDB_RETRY_PERIOD_SECONDS"],
    [{ MDB_RESYNC_SECONDS: "-1" }, "MDB_RESYNC_SECONDS"],
  ];
  for (const [env, variable] of bad) {
    test(`refuses ${JSON.stringify(env)}, naming ${variable}`, () => {
      assert.throws(() => parseOperatorSettings(env, "h"), (e: unknown) => e instanceof OperatorSettingsError && e.variable === variable);
    });
  }
});
