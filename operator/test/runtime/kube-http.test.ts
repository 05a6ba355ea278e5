// The operator's API client (runtime/kube-http.ts, kube.ts) and its informer (runtime/informer.ts)
// against a small HTTP server playing the API server: JSON calls with the token, errors with their
// status, list then watch from the list's version, a watch resumed where it ended, a relist on 410 Gone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { KubernetesListObject, V1Pod } from "@kubernetes/client-node";
import { waitFor } from "../../../common/wait.ts";
import { WatchedCollection } from "../../src/runtime/informer.ts";
import { isConflict, isNotFound, KubeAccess, makeClients } from "../../src/runtime/kube.ts";

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined } as never;
const pod = (name: string, rv: string, extra: object = {}): V1Pod => ({ metadata: { name, namespace: "ns", resourceVersion: rv, ...extra } });

async function apiServer(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => handle(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const access = new KubeAccess({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: "t0ken" });
  return { access, close: () => { access.close(); server.closeAllConnections(); server.close(); } };
}

test("calls: the path, query and JSON body of each, the bearer token; a non-2xx answer is an error with its status and message", async () => {
  const seen: string[] = [];
  const api = await apiServer((req, body, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization} ${body}`);
    if (req.url?.includes("/secrets/missing")) return res.writeHead(404).end(JSON.stringify({ kind: "Status", message: 'secrets "missing" not found' }));
    if (req.method === "PUT") return res.writeHead(409).end(JSON.stringify({ message: "the object has been modified" }));
    res.writeHead(200, { "content-type": "application/json" }).end(body || JSON.stringify({ items: [] }));
  });
  try {
    const k = makeClients(api.access);
    await k.core.createNamespacedPod({ namespace: "ns", body: pod("p", "") });
    await k.core.deleteNamespacedPod({ namespace: "ns", name: "p", gracePeriodSeconds: 0 });
    await k.core.listSecretForAllNamespaces({ labelSelector: "a=b" });
    await k.custom.listNamespacedCustomObject({ group: "mdbcluster.io", version: "v1alpha1", plural: "mdbclusters", namespace: "ns" });
    const notFound = await k.core.readNamespacedSecret({ name: "missing", namespace: "ns" }).catch((e: unknown) => e);
    assert.ok(isNotFound(notFound));
    assert.match((notFound as Error).message, /HTTP 404: secrets "missing" not found/);
    const conflict = await k.custom.replaceNamespacedCustomObjectStatus({ group: "mdbcluster.io", version: "v1alpha1", plural: "mdbclusters", namespace: "ns", name: "c", body: {} }).catch((e: unknown) => e);
    assert.ok(isConflict(conflict));
    assert.deepEqual(seen, [
      `POST /api/v1/namespaces/ns/pods Bearer t0ken ${JSON.stringify(pod("p", ""))}`,
      "DELETE /api/v1/namespaces/ns/pods/p?gracePeriodSeconds=0 Bearer t0ken ",
      "GET /api/v1/secrets?labelSelector=a%3Db Bearer t0ken ",
      "GET /apis/mdbcluster.io/v1alpha1/namespaces/ns/mdbclusters Bearer t0ken ",
      "GET /api/v1/namespaces/ns/secrets/missing Bearer t0ken ",
      "PUT /apis/mdbcluster.io/v1alpha1/namespaces/ns/mdbclusters/c/status Bearer t0ken {}",
    ]);
  } finally {
    api.close();
  }
});

test("a body's fields that client-node's models name with a leading underscore go out under their own names", async () => {
  const bodies: unknown[] = [];
  const api = await apiServer((_req, body, res) => { bodies.push(JSON.parse(body)); res.writeHead(201).end(body); });
  try {
    const k = makeClients(api.access);
    const policy = { metadata: { name: "p" }, spec: { podSelector: {}, ingress: [{ _from: [{ podSelector: { matchLabels: { a: "b" } } }], ports: [{ port: 6379 }] }] } };
    await k.networking.createNamespacedNetworkPolicy({ namespace: "ns", body: policy });
    assert.deepEqual(bodies, [{ metadata: { name: "p" }, spec: { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { a: "b" } } }], ports: [{ port: 6379 }] }] } }]);
  } finally {
    api.close();
  }
});

test("informer: list, watch from the list's version, resume from the last event's, relist after 410 Gone; managedFields dropped", async () => {
  const watches: string[] = [];
  let lists = 0;
  const api = await apiServer((req, _body, res) => {
    const url = new URL(req.url!, "http://x");
    if (url.searchParams.get("watch") !== "true") return res.end("unused");
    const rv = url.searchParams.get("resourceVersion")!;
    watches.push(rv);
    res.writeHead(200);
    const line = (type: string, object: object) => res.write(`${JSON.stringify({ type, object })}\n`);
    if (rv === "10") { line("ADDED", pod("c", "11")); line("MODIFIED", pod("a", "12")); res.end(); }
    else if (rv === "12") { line("DELETED", pod("b", "13")); line("BOOKMARK", { metadata: { resourceVersion: "14" } }); res.end(); }
    else if (rv === "14") { line("ERROR", { kind: "Status", code: 410, message: "too old" }); res.end(); }
    // rv 20 (after the relist): stays open until the test stops the informer
  });
  const list = async (): Promise<KubernetesListObject<V1Pod>> => {
    lists++;
    return lists === 1
      ? { metadata: { resourceVersion: "10" }, items: [pod("a", "1", { managedFields: [{ manager: "kubectl" }] }), pod("b", "2")] }
      : { metadata: { resourceVersion: "20" }, items: [pod("c", "11"), pod("d", "19")] };
  };
  const events: string[] = [];
  const informer = new WatchedCollection<V1Pod>(api.access, "Pods", "/api/v1/pods", list, quiet);
  informer.onChange((o, verb) => events.push(`${verb} ${o.metadata!.name}`));
  try {
    await informer.start();
    await informer.synced;
    assert.equal(informer.get("a", "ns")?.metadata?.managedFields, undefined);
    await waitFor(() => watches.includes("20"), { what: "the watch after the relist", timeoutMs: 5000, intervalMs: 20 });
    assert.deepEqual(watches, ["10", "12", "14", "20"]);
    assert.equal(lists, 2);
    assert.deepEqual(events, ["add a", "add b", "add c", "update a", "delete b", "add d", "delete a"]);
    assert.deepEqual(informer.list("ns").map((p) => p.metadata!.name).sort(), ["c", "d"]);
  } finally {
    await informer.stop();
    api.close();
  }
});
