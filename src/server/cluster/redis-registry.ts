// The cluster's connection registry in Redis. Multi-key changes are Lua scripts, so "first
// connection" and "last connection" are decided once for all nodes (Mattermost MM-57152 is the
// bug this avoids). Each node holds a lease it renews every 2 s whatever the traffic; a node
// whose lease ran out (killed, paused, cut off) is reaped by whichever node sees it first, and
// its users with no connection elsewhere are announced offline by that node alone.
//
// Keys: conn:{cid} hash {user,node}; uconns:{user} set of cids; nconns:{node} set of cids;
// lease:{node} = epoch (PX lease); nodes zset node → lease expiry; sig:{cid}:{user} (PX).
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Disposable } from '../broker.js';
import type { AttachVerdict, LiveRegistry } from '../registry.js';

export interface RedisRegistryOptions {
  redis: Redis;
  nodeId: string;
  /** The connection's keyPrefix: the reap script builds keys itself and must add it. */
  keyPrefix: string;
  leaseMs?: number;
  beatMs?: number;
  onError(err: unknown, what: string): void;
}

// KEYS: lease, uconns, nconns, conn. ARGV: cid, user, node, limit, epoch.
// Returns -1 when this node holds no lease (it must register again), -2 past the limit, else
// the user's connection count.
const ATTACH = `
if redis.call('GET', KEYS[1]) ~= ARGV[5] then return -1 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
  if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[4]) then return -2 end
  redis.call('SADD', KEYS[2], ARGV[1])
end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], 'user', ARGV[2], 'node', ARGV[3])
return redis.call('SCARD', KEYS[2])`;

// KEYS: uconns, nconns, conn. ARGV: cid. Returns -1 when the cid was not registered (reaped
// already: someone announced that), else the user's remaining count.
const DETACH = `
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return -1 end
return redis.call('SCARD', KEYS[1])`;

// KEYS: lease, nconns, nodes. ARGV: node, key prefix. Returns the users left with no connection.
const REAP = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {} end
local gone = {}
local p = ARGV[2]
for _, cid in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local user = redis.call('HGET', p .. 'conn:' .. cid, 'user')
  if user then
    redis.call('SREM', p .. 'uconns:' .. user, cid)
    if redis.call('SCARD', p .. 'uconns:' .. user) == 0 then table.insert(gone, user) end
  end
  redis.call('DEL', p .. 'conn:' .. cid)
end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return gone`;

interface Scripts {
  registryAttach(
    lease: string,
    uconns: string,
    nconns: string,
    conn: string,
    cid: string,
    user: string,
    node: string,
    limit: number,
    epoch: string,
  ): Promise<number>;
  registryDetach(uconns: string, nconns: string, conn: string, cid: string): Promise<number>;
  registryReap(
    lease: string,
    nconns: string,
    nodes: string,
    node: string,
    prefix: string,
  ): Promise<string[]>;
}

const key = {
  conn: (cid: string) => `conn:${cid}`,
  uconns: (user: string) => `uconns:${user}`,
  nconns: (node: string) => `nconns:${node}`,
  lease: (node: string) => `lease:${node}`,
  nodes: 'nodes',
  sig: (cid: string, user: string) => `sig:${cid}:${user}`,
};

export class RedisRegistry implements LiveRegistry {
  private readonly redis: Redis & Scripts;
  private readonly nodeId: string;
  private readonly leaseMs: number;
  private epoch = '';
  private leaseUntil = 0;
  /** This node's connections, to register again after a lost lease. */
  private readonly mine = new Map<string, string>();
  private readonly offlineListeners = new Set<(users: string[]) => void>();
  private readonly onlineListeners = new Set<(users: string[]) => void>();
  private readonly timer: NodeJS.Timeout;
  private registering: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  /**
   * Registrations and removals whose command failed (Redis unreachable or too slow): done again
   * on the next beat. A timed-out command may still have run, so the retries are idempotent and
   * the outcome (online, offline) is read back rather than assumed.
   */
  private readonly retryAttach = new Set<string>();
  private readonly retryDetach = new Map<string, string>();
  private closed = false;

  constructor(private readonly opts: RedisRegistryOptions) {
    this.redis = opts.redis as Redis & Scripts;
    this.nodeId = opts.nodeId;
    this.leaseMs = opts.leaseMs ?? 6000;
    this.redis.defineCommand('registryAttach', { numberOfKeys: 4, lua: ATTACH });
    this.redis.defineCommand('registryDetach', { numberOfKeys: 3, lua: DETACH });
    this.redis.defineCommand('registryReap', { numberOfKeys: 3, lua: REAP });
    this.timer = setInterval(() => void this.tick(), opts.beatMs ?? 2000);
    this.timer.unref();
  }

  /** Takes this node's first lease. */
  async start(): Promise<void> {
    await this.register();
  }

  async attach(cid: string, userId: string, perUser: number): Promise<AttachVerdict> {
    this.mine.set(cid, userId);
    let n: number;
    try {
      n = await this.track(this.attachScript(cid, userId, perUser));
    } catch (err) {
      this.retryAttach.add(cid);
      throw err;
    }
    if (n === -2) {
      this.mine.delete(cid);
      return { ok: false };
    }
    if (n === -1) {
      // The lease is gone (Redis restarted, or this node was paused and reaped): register
      // again with every connection, this one included; that announces whoever came back.
      void this.reregister();
      return { ok: true, first: false };
    }
    return { ok: true, first: n === 1 };
  }

  async detach(cid: string, userId: string): Promise<{ last: boolean }> {
    this.mine.delete(cid);
    this.retryAttach.delete(cid);
    try {
      const n = await this.track(this.detachScript(cid, userId));
      return { last: n === 0 };
    } catch (err) {
      this.retryDetach.set(cid, userId);
      throw err;
    }
  }

  private detachScript(cid: string, userId: string): Promise<number> {
    return this.redis.registryDetach(
      key.uconns(userId),
      key.nconns(this.nodeId),
      key.conn(cid),
      cid,
    );
  }

  /** The registrations and removals that failed, again; then who is online or offline now. */
  private async retryFailed(): Promise<void> {
    for (const cid of [...this.retryAttach]) {
      const userId = this.mine.get(cid);
      if (userId !== undefined) {
        const n = await this.attachScript(cid, userId, Number.MAX_SAFE_INTEGER);
        if (n === -1) return void (await this.reregister());
        if (n >= 1) for (const l of this.onlineListeners) l([userId]);
      }
      this.retryAttach.delete(cid);
    }
    for (const [cid, userId] of [...this.retryDetach]) {
      await this.detachScript(cid, userId);
      this.retryDetach.delete(cid);
      if ((await this.redis.exists(key.uconns(userId))) === 0) {
        for (const l of this.offlineListeners) l([userId]);
      }
    }
  }

  async online(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (userIds.length === 0) return out;
    const pipeline = this.redis.pipeline();
    for (const u of userIds) pipeline.smembers(key.uconns(u));
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, cids], i) => {
      if (err) throw err;
      const list = cids as string[];
      if (list.length > 0) out.set(userIds[i]!, list);
    });
    return out;
  }

  async userOfCid(cid: string): Promise<string | undefined> {
    return (await this.redis.hget(key.conn(cid), 'user')) ?? undefined;
  }

  async noteSignal(cid: string, userId: string, ttlMs: number): Promise<void> {
    await this.redis.set(key.sig(cid, userId), '1', 'PX', ttlMs);
  }

  async signalled(cid: string, userId: string): Promise<boolean> {
    return (await this.redis.exists(key.sig(cid, userId))) === 1;
  }

  onOffline(listener: (userIds: string[]) => void): Disposable {
    this.offlineListeners.add(listener);
    return { dispose: () => this.offlineListeners.delete(listener) };
  }

  onOnline(listener: (userIds: string[]) => void): Disposable {
    this.onlineListeners.add(listener);
    return { dispose: () => this.onlineListeners.delete(listener) };
  }

  healthy(): boolean {
    return Date.now() < this.leaseUntil;
  }

  /** Lets the lease go after the node's connections were detached (a clean shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    try {
      await this.redis.multi().del(key.lease(this.nodeId)).zrem(key.nodes, this.nodeId).exec();
    } catch {
      // Redis gone too: the lease runs out by itself and another node reaps what is left.
    }
  }

  /** The ATTACH script for one connection of this node, under its current epoch. */
  private attachScript(cid: string, userId: string, limit: number): Promise<number> {
    return this.redis.registryAttach(
      key.lease(this.nodeId),
      key.uconns(userId),
      key.nconns(this.nodeId),
      key.conn(cid),
      cid,
      userId,
      this.nodeId,
      limit,
      this.epoch,
    );
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      await this.beat();
      await this.retryFailed();
      await this.reapDead();
    } catch (err) {
      this.opts.onError(err, 'renewing the node lease');
    }
  }

  private async beat(): Promise<void> {
    if (this.registering) return;
    const renewed = await this.redis.set(
      key.lease(this.nodeId),
      this.epoch,
      'PX',
      this.leaseMs,
      'XX',
    );
    if (renewed === null) {
      await this.reregister();
      return;
    }
    this.leaseUntil = Date.now() + this.leaseMs;
    await this.redis.zadd(key.nodes, Date.now() + this.leaseMs, this.nodeId);
  }

  private reregister(): Promise<void> {
    this.registering ??= this.register().finally(() => (this.registering = undefined));
    return this.registering;
  }

  /** A fresh epoch and lease, then every connection of this node again. */
  private async register(): Promise<void> {
    this.epoch = randomBytes(8).toString('hex');
    await this.redis.set(key.lease(this.nodeId), this.epoch, 'PX', this.leaseMs);
    this.leaseUntil = Date.now() + this.leaseMs;
    await this.redis.zadd(key.nodes, Date.now() + this.leaseMs, this.nodeId);
    const back = new Set<string>();
    for (const [cid, userId] of [...this.mine]) {
      const n = await this.attachScript(cid, userId, Number.MAX_SAFE_INTEGER);
      if (n === 1) back.add(userId);
    }
    if (back.size > 0) for (const l of this.onlineListeners) l([...back]);
  }

  private async reapDead(): Promise<void> {
    const dead = await this.redis.zrangebyscore(key.nodes, 0, Date.now());
    for (const node of dead) {
      if (node === this.nodeId) continue; // paused past its own lease: beat() registers again
      const gone = await this.redis.registryReap(
        key.lease(node),
        key.nconns(node),
        key.nodes,
        node,
        this.opts.keyPrefix,
      );
      if (gone.length > 0) for (const l of this.offlineListeners) l(gone);
    }
  }
}
