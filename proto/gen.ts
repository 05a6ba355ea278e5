// `npm run proto:gen`: regenerate proto/generated/ from the proto.
// generateStubs is also used by the drift test, which generates into a temp dir and compares.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { rmSync, mkdirSync, readdirSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { generatorArgs, protoRoot } from "./load.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const generatedDir = join(here, "generated");
const generatorBin = join(here, "..", "node_modules", "@grpc", "proto-loader", "build", "bin", "proto-loader-gen-types.js");

export function generateStubs(outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const result = spawnSync(process.execPath, [generatorBin, ...generatorArgs(outDir)], { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`proto-loader-gen-types failed (exit ${result.status}): ${result.stderr || result.stdout}`);
  }
  // The generator writes the proto's absolute path into every file; make it repo-relative so the
  // output does not depend on where the repo is checked out.
  for (const file of listFiles(outDir)) {
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.split(protoRoot).join("proto"));
  }
}

export function listFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  generateStubs(generatedDir);
  console.log(`generated sidecar stubs into ${generatedDir}`);
}
