// Security review 3 (shared/reviews/security-3.md): each finding fixed, proved against a real
// server. Runs in the base run and, as a cluster node, in the cluster run.
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigOverrides } from '../../src/server/config.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { until } from '../helpers/wait.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(overrides: ConfigOverrides = {}): Promise<TestServer> {
  const s = await startTestServer(overrides);
  cleanups.push(() => s.stop());
  return s;
}

async function client(s: TestServer, name: string): Promise<ProtoClient> {
  const c = await s.client(name);
  cleanups.push(() => c.close());
  return c;
}

const texts = (c: ProtoClient, conversation: string) =>
  c.frames
    .filter((f) => f.event === 'message:send')
    .map((f) => f.data as { conversation: string; body: { text: string } })
    .filter((d) => d.conversation === conversation)
    .map((d) => d.body.text);

describe('F1: leaving a private group ends every way of hearing it', () => {
  it('a member who subscribed to its topic and left receives nothing more of it', async () => {
    const s = await server();
    const alice = await client(s, 'alice');
    const mallory = await client(s, 'mallory');
    await alice.ok('join', { group: 'board', private: true });
    const { code } = await alice.ok<{ code: string }>('invite', { group: 'board' });
    await mallory.ok('join', { group: 'board', invite: code });
    await mallory.ok('subscribe', { topic: '/groups/board/messages' });
    await alice.ok('post', { to: { group: 'board' }, body: { text: 'before' }, clientMsgId: 'b1' });
    await until(() => texts(mallory, 'group:board').includes('before'), 'the first message');
    await mallory.ok('leave', { group: 'board' });
    await alice.ok('post', { to: { group: 'board' }, body: { text: 'after' }, clientMsgId: 'b2' });
    // A barrier: a dm from the same sender, published after the group's message, reaches her.
    await alice.ok('post', {
      to: { user: mallory.userId },
      body: { text: 'barrier' },
      clientMsgId: 'b3',
    });
    await until(() => texts(mallory, `dm:${alice.userId}`).includes('barrier'), 'the barrier');
    expect(texts(mallory, 'group:board')).toEqual(['before']);
  });

  it('a public group stays watched after leaving (anyone may watch it)', async () => {
    const s = await server();
    const alice = await client(s, 'alice');
    const bob = await client(s, 'bob');
    await alice.ok('join', { group: 'lobby' });
    await bob.ok('join', { group: 'lobby' });
    await bob.ok('subscribe', { topic: '/groups/lobby/messages' });
    await bob.ok('leave', { group: 'lobby' });
    await alice.ok('post', {
      to: { group: 'lobby' },
      body: { text: 'still here' },
      clientMsgId: 'l1',
    });
    await until(() => texts(bob, 'group:lobby').length > 0, 'the message');
    expect(texts(bob, 'group:lobby')).toEqual(['still here']);
  });
});

describe('L5: a connection ends when its token expires', () => {
  it("is closed with 4001 at the token's expiry (before, heartbeats kept it open for good)", async () => {
    const s = await server({ tokenTtlSeconds: 1 });
    const alice = await client(s, 'alice');
    const { code, reason } = await alice.closed;
    expect(code).toBe(4001);
    expect(reason).toBe('token expired');
  });
});

describe('F11: an edit or a removal reaches the quotes of every reply', () => {
  it('a later joiner finds neither the edited nor the removed words in replies, by history or resume', async () => {
    const s = await server();
    const alice = await client(s, 'alice');
    const bob = await client(s, 'bob');
    await alice.ok('join', { group: 'ops' });
    await bob.ok('join', { group: 'ops' });
    const post = (c: ProtoClient, text: string, id: string, replyTo?: string) =>
      c.ok<{ messageId: string }>('post', {
        to: { group: 'ops' },
        body: { text },
        clientMsgId: id,
        ...(replyTo ? { replyTo } : {}),
      });
    const secret = await post(alice, 'root db password: Tr0ub4dor&3 (delete me)', 'a1');
    const edited = await post(alice, 'the code is 4321', 'a2');
    await post(bob, 'got it', 'b1', secret.messageId);
    await post(bob, 'noted', 'b2', edited.messageId);
    await alice.ok('edit', {
      messageId: edited.messageId,
      body: { text: 'the code is (changed)' },
    });
    await alice.ok('remove', { messageId: secret.messageId });

    const carol = await client(s, 'carol');
    await carol.ok('join', { group: 'ops' });
    const history = JSON.stringify(await carol.allHistory('group:ops'));
    expect(history).not.toContain('Tr0ub4dor');
    expect(history).not.toContain('4321');
    expect(history).toContain('the code is (changed)');
    const back = await ProtoClient.open(s.wsUrl);
    cleanups.push(() => back.close());
    const done = back.event('resume', (d) => d.conversation === 'group:ops');
    await back.auth((await s.user('carol')).token, { resume: { 'group:ops': 0 } });
    await done;
    const replayed = back
      .events<{ body: { reply?: { text: string; removed?: boolean } } | null }>('message:send')
      .map((d) => d.body?.reply)
      .filter((r) => r !== undefined);
    expect(replayed).toEqual([
      expect.objectContaining({ text: '', removed: true }),
      expect.objectContaining({ text: 'the code is (changed)' }),
    ]);
    expect(JSON.stringify(back.frames)).not.toContain('Tr0ub4dor');
  });
});
