import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowingSince, longestGap, percentile, rowOf, summarize, type KillResult } from "../support/failover-stats.ts";

const kill = (over: Partial<KillResult>): KillResult => ({
  mode: "engine-kill", side: "ours", cycle: "c", shard: 0, victim: "v", node: "n", unavailableMs: 0, faultToFirstAckMs: 0,
  otherShardsMaxGapMs: 0, primaryAfter: "s", failedWrites: 0, lostAcked: 0, ackedChecked: 0, ...over,
});

describe("bench:failover arithmetic", () => {
  it("longestGap counts the window's edges as acknowledgements when closed", () => {
    assert.deepEqual(longestGap([110, 120, 400, 410], 100, 500), { longestMs: 280, endMs: 400, acks: 4 });
    // Nothing acknowledged after 120: the rest of the window is the gap.
    assert.deepEqual(longestGap([30, 110, 120], 100, 900), { longestMs: 780, endMs: 900, acks: 2 });
    assert.equal(longestGap([110, 120, 400], 100, 900, false).longestMs, 280);
  });

  it("longestGap takes unsorted times", () => {
    assert.equal(longestGap([400, 110, 120], 100, 410).longestMs, 280);
  });

  it("flowingSince needs the whole span after sinceMs with no gap over maxGapMs", () => {
    const acks = [1000, 1100, 1200, 1300, 1400, 1500];
    assert.equal(flowingSince(acks, 900, 1500, 500, 150), true);
    assert.equal(flowingSince(acks, 1100, 1500, 500, 150), false); // the span starts before sinceMs
    assert.equal(flowingSince(acks, 900, 1800, 500, 150), false); // silent for the last 300 ms
    assert.equal(flowingSince([], 0, 1000, 500, 150), false);
  });

  it("percentile is the nearest rank", () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    assert.equal(percentile(twenty, 50), 10);
    assert.equal(percentile(twenty, 99), 20); // of 20 samples, p99 is the largest
    assert.equal(percentile([], 99), 0);
  });

  it("rowOf compares ours with native on p99 and counts each side's outcomes", () => {
    const results = [
      kill({ unavailableMs: 300, ackedChecked: 10 }), kill({ unavailableMs: 500, lostAcked: 1, ackedChecked: 5 }),
      kill({ side: "native", unavailableMs: 3000, primaryAfter: "v" }), kill({ side: "native", unavailableMs: 5000 }),
      kill({ mode: "pod-delete", unavailableMs: 9999 }),
    ];
    const row = rowOf("engine-kill", results);
    assert.equal(row.ours.count, 2);
    assert.equal(row.ours.p99Ms, 500);
    assert.equal(row.ours.lostAcked, 1);
    assert.equal(row.ours.ackedChecked, 15);
    assert.equal(row.native.restartedInPlace, 1);
    assert.equal(row.ratioP99, 0.1);
    assert.equal(rowOf("node-stop", results).ratioP99, null);
  });

  it("summarize gives the operator's medians only when there are any", () => {
    assert.equal(summarize([kill({ side: "native" })]).operatorP50, undefined);
    const s = summarize([kill({ operator: { planStartedMs: 100 } }), kill({ operator: { planStartedMs: 300, noticedMs: 50 } })]);
    assert.deepEqual(s.operatorP50, { noticedMs: 50, planStartedMs: 100, planFinishedMs: null });
  });
});
