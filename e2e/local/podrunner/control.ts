// The pod runner's control channel: HTTP over the unix socket <state>/podrunner.sock. Tests and
// `npm run cluster:fault` use sendControl; the runner answers with handleControl's reply.
import { existsSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { join } from "node:path";

export type ControlRequest =
  | { action: "kill"; pod: string; container?: string }
  | { action: "stop-node"; node: string }
  | { action: "start-node"; node: string }
  | { action: "partition"; pod: string }
  | { action: "heal"; pod: string }
  | { action: "status" };

export interface ControlReply { ok: boolean; message: string; data?: unknown }

export function controlSocketPath(stateDir: string): string {
  return join(stateDir, "podrunner.sock");
}

/** `ns/name` or `name` (namespace default). */
export function splitPodRef(ref: string): { namespace: string; name: string } {
  const parts = ref.split("/");
  if (parts.length === 1 && parts[0]) return { namespace: "default", name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  throw new Error(`pod "${ref}": expected NAME or NAMESPACE/NAME`);
}

/** Validates an incoming request body; the error names the field and what is expected. */
export function parseControlRequest(body: unknown): ControlRequest {
  if (typeof body !== "object" || body === null) throw new Error("control request: expected a JSON object with 'action'");
  const r = body as Record<string, unknown>;
  const str = (field: string): string => {
    const v = r[field];
    if (typeof v !== "string" || v === "") throw new Error(`control request ${String(r.action)}: '${field}' must be a non-empty string`);
    return v;
  };
  switch (r.action) {
    case "kill": {
      splitPodRef(str("pod"));
      if (r.container !== undefined && (typeof r.container !== "string" || r.container === "")) throw new Error("control request kill: 'container' must be a non-empty string when given");
      return { action: "kill", pod: str("pod"), ...(typeof r.container === "string" ? { container: r.container } : {}) };
    }
    case "partition": case "heal":
      splitPodRef(str("pod"));
      return { action: r.action, pod: str("pod") };
    case "stop-node": case "start-node":
      return { action: r.action, node: str("node") };
    case "status":
      return { action: "status" };
    default:
      throw new Error(`control request: unknown action ${JSON.stringify(r.action)}; expected kill, stop-node, start-node, partition, heal or status`);
  }
}

/**
 * Serves the control socket of `stateDir` (the pod runner's, or the real-node agent's in its place):
 * each request is checked by parseControlRequest, logged and passed to `handle`; a refusal or a failure
 * is a 400 with the message.
 */
export async function serveControl(stateDir: string, handle: (req: ControlRequest) => Promise<ControlReply>, log: (line: string) => void): Promise<Server> {
  const socket = controlSocketPath(stateDir);
  if (existsSync(socket)) rmSync(socket);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (r: ControlReply) => {
        res.writeHead(r.ok ? 200 : 400, { "content-type": "application/json" });
        res.end(JSON.stringify(r));
      };
      (async () => {
        if (req.method !== "POST" || req.url !== "/control") throw new Error("POST /control only");
        const request = parseControlRequest(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"));
        log(`control: ${JSON.stringify(request)}`);
        return handle(request);
      })().then(reply, (e: Error) => reply({ ok: false, message: e.message }));
    });
  });
  await new Promise<void>((ok, fail) => { server.once("error", fail); server.listen(socket, () => ok()); });
  return server;
}

/** Sends one request to the running pod runner; throws with the runner's message when it refuses. */
export function sendControl(stateDir: string, req: ControlRequest, timeoutMs = 30_000): Promise<ControlReply> {
  const socketPath = controlSocketPath(stateDir);
  const body = JSON.stringify(req);
  return new Promise((resolve, reject) => {
    const r = httpRequest({ socketPath, path: "/control", method: "POST", timeout: timeoutMs,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          const reply = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ControlReply;
          if (!reply.ok) reject(new Error(reply.message));
          else resolve(reply);
        } catch (e) {
          reject(new Error(`pod runner at ${socketPath} sent an unreadable reply: ${(e as Error).message}`));
        }
      });
    });
    r.on("timeout", () => r.destroy(new Error(`pod runner at ${socketPath} did not answer within ${timeoutMs} ms`)));
    r.on("error", (e: NodeJS.ErrnoException) => {
      reject(e.code === "ENOENT" || e.code === "ECONNREFUSED"
        ? new Error(`the pod runner is not running (no control socket at ${socketPath}); start the proving ground with npm run cluster:up`)
        : e);
    });
    r.end(body);
  });
}
