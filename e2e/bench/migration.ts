// npm run bench:migration — slot migration speed, 3 → 6 primaries, ours vs redis-cli, on each engine, in one run.
//
// Each run on fresh engines loaded with the same 1,000,000 keys × 100 B (key:N → valueForKey), as
// support/migration-run.ts measures it. Per engine (Debian's redis-server 7.0, valkey-server 9.1.2):
//   baseline: `redis-cli --cluster rebalance <host:port> --cluster-use-empty-masters` (its defaults)
//   fastest:  a driver playing the operator (the equal-share plan, three moves in parallel through
//             migrateSlots), latency guard off; guarded: the same with the guard at its defaults.
//   On redis the moves go key by key (MIGRATE); on valkey they take the engines' atomic slot migration
//   (CLUSTER MIGRATESLOTS), and valkey's MIGRATE rows (atomicMigration "never") are reported beside.
//   BENCH_BUDGETS="1.5,3,5": one more guarded run per budget factor, on the default engine (valkey).
// The last line of output is one JSON object: per engine and mode the ratio to redis-cli on the same
// engine, client p99 idle and during, p99Factor, lost and errors; `best` names the mode the default
// configuration (valkey, guard on) uses. Engines: 127.0.9.x–127.0.15.x.
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { expectedChecksum } from "../../testing/engines.ts";
import type { EngineKind } from "../../testing/engine-binaries.ts";
import { KEYS, OPS_PER_SECOND, VALUE_BYTES, log, measure, round, summary, type Mode, type RunReport } from "./support/migration-run.ts";

// "redis.baseline,valkey.guarded" etc. while tuning: only those runs (the JSON then says pass: false)
const ONLY = process.env.BENCH_ONLY?.split(",").map((x) => x.trim());
/** Extra guarded runs: "1.5" is a budget factor, "0.8ms" an absolute budget (guard.budgetMs). */
const BUDGETS = (process.env.BENCH_BUDGETS ?? "").split(",").map((x) => x.trim()).filter(Boolean).map((x): { budgetFactor: number } | { budgetMs: number } => {
  const n = Number(x.replace(/ms$/, ""));
  if (!(n > 0)) throw new Error(`BENCH_BUDGETS: "${x}" is neither a budget factor (e.g. 1.5) nor a budget in ms (e.g. 0.8ms)`);
  return x.endsWith("ms") ? { budgetMs: n } : { budgetFactor: n };
});
/** Targets on valkey (issue 19); the redis rows are reported, not targeted. */
const TARGETS = { valkey: { fastest: { ratio: 0.05 }, guarded: { ratio: 0.25, p99Factor: 2 } } };

const runs: Record<string, RunReport> = {};
let ipIndex = 0;
let expected: ReturnType<typeof expectedChecksum> | undefined;

async function run(key: string, mode: Mode): Promise<RunReport | undefined> {
  if (ONLY && !ONLY.includes(key)) return undefined;
  expected ??= expectedChecksum(KEYS, VALUE_BYTES);
  // Each run binds its own addresses: a port in TIME_WAIT from the run before never delays the next.
  runs[key] = await measure(mode, `127.0.${9 + (ipIndex++ % 7)}`, expected);
  return runs[key];
}

async function engineRuns(engine: EngineKind) {
  const baseline = await run(`${engine}.baseline`, { name: `${engine} baseline`, engine, baseline: true });
  const strategy = engine === "valkey" ? "auto" : "never";
  const fastest = await run(`${engine}.fastest`, { name: `${engine} fastest`, engine, guard: { disabled: true }, atomicMigration: strategy });
  const guarded = await run(`${engine}.guarded`, { name: `${engine} guarded`, engine, guard: {}, atomicMigration: strategy });
  const rows = { fastest: fastest && summary(fastest, baseline), guarded: guarded && summary(guarded, baseline) };
  if (engine !== "valkey") return { baseline, rows, extra: {} };
  const migrateFastest = await run("valkey.migrate.fastest", { name: "valkey MIGRATE fastest", engine, guard: { disabled: true }, atomicMigration: "never" });
  const migrateGuarded = await run("valkey.migrate.guarded", { name: "valkey MIGRATE guarded", engine, guard: {}, atomicMigration: "never" });
  const budgets = [];
  for (const budget of BUDGETS) {
    const name = "budgetMs" in budget ? `valkey guarded ${budget.budgetMs} ms` : `valkey guarded ×${budget.budgetFactor}`;
    const r = await run(`valkey.${name}`, { name, engine, guard: budget, atomicMigration: "auto" });
    if (r) budgets.push({ ...budget, ...summary(r, baseline) });
  }
  return {
    baseline, rows,
    extra: { migrate: { fastest: migrateFastest && summary(migrateFastest, baseline), guarded: migrateGuarded && summary(migrateGuarded, baseline) }, budgets },
  };
}

async function main(): Promise<void> {
  const t = performance.now();
  const redis = await engineRuns("redis");
  const valkey = await engineRuns("valkey");
  log(`total ${round((performance.now() - t) / 1000)} s`);

  const all = Object.values(runs);
  const lost = all.reduce((n, r) => n + r.keysLost, 0);
  const errors = all.reduce((n, r) => n + r.clientErrors, 0);
  const healthy = all.every((r) => r.valuesEqual && r.readMismatches === 0 && r.clusterCheckOk);
  const { fastest, guarded } = valkey.rows;
  const pass = Boolean(!ONLY && healthy && lost === 0 && errors === 0 && fastest && guarded &&
    fastest.method === "atomic" && guarded.method === "atomic" &&
    (fastest.ratio ?? 1) <= TARGETS.valkey.fastest.ratio &&
    (guarded.ratio ?? 1) <= TARGETS.valkey.guarded.ratio && (guarded.p99Factor ?? Infinity) <= TARGETS.valkey.guarded.p99Factor);
  const baselineOf = (b: RunReport | undefined) => b && { seconds: b.seconds, p99IdleMs: b.p99IdleMs, p99MoveMs: b.p99MoveMs, keysLost: b.keysLost, clientErrors: b.clientErrors };
  console.log(JSON.stringify({
    bench: "migration", keys: KEYS, valueBytes: VALUE_BYTES, clientOpsPerSecond: OPS_PER_SECOND, cores: cpus().length,
    redis: { ...redis.rows, baseline: baselineOf(redis.baseline) },
    valkey: { ...valkey.rows, ...valkey.extra, baseline: baselineOf(valkey.baseline) },
    lost, errors, best: "valkey.guarded",
    runs, units: "s", target: TARGETS, pass,
  }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
