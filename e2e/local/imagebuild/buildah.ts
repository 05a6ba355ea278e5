// buildah with the proving ground's own image store (not the machine's default one), chroot
// isolation (no nested namespaces needed) and no pulls: every FROM names an image built here first.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { splitImageName } from "./catalog.ts";

export function imageCacheDir(): string {
  return join(process.env.MDB_CACHE ?? join(homedir(), ".cache/mdbcluster"), "images");
}

/** Where `npm run images:build` publishes every image as an OCI layout, one directory per repository. */
export function registryDir(cache = imageCacheDir()): string {
  return join(cache, "registry");
}

export class Buildah {
  private readonly env: NodeJS.ProcessEnv;
  constructor(readonly cache = imageCacheDir(), private readonly log: (line: string) => void = () => undefined) {
    mkdirSync(cache, { recursive: true });
    const conf = join(cache, "registries.conf");
    // Short names in FROM (node:24-bookworm-slim) resolve to the local docker.io/library/… images.
    writeFileSync(conf, 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n');
    this.env = { ...process.env, CONTAINERS_REGISTRIES_CONF: conf, BUILDAH_ISOLATION: "chroot", TMPDIR: join(cache, "tmp") };
    mkdirSync(join(cache, "tmp"), { recursive: true });
  }

  storageArgs(): string[] {
    const driver = process.env.MDB_BUILDAH_DRIVER ?? "overlay";
    return ["--root", join(this.cache, "storage"), "--runroot", join(this.cache, "run"), "--storage-driver", driver];
  }

  /** Runs buildah; output streams to our stderr when `stream`, else is returned. Throws with the tail of the output. */
  run(args: string[], opts: { stream?: boolean; cwd?: string } = {}): string {
    const r = spawnSync("buildah", [...this.storageArgs(), ...args], {
      env: this.env, cwd: opts.cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
      stdio: opts.stream ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    if (r.error) throw new Error(`buildah could not be started: ${r.error.message}; install the Debian package buildah`);
    if (r.status !== 0) {
      const tail = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
      throw new Error(`buildah ${args.slice(0, 2).join(" ")} failed (exit ${r.status})${tail ? `:\n${tail}` : "; see the output above"}`);
    }
    return (r.stdout ?? "").trim();
  }

  /** The image's ID, or undefined when it is not in the store. */
  imageId(name: string): string | undefined {
    try {
      return this.run(["inspect", "--type", "image", "--format", "{{.FromImageID}}", name]) || undefined;
    } catch {
      return undefined;
    }
  }

  bud(opts: { name: string; dockerfile: string; context: string }): void {
    this.log(`buildah bud -f ${opts.dockerfile} -t ${opts.name} ${opts.context}`);
    const before = new Set(this.containers());
    try {
      this.run(["bud", "--pull-never", "--isolation", "chroot", "--layers", "--force-rm", "--quiet", ...this.extraTrust(), "-f", opts.dockerfile, "-t", opts.name, opts.context], { stream: true });
    } finally {
      // A stage that is only the source of a COPY --from (FROM node AS node) leaves its working
      // container mounted in the store, also after a build that succeeded: each build would leak one.
      const left = this.containers().filter((id) => !before.has(id));
      if (left.length > 0) {
        try {
          this.run(["rm", ...left]);
        } catch (err) {
          this.log(`could not remove the build's working containers ${left.join(" ")}: ${(err as Error).message}`);
        }
      }
    }
  }

  /** The IDs of the store's working containers (none when buildah cannot list them). */
  private containers(): string[] {
    try {
      return this.run(["containers", "--quiet", "--notruncate"]).split("\n").map((l) => l.trim()).filter(Boolean);
    } catch {
      return [];
    }
  }

  /**
   * When this machine's npm trusts an extra CA file (a TLS-inspecting proxy on the way to the
   * package registries), a Dockerfile's `RUN npm ci` and `RUN pip download` need it too: it is
   * mounted for RUN steps only, with a global npmrc and pip.conf naming it, so it never ends up in an image.
   */
  private extraTrust(): string[] {
    const r = spawnSync("npm", ["config", "get", "cafile"], { encoding: "utf8" });
    const cafile = r.status === 0 ? r.stdout.trim() : "";
    if (!cafile || cafile === "null" || cafile === "undefined" || !existsSync(cafile)) return [];
    const npmrc = join(this.cache, "build-npmrc");
    writeFileSync(npmrc, "cafile=/run/mdb-build/npm-ca.crt\n");
    const pipConf = join(this.cache, "build-pip.conf");
    writeFileSync(pipConf, "[global]\ncert = /run/mdb-build/npm-ca.crt\n");
    return [
      "--volume", `${cafile}:/run/mdb-build/npm-ca.crt:ro`, "--volume", `${npmrc}:/usr/local/etc/npmrc:ro`, "--volume", `${pipConf}:/etc/pip.conf:ro`,
    ];
  }

  /**
   * Saves images of this store as one docker-archive (shared layers once), with podman on the same
   * store: `buildah push` writes one image per archive.
   */
  saveArchive(names: string[], file: string): void {
    this.log(`podman save ${names.length} images -> ${file}`);
    rmSync(file, { force: true });
    const r = spawnSync("podman", [...this.storageArgs(), "save", "--quiet", "--format", "docker-archive", "--multi-image-archive", "--output", file, ...names], {
      env: this.env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
    });
    if (r.error) throw new Error(`podman could not be started: ${r.error.message}; install the Debian package podman`);
    if (r.status !== 0) throw new Error(`podman save failed (exit ${r.status}):\n${`${r.stdout}${r.stderr}`.trim().split("\n").slice(-10).join("\n")}`);
  }

  tag(image: string, name: string): void {
    this.run(["tag", image, name]);
  }

  /**
   * Publishes `name` into the OCI layout of its repository under `registryDir()`. Layers stay
   * uncompressed: they only travel over loopback, and every node would spend CPU un-gzipping them.
   */
  publish(name: string): string {
    const { host, repository, tag } = splitImageName(name);
    const dir = join(registryDir(this.cache), host, repository);
    mkdirSync(dir, { recursive: true });
    this.run(["push", "--quiet", "--format", "oci", "--disable-compression", name, `oci:${dir}:${tag}`]);
    return dir;
  }

  /** Empties a repository's layout, so replaced manifests and layers of older builds do not pile up. */
  unpublishRepository(name: string): void {
    const { host, repository } = splitImageName(name);
    rmSync(join(registryDir(this.cache), host, repository), { recursive: true, force: true });
  }

  published(name: string): boolean {
    const { host, repository } = splitImageName(name);
    return existsSync(join(registryDir(this.cache), host, repository, "index.json"));
  }
}
