// The member pod's runtime layout without a container engine, on 127.0.5.3: the sidecar bundled the way
// node-image/Dockerfile bundles it (node-image/build/bundle.ts), without node_modules; `mdb-sidecar render-config` as the init
// container, the engine container's command (common/engine-image.ts) with only the engine's directory
// on PATH, and `mdb-sidecar` as the sidecar. On each engine (testing/engine-binaries.ts): the engine
// starts from the rendered config, the bundled sidecar serves probes and gRPC and reports the engine,
// and both stop on SIGTERM.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "node:http";
import { waitFor } from "../../../common/wait.ts";
import { engineLaunchCommand } from "../../../common/engine-image.ts";
import { engineBinary, testEngines } from "../../../testing/engine-binaries.ts";
import { GrpcSidecarClient } from "../../../operator/src/sidecar/grpc-client.ts";
import { bundleSidecar } from "../../build/bundle.ts";

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

  const start = (argv: string[], env: Record<string, string>) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
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

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "mdb-image-"));
    // As the Dockerfile's build stage builds it, and with no node_modules beside it, as in the image.
    mkdirSync(join(root, "opt/dist"), { recursive: true });
    const packages = await bundleSidecar(join(root, "opt/dist"));
    assert.ok(packages.some((p) => p.startsWith("ioredis@")), packages.join(", "));
    assert.ok(!packages.some((p) => p.startsWith("@grpc/")), `the sidecar serves gRPC with its own server, not grpc-js: ${packages.join(", ")}`);
    assert.match(readFileSync(join(root, "opt/dist/THIRD-PARTY-NOTICES.txt"), "utf8"), /^ioredis \S+ \(MIT\)$/m);
    mkdirSync(join(root, "data"));
    mkdirSync(join(root, "secrets"));
    writeFileSync(join(root, "secrets/password"), "image-engine-password-0123\n");
    writeFileSync(join(root, "secrets/token"), `${TOKEN}\n`);
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) { c.kill("SIGKILL"); await new Promise((r) => c.once("exit", r)); }
    rmSync(root, { recursive: true, force: true });
  });

  const sidecarScript = join(repo, "node-image/bin/mdb-sidecar");
  const baseEnv = () => ({
    PATH: process.env.PATH ?? "", MDB_POD_IP: HOST, MDB_PASSWORD_FILE: join(root, "secrets/password"), MDB_DATA_DIR: join(root, "data"),
    MDB_SIDECAR_TOKEN_FILE: join(root, "secrets/token"), MDB_SIDECAR_JS: join(root, "opt/dist/mdb-sidecar.mjs"),
    MDB_APPENDONLY: "no",
  });

  for (const kind of testEngines()) {
    test(`${kind}: render-config, the engine command and mdb-sidecar start, serve, report the engine and stop on SIGTERM`, async () => {
      rmSync(join(root, "data"), { recursive: true, force: true });
      mkdirSync(join(root, "data"));
      const conf = join(root, `etc/${kind}/engine.conf`);
      const render = spawnSync("sh", [sidecarScript, "render-config", "--out", conf], { env: baseEnv(), encoding: "utf8" });
      assert.equal(render.status, 0, render.stderr);
      assert.match(readFileSync(conf, "utf8"), /^cluster-enabled yes$/m);
      const [, ...launch] = engineLaunchCommand(conf);
      const engine = start(["/bin/sh", ...launch], { PATH: dirname(engineBinary(kind)) });
      const sidecar = start(["sh", sidecarScript], baseEnv());
      await waitFor(async () => (await probe("/livez")) === 200, { timeoutMs: 30_000, what: `the bundled sidecar's /livez (output: ${output.slice(-500)})` });
      assert.equal(await probe("/readyz"), 503, "an ONLINE member is not ready");
      const client = new GrpcSidecarClient({ address: `${HOST}:7070`, bearerToken: TOKEN, callTimeoutMs: 5000 });
      try {
        const s = await waitFor(async () => { const x = await client.status(); return x.engineUp && x.engine ? x : undefined; }, { timeoutMs: 20_000, what: "GetStatus with the engine up" });
        assert.equal(s.state, "ONLINE");
        assert.match(s.nodeId, /^[0-9a-f]{40}$/);
        assert.equal(s.engine?.name, kind);
        assert.equal(s.engine?.unsupportedReason, "");
        assert.deepEqual(s.engine?.capabilities, kind === "valkey" ? ["atomic-slot-migration"] : []);
      } finally {
        client.close();
      }
      assert.equal(await stop(sidecar), 0, `sidecar output:\n${output.slice(-1000)}`);
      assert.equal(await stop(engine), 0);
      assert.equal(JSON.parse(readFileSync(join(root, "data/mdb-member-state.json"), "utf8")).state, "ONLINE");
    });
  }

  test("an engine image with neither valkey-server nor redis-server stops naming what it lacks", () => {
    const [, ...launch] = engineLaunchCommand(join(root, "missing.conf"));
    const r = spawnSync("/bin/sh", launch, { env: { PATH: join(root, "empty") }, encoding: "utf8" });
    assert.equal(r.status, 127);
    assert.match(r.stderr, /neither valkey-server nor redis-server on its PATH; use an image of Valkey >= 8 or Redis >= 7.0/);
  });
});
