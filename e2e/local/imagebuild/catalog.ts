// Reads e2e/local/image-builds.yaml, the one list of images the proving ground builds, into a checked
// catalog. Every error names the field, the line and what is expected.
import { LineCounter, parseDocument } from "yaml";

export type BaseImage =
  | { name: string; kind: "debian"; suite: string }
  | { name: string; kind: "node"; from: string; node: string; npm: string };

export interface ImageBuild {
  /** Full image names (host/path:tag) the build is tagged and published with; the first is the primary. */
  names: string[];
  /** Dockerfile path, relative to the repository root. */
  dockerfile: string;
  /** Build context, relative to the repository root. */
  context: string;
  /** Programs of the pinned toolchain (build.sh, build-node.sh) copied into the context before the build. */
  binaries: string[];
  /**
   * Images built before this one, saved together as one docker-archive `images.tar` in the context
   * (the kind node image carries its control plane this way); their image IDs are part of the cache key.
   */
  archive: string[];
  /** Which command builds it: `default` (npm run images:build) or `kind` (also npm run kind:up). */
  group: ImageGroup;
  /** False for images only another image or kind uses: not copied into the loopback registry's store. */
  publish: boolean;
}

export type ImageGroup = "default" | "kind";

/** The file an entry's `archive` images are saved to, in its build context. */
export const ARCHIVE_FILE = "images.tar";

export interface ImageCatalog { bases: BaseImage[]; images: ImageBuild[] }

export class CatalogError extends Error {
  constructor(file: string, field: string, line: number | undefined, detail: string) {
    super(`${file}${line ? `:${line}` : ""}: ${field}: ${detail}`);
    this.name = "CatalogError";
  }
}

// host/path:tag with a host that has a dot (or is localhost): the names containerd resolves.
const FULL_NAME = /^([a-z0-9.-]+\.[a-z0-9.-]+|localhost)(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const VERSION = /^[0-9]+\.[0-9]+\.[0-9]+$/;
const IMAGE_FIELDS = ["names", "dockerfile", "context", "binaries", "archive", "group", "publish"];

export function parseCatalog(text: string, file = "image-builds.yaml"): ImageCatalog {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) throw new CatalogError(file, "(document)", lines.linePos(doc.errors[0].pos[0]).line, `not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  const lineOf = (path: (string | number)[]) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lines.linePos(node.range[0]).line : undefined;
  };
  const fail = (path: (string | number)[], detail: string): never => {
    throw new CatalogError(file, path.join(".") || "(document)", lineOf(path), detail);
  };
  const root = doc.toJS() as unknown;
  if (!isRecord(root)) fail([], "expected a mapping with 'bases' and 'images'");
  const top = root as Record<string, unknown>;
  for (const key of Object.keys(top)) if (key !== "bases" && key !== "images") fail([key], "unknown field; expected 'bases' or 'images'");

  const bases: BaseImage[] = [];
  if (top.bases !== undefined && !isRecord(top.bases)) fail(["bases"], "expected a mapping of image name → { debian } or { from, node, npm }");
  for (const [name, raw] of Object.entries((top.bases ?? {}) as Record<string, unknown>)) {
    const at = ["bases", name];
    if (!FULL_NAME.test(name)) fail(at, "expected a full image name host/path:tag, e.g. docker.io/library/debian:bookworm-slim");
    if (!isRecord(raw)) fail(at, "expected { debian: SUITE } or { from: BASE, node: VERSION, npm: VERSION }");
    const entry = raw as Record<string, unknown>;
    if (typeof entry.debian === "string") {
      for (const key of Object.keys(entry)) if (key !== "debian") fail([...at, key], "unknown field; a Debian base has only 'debian: SUITE'");
      if (!/^[a-z]+$/.test(entry.debian)) fail([...at, "debian"], "expected a Debian suite name, e.g. bookworm");
      bases.push({ name, kind: "debian", suite: entry.debian as string });
      continue;
    }
    for (const key of Object.keys(entry)) if (!["from", "node", "npm"].includes(key)) fail([...at, key], "unknown field; expected from, node and npm (or debian)");
    const from = entry.from;
    if (typeof from !== "string" || !bases.some((b) => b.name === from)) fail([...at, "from"], `expected the name of a base listed above it (${bases.map((b) => b.name).join(", ") || "none yet"})`);
    for (const key of ["node", "npm"] as const) {
      if (typeof entry[key] !== "string" || !VERSION.test(entry[key] as string)) fail([...at, key], "expected an exact version X.Y.Z (quote it), so the image's content hash is stable");
    }
    bases.push({ name, kind: "node", from: from as string, node: entry.node as string, npm: entry.npm as string });
  }

  if (!Array.isArray(top.images)) fail(["images"], "expected a list of { names, dockerfile, context }");
  const images: ImageBuild[] = [];
  const seen = new Set<string>(bases.map((b) => b.name));
  (top.images as unknown[]).forEach((raw, i) => {
    const at = ["images", i];
    if (!isRecord(raw)) fail(at, "expected { names: [NAME…], dockerfile: PATH, context: DIR }");
    const entry = raw as Record<string, unknown>;
    for (const key of Object.keys(entry)) if (!IMAGE_FIELDS.includes(key)) fail([...at, key], `unknown field; expected ${IMAGE_FIELDS.join(", ")}`);
    const names = entry.names;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === "string")) fail([...at, "names"], "expected a non-empty list of image names");
    (names as string[]).forEach((n, j) => {
      if (!FULL_NAME.test(n)) fail([...at, "names", j], `'${n}' is not a full image name host/path:tag (e.g. docker.io/mdbcluster/node:dev)`);
      if (seen.has(n)) fail([...at, "names", j], `'${n}' is listed twice`);
      // Each build republishes its repositories whole, so a repository belongs to one entry.
      const repo = n.slice(0, n.lastIndexOf(":"));
      const owner = images.findIndex((other) => other.names.some((o) => o.slice(0, o.lastIndexOf(":")) === repo));
      if (owner >= 0) fail([...at, "names", j], `repository ${repo} is already built by images[${owner}]: list every tag of it there`);
      seen.add(n);
    });
    if (typeof entry.dockerfile !== "string" || entry.dockerfile === "") fail([...at, "dockerfile"], "expected the Dockerfile's path from the repository root");
    const context = entry.context ?? ".";
    if (typeof context !== "string") fail([...at, "context"], "expected a directory from the repository root");
    const binaries = entry.binaries ?? [];
    if (!Array.isArray(binaries) || !binaries.every((b) => typeof b === "string" && /^[a-z0-9-]+$/.test(b))) fail([...at, "binaries"], "expected a list of program names built by e2e/local/toolchain/build.sh or build-node.sh, e.g. [coredns]");
    const archive = entry.archive ?? [];
    if (!Array.isArray(archive)) fail([...at, "archive"], "expected a list of image names built above this entry");
    (archive as unknown[]).forEach((n, j) => {
      if (typeof n !== "string" || !images.some((other) => other.names.includes(n))) fail([...at, "archive", j], `'${String(n)}' is not the name of an image listed above this entry`);
    });
    const group = entry.group ?? "default";
    if (group !== "default" && group !== "kind") fail([...at, "group"], "expected default (npm run images:build) or kind (npm run kind:up)");
    const publish = entry.publish ?? true;
    if (typeof publish !== "boolean") fail([...at, "publish"], "expected true or false");
    images.push({
      names: names as string[], dockerfile: entry.dockerfile as string, context: context as string, binaries: binaries as string[],
      archive: archive as string[], group: group as ImageGroup, publish: publish as boolean,
    });
  });
  return { bases, images };
}

/** `docker.io/mdbcluster/node:dev` → { host: docker.io, repository: mdbcluster/node, tag: dev }. */
export function splitImageName(name: string): { host: string; repository: string; tag: string } {
  const slash = name.indexOf("/");
  const colon = name.lastIndexOf(":");
  return { host: name.slice(0, slash), repository: name.slice(slash + 1, colon), tag: name.slice(colon + 1) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
