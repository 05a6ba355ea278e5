// Entry point: `node --import tsx e2e/local/podrunner/main.ts` with MDB_LOCAL_DIR=<state>, started by
// `npm run cluster:up`. SIGTERM/SIGINT stop every container and remove every sandbox before exiting.
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readClusterInfo } from "../cluster-info.ts";
import { backoffFromEnv } from "./restarts.ts";
import { PodRunner } from "./runner.ts";

const repoDir = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const stateDir = resolve(process.env.MDB_LOCAL_DIR || join(repoDir, ".mdb-local"));
const log = (msg: string) => console.log(`${new Date().toISOString()} ${msg}`);

function kubeletPortFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 10250;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`MDB_KUBELET_PORT=${raw}: expected a TCP port number`);
  return port;
}

async function main(): Promise<void> {
  log(`pod runner starting (pid ${process.pid}, state ${stateDir})`);
  const info = readClusterInfo(stateDir);
  if (!info) throw new Error(`${join(stateDir, "cluster.json")} not found: the pod runner is started by npm run cluster:up after it writes cluster.json`);
  const runner = new PodRunner(info, {
    repoDir,
    imagesFile: resolve(process.env.MDB_IMAGES_FILE || join(repoDir, "e2e/local/images.yaml")),
    backoff: backoffFromEnv(process.env),
    kubeletPort: kubeletPortFromEnv(process.env.MDB_KUBELET_PORT),
    log,
  });
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    log(`${signal}: stopping every container and removing sandboxes`);
    stopping = runner.shutdown().then(() => {
      log("pod runner stopped");
      process.exit(0);
    }, (e: Error) => {
      log(`shutdown failed: ${e.message}`);
      process.exit(1);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("unhandledRejection", (e) => log(`unhandled rejection: ${(e as Error)?.stack ?? String(e)}`));
  await runner.start();
}

main().catch((e: Error) => {
  log(`pod runner failed to start: ${e.stack ?? e.message}`);
  process.exit(1);
});
