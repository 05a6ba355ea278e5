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
    files: ["operator/src/planner/**/*.ts", "common/slots.ts", "common/labels.ts", "common/engine-replies.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: ioModules.map((name) => ({ name, message: "operator/src/planner is pure: pass data in, no I/O" })),
        patterns: [{ group: ["**/runtime/**", "**/sidecar/**", "**/executor/**", "**/controller/**"], message: "operator/src/planner is pure: it may not import the shell" }] }],
      "no-restricted-globals": ["error",
        { name: "setTimeout", message: "planner is pure: time is an input" },
        { name: "setInterval", message: "planner is pure: time is an input" },
        { name: "fetch", message: "planner is pure: no I/O" },
        { name: "process", message: "planner is pure: no process access" }],
      "no-restricted-properties": ["error",
        { object: "Date", property: "now", message: "planner is pure: pass the time in" },
        { object: "Math", property: "random", message: "planner is pure: pass a seeded random in" }],
    },
  },
);
