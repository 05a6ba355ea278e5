import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { anonymousVolumes, containerArgv, imageRepository, lookupImage, parseImageMap, translatePath } from "../../podrunner/images.ts";

const vars = { repo: "/repo", tsx: "file:///repo/node_modules/tsx/dist/loader.mjs", node: "/usr/bin/node", valkey: "/cache/valkey-9.1.2/bin" };
const MAP = `images:
  mdbcluster/node:
    entrypoint: ["{repo}/node-image/bin/mdb-engine"]
    cmd: ["--default"]
    commands:
      mdb-sidecar: ["{node}", "--import", "{tsx}", "{repo}/node-image/src/sidecar/main.ts"]
      /usr/local/bin/mdb-probe: ["{repo}/node-image/bin/probe"]
    paths:
      /app: "{repo}/node-image"
`;

describe("image map", () => {
  const map = parseImageMap(MAP, vars);

  test("repository names ignore tag, digest and registry", () => {
    const cases: [string, string][] = [
      ["mdbcluster/node:1.2", "mdbcluster/node"],
      ["mdbcluster/node@sha256:abc", "mdbcluster/node"],
      ["localhost:5000/mdbcluster/node:1", "localhost:5000/mdbcluster/node"],
      ["busybox", "busybox"],
    ];
    for (const [image, repo] of cases) assert.equal(imageRepository(image), repo, image);
    assert.ok(lookupImage(map, "localhost:5000/mdbcluster/node:1"), "registry prefix is ignored");
    assert.equal(lookupImage(map, "mdbcluster/other:1"), undefined);
  });

  test("argv follows Docker's ENTRYPOINT/CMD rules, then translates programs and paths", () => {
    const entry = lookupImage(map, "mdbcluster/node:1")!;
    const cases: { name: string; command?: string[]; args?: string[]; want: string[] }[] = [
      { name: "image defaults", want: ["/repo/node-image/bin/mdb-engine", "--default"] },
      { name: "args replace CMD", args: ["--port", "7000"], want: ["/repo/node-image/bin/mdb-engine", "--port", "7000"] },
      { name: "command replaces both", command: ["mdb-sidecar"], want: ["/usr/bin/node", "--import", vars.tsx, "/repo/node-image/src/sidecar/main.ts"] },
      { name: "absolute in-image program by basename", command: ["/usr/local/bin/mdb-sidecar", "--x"], want: ["/usr/bin/node", "--import", vars.tsx, "/repo/node-image/src/sidecar/main.ts", "--x"] },
      { name: "exact path entry", command: ["/usr/local/bin/mdb-probe"], want: ["/repo/node-image/bin/probe"] },
      { name: "paths in args and after =", command: ["/bin/sh"], args: ["/app/x.sh", "--config=/app/c.conf", "/application"],
        want: ["/bin/sh", "/repo/node-image/x.sh", "--config=/repo/node-image/c.conf", "/application"] },
    ];
    for (const c of cases) assert.deepEqual(containerArgv(entry, { name: "c", command: c.command, args: c.args }), c.want, c.name);
  });

  test("an entry without entrypoint and a container without command is refused by name", () => {
    const empty = parseImageMap("images:\n  x/y: {}\n", vars);
    assert.throws(() => containerArgv(lookupImage(empty, "x/y")!, { name: "main" }), /container "main": no command/);
  });

  test("bad map files name the field and line", () => {
    const cases: [string, RegExp][] = [
      ["nope: 1\n", /images\.yaml:1: images: expected a mapping/],
      ["images:\n  a/b:\n    entrypoint: \"node\"\n", /images\.yaml:3: images\.a\/b\.entrypoint: expected a list of strings/],
      ["images:\n  a/b:\n    entrypoint: [x]\n    entrypiont: [y]\n", /images\.yaml:4: images\.a\/b\.entrypiont: unknown field/],
      ["images:\n  a/b:\n    commands:\n      sh: []\n", /images\.a\/b\.commands\.sh: expected a non-empty list/],
      ["images: [\n", /images\.yaml:\d+: \(document\): not valid YAML/],
      ["images:\n  a/b:\n    volumes: [data]\n", /images\.yaml:3: images\.a\/b\.volumes\[0\]: "data" must be an absolute path/],
    ];
    for (const [text, want] of cases) assert.throws(() => parseImageMap(text, vars), want, text);
  });

  test("every container gets a private /tmp and the image's VOLUMEs, unless the pod mounts there", () => {
    const entry = parseImageMap("images:\n  a/b:\n    entrypoint: [x]\n    volumes: [/data, /tmp]\n", vars).get("a/b")!;
    assert.deepEqual(anonymousVolumes(entry, []), ["/tmp", "/data"]);
    assert.deepEqual(anonymousVolumes(entry, ["/data/", "/etc/x"]), ["/tmp"]);
    assert.deepEqual(anonymousVolumes(entry, ["/tmp"]), ["/data"]);
  });

  test("translatePath prefers the longest prefix and leaves lookalikes alone", () => {
    const paths = { "/app": "/r/app", "/app/data": "/var/data" };
    assert.equal(translatePath(paths, "/app/data/x"), "/var/data/x");
    assert.equal(translatePath(paths, "/app/bin"), "/r/app/bin");
    assert.equal(translatePath(paths, "/apple"), "/apple");
  });

  test("the repository's images.yaml parses and maps the test images", async () => {
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(new URL("../../images.yaml", import.meta.url), "utf8");
    const real = parseImageMap(text, vars);
    const http = lookupImage(real, "mdbcluster/test-http:1");
    assert.ok(http);
    assert.deepEqual(containerArgv(http, { name: "web" }), ["/usr/bin/node", "/repo/e2e/local/images/test-http/server.mjs"]);
  });

  test("engine images run the machine's engines through the pod's sh, valkey-server from the pinned install", async () => {
    const { readFileSync } = await import("node:fs");
    const real = parseImageMap(readFileSync(new URL("../../images.yaml", import.meta.url), "utf8"), vars);
    for (const [image, path] of [["mdbcluster/engine-valkey:9.1.2", "/cache/valkey-9.1.2/bin:"], ["valkey/valkey:9", "/cache/valkey-9.1.2/bin:"], ["mdbcluster/engine-redis:7.0", "/usr/bin:"], ["redis:7.0", "/usr/bin:"]]) {
      const entry = lookupImage(real, image);
      assert.ok(entry, image);
      assert.equal(containerArgv(entry, { name: "engine", command: ["sh", "-c", "exec x"] })[0], "/bin/sh", image);
      assert.ok(entry.env.PATH.startsWith(path), `${image}: PATH ${entry.env.PATH}`);
    }
  });
});
