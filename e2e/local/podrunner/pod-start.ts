// Starting a pod: the sandbox (network namespace + IP), the hosts file and the volumes, then the init
// containers in order and the containers, each as a process in the pod's namespaces with its mounts,
// environment, log file and postStart hook; probes begin once it runs.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, renameSync } from "node:fs";
import { join } from "node:path";
import { ContainerConfigError, expandArgv, referencedObjects, resolveContainerEnv, serviceEnv } from "./env.ts";
import { podHostname } from "./hosts.ts";
import { anonymousVolumes, containerArgv, lookupImage, translatePath, unmappedImageMessage } from "./images.ts";
import { createSandbox, removeSandbox } from "./sandbox.ts";
import { waiting } from "./status.ts";
import { containerMounts, keepVisible, launchScript, podDir, type MountSpec } from "./volumes.ts";
import { signalGroup, type ContainerRun } from "./container-run.ts";
import type { PodCore, Starter } from "./pod-core.ts";
import { startProbes } from "./pod-probes.ts";
import { onExit, retryLater } from "./pod-restart.ts";

const VOLUME_REFRESH_MS = 60_000;

export class PodStarter implements Starter {
  constructor(private readonly core: PodCore) {}

  /** Sandbox, hosts file, volumes; retried every 5 s until all are there, then the containers start. */
  async setup(): Promise<void> {
    const core = this.core;
    if (!core.lifecycle.is("setting-up")) return;
    try {
      if (!core.sandbox) {
        const ip = core.ctx.ipam.allocate(core.pod.status?.podIP);
        let sandbox: { netns: string; hostVeth: string };
        try {
          sandbox = await createSandbox(core.uid, ip, core.ctx.network);
        } catch (e) {
          core.ctx.ipam.release(ip);
          throw e;
        }
        if (core.lifecycle.stopping) {
          // Deleted or abandoned while the namespace was being made: undo it rather than leak it.
          await removeSandbox(sandbox.netns, sandbox.hostVeth).catch(() => undefined);
          core.ctx.ipam.release(ip);
          return;
        }
        core.sandbox = sandbox;
        core.podIP = ip;
        core.saveRecord();
        mkdirSync(podDir(core.ctx.stateDir, core.uid), { recursive: true });
        core.writeHostsFile();
        core.ctx.onPodIPChanged();
        core.ctx.log(`pod ${core.key}: sandbox ${sandbox.netns} ip ${ip} on node ${core.nodeName}`);
      }
      if (!core.refreshTimer) {
        await core.sources.materializeVolumes(core.pod, core.ctx.stateDir, core.facts());
        if (core.lifecycle.stopping) return;
        core.refreshTimer = setInterval(() => {
          core.sources.materializeVolumes(core.pod, core.ctx.stateDir, core.facts()).catch((e: Error) => core.ctx.log(`pod ${core.key}: volume refresh failed: ${e.message}`));
        }, VOLUME_REFRESH_MS);
      }
    } catch (e) {
      if (core.lifecycle.stopping) return;
      const message = (e as Error).message;
      core.ctx.log(`pod ${core.key}: setup failed, retrying in 5 s: ${message}`);
      core.event("Warning", core.sandbox ? "FailedMount" : "FailedCreatePodSandBox", message);
      for (const c of core.all()) c.state = waiting("ContainerCreating", message);
      core.status.request();
      core.setupTimer = setTimeout(() => void this.setup(), 5_000);
      return;
    }
    if (!core.lifecycle.tryMove("running")) return;
    core.status.request();
    this.advance();
  }

  /** Starts the next init container, or all containers once init is done. */
  advance(): void {
    const core = this.core;
    if (!core.lifecycle.is("running")) return;
    for (const c of core.init) {
      if (c.sidecar) {
        // A sidecar (init container with restartPolicy Always) only has to be started, then keeps running.
        if (!c.proc && !c.retryTimer) void this.startContainer(c);
        if (!core.initialized && !(c.pid && c.started)) return;
        continue;
      }
      if (c.state.terminated?.exitCode === 0 || core.initialized) continue;
      if (!c.proc && !c.retryTimer) void this.startContainer(c);
      return;
    }
    if (!core.initialized) {
      core.initialized = true;
      core.status.request();
    }
    for (const c of core.containers) {
      if (!c.proc && !c.retryTimer && !c.state.terminated) void this.startContainer(c);
    }
  }

  async startContainer(c: ContainerRun): Promise<void> {
    const core = this.core;
    if (!core.lifecycle.is("running") || !core.sandbox) return;
    const image = c.spec.image ?? "";
    const entry = lookupImage(core.ctx.images(), image);
    const again = () => void this.startContainer(c);
    if (!entry) {
      const pulledBefore = c.state.waiting?.reason === "ErrImagePull" || c.state.waiting?.reason === "ImagePullBackOff";
      const message = unmappedImageMessage(image, core.ctx.imagesFile);
      if (pulledBefore) core.event("Normal", "BackOff", `Back-off pulling image "${image}"`, c.spec.name);
      else core.event("Warning", "Failed", `Failed to pull image "${image}": ${message}`, c.spec.name);
      retryLater(core, c, waiting(pulledBefore ? "ImagePullBackOff" : "ErrImagePull", pulledBefore ? `Back-off pulling image "${image}": ${message}` : message),
        10_000, again);
      return;
    }
    c.entry = entry;
    let argv: string[];
    let mounts: MountSpec[];
    try {
      const refs = referencedObjects(c.spec);
      const [secrets, configMaps] = await Promise.all([core.sources.data("secret", refs.secrets), core.sources.data("configMap", refs.configMaps)]);
      const asText = (m: Map<string, Record<string, Buffer> | undefined>) => (n: string) => {
        const d = m.get(n);
        return d ? Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.toString("utf8")])) : undefined;
      };
      const declared = resolveContainerEnv(core.pod, c.spec, { secret: asText(secrets), configMap: asText(configMaps) }, core.facts());
      c.env = {
        PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        HOME: "/root",
        ...entry.env,
        HOSTNAME: podHostname(core.pod),
        ...serviceEnv(core.ctx.apiserver.podHost, core.ctx.apiserver.port),
        ...declared,
      };
      argv = expandArgv(containerArgv(entry, c.spec), c.env);
      const podMounts = containerMounts(core.pod, c.spec, core.ctx.stateDir);
      // Private /tmp and image VOLUMEs first, so the pod's own mounts (even nested ones) land on top;
      // the checkout the programs run from comes back on top of whatever covers it.
      const anonymous = anonymousVolumes(entry, podMounts.map((m) => m.target)).map((target) => ({
        source: join(podDir(core.ctx.stateDir, core.uid), "containers", c.spec.name, target.replaceAll("/", "_")), target, readOnly: false,
      }));
      mounts = keepVisible([...anonymous, ...podMounts], core.ctx.visiblePaths);
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) {
        retryLater(core, c, waiting("ContainerCreating", (e as Error).message), 5_000, again);
        return;
      }
      core.event("Warning", "Failed", `Error: ${(e as Error).message}`, c.spec.name);
      retryLater(core, c, waiting("CreateContainerConfigError", (e as Error).message), 5_000, again);
      return;
    }
    const sandbox = core.sandbox;
    if (!core.lifecycle.is("running") || !sandbox) return;
    const workingDir = c.spec.workingDir ? translatePath(c.entry.paths, c.spec.workingDir) : entry.workingDir ?? core.ctx.repoDir;
    try {
      core.ctx.mountpoints.prepare(mounts, core.hostsFile);
    } catch (e) {
      retryLater(core, c, waiting("CreateContainerError", (e as Error).message), 5_000, again);
      return;
    }
    const logDir = join(core.ctx.stateDir, "logs", "pods", `${core.namespace}_${core.name}`);
    mkdirSync(logDir, { recursive: true });
    const logFile = join(logDir, `${c.spec.name}.log`);
    if (existsSync(logFile) && c.restartCount > 0) renameSync(logFile, join(logDir, `${c.spec.name}.log.prev`));
    const fd = openSync(logFile, "a");
    let child: ChildProcess;
    try {
      child = spawn("ip", ["netns", "exec", sandbox.netns, "/bin/bash", "-c", launchScript(core.hostsFile, mounts, workingDir), "mdb-launch", ...argv], {
        detached: true, stdio: ["ignore", fd, fd], env: c.env, cwd: core.ctx.stateDir,
      });
    } finally {
      closeSync(fd);
    }
    if (child.pid === undefined) {
      retryLater(core, c, waiting("RunContainerError", `could not start ${JSON.stringify(argv)}`), 5_000, again);
      return;
    }
    const pid = child.pid;
    c.proc = child;
    c.pid = pid;
    c.startedAt = new Date();
    c.killReason = undefined;
    c.state = { running: { startedAt: c.startedAt } };
    c.started = !c.spec.startupProbe;
    c.ready = false;
    core.saveRecord();
    c.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => { onExit(core, this, c, pid, code, signal); resolve(); });
      child.on("error", (err) => core.ctx.log(`pod ${core.key}: container ${c.spec.name}: ${err.message}`));
    });
    core.ctx.log(`pod ${core.key}: container ${c.spec.name} started pid ${pid}: ${argv.join(" ")}`);
    core.event("Normal", "Pulled", `Container image "${image}" already present on machine`, c.spec.name);
    core.event("Normal", "Created", `Created container: ${c.spec.name}`, c.spec.name);
    core.event("Normal", "Started", `Started container ${c.spec.name}`, c.spec.name);
    const postStart = c.spec.lifecycle?.postStart;
    if (postStart) {
      // As the kubelet: probes wait for postStart; a failed hook kills the container (restart policy applies).
      const outcome = await core.runHook(c, pid, "postStart", postStart, core.gracePeriodMs() || 30_000);
      if (c.pid !== pid || core.lifecycle.stopping) return;
      if (!outcome.ok) {
        c.killReason = `PostStartHookError: ${outcome.message}`;
        core.event("Warning", "FailedPostStartHook", c.killReason, c.spec.name);
        core.ctx.log(`pod ${core.key}: container ${c.spec.name}: ${c.killReason}`);
        signalGroup(pid, "SIGKILL");
        return;
      }
    }
    if (!c.init || c.sidecar) startProbes(core, this, c);
    if ((!c.init || c.sidecar) && !c.spec.readinessProbe && c.started) c.ready = true;
    core.status.request();
    if (c.sidecar && c.started) this.advance();
  }
}
