import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FORMATION_NODE_TIMEOUT_MS, formationNodeTimeoutMs, NodeTimeoutKeeper, wantedNodeTimeoutMs } from "../../src/sidecar/node-timeout.ts";
import { parseSidecarSettings } from "../../src/sidecar/settings.ts";
import { SettingsError } from "../../src/sidecar/engine-config.ts";

const info = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe("wantedNodeTimeoutMs", () => {
  const cases: [string, Record<string, string>, number, number | undefined][] = [
    ["an engine that knows no slot owner forms a cluster: the short timeout", { cluster_state: "fail", cluster_slots_assigned: "0" }, 5000, FORMATION_NODE_TIMEOUT_MS],
    ["no cluster info yet counts as no slot owner", {}, 5000, FORMATION_NODE_TIMEOUT_MS],
    ["a spec timeout below the formation one is kept", { cluster_state: "fail", cluster_slots_assigned: "0" }, 400, 400],
    ["cluster_state ok: the spec's timeout", { cluster_state: "ok", cluster_slots_assigned: "16384" }, 5000, 5000],
    ["knows slot owners but not ok (restarted member, failed cluster): left alone", { cluster_state: "fail", cluster_slots_assigned: "16384" }, 5000, undefined],
    ["knows some slot owners during formation: left alone", { cluster_state: "fail", cluster_slots_assigned: "5461" }, 15000, undefined],
  ];
  for (const [name, entries, spec, wanted] of cases) test(name, () => assert.equal(wantedNodeTimeoutMs(info(entries), spec), wanted));
  test("formation timeout is the shorter of the spec and 1 s", () => {
    assert.equal(formationNodeTimeoutMs(15000), 1000);
    assert.equal(formationNodeTimeoutMs(700), 700);
  });
});

class FakeEngine {
  calls: string[] = [];
  constructor(public timeout: number, private readonly resp3 = false) {}
  async call(...args: (string | number)[]): Promise<unknown> {
    this.calls.push(args.join(" "));
    if (args[0] === "CONFIG" && args[1] === "GET") return this.resp3 ? { "cluster-node-timeout": String(this.timeout) } : ["cluster-node-timeout", String(this.timeout)];
    if (args[0] === "CONFIG" && args[1] === "SET") { this.timeout = Number(args[3]); return "OK"; }
    throw new Error(`unexpected ${args.join(" ")}`);
  }
}

const quiet = { info: () => undefined };
const forming = { runId: "run-1", clusterInfo: info({ cluster_state: "fail", cluster_slots_assigned: "0" }) };
const joining = { runId: "run-1", clusterInfo: info({ cluster_state: "fail", cluster_slots_assigned: "5461" }) };
const ok = { runId: "run-1", clusterInfo: info({ cluster_state: "ok", cluster_slots_assigned: "16384" }) };

describe("NodeTimeoutKeeper", () => {
  test("a forming cluster runs short, keeps it while joining, and gets the spec's back once ok", async () => {
    const engine = new FakeEngine(5000);
    const keeper = new NodeTimeoutKeeper(engine, 5000, quiet);
    await keeper.keep(forming);
    assert.equal(engine.timeout, 1000);
    await keeper.keep(joining);
    assert.equal(engine.timeout, 1000, "an engine that learned slot owners but is not ok keeps the short timeout: the engine's own wait reads it at the switch to ok");
    await keeper.keep(ok);
    assert.equal(engine.timeout, 5000);
    await keeper.keep(ok);
    assert.deepEqual(engine.calls, ["CONFIG GET cluster-node-timeout", "CONFIG SET cluster-node-timeout 1000", "CONFIG SET cluster-node-timeout 5000"], "reads once per engine run, writes only changes");
  });
  test("a restarted engine that knows its cluster is left at its configured timeout until ok", async () => {
    const engine = new FakeEngine(5000, true);
    const keeper = new NodeTimeoutKeeper(engine, 5000, quiet);
    await keeper.keep({ ...joining, clusterInfo: info({ cluster_state: "fail", cluster_slots_assigned: "16384" }) });
    await keeper.keep(ok);
    assert.deepEqual(engine.calls, ["CONFIG GET cluster-node-timeout"]);
    assert.equal(engine.timeout, 5000);
  });
  test("a new engine run is read again (a restarted sidecar or engine may find the short timeout in force)", async () => {
    const engine = new FakeEngine(5000);
    const keeper = new NodeTimeoutKeeper(engine, 5000, quiet);
    await keeper.keep(forming);
    engine.timeout = 1000;
    await keeper.keep({ ...ok, runId: "run-2" });
    assert.equal(engine.timeout, 5000);
    assert.equal(engine.calls.filter((c) => c.startsWith("CONFIG GET")).length, 2);
  });
});

describe("sidecar settings: MDB_NODE_TIMEOUT_MS", () => {
  const files: Record<string, string> = { "/pw": "p4ssw0rd-0123456789", "/tok": "t".repeat(40) };
  const env = { MDB_POD_IP: "10.0.0.9", MDB_PASSWORD_FILE: "/pw", MDB_SIDECAR_TOKEN_FILE: "/tok" };
  const read = (p: string) => Buffer.from(files[p]);
  test("unset: the sidecar leaves the engine's timeout alone", () => assert.equal(parseSidecarSettings(env, read).nodeTimeoutMs, undefined));
  test("read from the pod", () => assert.equal(parseSidecarSettings({ ...env, MDB_NODE_TIMEOUT_MS: "3000" }, read).nodeTimeoutMs, 3000));
  test("a bad value names the variable", () => {
    assert.throws(() => parseSidecarSettings({ ...env, MDB_NODE_TIMEOUT_MS: "3s" }, read), (e: unknown) => e instanceof SettingsError && e.variable === "MDB_NODE_TIMEOUT_MS");
  });
});
