import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ContainerConfigError, expandReferences, parseQuantity, referencedObjects, resolveContainerEnv, resourceFieldValue, serviceEnv } from "../../podrunner/env.ts";
import { makeContainer, makePod } from "./fixtures.ts";

const facts = { podIP: "10.244.1.7", hostIP: "10.244.0.1", nodeAllocatable: { cpu: "8", memory: "32Gi" } };
const lookups = (secrets: Record<string, Record<string, string>> = {}, configMaps: Record<string, Record<string, string>> = {}) => ({
  secret: (n: string) => secrets[n], configMap: (n: string) => configMaps[n],
});

describe("container environment", () => {
  test("downward API fields resolve from the pod and the runtime facts", () => {
    const pod = makePod().name("m-0").ns("db").uid("u-9").label("app", "mdb").annotation("note", "x").node("z1-r1-h2").obj();
    const cases: [string, string][] = [
      ["metadata.name", "m-0"], ["metadata.namespace", "db"], ["metadata.uid", "u-9"], ["spec.nodeName", "z1-r1-h2"],
      ["spec.serviceAccountName", "default"], ["status.podIP", "10.244.1.7"], ["status.hostIP", "10.244.0.1"],
      ["metadata.labels['app']", "mdb"], ["metadata.annotations['note']", "x"], ["metadata.labels['missing']", ""],
    ];
    for (const [fieldPath, want] of cases) {
      const c = makeContainer("c").envFrom({ name: "V", valueFrom: { fieldRef: { fieldPath } } }).obj();
      assert.equal(resolveContainerEnv(pod, c, lookups(), facts).V, want, fieldPath);
    }
  });

  test("an unsupported fieldPath is a config error that lists what is supported", () => {
    const c = makeContainer("c").envFrom({ name: "V", valueFrom: { fieldRef: { fieldPath: "status.phase" } } }).obj();
    assert.throws(() => resolveContainerEnv(makePod().obj(), c, lookups(), facts), (e: Error) =>
      e instanceof ContainerConfigError && /"status\.phase" is not supported.*metadata\.name/.test(e.message));
  });

  test("envFrom comes first, env overrides it in order, and $(VAR) sees earlier variables", () => {
    const c = makeContainer("c")
      .envFromSource({ configMapRef: { name: "cfg" } })
      .envFromSource({ secretRef: { name: "sec" }, prefix: "S_" })
      .env("MODE", "override")
      .env("URL", "redis://$(HOST):$(PORT)/$(MISSING)")
      .env("LITERAL", "$$(HOST)")
      .obj();
    const env = resolveContainerEnv(makePod().obj(), c, lookups({ sec: { PASSWORD: "pw" } }, { cfg: { MODE: "cfg", HOST: "h", PORT: "7000" } }), facts);
    assert.deepEqual(env, { MODE: "override", HOST: "h", PORT: "7000", S_PASSWORD: "pw", URL: "redis://h:7000/$(MISSING)", LITERAL: "$(HOST)" });
  });

  test("missing Secrets, ConfigMaps and keys are config errors naming them, unless optional", () => {
    const pod = makePod().ns("db").obj();
    const cases: { name: string; env: Parameters<ReturnType<typeof makeContainer>["envFrom"]>[0]; error?: RegExp }[] = [
      { name: "secret missing", env: { name: "P", valueFrom: { secretKeyRef: { name: "nope", key: "k" } } }, error: /env P: secret "nope" not found/ },
      { name: "secret key missing", env: { name: "P", valueFrom: { secretKeyRef: { name: "sec", key: "other" } } }, error: /couldn't find key other in Secret db\/sec/ },
      { name: "configmap missing", env: { name: "P", valueFrom: { configMapKeyRef: { name: "nope", key: "k" } } }, error: /configmap "nope" not found/ },
      { name: "configmap key missing", env: { name: "P", valueFrom: { configMapKeyRef: { name: "cfg", key: "other" } } }, error: /couldn't find key other in ConfigMap db\/cfg/ },
      { name: "optional secret key", env: { name: "P", valueFrom: { secretKeyRef: { name: "sec", key: "other", optional: true } } } },
      { name: "empty valueFrom", env: { name: "P", valueFrom: {} }, error: /env P: valueFrom names no source/ },
    ];
    for (const c of cases) {
      const container = makeContainer("main").envFrom(c.env).obj();
      const run = () => resolveContainerEnv(pod, container, lookups({ sec: { k: "v" } }, { cfg: { k: "v" } }), facts);
      if (c.error) assert.throws(run, (e: Error) => e instanceof ContainerConfigError && c.error!.test(e.message) && e.message.includes('container "main"'), c.name);
      else assert.deepEqual(run(), {}, c.name);
    }
    assert.throws(() => resolveContainerEnv(pod, makeContainer("c").envFromSource({ secretRef: { name: "gone" } }).obj(), lookups(), facts), /envFrom: secret "gone" not found/);
    assert.deepEqual(resolveContainerEnv(pod, makeContainer("c").envFromSource({ secretRef: { name: "gone", optional: true } }).obj(), lookups(), facts), {});
  });

  test("resourceFieldRef uses the limit, else node allocatable, divided and rounded up", () => {
    const limited = makeContainer("c").limits({ memory: "512Mi", cpu: "1500m" }).obj();
    const cases: [typeof limited, string, string | undefined, string][] = [
      [limited, "limits.memory", undefined, String(512 * 2 ** 20)],
      [limited, "limits.memory", "1Mi", "512"],
      [limited, "limits.cpu", undefined, "2"],
      [limited, "limits.cpu", "1m", "1500"],
      [makeContainer("c").obj(), "limits.cpu", undefined, "8"],
      [makeContainer("c").obj(), "requests.memory", undefined, "0"],
    ];
    for (const [c, resource, divisor, want] of cases) assert.equal(resourceFieldValue(c, resource, divisor, facts), want, `${resource} / ${divisor}`);
    assert.throws(() => resourceFieldValue(limited, "memory", undefined, facts), /must be limits\.<name> or requests\.<name>/);
  });

  test("quantities parse with binary and decimal suffixes, and bad ones are named", () => {
    const cases: [string, number][] = [["1", 1], ["500m", 0.5], ["2Ki", 2048], ["1G", 1e9], ["1.5Gi", 1.5 * 2 ** 30], ["1e3", 1000]];
    for (const [q, n] of cases) assert.equal(parseQuantity(q), n, q);
    assert.throws(() => parseQuantity("lots"), /"lots" is not a Kubernetes quantity/);
  });

  test("expandReferences leaves unknown and unterminated references as written", () => {
    assert.equal(expandReferences("$(A)-$(B)-$(A", { A: "1" }), "1-$(B)-$(A");
    assert.equal(expandReferences("$$$(A)", { A: "1" }), "$1");
  });

  test("referencedObjects collects every Secret and ConfigMap once", () => {
    const c = makeContainer("c").envFromSource({ secretRef: { name: "s1" } }).envFromSource({ configMapRef: { name: "c1" } })
      .envFrom({ name: "A", valueFrom: { secretKeyRef: { name: "s1", key: "k" } } })
      .envFrom({ name: "B", valueFrom: { configMapKeyRef: { name: "c2", key: "k" } } }).obj();
    assert.deepEqual(referencedObjects(c), { secrets: ["s1"], configMaps: ["c1", "c2"] });
  });

  test("in-cluster clients find the API server through KUBERNETES_SERVICE_HOST/PORT", () => {
    const env = serviceEnv("10.244.0.1", 6443);
    assert.equal(env.KUBERNETES_SERVICE_HOST, "10.244.0.1");
    assert.equal(env.KUBERNETES_SERVICE_PORT, "6443");
    assert.equal(env.KUBERNETES_PORT, "tcp://10.244.0.1:6443");
  });
});
