// `npm run images:build`: builds the base images, then every Dockerfile of e2e/local/image-builds.yaml
// unmodified, with buildah, and publishes each into the proving ground's loopback registry store.
// Cached by content hash: an image is rebuilt only when its Dockerfile, the context files it copies
// or its base images changed. Prints one line per image and the total time.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { ARCHIVE_FILE, parseCatalog, splitImageName, type ImageCatalog, type ImageGroup } from "./catalog.ts";
import { Buildah, registryDir } from "./buildah.ts";
import { baseKey, buildBase } from "./bases.ts";
import { buildInputsHash, readDockerfile } from "./inputs.ts";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

export const CATALOG_FILE = join(REPO_ROOT, "e2e/local/image-builds.yaml");

export function loadCatalog(file = CATALOG_FILE): ImageCatalog {
  return parseCatalog(readFileSync(file, "utf8"), file);
}

/** Part of every image's cache key: changing how images are published republishes them all. */
const PUBLISH_FORMAT = "oci-uncompressed-v1";

const TOOLS: [string, string][] = [["buildah", "buildah"], ["debootstrap", "debootstrap"], ["npm", "npm"], ["tar", "tar"]];

function stampFile(cache: string, name: string): string {
  return join(cache, "stamps", `${name.replace(/[^A-Za-z0-9._-]+/g, "_")}.hash`);
}

function isPublished(name: string, cache: string): boolean {
  const { host, repository, tag } = splitImageName(name);
  const index = join(registryDir(cache), host, repository, "index.json");
  if (!existsSync(index)) return false;
  const manifests = (JSON.parse(readFileSync(index, "utf8")) as { manifests?: { annotations?: Record<string, string> }[] }).manifests ?? [];
  return manifests.some((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
}

/** The bin directory a toolchain script prints last (building it first when it is not warm). */
function toolchainBin(script: string): string {
  const r = spawnSync("bash", [join(REPO_ROOT, "e2e/local/toolchain", script)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`e2e/local/toolchain/${script} failed (exit ${r.status}); see the output above`);
  return r.stdout.trim().split("\n").pop() ?? "";
}

/** A copy of `dir` with the pinned toolchain's `binaries` added (control plane or node components). */
function stageContext(dir: string, binaries: string[], staged: string): string {
  const nodeBin = toolchainBin("build-node.sh");
  const binDirs = binaries.every((b) => existsSync(join(nodeBin, b))) ? [nodeBin] : [nodeBin, toolchainBin("build.sh")];
  rmSync(staged, { recursive: true, force: true });
  cpSync(dir, staged, { recursive: true });
  for (const b of binaries) {
    const from = binDirs.map((d) => join(d, b)).find((p) => existsSync(p));
    if (!from) throw new Error(`${b} is in neither of ${binDirs.join(", ")}: add it to e2e/local/toolchain/build.sh or build-node.sh`);
    cpSync(from, join(staged, b));
  }
  return staged;
}

/**
 * Builds the images of `groups` (default: those of `npm run images:build`; kind:up adds `kind`), or
 * only the named ones, and every base image.
 */
export function buildImages(opts: { only?: string[]; groups?: ImageGroup[]; log?: (line: string) => void } = {}): { built: string[]; cached: string[]; seconds: number } {
  const groups = opts.groups ?? ["default"];
  const log = opts.log ?? ((line: string) => console.error(`[images] ${line}`));
  const t0 = Date.now();
  const missing = TOOLS.filter(([tool]) => spawnSync("/bin/sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (missing.length) throw new Error(missing.map(([tool, pkg]) => `'${tool}' is not installed: apt-get install -y ${pkg}`).join("\n"));
  const catalog = loadCatalog();
  const buildah = new Buildah(undefined, log);
  const cache = buildah.cache;
  mkdirSync(join(cache, "stamps"), { recursive: true });
  const built: string[] = [];
  const cached: string[] = [];
  // A stamp holds the inputs' key and the image ID it produced: a warm run asks buildah nothing.
  const stamp = (name: string): { key: string; id: string } | undefined => {
    if (!existsSync(stampFile(cache, name))) return undefined;
    const [key, id] = readFileSync(stampFile(cache, name), "utf8").split("\n");
    return id ? { key, id } : undefined;
  };
  const idOf = (name: string) => stamp(name)?.id ?? buildah.imageId(name);
  const upToDate = (name: string, key: string) => stamp(name)?.key === key;
  const record = (name: string, key: string) => {
    const id = buildah.imageId(name);
    if (!id) throw new Error(`buildah built ${name} but cannot find it in its store`);
    writeFileSync(stampFile(cache, name), `${key}\n${id}`);
  };

  for (const base of catalog.bases) {
    const parentId = base.kind === "node" ? idOf(base.from) ?? "" : "";
    const key = `${baseKey(base)}:${parentId}`;
    if (upToDate(base.name, key)) { cached.push(base.name); continue; }
    const t = Date.now();
    buildBase(base, buildah, join(cache, "work", "base"), log);
    record(base.name, key);
    built.push(base.name);
    log(`built base ${base.name} in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  }

  for (const image of catalog.images) {
    const [primary, ...aliases] = image.names;
    if (opts.only ? !image.names.some((n) => opts.only!.includes(n)) : !groups.includes(image.group)) continue;
    const dockerfile = resolve(REPO_ROOT, image.dockerfile);
    const staged = image.binaries.length > 0 || image.archive.length > 0;
    const context = staged ? stageContext(resolve(REPO_ROOT, image.context), image.binaries, join(cache, "work", "context")) : resolve(REPO_ROOT, image.context);
    if (!existsSync(dockerfile)) throw new Error(`${CATALOG_FILE}: ${primary}: Dockerfile ${image.dockerfile} does not exist`);
    const baseIds = readDockerfile(readFileSync(dockerfile, "utf8")).bases.map((b) => {
      const id = idOf(b);
      if (!id) throw new Error(`${image.dockerfile} builds FROM ${b}, which is neither a base in ${CATALOG_FILE} nor an image built before it: add it there`);
      return `${b}=${id}`;
    });
    const archiveIds = image.archive.map((n) => {
      const id = idOf(n);
      if (!id) throw new Error(`${primary} archives ${n}, which is not built: build it first (npm run images:build -- ${n})`);
      return `archive ${n}=${id}`;
    });
    const generated = image.archive.length ? [ARCHIVE_FILE] : [];
    const key = buildInputsHash(dockerfile, context, [...baseIds, ...archiveIds, ...image.names, image.publish ? PUBLISH_FORMAT : "unpublished"], generated);
    if (upToDate(primary, key) && (!image.publish || image.names.every((n) => isPublished(n, cache)))) { cached.push(primary); continue; }
    const t = Date.now();
    if (image.archive.length) buildah.saveArchive(image.archive, join(context, ARCHIVE_FILE));
    buildah.bud({ name: primary, dockerfile, context });
    for (const alias of aliases) buildah.tag(primary, alias);
    if (image.publish) {
      for (const name of new Set(image.names.map((n) => n.slice(0, n.lastIndexOf(":"))))) buildah.unpublishRepository(`${name}:x`);
      for (const name of image.names) buildah.publish(name);
    }
    if (staged) rmSync(context, { recursive: true, force: true });
    record(primary, key);
    built.push(primary);
    log(`built ${primary} in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  }
  const seconds = (Date.now() - t0) / 1000;
  log(`images ready in ${seconds.toFixed(1)}s: built ${built.length} (${built.join(", ") || "none"}), cached ${cached.length}; store ${registryDir(cache)}`);
  return { built, cached, seconds };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const args = process.argv.slice(2);
    const names = args.filter((a) => !a.startsWith("--"));
    buildImages({ only: names.length ? names : undefined, groups: args.includes("--kind") ? ["default", "kind"] : undefined });
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
