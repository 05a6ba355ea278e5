import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ContainerConfigError } from "../../podrunner/env.ts";
import { containerMounts, keepVisible, launchScript, shellQuote, tokenRequestsOf, volumeFiles, volumeKind, volumeObjects, volumeSourceDir, type VolumeLookups } from "../../podrunner/volumes.ts";
import { hostMountpoint } from "../../podrunner/mountpoints.ts";
import { makeContainer, makePod } from "./fixtures.ts";

const facts = { podIP: "10.244.1.7", hostIP: "10.244.0.1", nodeAllocatable: {} };
const configMaps: Record<string, Record<string, Buffer>> = { "kube-root-ca.crt": { "ca.crt": Buffer.from("CA") }, cfg: { "engine.conf": Buffer.from("x 1") } };
const lookups: VolumeLookups = {
  secret: (n: string) => (n === "auth" ? { password: Buffer.from("pw") } : undefined),
  configMap: (n: string) => configMaps[n],
  token: (audience: string, seconds: number) => (audience === "" && seconds === 3607 ? "TOKEN" : undefined),
};
const files = (list: { path: string; content: string | Buffer; mode: number }[]) => list.map((f) => [f.path, f.content.toString(), f.mode.toString(8)]);

describe("volumes", () => {
  const pod = makePod().ns("db").uid("u-1").name("m-0")
    .volume({ name: "auth", secret: { secretName: "auth", items: [{ key: "password", path: "pw/password", mode: 0o400 }] } })
    .volume({ name: "cfg", configMap: { name: "cfg" } })
    .volume({ name: "kube-api-access", projected: { defaultMode: 0o644, sources: [
      { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
    ] } })
    .volume({ name: "data", persistentVolumeClaim: { claimName: "data-m-0" } })
    .volume({ name: "scratch", emptyDir: {} })
    .obj();
  const volume = (name: string) => pod.spec!.volumes!.find((v) => v.name === name)!;

  test("Secret and ConfigMap volumes hold their keys (or the chosen items) as files", () => {
    assert.deepEqual(files(volumeFiles(volume("auth"), pod, lookups, facts, [])), [["pw/password", "pw", "400"]]);
    assert.deepEqual(files(volumeFiles(volume("cfg"), pod, lookups, facts, [])), [["engine.conf", "x 1", "644"]]);
  });

  test("the projected ServiceAccount volume has token, ca.crt and namespace, as loadFromCluster expects", () => {
    assert.deepEqual(files(volumeFiles(volume("kube-api-access"), pod, lookups, facts, [])),
      [["token", "TOKEN", "644"], ["ca.crt", "CA", "644"], ["namespace", "db", "644"]]);
    assert.deepEqual(tokenRequestsOf(pod), [{ audience: "", expirationSeconds: 3607 }]);
    assert.deepEqual(volumeObjects(pod), { secrets: ["auth"], configMaps: ["cfg", "kube-root-ca.crt"] });
  });

  test("missing sources are config errors naming the volume, unless optional", () => {
    const missing = makePod().ns("db").volume({ name: "v", secret: { secretName: "gone" } }).obj();
    assert.throws(() => volumeFiles(missing.spec!.volumes![0], missing, lookups, facts, []),
      (e: Error) => e instanceof ContainerConfigError && /volume "v": secret "db\/gone" not found/.test(e.message));
    assert.deepEqual(volumeFiles({ name: "v", secret: { secretName: "gone", optional: true } }, missing, lookups, facts, []), []);
    assert.throws(() => volumeFiles({ name: "v", secret: { secretName: "auth", items: [{ key: "nokey", path: "x" }] } }, missing, lookups, facts, []),
      /key "nokey" not found/);
    assert.throws(() => volumeKind({ name: "v", nfs: { server: "s", path: "/" } }), /volume "v": type nfs is not supported by the proving ground/);
  });

  test("claims live per namespace and claim name (surviving the pod), other volumes per pod", () => {
    assert.equal(volumeSourceDir(volume("data"), pod, "/state"), "/state/volumes/db/data-m-0");
    assert.equal(volumeSourceDir(volume("scratch"), pod, "/state"), "/state/pods/u-1/volumes/scratch");
  });

  test("mounts: parents first, Secret-like volumes read-only, subPath inside the volume", () => {
    const c = makeContainer("engine")
      .mount({ name: "cfg", mountPath: "/data/conf" })
      .mount({ name: "data", mountPath: "/data" })
      .mount({ name: "scratch", mountPath: "/tmp/x", subPath: "engine", readOnly: true })
      .obj();
    assert.deepEqual(containerMounts(pod, c, "/state"), [
      { source: "/state/volumes/db/data-m-0", target: "/data", readOnly: false },
      { source: "/state/pods/u-1/volumes/cfg", target: "/data/conf", readOnly: true },
      { source: "/state/pods/u-1/volumes/scratch/engine", target: "/tmp/x", readOnly: true },
    ]);
    assert.throws(() => containerMounts(pod, makeContainer("c").mount({ name: "nope", mountPath: "/x" }).obj(), "/state"), /volumeMounts "nope" names no volume/);
    assert.throws(() => containerMounts(pod, makeContainer("c").mount({ name: "data", mountPath: "/x", subPath: "../escape" }).obj(), "/state"), /must be relative without "\.\."/);
    assert.throws(() => containerMounts(pod, makeContainer("c").mount({ name: "data", mountPath: "rel" }).obj(), "/state"), /mountPath "rel" must be absolute/);
  });

  test("a checkout under a mounted volume is bound back on top of it, under mounts nested deeper", () => {
    const tmp = { source: "/ck/.mdb-local/pods/u/volumes/tmp", target: "/tmp", readOnly: false };
    const data = { source: "/ck/.mdb-local/volumes/ns/data", target: "/data", readOnly: false };
    const deeper = { source: "/s/cfg", target: "/tmp/ci/checkout/conf", readOnly: true };
    const back = (p: string) => ({ source: p, target: p, readOnly: false });
    // The pod's emptyDir at /tmp hides a checkout in /tmp/ci/checkout (and its state dir inside it).
    assert.deepEqual(keepVisible([tmp, data], ["/tmp/ci/checkout", "/tmp/ci/checkout/.mdb-local"]), [tmp, back("/tmp/ci/checkout"), data]);
    // Right after the last mount that covers it, so one nested deeper still lands on top.
    assert.deepEqual(keepVisible([tmp, deeper], ["/tmp/ci/checkout/"]), [tmp, back("/tmp/ci/checkout"), deeper]);
    // Its mount point is made inside the covering volume, not on the host.
    assert.deepEqual(hostMountpoint(back("/tmp/ci/checkout"), [tmp]), { path: "/ck/.mdb-local/pods/u/volumes/tmp/ci/checkout", onHost: false });
    // Nothing covers it, or a mount replaces exactly that path: nothing to add.
    assert.deepEqual(keepVisible([tmp, data], ["/work/checkout", "/tmpx/state"]), [tmp, data]);
    assert.deepEqual(keepVisible([tmp], ["/tmp"]), [tmp]);
    // A state dir elsewhere under /tmp comes back on its own.
    assert.deepEqual(keepVisible([tmp], ["/work/checkout", "/tmp/state"]), [tmp, back("/tmp/state")]);
  });

  test("the launch script opens every source before mounting, quotes every path, closes them, then execs", () => {
    const script = launchScript("/s/hosts", [{ source: "/s/it's", target: "/data", readOnly: true }], "/work dir");
    assert.equal(script, [
      "set -e",
      "exec {src_hosts}<'/s/hosts'",
      "exec {src_0}<'/s/it'\\''s'",
      "mount --no-canonicalize --bind /proc/self/fd/$src_hosts /etc/hosts",
      "mount --no-canonicalize --bind /proc/self/fd/$src_0 '/data'",
      "mount -o remount,bind,ro '/data'",
      "exec {src_hosts}<&- {src_0}<&-",
      "cd '/work dir'",
      'exec "$@"',
    ].join("\n"));
    assert.equal(shellQuote("a b"), "'a b'");
  });
});
