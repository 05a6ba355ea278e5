// Mount points on the host file system. A bind mount needs its target to exist; paths a pod expects
// (e.g. /var/run/secrets/kubernetes.io/serviceaccount) may not exist on this machine, so the runner
// creates them, records every path it created in <state>/podrunner/mountpoints.json, and removes
// them (only if still empty) when it shuts down. A mount nested in another volume gets its mount
// point inside that volume's directory instead.
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { MountSpec } from "./volumes.ts";

/** Where a mount's target must exist on the host: inside an earlier (parent) mount's source, or as is. */
export function hostMountpoint(mount: MountSpec, earlier: MountSpec[]): { path: string; onHost: boolean } {
  let parent: MountSpec | undefined;
  for (const p of earlier) {
    if (mount.target.startsWith(`${p.target.replace(/\/$/, "")}/`) && (!parent || p.target.length > parent.target.length)) parent = p;
  }
  if (parent) return { path: join(parent.source, relative(parent.target, mount.target)), onHost: false };
  return { path: mount.target, onHost: true };
}

export class MountpointTracker {
  private created: string[];

  constructor(private readonly recordFile: string) {
    this.created = existsSync(recordFile) ? (JSON.parse(readFileSync(recordFile, "utf8")) as string[]) : [];
  }

  /** Makes every source and target exist, files for file sources and directories otherwise. */
  prepare(mounts: MountSpec[], hostsFile: string): void {
    if (!existsSync(hostsFile)) throw new Error(`the pod's hosts file ${hostsFile} is missing`);
    mounts.forEach((m, i) => {
      if (!existsSync(m.source)) mkdirSync(m.source, { recursive: true });
      const isFile = statSync(m.source).isFile();
      const { path, onHost } = hostMountpoint(m, mounts.slice(0, i));
      if (existsSync(path)) return;
      if (onHost) this.createTracked(path, isFile);
      else if (isFile) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, "");
      } else mkdirSync(path, { recursive: true });
    });
  }

  private createTracked(path: string, isFile: boolean): void {
    const missing: string[] = [];
    for (let p = isFile ? dirname(path) : path; !existsSync(p); p = dirname(p)) missing.unshift(p);
    for (const dir of missing) {
      mkdirSync(dir);
      this.created.push(dir);
    }
    if (isFile) {
      writeFileSync(path, "", { flag: "wx" });
      this.created.push(path);
    }
    writeFileSync(this.recordFile, JSON.stringify(this.created));
  }

  /** Removes what this runner created, deepest first, leaving anything that is no longer empty. */
  cleanup(): string[] {
    const left: string[] = [];
    for (const path of [...this.created].reverse()) {
      try {
        if (!existsSync(path)) continue;
        if (statSync(path).isDirectory()) rmdirSync(path);
        else if (statSync(path).size === 0) unlinkSync(path);
        else left.push(path);
      } catch {
        left.push(path);
      }
    }
    this.created = left;
    writeFileSync(this.recordFile, JSON.stringify(left));
    return left;
  }
}
