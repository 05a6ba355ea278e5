// The image cannot be built here (no container engine); this checks what can be checked by reading:
// every file the Dockerfile copies exists, the entrypoints are executable and exec their process.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const dockerfile = readFileSync(join(repo, "node-image/Dockerfile"), "utf8");

describe("node-image/Dockerfile", () => {
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(?:--chmod=\S+ )?(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
  test("copies something from the build context", () => assert.ok(copied.length >= 4, `found ${copied.join(", ")}`));
  for (const path of copied) test(`copied path ${path} exists in the repo`, () => assert.ok(existsSync(join(repo, path)), `${path} is copied by the Dockerfile but missing`));

  const bundled = /npx esbuild (\S+)/.exec(dockerfile)?.[1];
  test("the bundled entry point exists", () => assert.ok(bundled && existsSync(join(repo, bundled)), `esbuild entry ${bundled}`));
  test("runs as a non-root user", () => assert.match(dockerfile, /^USER 10001:10001$/m));
  test("installs redis-server from Debian bookworm", () => {
    assert.match(dockerfile, /^FROM debian:bookworm-slim AS runtime$/m);
    assert.match(dockerfile, /apt-get install .*redis-server/);
  });
  test("node comes from the official bookworm-slim image", () => assert.match(dockerfile, /COPY --from=node \/usr\/local\/bin\/node/));
  test("writable paths are volumes (read-only root filesystem)", () => assert.match(dockerfile, /^VOLUME \["\/data", "\/tmp"\]$/m));
  test("the proto dir the runtime loads is set and copied", () => {
    assert.match(dockerfile, /MDB_SIDECAR_PROTO_DIR=\/opt\/mdb\/proto/);
    assert.match(dockerfile, /^COPY proto\/mdb \.\/proto\/mdb$/m);
  });
});

describe("entrypoint scripts", () => {
  for (const name of ["mdb-engine", "mdb-sidecar"]) {
    const path = join(repo, "node-image/bin", name);
    test(`${name} is an executable shell script that execs its process`, () => {
      assert.ok((statSync(path).mode & 0o111) !== 0, `${path} is not executable`);
      const text = readFileSync(path, "utf8");
      assert.match(text, /^#!\/bin\/sh\n/);
      assert.match(text, /^exec /m);
      assert.match(text, /set -eu/);
    });
  }
  test("mdb-engine renders the config to a writable path before starting redis-server", () => {
    const text = readFileSync(join(repo, "node-image/bin/mdb-engine"), "utf8");
    assert.ok(text.indexOf("render-config") < text.indexOf("exec redis-server"));
    assert.match(text, /\/tmp\/mdb\/redis\.conf/);
  });
});
