// The sidecar image's program, the one home of how it is built (node-image/Dockerfile's build stage runs
// this file; node-image/test/sidecar/image-entrypoints.integration.ts builds the same to run it):
// - mdb-sidecar.mjs: the sidecar and every package it imports in one minified ES module, so the image
//   carries no node_modules and the process holds one short source instead of each package's sources
//   with their comments (docs/footprint.md#the-bundle);
// - mdb-sidecar.mjs.map: its source map, without the sources; Node does not read it unless started with
//   --enable-source-maps (docs/operations.md#logs says how to read a stack trace with it);
// - THIRD-PARTY-NOTICES.txt: the name, version, licence and licence file of each package bundled.
//   Usage: tsx node-image/build/bundle.ts OUT_DIR
import { build, type BuildOptions, type Metafile } from "esbuild";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** The packages' CommonJS code calls require(); an ES module has none, so the bundle makes one. */
const REQUIRE_SHIM = 'import { createRequire as __mdbCreateRequire } from "node:module"; const require = __mdbCreateRequire(import.meta.url);';

/** How the sidecar's code is compiled into the bundle (a test compiles the probe's worker program with it). */
export const SIDECAR_BUILD = {
  absWorkingDir: repo, bundle: true, platform: "node", format: "esm", target: "node20",
  minify: true, legalComments: "none", banner: { js: REQUIRE_SHIM }, logLevel: "warning",
} as const satisfies BuildOptions;

/** Builds the three files into outDir; returns the packages bundled, as name@version. */
export async function bundleSidecar(outDir: string): Promise<string[]> {
  const result = await build({
    ...SIDECAR_BUILD,
    entryPoints: ["node-image/src/sidecar/main.ts"],
    outfile: join(resolve(outDir), "mdb-sidecar.mjs"),
    sourcemap: "linked", sourcesContent: false, metafile: true,
  });
  const packages = bundledPackages(result.metafile);
  writeFileSync(join(outDir, "THIRD-PARTY-NOTICES.txt"), notices(packages));
  return packages.map((p) => `${p.name}@${p.version}`);
}

interface BundledPackage { name: string; version: string; license: string; licenseText: string }

/** Each package directory (the innermost node_modules/NAME or node_modules/@SCOPE/NAME) an input came from. */
function bundledPackages(meta: Metafile): BundledPackage[] {
  const dirs = new Set<string>();
  for (const input of Object.keys(meta.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]);
  }
  return [...dirs].map((dir) => {
    const abs = join(repo, dir);
    const pkg = JSON.parse(readFileSync(join(abs, "package.json"), "utf8")) as { name: string; version: string; license?: string };
    const file = readdirSync(abs).find((f) => /^(licen[cs]e|copying)/i.test(f));
    if (!pkg.license || !file) throw new Error(`${dir}: a bundled package must name its licence and ship its text (package.json "license", a LICENSE file)`);
    return { name: pkg.name, version: pkg.version, license: pkg.license, licenseText: readFileSync(join(abs, file), "utf8").trim() };
  }).sort((a, b) => a.name.localeCompare(b.name));
}

function notices(packages: BundledPackage[]): string {
  const head = "The sidecar (mdb-sidecar.mjs) bundles these packages; each one's licence follows.\n";
  return head + packages.map((p) => `\n${"=".repeat(72)}\n${p.name} ${p.version} (${p.license})\n${"=".repeat(72)}\n\n${p.licenseText}\n`).join("");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir || !existsSync(outDir)) {
    process.stderr.write("usage: tsx node-image/build/bundle.ts OUT_DIR (an existing directory)\n");
    process.exit(2);
  }
  const packages = await bundleSidecar(outDir);
  process.stdout.write(`bundled the sidecar with ${packages.length} packages: ${packages.join(", ")}\n`);
}
