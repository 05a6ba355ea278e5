import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  parseEngineSettings, quoteConfigValue, renderEngineConfig, replicaMaxLagSeconds, SettingsError, validatePassword,
} from "../../src/sidecar/engine-config.ts";

const baseEnv = { MDB_POD_IP: "10.1.2.3", MDB_ANNOUNCE_HOSTNAME: "m-0.mdb-demo.ns.svc", MDB_NODE_TIMEOUT_MS: "3000", MDB_MAXMEMORY: "512mb", MDB_DATA_DIR: "/data" };
const password = "p4ssw0rd-0123456789";

describe("renderEngineConfig", () => {
  const conf = renderEngineConfig(parseEngineSettings(baseEnv), password);
  const lines = conf.split("\n");
  const cases: [string, string][] = [
    ["binds the pod IP and loopback", "bind 10.1.2.3 127.0.0.1"],
    ["protected mode on", "protected-mode yes"],
    ["cluster mode", "cluster-enabled yes"],
    ["cluster config file in the data dir", 'cluster-config-file "/data/nodes.conf"'],
    ["announces the pod IP", "cluster-announce-ip 10.1.2.3"],
    ["announces the stable hostname", "cluster-announce-hostname m-0.mdb-demo.ns.svc"],
    ["node timeout", "cluster-node-timeout 3000"],
    ["maxmemory", "maxmemory 512mb"],
    ["appendonly by default", "appendonly yes"],
    ["requirepass from the Secret", `requirepass "${password}"`],
    ["masterauth from the Secret", `masterauth "${password}"`],
    ["data dir", 'dir "/data"'],
  ];
  for (const [name, line] of cases) test(name, () => assert.ok(lines.includes(line), `missing line "${line}" in:\n${conf}`));
  test("plaintext on the engine port by default; no TLS line", () => {
    assert.ok(lines.includes("port 6379"));
    assert.ok(!conf.includes("tls-"));
  });
  test("MDB_ENGINE_TLS=yes: TLS only on the engine port, for clients, replication and the bus, with the member's certificate", () => {
    const tls = { MDB_ENGINE_TLS: "yes", MDB_TLS_CA_FILE: "/etc/mdb/tls/ca.crt", MDB_TLS_CERT_FILE: "/etc/mdb/tls/tls.crt", MDB_TLS_KEY_FILE: "/etc/mdb/tls/tls.key" };
    const c = renderEngineConfig(parseEngineSettings({ ...baseEnv, ...tls }), password).split("\n");
    for (const line of ["port 0", "tls-port 6379", 'tls-cert-file "/etc/mdb/tls/tls.crt"', 'tls-key-file "/etc/mdb/tls/tls.key"', 'tls-ca-cert-file "/etc/mdb/tls/ca.crt"',
      "tls-cluster yes", "tls-replication yes", "tls-auth-clients no"]) assert.ok(c.includes(line), `missing "${line}"`);
    assert.ok(!c.includes("port 6379"));
    assert.throws(() => parseEngineSettings({ ...baseEnv, MDB_ENGINE_TLS: "yes" }), /MDB_TLS_CA_FILE: MDB_ENGINE_TLS=yes needs MDB_TLS_CA_FILE, MDB_TLS_CERT_FILE and MDB_TLS_KEY_FILE/);
    assert.throws(() => parseEngineSettings({ ...baseEnv, ...tls, MDB_TLS_KEY_FILE: "" }), /MDB_TLS_KEY_FILE: MDB_ENGINE_TLS=yes needs .* missing MDB_TLS_KEY_FILE/);
    assert.throws(() => parseEngineSettings({ ...baseEnv, MDB_ENGINE_TLS: "true" }), /MDB_ENGINE_TLS: "true" must be yes or no/);
  });
  test("no announce-hostname line when none is given", () => {
    const c = renderEngineConfig(parseEngineSettings({ ...baseEnv, MDB_ANNOUNCE_HOSTNAME: "" }), password);
    assert.ok(!c.includes("cluster-announce-hostname"));
  });
  test("a loopback pod IP binds only itself", () => {
    const c = renderEngineConfig(parseEngineSettings({ ...baseEnv, MDB_POD_IP: "127.0.5.9" }), password);
    assert.ok(c.split("\n").includes("bind 127.0.5.9"));
  });
  test("a full sync starts once every standby of the shard waits for it; no such line without standbys", () => {
    assert.ok(renderEngineConfig(parseEngineSettings({ ...baseEnv, MDB_REPLICAS: "2" }), password).split("\n").includes("repl-diskless-sync-max-replicas 2"));
    assert.ok(!renderEngineConfig(parseEngineSettings({ ...baseEnv, MDB_REPLICAS: "0" }), password).includes("repl-diskless-sync-max-replicas"));
  });
  test("appendonly no when persistence is off", () => {
    assert.ok(renderEngineConfig(parseEngineSettings({ ...baseEnv, MDB_APPENDONLY: "no" }), password).includes("appendonly no\n"));
  });
});

describe("durability: min-replicas-to-write and min-replicas-max-lag", () => {
  const directives = (env: Record<string, string>) =>
    renderEngineConfig(parseEngineSettings({ ...baseEnv, ...env }), password).split("\n").filter((l) => l.startsWith("min-replicas-"));
  const cases: [string, Record<string, string>, string[]][] = [
    ["async (the default) never waits for a standby", {}, ["min-replicas-to-write 0"]],
    ["async, said so", { MDB_DURABILITY: "async", MDB_REPLICAS: "2" }, ["min-replicas-to-write 0"]],
    ["replicated: one standby in sync, lag bound = the node timeout (3000 ms → 3 s)", { MDB_DURABILITY: "replicated", MDB_REPLICAS: "1" },
      ["min-replicas-to-write 1", "min-replicas-max-lag 3"]],
    ["replicated with several standbys still asks for one", { MDB_DURABILITY: "replicated", MDB_REPLICAS: "3", MDB_NODE_TIMEOUT_MS: "5000" },
      ["min-replicas-to-write 1", "min-replicas-max-lag 5"]],
    ["replicated without standbys (the CRD refuses it) does not refuse every write", { MDB_DURABILITY: "replicated", MDB_REPLICAS: "0" },
      ["min-replicas-to-write 0"]],
  ];
  for (const [name, env, want] of cases) test(name, () => assert.deepEqual(directives(env), want));

  test("the lag bound: the node timeout rounded up to whole seconds, within 2..10", () => {
    const table: [number, number][] = [[100, 2], [1000, 2], [2000, 2], [2001, 3], [5000, 5], [9999, 10], [10_000, 10], [600_000, 10]];
    assert.deepEqual(table.map(([ms]) => [ms, replicaMaxLagSeconds(ms)]), table);
  });
});

describe("parseEngineSettings refuses bad settings, naming the variable", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["standbys not a count", { ...baseEnv, MDB_REPLICAS: "some" }, "MDB_REPLICAS"],
    ["missing pod IP", { MDB_POD_IP: "" }, "MDB_POD_IP"],
    ["pod IP not an address", { MDB_POD_IP: "10.1.2" }, "MDB_POD_IP"],
    ["node timeout not a number", { MDB_NODE_TIMEOUT_MS: "5s" }, "MDB_NODE_TIMEOUT_MS"],
    ["node timeout too small", { MDB_NODE_TIMEOUT_MS: "10" }, "MDB_NODE_TIMEOUT_MS"],
    ["maxmemory not a size", { MDB_MAXMEMORY: "lots" }, "MDB_MAXMEMORY"],
    ["bad eviction policy", { MDB_MAXMEMORY_POLICY: "lru" }, "MDB_MAXMEMORY_POLICY"],
    ["bad hostname", { MDB_ANNOUNCE_HOSTNAME: "not a host" }, "MDB_ANNOUNCE_HOSTNAME"],
    ["relative data dir", { MDB_DATA_DIR: "data" }, "MDB_DATA_DIR"],
    ["port out of range", { MDB_ENGINE_PORT: "60000" }, "MDB_ENGINE_PORT"],
    ["appendonly not yes/no", { MDB_APPENDONLY: "true" }, "MDB_APPENDONLY"],
    ["durability not a mode", { MDB_DURABILITY: "sync" }, "MDB_DURABILITY"],
  ];
  for (const [name, patch, variable] of cases) {
    test(name, () => assert.throws(() => parseEngineSettings({ ...baseEnv, ...patch }),
      (err: unknown) => err instanceof SettingsError && err.variable === variable && err.message.startsWith(`${variable}: `)));
  }
});

describe("password and quoting", () => {
  test("a short password is refused", () => assert.throws(() => validatePassword("short", "MDB_PASSWORD_FILE"), /at least 16/));
  test("a trailing newline from the Secret file is dropped", () => assert.equal(validatePassword(`${password}\n`, "f"), password));
  test("a multi-line password is refused", () => assert.throws(() => validatePassword("aaaaaaaaaaaaaaaa\nbbbb", "f"), /single line/));
  test("quotes and backslashes are escaped", () => assert.equal(quoteConfigValue('a"b\\c'), '"a\\"b\\\\c"'));
});
