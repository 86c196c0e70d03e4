// The Redis registry when its commands fail: a removal that timed out (Redis paused) is done
// again on the next beat, and the user it left with no connection is reported offline (the hub
// then announces it); without the retry nobody would ever say so.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRegistry } from '../../src/server/cluster/redis-registry.js';
import { HAVE_REDIS, startRedis, type TestRedis } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';

describe.skipIf(!HAVE_REDIS)('RedisRegistry under a slow Redis', () => {
  let redis: TestRedis;
  const clients: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await redis?.stop();
  });

  it('a detach that timed out is retried and its user reported offline; an attach likewise online', async () => {
    const conn = new Redis(redis.url, {
      keyPrefix: 'reg:',
      commandTimeout: 300,
      maxRetriesPerRequest: 1,
    });
    const admin = new Redis(redis.url);
    clients.push(conn, admin);
    const registry = new RedisRegistry({
      redis: conn,
      nodeId: 'n1',
      keyPrefix: 'reg:',
      beatMs: 200,
      onError: () => undefined,
    });
    await registry.start();
    const offline: string[] = [];
    const online: string[] = [];
    registry.onOffline((users) => offline.push(...users));
    registry.onOnline((users) => online.push(...users));

    expect(await registry.attach('c1', 'ann', 10)).toEqual({ ok: true, first: true });
    // Redis stops answering for 1 s: the removal times out on this side (it runs there later).
    await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
    await expect(registry.detach('c1', 'ann')).rejects.toThrow();
    await expect(registry.attach('c2', 'bob', 10)).rejects.toThrow();
    await until(() => offline.includes('ann') && online.includes('bob'), 'the retries', 5000);
    expect(await registry.online(['ann', 'bob'])).toEqual(new Map([['bob', ['c2']]]));
    await registry.close();
  });
});
