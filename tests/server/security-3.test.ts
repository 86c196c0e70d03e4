// Security review 3 (shared/reviews/security-3.md): each finding fixed, proved against a real
// server. Runs in the base run and, as a cluster node, in the cluster run.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ConfigOverrides } from '../../src/server/config.js';
import { ProtoClient } from '../helpers/proto-client.js';
import type { TestServer } from '../helpers/test-server.js';
import { testScope } from '../helpers/test-scope.js';
import { until } from '../helpers/wait.js';

const scope = testScope();
const server = (overrides?: ConfigOverrides) => scope.server(overrides);
const client = (s: TestServer, name: string) => scope.client(s, name);

const texts = (c: ProtoClient, conversation: string) =>
  c.frames
    .filter((f) => f.event === 'message:send')
    .map((f) => f.data as { conversation: string; body: { text: string } })
    .filter((d) => d.conversation === conversation)
    .map((d) => d.body.text);

/**
 * Waits until a dm from `from`, posted now, reaches `to`: everything `from` posted before it
 * has had its chance to arrive.
 */
async function barrier(from: ProtoClient, to: ProtoClient): Promise<void> {
  const text = `barrier ${Math.random()}`;
  await from.ok('post', { to: { user: to.userId }, body: { text }, clientMsgId: text });
  await until(() => texts(to, `dm:${from.userId}`).includes(text), 'the barrier');
}

describe('F1: leaving a private group ends every way of hearing it', () => {
  it('a member who subscribed to its topic and left receives nothing more of it', async () => {
    const s = await server();
    const alice = await client(s, 'alice');
    const mallory = await client(s, 'mallory');
    const { group: board } = await alice.ok<{ group: string }>('join', {
      group: 'board',
      private: true,
    });
    const { code } = await alice.ok<{ code: string }>('invite', { group: board });
    await mallory.ok('join', { group: board, invite: code });
    await mallory.ok('subscribe', { topic: `/groups/${board}/messages` });
    await alice.ok('post', { to: { group: board }, body: { text: 'before' }, clientMsgId: 'b1' });
    await until(() => texts(mallory, `group:${board}`).includes('before'), 'the first message');
    await mallory.ok('leave', { group: board });
    await alice.ok('post', { to: { group: board }, body: { text: 'after' }, clientMsgId: 'b2' });
    await barrier(alice, mallory);
    expect(texts(mallory, `group:${board}`)).toEqual(['before']);
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
    const s = await server({ tokenTtlSeconds: 2 });
    await s.user('alice');
    // A token lives 2 s from its minting; a loaded machine can spend that before the handshake
    // ends (the server then closes the half-open connection, rightly). Such a try proves
    // nothing either way, so mint a fresh token and try again, a bounded number of times.
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await s.post('/v1/tokens', {
        username: 'alice',
        password: 'correct horse battery',
      });
      const { token } = (await res.json()) as { token: string };
      const alice = await ProtoClient.open(s.wsUrl);
      scope.defer(() => alice.close());
      const signedIn = await alice.auth(token).then(
        (r) => r.success === true,
        () => false,
      );
      if (!signedIn) continue;
      const { code, reason } = await alice.closed;
      expect(code).toBe(4001);
      expect(reason).toBe('token expired');
      return;
    }
    throw new Error('no handshake finished within the token’s 2 s life in 5 tries');
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
    scope.defer(() => back.close());
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

/** A sign-in from one loopback address (127.0.0.x stands for a host of its own). */
function signIn(s: TestServer, username: string, password: string, from: string) {
  return new Promise<number>((resolve, reject) => {
    const body = JSON.stringify({ username, password });
    const req = request(
      {
        host: '127.0.0.1',
        port: s.port,
        path: '/v1/tokens',
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('F12, F14, F16: sign-in limits that bound attackers, not owners', () => {
  it('F14: one address spraying one password over many usernames is limited', async () => {
    const s = await server({ limits: { signInsPerIpPerMinute: 5 } });
    const names = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `user${i}`);
    for (const n of names) await s.user(n);
    const answers: number[] = [];
    for (const n of names) answers.push(await signIn(s, n, 'Summer2026!', '127.0.0.2'));
    expect(answers.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(answers.slice(5)).toEqual([429, 429, 429]); // before the fix: 401 every time
    // Another address is not held back by it.
    expect(await signIn(s, 'user1', 'correct horse battery', '127.0.0.3')).toBe(200);
  });

  it('F12: guesses from many addresses cannot lock the owner out of a device that signed in before', async () => {
    const s = await server({
      limits: { signInFailuresPerUserPerMinute: 3, tokenFailuresPerIpPerMinute: 2 },
    });
    await s.user('owner');
    expect(await signIn(s, 'owner', 'correct horse battery', '127.0.0.5')).toBe(200);
    for (const from of ['127.0.0.2', '127.0.0.3']) {
      for (let i = 0; i < 2; i++) await signIn(s, 'owner', `guess ${i}`, from);
    }
    // The account's window is full: a new address is refused, even a guess from .4 ...
    expect(await signIn(s, 'owner', 'guess', '127.0.0.4')).toBe(429);
    // ... but the owner's known address still signs in (before the fix: 429 here too).
    expect(await signIn(s, 'owner', 'correct horse battery', '127.0.0.5')).toBe(200);
  });

  it('F16: one address cannot fill the password queue: it holds two places, the rest 429', async () => {
    // The default (real) scrypt cost, so that checks overlap.
    const s = await server({ scryptCost: 1 << 15, limits: { signInsInFlightPerIp: 2 } });
    await s.user('owner');
    const attack = [...Array(24)].map((_, i) => signIn(s, `nobody${i}`, 'x', '127.0.0.2'));
    const owner = signIn(s, 'owner', 'correct horse battery', '127.0.0.3');
    const answers = await Promise.all(attack);
    expect(answers.filter((a) => a === 429).length).toBeGreaterThanOrEqual(20);
    expect(answers).not.toContain(503);
    expect(await owner).toBe(200);
  });
});

describe('L1, L4: what a client may not write', () => {
  it('L1: bidi and zero-width characters never stay in file names, display names or topics', async () => {
    const s = await server();
    const alice = await client(s, 'alice');
    await alice.ok('join', { group: 'docs' });
    const { token } = await s.user('alice');
    const res = await s.upload(token, 'group:docs', 'invoice\u202Efdp.exe', 'MZ');
    // Before the fix: "invoice\u202Efdp.exe", shown as "invoiceexe.pdf".
    expect(((await res.json()) as { name: string }).name).toBe('invoicefdp.exe');
    await alice.ok('profile', { displayName: 'Ali\u200Bce \u2066admin\u2069' });
    const me = await alice.ok<{ list: { displayName: string }[] }>('users', { group: 'docs' });
    expect(me.list[0]!.displayName).toBe('Alice admin');
    const { topic } = await alice.ok<{ topic: string }>('topic', {
      group: 'docs',
      topic: 'Q3 \u202Eplan',
    });
    expect(topic).toBe('Q3 plan');
  });

  it('L4: body.call is written by the server, only after a ring in that dm', async () => {
    const s = await server();
    const alice = await client(s, 'alice');
    const bob = await client(s, 'bob');
    await alice.ok('join', { group: 'team' });
    await bob.ok('join', { group: 'team' });
    const fake = await alice.fails('post', {
      to: { user: bob.userId },
      body: { text: 'Missed video call', call: { missed: true, video: true } },
      clientMsgId: 'c1',
    });
    expect(fake.code).toBe('BAD_REQUEST'); // before the fix: taken, and shown as a call
    const noRing = await alice.fails('post', {
      to: { user: bob.userId },
      body: { text: 'Missed call' },
      callRecord: { video: false },
      clientMsgId: 'c2',
    });
    expect(noRing.code).toBe('BAD_REQUEST');
    await alice.ok('rtc', {
      user_id: bob.userId,
      callId: 'call-1',
      signal: { kind: 'ring', video: true, name: 'alice' },
    });
    await alice.ok('post', {
      to: { user: bob.userId },
      body: { text: 'Missed video call' },
      callRecord: { video: false },
      clientMsgId: 'c3',
    });
    const [record] = (
      await bob.ok<{ messages: { body: { call?: unknown } }[] }>('history', {
        conversation: `dm:${alice.userId}`,
      })
    ).messages;
    // What the ring said, not what the post claimed.
    expect(record!.body.call).toEqual({ missed: true, video: true });
  });
});

describe('F2: invites die with their maker, can be listed and revoked; the creator removes members', () => {
  it('a leaver cannot come back with her own code; members list and revoke codes', async () => {
    const s = await server();
    const alice = await client(s, 'alice');
    const mallory = await client(s, 'mallory');
    const carol = await client(s, 'carol');
    const { group: board } = await alice.ok<{ group: string }>('join', {
      group: 'board',
      private: true,
    });
    const first = await alice.ok<{ code: string }>('invite', { group: board });
    await mallory.ok('join', { group: board, invite: first.code });
    const own = await mallory.ok<{ code: string }>('invite', { group: board });
    await mallory.ok('leave', { group: board });
    // Before the fix: {"group":"board","number_of_users":2,"private":true}.
    const back = await mallory.fails('join', { group: board, invite: own.code });
    expect(back.code).toBe('INVITE_REQUIRED');
    const listed = await alice.ok<{ list: { code: string; createdBy: string }[] }>('invites', {
      group: board,
    });
    expect(listed.list.map((i) => i.code)).toEqual([first.code]);
    await alice.ok('uninvite', { group: board, code: first.code });
    expect((await carol.fails('join', { group: board, invite: first.code })).code).toBe(
      'INVITE_REQUIRED',
    );
    expect((await mallory.fails('invites', { group: board })).code).toBe('NOT_FOUND');
  });

  it('the creator removes a member, who hears nothing more of the group; others may not remove', async () => {
    const s = await server();
    const alice = await client(s, 'alice');
    const bob = await client(s, 'bob');
    const carol = await client(s, 'carol');
    const { group: board } = await alice.ok<{ group: string }>('join', {
      group: 'board',
      private: true,
    });
    for (const c of [bob, carol]) {
      const { code } = await alice.ok<{ code: string }>('invite', { group: board });
      await c.ok('join', { group: board, invite: code });
    }
    await bob.ok('subscribe', { topic: `/groups/${board}/messages` });
    expect((await carol.fails('kick', { group: board, user_id: bob.userId })).code).toBe(
      'FORBIDDEN',
    );
    await alice.ok('kick', { group: board, user_id: bob.userId });
    await alice.ok('post', { to: { group: board }, body: { text: 'after' }, clientMsgId: 'k1' });
    await barrier(alice, bob);
    expect(texts(bob, `group:${board}`)).toEqual([]);
    expect((await bob.fails('history', { conversation: `group:${board}` })).code).toBe('NOT_FOUND');
  });
});
