// The real nodes' agent (started by cluster:up with MDB_NODES=real): answers cluster:fault requests on
// the same control socket and protocol as the pod runner (<state>/podrunner.sock), and provisions
// local-directory PersistentVolumes for the default StorageClass, as the pod runner does.
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreV1Api, KubeConfig, makeInformer, StorageV1Api, type V1PersistentVolume, type V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { ProcessTable } from "../controlplane/processes.ts";
import { controlSocketPath, serveControl } from "../podrunner/control.ts";
import { LocalProvisioner } from "../podrunner/storage.ts";
import { RealNodeFaults } from "./faults.ts";
import { readRealNodesInfo } from "./start.ts";

const repoDir = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const stateDir = resolve(process.env.MDB_LOCAL_DIR || join(repoDir, ".mdb-local"));
const log = (msg: string) => console.log(`${new Date().toISOString()} ${msg}`);

async function main(): Promise<void> {
  const info = readRealNodesInfo(stateDir);
  if (!info) throw new Error(`${stateDir}/real-nodes.json not found: the agent is started by npm run cluster:up with MDB_NODES=real`);
  const kc = new KubeConfig();
  kc.loadFromFile(join(stateDir, "kubeconfig"));
  const core = kc.makeApiClient(CoreV1Api);
  const faults = new RealNodeFaults(info, core, new ProcessTable(stateDir));

  const provisioner = new LocalProvisioner(core, kc.makeApiClient(StorageV1Api), stateDir, new Set(info.nodes.map((n) => n.name)), log);
  await provisioner.ensureStorageClass();
  const claims = makeInformer<V1PersistentVolumeClaim>(kc, "/api/v1/persistentvolumeclaims", () => core.listPersistentVolumeClaimForAllNamespaces());
  const onClaim = (c: V1PersistentVolumeClaim) => provisioner.onClaim(c).catch((e: Error) => log(`provisioning failed: ${e.message}`));
  claims.on("add", onClaim);
  claims.on("update", onClaim);
  const volumes = makeInformer<V1PersistentVolume>(kc, "/api/v1/persistentvolumes", () => core.listPersistentVolume());
  const onVolume = (v: V1PersistentVolume) => provisioner.onVolume(v).catch((e: Error) => log(`volume cleanup failed: ${e.message}`));
  volumes.on("add", onVolume);
  volumes.on("update", onVolume);
  for (const [informer, what] of [[claims, "persistentvolumeclaims"], [volumes, "persistentvolumes"]] as const) {
    informer.on("error", (err: unknown) => {
      log(`watch on ${what} failed (${(err as Error)?.message ?? String(err)}); restarting in 1 s`);
      setTimeout(() => informer.start().catch(() => undefined), 1_000);
    });
    await informer.start();
  }

  const socket = controlSocketPath(stateDir);
  const server = await serveControl(stateDir, (req) => faults.handle(req), log);
  log(`node agent ready: ${info.nodes.length} real nodes, control socket ${socket}`);
  const stop = () => {
    server.close();
    rmSync(socket, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: Error) => {
  log(`node agent failed to start: ${e.stack ?? e.message}`);
  process.exit(1);
});
