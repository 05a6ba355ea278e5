// PLACEHOLDER on branch `chart` only, so the image, the chart and the proving-ground mapping can be
// tested before the operator lands: it reconciles nothing. The lead's operator/src/main.ts replaces
// this file at merge. What it does keep is the contract the chart relies on: the environment names,
// /healthz (alive) and /readyz (the first list of MdbClusters and Nodes succeeded) on MDB_HEALTH_PORT,
// the sidecar proto loaded from MDB_SIDECAR_PROTO_DIR, and a clean exit on SIGTERM.
import { createServer } from "node:http";
import * as k8s from "@kubernetes/client-node";
import { loadSidecarProto } from "../../proto/load.ts";

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}: "${raw}" must be a whole number in ${min}..${max}`);
  return n;
}

function envBool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw !== "true" && raw !== "false") throw new Error(`${name}: "${raw}" must be "true" or "false"`);
  return raw === "true";
}

const settings = {
  healthPort: envInt("MDB_HEALTH_PORT", 8081, 1, 65535),
  watchNamespace: process.env.MDB_WATCH_NAMESPACE ?? "",
  leaderElect: envBool("MDB_LEADER_ELECT", true),
};
loadSidecarProto();

const kc = new k8s.KubeConfig();
kc.loadFromDefault();
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const core = kc.makeApiClient(k8s.CoreV1Api);
let synced = false;
let stopping = false;

const health = createServer((req, res) => {
  const ok = req.url === "/healthz" || (req.url === "/readyz" && synced);
  res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "not synced\n");
});
health.listen(settings.healthPort);

async function firstList(): Promise<void> {
  const crd = { group: "mdbcluster.io", version: "v1alpha1", plural: "mdbclusters" };
  while (!stopping && !synced) {
    try {
      if (settings.watchNamespace) await custom.listNamespacedCustomObject({ ...crd, namespace: settings.watchNamespace });
      else await custom.listClusterCustomObject(crd);
      await core.listNode();
      synced = true;
      console.log(`placeholder operator: listed MdbClusters and Nodes (pod ${process.env.POD_NAME ?? "?"}, leader election ${settings.leaderElect}); it reconciles nothing`);
    } catch (err) {
      console.error(`placeholder operator: list failed, retrying in 2s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

process.on("SIGTERM", () => {
  stopping = true;
  health.close(() => process.exit(0));
});
void firstList();
