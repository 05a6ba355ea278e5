// What a Dockerfile's build depends on, so an image is rebuilt exactly when one of them changes:
// the Dockerfile text, every file its COPY/ADD instructions take from the context, and the base
// images its FROM lines name (their image IDs, supplied by the caller).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface DockerfileInputs {
  /** Images named by FROM that are not earlier stages (and not `scratch`). */
  bases: string[];
  /** COPY/ADD sources taken from the build context (not `--from=` another stage or image). */
  contextSources: string[];
}

/** Joins continuation lines and drops comments, then reads FROM and COPY/ADD. */
export function readDockerfile(text: string): DockerfileInputs {
  const logical: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (current === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) { current += `${line.slice(0, -1)} `; continue; }
    logical.push(current + line);
    current = "";
  }
  if (current) logical.push(current);

  const args = new Map<string, string>();
  const stages = new Set<string>();
  const bases: string[] = [];
  const contextSources: string[] = [];
  const expand = (s: string) => s.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name: string) => args.get(name) ?? m);
  for (const line of logical) {
    const [instruction, ...rest] = line.split(/\s+/);
    const op = instruction.toUpperCase();
    if (op === "ARG" && stages.size === 0 && bases.length === 0) {
      const [name, value] = rest.join(" ").split("=");
      if (value !== undefined) args.set(name, value);
    } else if (op === "FROM") {
      const words = rest.filter((w) => !w.startsWith("--"));
      const image = expand(words[0] ?? "");
      if (image !== "scratch" && !stages.has(image) && !bases.includes(image)) bases.push(image);
      if (words[1]?.toUpperCase() === "AS" && words[2]) stages.add(words[2]);
    } else if (op === "COPY" || op === "ADD") {
      if (rest.some((w) => w.startsWith("--from="))) continue;
      const words = rest.filter((w) => !w.startsWith("--"));
      const list = words[0]?.startsWith("[") ? (JSON.parse(words.join(" ")) as string[]) : words;
      contextSources.push(...list.slice(0, -1));
    }
  }
  return { bases, contextSources };
}

/**
 * sha256 over the Dockerfile, each context source (files under a directory, sorted) and `extra`.
 * `generated` names context files made from other inputs (already in `extra`), which are not read.
 */
export function buildInputsHash(dockerfilePath: string, contextDir: string, extra: string[], generated: string[] = []): string {
  const hash = createHash("sha256");
  const text = readFileSync(dockerfilePath, "utf8");
  hash.update(`dockerfile\0${text}\0`);
  for (const source of readDockerfile(text).contextSources) {
    if (generated.includes(source)) continue;
    const path = join(contextDir, source);
    if (!existsSync(path)) throw new Error(`${dockerfilePath}: COPY/ADD source '${source}' does not exist in the build context ${contextDir}`);
    for (const file of filesUnder(path)) {
      hash.update(`file\0${relative(contextDir, file)}\0`);
      hash.update(readFileSync(file));
    }
  }
  for (const e of extra) hash.update(`extra\0${e}\0`);
  return hash.digest("hex").slice(0, 32);
}

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => filesUnder(join(path, name)));
}
