// Cluster mode: the pieces a server shares with the others through Redis (broker, registry,
// limits), and the repair loop. Loaded only when --broker is given, so the embedded server (and
// the desktop app) never import ioredis.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WindowFactory } from '../rate-limit.js';
import type { Store } from '../store/store.js';
import { pubheadKey, RedisBroker } from './redis-broker.js';
import { RedisRegistry } from './redis-registry.js';
import { redisWindows } from './redis-window.js';

export interface Cluster {
  nodeId: string;
  broker: RedisBroker;
  registry: RedisRegistry;
  windows: WindowFactory;
  /** Broker and registry both in working order. */
  healthy(): boolean;
  /** Starts the repair loop; `announce` tells every node a conversation's head. */
  startRepair(announce: (convId: string, seq: number) => void): void;
  close(): Promise<void>;
}

export interface ClusterOptions {
  url: string;
  /** Prefix of every key and channel (default `parley`). */
  name?: string;
  nodeId?: string;
  store: Store;
  log: Logger;
  /** Test failpoints (NODE_ENV=test): stop delivering Redis messages after this long; delay each. */
  wedgeAfterMs?: number;
  delayMs?: number;
}

/** How far back the repair loop looks, and how often it runs (scaleout.md §3.4 step 6). */
const REPAIR = { everyMs: 1000, windowMs: 60_000, lockMs: 2500 };

export async function openCluster(opts: ClusterOptions): Promise<Cluster> {
  const nodeId = opts.nodeId ?? `n-${randomBytes(5).toString('hex')}`;
  const { log } = opts;
  let lastError = 0;
  const onError = (err: unknown, what: string) => {
    // A Redis outage fails every call: one line a second is enough to say so.
    const now = Date.now();
    if (now - lastError < 1000) return;
    lastError = now;
    log.warn({ err: (err as Error).message }, `cluster: ${what} failed`);
  };
  const prefix = `${opts.name ?? 'parley'}:`;
  const common = {
    keyPrefix: prefix,
    lazyConnect: true,
    connectionName: `parley-${nodeId}`,
    // Reconnect quickly and for ever: Redis restarts are expected, and resync covers the gap.
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
  // Commands fail after 2 s instead of waiting in the offline queue for the whole outage: the
  // callers fall back (limits to local windows, registry to re-registration).
  const redis = new Redis(opts.url, { ...common, commandTimeout: 2000, maxRetriesPerRequest: 2 });
  const subscriber = new Redis(opts.url, { ...common, maxRetriesPerRequest: null });
  for (const [name, conn] of [
    ['commands', redis],
    ['subscriber', subscriber],
  ] as const) {
    conn.on('error', (err: Error) => onError(err, `the Redis ${name} connection`));
  }
  try {
    await Promise.all([redis.connect(), subscriber.connect()]);
  } catch (err) {
    redis.disconnect();
    subscriber.disconnect();
    const where = new URL(opts.url);
    throw new Error(`cannot reach Redis at ${where.host}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const broker = new RedisBroker({
    redis,
    subscriber,
    nodeId,
    channelPrefix: prefix,
    onError,
    onNotice: (message) => log.warn(`cluster: ${message}`),
    ...(opts.wedgeAfterMs !== undefined ? { wedgeAfterMs: opts.wedgeAfterMs } : {}),
    ...(opts.delayMs !== undefined ? { delayMs: opts.delayMs } : {}),
  });
  const registry = new RedisRegistry({ redis, nodeId, keyPrefix: prefix, onError });
  await registry.start();
  redis.on('ready', () => log.info('cluster: Redis connection ready'));
  let repairTimer: NodeJS.Timeout | undefined;

  return {
    nodeId,
    broker,
    registry,
    windows: redisWindows(redis, onError),
    healthy: () => broker.healthy() && registry.healthy(),
    startRepair(announce) {
      const suspects = new Map<string, number>();
      const repair = async () => {
        // One node at a time; the lock outlives a round, so a paused holder is replaced.
        const locked = await redis.set('repair-lock', nodeId, 'PX', REPAIR.lockMs, 'NX');
        if (locked === null && (await redis.get('repair-lock')) !== nodeId) return;
        await redis.pexpire('repair-lock', REPAIR.lockMs);
        const heads = await opts.store.recentHeads(Date.now() - REPAIR.windowMs);
        if (heads.length === 0) return;
        const published = await redis.mget(...heads.map((h) => pubheadKey(h.convId)));
        const seen = new Set<string>();
        heads.forEach(({ convId, lastSeq }, i) => {
          const head = Number(published[i] ?? 0);
          if (head >= lastSeq) return;
          seen.add(convId);
          // Behind twice in a row (a second apart): the publisher is not merely slow, it is gone.
          if (suspects.get(convId) !== lastSeq) {
            suspects.set(convId, lastSeq);
            return;
          }
          announce(convId, lastSeq);
          void redis.set(pubheadKey(convId), String(lastSeq), 'PX', 5 * 60_000);
          log.info({ convId, seq: lastSeq, published: head }, 'cluster: repaired a lost publish');
        });
        for (const conv of suspects.keys()) if (!seen.has(conv)) suspects.delete(conv);
      };
      repairTimer = setInterval(
        () => void repair().catch((err: unknown) => onError(err, 'the repair loop')),
        REPAIR.everyMs,
      );
      repairTimer.unref();
    },
    async close() {
      clearInterval(repairTimer);
      await broker.close();
      await registry.close();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
