// A connection's request budget: a token bucket, and a count of refusals that marks sustained
// abuse (the connection then closes with 4029 once what it was admitted is answered).
import type { Limits } from '../config.js';
import { TokenBucket } from '../rate-limit.js';

export type BudgetLimits = Pick<
  Limits,
  'requestsPerSecond' | 'requestBurst' | 'abuseRefusals' | 'abuseWindowMs'
>;

export class RequestBudget {
  private readonly bucket: TokenBucket;
  private refusals = 0;
  private refusalWindowStart = 0;

  constructor(
    private readonly limits: BudgetLimits,
    now: number,
  ) {
    this.bucket = new TokenBucket(limits.requestsPerSecond, limits.requestBurst, now);
  }

  /** Takes `cost` tokens; when there are not enough, says how long to wait. */
  take(now: number, cost: number): { ok: true } | { ok: false; retryAfterMs: number } {
    return this.bucket.take(now, cost);
  }

  /** Counts a refusal; true when there were too many in the window (abuse). */
  refused(now: number): boolean {
    if (now - this.refusalWindowStart > this.limits.abuseWindowMs) {
      this.refusalWindowStart = now;
      this.refusals = 0;
    }
    this.refusals++;
    return this.refusals > this.limits.abuseRefusals;
  }
}
