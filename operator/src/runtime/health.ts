// /healthz (liveness: the process serves requests) and /readyz (readiness: caches synced), for the
// Deployment's probes. Both replicas are ready: the standby is a warm spare.
import { createServer, type Server } from "../../../common/http-server.ts";

export function startHealthServer(port: number, isReady: () => boolean, describe: () => Record<string, unknown>): Promise<Server> {
  const server = createServer((req, res) => {
    const body = (ok: boolean) => {
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok, ...describe() }) + "\n");
    };
    if (req.url === "/healthz") return body(true);
    if (req.url === "/readyz") return body(isReady());
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => resolve(server));
  });
}
