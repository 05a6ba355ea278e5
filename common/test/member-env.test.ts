// The member pod's environment contract (common/member-env.ts): what the operator encodes, the member
// image parses back to the same values, for every variable; a bad value is refused naming its variable.
// The operator's real member pod read by the sidecar's settings: node-image/test/sidecar/member-pod-env.test.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DURABILITIES, engineContainerEnv, MAXMEMORY_POLICIES, MemberEnv, parseEngineEnv, parsePasswordFile, parseSidecarEnv, POD_IP_FIELD, SettingsError, sidecarContainerEnv,
  type EngineEnvInput, type MemberEnvName, type SidecarEnvInput,
} from "../member-env.ts";
import { LOG_LEVELS } from "../log-level.ts";

const POD_IP = "10.1.2.3";

/** The environment the kubelet hands the container: the values as given, the pod IP from the downward API. */
function asKubelet(vars: readonly { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[], podIp = POD_IP): Record<string, string> {
  return Object.fromEntries(vars.map((v) => {
    if (v.value !== undefined) return [v.name, v.value];
    assert.equal(v.valueFrom?.fieldRef?.fieldPath, POD_IP_FIELD, `${v.name}: only the pod IP comes from the downward API`);
    return [v.name, podIp];
  }));
}

const TLS = { caFile: "/etc/mdb/tls/ca.crt", certFile: "/etc/mdb/tls/tls.crt", keyFile: "/etc/mdb/tls/tls.key" };
const shared = { dataDir: "/var/lib/mdb", enginePort: 6380, passwordFile: "/etc/mdb/auth/password", nodeTimeoutMs: 2500, engineTls: TLS };
const engineInput: EngineEnvInput = {
  ...shared, announceHostname: "demo-1-0.demo-members.ns.svc", maxMemory: "512mb", maxMemoryPolicy: "allkeys-lru", appendOnly: false, replicas: 2, durability: "replicated",
};
const sidecarInput: SidecarEnvInput = {
  ...shared, tokenFile: "/etc/mdb/sidecar/token", tls: TLS, tlsReloadMs: 2500,
  sidecarPort: 7170, healthPort: 7171, metricsPort: 7172, observeIntervalMs: 100, livenessStaleMs: 20_000, fenceTokenTtlMs: 60_000,
  logLevel: "debug", identity: { namespace: "ns", cluster: "demo", member: "demo-1-0", shard: 1 }, nodeOptions: "--max-semi-space-size=1",
};

/** The image's variables: set by node-image/Dockerfile, not by the operator. */
const imageVariables: MemberEnvName[] = [MemberEnv.ENGINE_CONFIG, MemberEnv.SIDECAR_JS];

describe("member env: the operator's encoding parses back to the same values", () => {
  test("the engine container, every variable", () => {
    const env = asKubelet(engineContainerEnv(engineInput));
    const { passwordFile, ...rest } = engineInput;
    assert.deepEqual(parseEngineEnv(env), { ...rest, podIp: POD_IP });
    assert.equal(parsePasswordFile(env), passwordFile);
  });

  test("the engine's durability: each mode round-trips, and unset is async (a pod from before the variable)", () => {
    for (const durability of DURABILITIES) assert.equal(parseEngineEnv(asKubelet(engineContainerEnv({ ...engineInput, durability }))).durability, durability);
    const { [MemberEnv.DURABILITY]: _d, ...without } = asKubelet(engineContainerEnv(engineInput));
    assert.equal(parseEngineEnv(without).durability, "async");
  });

  test("the sidecar container, every variable (NODE_OPTIONS is Node's: the sidecar does not parse it)", () => {
    const { nodeOptions, ...parsedBySidecar } = sidecarInput;
    const env = asKubelet(sidecarContainerEnv(sidecarInput));
    assert.equal(env.NODE_OPTIONS, nodeOptions);
    assert.deepEqual(parseSidecarEnv(env), {
      ...parsedBySidecar, podIp: POD_IP, tokenFile: sidecarInput.tokenFile, tls: sidecarInput.tls,
    });
  });

  test("the sidecar's optional variables left out are their defaults; a token alone or mTLS alone authenticates", () => {
    const { tls: _tls, engineTls: _e, tlsReloadMs: _r, observeIntervalMs: _o, livenessStaleMs: _l, fenceTokenTtlMs: _f, metricsPort: _m, logLevel: _v, identity: _i, ...minimal } = sidecarInput;
    const parsed = parseSidecarEnv(asKubelet(sidecarContainerEnv(minimal)));
    assert.deepEqual([parsed.tls, parsed.tlsReloadMs, parsed.observeIntervalMs, parsed.livenessStaleMs, parsed.fenceTokenTtlMs, parsed.metricsPort, parsed.logLevel],
      [undefined, 10_000, 250, 15_000, 300_000, 7072, "info"]);
    assert.deepEqual(parsed.identity, { namespace: "", cluster: "", member: "", shard: undefined }, "a pod of an older operator: the sidecar does not know who it is");
    const { tokenFile: _t, ...mtlsOnly } = sidecarInput;
    assert.deepEqual(parseSidecarEnv(asKubelet(sidecarContainerEnv(mtlsOnly))).tokenFile, undefined);
  });

  test("the engines' TLS: left out, both containers are plaintext; ENGINE_TLS=yes needs the three files", () => {
    const { engineTls: _e, ...plain } = engineInput;
    assert.equal(parseEngineEnv(asKubelet(engineContainerEnv(plain))).engineTls, undefined);
    assert.ok(!engineContainerEnv(plain).some((v) => v.name === MemberEnv.ENGINE_TLS || v.name === MemberEnv.TLS_CA_FILE));
    const { engineTls: _s, ...plainSidecar } = sidecarInput;
    assert.equal(parseSidecarEnv(asKubelet(sidecarContainerEnv(plainSidecar))).engineTls, undefined);
    const { tls: _t, ...noFiles } = sidecarInput;
    assert.throws(() => parseSidecarEnv(asKubelet(sidecarContainerEnv(noFiles))), /^SettingsError: MDB_TLS_CA_FILE: MDB_ENGINE_TLS=yes needs MDB_TLS_CA_FILE, MDB_TLS_CERT_FILE and MDB_TLS_KEY_FILE/);
  });

  test("every variable of the pod is written by one of the encoders; the image sets the rest", () => {
    const written = new Set<string>([...engineContainerEnv(engineInput), ...sidecarContainerEnv(sidecarInput)].map((v) => v.name));
    const pod = Object.values(MemberEnv).filter((name) => !imageVariables.includes(name));
    assert.deepEqual(pod.filter((name) => !written.has(name)), [], "a variable of the contract no encoder writes");
    assert.deepEqual([...written].filter((name) => !pod.includes(name as MemberEnvName)), []);
  });

  test("property: any valid values survive the round trip", () => {
    const port = fc.integer({ min: 1, max: 55535 });
    const path = fc.array(fc.stringMatching(/^[a-z0-9._-]{1,12}$/), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join("/")}`);
    const objectName = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,30}[a-z0-9])?$/);
    const sharedArb = fc.record({ dataDir: path, enginePort: port, passwordFile: path, nodeTimeoutMs: fc.integer({ min: 100, max: 600_000 }) });
    const engineArb = fc.record({
      shared: sharedArb, announceHostname: fc.oneof(fc.constant(""), fc.domain()),
      maxMemory: fc.tuple(fc.nat(), fc.constantFrom("", "b", "k", "kb", "m", "mb", "g", "gb", "GB")).map(([n, unit]) => `${n}${unit}`),
      maxMemoryPolicy: fc.constantFrom(...MAXMEMORY_POLICIES), appendOnly: fc.boolean(), replicas: fc.integer({ min: 0, max: 16 }),
      durability: fc.constantFrom(...DURABILITIES), podIp: fc.ipV4(),
    });
    fc.assert(fc.property(engineArb, ({ shared: s, podIp, ...engine }) => {
      const env = asKubelet(engineContainerEnv({ ...s, ...engine }), podIp);
      const { passwordFile, ...rest } = s;
      assert.deepEqual(parseEngineEnv(env), { ...rest, ...engine, podIp });
      assert.equal(parsePasswordFile(env), passwordFile);
    }));
    const sidecarArb = fc.record({
      shared: sharedArb, podIp: fc.ipV4(), tokenFile: path, sidecarPort: port, healthPort: port,
      tls: fc.option(fc.record({ caFile: path, certFile: path, keyFile: path }).map((t) => ({ ...t })), { nil: undefined }), tlsReloadMs: fc.integer({ min: 100, max: 600_000 }),
      observeIntervalMs: fc.integer({ min: 50, max: 5000 }), livenessStaleMs: fc.integer({ min: 1000, max: 600_000 }), fenceTokenTtlMs: fc.integer({ min: 1000, max: 3_600_000 }),
      metricsPort: port, logLevel: fc.constantFrom(...LOG_LEVELS),
      identity: fc.record({ namespace: objectName, cluster: objectName, member: objectName, shard: fc.integer({ min: 0, max: 999 }) }).map((i) => ({ ...i })),
    });
    fc.assert(fc.property(sidecarArb, ({ shared: s, podIp, ...sidecar }) => {
      assert.deepEqual(parseSidecarEnv(asKubelet(sidecarContainerEnv({ ...s, ...sidecar }), podIp)), { ...s, ...sidecar, podIp });
    }));
  });
});

describe("member env: a bad value is refused naming its variable", () => {
  const engineEnv = asKubelet(engineContainerEnv(engineInput));
  // The mTLS rules alone: a sidecar of plaintext engines.
  const sidecarEnv = asKubelet(sidecarContainerEnv({ ...sidecarInput, engineTls: undefined }));
  const refuses = (fn: () => unknown, variable: string, pattern: RegExp) =>
    assert.throws(fn, (err: unknown) => err instanceof SettingsError && err.variable === variable && err.message.startsWith(`${variable}: `) && pattern.test(err.message));
  const engineCases: [MemberEnvName, string | undefined, RegExp][] = [
    [MemberEnv.POD_IP, undefined, /is required \(the pod IP .* status\.podIP\)/],
    [MemberEnv.POD_IP, "10.1.2", /is not an IPv4 address/],
    [MemberEnv.ANNOUNCE_HOSTNAME, "not a host", /is not a DNS name/],
    [MemberEnv.NODE_TIMEOUT_MS, "5s", /must be an integer number of milliseconds in 100\.\.600000/],
    [MemberEnv.MAXMEMORY, "lots", /is not a size/],
    [MemberEnv.MAXMEMORY_POLICY, "lru", /is not one of noeviction, /],
    [MemberEnv.APPENDONLY, "true", /must be yes or no/],
    [MemberEnv.DATA_DIR, "data", /must be an absolute path/],
    [MemberEnv.REPLICAS, "17", /an integer in 0\.\.16/],
    [MemberEnv.DURABILITY, "sync", /"sync" is not one of async, replicated$/],
    [MemberEnv.DURABILITY, "Replicated", /is not one of async, replicated$/],
    [MemberEnv.ENGINE_PORT, "60000", /is not a port in 1\.\.55535/],
  ];
  for (const [variable, value, pattern] of engineCases) {
    test(`engine: ${variable}=${JSON.stringify(value)}`, () => refuses(() => parseEngineEnv({ ...engineEnv, [variable]: value }), variable, pattern));
  }
  test(`engine: ${MemberEnv.PASSWORD_FILE} unset`, () => refuses(() => parsePasswordFile({ ...engineEnv, [MemberEnv.PASSWORD_FILE]: " " }), MemberEnv.PASSWORD_FILE, /is required/));

  const sidecarCases: [MemberEnvName, string | undefined, RegExp, Partial<Record<MemberEnvName, string | undefined>>?][] = [
    [MemberEnv.POD_IP, "", /is required/],
    [MemberEnv.PASSWORD_FILE, undefined, /is required/],
    [MemberEnv.SIDECAR_TOKEN_FILE, undefined, /must be authenticated/, { [MemberEnv.TLS_CA_FILE]: undefined, [MemberEnv.TLS_CERT_FILE]: undefined, [MemberEnv.TLS_KEY_FILE]: undefined }],
    [MemberEnv.TLS_CA_FILE, undefined, /mTLS needs .* together; missing MDB_TLS_CA_FILE$/],
    [MemberEnv.TLS_CERT_FILE, "", /missing MDB_TLS_CERT_FILE$/],
    [MemberEnv.TLS_KEY_FILE, undefined, /missing MDB_TLS_KEY_FILE$/],
    [MemberEnv.DATA_DIR, "data", /must be an absolute path/],
    [MemberEnv.ENGINE_PORT, "0", /is not a port/],
    [MemberEnv.SIDECAR_PORT, "x", /is not a port/],
    [MemberEnv.HEALTH_PORT, "70000", /is not a port/],
    [MemberEnv.OBSERVE_INTERVAL_MS, "10", /must be an integer in 50\.\.5000/],
    [MemberEnv.TLS_RELOAD_MS, "50", /must be an integer in 100\.\.600000/],
    [MemberEnv.LIVENESS_STALE_MS, "1.5", /must be an integer in 1000\.\.600000/],
    [MemberEnv.FENCE_TOKEN_TTL_MS, "-1", /must be an integer in 1000\.\.3600000/],
    [MemberEnv.NODE_TIMEOUT_MS, "3s", /must be an integer number of milliseconds/],
    [MemberEnv.METRICS_PORT, "0", /is not a port/],
    [MemberEnv.LOG_LEVEL, "verbose", /"verbose" is not one of error, warn, info, debug$/],
    [MemberEnv.SHARD, "-1", /must be an integer in 0\.\.999/],
    [MemberEnv.CLUSTER, "Demo Cluster", /is not a Kubernetes object name/],
    [MemberEnv.MEMBER, "demo_1_0", /is not a Kubernetes object name/],
  ];
  for (const [variable, value, pattern, more] of sidecarCases) {
    test(`sidecar: ${variable}=${JSON.stringify(value)}`, () => refuses(() => parseSidecarEnv({ ...sidecarEnv, ...more, [variable]: value }), variable, pattern));
  }
});
