import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../common/clock.ts";
import { WorkQueue } from "../../src/runtime/workqueue.ts";

describe("WorkQueue", () => {
  test("a key waiting is queued once", async () => {
    const q = new WorkQueue(new ManualClock());
    q.add("ns/a"); q.add("ns/a"); q.add("ns/b");
    assert.equal(q.length, 2);
    assert.equal(await q.get(), "ns/a");
    assert.equal(await q.get(), "ns/b");
  });

  test("a key in flight is not handed out twice; an add meanwhile runs it again after done", async () => {
    const q = new WorkQueue(new ManualClock());
    q.add("k");
    const key = await q.get();
    q.add("k");
    assert.equal(q.length, 0, "the key is being processed: it waits, dirty");
    q.done(key!);
    assert.equal(q.length, 1);
    assert.equal(await q.get(), "k");
  });

  test("a waiting worker gets the next key at once", async () => {
    const q = new WorkQueue(new ManualClock());
    const next = q.get();
    q.add("x");
    assert.equal(await next, "x");
    assert.equal(q.inFlight(), 1);
  });

  test("failures back off exponentially per key, capped; forget resets", () => {
    const clock = new ManualClock();
    const q = new WorkQueue(clock, { baseMs: 100, maxMs: 1000 });
    // 100 × 2^n: 100, 200, 400, 800, then the cap 1000.
    assert.deepEqual([1, 2, 3, 4, 5].map(() => q.addRateLimited("k")), [100, 200, 400, 800, 1000]);
    q.forget("k");
    assert.equal(q.addRateLimited("k"), 100);
  });

  test("addAfter adds when the time comes; an earlier delay wins over a later one", () => {
    const clock = new ManualClock();
    const q = new WorkQueue(clock);
    q.addAfter("k", 500);
    q.addAfter("k", 900);
    clock.advance(499);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.equal(q.length, 1);
    clock.advance(1000);
    assert.equal(q.length, 1, "the replaced 900 ms timer must not add it a second time");
  });

  test("a shorter delay replaces a longer one", () => {
    const clock = new ManualClock();
    const q = new WorkQueue(clock);
    q.addAfter("k", 900);
    q.addAfter("k", 100);
    clock.advance(100);
    assert.equal(q.length, 1);
  });

  test("shutdown releases waiting workers and drops delayed keys", async () => {
    const clock = new ManualClock();
    const q = new WorkQueue(clock);
    const waiting = q.get();
    q.addAfter("k", 10);
    q.shutDown();
    assert.equal(await waiting, undefined);
    clock.advance(100);
    assert.equal(q.length, 0);
    q.add("late");
    assert.equal(q.length, 0, "nothing is queued after shutdown");
  });
});
