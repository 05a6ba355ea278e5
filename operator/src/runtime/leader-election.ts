// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews every
// retry period; a candidate takes the lease over only when it has seen no renewal for a whole lease
// duration *by its own clock* (so clock skew between replicas does not matter); a holder that cannot
// renew within the renew deadline steps down. The lease's `leaseTransitions` is the leader's epoch:
// it travels with every sidecar command so a deposed leader's late command is refused. Members
// remember the highest epoch they obeyed, so the epoch must never go backwards, even when the Lease
// is deleted and made anew (helm uninstall, then install): a new leader's epoch is at least the
// seconds since 2025-01-01 by its clock, and always above the previous holder's.
import { systemClock, type Clock } from "../../../common/clock.ts";

export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
  /** Opaque optimistic-concurrency token (metadata.resourceVersion). */
  version?: string;
}

/** The API calls the election needs; `update` fails with a ConflictError when `version` is stale. */
export interface LeaseStore {
  get(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<LeaseRecord>;
  update(record: LeaseRecord): Promise<LeaseRecord>;
}

export interface LeaderElectionConfig {
  identity: string;
  /** false when the Lease is someone else's to create (the chart's, so helm uninstall removes it). */
  createLease?: boolean;
  leaseName?: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface Leadership { identity: string; epoch: number }

const EPOCH_ORIGIN_MS = Date.UTC(2025, 0, 1);

/** The epoch a new leader takes: above the last one, and above any epoch of a Lease deleted before now. */
export function nextEpoch(previous: number | undefined, nowMs: number): number {
  const floor = Math.max(0, Math.floor((nowMs - EPOCH_ORIGIN_MS) / 1000));
  return Math.max(previous === undefined ? 0 : previous + 1, floor);
}

export class LeaderElector {
  private observed?: { record: LeaseRecord; atMs: number; key: string };
  private leading = false;
  private lastRenewMs = 0;
  private stopped = false;
  private timer?: { cancel(): void };
  private epoch = -1;

  constructor(
    private readonly store: LeaseStore,
    private readonly config: LeaderElectionConfig,
    private readonly callbacks: { onStartedLeading: (l: Leadership) => void; onStoppedLeading: () => void; onError?: (err: unknown) => void },
    private readonly clock: Clock = systemClock,
  ) {
    if (!(config.renewDeadlineMs < config.leaseDurationMs)) throw new Error(`leader election: renew deadline (${config.renewDeadlineMs} ms) must be shorter than the lease duration (${config.leaseDurationMs} ms)`);
    if (!(config.retryPeriodMs < config.renewDeadlineMs)) throw new Error(`leader election: retry period (${config.retryPeriodMs} ms) must be shorter than the renew deadline (${config.renewDeadlineMs} ms)`);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Identity and epoch while leading; undefined otherwise. */
  leadership(): Leadership | undefined {
    return this.leading ? { identity: this.config.identity, epoch: this.epoch } : undefined;
  }

  start(): void {
    void this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.tick(), this.config.retryPeriodMs);
  }

  /** One attempt to acquire or renew; exported for tests through `tick`. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const ok = await this.tryAcquireOrRenew();
      if (ok) {
        this.lastRenewMs = this.clock.nowMs();
        if (!this.leading) {
          this.leading = true;
          this.callbacks.onStartedLeading({ identity: this.config.identity, epoch: this.epoch });
        }
      } else if (this.leading && this.clock.nowMs() - this.lastRenewMs > this.config.renewDeadlineMs) {
        this.stepDown();
      }
    } catch (err) {
      this.callbacks.onError?.(err);
      if (this.leading && this.clock.nowMs() - this.lastRenewMs > this.config.renewDeadlineMs) this.stepDown();
    }
    this.schedule();
  }

  private stepDown(): void {
    this.leading = false;
    this.callbacks.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.nowMs();
    const nowIso = new Date(now).toISOString();
    const durationSeconds = Math.ceil(this.config.leaseDurationMs / 1000);
    const current = await this.store.get();
    if (!current) {
      if (this.config.createLease === false) {
        throw new Error(`the Lease ${this.config.leaseName ?? ""} does not exist and this operator does not create it (MDB_LEASE_CREATE=false): it comes with the Helm release; run helm upgrade --install again`);
      }
      const created = await this.store.create({ holderIdentity: this.config.identity, leaseDurationSeconds: durationSeconds, acquireTime: nowIso, renewTime: nowIso, leaseTransitions: nextEpoch(undefined, now) });
      this.remember(created, now);
      this.epoch = created.leaseTransitions;
      return true;
    }
    const key = `${current.holderIdentity}|${current.renewTime}|${current.leaseTransitions}`;
    if (!this.observed || this.observed.key !== key) this.observed = { record: current, atMs: now, key };
    const mine = current.holderIdentity === this.config.identity;
    const heldByOther = current.holderIdentity !== "" && !mine;
    const expired = now - this.observed.atMs > current.leaseDurationSeconds * 1000;
    if (heldByOther && !expired) return false;
    const next: LeaseRecord = mine
      ? { ...current, renewTime: nowIso, leaseDurationSeconds: durationSeconds }
      : { ...current, holderIdentity: this.config.identity, acquireTime: nowIso, renewTime: nowIso, leaseDurationSeconds: durationSeconds, leaseTransitions: nextEpoch(current.leaseTransitions, now) };
    const written = await this.store.update(next);
    this.remember(written, now);
    this.epoch = written.leaseTransitions;
    return true;
  }

  private remember(record: LeaseRecord, atMs: number): void {
    this.observed = { record, atMs, key: `${record.holderIdentity}|${record.renewTime}|${record.leaseTransitions}` };
  }

  /** Stop campaigning; when leading, give the lease up so a standby takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    if (!this.leading) return;
    this.leading = false;
    try {
      const current = await this.store.get();
      if (current && current.holderIdentity === this.config.identity) {
        await this.store.update({ ...current, holderIdentity: "", leaseDurationSeconds: 1, renewTime: new Date(this.clock.nowMs()).toISOString() });
      }
    } catch (err) {
      this.callbacks.onError?.(err);
    }
  }
}
