// What was acknowledged is on disk: a server killed with SIGKILL mid-stream and restarted has every
// acknowledged message with the same seq. And resume replays exactly the missed events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProtoClient } from '../helpers/proto-client.js';
import { runServerProcess, signUp, type ServerProcess } from '../helpers/server-process.js';
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
    const first = await runServerProcess(['--port', '0', '--data', dataDir]);
    procs.push(first);
    const users = await Promise.all(
      ['writer1', 'writer2', 'writer3', 'writer4'].map((u) => signUp(first.url, u)),
    );
    const clients = await Promise.all(users.map((u) => ProtoClient.connect(first.wsUrl, u.token)));
    for (const c of clients) await c.ok('join', { group: 'durable' });

    const acked = new Map<string, Ack>();
    const perClient = 45; // within the burst of 50, so no request is rate limited
    const allIds: string[] = [];
    let killed = false;
    const pending: Promise<unknown>[] = [];
    clients.forEach((c, ci) => {
      for (let i = 0; i < perClient; i++) {
        const clientMsgId = `${ci}-${i}`;
        allIds.push(clientMsgId);
        pending.push(
          c
            .request(
              'post',
              { to: { group: 'durable' }, body: { text: clientMsgId }, clientMsgId },
              10_000,
            )
            .then((r) => {
              if (r.ok) acked.set(`${c.userId}/${clientMsgId}`, r.result as unknown as Ack);
              // Kill the server in the middle of the stream, from the reply handler itself.
              if (!killed && acked.size >= 60) {
                killed = true;
                first.child.kill('SIGKILL');
              }
            })
            .catch(() => undefined),
        );
      }
    });
    await Promise.all(pending);
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(60);
    expect(acked.size).toBeLessThan(clients.length * perClient);
    const ackedAtKill = acked.size;

    const second = await runServerProcess(['--port', '0', '--data', dataDir]);
    procs.push(second);
    const again = await Promise.all(users.map((u) => ProtoClient.connect(second.wsUrl, u.token)));
    // Every client retries what it sent, as an outbox does; stored ones are not stored twice.
    for (const [ci, c] of again.entries()) {
      for (let i = 0; i < perClient; i++) {
        const clientMsgId = `${ci}-${i}`;
        const r = await c.ok<Ack>('post', {
          to: { group: 'durable' },
          body: { text: clientMsgId },
          clientMsgId,
        });
        const before = acked.get(`${c.userId}/${clientMsgId}`);
        if (before) expect(r).toMatchObject(before);
        // Stay under the rate limit: 50 burst, then 20 a second.
        if (i % 40 === 39) await new Promise((res) => setTimeout(res, 200));
      }
    }
    const seen: {
      seq: number;
      clientMsgId: string;
      messageId: string;
      from: { user_id: string };
    }[] = [];
    let before: number | undefined;
    for (let page = 0; page < 10; page++) {
      const h = await again[0]!.ok<{ messages: typeof seen; endOfList: boolean }>('history', {
        conversation: 'group:durable',
        limit: 200,
        ...(before !== undefined ? { before } : {}),
      });
      seen.unshift(...h.messages);
      if (h.endOfList) break;
      before = h.messages[0]!.seq;
    }
    // Each message exactly once, seqs contiguous from 1.
    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: allIds.length }, (_, i) => i + 1));
    expect(new Set(seen.map((m) => `${m.from.user_id}/${m.clientMsgId}`)).size).toBe(allIds.length);
    for (const m of seen) {
      const ack = acked.get(`${m.from.user_id}/${m.clientMsgId}`);
      if (ack)
        expect({ messageId: m.messageId, seq: m.seq }).toEqual({
          messageId: ack.messageId,
          seq: ack.seq,
        });
    }
    console.log(
      `durability: SIGKILL after ${ackedAtKill} of ${allIds.length} posts were acknowledged; ` +
        `after restart and retries, ${seen.length} stored once each, seq 1..${seen.length}, 0 acknowledged lost`,
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
      expect(
        back.events<{ body: { text: string } }>('message:send').map((d) => d.body.text),
      ).toEqual(['two', 'dm two']);
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
