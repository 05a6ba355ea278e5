// node:http's server for the processes' small HTTP endpoints (health probes, /metrics), loaded with
// require. An ES import of node:http (Node 22 and later) reads every export of the module, and its
// WebSocket, MessageEvent and CloseEvent getters load Node's bundled undici: ≈ 12 MiB of resident
// memory for a client no endpoint here uses (docs/footprint.md#nodehttp-and-undici).
import { createRequire } from "node:module";
import type * as http from "node:http";

export type { Server } from "node:http";

export const { createServer } = createRequire(import.meta.url)("node:http") as typeof http;
