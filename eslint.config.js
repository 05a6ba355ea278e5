import tseslint from "typescript-eslint";

// I/O modules the pure planner must never import: it takes plain data and returns plain data,
// with time and randomness passed in (DESIGN §2, STYLE "Pure core, thin shell").
const ioModules = [
  "fs", "node:fs", "fs/promises", "node:fs/promises", "net", "node:net", "http", "node:http",
  "https", "node:https", "child_process", "node:child_process", "dgram", "node:dgram",
  "timers", "node:timers", "timers/promises", "node:timers/promises", "worker_threads", "node:worker_threads",
  "@kubernetes/client-node", "@grpc/grpc-js", "@grpc/proto-loader", "ioredis", "winston", "prom-client",
];

export default tseslint.config(
  { ignores: ["node_modules/**", "**/dist/**", "**/generated/**", ".mdb-local/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    // The pure core: plain data in, plain data out (planner, api types and defaults, resource
    // builders, the controller's decide/status/plan functions, shared parsers).
    files: [
      "operator/src/planner/**/*.ts", "operator/src/api/**/*.ts", "operator/src/resources/**/*.ts",
      "operator/src/controller/decide.ts", "operator/src/controller/status.ts", "operator/src/controller/members.ts",
      "operator/src/controller/plan-status.ts", "operator/src/controller/observation.ts", "operator/src/settings.ts",
      "common/slots.ts", "common/labels.ts", "common/engine-replies.ts",
    ],
    ignores: ["operator/src/api/crd-gen.ts"],
    rules: {
      // Types may come from anywhere (they vanish at runtime); values may not.
      "@typescript-eslint/no-restricted-imports": ["error", { paths: ioModules.map((name) => ({ name, message: "this module is pure: pass data in, no I/O", allowTypeImports: true })),
        patterns: [{ allowTypeImports: true, group: ["**/runtime/**", "**/sidecar/**", "**/executor/**", "**/controller/observe.ts", "**/controller/reconciler.ts"], message: "this module is pure: it may not import the shell" }] }],
      "no-restricted-globals": ["error",
        { name: "setTimeout", message: "pure module: time is an input" },
        { name: "setInterval", message: "pure module: time is an input" },
        { name: "fetch", message: "pure module: no I/O" },
        { name: "process", message: "pure module: no process access" }],
      "no-restricted-properties": ["error",
        { object: "Date", property: "now", message: "pure module: pass the time in" },
        { object: "Math", property: "random", message: "pure module: pass a seeded random in" }],
    },
  },
);
