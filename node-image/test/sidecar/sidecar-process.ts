// Starts mdb-sidecar as a child process next to a harness engine (as in a pod: same IP, its own data
// dir), and tracks the PIDs it spawns so exactly those are killed.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "node:http";
import type { EngineProcess } from "../../../testing/engines.ts";
import { waitFor } from "../../../common/wait.ts";
import { GrpcSidecarClient, type GrpcSidecarClientOptions } from "../../../operator/src/sidecar/grpc-client.ts";
import { SidecarCallError } from "../../../operator/src/sidecar/client.ts";
import assert from "node:assert/strict";

const mainPath = fileURLToPath(new URL("../../src/sidecar/main.ts", import.meta.url));
export const SIDECAR_PORT = 7070;
export const HEALTH_PORT = 7071;
export const METRICS_PORT = 7072;

const running = new Set<ChildProcess>();
let hooked = false;
function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const c of running) if (c.pid && c.exitCode === null && c.signalCode === null) { try { process.kill(c.pid, "SIGKILL"); } catch { /* gone */ } }
  });
}

export interface SidecarProcessOptions {
  engine: EngineProcess;
  password: string;
  token?: string;
  tls?: { caFile: string; certFile: string; keyFile: string };
  extraEnv?: Record<string, string>;
}

export class SidecarProcess {
  private child: ChildProcess | undefined;
  readonly dataDir: string;
  readonly secretsDir: string;
  private output = "";

  constructor(readonly opts: SidecarProcessOptions) {
    this.dataDir = mkdtempSync(join(tmpdir(), `mdb-sidecar-${opts.engine.host}-`));
    this.secretsDir = join(this.dataDir, "secrets");
  }

  get host(): string { return this.opts.engine.host; }
  get address(): string { return `${this.host}:${SIDECAR_PORT}`; }
  get pid(): number { return this.child?.pid ?? 0; }

  async start(): Promise<void> {
    installExitHook();
    rmSync(this.secretsDir, { recursive: true, force: true });
    writeFileSync(join(this.dataDir, "password"), this.opts.password, { mode: 0o600 });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      MDB_POD_IP: this.host,
      MDB_ENGINE_PORT: String(this.opts.engine.port),
      MDB_PASSWORD_FILE: join(this.dataDir, "password"),
      MDB_DATA_DIR: this.dataDir,
      MDB_SIDECAR_PORT: String(SIDECAR_PORT),
      MDB_HEALTH_PORT: String(HEALTH_PORT),
      MDB_OBSERVE_INTERVAL_MS: "100",
      ...this.opts.extraEnv,
    };
    if (this.opts.token) {
      writeFileSync(join(this.dataDir, "token"), this.opts.token, { mode: 0o600 });
      env.MDB_SIDECAR_TOKEN_FILE = join(this.dataDir, "token");
    }
    if (this.opts.tls) Object.assign(env, { MDB_TLS_CA_FILE: this.opts.tls.caFile, MDB_TLS_CERT_FILE: this.opts.tls.certFile, MDB_TLS_KEY_FILE: this.opts.tls.keyFile });
    const child = spawn(process.execPath, ["--import", "tsx", mainPath, "serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    running.add(child);
    child.once("exit", () => running.delete(child));
    const logFile = join(this.dataDir, "sidecar.log");
    const collect = (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-20_000);
      appendFileSync(logFile, b);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`mdb-sidecar ${this.host} exited ${child.exitCode}:\n${this.logTail()}`);
      return (await this.probe("/livez")).status === 200;
    }, { timeoutMs: 30_000, intervalMs: 100, what: `mdb-sidecar on ${this.host} to answer /livez` });
  }

  /** SIGKILL, as a crashed container; waits for the exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await gone;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  client(extra: Partial<GrpcSidecarClientOptions> = {}): GrpcSidecarClient {
    return new GrpcSidecarClient({ address: this.address, bearerToken: this.opts.token, callTimeoutMs: 60_000, ...extra });
  }

  probe(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: this.host, port: HEALTH_PORT, path, timeout: 2000 }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.on("timeout", () => req.destroy(new Error("health probe timed out")));
      req.end();
    });
  }

  /** Every line the sidecar wrote since this object was made (across restarts), as written. */
  logLines(): string[] {
    const path = join(this.dataDir, "sidecar.log");
    return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
  }

  /** GET /metrics on the sidecar's metrics port, with no credentials (as Prometheus scrapes it). */
  async scrape(): Promise<{ status: number; contentType: string; text: string }> {
    const res = await fetch(`http://${this.host}:${METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() };
  }

  logTail(lines = 30): string {
    return this.output.trimEnd().split("\n").slice(-lines).join("\n");
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A GetStatus with this client fails with one of `codes` (a refused TLS handshake reads UNAVAILABLE); the client is closed. */
export async function assertRefused(c: GrpcSidecarClient, label: string, codes: readonly string[] = ["UNAVAILABLE"]): Promise<void> {
  try {
    await c.status();
    assert.fail(`${label}: the call was accepted`);
  } catch (err) {
    assert.ok(err instanceof SidecarCallError, `${label}: ${String(err)}`);
    assert.ok(codes.includes(err.code), `${label}: ${err.code} ${err.details}`);
  } finally {
    c.close();
  }
}
