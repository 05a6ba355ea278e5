// The docs are the repository's own: no source file cites a design or style document kept outside
// it, every `docs/….md#anchor` a comment or a page cites exists, and every relative link in README.md,
// CONTRIBUTING.md and docs/ resolves to a file (and, for a Markdown file, to one of its headings).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const skipDirs = new Set(["node_modules", ".git", "dist", ".mdb-local"]);
const sourceExtensions = new Set([".ts", ".js", ".mjs", ".cjs", ".sh", ".yaml", ".yml", ".tpl", ".proto", ".json", ".txt"]);

function walk(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name) || name.startsWith(".mdb-local") || name === ".mdb-kind") continue; // a second proving ground's state dir too, and kind's
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) walk(path, keep, out);
    else if (stat.size < 1_000_000 && keep(path)) out.push(path);
  }
  return out.sort();
}

const isSource = (path: string) => {
  const name = basename(path);
  return sourceExtensions.has(extname(name)) || name === "Dockerfile" || name.endsWith(".Dockerfile") || readFileSync(path).subarray(0, 2).toString() === "#!";
};
const docPages = () => [join(root, "README.md"), join(root, "CONTRIBUTING.md"), ...walk(join(root, "docs"), (p) => p.endsWith(".md"))];
const rel = (path: string) => relative(root, path);

/** GitHub's heading anchor: inline markup dropped, lowercase, punctuation gone, spaces → '-'. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*]/g, "")
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** Lines outside fenced code blocks, with their numbers. */
function prose(text: string): { line: string; n: number }[] {
  const out: { line: string; n: number }[] = [];
  let fence: string | undefined;
  text.split("\n").forEach((line, i) => {
    const m = /^\s*(```|~~~)/.exec(line);
    if (m) {
      if (!fence) fence = m[1];
      else if (m[1] === fence) fence = undefined;
      return;
    }
    if (!fence) out.push({ line, n: i + 1 });
  });
  return out;
}

export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { line } of prose(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

const anchorCache = new Map<string, Set<string>>();
function anchors(file: string): Set<string> {
  if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(readFileSync(file, "utf8")));
  return anchorCache.get(file)!;
}

/** Why a path (relative to the repository) and anchor do not resolve, or undefined when they do. */
function problem(target: string, anchor: string | undefined): string | undefined {
  if (!existsSync(target)) return `${rel(target)} does not exist`;
  if (anchor === undefined || anchor === "") return undefined;
  if (!target.endsWith(".md")) return undefined;
  return anchors(target).has(anchor) ? undefined : `${rel(target)} has no heading with anchor #${anchor}`;
}

// Built from parts so this file does not cite them itself.
const outsideCitations = ["DESIGN" + " §", "DESIGN" + ".md", "STYLE" + ".md", "STYLE" + ' "'];
// docs/….md with an optional anchor, and anchors into CONTRIBUTING.md or README.md at the root.
const citation = /(?<![\w./-])(docs\/[\w./-]+\.md|(?:CONTRIBUTING|README)\.md(?=#))(?:#([\w-]+))?/g;

describe("docs", () => {
  test("anchors follow GitHub's rule", () => {
    assert.equal(slug("Pure core, thin shell"), "pure-core-thin-shell");
    assert.equal(slug("Benchmark: `npm run bench:planner`"), "benchmark-npm-run-benchplanner");
    assert.equal(slug("Real nodes (`MDB_NODES=real`)"), "real-nodes-mdb_nodesreal");
    assert.deepEqual([...anchorsOf("# A\n## Tests\n```sh\n# not a heading\n```\n## Tests\n")], ["a", "tests", "tests-1"]);
  });

  test("no source file cites a document kept outside the repository", () => {
    const found: string[] = [];
    for (const file of [...walk(root, isSource), ...docPages()]) {
      readFileSync(file, "utf8").split("\n").forEach((line, i) => {
        if (outsideCitations.some((c) => line.includes(c))) found.push(`${rel(file)}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(found, [], "cite the repository's docs instead, e.g. docs/architecture.md#placement");
  });

  test("every docs/….md#anchor cited in code or docs exists", () => {
    const broken: string[] = [];
    let cited = 0;
    for (const file of [...walk(root, isSource), ...docPages()]) {
      readFileSync(file, "utf8").split("\n").forEach((line, i) => {
        for (const m of line.matchAll(citation)) {
          cited++;
          const why = problem(join(root, m[1]), m[2]);
          if (why) broken.push(`${rel(file)}:${i + 1}: ${m[0]}: ${why}`);
        }
      });
    }
    assert.deepEqual(broken, []);
    assert.ok(cited > 20, `only ${cited} citations found: is the pattern still right?`);
  });

  test("relative links in README.md, CONTRIBUTING.md and docs/ resolve", () => {
    const broken: string[] = [];
    for (const file of docPages()) {
      for (const { line, n } of prose(readFileSync(file, "utf8"))) {
        const withoutCode = line.replace(/`[^`]*`/g, "");
        for (const m of withoutCode.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          const link = m[1];
          if (/^[a-z]+:/i.test(link)) continue;
          const [path, anchor] = link.split("#");
          const target = path === "" ? file : resolve(dirname(file), path);
          const why = problem(target, anchor);
          if (why) broken.push(`${rel(file)}:${n}: (${link}): ${why}`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });
});
