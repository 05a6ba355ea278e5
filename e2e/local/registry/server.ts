// The proving ground's image registry: a read-only OCI distribution endpoint on loopback that serves
// the images `npm run images:build` published (one OCI layout per repository under
// <store>/<host>/<repository>/). Every node's containerd resolves image hosts here, so pulls, digests and
// imagePullPolicy behave as on any cluster, and no pull ever leaves the machine.
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";

interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

const ROUTE = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** The layout directory of `repository` under `host` (the `ns` a mirror request names), else any host holding it. */
function layoutDir(store: string, repository: string, host: string | null): string | undefined {
  const hosts = host ? [host] : existsSync(store) ? readDirSafe(store) : [];
  for (const h of hosts) {
    const dir = join(store, h, repository);
    if (existsSync(join(dir, "index.json"))) return dir;
  }
  return undefined;
}

function readDirSafe(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

function findManifest(dir: string, reference: string): Descriptor | undefined {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests?: Descriptor[] };
  return (index.manifests ?? []).find((m) => (DIGEST.test(reference) ? m.digest === reference : m.annotations?.["org.opencontainers.image.ref.name"] === reference));
}

function blobPath(dir: string, digest: string): string {
  return join(dir, "blobs", "sha256", digest.slice("sha256:".length));
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ errors: [{ code, message }] }));
}

export function handle(store: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://registry.local");
  res.setHeader("docker-distribution-api-version", "registry/2.0");
  if (req.method !== "GET" && req.method !== "HEAD") return error(res, 405, "UNSUPPORTED", "this registry is read-only: publish images with npm run images:build");
  if (url.pathname === "/v2/" || url.pathname === "/v2") { res.writeHead(200, { "content-type": "application/json" }); res.end("{}"); return; }
  const m = ROUTE.exec(url.pathname);
  if (!m || !REPOSITORY.test(m[1])) return error(res, 404, "NAME_UNKNOWN", `unknown path ${url.pathname}`);
  const [, repository, kind, reference] = m;
  const dir = layoutDir(store, repository, url.searchParams.get("ns"));
  if (!dir) return error(res, 404, "NAME_UNKNOWN", `repository ${repository} is not built here: add it to e2e/local/image-builds.yaml and run npm run images:build`);
  let digest = reference;
  let mediaType = "application/octet-stream";
  if (kind === "manifests") {
    const found = findManifest(dir, reference);
    if (!found) return error(res, 404, "MANIFEST_UNKNOWN", `${repository}:${reference} is not built here (run npm run images:build)`);
    digest = found.digest;
    mediaType = found.mediaType;
  } else if (!DIGEST.test(reference)) {
    return error(res, 400, "DIGEST_INVALID", `${reference} is not a sha256 digest`);
  }
  const path = blobPath(dir, digest);
  if (!existsSync(path)) return error(res, 404, "BLOB_UNKNOWN", `${digest} is missing from ${dir}`);
  res.writeHead(200, { "content-type": mediaType, "content-length": statSync(path).size, "docker-content-digest": digest });
  if (req.method === "HEAD") { res.end(); return; }
  createReadStream(path).pipe(res);
}

export function startRegistry(store: string, port: number, host = "127.0.0.1", log?: (line: string) => void): Promise<Server> {
  const server = createServer((req, res) => {
    res.once("finish", () => log?.(`${req.method} ${req.url} ${res.statusCode} ${res.getHeader("content-length") ?? 0}`));
    try { handle(store, req, res); } catch (e) { error(res, 500, "UNKNOWN", (e as Error).message); }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [store, port] = process.argv.slice(2);
  if (!store || !port) {
    console.error("usage: server.ts STORE_DIR PORT");
    process.exit(2);
  }
  startRegistry(store, Number(port), "127.0.0.1", (line) => console.log(`${new Date().toISOString()} ${line}`)).then(() => console.log(`registry serving ${store} on 127.0.0.1:${port}`), (e: Error) => {
    console.error(`registry: cannot listen on 127.0.0.1:${port}: ${e.message}`);
    process.exit(1);
  });
}
