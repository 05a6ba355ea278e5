// The fence token of a TAKEOVER (docs/architecture.md#failure-handling): issued by PrepareTakeover for the primary this standby
// follows, single use, valid for a limited time. Time comes from the injected Clock so expiry is tested.
import type { Clock } from "../../../common/clock.ts";
import { newFenceToken, secretsEqual } from "./auth.ts";

export interface FenceGrant { token: string; primaryNodeId: string; expiresAtMs: number }

export class FenceTokens {
  private grant: FenceGrant | undefined;

  constructor(private readonly ttlMs: number, private readonly clock: Clock, private readonly newToken: () => string = newFenceToken) {}

  issue(primaryNodeId: string): FenceGrant {
    this.grant = { token: this.newToken(), primaryNodeId, expiresAtMs: this.clock.nowMs() + this.ttlMs };
    return { ...this.grant };
  }

  /**
   * Checks `presented` against the grant for a takeover of `currentPrimaryId`; returns undefined when
   * it holds (and spends it: a token is single use), otherwise the reason it is refused.
   */
  redeem(presented: string, currentPrimaryId: string): string | undefined {
    const grant = this.grant;
    if (!presented) return "Promote TAKEOVER needs fenceToken: call PrepareTakeover on this member, fence the old primary (delete its pod or prove it is cut off), then Promote with that token";
    if (!grant || !secretsEqual(presented, grant.token)) return "Promote TAKEOVER: fenceToken does not match the token this member issued with PrepareTakeover; call PrepareTakeover again";
    if (this.clock.nowMs() > grant.expiresAtMs) return "Promote TAKEOVER: the fence token expired; call PrepareTakeover again after fencing";
    if (grant.primaryNodeId !== currentPrimaryId) return `Promote TAKEOVER: the token fences primary ${grant.primaryNodeId} but this member now follows ${currentPrimaryId}; call PrepareTakeover again`;
    this.grant = undefined;
    return undefined;
  }
}
