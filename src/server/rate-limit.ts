// The limiters the protocol's limits need, and the key a client address is counted under.
import { isIPv6 } from 'node:net';

/**
 * The key a client address is limited under: an IPv4 address as it is, an IPv6 address by its
 * /64, since one host is normally given a whole /64 and could otherwise rotate through it
 * (review H4). IPv4-mapped IPv6 addresses count as their IPv4 address.
 */
export function addressKey(ip: string): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

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

  /**
   * Takes `cost` tokens (one by default); when there are not enough, how long until there are
   * (ms). A cost above the burst is charged as the whole burst, so it can still pass.
   */
  take(now: number, cost = 1): { ok: true } | { ok: false; retryAfterMs: number } {
    this.refill(now);
    const need = Math.min(cost, this.burst);
    if (this.tokens >= need) {
      this.tokens -= need;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((need - this.tokens) / this.rate) * 1000) };
  }

  /** Whether the bucket has refilled completely (nothing to remember about it). */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
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

  /** Takes back the key's latest hit (an attempt that turned out fine). */
  refund(key: string): void {
    const list = this.hits.get(key);
    if (!list) return;
    list.pop();
    if (list.length === 0) this.hits.delete(key);
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

export type Verdict = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * A sliding window that may be shared by every server of a cluster (cluster/redis-window.ts):
 * per-address limits would otherwise be N times the limit behind a load balancer.
 */
export interface SharedWindow {
  /** check, then record when allowed. */
  hit(key: string, now: number): Promise<Verdict>;
  /** Takes back the key's latest hit (an attempt that turned out fine). */
  refund(key: string): Promise<void>;
}

/** Makes windows of a given limit and length; one process's or the cluster's. */
export type WindowFactory = (name: string, limit: number, windowMs: number) => SharedWindow;

/** This process's windows; a periodic sweep forgets keys whose hits have aged out. */
export function localWindows(): WindowFactory & { sweep(now: number): void } {
  const all: SlidingWindow[] = [];
  const make = (_name: string, limit: number, windowMs: number): SharedWindow => {
    const w = new SlidingWindow(limit, windowMs);
    all.push(w);
    return {
      hit: async (key, now) => w.hit(key, now),
      refund: async (key) => w.refund(key),
    };
  };
  return Object.assign(make, { sweep: (now: number) => all.forEach((w) => w.sweep(now)) });
}
