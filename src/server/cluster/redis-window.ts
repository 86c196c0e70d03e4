// Sliding windows shared by every node: a sorted set of hit times per key, changed by one Lua
// script so check-and-record is atomic across nodes. With Redis out of reach a node falls back
// to its own window: for the outage each node allows the limit by itself (N times in all),
// rather than refusing everyone.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SlidingWindow, type Verdict, type WindowFactory } from '../rate-limit.js';

// KEYS: the window. ARGV: now, windowMs, limit, member. Returns {1, 0} or {0, retryAfterMs}.
const HIT = `
local now = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, math.max(1, tonumber(oldest[2]) + span - now)}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], span)
return {1, 0}`;

interface WindowScripts {
  windowHit(
    key: string,
    now: number,
    span: number,
    limit: number,
    member: string,
  ): Promise<[number, number]>;
}

export function redisWindows(
  redis: Redis,
  onError: (err: unknown, what: string) => void,
): WindowFactory {
  const r = redis as Redis & WindowScripts;
  r.defineCommand('windowHit', { numberOfKeys: 1, lua: HIT });
  let counter = 0;
  const prefix = randomBytes(4).toString('hex');
  return (name, limit, windowMs) => {
    const fallback = new SlidingWindow(limit, windowMs);
    const redisKey = (key: string) => `rl:${name}:${key}`;
    return {
      async hit(key, now): Promise<Verdict> {
        try {
          const [ok, retryAfterMs] = await r.windowHit(
            redisKey(key),
            now,
            windowMs,
            limit,
            `${now}-${prefix}-${counter++}`,
          );
          return ok === 1 ? { ok: true } : { ok: false, retryAfterMs };
        } catch (err) {
          onError(err, `the shared ${name} limit`);
          return fallback.hit(key, now);
        }
      },
      async refund(key) {
        try {
          await r.zpopmax(redisKey(key));
        } catch (err) {
          onError(err, `the shared ${name} limit`);
          fallback.refund(key);
        }
      },
    };
  };
}
