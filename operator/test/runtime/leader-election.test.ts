import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../common/clock.ts";
import { LeaderElector, nextEpoch, type LeaseRecord, type LeaseStore } from "../../src/runtime/leader-election.ts";

/** One Lease with optimistic concurrency, as the API server keeps it. */
class MemoryLease implements LeaseStore {
  record?: LeaseRecord;
  private version = 0;
  failNext = false;
  async get() { return this.record && { ...this.record }; }
  async create(r: LeaseRecord) {
    if (this.record) throw Object.assign(new Error("exists"), { code: 409 });
    this.record = { ...r, version: String(++this.version) };
    return { ...this.record };
  }
  async update(r: LeaseRecord) {
    if (this.failNext) { this.failNext = false; throw new Error("apiserver unavailable"); }
    if (!this.record || r.version !== this.record.version) throw Object.assign(new Error("conflict"), { code: 409 });
    this.record = { ...r, version: String(++this.version) };
    return { ...this.record };
  }
}

const config = (identity: string) => ({ identity, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });

function elector(store: LeaseStore, identity: string, clock: ManualClock) {
  const events: string[] = [];
  const e = new LeaderElector(store, config(identity), {
    onStartedLeading: (l) => events.push(`start ${l.identity} epoch ${l.epoch}`),
    onStoppedLeading: () => events.push(`stop ${identity}`),
  }, clock);
  return { e, events };
}

/** Let the async ticks scheduled by timers run. */
const settle = () => new Promise((r) => setImmediate(r));

async function advance(clock: ManualClock, ms: number, step = 500) {
  for (let t = 0; t < ms; t += step) { clock.advance(step); await settle(); await settle(); }
}

describe("LeaderElector", () => {
  test("the first candidate creates the lease and leads at epoch 0; the second waits", async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryLease();
    const a = elector(store, "a", clock);
    const b = elector(store, "b", clock);
    await a.e.tick();
    await b.e.tick();
    assert.deepEqual(a.events, ["start a epoch 0"]);
    assert.deepEqual(b.events, []);
    assert.deepEqual(a.e.leadership(), { identity: "a", epoch: 0 });
    assert.equal(b.e.leadership(), undefined);
  });

  test("while the holder renews, the candidate never takes over", async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryLease();
    const a = elector(store, "a", clock);
    const b = elector(store, "b", clock);
    a.e.start(); await settle();
    b.e.start(); await settle();
    await advance(clock, 60_000);
    assert.equal(a.e.isLeader(), true);
    assert.equal(b.e.isLeader(), false);
    assert.equal(store.record?.holderIdentity, "a");
  });

  test("a holder that stops renewing is replaced after one lease duration by the candidate's clock, with the epoch raised", async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryLease();
    // a's own clock never moves: its process is frozen after its first renewal.
    const a = elector(store, "a", new ManualClock(1_000_000));
    const b = elector(store, "b", clock);
    await a.e.tick();
    await b.e.tick(); // b observes a's record now
    await advance(clock, 14_000, 1000);
    await b.e.tick();
    assert.equal(b.e.isLeader(), false, "14 s without a renewal is within the 15 s lease");
    await advance(clock, 2_000, 1000);
    await b.e.tick();
    assert.deepEqual(b.events, ["start b epoch 1"]);
    assert.equal(store.record?.leaseTransitions, 1);
  });

  test("release hands over at once: the candidate leads at its next try", async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryLease();
    const a = elector(store, "a", clock);
    const b = elector(store, "b", clock);
    await a.e.tick();
    await a.e.release();
    assert.equal(store.record?.holderIdentity, "");
    await b.e.tick();
    assert.deepEqual(b.events, ["start b epoch 1"]);
  });

  test("a leader that cannot renew within the renew deadline steps down", async () => {
    const clock = new ManualClock(1_000_000);
    const store: LeaseStore & { broken?: boolean } = new MemoryLease();
    const a = elector(store, "a", clock);
    await a.e.tick();
    const original = store.update.bind(store);
    store.update = async () => { throw new Error("apiserver unreachable"); };
    clock.advance(9_000);
    await a.e.tick();
    assert.equal(a.e.isLeader(), true, "9 s is within the 10 s renew deadline");
    clock.advance(2_000);
    await a.e.tick();
    assert.deepEqual(a.events, ["start a epoch 0", "stop a"]);
    store.update = original;
  });

  test("two candidates racing for an expired lease: the conflict makes exactly one leader", async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryLease();
    await store.create({ holderIdentity: "gone", leaseDurationSeconds: 15, leaseTransitions: 4, renewTime: new Date(0).toISOString() });
    const b = elector(store, "b", clock);
    const c = elector(store, "c", clock);
    await b.e.tick(); await c.e.tick(); // both observe the record
    clock.advance(16_000);
    await Promise.all([b.e.tick(), c.e.tick()]);
    assert.equal([b.e.isLeader(), c.e.isLeader()].filter(Boolean).length, 1);
    assert.equal(store.record?.leaseTransitions, 5);
  });

  test("refuses timings that cannot work", () => {
    assert.throws(() => new LeaderElector(new MemoryLease(), { identity: "a", leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }, { onStartedLeading() {}, onStoppedLeading() {} }), /renew deadline/);
    assert.throws(() => new LeaderElector(new MemoryLease(), { identity: "a", leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 10_000 }, { onStartedLeading() {}, onStoppedLeading() {} }), /retry period/);
  });

  test("the epoch never goes backwards, even on a Lease made anew", () => {
    const t2026 = Date.UTC(2026, 10, 30);
    assert.equal(nextEpoch(undefined, Date.UTC(2025, 0, 1)), 0);
    const fresh = nextEpoch(undefined, t2026);
    assert.ok(fresh > 60_000_000 && fresh < 2 ** 31 - 1, "a fresh Lease starts at the seconds since 2025 (fits leaseTransitions, an int32)");
    assert.equal(nextEpoch(fresh, t2026), fresh + 1, "a takeover in the same second still raises it");
    assert.ok(nextEpoch(undefined, t2026 + 60_000) > nextEpoch(fresh + 5, t2026), "a Lease deleted and made anew a minute later is above five fast takeovers");
  });
});
