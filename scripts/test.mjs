#!/usr/bin/env node
// `npm test`: every gate a change must pass, in order: typecheck, lint, unit, integration, e2e.
// `npm test -- unit` (or `node scripts/test.mjs unit integration`) runs only the named stages.
// Test files are found by name so a new suite is picked up without editing this file:
//   unit         **/test/**/*.test.ts           pure and in-process tests
//   integration  **/test/**/*.integration.ts    real redis-server / sidecar processes on 127.0.0.x
//   e2e          e2e/suites/**/*.e2e.ts         a real API server (the proving ground unless KUBECONFIG is set);
//                                                MDB_E2E_SUITES=operator,recovery runs only those
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const skipDirs = new Set(["node_modules", ".git", "dist", ".mdb-local", ".mdb-kind"]);

function findFiles(dir, suffix, out = []) {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findFiles(path, suffix, out);
    else if (name.endsWith(suffix)) out.push(relative(root, path));
  }
  return out.sort();
}

function run(title, cmd, args, env = {}) {
  console.log(`\n=== ${title}: ${cmd} ${args.join(" ")}`.slice(0, 400));
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n✖ ${title} failed (exit ${r.status ?? r.signal})`);
    process.exitCode = 1;
    return false;
  }
  return true;
}

function nodeTests(title, files, { concurrency, timeoutMs }) {
  if (files.length === 0) {
    console.error(`\n✖ ${title}: no test files found`);
    process.exitCode = 1;
    return false;
  }
  // With MDB_TEST_REPORT_DIR set (CI does), a copy of the report goes to a file there so the run can end
  // by repeating every stage's failures, whose details would otherwise scroll out of a log's tail.
  const reportDir = process.env.MDB_TEST_REPORT_DIR;
  const copy = reportDir
    ? ["--test-reporter=spec", `--test-reporter-destination=${join(reportDir, `${title}-${process.env.MDB_TEST_REPORT_LABEL ?? process.env.MDB_NODES ?? "pods"}.txt`)}`]
    : [];
  return run(title, process.execPath, [
    "--import", "tsx", "--test", "--test-reporter=spec", "--test-reporter-destination=stdout", ...copy,
    `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...files,
  ]);
}

/** The e2e suites, or with MDB_E2E_SUITES=operator,recovery only those (e2e/suites/NAME.e2e.ts). */
function e2eSuites() {
  const all = findFiles(join(root, "e2e"), ".e2e.ts");
  const only = (process.env.MDB_E2E_SUITES ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (only.length === 0) return all;
  const unknown = only.filter((name) => !all.some((f) => f.endsWith(`/${name}.e2e.ts`)));
  if (unknown.length > 0) {
    console.error(`MDB_E2E_SUITES names no suite ${unknown.join(", ")}; the suites: ${all.map((f) => f.replace(/^.*\//, "").replace(".e2e.ts", "")).join(", ")}`);
    process.exit(2);
  }
  return all.filter((f) => only.some((name) => f.endsWith(`/${name}.e2e.ts`)));
}

const stages = {
  typecheck: () => run("typecheck", process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.json"]),
  lint: () => run("lint", process.execPath, [join(root, "node_modules/eslint/bin/eslint.js"), "--max-warnings", "0", "."]),
  unit: () => nodeTests("unit", findFiles(root, ".test.ts").filter((f) => f.includes("/test/")), { concurrency: 2, timeoutMs: 120_000 }),
  integration: () => nodeTests("integration", findFiles(root, ".integration.ts"), { concurrency: 1, timeoutMs: 600_000 }),
  e2e: () => nodeTests("e2e", e2eSuites(), { concurrency: 1, timeoutMs: 900_000 }),
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in stages)) {
    console.error(`unknown stage '${name}'; choose from: ${Object.keys(stages).join(", ")}`);
    process.exit(2);
  }
}
for (const name of wanted.length ? wanted : Object.keys(stages)) {
  // Later stages still run after a failure so one CI run reports everything; the exit code is non-zero.
  stages[name]();
}
