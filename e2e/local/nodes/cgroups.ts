// The cgroups of the real nodes (cgroup v1 on these machines: one tree per controller). Each node's
// kubelet puts its pods under its own cgroup root, which must exist in every hierarchy before it starts;
// cluster:down kills whatever is still inside and removes the whole tree.
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const CGROUP_FS = "/sys/fs/cgroup";

/** Mounted v1 hierarchies (cpu, memory, name=systemd → systemd, …), as directories under /sys/fs/cgroup. */
export function cgroupHierarchies(root = CGROUP_FS): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((d) => d !== "unified" && existsSync(join(root, d, "cgroup.procs")) && !statSync(join(root, d)).isSymbolicLink());
}

/** Creates `path` (e.g. /mdbcluster-mdb1/a1-h1) in every hierarchy; cpuset children get their parent's cpus and mems. */
export function createCgroupRoot(path: string, root = CGROUP_FS): void {
  for (const h of cgroupHierarchies(root)) {
    let dir = join(root, h);
    for (const part of path.split("/").filter(Boolean)) {
      const parent = dir;
      dir = join(dir, part);
      if (existsSync(dir)) continue;
      mkdirSync(dir);
      if (h === "cpuset") {
        for (const f of ["cpuset.cpus", "cpuset.mems"]) writeFileSync(join(dir, f), readFileSync(join(parent, f), "utf8").trim() || "0");
      }
    }
  }
}

/** Every pid in `path` or below, in any hierarchy. */
export function pidsUnder(path: string, root = CGROUP_FS): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    try {
      for (const line of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) if (line) pids.add(Number(line));
      for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(join(dir, entry.name));
    } catch { /* removed meanwhile */ }
  };
  for (const h of cgroupHierarchies(root)) walk(join(root, h, path));
  return [...pids];
}

/** Removes `path` and everything below it (deepest first) from every hierarchy; returns what could not be removed. */
export function removeCgroupTree(path: string, root = CGROUP_FS): string[] {
  const left: string[] = [];
  const remove = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) remove(join(dir, entry.name));
    try { rmdirSync(dir); } catch { left.push(dir); }
  };
  for (const h of cgroupHierarchies(root)) remove(join(root, h, path));
  return left;
}
