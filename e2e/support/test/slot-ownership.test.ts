// The slot problems read from one engine's CLUSTER NODES, from fixture texts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ownershipProblems } from "../slot-ownership.ts";

const line = (id: string, flags: string, ...slots: string[]) => [id, "10.0.0.1:6379@16379", flags, "-", "0", "0", "1", "connected", ...slots].join(" ");

describe("ownershipProblems", () => {
  test("every slot owned once: no problem", () => {
    const text = [line("a", "myself,master", "0-8191"), line("b", "master", "8192-16383"), line("c", "slave", "")].join("\n");
    assert.deepEqual(ownershipProblems(text), { orphaned: 0, problems: [] });
  });

  test("a slot owned twice, slots owned by nobody, a slot left importing", () => {
    const text = [line("a", "myself,master", "0-8191", "[100-<-b]"), line("b", "master", "8191-16380")].join("\n");
    const r = ownershipProblems(text);
    assert.deepEqual(r.problems, ["3 slots owned by no primary", "1 slots owned by two primaries", "1 slots left importing or migrating (e.g. 100)"]);
    assert.equal(r.orphaned, 5);
  });

  test("a failed primary's slots count as owned by nobody", () => {
    const text = [line("a", "myself,master", "0-8191"), line("b", "master,fail", "8192-16383")].join("\n");
    assert.equal(ownershipProblems(text).orphaned, 8192);
  });
});
