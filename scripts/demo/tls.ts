// `npm run demo -- tls`: TLS for clients (docs/usage.md#tls) on the cluster of examples/mdbcluster-tls.yaml:
// the CA from the Secret its status names, then redis-cli --tls and an ioredis cluster client, each
// checking the engines against that CA, and a plaintext client refused.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";
import type { MdbCluster } from "../../operator/src/api/generated/mdbcluster.ts";
import { DemoError, type Kube } from "./kube.ts";

const secretValue = (kube: Kube, ns: string, name: string, key: string) =>
  Buffer.from(kube.kubectl(["get", "secret", name, "-n", ns, "-o", `jsonpath={.data.${key.replace(".", "\\.")}}`], `the Secret ${ns}/${name} must exist with key ${key}`), "base64").toString("utf8");

export async function tlsRoundTrip(kube: Kube, c: MdbCluster, log: (line: string) => void): Promise<void> {
  const ns = c.metadata!.namespace!;
  const caSecret = c.status?.tls?.caSecretName;
  if (!caSecret || !c.status?.secretName) throw new DemoError("status.tls.caSecretName", "the Ready cluster names no CA or password Secret", "kubectl get mdb -o yaml shows the status");
  const ca = secretValue(kube, ns, caSecret, "ca.crt");
  const password = secretValue(kube, ns, c.status.secretName, "password");
  const ip = c.status.members?.find((m) => m.ip)?.ip;
  if (!ip) throw new DemoError("status.members[].ip", "no member has an IP", "kubectl get mdb -o yaml shows the members");
  const dir = mkdtempSync(join(tmpdir(), "mdb-demo-tls-"));
  try {
    const caFile = join(dir, "ca.crt");
    writeFileSync(caFile, ca);
    log(`the CA from Secret ${caSecret} (key ca.crt) → ${caFile}`);
    for (const args of [["SET", "demo:tls", "over TLS"], ["GET", "demo:tls"]]) {
      const cli = ["--tls", "--cacert", caFile, "-c", "-h", ip, "-p", "6379", "--no-auth-warning", "-a", password, ...args];
      const r = spawnSync("redis-cli", cli, { encoding: "utf8", timeout: 10_000 });
      if (r.error || r.status !== 0) throw new DemoError("redis-cli --tls", r.error?.message ?? r.stderr, "install redis-tools (redis-cli 6 or newer, built with TLS)");
      log(`$ redis-cli --tls --cacert ${caFile} -c -h ${ip} -p 6379 -a "$PASSWORD" ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(" ")}\n    ${r.stdout.trim()}`);
    }
    const members = (c.status.members ?? []).filter((m) => m.ip).map((m) => ({ host: m.ip!, port: 6379 }));
    // The engines announce pod IPs, which the certificates do not name: the chain is checked against the CA.
    const client = new Cluster(members, { redisOptions: { password, tls: { ca, checkServerIdentity: () => undefined }, connectTimeout: 3000 }, clusterRetryStrategy: (n) => (n > 5 ? null : 500) });
    client.on("error", () => undefined);
    try {
      for (let i = 0; i < 100; i++) await client.set(`demo:tls:${i}`, `v${i}`);
      const back = await Promise.all(Array.from({ length: 100 }, (_, i) => client.get(`demo:tls:${i}`)));
      if (back.some((v, i) => v !== `v${i}`)) throw new DemoError("the TLS round-trip", "a key read back wrong", "kubectl describe mdb shows the cluster's state");
      log(`ioredis Cluster with tls: { ca } wrote 100 keys and read every one back; GET demo:tls → "${await client.get("demo:tls")}"`);
    } finally {
      client.disconnect();
    }
    const plain = new Redis({ host: ip, port: 6379, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
    plain.on("error", () => undefined);
    const refused = await plain.connect().then(() => plain.ping()).then(() => false, () => true);
    plain.disconnect();
    if (!refused) throw new DemoError("a plaintext client", "it was answered on the TLS port", "spec.tls.enabled must make the engines serve TLS only: this is an operator bug");
    log("a plaintext client on port 6379 is refused");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
