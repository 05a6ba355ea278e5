import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { makeLogger } from "../../src/runtime/log.ts";

describe("operator logger", () => {
  test("takes MDB_LOG_LEVEL's level (the chart's logLevel), and info for a level it does not know", () => {
    assert.equal(makeLogger("debug").level, "debug");
    assert.equal(makeLogger("verbose").level, "info");
    assert.equal(makeLogger(undefined).level, "info");
  });
});
