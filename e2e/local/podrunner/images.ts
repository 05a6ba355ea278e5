// The image → command map: the proving ground has no container engine, so each image name maps to
// local programs. Docker semantics decide the argv (command replaces ENTRYPOINT, args replaces CMD),
// then in-image programs and paths are translated to their local counterparts.
import { parseDocument, LineCounter } from "yaml";
import type { V1Container } from "@kubernetes/client-node";
import { ContainerConfigError } from "./env.ts";

export interface ImageEntry {
  /** The image's ENTRYPOINT, already translated to local paths. */
  entrypoint: string[];
  /** The image's CMD (arguments appended to the entrypoint when the pod gives no args). */
  cmd: string[];
  /** In-image program (absolute path or bare name) → local argv prefix that runs it. */
  commands: Record<string, string[]>;
  /** In-image path prefix → local path prefix, applied to every argv element. */
  paths: Record<string, string>;
  /** Default working directory (the image's WORKDIR, translated). */
  workingDir?: string;
  /** Environment the image sets (ENV lines). */
  env: Record<string, string>;
  /**
   * The image's VOLUME paths: each container gets a private, initially empty directory there (as an
   * anonymous volume), unless the pod mounts a volume at that path. /tmp is always private.
   */
  volumes: string[];
}

export type ImageMap = Map<string, ImageEntry>;

export class ImageMapError extends Error {
  constructor(file: string, field: string, line: number | undefined, detail: string) {
    super(`${file}${line ? `:${line}` : ""}: ${field}: ${detail}`);
    this.name = "ImageMapError";
  }
}

/**
 * Placeholders substituted in every string of the map: {repo} (repository root), {tsx} (tsx loader),
 * {node} (the node binary), {valkey} (the directory of the pinned valkey-server, scripts/install-valkey.sh).
 */
export interface ImageMapVars { repo: string; tsx: string; node: string; valkey: string }

function substitute(value: string, vars: ImageMapVars): string {
  return value.replaceAll("{repo}", vars.repo).replaceAll("{tsx}", vars.tsx).replaceAll("{node}", vars.node).replaceAll("{valkey}", vars.valkey);
}

/** Parses images.yaml: `images: { <repo name>: { entrypoint, cmd, commands, paths, workingDir, env, volumes } }`. */
export function parseImageMap(text: string, vars: ImageMapVars, file = "images.yaml"): ImageMap {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new ImageMapError(file, "(document)", lineCounter.linePos(e.pos[0]).line, `not valid YAML: ${e.message.split("\n")[0]}`);
  }
  const lineOf = (path: (string | number)[]): number | undefined => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  };
  const root = doc.toJS() as unknown;
  if (!isRecord(root) || !isRecord(root.images)) {
    throw new ImageMapError(file, "images", lineOf(["images"]) ?? 1, "expected a mapping 'images' of image repository name → entry");
  }
  const map: ImageMap = new Map();
  for (const [name, raw] of Object.entries(root.images)) {
    const at = (field: string) => `images.${name}${field ? `.${field}` : ""}`;
    const fail = (field: string, detail: string, path: (string | number)[] = []): never => {
      throw new ImageMapError(file, at(field), lineOf(["images", name, ...path]), detail);
    };
    if (!isRecord(raw)) fail("", "expected a mapping with 'entrypoint' (list of strings)");
    const entry = raw as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!["entrypoint", "cmd", "commands", "paths", "workingDir", "env", "volumes"].includes(key)) {
        fail(key, "unknown field; expected entrypoint, cmd, commands, paths, workingDir, env or volumes", [key]);
      }
    }
    const strings = (value: unknown, field: string): string[] => {
      if (value === undefined) return [];
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) fail(field, "expected a list of strings", [field]);
      return (value as string[]).map((v) => substitute(v, vars));
    };
    const entrypoint = strings(entry.entrypoint, "entrypoint");
    const commands: Record<string, string[]> = {};
    if (entry.commands !== undefined) {
      if (!isRecord(entry.commands)) fail("commands", "expected a mapping of in-image program → list of strings", ["commands"]);
      for (const [program, argv] of Object.entries(entry.commands as Record<string, unknown>)) {
        const local = strings(argv, `commands.${program}`);
        if (local.length === 0) fail(`commands.${program}`, "expected a non-empty list of strings (the local argv prefix)", ["commands", program]);
        commands[program] = local;
      }
    }
    const stringMap = (value: unknown, field: string): Record<string, string> => {
      if (value === undefined) return {};
      if (!isRecord(value) || !Object.values(value).every((v) => typeof v === "string")) {
        fail(field, "expected a mapping of string → string", [field]);
      }
      return Object.fromEntries(Object.entries(value as Record<string, string>).map(([k, v]) => [k, substitute(v, vars)]));
    };
    if (entry.workingDir !== undefined && typeof entry.workingDir !== "string") fail("workingDir", "expected a string", ["workingDir"]);
    map.set(name, {
      entrypoint,
      cmd: strings(entry.cmd, "cmd"),
      commands,
      paths: stringMap(entry.paths, "paths"),
      workingDir: typeof entry.workingDir === "string" ? substitute(entry.workingDir, vars) : undefined,
      env: stringMap(entry.env, "env"),
      volumes: strings(entry.volumes, "volumes").map((path, i) => {
        if (!path.startsWith("/")) fail(`volumes[${i}]`, `"${path}" must be an absolute path`, ["volumes", i]);
        return path;
      }),
    });
  }
  return map;
}

/** `registry:5000/mdbcluster/node:1.2@sha256:…` → `registry:5000/mdbcluster/node`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const lastColon = withoutDigest.lastIndexOf(":");
  return lastColon > lastSlash ? withoutDigest.slice(0, lastColon) : withoutDigest;
}

/** Finds the entry for an image by repository name, ignoring tag, digest and any registry prefix. */
export function lookupImage(map: ImageMap, image: string): ImageEntry | undefined {
  const repo = imageRepository(image);
  const exact = map.get(repo);
  if (exact) return exact;
  for (const [name, entry] of map) {
    if (repo.endsWith(`/${name}`)) return entry;
  }
  const dockerHub = repo.replace(/^(docker\.io\/)?(library\/)?/, "");
  return map.get(dockerHub);
}

/** Paths every container gets privately, like the writable layer of a container's root file system. */
export const PRIVATE_PATHS = ["/tmp"];

/**
 * Image volumes (plus /tmp) the pod does not mount over: each becomes a private per-container directory.
 * A checkout or state dir beneath one stays visible all the same: see keepVisible (volumes.ts).
 */
export function anonymousVolumes(entry: ImageEntry, mountTargets: string[]): string[] {
  const trim = (p: string) => p.replace(/\/+$/, "");
  const taken = new Set(mountTargets.map(trim));
  return [...new Set([...PRIVATE_PATHS, ...entry.volumes])].filter((p) => !taken.has(trim(p)));
}

export function unmappedImageMessage(image: string, file: string): string {
  return `image "${image}" is not in the proving ground's image map (${file}); add an entry for "${imageRepository(image)}" ` +
    "that names the local program to run";
}

/** The local argv for a container: Docker's ENTRYPOINT/CMD rules, then in-image → local translation. */
export function containerArgv(entry: ImageEntry, container: Pick<V1Container, "name" | "command" | "args">): string[] {
  const hasCommand = (container.command?.length ?? 0) > 0;
  const head = hasCommand ? container.command! : entry.entrypoint;
  const tail = container.args !== undefined && container.args.length > 0 ? container.args : hasCommand ? [] : entry.cmd;
  const argv = [...head, ...tail];
  if (argv.length === 0) {
    throw new ContainerConfigError(`container "${container.name}": no command: the pod sets no command and the image map entry has no entrypoint or cmd`);
  }
  const program = argv[0];
  const translated = entry.commands[program] ?? entry.commands[program.split("/").pop() ?? program];
  const withProgram = translated ? [...translated, ...argv.slice(1)] : argv;
  return withProgram.map((arg) => translatePath(entry.paths, arg));
}

/** Rewrites an argument that starts with (or has `=` followed by) a mapped in-image path prefix. */
export function translatePath(paths: Record<string, string>, arg: string): string {
  const prefixes = Object.keys(paths).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (arg === prefix || arg.startsWith(`${prefix}/`)) return paths[prefix] + arg.slice(prefix.length);
    const eq = arg.indexOf("=");
    if (eq > 0) {
      const value = arg.slice(eq + 1);
      if (value === prefix || value.startsWith(`${prefix}/`)) return `${arg.slice(0, eq + 1)}${paths[prefix]}${value.slice(prefix.length)}`;
    }
  }
  return arg;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

