// HTTP probes for the kubelet: GET /readyz (member serves its role) and GET /livez (not wedged).
import { createServer, type Server } from "../../../common/http-server.ts";
import type { Judgement } from "./health.ts";

export interface ProbeSource { readiness(): Judgement; liveness(nowMs: number): Judgement }

export async function startHealthServer(source: ProbeSource, hosts: string[], port: number): Promise<{ close(): Promise<void> }> {
  const servers: Server[] = [];
  const handler = (path: string | undefined): [number, Judgement] => {
    if (path === "/readyz") { const j = source.readiness(); return [j.ok ? 200 : 503, j]; }
    if (path === "/livez") { const j = source.liveness(Date.now()); return [j.ok ? 200 : 503, j]; }
    return [404, { ok: false, reason: "unknown path: use /readyz or /livez" }];
  };
  for (const host of hosts) {
    const server = createServer((req, res) => {
      const [code, body] = handler(req.url?.split("?")[0]);
      res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body) + "\n");
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) => reject(new Error(`health server cannot listen on ${host}:${port}: ${err.message}`)));
      server.listen(port, host, () => resolve());
    });
    servers.push(server);
  }
  return { close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined) };
}
