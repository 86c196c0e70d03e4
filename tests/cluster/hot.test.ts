// One hot conversation (scaleout.md F5): 8 writers on each of three nodes post into one group at
// once for 8 s, 5% of posts are retries of an earlier clientMsgId, and sockets are cut now and
// then. PostgreSQL's seqs must stay 1..N without a hole, each clientMsgId stored once, and a
// reader on every node must get 1..N in order.
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
const WRITERS_PER_NODE = 8;
const SECONDS = 8;

describe.skipIf(!ready)('one hot conversation', () => {
  let cluster: TestCluster;
  const clients: ResilientClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 3,
      settings: {
        heartbeatMs: 1000,
        limits: loopbackLoadLimits(1000),
      },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.stop();
    await cluster?.stop();
  });

  it('24 writers over 3 nodes: seqs 1..N without a hole, each post once, every reader in order', async () => {
    const names = [
      ...Array.from({ length: 3 * WRITERS_PER_NODE }, (_, i) => `hotw${i}`),
      'hotr0',
      'hotr1',
      'hotr2',
    ];
    const tokens = new Map<string, string>();
    for (const name of names) {
      const u = await signUp(cluster.url, name);
      tokens.set(name, u.token);
      const c = await ProtoClient.connect(cluster.wsUrl(cluster.url), u.token);
      await c.ok('join', { group: 'hot' });
      c.ws.close();
    }
    for (const [i, name] of names.entries()) {
      const node = name.startsWith('hotr') ? Number(name.slice(4)) : i % 3;
      const c = new ResilientClient(cluster.wsUrl(cluster.nodeUrl(node)), tokens.get(name)!, name);
      c.last.set('group:hot', 0);
      c.start();
      clients.push(c);
    }
    await until(() => clients.every((c) => c.connected), 'clients connected', 15_000);
    const writers = clients.filter((c) => c.name.startsWith('hotw'));
    const readers = clients.filter((c) => c.name.startsWith('hotr'));

    const acked = new Map<string, number>(); // clientMsgId → seq
    let retries = 0;
    let resets = 0;
    const deadline = Date.now() + SECONDS * 1000;
    const started = Date.now();
    await Promise.all(
      writers.map(async (w, k) => {
        const mine: string[] = [];
        for (let n = 0; Date.now() < deadline && n < 10_000; n++) {
          // One post in twenty repeats an earlier one of this writer (a retry): stored once.
          const again = mine.length > 0 && Math.random() < 0.05;
          const id = again ? mine[Math.floor(Math.random() * mine.length)]! : `h${k}-${n}`;
          if (again) retries++;
          else mine.push(id);
          const reply = await w.post({ group: 'hot' }, `hot ${id}`, id, 30_000);
          const seq = reply.seq as number;
          const before = acked.get(id);
          if (before !== undefined) expect(seq).toBe(before);
          acked.set(id, seq);
          if (Math.random() < 0.005) {
            w.reset();
            resets++;
          }
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;

    const db = new pg.Client({ connectionString: cluster.storeUrl });
    await db.connect();
    const { rows } = await db.query<{ seq: string; message_id: string; client_msg_id: string }>(
      "SELECT seq, message_id, client_msg_id FROM messages WHERE conv_id = 'group:hot' ORDER BY seq",
    );
    await db.end();
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(new Set(rows.map((r) => r.client_msg_id)).size).toBe(rows.length);
    expect(rows.length).toBe(acked.size);
    const ids = rows.map((r) => r.message_id);
    await until(
      () => readers.every((r) => (r.received.get('group:hot')?.length ?? 0) >= ids.length),
      'readers complete',
      20_000,
    ).catch(() => undefined);
    for (const r of readers) {
      expect(r.received.get('group:hot'), r.name).toEqual(ids);
      expect(r.duplicates + r.holes, r.name).toBe(0);
    }
    const rate = acked.size / seconds;
    console.log(
      `[hot] ${acked.size} posts by 24 writers over 3 nodes into one group in ${seconds.toFixed(1)} s ` +
        `= ${Math.round(rate)} acknowledged posts/s (${retries} retries stored once, ${resets} sockets cut); ` +
        `seqs 1..${rows.length} without a hole; 3 readers got all in order`,
    );
    await quiet(10);
  });
});
