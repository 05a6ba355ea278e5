// The image's runtime layout without a container engine: the sidecar bundled the way the Dockerfile
// bundles it, the proto beside it, and the two entrypoint scripts (`mdb-engine`, `mdb-sidecar`) run as
// the containers would, on 127.0.5.3. Checks the engine starts from the rendered config, the bundled
// sidecar serves probes and gRPC, and both stop on SIGTERM.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "node:http";
import { waitFor } from "../../../common/wait.ts";
import { GrpcSidecarClient } from "../../../operator/src/sidecar/grpc-client.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const HOST = "127.0.5.3";
const TOKEN = "image-test-token-".padEnd(40, "t");

function probe(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port: 7071, path, timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on("error", reject);
    req.end();
  });
}

describe("image entrypoints with the bundled sidecar", { timeout: 90_000 }, () => {
  let root: string;
  const children: ChildProcess[] = [];
  let output = "";

  const start = (script: string, env: Record<string, string>) => {
    const child = spawn("sh", [join(repo, "node-image/bin", script)], { env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    children.push(child);
    return child;
  };
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
    const exited = new Promise<number | string | null>((r) => child.once("exit", (code, signal) => r(code ?? signal)));
    child.kill("SIGTERM");
    return exited;
  };

  before(() => {
    root = mkdtempSync(join(tmpdir(), "mdb-image-"));
    // Same command as the Dockerfile's build stage.
    const bundle = spawnSync(join(repo, "node_modules/.bin/esbuild"), [
      "node-image/src/sidecar/main.ts", "--bundle", "--platform=node", "--format=esm", "--target=node20",
      "--packages=external", `--outfile=${join(root, "opt/dist/mdb-sidecar.mjs")}`, "--log-level=warning",
    ], { cwd: repo, encoding: "utf8" });
    assert.equal(bundle.status, 0, bundle.stderr);
    symlinkSync(join(repo, "node_modules"), join(root, "opt/node_modules"));
    cpSync(join(repo, "proto/mdb"), join(root, "opt/proto/mdb"), { recursive: true });
    mkdirSync(join(root, "data"));
    mkdirSync(join(root, "secrets"));
    writeFileSync(join(root, "secrets/password"), "image-engine-password-0123\n");
    writeFileSync(join(root, "secrets/token"), `${TOKEN}\n`);
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) { c.kill("SIGKILL"); await new Promise((r) => c.once("exit", r)); }
    rmSync(root, { recursive: true, force: true });
  });

  test("mdb-engine and mdb-sidecar start, serve, and stop on SIGTERM", async () => {
    const env = {
      PATH: process.env.PATH ?? "", MDB_POD_IP: HOST, MDB_PASSWORD_FILE: join(root, "secrets/password"), MDB_DATA_DIR: join(root, "data"),
      MDB_SIDECAR_TOKEN_FILE: join(root, "secrets/token"), MDB_SIDECAR_JS: join(root, "opt/dist/mdb-sidecar.mjs"),
      MDB_SIDECAR_PROTO_DIR: join(root, "opt/proto"), MDB_ENGINE_CONFIG: join(root, "tmp/mdb/redis.conf"), MDB_APPENDONLY: "no",
    };
    const engine = start("mdb-engine", env);
    const sidecar = start("mdb-sidecar", env);
    await waitFor(async () => (await probe("/livez")) === 200, { timeoutMs: 30_000, what: `the bundled sidecar's /livez (output: ${output.slice(-500)})` });
    assert.equal(await probe("/readyz"), 503, "an ONLINE member is not ready");
    const client = new GrpcSidecarClient({ address: `${HOST}:7070`, bearerToken: TOKEN, callTimeoutMs: 5000 });
    try {
      const s = await waitFor(async () => { const x = await client.status(); return x.engineUp ? x : undefined; }, { timeoutMs: 20_000, what: "GetStatus with the engine up" });
      assert.equal(s.state, "ONLINE");
      assert.match(s.nodeId, /^[0-9a-f]{40}$/);
    } finally {
      client.close();
    }
    assert.match(readFileSync(join(root, "tmp/mdb/redis.conf"), "utf8"), /^cluster-enabled yes$/m);
    assert.equal(await stop(sidecar), 0, `sidecar output:\n${output.slice(-1000)}`);
    assert.equal(await stop(engine), 0);
    assert.equal(JSON.parse(readFileSync(join(root, "data/mdb-member-state.json"), "utf8")).state, "ONLINE");
  });
});
