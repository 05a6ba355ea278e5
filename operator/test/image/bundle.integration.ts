// The operator image's runtime layout without a container engine: operator/src/main.ts bundled the way
// the Dockerfile bundles it, laid out as /opt/mdb (dist/, node_modules) and run the way the image runs
// it (`node dist/mdb-operator.mjs`), outside the repository. Every import resolves, the health endpoints answer (alive, not ready while it cannot
// list anything from an API server that does not answer), a bad setting stops it naming the variable,
// and SIGTERM stops it cleanly.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "../../../common/wait.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function httpStatus(port: number, path: string): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

describe("operator image bundle", { timeout: 120_000 }, () => {
  let root: string;
  let opt: string;
  const children: ChildProcess[] = [];

  before(() => {
    root = mkdtempSync(join(tmpdir(), "mdb-operator-image-"));
    opt = join(root, "opt/mdb");
    // Same command as the Dockerfile's build stage.
    const bundle = spawnSync(join(repo, "node_modules/.bin/esbuild"), [
      "operator/src/main.ts", "--bundle", "--platform=node", "--format=esm", "--target=node20",
      "--packages=external", `--outfile=${join(opt, "dist/mdb-operator.mjs")}`, "--log-level=warning",
    ], { cwd: repo, encoding: "utf8" });
    assert.equal(bundle.status, 0, bundle.stderr);
    symlinkSync(join(repo, "node_modules"), join(opt, "node_modules"));
    // An API server that refuses connections: the operator must stay up (alive, not ready) and retry.
    mkdirSync(join(root, "tmp"));
    writeFileSync(join(root, "kubeconfig"), [
      "apiVersion: v1", "kind: Config", "current-context: none",
      "clusters: [{ name: none, cluster: { server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true } }]",
      "users: [{ name: none, user: { token: not-a-token } }]",
      "contexts: [{ name: none, context: { cluster: none, user: none } }]", "",
    ].join("\n"));
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) { c.kill("SIGKILL"); await new Promise((r) => c.once("exit", r)); }
    rmSync(root, { recursive: true, force: true });
  });

  const start = (env: Record<string, string>) => {
    const child = spawn(process.execPath, ["dist/mdb-operator.mjs"], {
      cwd: opt, stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "", HOME: join(root, "tmp"), TMPDIR: join(root, "tmp"), NODE_ENV: "production",
        KUBECONFIG: join(root, "kubeconfig"),
        POD_NAME: "mdb-operator-test", POD_NAMESPACE: "mdb-system", MDB_LEADER_ELECT: "false", ...env,
      },
    });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    children.push(child);
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
    return { child, exited, output: () => output };
  };

  test("the bundle loads, serves /healthz, is not ready without an API server, and stops on SIGTERM", async () => {
    const port = await freePort();
    const op = start({ MDB_HEALTH_PORT: String(port) });
    await waitFor(async () => {
      if (op.child.exitCode !== null) throw Object.assign(new Error(`the bundled operator exited (${op.child.exitCode}):\n${op.output().slice(-1500)}`), { fatal: true });
      return (await httpStatus(port, "/healthz")) === 200;
    }, { timeoutMs: 30_000, what: "the bundled operator's /healthz" });
    assert.equal(await httpStatus(port, "/readyz"), 503, "ready although no API server answered");
    op.child.kill("SIGTERM");
    const { code } = await op.exited;
    assert.equal(code, 0, `exit after SIGTERM; output:\n${op.output().slice(-1500)}`);
  });

  test("a bad setting stops it with the variable's name", async () => {
    const op = start({ MDB_HEALTH_PORT: String(await freePort()), MDB_LEADER_ELECT: "maybe" });
    const { code } = await op.exited;
    assert.notEqual(code, 0);
    assert.match(op.output(), /MDB_LEADER_ELECT/);
  });
});
