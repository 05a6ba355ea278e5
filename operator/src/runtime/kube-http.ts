// The operator's access to the API server: where it is and who the operator is (in a pod: the
// ServiceAccount's token and CA; elsewhere: KUBECONFIG's current context), JSON requests and watch
// streams over one keep-alive agent. The operator makes a few dozen kinds of call (kube.ts); the
// general client it replaces loaded every API group's classes and models at start-up, ≈ 55 MiB of
// the operator's resident memory (docs/footprint.md#the-operator).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import type * as Http from "node:http";
import type * as Https from "node:https";

// require, not an ES import: an ES import of node:http loads undici (common/http-server.ts).
const requireBuiltin = createRequire(import.meta.url);
const http = requireBuiltin("node:http") as typeof Http;
const https = requireBuiltin("node:https") as typeof Https;

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
/** A projected ServiceAccount token is rotated by the kubelet; it is read again at most this often. */
const TOKEN_REREAD_MS = 60_000;
/** A request the API server has not answered in this long fails (its caller retries), instead of hanging a reconcile. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A watch silent this long past its own timeout (the server sends bookmarks meanwhile) is cut and resumed. */
const WATCH_SILENCE_MS = 60_000;

/**
 * client-node's models (whose types the operator's objects have) name the JSON fields that are reserved
 * words with a leading underscore, e.g. a NetworkPolicy rule's `_from`; its serializer wrote them back
 * under their own names, and so does this client (left as `_from`, the API server would drop the field).
 */
const WIRE_NAMES = new Map([["_from", "from"], ["_continue", "continue"], ["_default", "default"], ["_enum", "enum"], ["_int", "int"]]);

export function toWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toWire);
  if (!value || typeof value !== "object" || value instanceof Date || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [WIRE_NAMES.get(k) ?? k, toWire(v)]));
}

/** An answer of the API server other than 2xx: `code` is the HTTP status, `body` its Status object (or text). */
export class KubeApiError extends Error {
  constructor(readonly code: number, readonly body: unknown, method: string, path: string) {
    const message = body && typeof body === "object" && "message" in body ? String((body as { message: unknown }).message) : String(body ?? "");
    super(`${method} ${path}: HTTP ${code}${message ? `: ${message}` : ""}`);
    this.name = "KubeApiError";
  }
}

export interface KubeAccessOptions {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  token?: string;
  tokenFile?: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export class KubeAccess {
  readonly server: URL;
  private readonly agent: Http.Agent;
  private token: { value: string; readAtMs: number } | undefined;

  constructor(private readonly opts: KubeAccessOptions) {
    this.server = new URL(opts.server);
    this.agent = this.server.protocol === "https:"
      ? new https.Agent({ keepAlive: true, ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: !opts.insecureSkipTlsVerify })
      : new http.Agent({ keepAlive: true });
  }

  private bearer(): string | undefined {
    if (this.opts.token) return this.opts.token;
    if (!this.opts.tokenFile) return undefined;
    const now = Date.now();
    if (!this.token || now - this.token.readAtMs > TOKEN_REREAD_MS) this.token = { value: readFileSync(this.opts.tokenFile, "utf8").trim(), readAtMs: now };
    return this.token.value;
  }

  private open(method: string, path: string, query: Query | undefined, timeoutMs: number, onResponse: (res: Http.IncomingMessage) => void, onError: (err: Error) => void, body?: string): Http.ClientRequest {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const token = this.bearer();
    const headers: Http.OutgoingHttpHeaders = { accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    const transport = url.protocol === "https:" ? https : http;
    const req = transport.request(url, { method, headers, agent: this.agent }, onResponse);
    req.on("error", onError);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs / 1000} s`)));
    req.end(body);
    return req;
  }

  /** One JSON request; resolves to the parsed answer, rejects with KubeApiError on a non-2xx status. */
  request<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    return new Promise<T>((resolvePromise, reject) => {
      this.open(method, path, opts.query, REQUEST_TIMEOUT_MS, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON: kept as text */ }
          if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) resolvePromise(parsed as T);
          else reject(new KubeApiError(res.statusCode ?? 0, parsed, method, path));
        });
      }, reject, opts.body === undefined ? undefined : JSON.stringify(toWire(opts.body)));
    });
  }

  /**
   * A watch: `onEvent` for each event line until the server ends the stream (resolves) or it fails
   * (rejects; a non-2xx status as KubeApiError). `stop()` ends it from this side.
   */
  watch(path: string, query: Query, onEvent: (event: { type: string; object: unknown }) => void): { done: Promise<void>; stop(): void } {
    let req: Http.ClientRequest | undefined;
    let stopped = false;
    const done = new Promise<void>((resolvePromise, reject) => {
      const timeoutMs = (Number(query.timeoutSeconds) || 0) * 1000 + WATCH_SILENCE_MS;
      req = this.open("GET", path, { ...query, watch: true }, timeoutMs, (res) => {
        if ((res.statusCode ?? 0) !== 200) {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString("utf8")));
          res.on("end", () => { let body: unknown = text; try { body = JSON.parse(text); } catch { /* text */ } reject(new KubeApiError(res.statusCode ?? 0, body, "WATCH", path)); });
          return;
        }
        let pending = "";
        res.setEncoding("utf8"); // a character split between two chunks stays whole
        res.on("data", (c: string) => {
          pending += c;
          for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (!line) continue;
            try { onEvent(JSON.parse(line) as { type: string; object: unknown }); } catch (err) { req?.destroy(err as Error); return; }
          }
        });
        res.on("error", (err) => (stopped ? resolvePromise() : reject(err)));
        res.on("end", () => resolvePromise());
        res.on("close", () => (stopped || res.complete ? resolvePromise() : reject(new Error(`watch ${path}: the connection was cut`))));
      }, (err) => (stopped ? resolvePromise() : reject(err)));
    });
    return { done, stop: () => { stopped = true; req?.destroy(); } };
  }

  close(): void {
    this.agent.destroy();
  }
}

interface KubeconfigFile {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: { server: string; "certificate-authority"?: string; "certificate-authority-data"?: string; "insecure-skip-tls-verify"?: boolean } }[];
  users?: { name: string; user: { token?: string; tokenFile?: string; "client-certificate"?: string; "client-certificate-data"?: string; "client-key"?: string; "client-key-data"?: string } & Record<string, unknown> }[];
}

/** KUBECONFIG's (first file's) current context: server, CA, token or client certificate; refuses exec and auth-provider users. */
function fromKubeconfig(path: string): KubeAccessOptions {
  // yaml only for a kubeconfig: in a pod the operator never parses one.
  const { parse } = requireBuiltin("yaml") as typeof import("yaml");
  const doc = parse(readFileSync(path, "utf8")) as KubeconfigFile;
  const ctxName = doc["current-context"];
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`${path}: current-context "${ctxName ?? ""}" is not among its contexts`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  if (!cluster) throw new Error(`${path}: cluster "${ctx.cluster}" of context "${ctxName}" is missing`);
  if (user.exec || user["auth-provider"]) throw new Error(`${path}: user "${ctx.user}" authenticates with exec or auth-provider, which the operator does not run; use a token or a client certificate`);
  const base = dirname(path);
  const file = (p: string | undefined) => (p ? readFileSync(resolve(base, p)) : undefined);
  const data = (d: string | undefined) => (d ? Buffer.from(d, "base64") : undefined);
  return {
    server: cluster.server,
    ca: data(cluster["certificate-authority-data"]) ?? file(cluster["certificate-authority"]),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    cert: data(user["client-certificate-data"]) ?? file(user["client-certificate"]),
    key: data(user["client-key-data"]) ?? file(user["client-key"]),
    token: user.token,
    tokenFile: user.tokenFile ? resolve(base, user.tokenFile) : undefined,
  };
}

/** In a pod: the ServiceAccount (unless KUBECONFIG is set); elsewhere KUBECONFIG, or ~/.kube/config. */
export function loadKubeAccess(env: NodeJS.ProcessEnv = process.env): KubeAccess {
  if (env.KUBERNETES_SERVICE_HOST && !env.KUBECONFIG) {
    const host = env.KUBERNETES_SERVICE_HOST.includes(":") ? `[${env.KUBERNETES_SERVICE_HOST}]` : env.KUBERNETES_SERVICE_HOST;
    return new KubeAccess({
      server: `https://${host}:${env.KUBERNETES_SERVICE_PORT ?? "443"}`,
      ca: readFileSync(`${SERVICE_ACCOUNT}/ca.crt`),
      tokenFile: `${SERVICE_ACCOUNT}/token`,
    });
  }
  const path = env.KUBECONFIG?.split(":")[0] || resolve(homedir(), ".kube/config");
  return new KubeAccess(fromKubeconfig(path));
}
