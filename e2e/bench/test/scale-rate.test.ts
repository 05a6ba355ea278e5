// A stream's 1 s windows from key counts sampled at a new primary, and the limit judged on them.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { judgeRate, windowRates, type Sample } from "../support/scale-rate.ts";

/** Samples every 100 ms: `idle` flat ones, then `perTick` keys a tick for `ticks`, then flat again. */
function curve(idle: number, perTick: number, ticks: number, tail = 5): Sample[] {
  const out: Sample[] = [];
  let keys = 0;
  for (let i = 0; i < idle + ticks + tail; i++) {
    if (i > idle && i <= idle + ticks) keys += perTick;
    out.push({ atMs: i * 100, keys });
  }
  return out;
}

describe("windowRates", () => {
  test("only windows inside the receiving period: the flat start and end do not count", () => {
    const rates = windowRates(curve(10, 100, 30));
    assert.equal(rates.length, 21);
    assert.ok(rates.every((r) => r === 1000), JSON.stringify(rates));
  });

  test("no rise, or too short a rise for a whole window: no window", () => {
    assert.deepEqual(windowRates(curve(10, 0, 30)), []);
    assert.deepEqual(windowRates(curve(3, 100, 5)), []);
  });
});

describe("judgeRate", () => {
  test("held when the fastest window is at most 10 % over and the median at least 10 % under the limit", () => {
    const j = judgeRate([curve(5, 100, 30), curve(8, 105, 30)], 100, 100_000);
    assert.equal(j.worstWindowBytesPerSecond, 105_000);
    assert.equal(j.held, true);
  });

  test("a burst over the limit, or a pace far under it, is not held", () => {
    assert.equal(judgeRate([curve(5, 120, 30)], 100, 100_000).held, false);
    assert.equal(judgeRate([curve(5, 50, 30)], 100, 100_000).held, false);
    assert.equal(judgeRate([], 100, 100_000).held, false);
  });
});
