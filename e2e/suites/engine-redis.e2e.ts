// The other engine end to end (issue 19, item 4), with TLS for clients (issue 18, item 6): the operator
// installed with the chart's engineImage set to mdbcluster/engine-redis (Redis 7.0; the default engine
// is Valkey, which the other suites run), a 2-shard cluster with spec.tls.enabled to Ready reporting its
// engine and its clients' CA Secret; a plaintext client refused, keys through a TLS cluster client, then
// slots moved between its primaries through the target member's sidecar (MigrateSlots, key by key on
// Redis, MIGRATE over TLS) with every key read back and `redis-cli --tls --cluster check` passing; the
// members are admitted under the restricted Pod Security level. A GetStatus from another pod without the
// operator's certificate is refused by the sidecar. Our engine image built without TLS under
// spec.tls.enabled is refused before any pod is made. A cluster whose certificates come from
// cert-manager (spec.tls.issuerRef; cert-manager's controllers from its pinned module): Degraded while
// its Issuer is missing, Ready once it exists, the sidecars reached and the engines serving TLS with the
// issuer's certificates, and cert-manager's objects gone with the cluster. Reads only KUBECONFIG; with
// it unset, runs on a proving ground it starts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";
import { acquireGround, releaseGround, type Ground } from "../support/ground.ts";
import {
  clusterManifest, createNamespace, installOperator, isReady, Kube, removeSuiteObjects, waitForCluster, waitForOperatorReady, type OperatorRelease,
} from "../support/mdb.ts";
import { podSecurityVerdict } from "../support/lockdown.ts";
import { settled } from "../chaos/support/scale-round.ts";
import { caIssuerManifest, startCertManager, type CertManager } from "../support/cert-manager.ts";
import { X509Certificate } from "node:crypto";
import { waitFor } from "../../common/wait.ts";
import { memberName } from "../../operator/src/resources/names.ts";
import type { MdbCluster } from "../../operator/src/api/types.ts";

const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `e2e-redis-${RUN}`, namespace: `mdb-e2e-redis-${RUN}-system`, watchNamespace: `mdb-e2e-redis-${RUN}`, replicas: 1 };
const NS = OPERATOR.watchNamespace;
const CLUSTER = "redis";
const NO_TLS = "no-tls";
const ISSUED = "issued";
const KEYS = 2000;

describe("the Redis 7.0 engine image: bootstrap and a slot move", { timeout: 600_000 }, () => {
  let ground: Ground | undefined;
  let kube: Kube;
  let helmInstalled = false;
  let ready: MdbCluster | undefined;
  let password = "";
  let ca = "";
  let certManager: CertManager | undefined;

  before(async () => {
    ground = await acquireGround();
    kube = new Kube(ground);
    await createNamespace(kube, OPERATOR.namespace);
    await createNamespace(kube, NS);
  });

  after(async () => {
    if (!kube) return;
    try {
      await removeSuiteObjects(kube, OPERATOR, [CLUSTER, NO_TLS, ISSUED], helmInstalled);
    } finally {
      await certManager?.stop();
      await releaseGround(ground);
    }
  });

  const clusterClient = () => {
    const members = ready!.status!.members!.filter((m) => m.ip);
    // The chain is checked against the cluster's CA; the engines are reached by IP, which their certificates do not name (docs/usage.md#tls).
    const client = new Cluster(members.map((m) => ({ host: m.ip!, port: 6379 })), {
      redisOptions: { password, tls: { ca, checkServerIdentity: () => undefined } }, maxRedirections: 16,
    });
    client.on("error", () => { /* surfaced through failing commands */ });
    return client;
  };

  test("the chart's engineImage runs every member on Redis 7.0 serving TLS; status names the engine and the clients' CA; plaintext is refused", async () => {
    await installOperator(kube, OPERATOR, ["engineImage.repository=mdbcluster/engine-redis", "engineImage.tag=7.0", "leaderElection.enabled=false"]);
    helmInstalled = true;
    await waitForOperatorReady(kube, OPERATOR);
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], clusterManifest(CLUSTER, { shards: 2, replicasPerShard: 0, tls: true }));
    ready = await waitForCluster(kube, NS, CLUSTER, `MdbCluster ${NS}/${CLUSTER} Ready`, isReady, 240_000);
    assert.match(ready!.status!.engine ?? "", /^redis 7\.0\.\d+$/, `status.engine: ${ready!.status!.engine}`);
    const pod = await kube.core.readNamespacedPod({ name: memberName(CLUSTER, 0, 0), namespace: NS });
    assert.equal(pod.spec!.containers.find((c) => c.name === "engine")!.image, "mdbcluster/engine-redis:7.0");
    const security = await podSecurityVerdict(kube, NS);
    assert.match(security.unrestrictedRefusal, /violates PodSecurity "restricted:latest"/, "the namespace enforces restricted");
    assert.equal(security.existingPodWarnings, "", "the Redis members pass restricted");
    const secret = await kube.core.readNamespacedSecret({ name: ready!.status!.secretName!, namespace: NS });
    password = Buffer.from(secret.data?.password ?? "", "base64").toString("utf8");
    assert.equal(ready!.status!.tls?.caSecretName, `${CLUSTER}-ca-crt`);
    const caSecret = await kube.core.readNamespacedSecret({ name: ready!.status!.tls!.caSecretName!, namespace: NS });
    assert.deepEqual(Object.keys(caSecret.data ?? {}), ["ca.crt"], "the CA's certificate alone, no key");
    ca = Buffer.from(caSecret.data!["ca.crt"], "base64").toString("utf8");
    const ip = ready!.status!.members!.find((m) => m.ip)!.ip!;
    const plain = new Redis({ host: ip, port: 6379, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
    plain.on("error", () => { /* expected */ });
    await assert.rejects(plain.connect().then(() => plain.ping()), "a plaintext client on the TLS port");
    plain.disconnect();
  });

  test("slots move between the primaries through the target's sidecar; every key reads back", async () => {
    const client = clusterClient();
    try {
      for (let i = 0; i < KEYS; i++) await client.set(`e2e:redis:${i}`, `v${i}`);
      const ipOf = (shard: number) => ready!.status!.members!.find((m) => m.name === memberName(CLUSTER, shard, 0))!.ip!;
      const target = await kube.sidecarClient(NS, CLUSTER, memberName(CLUSTER, 1, 0), ipOf(1));
      try {
        let last;
        for await (const p of target.migrateSlots({ source: { host: ipOf(0), port: 6379 }, slots: [{ start: 0, end: 511 }] })) last = p;
        assert.ok(last?.done, "the move finished");
        assert.deepEqual(last.failedSlots, []);
        assert.equal(last.slotsDone, 512);
        assert.ok(last.keysMoved > 0, `keys moved: ${last.keysMoved}`);
      } finally {
        target.close();
      }
      for (let i = 0; i < KEYS; i++) assert.equal(await client.get(`e2e:redis:${i}`), `v${i}`, `e2e:redis:${i}`);
      // The operator answers the uneven shards this move leaves with a rebalance of its own: the engines
      // are checked once it is over (Ready, no plan running, the slots even again), and read back again.
      await waitForCluster(kube, NS, CLUSTER, `MdbCluster ${NS}/${CLUSTER} balanced again`, (c) => settled(c, 2, 2), 240_000);
      for (let i = 0; i < KEYS; i++) assert.equal(await client.get(`e2e:redis:${i}`), `v${i}`, `e2e:redis:${i} after the rebalance`);
      const dir = mkdtempSync(join(tmpdir(), "mdb-e2e-ca-"));
      try {
        writeFileSync(join(dir, "ca.crt"), ca);
        const check = await kube.run("redis-cli", ["--tls", "--cacert", join(dir, "ca.crt"), "--cluster", "check", `${ipOf(0)}:6379`, "-a", password, "--no-auth-warning"]);
        assert.equal(check.code, 0, `redis-cli --tls --cluster check:\n${check.stdout}${check.stderr}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      client.disconnect();
    }
  });

  test("a GetStatus from another pod without the operator's certificate is refused by the sidecar", async () => {
    const ip = ready!.status!.members!.find((m) => m.ip)!.ip!;
    // A gRPC call as any client would make it (HTTP/2 over TLS, the bearer token even), without a client certificate.
    const script = [
      'const h2 = require("node:http2");',
      `const c = h2.connect("https://${ip}:7070", { rejectUnauthorized: false });`,
      'const done = (m) => { console.log(m); process.exit(0); };',
      'c.on("error", (e) => done("REFUSED " + e.message));',
      'const r = c.request({ ":method": "POST", ":path": "/mdb.sidecar.v1.Sidecar/GetStatus", "content-type": "application/grpc", te: "trailers", authorization: "Bearer x" });',
      'r.on("response", (h) => done("ANSWERED " + JSON.stringify(h)));',
      'r.on("error", (e) => done("REFUSED " + e.message));',
      'r.end(Buffer.alloc(5));',
      'setTimeout(() => done("TIMEOUT"), 10000);',
    ].join(" ");
    const pod = {
      apiVersion: "v1", kind: "Pod", metadata: { name: "no-certificate" },
      spec: {
        restartPolicy: "Never", securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [{ name: "call", image: "mdbcluster/node:0.1.0", command: ["node", "-e", script],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true } }],
      },
    };
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], JSON.stringify(pod));
    try {
      const said = await waitFor(async () => {
        const r = await kube.run("kubectl", ["logs", "-n", NS, "no-certificate"]);
        return /^(REFUSED|ANSWERED|TIMEOUT)/m.test(r.stdout) ? r.stdout.trim() : undefined;
      }, { timeoutMs: 90_000, intervalMs: 1000, what: "the call from the pod to end" });
      assert.match(said, /^REFUSED .*certificate required/m, "the TLS handshake ends for want of a client certificate");
    } finally {
      await kube.run("kubectl", ["delete", "pod", "no-certificate", "-n", NS, "--wait=false"]);
    }
  });

  test("our engine image built without TLS under spec.tls.enabled is refused before any pod, naming the field and what to set", async () => {
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], clusterManifest(NO_TLS, { shards: 1, replicasPerShard: 0, tls: true, engineImage: "mdbcluster/engine-valkey:9.1.2" }));
    const refused = await waitForCluster(kube, NS, NO_TLS, `MdbCluster ${NS}/${NO_TLS} Degraded: SpecInvalid`,
      (c) => c?.status?.conditions?.some((x) => x.type === "Degraded" && x.status === "True" && x.reason === "SpecInvalid") === true, 60_000);
    assert.equal(refused!.status!.phase, "Pending");
    assert.match(refused!.status!.conditions!.find((x) => x.type === "Degraded")!.message,
      /^spec\.tls\.enabled: the engine image mdbcluster\/engine-valkey:9\.1\.2 is built without TLS .*set spec\.engine\.image to an image built with TLS \(mdbcluster\/engine-redis:7\.0/);
    assert.deepEqual(await kube.pods(NS, `mdbcluster.io/cluster=${NO_TLS}`), [], "no member pod is made");
    await kube.must("kubectl", ["delete", "mdb", NO_TLS, "-n", NS, "--wait=true", "--timeout=90s"]);
  });

  test("certificates from cert-manager: Degraded while the Issuer is missing, Ready once it exists, every certificate the issuer's; gone with the cluster", async () => {
    certManager = await startCertManager(kube, join(tmpdir(), `mdb-e2e-cert-manager-${RUN}.log`));
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], clusterManifest(ISSUED, { shards: 1, replicasPerShard: 1, tls: true, issuer: "team-ca" }));
    const waiting = await waitForCluster(kube, NS, ISSUED, `MdbCluster ${NS}/${ISSUED} Degraded: IssuerNotReady`,
      (c) => c?.status?.conditions?.some((x) => x.type === "Degraded" && x.status === "True" && x.reason === "IssuerNotReady") === true, 60_000);
    assert.match(waiting!.status!.conditions!.find((x) => x.type === "Degraded")!.message, new RegExp(`^Issuer team-ca \\(namespace ${NS}\\) \\(spec\\.tls\\.issuerRef\\) does not exist`));
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], caIssuerManifest("team-ca"));
    const issued = await waitForCluster(kube, NS, ISSUED, `MdbCluster ${NS}/${ISSUED} Ready`, isReady, 180_000);
    const text = async (secret: string, key: string) => Buffer.from((await kube.core.readNamespacedSecret({ name: secret, namespace: NS })).data![key], "base64").toString("utf8");
    const root = new X509Certificate(await text("team-ca-root", "tls.crt"));
    for (const secret of [`${memberName(ISSUED, 0, 0)}-tls`, `${memberName(ISSUED, 0, 1)}-tls`, `${ISSUED}-operator-tls`]) {
      const leaf = new X509Certificate(await text(secret, "tls.crt"));
      assert.ok(leaf.checkIssued(root) && leaf.verify(root.publicKey), `${secret} is the issuer's`);
    }
    await assert.rejects(kube.core.readNamespacedSecret({ name: `${ISSUED}-ca`, namespace: NS }), "no CA of the operator's own");
    assert.equal(new X509Certificate(await text(issued!.status!.tls!.caSecretName!, "ca.crt")).fingerprint256, root.fingerprint256, "clients get the issuer's CA");
    // The operator's path to a sidecar, with cert-manager's client certificate.
    const member = issued!.status!.members!.find((m) => m.name === memberName(ISSUED, 0, 0))!;
    const sidecar = await kube.sidecarClient(NS, ISSUED, member.name!, member.ip!);
    try {
      assert.equal((await sidecar.status()).role, "PRIMARY");
    } finally {
      sidecar.close();
    }
    // A TLS client that trusts only the issuer's CA.
    const password = Buffer.from((await kube.core.readNamespacedSecret({ name: issued!.status!.secretName!, namespace: NS })).data!.password, "base64").toString("utf8");
    const client = new Redis({ host: member.ip!, port: 6379, password, tls: { ca: await text("team-ca-root", "ca.crt"), checkServerIdentity: () => undefined }, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      assert.equal(await client.ping(), "PONG");
    } finally {
      client.disconnect();
    }
    await kube.must("kubectl", ["delete", "mdb", ISSUED, "-n", NS, "--wait=true", "--timeout=120s"]);
    assert.deepEqual(await kube.stillThere(NS, "certificates.cert-manager.io", [`${memberName(ISSUED, 0, 0)}-tls`, `${memberName(ISSUED, 0, 1)}-tls`, `${ISSUED}-operator-tls`]), []);
    assert.deepEqual(await kube.stillThere(NS, "secret", [`${memberName(ISSUED, 0, 0)}-tls`, `${memberName(ISSUED, 0, 1)}-tls`, `${ISSUED}-operator-tls`]), []);
  });
});
