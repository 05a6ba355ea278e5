// The operator image cannot be built here (no container engine); this checks what can be checked by
// reading: every file the Dockerfile copies exists, the bundle's entry exists and is what CMD runs,
// the user and the writable paths match the chart, and the proving ground runs the same program.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { containerArgv, lookupImage, parseImageMap } from "../../../e2e/local/podrunner/images.ts";
import { MALLOC_ARENA_MAX, OPERATOR_COMMAND_FLAGS } from "../../../common/node-options.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const dockerfile = readFileSync(join(repo, "operator/Dockerfile"), "utf8");
const jsonInstruction = (name: string): string[] => {
  const m = new RegExp(`^${name} (\\[.*\\])$`, "m").exec(dockerfile);
  assert.ok(m, `the Dockerfile has no ${name} [...] line`);
  return JSON.parse(m[1]) as string[];
};

describe("operator/Dockerfile", () => {
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(?:--chmod=\S+ )?(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
  test("copies the sources the bundle imports", () => assert.deepEqual(copied, ["package.json", "package-lock.json", "tsconfig.json", "common/", "proto/", "operator/"]));
  for (const path of copied) test(`copied path ${path} exists in the repo`, () => assert.ok(existsSync(join(repo, path)), `${path} is copied by the Dockerfile but missing`));

  const esbuild = /npx esbuild (\S+) ([^\n]*)/.exec(dockerfile.replaceAll("\\\n", " ")); // continuation lines joined
  test("bundles operator/src/main.ts, which exists, the way the sidecar is bundled", () => {
    assert.equal(esbuild?.[1], "operator/src/main.ts");
    assert.ok(existsSync(join(repo, "operator/src/main.ts")), "operator/src/main.ts (the esbuild entry) is missing");
    for (const flag of ["--bundle", "--platform=node", "--format=esm", "--packages=external", "--outfile=dist/mdb-operator.mjs"]) assert.ok(esbuild?.[2].includes(flag), `esbuild without ${flag}`);
  });
  test("runs the bundle with node under tini", () => {
    assert.match(dockerfile, /^COPY --from=build \/src\/dist\/mdb-operator\.mjs \.\/dist\/mdb-operator\.mjs$/m);
    assert.match(dockerfile, /^WORKDIR \/opt\/mdb$/m);
    assert.deepEqual(jsonInstruction("ENTRYPOINT"), ["/usr/bin/tini", "--"]);
    assert.deepEqual(jsonInstruction("CMD"), ["node", ...OPERATOR_COMMAND_FLAGS, "/opt/mdb/dist/mdb-operator.mjs"]);
    assert.match(dockerfile, /apt-get install .*\btini\b/);
  });
  test("node comes from the official bookworm-slim image, on Debian bookworm", () => {
    assert.match(dockerfile, /^FROM node:\$\{NODE_VERSION\}-bookworm-slim AS node$/m);
    assert.match(dockerfile, /^COPY --from=node \/usr\/local\/bin\/node \/usr\/local\/bin\/node$/m);
    assert.match(dockerfile, /^FROM debian:bookworm-slim AS runtime$/m);
  });
  test("runs as uid 10001, the user the chart's securityContext names", () => {
    assert.match(dockerfile, /^USER 10001:10001$/m);
    const deployment = readFileSync(join(repo, "charts/mdb-operator/templates/deployment.yaml"), "utf8");
    assert.match(deployment, /runAsUser: 10001$/m);
    assert.match(deployment, /runAsGroup: 10001$/m);
  });
  test("/tmp is the only writable path (read-only root filesystem), and HOME points there", () => {
    assert.deepEqual(jsonInstruction("VOLUME"), ["/tmp"]);
    assert.match(dockerfile, /HOME=\/tmp/);
  });
  test("ships no proto: the bundle carries the schema generated from it (proto/service.ts)", () => {
    assert.doesNotMatch(dockerfile, /MDB_SIDECAR_PROTO_DIR|COPY proto\/mdb/);
  });
  test("exposes the chart's default health port", () => {
    assert.match(dockerfile, /^EXPOSE 8081$/m);
    assert.match(readFileSync(join(repo, "charts/mdb-operator/values.yaml"), "utf8"), /^healthPort: 8081$/m);
  });
});

describe("the proving ground's mdbcluster/operator (e2e/local/images.yaml)", () => {
  const vars = { repo: "/repo", tsx: "file:///repo/node_modules/tsx/dist/loader.mjs", node: "/usr/bin/node", valkey: "/cache/valkey/bin" };
  const entry = lookupImage(parseImageMap(readFileSync(join(repo, "e2e/local/images.yaml"), "utf8"), vars), "mdbcluster/operator:0.1.0");

  test("is mapped", () => assert.ok(entry, "e2e/local/images.yaml has no mdbcluster/operator entry"));
  test("the chart's container (no command, no args) runs the operator's TypeScript source through tsx", () => {
    assert.deepEqual(containerArgv(entry!, { name: "operator" }), ["/usr/bin/node", "--import", vars.tsx, ...OPERATOR_COMMAND_FLAGS, "/repo/operator/src/main.ts"]);
  });
  test("its CMD is the Dockerfile's CMD, so the image and its local stand-in run the same program", () => {
    assert.deepEqual(entry!.cmd, jsonInstruction("CMD"));
  });
  test("sets the image's environment with local paths", () => {
    assert.equal(entry!.env.NODE_ENV, "production");
    // The image's malloc setting (docs/footprint.md#the-operator), in both.
    assert.match(dockerfile, new RegExp(`^\\s+MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX}$`, "m"));
    assert.equal(entry!.env.MALLOC_ARENA_MAX, MALLOC_ARENA_MAX);
  });
});
