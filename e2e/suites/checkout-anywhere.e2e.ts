// A checkout anywhere, /tmp included (issue #15): the working tree is copied into a fresh directory
// under /tmp (node_modules hard-linked, the pinned builds shared through ~/.cache/mdbcluster), and
// `npm run demo` runs there as a user's first command would: a second proving ground started from
// the copy beside any other (its own state dir, ports, bridge and networks), the operator installed
// from the copy's chart, the example MdbCluster Ready, keys written and read back. Then
// `npm run cluster:down` in the copy must leave nothing of it behind.
//
// Before the fix the operator's pods crash-looped here with `mdb-launch: cd: /tmp/…: No such file or
// directory`: the chart's emptyDir at /tmp covered the checkout the pod runner runs them from.
// Pod-runner nodes only: on real nodes a pod runs an image, not the checkout.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO_ROOT } from "../local/controlplane/cluster.ts";
import { processesUsing } from "../local/controlplane/host-state.ts";
import { kubeconfigNamesAnotherCluster } from "../support/ground.ts";
import { pinnedBinDir } from "../local/toolchain/paths.ts";

/** The second proving ground's own names and numbers, apart from the default one and README's second one. */
const GROUND_ENV: Record<string, string> = {
  MDB_NODES: "podrunner", MDB_BRIDGE: "mdbany", MDB_POD_CIDR: "10.247.0.0/16", MDB_SERVICE_CIDR: "10.99.0.0/16",
  MDB_APISERVER_PORT: "16443", MDB_ETCD_PORT: "16379", MDB_KCM_PORT: "16257", MDB_SCHEDULER_PORT: "16259",
  MDB_KUBELET_PORT: "16250", MDB_REGISTRY_PORT: "16500",
  MDB_DEMO_OPERATOR_TIMEOUT_SECONDS: "180", MDB_DEMO_READY_TIMEOUT_SECONDS: "300",
};

const log = (line: string) => console.log(`  [checkout in /tmp] ${line}`);
const skip = kubeconfigNamesAnotherCluster() ? "KUBECONFIG names a cluster that is not a proving ground"
  : process.env.MDB_NODES === "real" ? "real nodes run images, not the checkout; the pod-runner run covers this" : false;

/** The copy's environment: the ground variables above, no KUBECONFIG or MDB_LOCAL_DIR of the caller's. */
function copyEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...GROUND_ENV };
  delete env.KUBECONFIG;
  delete env.MDB_LOCAL_DIR;
  return env;
}

/** Runs `npm run <script>` in the copy; every line goes to `logFile` and the interesting ones to the test output. */
function npmRun(cwd: string, script: string, logFile: string, show: (line: string) => boolean): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", script], { cwd, env: copyEnv(), stdio: ["ignore", "pipe", "pipe"] });
    const file = createWriteStream(logFile, { flags: "a" });
    let output = "";
    let partial = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      file.write(text);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (show(line)) log(`${script}: ${line.trim()}`);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => { file.end(); resolve({ code: code ?? -1, output }); });
  });
}

describe("a checkout under /tmp: npm run demo brings up its own proving ground, the operator and a Ready cluster", { skip, timeout: 900_000 }, () => {
  let tmp = "";
  let copy = "";
  let demoLog = "";
  let started = false;
  /** Tests that passed, so after() keeps the copy (and its logs) when any did not. */
  let passed = 0;

  before(() => {
    assert.ok(existsSync(join(pinnedBinDir(), "kube-apiserver")), `the pinned control plane is built (${pinnedBinDir()}); run bash e2e/local/toolchain/build.sh`);
    const bridgeTaken = spawnSync("ip", ["link", "show", GROUND_ENV.MDB_BRIDGE], { stdio: "ignore" }).status === 0;
    assert.ok(!bridgeTaken, `the bridge ${GROUND_ENV.MDB_BRIDGE} exists: a proving ground this suite left behind? cluster:down with its variables, or ip link del ${GROUND_ENV.MDB_BRIDGE}`);
    tmp = mkdtempSync("/tmp/mdb-anywhere-");
    copy = join(tmp, "mdbcluster");
    demoLog = join(tmp, "demo.log");
  });

  after(async () => {
    if (!copy) return;
    try {
      if (started && existsSync(join(copy, ".mdb-local", "cluster.json"))) {
        const down = await npmRun(copy, "cluster:down", join(tmp, "down.log"), () => false);
        if (down.code !== 0) log(`cluster:down (clean-up) exited ${down.code}:\n${down.output.slice(-2000)}`);
      }
    } finally {
      // Kept after a failure for a look at the logs; removed when everything passed.
      if (passed === 3) rmSync(tmp, { recursive: true, force: true });
      else log(`left ${tmp} for inspection (demo log: ${demoLog})`);
    }
  });

  test("the working tree copied into a fresh /tmp directory, packages linked", () => {
    const t0 = Date.now();
    // Tracked and new files as they are now (the copy tests this tree, not the last commit), times kept
    // so `npm run demo` finds node_modules current and skips npm ci. Without git (an unpacked tarball),
    // everything but the ignored directories.
    const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" });
    const files = listed.status === 0 ? listed.stdout.split("\0").filter((f) => f && existsSync(join(REPO_ROOT, f))) : ["."];
    const excludes = ["./node_modules", "./.mdb-local", "./.mdb-local.lock", "./.git"].flatMap((x) => ["--exclude", x]);
    mkdirSync(copy, { recursive: true });
    const tar = spawnSync("bash", ["-c", 'tar "${@:2}" --null -T - -cf - | tar -xf - -C "$1"', "copy", copy, ...excludes],
      { cwd: REPO_ROOT, input: files.join("\0"), encoding: "utf8" });
    assert.equal(tar.status, 0, `copying the tree failed: ${tar.stderr}`);
    // Hard links keep node_modules inside the copy (as after npm ci there) at no cost; a symlink when
    // /tmp is another file system.
    const linked = spawnSync("cp", ["-al", join(REPO_ROOT, "node_modules"), join(copy, "node_modules")], { encoding: "utf8" });
    if (linked.status !== 0) {
      rmSync(join(copy, "node_modules"), { recursive: true, force: true });
      symlinkSync(join(REPO_ROOT, "node_modules"), join(copy, "node_modules"));
    }
    log(`${listed.status === 0 ? `${files.length} files` : "the tree (no git)"} copied to ${copy} in ${Date.now() - t0} ms (node_modules ${linked.status === 0 ? "hard-linked" : "symlinked"})`);
    assert.ok(existsSync(join(copy, "scripts/demo.sh")) && existsSync(join(copy, "node_modules/tsx")));
    passed++;
  });

  test("npm run demo in the copy: proving ground, operator, example cluster Ready, keys round-trip", async (t) => {
    if (passed < 1) return t.skip("there is no copy");
    const t0 = Date.now();
    started = true;
    const demo = await npmRun(copy, "demo", demoLog, (line) => /^\s*==>|operator ready|\bReady\b|wrote \d+ keys|error/i.test(line));
    log(`npm run demo exited ${demo.code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(demo.code, 0, `npm run demo in ${copy} failed; its last output:\n${demo.output.slice(-4000)}`);
    assert.match(demo.output, /operator ready/, "the operator became ready");
    assert.match(demo.output, /wrote 1000 keys and read every one back/, "the key round-trip passed");

    // The operator and the members ran from the copy, and none of their containers failed to start
    // there: the launch script's own errors (mdb-launch: cd: …) or a program or package not found would
    // be in a container's log, the current instance's or the one before.
    const stateDir = join(copy, ".mdb-local");
    const runnerLog = readFileSync(join(stateDir, "logs", "podrunner.log"), "utf8");
    assert.ok(runnerLog.includes(`${copy}/operator/src/main.ts`), `the pod runner started the operator from ${copy}/operator/src/main.ts`);
    assert.ok(runnerLog.includes(`${copy}/node-image/src/sidecar/main.ts`), `the pod runner started the sidecars from ${copy}/node-image/src/sidecar/main.ts`);
    const podLogs = join(stateDir, "logs", "pods");
    const launchFailures = readdirSync(podLogs).flatMap((pod) => readdirSync(join(podLogs, pod)).flatMap((file) =>
      readFileSync(join(podLogs, pod, file), "utf8").split("\n").filter((l) => /mdb-launch:|ERR_MODULE_NOT_FOUND|Cannot find module/.test(l))
        .map((l) => `${pod}/${file}: ${l}`)));
    assert.deepEqual(launchFailures, [], "no container failed to launch from the copy");
    // Restarts are reported, not judged: on a loaded machine a probe may time out once.
    const kubectl = join(pinnedBinDir(), "kubectl");
    const pods = spawnSync(kubectl, ["--kubeconfig", join(stateDir, "kubeconfig"), "get", "pods", "-A", "-o", "jsonpath={range .items[*]}"
      + "{.metadata.namespace}/{.metadata.name}{range .status.containerStatuses[*]} {.name}:{.restartCount}:{.lastState.terminated.reason}{end}{\"\\n\"}{end}"],
    { encoding: "utf8" });
    assert.equal(pods.status, 0, pods.stderr);
    const restarted = pods.stdout.split("\n").flatMap((line) => {
      const [pod, ...containers] = line.split(" ");
      return containers.map((c) => c.split(":")).filter(([, n]) => Number(n) > 0).map(([name, n, reason]) => {
        const prev = join(podLogs, pod.replace("/", "_"), `${name}.log.prev`);
        const last = existsSync(prev) ? readFileSync(prev, "utf8").trimEnd().split("\n").slice(-2).join(" | ") : "";
        return `${pod} ${name} restarted ${n}× (${reason}): ${last}`;
      });
    });
    log(restarted.length ? restarted.join("\n") : "no container restarted");
    passed++;
  });

  test("npm run cluster:down in the copy leaves no process, namespace or bridge of it", async (t) => {
    if (!started) return t.skip("no proving ground was started");
    const t0 = Date.now();
    const down = await npmRun(copy, "cluster:down", join(tmp, "down.log"), () => false);
    assert.equal(down.code, 0, `cluster:down failed:\n${down.output.slice(-2000)}`);
    log(`cluster:down in ${Date.now() - t0} ms`);
    assert.equal(existsSync(join(copy, ".mdb-local")), false, "the state dir is gone");
    assert.deepEqual(processesUsing(copy), [], `no process names ${copy}`);
    const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.startsWith(`${GROUND_ENV.MDB_BRIDGE}-`));
    assert.deepEqual(netns, [], "no network namespace of it");
    assert.notEqual(spawnSync("ip", ["link", "show", GROUND_ENV.MDB_BRIDGE], { stdio: "ignore" }).status, 0, `the bridge ${GROUND_ENV.MDB_BRIDGE} is gone`);
    passed++;
  });
});
