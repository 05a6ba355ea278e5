import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { containerLogFile, parseLogRequest, selectLog } from "../../podrunner/kubelet-api.ts";

describe("kubelet log API", () => {
  test("log requests parse the API server's path and query", () => {
    assert.deepEqual(parseLogRequest("/containerLogs/db/m-0/engine?follow=true&tailLines=10&limitBytes=100"),
      { namespace: "db", pod: "m-0", container: "engine", follow: true, previous: false, tailLines: 10, limitBytes: 100 });
    assert.deepEqual(parseLogRequest("/containerLogs/db/m-0/engine?previous=true"),
      { namespace: "db", pod: "m-0", container: "engine", follow: false, previous: true, tailLines: undefined, limitBytes: undefined });
    assert.equal(parseLogRequest("/exec/db/m-0/engine"), undefined);
    assert.equal(parseLogRequest("/containerLogs/db/m-0"), undefined);
    assert.throws(() => parseLogRequest("/containerLogs/a/b/c?tailLines=-1"), /tailLines=-1: expected a non-negative whole number/);
  });

  test("tail and byte limits cut the log as kubectl expects", () => {
    const log = Buffer.from("one\ntwo\nthree\n");
    const cases: [number | undefined, number | undefined, string][] = [
      [undefined, undefined, "one\ntwo\nthree\n"],
      [2, undefined, "two\nthree\n"],
      [1, undefined, "three\n"],
      [0, undefined, ""],
      [10, undefined, "one\ntwo\nthree\n"],
      [undefined, 5, "one\nt"],
      [2, 4, "two\n"],
    ];
    for (const [tail, limit, want] of cases) assert.equal(selectLog(log, tail, limit).toString(), want, `tail=${tail} limit=${limit}`);
    assert.equal(selectLog(Buffer.from("a\nb"), 1).toString(), "b", "a last line without newline counts");
  });

  test("logs live where cluster:logs reads them; --previous reads the .prev file", () => {
    assert.equal(containerLogFile("/s", { namespace: "db", pod: "m-0", container: "engine", previous: false }), "/s/logs/pods/db_m-0/engine.log");
    assert.equal(containerLogFile("/s", { namespace: "db", pod: "m-0", container: "engine", previous: true }), "/s/logs/pods/db_m-0/engine.log.prev");
  });
});
