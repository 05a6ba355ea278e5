// Pod volumes on the proving ground: each volume is a directory on the host (per pod, or per claim
// for PersistentVolumeClaims so data outlives the pod), bind-mounted at its mountPath inside the
// container's private mount namespace. Pure: what to write and what to mount; the shell does it.
import { join } from "node:path";
import type { V1Container, V1KeyToPath, V1Pod, V1Volume } from "@kubernetes/client-node";
import { ContainerConfigError, fieldRefValue, formatMap, resourceFieldValue, type PodRuntimeFacts } from "./env.ts";

export type VolumeKind = "emptyDir" | "secret" | "configMap" | "projected" | "downwardAPI" | "persistentVolumeClaim" | "hostPath";

export interface VolumeFile { path: string; content: string | Buffer; mode: number }

/** Secret data (already decoded to bytes) and ConfigMap data, fetched by the shell. */
export interface VolumeLookups {
  secret(name: string): Record<string, Buffer> | undefined;
  configMap(name: string): Record<string, Buffer> | undefined;
  /** A bound ServiceAccount token for (audience, expirationSeconds); see tokenRequestsOf. */
  token(audience: string, expirationSeconds: number): string | undefined;
}

export const API_AUDIENCE = "";

export function volumeKind(volume: V1Volume): VolumeKind {
  const kinds: VolumeKind[] = ["emptyDir", "secret", "configMap", "projected", "downwardAPI", "persistentVolumeClaim", "hostPath"];
  const found = kinds.find((k) => volume[k] !== undefined);
  if (!found) {
    const keys = Object.keys(volume).filter((k) => k !== "name");
    throw new ContainerConfigError(`volume "${volume.name}": type ${keys.join(", ") || "(none)"} is not supported by the proving ground; ` +
      `use one of ${kinds.join(", ")}`);
  }
  return found;
}

/** The host directory that backs a volume. */
export function volumeSourceDir(volume: V1Volume, pod: V1Pod, stateDir: string): string {
  const kind = volumeKind(volume);
  if (kind === "persistentVolumeClaim") return claimDir(stateDir, pod.metadata?.namespace ?? "default", volume.persistentVolumeClaim!.claimName);
  if (kind === "hostPath") return volume.hostPath!.path;
  return join(podDir(stateDir, pod.metadata?.uid ?? ""), "volumes", volume.name);
}

export function podDir(stateDir: string, uid: string): string {
  return join(stateDir, "pods", uid);
}

export function claimDir(stateDir: string, namespace: string, claim: string): string {
  return join(stateDir, "volumes", namespace, claim);
}

/** ServiceAccount tokens a pod's projected volumes need: audience + lifetime (default 1 h, minimum 10 min). */
export function tokenRequestsOf(pod: V1Pod): { audience: string; expirationSeconds: number }[] {
  const out: { audience: string; expirationSeconds: number }[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    for (const s of v.projected?.sources ?? []) {
      if (s.serviceAccountToken) {
        out.push({ audience: s.serviceAccountToken.audience ?? API_AUDIENCE, expirationSeconds: Math.max(600, s.serviceAccountToken.expirationSeconds ?? 3600) });
      }
    }
  }
  return out;
}

/** Secret/ConfigMap names the pod's volumes read, so the shell can fetch them first. */
export function volumeObjects(pod: V1Pod): { secrets: string[]; configMaps: string[] } {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  for (const v of pod.spec?.volumes ?? []) {
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
    if (v.configMap?.name) configMaps.add(v.configMap.name);
    for (const s of v.projected?.sources ?? []) {
      if (s.secret?.name) secrets.add(s.secret.name);
      if (s.configMap?.name) configMaps.add(s.configMap.name);
    }
  }
  return { secrets: [...secrets], configMaps: [...configMaps] };
}

function keyFiles(kindName: string, data: Record<string, Buffer>, items: V1KeyToPath[] | undefined, defaultMode: number, optional: boolean | undefined): VolumeFile[] {
  if (!items || items.length === 0) return Object.entries(data).map(([key, content]) => ({ path: key, content, mode: defaultMode }));
  const out: VolumeFile[] = [];
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) {
      if (optional) continue;
      throw new ContainerConfigError(`${kindName}: key "${item.key}" not found; fix items[].key or add the key`);
    }
    out.push({ path: item.path, content, mode: item.mode ?? defaultMode });
  }
  return out;
}

/** The files a Secret/ConfigMap/projected/downwardAPI volume holds; empty for directory volumes. */
export function volumeFiles(volume: V1Volume, pod: V1Pod, lookups: VolumeLookups, facts: PodRuntimeFacts, containers: V1Container[]): VolumeFile[] {
  const ns = pod.metadata?.namespace ?? "default";
  const kind = volumeKind(volume);
  const where = `volume "${volume.name}"`;
  if (kind === "secret") {
    const s = volume.secret!;
    const data = lookups.secret(s.secretName ?? "");
    if (!data) {
      if (s.optional) return [];
      throw new ContainerConfigError(`${where}: secret "${ns}/${s.secretName}" not found; create it or mark the volume optional`);
    }
    return keyFiles(`${where}: secret "${s.secretName}"`, data, s.items, s.defaultMode ?? 0o644, s.optional);
  }
  if (kind === "configMap") {
    const c = volume.configMap!;
    const data = lookups.configMap(c.name ?? "");
    if (!data) {
      if (c.optional) return [];
      throw new ContainerConfigError(`${where}: configmap "${ns}/${c.name}" not found; create it or mark the volume optional`);
    }
    return keyFiles(`${where}: configmap "${c.name}"`, data, c.items, c.defaultMode ?? 0o644, c.optional);
  }
  if (kind === "downwardAPI") {
    return downwardFiles(volume.downwardAPI!.items ?? [], volume.downwardAPI!.defaultMode ?? 0o644, pod, facts, containers);
  }
  if (kind === "projected") {
    const p = volume.projected!;
    const mode = p.defaultMode ?? 0o644;
    const files: VolumeFile[] = [];
    for (const [i, s] of (p.sources ?? []).entries()) {
      if (s.serviceAccountToken) {
        const audience = s.serviceAccountToken.audience ?? API_AUDIENCE;
        const token = lookups.token(audience, Math.max(600, s.serviceAccountToken.expirationSeconds ?? 3600));
        if (token === undefined) throw new ContainerConfigError(`${where}: sources[${i}].serviceAccountToken: no token was issued (TokenRequest failed)`);
        files.push({ path: s.serviceAccountToken.path, content: token, mode });
      } else if (s.secret) {
        const data = lookups.secret(s.secret.name ?? "");
        if (!data) {
          if (s.secret.optional) continue;
          throw new ContainerConfigError(`${where}: sources[${i}]: secret "${ns}/${s.secret.name}" not found`);
        }
        files.push(...keyFiles(`${where}: sources[${i}]: secret "${s.secret.name}"`, data, s.secret.items, mode, s.secret.optional));
      } else if (s.configMap) {
        const data = lookups.configMap(s.configMap.name ?? "");
        if (!data) {
          if (s.configMap.optional) continue;
          throw new ContainerConfigError(`${where}: sources[${i}]: configmap "${ns}/${s.configMap.name}" not found`);
        }
        files.push(...keyFiles(`${where}: sources[${i}]: configmap "${s.configMap.name}"`, data, s.configMap.items, mode, s.configMap.optional));
      } else if (s.downwardAPI) {
        files.push(...downwardFiles(s.downwardAPI.items ?? [], mode, pod, facts, containers));
      } else {
        throw new ContainerConfigError(`${where}: sources[${i}]: only serviceAccountToken, secret, configMap and downwardAPI sources are supported here`);
      }
    }
    return files;
  }
  return [];
}

function downwardFiles(items: { path: string; fieldRef?: { fieldPath: string }; resourceFieldRef?: { containerName?: string; resource: string; divisor?: string }; mode?: number }[],
  mode: number, pod: V1Pod, facts: PodRuntimeFacts, containers: V1Container[]): VolumeFile[] {
  return items.map((item) => {
    let content: string;
    if (item.fieldRef) {
      const path = item.fieldRef.fieldPath;
      content = path === "metadata.labels" ? formatMap(pod.metadata?.labels)
        : path === "metadata.annotations" ? formatMap(pod.metadata?.annotations)
          : fieldRefValue(pod, path, facts);
    } else if (item.resourceFieldRef) {
      const container = containers.find((c) => c.name === item.resourceFieldRef!.containerName) ?? containers[0];
      content = resourceFieldValue(container, item.resourceFieldRef.resource, item.resourceFieldRef.divisor, facts);
    } else {
      throw new ContainerConfigError(`downwardAPI item "${item.path}": set fieldRef or resourceFieldRef`);
    }
    return { path: item.path, content, mode: item.mode ?? mode };
  });
}

export interface MountSpec { source: string; target: string; readOnly: boolean }

/** Bind mounts for one container, from its volumeMounts; read-only for Secret/ConfigMap-like volumes. */
export function containerMounts(pod: V1Pod, container: V1Container, stateDir: string): MountSpec[] {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const depth = (path: string) => path.split("/").filter(Boolean).length;
  // Parents before children, so a mount inside another volume lands on top of it (as runc orders them).
  const ordered = [...(container.volumeMounts ?? [])].sort((a, b) => depth(a.mountPath) - depth(b.mountPath));
  return ordered.map((m) => {
    const volume = volumes.get(m.name);
    if (!volume) throw new ContainerConfigError(`container "${container.name}": volumeMounts "${m.name}" names no volume of the pod`);
    if (!m.mountPath.startsWith("/")) throw new ContainerConfigError(`container "${container.name}": volumeMounts "${m.name}": mountPath "${m.mountPath}" must be absolute`);
    const kind = volumeKind(volume);
    const base = volumeSourceDir(volume, pod, stateDir);
    const subPath = m.subPath ?? "";
    if (subPath.split("/").includes("..") || subPath.startsWith("/")) {
      throw new ContainerConfigError(`container "${container.name}": volumeMounts "${m.name}": subPath "${subPath}" must be relative without ".."`);
    }
    const readOnlyKind = kind === "secret" || kind === "configMap" || kind === "projected" || kind === "downwardAPI";
    return { source: subPath ? join(base, subPath) : base, target: m.mountPath, readOnly: Boolean(m.readOnly) || readOnlyKind };
  });
}

/**
 * Host paths a container's programs need (the checkout they run from, its packages, the state dir)
 * that the container's own mounts would hide: a pod's emptyDir at /tmp hides a checkout in /tmp/….
 * Each is bound back onto its own path right after the last mount that covers it, so a mount nested
 * deeper still lands on top; its mount point is made inside the covering volume (MountpointTracker),
 * as runc makes the mount point of a volume nested in another. A path a mount replaces exactly, and
 * one inside another kept path (it comes back with it), get no mount of their own.
 */
export function keepVisible(mounts: MountSpec[], paths: string[]): MountSpec[] {
  const trim = (p: string) => p.replace(/\/+$/, "") || "/";
  const within = (p: string, dir: string) => dir === "/" || p === dir || p.startsWith(`${dir}/`);
  const wanted = [...new Set(paths.map(trim))];
  const outermost = wanted.filter((p) => !wanted.some((q) => q !== p && within(p, q)));
  const out = [...mounts];
  for (const path of outermost) {
    let last = -1;
    out.forEach((m, i) => { if (within(path, trim(m.target))) last = i; });
    if (last < 0 || trim(out[last].target) === path) continue;
    out.splice(last + 1, 0, { source: path, target: path, readOnly: false });
  }
  return out;
}

/** POSIX shell single-quoting. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The bash script run inside `ip netns exec` (which already gave the process a private, slave mount
 * namespace): bind the pod's hosts file and volumes, enter the working directory, exec the program.
 * Every source is opened before the first mount, so a mount that covers a source's path (a private
 * /tmp over a state directory in /tmp) cannot hide it; the descriptors are closed before the exec.
 * `--no-canonicalize` keeps mount(8) from reading /proc/self/fd/N back as a path name, which would
 * look the source up again through the mounts made so far (and find the covering volume instead).
 * The mounts vanish with the namespace when the container's last process exits.
 */
export function launchScript(hostsFile: string, mounts: MountSpec[], workingDir: string | undefined): string {
  const lines = ["set -e", `exec {src_hosts}<${shellQuote(hostsFile)}`];
  mounts.forEach((m, i) => lines.push(`exec {src_${i}}<${shellQuote(m.source)}`));
  lines.push("mount --no-canonicalize --bind /proc/self/fd/$src_hosts /etc/hosts");
  mounts.forEach((m, i) => {
    lines.push(`mount --no-canonicalize --bind /proc/self/fd/$src_${i} ${shellQuote(m.target)}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${shellQuote(m.target)}`);
  });
  lines.push(["exec {src_hosts}<&-", ...mounts.map((_m, i) => `{src_${i}}<&-`)].join(" "));
  if (workingDir) lines.push(`cd ${shellQuote(workingDir)}`);
  lines.push(`exec "$@"`);
  return lines.join("\n");
}
