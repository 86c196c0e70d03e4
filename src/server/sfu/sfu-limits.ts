// What group calls refuse, and how: a start budget per person, and the coded errors a client
// sees when no SFU is up or the SFU refuses what it sent.
import { ErrorCode } from '../../shared/protocol.js';
import { HubError } from '../hub/types.js';
import { TokenBucket } from '../rate-limit.js';

/**
 * Calls one person may start: each holds a room on Janus and leaves a line in its conversation,
 * so starting and leaving in a loop is bounded (10 at once, then one every 2 minutes).
 */
const CALL_STARTS_BURST = 10;
const CALL_STARTS_PER_SECOND = 1 / 120;

export class StartBudget {
  private readonly buckets = new Map<string, TokenBucket>();

  /** Takes one start from the user's budget; RATE_LIMITED with when to try when it is spent. */
  charge(userId: string, now: number): void {
    let bucket = this.buckets.get(userId);
    if (!bucket) {
      bucket = new TokenBucket(CALL_STARTS_PER_SECOND, CALL_STARTS_BURST, now);
      this.buckets.set(userId, bucket);
    }
    const taken = bucket.take(now);
    if (!taken.ok) {
      throw new HubError(
        ErrorCode.RATE_LIMITED,
        'you started many calls lately; join a running one or wait a little',
        taken.retryAfterMs,
      );
    }
  }

  /** Forgets budgets that have refilled: nothing to remember about them. */
  sweep(now: number): void {
    for (const [userId, bucket] of this.buckets)
      if (bucket.isFull(now)) this.buckets.delete(userId);
  }
}

export function unavailable(cause?: unknown): HubError {
  const why = cause instanceof Error ? ` (${cause.message})` : '';
  return new HubError(ErrorCode.SFU_UNAVAILABLE, `no call server is available right now${why}`);
}

/** Janus refusing a client's SDP or request: a coded error the client can show. */
export function refusedBy(err: unknown): HubError {
  if (err instanceof HubError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new HubError(ErrorCode.BAD_REQUEST, `the call server refused: ${message}`);
}
