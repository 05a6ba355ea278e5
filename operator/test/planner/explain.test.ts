import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { canonicalJson, digest, digestValue, planId } from "../../src/planner/index.ts";
import { MinSegmentTree } from "../../src/planner/segment-tree.ts";

describe("plan identity", () => {
  test("key order does not change the id; values do", () => {
    assert.equal(planId("drain", { a: 1, b: [1, 2], c: { x: "y" } }), planId("drain", { c: { x: "y" }, b: [1, 2], a: 1 }));
    assert.notEqual(planId("drain", { a: 1 }), planId("drain", { a: 2 }));
    assert.notEqual(planId("drain", { a: 1 }), planId("replace", { a: 1 }));
    assert.notEqual(planId("drain", { a: [1, 2] }), planId("drain", { a: [2, 1] }));
  });
  test("undefined fields are dropped, so an absent optional field and an undefined one agree", () => {
    assert.equal(digestValue({ a: 1, b: undefined }), digestValue({ a: 1 }));
  });
  test("strings are length-prefixed: a value cannot imitate structure", () => {
    assert.notEqual(digestValue(["ab", "c"]), digestValue(["a", "bc"]));
    assert.notEqual(digestValue({ a: "1" }), digestValue({ a: 1 }));
  });
  test("canonicalJson sorts keys and renders Maps and Sets", () => {
    assert.equal(canonicalJson({ b: 1, a: new Map([["k", new Set([2, 1])]]) }), '{"a":{"k":[2,1]},"b":1}');
  });
  test("digest is 16 hex chars and stable", () => {
    assert.match(digest("hello"), /^[0-9a-f]{16}$/);
    assert.equal(digest("hello"), digest("hello"));
    assert.notEqual(digest("hello"), digest("hellp"));
  });
});

describe("MinSegmentTree", () => {
  test("range minimum equals a linear scan after arbitrary updates", () => {
    const ops = fc.array(fc.tuple(fc.nat(), fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(Infinity)), fc.nat(), fc.nat()), { maxLength: 60 });
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), ops, (n, list) => {
      const tree = new MinSegmentTree(n);
      const plain = new Array<number>(n).fill(Infinity);
      for (const [i, value, a, b] of list) {
        tree.set(i % n, value);
        plain[i % n] = value;
        const from = Math.min(a % (n + 1), b % (n + 1));
        const to = Math.max(a % (n + 1), b % (n + 1));
        assert.equal(tree.min(from, to), Math.min(Infinity, ...plain.slice(from, to)));
      }
    }), { seed: 4242, numRuns: 100 });
  });
});
