// What a pod's volumes and environment are made from, read from the API server as the kubelet does:
// Secrets and ConfigMaps (a missing one is undefined, the caller decides), ServiceAccount tokens by
// TokenRequest (bound to the pod, renewed at 80 % of their lifetime), and the volume files written
// from them into the pod's directory.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import type { PodRuntimeFacts } from "./env.ts";
import { isApiStatus } from "./nodes.ts";
import { tokenRequestsOf, volumeFiles, volumeKind, volumeObjects, volumeSourceDir } from "./volumes.ts";

export type ObjectData = Map<string, Record<string, Buffer> | undefined>;

export class PodSources {
  private readonly tokens = new Map<string, { token: string; renewAt: number }>();
  private readonly namespace: string;

  constructor(private readonly core: CoreV1Api, private readonly caFile: string, private readonly pod: V1Pod) {
    this.namespace = pod.metadata!.namespace!;
  }

  /** The data of the named Secrets or ConfigMaps, by name; undefined for one that does not exist. */
  async data(kind: "secret" | "configMap", names: string[]): Promise<ObjectData> {
    const out: ObjectData = new Map();
    await Promise.all(names.map(async (name) => {
      try {
        if (kind === "secret") {
          const s = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
          out.set(name, Object.fromEntries([
            ...Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")] as const),
            ...Object.entries(s.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v)] as const),
          ]));
        } else {
          const c = await this.core.readNamespacedConfigMap({ name, namespace: this.namespace });
          out.set(name, Object.fromEntries([
            ...Object.entries(c.data ?? {}).map(([k, v]) => [k, Buffer.from(v)] as const),
            ...Object.entries(c.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")] as const),
          ]));
        }
      } catch (e) {
        if (!isApiStatus(e, 404)) throw e;
        if (kind === "configMap" && name === "kube-root-ca.crt") {
          // Published by kube-controller-manager; until it is, the cluster CA is the same bundle.
          out.set(name, { "ca.crt": readFileSync(this.caFile) });
        } else out.set(name, undefined);
      }
    }));
    return out;
  }

  private async token(audience: string, expirationSeconds: number): Promise<string> {
    const key = `${audience}|${expirationSeconds}`;
    const cached = this.tokens.get(key);
    if (cached && Date.now() < cached.renewAt) return cached.token;
    const sa = this.pod.spec?.serviceAccountName || "default";
    const res = await this.core.createNamespacedServiceAccountToken({
      name: sa, namespace: this.namespace,
      body: { spec: { audiences: audience ? [audience] : [], expirationSeconds,
        boundObjectRef: { apiVersion: "v1", kind: "Pod", name: this.pod.metadata!.name!, uid: this.pod.metadata!.uid! } } },
    });
    const token = res.status?.token;
    if (!token) throw new Error(`TokenRequest for serviceaccount ${this.namespace}/${sa} returned no token`);
    // The kubelet refreshes at 80% of the token's lifetime.
    this.tokens.set(key, { token, renewAt: Date.now() + expirationSeconds * 800 });
    return token;
  }

  /** Writes Secret/ConfigMap/projected/downwardAPI files and creates directory volumes. Idempotent. */
  async materializeVolumes(pod: V1Pod, stateDir: string, facts: PodRuntimeFacts): Promise<void> {
    const objects = volumeObjects(pod);
    const [secrets, configMaps] = await Promise.all([this.data("secret", objects.secrets), this.data("configMap", objects.configMaps)]);
    const tokens = new Map<string, string>();
    for (const r of tokenRequestsOf(pod)) tokens.set(`${r.audience}|${r.expirationSeconds}`, await this.token(r.audience, r.expirationSeconds));
    const lookups = {
      secret: (n: string) => secrets.get(n),
      configMap: (n: string) => configMaps.get(n),
      token: (a: string, s: number) => tokens.get(`${a}|${s}`),
    };
    for (const volume of pod.spec?.volumes ?? []) {
      const dir = volumeSourceDir(volume, pod, stateDir);
      const kind = volumeKind(volume);
      if (kind === "hostPath") {
        if (volume.hostPath!.type === "DirectoryOrCreate") mkdirSync(dir, { recursive: true });
        continue;
      }
      mkdirSync(dir, { recursive: true });
      for (const file of volumeFiles(volume, pod, lookups, facts, pod.spec?.containers ?? [])) {
        const target = join(dir, file.path);
        mkdirSync(dirname(target), { recursive: true });
        const content = typeof file.content === "string" ? Buffer.from(file.content) : file.content;
        if (existsSync(target) && readFileSync(target).equals(content)) continue;
        // Replace atomically so a reader never sees half a file (the directory, not the file, is mounted).
        const tmp = `${target}.tmp-${process.pid}`;
        writeFileSync(tmp, content, { mode: file.mode });
        renameSync(tmp, target);
      }
    }
  }
}
