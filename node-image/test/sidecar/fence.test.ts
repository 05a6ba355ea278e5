// The TAKEOVER fence token with an injected clock: expiry, single use, and the primary it fences.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../common/clock.ts";
import { FenceTokens } from "../../src/sidecar/fence.ts";

const PRIMARY = "a".repeat(40);
const OTHER = "b".repeat(40);

function tokens(ttlMs = 60_000) {
  const clock = new ManualClock();
  let n = 0;
  return { clock, fence: new FenceTokens(ttlMs, clock, () => `token-${++n}`) };
}

describe("fence tokens", () => {
  test("a grant expires ttl after it was issued, at the clock's time", () => {
    const { clock, fence } = tokens(60_000);
    const grant = fence.issue(PRIMARY);
    assert.equal(grant.expiresAtMs, clock.nowMs() + 60_000);
  });

  test("redeemed within its ttl it holds once, then it is spent", () => {
    const { clock, fence } = tokens();
    const { token } = fence.issue(PRIMARY);
    clock.advance(59_999);
    assert.equal(fence.redeem(token, PRIMARY), undefined);
    assert.match(fence.redeem(token, PRIMARY) ?? "", /does not match the token this member issued/);
  });

  test("one millisecond past its ttl it is refused as expired, and stays unspent for no one", () => {
    const { clock, fence } = tokens();
    const { token } = fence.issue(PRIMARY);
    clock.advance(60_001);
    assert.match(fence.redeem(token, PRIMARY) ?? "", /the fence token expired; call PrepareTakeover again/);
  });

  const refusals: [string, (f: FenceTokens, token: string) => string | undefined, RegExp][] = [
    ["no token", (f) => f.redeem("", PRIMARY), /needs fenceToken: call PrepareTakeover/],
    ["another token", (f) => f.redeem("token-other", PRIMARY), /does not match/],
    ["the standby now follows another primary", (f, t) => f.redeem(t, OTHER), new RegExp(`fences primary ${PRIMARY} but this member now follows ${OTHER}`)],
  ];
  for (const [why, redeem, message] of refusals) {
    test(`refuses ${why}`, () => {
      const { fence } = tokens();
      const { token } = fence.issue(PRIMARY);
      assert.match(redeem(fence, token) ?? "", message);
    });
  }

  test("a new PrepareTakeover replaces the previous grant", () => {
    const { fence } = tokens();
    const first = fence.issue(PRIMARY);
    const second = fence.issue(PRIMARY);
    assert.match(fence.redeem(first.token, PRIMARY) ?? "", /does not match/);
    assert.equal(fence.redeem(second.token, PRIMARY), undefined);
  });
});
