import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { keysFromInfo, parseClusterNodes, parseInfo } from "../engine-replies.ts";
import { compactSlots as slotsToRanges, countSlots, formatSlotRanges as formatRanges, mergeSlotRanges, rangesToSlots } from "../slots.ts";

const a = "a".repeat(40), b = "b".repeat(40), c = "c".repeat(40);
const nodesText = [
  `${a} 127.0.3.1:6379@16379,m-0.mdb myself,master - 0 0 1 connected 0-5460 [5461-<-${b}] [7000->-${c}]`,
  `${b} 127.0.3.2:6379@16379 master - 0 1700000000000 2 connected 5461-10922 12000`,
  `${c} 127.0.3.3:6379@16379 slave,fail ${b} 0 0 2 disconnected`,
  "",
].join("\n");

describe("parseClusterNodes", () => {
  const nodes = parseClusterNodes(nodesText);
  test("reads every node", () => assert.equal(nodes.length, 3));
  test("myself, address, hostname", () => {
    assert.deepEqual([nodes[0].myself, nodes[0].host, nodes[0].port, nodes[0].busPort, nodes[0].hostname], [true, "127.0.3.1", 6379, 16379, "m-0.mdb"]);
  });
  test("slot ranges and single slots", () => assert.deepEqual(nodes[1].slots, [{ start: 5461, end: 10922 }, { start: 12000, end: 12000 }]));
  test("importing and migrating markers", () => {
    assert.deepEqual(nodes[0].importing, [{ slot: 5461, nodeId: b }]);
    assert.deepEqual(nodes[0].migrating, [{ slot: 7000, nodeId: c }]);
    assert.deepEqual(nodes[0].slots, [{ start: 0, end: 5460 }]);
  });
  test("replica with failure flag", () => {
    assert.deepEqual([nodes[2].primary, nodes[2].primaryId, nodes[2].failed, nodes[2].connected], [false, b, true, false]);
  });
});

describe("slot range helpers", () => {
  const cases: { slots: number[]; ranges: string; count: number }[] = [
    { slots: [], ranges: "", count: 0 },
    { slots: [5, 3, 4, 10], ranges: "3-5,10", count: 4 },
    { slots: [0, 16383], ranges: "0,16383", count: 2 },
  ];
  for (const c of cases) {
    test(`[${c.slots}] → "${c.ranges}"`, () => {
      const ranges = slotsToRanges(c.slots);
      assert.equal(formatRanges(ranges), c.ranges);
      assert.equal(countSlots(ranges), c.count);
      assert.deepEqual(rangesToSlots(ranges), [...c.slots].sort((x, y) => x - y));
    });
  }
});

test("mergeSlotRanges covers the same slots as expanding and compacting them, in the fewest sorted ranges", () => {
  assert.deepEqual(mergeSlotRanges([{ start: 0, end: 16383 }]), [{ start: 0, end: 16383 }]);
  assert.deepEqual(mergeSlotRanges([{ start: 10, end: 20 }, { start: 0, end: 9 }, { start: 15, end: 30 }, { start: 40, end: 40 }]), [{ start: 0, end: 30 }, { start: 40, end: 40 }]);
  const input = [{ start: 5, end: 6 }];
  mergeSlotRanges(input)[0].end = 100;
  assert.deepEqual(input, [{ start: 5, end: 6 }], "the input is not changed");
  const range = fc.tuple(fc.integer({ min: 0, max: 16383 }), fc.integer({ min: 0, max: 64 })).map(([start, len]) => ({ start, end: Math.min(16383, start + len) }));
  fc.assert(fc.property(fc.array(range, { maxLength: 12 }), (ranges) => {
    assert.deepEqual(mergeSlotRanges(ranges), slotsToRanges(rangesToSlots(ranges)));
  }));
});

test("parseInfo and keysFromInfo", () => {
  const info = parseInfo("# Keyspace\r\ndb0:keys=12,expires=0,avg_ttl=0\r\ndb1:keys=3,expires=1,avg_ttl=5\r\n# Replication\r\nrole:master\r\n");
  assert.equal(info.get("role"), "master");
  assert.equal(keysFromInfo(info), 15);
});
