import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseCatalog, splitImageName } from "../../imagebuild/catalog.ts";
import { readDockerfile } from "../../imagebuild/inputs.ts";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));

describe("image-builds.yaml", () => {
  test("the project's catalog parses and lists the member image and every test image", () => {
    const catalog = parseCatalog(readFileSync(`${repo}e2e/local/image-builds.yaml`, "utf8"));
    const names = catalog.images.flatMap((i) => i.names);
    for (const n of ["docker.io/mdbcluster/node:dev", "docker.io/mdbcluster/test-http:1", "docker.io/mdbcluster/test-incluster:1", "registry.k8s.io/pause:3.10"]) {
      assert.ok(names.includes(n), `${n} is built`);
    }
    assert.deepEqual(catalog.bases.map((b) => b.kind), ["debian", "node"]);
  });

  test("errors name the field and line and say what is expected", () => {
    const cases: [string, RegExp][] = [
      ["bases: {}\nimages:\n  - names: [mdbcluster/node:dev]\n    dockerfile: x\n", /:3: images\.0\.names\.0: 'mdbcluster\/node:dev' is not a full image name/],
      ["images:\n  - { names: [docker.io/a/b:1], dockerfile: x, contxt: . }\n", /images\.0\.contxt: unknown field; expected names, dockerfile, context, binaries, archive, group, publish/],
      ["images:\n  - { names: [docker.io/a/b:1], dockerfile: x, archive: [docker.io/a/c:1] }\n", /images\.0\.archive\.0: 'docker\.io\/a\/c:1' is not the name of an image listed above this entry/],
      ["images:\n  - { names: [docker.io/a/b:1], dockerfile: x, group: ci }\n", /images\.0\.group: expected default .* or kind/],
      ["bases:\n  docker.io/library/node:24:\n    from: docker.io/library/debian:12\n    node: 24\n    npm: 11.0.0\nimages: []\n", /bases\.docker\.io\/library\/node:24\.from: expected the name of a base listed above it/],
      ["bases:\n  docker.io/library/debian:12: { debian: bookworm }\n  docker.io/library/node:24:\n    from: docker.io/library/debian:12\n    node: \"24\"\n    npm: 11.0.0\nimages: []\n", /\.node: expected an exact version X\.Y\.Z/],
      ["images:\n  - { names: [docker.io/a/b:1], dockerfile: x }\n  - { names: [docker.io/a/b:1], dockerfile: y }\n", /images\.1\.names\.0: 'docker\.io\/a\/b:1' is listed twice/],
      ["images: 3\n", /images: expected a list/],
      ["images:\n  - { names: [docker.io/a/b:1], dockerfile: x }\n  - { names: [docker.io/a/b:2], dockerfile: y }\n", /images\.1\.names\.0: repository docker\.io\/a\/b is already built by images\[0\]/],
    ];
    for (const [text, message] of cases) assert.throws(() => parseCatalog(text, "f.yaml"), message, text);
  });

  test("image names split into host, repository and tag", () => {
    assert.deepEqual(splitImageName("docker.io/mdbcluster/node:dev"), { host: "docker.io", repository: "mdbcluster/node", tag: "dev" });
    assert.deepEqual(splitImageName("localhost:5000/a/b:1.2"), { host: "localhost:5000", repository: "a/b", tag: "1.2" });
  });
});

describe("Dockerfile inputs", () => {
  test("FROM bases (not stages, not scratch) and COPY sources from the context (not --from)", () => {
    const text = [
      "ARG NODE_VERSION=24",
      "FROM node:${NODE_VERSION}-bookworm-slim AS node",
      "FROM node:${NODE_VERSION}-bookworm-slim AS build",
      "COPY package.json package-lock.json ./",
      "COPY --chmod=0755 node-image/bin/mdb-engine \\",
      "     /usr/local/bin/mdb-engine",
      "FROM debian:bookworm-slim",
      "COPY --from=build /src/dist ./dist",
      "COPY [\"a b.txt\", \"/x\"]",
      "FROM scratch",
    ].join("\n");
    assert.deepEqual(readDockerfile(text), {
      bases: ["node:24-bookworm-slim", "debian:bookworm-slim"],
      contextSources: ["package.json", "package-lock.json", "node-image/bin/mdb-engine", "a b.txt"],
    });
  });
});
