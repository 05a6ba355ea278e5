// The proving ground itself, end to end: a real control plane with real nodes (kubelet + containerd,
// MDB_NODES=real) or the pod runner (pods as processes). The same faults, the same expectations.
// Reuses a running proving ground when KUBECONFIG points at one (its cluster.json sits beside the
// kubeconfig); with KUBECONFIG unset it brings one up ($MDB_LOCAL_DIR) and tears it down at the end,
// and then proves the machine is as it was before (processes, mounts, namespaces, interfaces,
// netfilter rules, kernel settings, cgroups).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, RbacAuthorizationV1Api, Watch, type V1Pod } from "@kubernetes/client-node";
import { clusterDown, readClusterInfo, stateDirFrom, type ClusterInfo } from "../local/controlplane/cluster.ts";
import { hostState, type HostState } from "../local/controlplane/host-state.ts";
import { podNetworkFromEnv } from "../local/controlplane/network.ts";
import { acquireGround, kubeconfigNamesAnotherCluster, releaseGround } from "../support/ground.ts";
import { waitFor } from "../../common/wait.ts";
import { ENGINE_CONFIG_DIR, ENGINE_CONFIG_FILE, engineLaunchCommand } from "../../common/engine-image.ts";
import { sendControl } from "../local/podrunner/control.ts";

const NS = `pg-${Date.now().toString(36)}`;
const TOLERATE_NODE_LOSS_SECONDS = 2;

interface Ground { stateDir: string; kubeconfig: string; startedHere: boolean }

function httpGet(url: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
  });
}

function netnsList(prefix: string): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n").map((l) => l.split(" ")[0]).filter((n) => n.startsWith(prefix));
}

/** Network namespaces (by identity, `net:[inode]`) that some process still has. */
function liveNetns(): Set<string> {
  const found = new Set<string>();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try { found.add(readlinkSync(`/proc/${pid}/ns/net`)); } catch { /* exited */ }
  }
  return found;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const testPod = (name: string, serviceAccountName: string, image: string): V1Pod => ({
  metadata: { name, namespace: NS, labels: { app: name } },
  spec: { serviceAccountName, terminationGracePeriodSeconds: 2, containers: [{ name: "main", image, ports: [{ containerPort: 8080 }],
    readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] },
});

// With KUBECONFIG pointing at another cluster (the kind path) there is no pod runner to test: this
// suite is about the proving ground itself, like controlplane.e2e.ts.
const elsewhere = kubeconfigNamesAnotherCluster();

describe("proving ground", { timeout: 600_000, skip: elsewhere ? "KUBECONFIG names a cluster that is not a proving ground" : false }, () => {
  let ground: Ground;
  let info: ClusterInfo;
  let before_: HostState | undefined;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let rbac: RbacAuthorizationV1Api;
  const seenNetns = new Set<string>();
  const seenPids = new Set<number>();

  /** Remembers every sandbox and process the runner reports, to prove they are gone at the end. */
  async function recordRunnerState(): Promise<void> {
    const reply = await sendControl(ground.stateDir, { action: "status" });
    const pods = (reply.data as { pods: { pod: string; netns?: string; containers: { pid?: number }[] }[] }).pods;
    for (const p of pods.filter((x) => x.pod.startsWith(`${NS}/`))) {
      if (p.netns) seenNetns.add(p.netns);
      for (const c of p.containers) if (c.pid) seenPids.add(c.pid);
    }
  }

  const pods = async (selector: string) => (await core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;

  before(async () => {
    // The machine as it is before this suite brings a proving ground up (compared at tear-down).
    const net = podNetworkFromEnv();
    const snapshot = hostState({ stateDir: stateDirFrom(), bridge: net.bridge, netnsPrefix: net.netnsPrefix });
    const acquired = await acquireGround();
    ground = { stateDir: acquired.stateDir!, kubeconfig: acquired.kubeconfig, startedHere: acquired.startedHere };
    if (acquired.startedHere) before_ = snapshot;
    info = readClusterInfo(ground.stateDir)!;
    console.log(`proving ground with ${info.nodesMode === "real" ? "real nodes (kubelet + containerd)" : "the pod runner"}, ${info.nodes.length} nodes`);
    kc = new KubeConfig();
    kc.loadFromFile(ground.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await waitFor(async () => (await core.readNamespacedServiceAccount({ name: "default", namespace: NS })).metadata?.name, { what: "the namespace's default ServiceAccount", timeoutMs: 30_000 });
  });

  after(async () => {
    if (!ground) return;
    // Also when a test failed before the tear-down test: never leave a proving ground we started.
    if (ground.startedHere) {
      await releaseGround(ground);
      return;
    }
    await core?.deleteNamespace({ name: NS }).catch(() => undefined);
  });

  test("a Deployment's pods run on distinct pod IPs, answer from the host and fill the Service's EndpointSlice", async () => {
    const firstSeen = new Map<string, number>();
    const runningAt = new Map<string, number>();
    const watch = await new Watch(kc).watch(`/api/v1/namespaces/${NS}/pods`, { labelSelector: "app=web" }, (_type, pod: V1Pod) => {
      const name = pod.metadata!.name!;
      if (!firstSeen.has(name)) firstSeen.set(name, Date.now());
      if (pod.status?.phase === "Running" && !runningAt.has(name)) runningAt.set(name, Date.now());
    }, () => undefined);
    const replicas = 3;
    await apps.createNamespacedDeployment({ namespace: NS, body: {
      metadata: { name: "web" },
      spec: {
        replicas, selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            terminationGracePeriodSeconds: 2,
            // Short tolerations so the node lifecycle controller evicts quickly once a node stops.
            tolerations: ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"].map((key) => ({
              key, operator: "Exists", effect: "NoExecute", tolerationSeconds: TOLERATE_NODE_LOSS_SECONDS })),
            containers: [{ name: "http", image: "mdbcluster/test-http:1", ports: [{ name: "http", containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 1 } }],
          },
        },
      },
    } });
    await core.createNamespacedService({ namespace: NS, body: {
      metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
    } });

    const ready = await waitFor(async () => {
      const list = await pods("app=web");
      const ok = list.filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
      return ok.length === replicas ? ok : undefined;
    }, { what: "3 web pods Ready", timeoutMs: 90_000 });
    watch.abort();
    const ips = ready.map((p) => p.status!.podIP!);
    assert.equal(new Set(ips).size, replicas, `pod IPs must be distinct: ${ips.join(", ")}`);
    const network = info.network.gateway.split(".").slice(0, 2).join(".");
    for (const ip of ips) assert.ok(ip.startsWith(`${network}.`), `pod IP ${ip} comes from the pod network ${info.network.cidr}, not loopback`);
    for (const p of ready) {
      assert.equal(await httpGet(`http://${p.status!.podIP}:8080/`), `${p.metadata!.name}\n`, "each pod answers with its own name");
      assert.deepEqual(p.status!.podIPs?.map((x) => x.ip), [p.status!.podIP]);
      assert.equal(p.status!.containerStatuses?.[0].ready, true);
    }
    const sliceIPs = await waitFor(async () => {
      const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: NS, labelSelector: "kubernetes.io/service-name=web" });
      const addresses = slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses));
      return addresses.length === replicas ? addresses : undefined;
    }, { what: "the EndpointSlice to list all 3 pod IPs", timeoutMs: 30_000 });
    assert.deepEqual([...sliceIPs].sort(), [...ips].sort());

    const latencies = ready.map((p) => runningAt.get(p.metadata!.name!)! - firstSeen.get(p.metadata!.name!)!).filter(Number.isFinite).sort((a, b) => a - b);
    assert.equal(latencies.length, replicas, "the watch saw every pod created and running");
    console.log(`pod start latency p50=${percentile(latencies, 50)}ms max=${latencies[latencies.length - 1]}ms (created → Running, ${replicas} pods)`);
    await recordRunnerState();
  });

  test("killing a container restarts it in place: restartCount 1, lastState terminated by SIGKILL", async () => {
    const [victim] = await pods("app=web");
    const name = victim.metadata!.name!;
    const reply = await sendControl(ground.stateDir, { action: "kill", pod: `${NS}/${name}`, container: "http" });
    assert.match(reply.message, /killed http/);
    const restarted = await waitFor(async () => {
      const p = await core.readNamespacedPod({ name, namespace: NS });
      const s = p.status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state?.running ? p : undefined;
    }, { what: "restartCount 1 and Running again", timeoutMs: 30_000 });
    const status = restarted.status!.containerStatuses![0];
    assert.equal(status.lastState?.terminated?.exitCode, 137);
    assert.equal(status.lastState?.terminated?.reason, "Error");
    assert.equal(restarted.status!.podIP, victim.status!.podIP, "a container restart keeps the pod's IP");
    // `kubectl logs [--previous]` goes through the API server to the runner's kubelet log endpoint.
    const logOf = (previous: boolean) => core.readNamespacedPodLog({ name, namespace: NS, container: "http", previous });
    const current = await waitFor(async () => {
      const text = await logOf(false);
      return text.includes("listening") ? text : undefined;
    }, { what: "the new instance's log", timeoutMs: 10_000 });
    assert.match(current, /test-http listening on 8080/);
    assert.match(await logOf(true), /test-http listening on 8080/, "the killed instance's log is kept as --previous");
    await waitFor(async () => (await httpGet(`http://${victim.status!.podIP}:8080/`)) === `${name}\n`, { what: "the restarted container to answer", timeoutMs: 15_000 });
    await recordRunnerState();
  });

  test("partition cuts a pod off while its process keeps running; heal restores it", async () => {
    const [pod] = await pods("app=web");
    const name = pod.metadata!.name!;
    const url = `http://${pod.status!.podIP}:8080/`;
    const pidBefore = (await core.readNamespacedPod({ name, namespace: NS })).status!.containerStatuses![0].containerID;
    await sendControl(ground.stateDir, { action: "partition", pod: `${NS}/${name}` });
    try {
      await assert.rejects(httpGet(url, 1_000), "a partitioned pod cannot be reached");
    } finally {
      await sendControl(ground.stateDir, { action: "heal", pod: `${NS}/${name}` });
    }
    assert.equal(await waitFor(async () => httpGet(url, 1_000), { what: "the healed pod to answer", timeoutMs: 15_000 }), `${name}\n`);
    const after = (await core.readNamespacedPod({ name, namespace: NS })).status!.containerStatuses![0];
    assert.equal(after.containerID, pidBefore, "the same process served before and after the partition");
  });

  test("a PersistentVolumeClaim is a directory that outlives its pod", async () => {
    await core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: {
      metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    } });
    const writer = (name: string, script: string): V1Pod => ({
      metadata: { name, namespace: NS },
      spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 1,
        containers: [{ name: "main", image: "busybox", command: ["/bin/sh", "-c", script], volumeMounts: [{ name: "data", mountPath: "/data" }] }],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }] },
    });
    const phaseOf = (name: string, want: string) => waitFor(async () => {
      const p = await core.readNamespacedPod({ name, namespace: NS });
      return p.status?.phase === want ? p : undefined;
    }, { what: `${name} ${want}`, timeoutMs: 60_000 });
    await core.createNamespacedPod({ namespace: NS, body: writer("first", "echo kept > /data/marker") });
    await phaseOf("first", "Succeeded");
    await core.deleteNamespacedPod({ name: "first", namespace: NS });
    await core.createNamespacedPod({ namespace: NS, body: writer("second", "test \"$(cat /data/marker)\" = kept") });
    const second = await phaseOf("second", "Succeeded");
    assert.equal(second.status!.containerStatuses![0].state?.terminated?.exitCode, 0, "the second pod read what the first wrote");
    assert.equal(readFileSync(join(ground.stateDir, "volumes", NS, "data", "marker"), "utf8"), "kept\n");
  });

  test("an image that was never built leaves the container Waiting with ErrImagePull and says why", async () => {
    await core.createNamespacedPod({ namespace: NS, body: testPod("unmapped", "default", "mdbcluster/not-built:1") });
    const state = await waitFor(async () => {
      const p = await core.readNamespacedPod({ name: "unmapped", namespace: NS });
      const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
      // A kubelet shows ContainerCreating while it sets up the sandbox and tries the pull.
      return waiting?.reason === "ContainerCreating" ? undefined : waiting;
    }, { what: "a Waiting reason", timeoutMs: 30_000 });
    assert.match(state.reason ?? "", /^(ErrImagePull|ImagePullBackOff)$/);
    assert.match(state.message ?? "", info.nodesMode === "real"
      ? /mdbcluster\/not-built:1.*not found/ // the loopback registry has no such image
      : /mdbcluster\/not-built:1.*not in the proving ground's image map/);
    const pod = await core.readNamespacedPod({ name: "unmapped", namespace: NS });
    assert.equal(pod.status?.phase, "Pending");
  });

  test("a pod whose ServiceAccount may list pods can, from inside the pod; one without the RoleBinding gets 403", async () => {
    for (const sa of ["pod-reader", "nobody"]) await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: sa } } });
    await rbac.createNamespacedRole({ namespace: NS, body: { metadata: { name: "list-pods" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }] } });
    await rbac.createNamespacedRoleBinding({ namespace: NS, body: {
      metadata: { name: "pod-reader-lists-pods" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "list-pods" },
      subjects: [{ kind: "ServiceAccount", name: "pod-reader", namespace: NS }],
    } });
    await core.createNamespacedPod({ namespace: NS, body: testPod("reader", "pod-reader", "mdbcluster/test-incluster:1") });
    await core.createNamespacedPod({ namespace: NS, body: testPod("outsider", "nobody", "mdbcluster/test-incluster:1") });
    const ipOf = (name: string) => waitFor(async () => {
      const p = await core.readNamespacedPod({ name, namespace: NS });
      return p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? p.status!.podIP : undefined;
    }, { what: `${name} Ready`, timeoutMs: 60_000 });
    const answer = async (name: string) => JSON.parse(await httpGet(`http://${await ipOf(name)}:8080/`, 10_000)) as { code: number; pods?: number; message?: string };
    const reader = await answer("reader");
    assert.equal(reader.code, 200, `in-cluster list as pod-reader: ${JSON.stringify(reader)}`);
    assert.ok((reader.pods ?? 0) >= 3, "the reader sees the namespace's pods");
    const outsider = await answer("outsider");
    assert.equal(outsider.code, 403, `in-cluster list as nobody: ${JSON.stringify(outsider)}`);
    await recordRunnerState();
  });

  test("a stopped node goes NotReady, its pods are evicted and replaced; back up, its evicted pods are removed", async () => {
    const [victim] = await pods("app=web");
    const node = victim.spec!.nodeName!;
    const victimName = victim.metadata!.name!;
    await sendControl(ground.stateDir, { action: "stop-node", node });
    try {
      await waitFor(async () => {
        const n = await core.readNode({ name: node });
        return n.status?.conditions?.find((c) => c.type === "Ready")?.status !== "True";
      }, { what: `node ${node} NotReady`, timeoutMs: 90_000, intervalMs: 500 });
      await waitFor(async () => {
        const p = await core.readNamespacedPod({ name: victimName, namespace: NS });
        return p.metadata?.deletionTimestamp !== undefined;
      }, { what: `pod ${victimName} evicted (marked for deletion)`, timeoutMs: 60_000, intervalMs: 500 });
      await waitFor(async () => {
        const list = await pods("app=web");
        return list.filter((p) => !p.metadata?.deletionTimestamp && p.spec?.nodeName !== node
          && p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length === 3;
      }, { what: "a replacement web pod Ready on another node", timeoutMs: 60_000, intervalMs: 500 });
    } finally {
      await sendControl(ground.stateDir, { action: "start-node", node });
    }
    await waitFor(async () => {
      const n = await core.readNode({ name: node });
      return n.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    }, { what: `node ${node} Ready again`, timeoutMs: 30_000, intervalMs: 500 });
    await waitFor(async () => {
      try {
        await core.readNamespacedPod({ name: victimName, namespace: NS });
        return false;
      } catch (e) {
        return (e as { code?: number }).code === 404;
      }
    }, { what: `evicted pod ${victimName} removed once its node is back`, timeoutMs: 30_000, intervalMs: 500 });
    await recordRunnerState();
  });

  test("member pods of the sidecar and engine images run as the operator will run them, and reach each other by stable name", async () => {
    const password = "pg-engine-password-0123456789";
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: "member-auth" },
      stringData: { password, token: "pg-sidecar-token-".padEnd(40, "t") } } });
    await core.createNamespacedService({ namespace: NS, body: { metadata: { name: "m" },
      spec: { clusterIP: "None", selector: { app: "m" }, ports: [{ name: "redis", port: 6379 }] } } });
    const env = [
      { name: "MDB_POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
      { name: "MDB_PASSWORD_FILE", value: "/secrets/password" }, { name: "MDB_SIDECAR_TOKEN_FILE", value: "/secrets/token" },
    ];
    const securityContext = { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
    const volumeMounts = [{ name: "data", mountPath: "/data" }, { name: "tmp", mountPath: "/tmp" }, { name: "auth", mountPath: "/secrets", readOnly: true }];
    const configMount = { name: "engine-config", mountPath: ENGINE_CONFIG_DIR };
    await apps.createNamespacedStatefulSet({ namespace: NS, body: {
      metadata: { name: "m" },
      spec: {
        serviceName: "m", replicas: 2, podManagementPolicy: "Parallel", selector: { matchLabels: { app: "m" } },
        template: {
          metadata: { labels: { app: "m" } },
          spec: {
            terminationGracePeriodSeconds: 2, securityContext: { runAsNonRoot: true },
            initContainers: [
              { name: "engine-config", image: "mdbcluster/node:dev", command: ["mdb-sidecar", "render-config", "--out", ENGINE_CONFIG_FILE], env, securityContext,
                volumeMounts: [...volumeMounts, configMount] },
            ],
            containers: [
              { name: "engine", image: "mdbcluster/engine-redis:7.0", command: engineLaunchCommand(), securityContext,
                volumeMounts: [volumeMounts[0], volumeMounts[1], { ...configMount, readOnly: true }],
                readinessProbe: { tcpSocket: { port: 6379 }, periodSeconds: 1 } },
              { name: "sidecar", image: "mdbcluster/node:dev", args: ["mdb-sidecar"], env, securityContext, volumeMounts,
                livenessProbe: { httpGet: { path: "/livez", port: 7071 }, periodSeconds: 2 } },
            ],
            volumes: [{ name: "tmp", emptyDir: {} }, { name: "engine-config", emptyDir: {} }, { name: "auth", secret: { secretName: "member-auth" } }],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
      },
    } });
    await waitFor(async () => (await pods("app=m")).filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length === 2, { what: "both members Ready", timeoutMs: 180_000, intervalMs: 500 });
    // A client pod reaches member 0 by its stable name (cluster DNS on real nodes, /etc/hosts on the pod runner).
    await core.createNamespacedPod({ namespace: NS, body: {
      metadata: { name: "member-client" },
      spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 1, containers: [{ name: "ping", image: "mdbcluster/engine-redis:7.0",
        command: ["redis-cli", "-h", `m-0.m.${NS}.svc.cluster.local`, "--no-auth-warning", "-a", password, "ping"] }] },
    } });
    const done = await waitFor(async () => {
      const p = await core.readNamespacedPod({ name: "member-client", namespace: NS });
      return p.status?.phase === "Succeeded" || p.status?.phase === "Failed" ? p : undefined;
    }, { what: "member-client to finish", timeoutMs: 120_000, intervalMs: 500 });
    const log = await core.readNamespacedPodLog({ name: "member-client", namespace: NS });
    assert.equal(done.status?.phase, "Succeeded", `the client's log: ${log}`);
    assert.match(log, /PONG/);
    if (info.nodesMode === "real") {
      // The kubelet enforces what the pod runner cannot: the image's user and a read-only root filesystem.
      const m0 = (await pods("app=m")).find((p) => p.metadata?.name === "m-0")!;
      const reply = await sendControl(ground.stateDir, { action: "status" });
      const summary = (reply.data as { pods: { pod: string; containers: { name: string; pid?: number }[] }[] }).pods.find((p) => p.pod === `${NS}/m-0`);
      const enginePid = summary?.containers.find((c) => c.name === "engine")?.pid;
      assert.ok(enginePid, `the agent reports m-0's engine pid (${JSON.stringify(summary)})`);
      assert.match(readFileSync(`/proc/${enginePid}/status`, "utf8"), /^Uid:\s+10001\s/m, "the engine runs as the image's user 10001");
      const root = readFileSync(`/proc/${enginePid}/mountinfo`, "utf8").split("\n").find((l) => l.split(" ")[4] === "/");
      assert.match(root ?? "", /\sro[,\s]/, `m-0's root filesystem is mounted read-only (${root})`);
      assert.ok(m0.status?.podIP, "m-0 has a pod IP");
    }
  });

  test("tear down leaves no process, mount or network namespace behind, and the machine as it was", async () => {
    assert.ok(seenNetns.size >= 5 && seenPids.size >= 5, `recorded the pods' network namespaces (${seenNetns.size}) and processes (${seenPids.size})`);
    const prefix = info.network.netnsPrefix;
    const gone = (ns: string) => info.nodesMode === "real" ? !liveNetns().has(ns) : !netnsList(prefix).includes(ns);
    if (ground.startedHere) {
      if (info.nodesMode === "podrunner") {
        const runnerPid = (JSON.parse(readFileSync(join(ground.stateDir, "pids", "podrunner.pid"), "utf8")) as { pid: number }).pid;
        const createdMountpoints = JSON.parse(readFileSync(join(ground.stateDir, "podrunner", "mountpoints.json"), "utf8")) as string[];
        // The runner alone first: it must clean up after itself, before cluster:down sweeps anything.
        process.kill(runnerPid, "SIGTERM");
        await waitFor(async () => !alive(runnerPid), { what: "the pod runner to exit", timeoutMs: 45_000 });
        for (const path of createdMountpoints) assert.equal(existsSync(path), false, `mount point ${path} the runner created is removed`);
        assert.deepEqual(netnsList(prefix), [], `no ${prefix}* network namespace left`);
      }
      await clusterDown({ stateDir: ground.stateDir, log: (l) => console.log(`[cluster:down] ${l}`) });
      assert.equal(existsSync(`/sys/class/net/${info.network.bridge}`), false, "the bridge is removed");
      assert.equal(existsSync(ground.stateDir), false, "the state directory is removed");
      if (before_) {
        const after_ = hostState({ stateDir: ground.stateDir, bridge: info.network.bridge, netnsPrefix: prefix });
        for (const key of Object.keys(before_) as (keyof HostState)[]) {
          if (key === "processes") continue; // other work naming the state dir may end meanwhile: only new ones count
          assert.deepEqual(after_[key], before_[key], `${key} after cluster:down is as before cluster:up`);
        }
        assert.deepEqual(after_.processes.filter((p) => !before_!.processes.includes(p)), [], "no process naming the state dir was left");
      }
    } else {
      await core.deleteNamespace({ name: NS });
      await waitFor(async () => [...seenNetns].every(gone), { what: "every sandbox of the namespace's pods to be removed", timeoutMs: 60_000, intervalMs: 500 });
    }
    const leftPids = [...seenPids].filter(alive);
    assert.deepEqual(leftPids, [], "no container process left");
    assert.ok([...seenNetns].every(gone), "no pod network namespace left");
    const mounts = readFileSync("/proc/self/mountinfo", "utf8");
    assert.equal(mounts.includes(ground.stateDir), false, "no mount under the state directory");
    assert.equal(mounts.includes("/secrets/kubernetes.io/serviceaccount"), false, "no service-account mount in the host namespace");
  });
});
