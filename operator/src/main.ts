// mdb-operator: reads its settings from the environment (the chart sets them), runs the manager,
// and shuts down gracefully on SIGTERM/SIGINT.
import { hostname } from "node:os";
import { loadKubeAccess, makeClients } from "./runtime/kube.ts";
import { makeLogger } from "./runtime/log.ts";
import { Manager } from "./manager.ts";
import { parseOperatorSettings, type ManagerConfig } from "./settings.ts";

const log = makeLogger();
let config: ManagerConfig;
try {
  config = parseOperatorSettings(process.env, hostname());
} catch (err) {
  log.error((err as Error).message);
  process.exit(2);
}
const manager = new Manager(makeClients(loadKubeAccess()), config, log);
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void manager.shutdown().then(() => process.exit(0), (err) => { log.error("shutdown failed", { error: String(err) }); process.exit(1); });
  });
}
manager.start().catch((err) => {
  log.error("operator failed to start", { error: (err as Error)?.message ?? String(err) });
  process.exit(1);
});
