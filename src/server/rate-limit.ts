// The two limiters the protocol's limits need.

/** A token bucket: `rate` tokens a second, holding at most `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; when none is left, how long until one is (ms). */
  take(now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.rate) * 1000) };
  }
}

/** At most `limit` hits per key within a sliding `windowMs`. */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Whether the key is over its limit now, and when it next may try (ms). */
  check(key: string, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const list = this.prune(key, now);
    if (list && list.length >= this.limit) {
      return { ok: false, retryAfterMs: Math.max(1, list[0]! + this.windowMs - now) };
    }
    return { ok: true };
  }

  record(key: string, now: number): void {
    const list = this.prune(key, now) ?? [];
    list.push(now);
    this.hits.set(key, list);
  }

  /** check, then record when allowed. */
  hit(key: string, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const verdict = this.check(key, now);
    if (verdict.ok) this.record(key, now);
    return verdict;
  }

  /** Forgets keys whose hits have all aged out; called from a periodic sweep. */
  sweep(now: number): void {
    for (const key of this.hits.keys()) this.prune(key, now);
  }

  private prune(key: string, now: number): number[] | undefined {
    const list = this.hits.get(key);
    if (!list) return undefined;
    let drop = 0;
    while (drop < list.length && list[drop]! <= now - this.windowMs) drop++;
    if (drop === list.length) {
      this.hits.delete(key);
      return undefined;
    }
    if (drop > 0) list.splice(0, drop);
    return list;
  }
}
