// The one piece of the kubelet's HTTPS API that tools need most: container logs, so `kubectl logs`
// (and `--previous`, `-f`, `--tail`, `--limit-bytes`) works. The API server reaches every Node at its
// InternalIP (the bridge gateway) on the kubelet port; one server answers for all Nodes because the
// path names the pod. Only the API server's own address may call it (pods share that network).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync, openSync, readSync, closeSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  previous: boolean;
  tailLines?: number;
  limitBytes?: number;
}

/** Parses `/containerLogs/{namespace}/{pod}/{container}?follow=true&previous=true&tailLines=N&limitBytes=N`. */
export function parseLogRequest(url: string): LogRequest | undefined {
  const u = new URL(url, "https://kubelet");
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(u.pathname);
  if (!m) return undefined;
  const num = (name: string): number | undefined => {
    const raw = u.searchParams.get(name);
    if (raw === null || raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${raw}: expected a non-negative whole number`);
    return n;
  };
  return {
    namespace: decodeURIComponent(m[1]), pod: decodeURIComponent(m[2]), container: decodeURIComponent(m[3]),
    follow: u.searchParams.get("follow") === "true", previous: u.searchParams.get("previous") === "true",
    tailLines: num("tailLines"), limitBytes: num("limitBytes"),
  };
}

/** The part of a log to send: the last `tailLines` lines, then at most `limitBytes` bytes. */
export function selectLog(text: Buffer, tailLines?: number, limitBytes?: number): Buffer {
  let out = text;
  if (tailLines !== undefined) {
    let cut = out.length;
    if (out.length > 0 && out[out.length - 1] === 0x0a) cut--; // a trailing newline ends the last line
    let lines = 0;
    while (cut > 0) {
      if (out[cut - 1] === 0x0a && ++lines === tailLines) break;
      cut--;
    }
    out = tailLines === 0 ? Buffer.alloc(0) : out.subarray(cut);
  }
  if (limitBytes !== undefined && out.length > limitBytes) out = out.subarray(0, limitBytes);
  return out;
}

export function containerLogFile(stateDir: string, r: { namespace: string; pod: string; container: string; previous: boolean }): string {
  return join(stateDir, "logs", "pods", `${r.namespace}_${r.pod}`, `${r.container}.log${r.previous ? ".prev" : ""}`);
}

/** A self-signed serving certificate for the gateway address, made once per state directory. */
function servingCertificate(dir: string, ip: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, "kubelet.key");
  const cert = join(dir, "kubelet.crt");
  if (!existsSync(key) || !existsSync(cert)) {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "365",
      "-subj", "/CN=mdb-podrunner-kubelet", "-addext", `subjectAltName=IP:${ip},IP:127.0.0.1`], { stdio: "ignore" });
  }
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

export class KubeletLogServer {
  private server?: Server;
  private readonly followers = new Set<NodeJS.Timeout>();

  constructor(private readonly stateDir: string, private readonly host: string, readonly port: number, private readonly log: (m: string) => void) {}

  async start(): Promise<void> {
    const { key, cert } = servingCertificate(join(this.stateDir, "podrunner"), this.host);
    this.server = createServer({ key, cert }, (req, res) => {
      const remote = req.socket.remoteAddress?.replace(/^::ffff:/, "");
      if (remote !== this.host && remote !== "127.0.0.1") {
        res.writeHead(403).end("only the API server may use this endpoint\n");
        return;
      }
      let r: LogRequest | undefined;
      try {
        r = parseLogRequest(req.url ?? "/");
      } catch (e) {
        res.writeHead(400).end(`${(e as Error).message}\n`);
        return;
      }
      if (!r || req.method !== "GET") {
        res.writeHead(404).end("the proving ground's kubelet API serves only GET /containerLogs/{namespace}/{pod}/{container}\n");
        return;
      }
      const file = containerLogFile(this.stateDir, r);
      if (!existsSync(file)) {
        res.writeHead(404).end(r.previous
          ? `previous terminated container "${r.container}" in pod "${r.pod}" not found\n`
          : `container "${r.container}" in pod "${r.pod}" has no log (${file})\n`);
        return;
      }
      res.writeHead(200, { "content-type": "text/plain" });
      const text = readFileSync(file);
      res.write(selectLog(text, r.tailLines, r.limitBytes));
      if (!r.follow || r.previous) {
        res.end();
        return;
      }
      this.follow(file, text.length, res);
    });
    await new Promise<void>((resolve) => {
      this.server!.once("error", (e: NodeJS.ErrnoException) => {
        this.log(`kubectl logs will not work: cannot listen on ${this.host}:${this.port} (${e.code ?? e.message})`);
        this.server = undefined;
        resolve();
      });
      this.server!.listen(this.port, this.host, () => resolve());
    });
  }

  /** Streams what is appended until the client goes away or the container restarts (its log is renamed). */
  private follow(file: string, from: number, res: import("node:http").ServerResponse): void {
    let offset = from;
    const inode = statSync(file).ino;
    const timer = setInterval(() => {
      try {
        const st = statSync(file);
        if (st.ino !== inode) throw new Error("restarted");
        if (st.size > offset) {
          const fd = openSync(file, "r");
          try {
            const chunk = Buffer.alloc(st.size - offset);
            readSync(fd, chunk, 0, chunk.length, offset);
            offset = st.size;
            res.write(chunk);
          } finally {
            closeSync(fd);
          }
        }
      } catch {
        stop();
      }
    }, 250);
    const stop = () => {
      clearInterval(timer);
      this.followers.delete(timer);
      res.end();
    };
    this.followers.add(timer);
    res.on("close", stop);
  }

  stop(): void {
    for (const t of this.followers) clearInterval(t);
    this.followers.clear();
    this.server?.closeAllConnections();
    this.server?.close();
  }
}
