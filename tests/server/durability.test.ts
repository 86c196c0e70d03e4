// What was acknowledged is on disk: a server killed with SIGKILL mid-stream and restarted has every
// acknowledged message with the same seq. And resume replays exactly the missed events.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProtoClient } from '../helpers/proto-client.js';
import {
  loopbackLoadLimits,
  runServerProcess,
  signUp,
  type ServerProcess,
} from '../helpers/server-process.js';
import { startTestServer } from '../helpers/test-server.js';

const dirs: string[] = [];
const procs: ServerProcess[] = [];
afterAll(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Ack {
  messageId: string;
  seq: number;
}

describe('restart durability', () => {
  it('SIGKILL during a stream of posts loses no acknowledged message, and seq numbers hold', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-kill-'));
    dirs.push(dataDir);
    // Limits raised so the writers can stream as fast as the server answers.
    const config = join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({ limits: loopbackLoadLimits(100_000) }));
    const args = ['--port', '0', '--data', dataDir, '--config', config];
    const first = await runServerProcess(args);
    procs.push(first);
    const users = await Promise.all(
      ['writer1', 'writer2', 'writer3', 'writer4'].map((u) => signUp(first.url, u)),
    );
    const clients = await Promise.all(users.map((u) => ProtoClient.connect(first.wsUrl, u.token)));
    for (const c of clients) await c.ok('join', { group: 'durable' });

    // Each writer posts one message at a time, as an outbox does, until the server dies.
    const acked = new Map<string, Ack>();
    const sentIds: string[][] = clients.map(() => []);
    const maxPerClient = 5000;
    const writers = clients.map(async (c, ci) => {
      for (let i = 0; i < maxPerClient; i++) {
        const clientMsgId = `${ci}-${i}`;
        sentIds[ci]!.push(clientMsgId);
        const params = { to: { group: 'durable' }, body: { text: clientMsgId }, clientMsgId };
        const r = await c.request('post', params, 5_000).catch(() => undefined);
        if (!r?.ok) return;
        acked.set(`${c.userId}/${clientMsgId}`, r.result as unknown as Ack);
      }
    });
    // Kill once the stream is well under way, wherever it is.
    const deadline = Date.now() + 10_000;
    while (acked.size < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGKILL');
    await Promise.all(writers);
    expect((await first.exited).signal).toBe('SIGKILL');
    const ackedAtKill = acked.size;
    const total = sentIds.flat().length;
    expect(ackedAtKill).toBeGreaterThanOrEqual(100);
    expect(ackedAtKill).toBeLessThan(clients.length * maxPerClient);

    const second = await runServerProcess(args);
    procs.push(second);
    const again = await Promise.all(users.map((u) => ProtoClient.connect(second.wsUrl, u.token)));
    // Every writer retries everything it sent; what was stored is not stored twice.
    for (const [ci, c] of again.entries()) {
      for (const clientMsgId of sentIds[ci]!) {
        const r = await c.ok<Ack>('post', {
          to: { group: 'durable' },
          body: { text: clientMsgId },
          clientMsgId,
        });
        const before = acked.get(`${c.userId}/${clientMsgId}`);
        if (before) expect(r).toMatchObject(before);
      }
    }
    const seen = await again[0]!.allHistory('group:durable');
    // Each message exactly once, seqs contiguous from 1, acknowledged ones unchanged.
    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(seen.map((m) => `${m.from.user_id}/${m.clientMsgId}`)).size).toBe(total);
    let lost = 0;
    for (const [key, ack] of acked) {
      const m = seen.find((x) => `${x.from.user_id}/${x.clientMsgId}` === key);
      if (!m || m.seq !== ack.seq || m.messageId !== ack.messageId) lost++;
    }
    expect(lost).toBe(0);
    console.log(
      `durability: SIGKILL after ${ackedAtKill} acknowledged posts (${total} sent); after restart and ` +
        `retries ${seen.length} stored once each, seq 1..${seen.length}, ${lost} acknowledged lost`,
    );
    await Promise.all([...clients, ...again].map((c) => c.close()));
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 60_000);
});

describe('resume', () => {
  it('replays exactly the missed events, in order, then a complete resume event', async () => {
    const s = await startTestServer();
    try {
      const alice = await s.client('alice');
      const bob = await s.client('bob');
      await alice.ok('join', { group: 'r' });
      await bob.ok('join', { group: 'r' });
      const m1 = await alice.ok<Ack>('post', {
        to: { group: 'r' },
        body: { text: 'one' },
        clientMsgId: '1',
      });
      await alice.ok('post', {
        to: { user: bob.userId },
        body: { text: 'dm one' },
        clientMsgId: 'd1',
      });
      const seenSeq = m1.seq;
      const bobToken = (await s.user('bob')).token;
      await bob.close();
      // While bob is away: a post, an edit, a removal, and a dm.
      const m2 = await alice.ok<Ack>('post', {
        to: { group: 'r' },
        body: { text: 'two' },
        clientMsgId: '2',
      });
      await alice.ok('edit', { messageId: m1.messageId, body: { text: 'one (edited)' } });
      await alice.ok('remove', { messageId: m2.messageId });
      await alice.ok('post', {
        to: { user: bob.userId },
        body: { text: 'dm two' },
        clientMsgId: 'd2',
      });

      const back = await ProtoClient.open(s.wsUrl);
      const done = back.event('resume', (d) => d.conversation === `dm:${alice.userId}`);
      await back.auth(bobToken, { resume: { 'group:r': seenSeq, [`dm:${alice.userId}`]: 1 } });
      await done;
      const events = back.frames
        .filter((f) => f.type === 'event' && f.event !== 'presence:update')
        .map((f) => {
          const e = f as unknown as { event: string; data: { conversation: string; seq?: number } };
          return `${e.event} ${e.data.conversation} ${e.data.seq ?? ''}`.trim();
        });
      expect(events).toEqual([
        'message:send group:r 2',
        'message:updated group:r 3',
        'message:removed group:r 4',
        'resume group:r',
        `message:send dm:${alice.userId} 2`,
        `resume dm:${alice.userId}`,
      ]);
      expect(back.events('resume')).toEqual([
        { conversation: 'group:r', fromSeq: 1, toSeq: 4, complete: true },
        { conversation: `dm:${alice.userId}`, fromSeq: 1, toSeq: 2, complete: true },
      ]);
      // The removed message replays as its tombstone: no text (review H2).
      expect(
        back
          .events<{ body: { text: string } | null; removed?: boolean }>('message:send')
          .map((d) => d.body?.text ?? (d.removed ? '(removed)' : '?')),
      ).toEqual(['(removed)', 'dm two']);
      await Promise.all([alice.close(), back.close()]);
    } finally {
      await s.stop();
    }
  });

  it('a gap longer than the replay limit ends with complete: false, and history fills the rest', async () => {
    const s = await startTestServer({ resumeMaxEvents: 3 });
    try {
      const alice = await s.client('alice');
      await alice.ok('join', { group: 'long' });
      for (let i = 1; i <= 8; i++) {
        await alice.ok('post', {
          to: { group: 'long' },
          body: { text: `n${i}` },
          clientMsgId: `${i}`,
        });
      }
      const { token } = await s.user('alice');
      const back = await ProtoClient.open(s.wsUrl);
      const resumed = back.event<{ toSeq: number; complete: boolean }>('resume');
      await back.auth(token, { resume: { 'group:long': 2 } });
      expect((await resumed).data).toEqual({
        conversation: 'group:long',
        fromSeq: 2,
        toSeq: 5,
        complete: false,
      });
      expect(back.events<{ seq: number }>('message:send').map((d) => d.seq)).toEqual([3, 4, 5]);
      const rest = await back.ok<{ messages: { seq: number }[]; endOfList: boolean }>('history', {
        conversation: 'group:long',
        after: 5,
      });
      expect(rest.messages.map((m) => m.seq)).toEqual([6, 7, 8]);
      expect(rest.endOfList).toBe(true);
      await Promise.all([alice.close(), back.close()]);
    } finally {
      await s.stop();
    }
  });

  it('resume of a conversation the user cannot read is skipped, not an error', async () => {
    const s = await startTestServer();
    try {
      const { token } = await s.user('nosy');
      const c = await ProtoClient.open(s.wsUrl);
      const res = await c.auth(token, { resume: { 'group:secret': 0 } });
      expect(res.success).toBe(true);
      expect((await c.request('groups')).ok).toBe(true);
      expect(c.events('resume')).toEqual([]);
      await c.close();
    } finally {
      await s.stop();
    }
  });
});
