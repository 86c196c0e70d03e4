// The acceptance test of scale-out (scaleout.md §6, F1-F3 together): three nodes behind HAProxy,
// 1,000 posts from writers spread over the nodes, while node 3 is SIGKILLed, node 2 is
// SIGSTOPped for 12 s (longer than its lease) and Redis is killed and started again empty.
// Every receiver must end with every message exactly once and in seq order, each acknowledged
// post must be stored once, and presence must be right within 10 s of each fault.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_POSTGRES } from '../helpers/postgres.js';
import { ProtoClient, quiet } from '../helpers/proto-client.js';
import { HAVE_REDIS } from '../helpers/redis.js';
import { signUp } from '../helpers/server-process.js';
import { until } from '../helpers/wait.js';
import { haproxyBin, startCluster, type TestCluster, loopbackLoadLimits } from './harness.js';
import { ResilientClient } from './resilient.js';

const ready = HAVE_POSTGRES && HAVE_REDIS && haproxyBin() !== undefined;

const TOTAL = 1000;
const GROUPS = ['big1', 'big2'];

describe.skipIf(!ready)('failover: kill, pause and Redis restart under traffic', () => {
  let cluster: TestCluster;
  const clients: ResilientClient[] = [];
  const plain: ProtoClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 3,
      settings: {
        // Pings every second: a client notices a dead or paused node within a few seconds.
        heartbeatMs: 1000,
        limits: loopbackLoadLimits(500),
      },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.stop();
    for (const c of plain) c.ws.terminate();
    await cluster?.stop();
  });

  it('1,000 posts: 0 lost, 0 duplicated, order kept, presence right within 10 s', async () => {
    const names = [
      ...Array.from({ length: 6 }, (_, i) => `writer${i}`),
      ...Array.from({ length: 12 }, (_, i) => `reader${i}`),
      'ghost2',
      'ghost3',
      'watcher',
    ];
    const users: Record<string, { userId: string; token: string }> = {};
    for (const name of names) users[name] = await signUp(cluster.url, name);
    const lb = cluster.wsUrl(cluster.url);
    // Everyone joins both groups first (through any node).
    for (const name of names) {
      const c = await ProtoClient.connect(lb, users[name]!.token);
      for (const g of GROUPS) await c.ok('join', { group: g });
      c.ws.close();
    }
    // Ghosts sit on one node each and never reconnect: presence must follow their node's fate.
    const ghost2 = await ProtoClient.connect(
      cluster.wsUrl(cluster.nodeUrl(1)),
      users.ghost2!.token,
    );
    const ghost3 = await ProtoClient.connect(
      cluster.wsUrl(cluster.nodeUrl(2)),
      users.ghost3!.token,
    );
    const watcher = await ProtoClient.connect(
      cluster.wsUrl(cluster.nodeUrl(0)),
      users.watcher!.token,
    );
    plain.push(ghost2, ghost3, watcher);
    const online = async (name: string) => {
      const r = await watcher.request('users', { group: 'big1', user_id: users[name]!.userId });
      if (!r.ok) return undefined;
      return (r.result as { list: { cid: string | null }[] }).list.some((u) => u.cid !== null);
    };
    /** ms until `name` shows as wanted in the watcher's `users` list (from node 1). */
    const presenceAfter = async (name: string, wanted: boolean, since: number) => {
      await until(async () => (await online(name)) === wanted, `${name} ${wanted}`, 15_000);
      return Date.now() - since;
    };

    for (const name of names.filter((n) => /^(writer|reader)/.test(n))) {
      const c = new ResilientClient(lb, users[name]!.token, name);
      for (const g of GROUPS) c.last.set(`group:${g}`, 0);
      c.start();
      clients.push(c);
    }
    await until(() => clients.every((c) => c.connected), 'every client connected', 15_000);

    // Tickets: message i goes to GROUPS[i % 2] with clientMsgId m<i>; the script below lets
    // them out in steps so that each fault happens with traffic flowing.
    let budget = 0;
    let issued = 0;
    let acked = 0;
    const ackedIds = new Set<string>();
    const writers = clients.filter((c) => c.name.startsWith('writer'));
    const writing = writers.map(async (w) => {
      while (issued < TOTAL) {
        if (issued >= budget) {
          await quiet(20);
          continue;
        }
        const i = issued++;
        await w.post({ group: GROUPS[i % 2] }, `text ${i}`, `m${i}`, 120_000);
        acked++;
        ackedIds.add(`m${i}`);
        await quiet(60);
      }
    });
    const reachAcked = (n: number) => until(() => acked >= n, `${n} acknowledged`, 120_000);
    const timings: Record<string, number> = {};

    // F1: SIGKILL node 3 at 150 acknowledged.
    budget = 250;
    await reachAcked(150);
    const killedAt = Date.now();
    cluster.signal(2, 'SIGKILL');
    budget = 450;
    timings.killOffline = await presenceAfter('ghost3', false, killedAt);

    // F3: SIGSTOP node 2 for 12 s (twice its 6 s lease), then SIGCONT.
    await reachAcked(400);
    const stoppedAt = Date.now();
    cluster.signal(1, 'SIGSTOP');
    budget = 700;
    timings.stopOffline = await presenceAfter('ghost2', false, stoppedAt);
    await quiet(Math.max(0, 12_000 - (Date.now() - stoppedAt)));
    const contAt = Date.now();
    cluster.signal(1, 'SIGCONT');
    timings.contOnline = await presenceAfter('ghost2', true, contAt);

    // F2: Redis killed, back empty 3 s later.
    await reachAcked(650);
    const redisDownAt = Date.now();
    await cluster.redis.kill();
    budget = TOTAL;
    await quiet(3000);
    await cluster.redis.start();
    const redisUpAt = Date.now();
    timings.redisGhost2 = await presenceAfter('ghost2', true, redisUpAt);
    timings.redisWatcherSelf = await presenceAfter('watcher', true, redisUpAt);

    await Promise.all(writing);
    const doneAt = Date.now();

    // The truth: what PostgreSQL holds.
    const db = new pg.Client({ connectionString: cluster.storeUrl });
    await db.connect();
    const truth = new Map<string, string[]>();
    for (const g of GROUPS) {
      const { rows } = await db.query<{ seq: string; message_id: string; client_msg_id: string }>(
        'SELECT seq, message_id, client_msg_id FROM messages WHERE conv_id = $1 ORDER BY seq',
        [`group:${g}`],
      );
      // Seqs 1..N without a hole.
      expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
      truth.set(
        `group:${g}`,
        rows.map((r) => r.message_id),
      );
      const ids = rows.map((r) => r.client_msg_id);
      // Each acknowledged post stored exactly once.
      expect(new Set(ids).size).toBe(ids.length);
    }
    const { rows: stored } = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM messages WHERE client_msg_id LIKE 'm%'",
    );
    await db.end();
    expect(ackedIds.size).toBe(TOTAL);
    expect(Number(stored[0]!.n)).toBe(TOTAL);

    // Every receiver, writers included, ends with every message once, in seq order.
    await until(
      () =>
        clients.every((c) =>
          GROUPS.every(
            (g) => (c.received.get(`group:${g}`)?.length ?? 0) >= truth.get(`group:${g}`)!.length,
          ),
        ),
      'every client has every message',
      30_000,
    ).catch(() => undefined);
    const settledMs = Date.now() - doneAt;
    for (const c of clients) {
      for (const g of GROUPS) {
        expect(c.received.get(`group:${g}`), `${c.name} in ${g}`).toEqual(truth.get(`group:${g}`));
      }
      expect(c.duplicates, `${c.name} duplicates`).toBe(0);
      expect(c.holes, `${c.name} holes`).toBe(0);
    }
    const reconnects = clients.reduce((n, c) => n + c.reconnects, 0);
    const incomplete = clients.reduce((n, c) => n + c.incompleteResumes, 0);
    console.log(
      `[failover] ${TOTAL} posts, ${clients.length} clients (${reconnects} reconnects, ` +
        `${incomplete} resumes paged), all delivered once and in order ${settledMs} ms after the ` +
        `last post; presence: ${JSON.stringify(timings)} ms; Redis was down ${redisUpAt - redisDownAt} ms`,
    );
    expect(timings.killOffline).toBeLessThanOrEqual(10_000);
    expect(timings.stopOffline).toBeLessThanOrEqual(10_000);
    expect(timings.contOnline).toBeLessThanOrEqual(10_000);
    expect(timings.redisGhost2).toBeLessThanOrEqual(10_000);
    // Everyone still connected shows online from node 1, the ghost of the killed node does not.
    for (const c of clients) expect(await online(c.name), c.name).toBe(true);
    expect(await online('ghost3')).toBe(false);
  });
});
