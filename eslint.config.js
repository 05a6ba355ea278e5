import tseslint from "typescript-eslint";

// I/O modules the pure planner must never import: it takes plain data and returns plain data,
// with time and randomness passed in (docs/architecture.md#pure-core-thin-shell).
const ioModules = [
  "fs", "node:fs", "fs/promises", "node:fs/promises", "net", "node:net", "http", "node:http",
  "https", "node:https", "child_process", "node:child_process", "dgram", "node:dgram",
  "timers", "node:timers", "timers/promises", "node:timers/promises", "worker_threads", "node:worker_threads",
  "@kubernetes/client-node", "@grpc/grpc-js", "@grpc/proto-loader", "ioredis", "winston", "prom-client",
];

// Imports run one way in the operator (docs/architecture.md#layout): the wiring at the top
// (main.ts, manager.ts, settings.ts), then controller → executor → model → sidecar → runtime, with
// the pure rooms (resources → api → planner) at the bottom. Each room names the rooms below it that it may
// import; anything else, and the top-level files, is refused. Type imports count: they are dependencies too.
const operatorRooms = {
  planner: [],
  api: ["planner"],
  resources: ["api", "planner"],
  runtime: ["api"],
  sidecar: ["runtime"],
  model: ["api", "planner", "resources", "sidecar"],
  executor: ["api", "model", "planner", "resources", "runtime", "sidecar"],
  controller: ["api", "executor", "model", "planner", "resources", "runtime", "sidecar"],
};
const topLevel = ["main.ts", "manager.ts", "settings.ts"];
const above = (room) => {
  const refused = Object.keys(operatorRooms).filter((r) => r !== room && !operatorRooms[room].includes(r));
  return refused.length > 0 ? [refused.map((r) => `../${r}/**`)] : [];
};
const roomBoundaries = Object.keys(operatorRooms).map((room) => ({
  files: [`operator/src/${room}/**/*.ts`],
  rules: {
    "no-restricted-imports": ["error", { patterns: [
      ...above(room).map((group) => ({ group,
        message: `imports run one way: operator/src/${room}/ may import only ${operatorRooms[room].join(", ") || "common/"} (docs/architecture.md#layout)` })),
      { group: topLevel.map((f) => `../${f}`), message: "the wiring at the top imports the rooms, never the other way" },
      { group: ["**/node-image/**", "**/e2e/**"], message: "the operator does not import the member image or the proving ground" },
    ] }],
  },
}));

// Time, randomness and the process are inputs of a pure module, never read from inside it.
const pureGlobals = {
  "no-restricted-globals": ["error",
    { name: "setTimeout", message: "pure module: time is an input" },
    { name: "setInterval", message: "pure module: time is an input" },
    { name: "fetch", message: "pure module: no I/O" },
    { name: "process", message: "pure module: no process access" }],
  "no-restricted-properties": ["error",
    { object: "Date", property: "now", message: "pure module: pass the time in" },
    { object: "Math", property: "random", message: "pure module: pass a seeded random in" }],
};

export default tseslint.config(
  { ignores: ["node_modules/**", "**/dist/**", "**/generated/**", ".mdb-local/**", ".mdb-kind/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  ...roomBoundaries,
  {
    // Shared by every package, so it imports none of them.
    files: ["common/**/*.ts"],
    ignores: ["common/test/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["**/operator/**", "**/node-image/**", "**/e2e/**", "**/scripts/**"], message: "common/ is imported by the packages, never the other way" }] }] },
  },
  {
    // The member image serves its API with its own gRPC server (node-image/src/grpc/, docs/footprint.md#grpc):
    // grpc-js is the operator's client, and a transport of gRPC knows nothing of the sidecar or its proto.
    files: ["node-image/src/**/*.ts"],
    // Nor prom-client: the member renders its /metrics itself (node-image/src/sidecar/exposition.ts, docs/footprint.md#metrics).
    rules: { "no-restricted-imports": ["error", { paths: [{ name: "@grpc/grpc-js", message: "the sidecar serves gRPC with node-image/src/grpc/server.ts; grpc-js is the operator's client" },
      { name: "prom-client", message: "the sidecar renders its metrics with node-image/src/sidecar/exposition.ts; prom-client is the operator's" }] }] },
  },
  {
    files: ["node-image/src/grpc/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: [{ name: "@grpc/grpc-js", message: "this is the server grpc-js is not" }],
      patterns: [{ group: ["**/sidecar/**", "**/migration/**", "**/proto/**", "**/common/**"], message: "a transport of gRPC: it takes the methods and handlers it serves, and imports none of them" }] }] },
  },
  {
    // The pure core: plain data in, plain data out (planner, api types and defaults, resource
    // builders, the controller's decide/status/plan functions, shared parsers).
    files: [
      "operator/src/planner/**/*.ts", "operator/src/api/**/*.ts", "operator/src/resources/**/*.ts",
      "operator/src/model/**/*.ts", "operator/src/controller/decide.ts", "operator/src/controller/status.ts", "operator/src/controller/tls.ts",
      "operator/src/controller/sidecar-endpoints.ts", "operator/src/settings.ts",
      "common/slots.ts", "common/labels.ts", "common/engine-replies.ts", "common/engine-image.ts",
    ],
    ignores: ["operator/src/api/crd-gen.ts"],
    rules: {
      // Types may come from anywhere (they vanish at runtime); values may not.
      "@typescript-eslint/no-restricted-imports": ["error", { paths: ioModules.map((name) => ({ name, message: "this module is pure: pass data in, no I/O", allowTypeImports: true })),
        patterns: [{ allowTypeImports: true, group: ["**/runtime/**", "**/sidecar/**", "**/executor/**", "**/controller/observe.ts", "**/controller/reconciler.ts"], message: "this module is pure: it may not import the shell" }] }],
      ...pureGlobals,
    },
  },
  {
    // The member image's pure core and the pod <-> sidecar environment contract (common/member-env.ts):
    // the operator's pure-core rules, with the member image's shell as what they may not import (the
    // engine driver, the member and its commands, the servers, the state store, the migration engine's
    // I/O and its index, which re-exports that I/O) and node:crypto's randomness as I/O too.
    files: [
      "common/member-env.ts",
      "node-image/src/migration/rate.ts", "node-image/src/migration/clusterView.ts", "node-image/src/migration/validate.ts",
      "node-image/src/migration/guard.ts", "node-image/src/migration/request.ts",
      "node-image/src/sidecar/settings.ts", "node-image/src/sidecar/engine-config.ts", "node-image/src/sidecar/health.ts",
      "node-image/src/sidecar/state-machine.ts", "node-image/src/sidecar/requests.ts", "node-image/src/sidecar/status.ts",
      "node-image/src/sidecar/commands.ts", "node-image/src/sidecar/migrate-request.ts", "node-image/src/sidecar/responses.ts",
      "node-image/src/sidecar/engine-metrics.ts", "common/log-level.ts",
    ],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", { paths: [...ioModules, "crypto", "node:crypto"].map((name) => ({ name, message: "this module is pure: pass data in, no I/O", allowTypeImports: true })),
        patterns: [{ allowTypeImports: true, message: "this module is pure: it may not import the shell",
          group: ["**/sidecar/engine.ts", "**/sidecar/member.ts", "**/sidecar/member-*.ts", "**/sidecar/server.ts", "**/sidecar/main.ts", "**/sidecar/health-server.ts",
            "**/sidecar/state-store.ts", "**/sidecar/leader-fence.ts", "**/sidecar/auth.ts", "**/migration/index.ts", "**/migration/migrate.ts", "**/migration/connection.ts",
            "**/migration/probe*.ts", "**/migration/batch-*.ts", "**/migration/key-by-key.ts", "**/migration/atomic.ts", "**/migration/setslot.ts", "**/common/wait.ts",
            "./engine.ts", "./member.ts", "./member-*.ts", "./server.ts", "./main.ts", "./health-server.ts", "./state-store.ts", "./leader-fence.ts", "./auth.ts",
            "./index.ts", "./migrate.ts", "./connection.ts", "./probe*.ts", "./batch-*.ts", "./key-by-key.ts", "./atomic.ts", "./setslot.ts"] }] }],
      ...pureGlobals,
    },
  },
);
