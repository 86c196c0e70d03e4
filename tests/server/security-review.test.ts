// Regression tests for the outside security review (../shared/reviews/security.md): each
// `describe` names its finding and fails on the code before its fix. Real server, real sockets,
// real SQLite.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ProtoClient, quiet } from '../helpers/proto-client.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/test-server.js';
import { runServerProcess } from '../helpers/server-process.js';

let server: TestServer;
const open: ProtoClient[] = [];
async function connect(name: string) {
  const c = await server.client(name);
  open.push(c);
  return c;
}

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await server.stop();
});

async function body(r: Response) {
  return (await r.json()) as { error?: { code: string; message: string } } & Record<
    string,
    unknown
  >;
}

describe('H2: a removed message leaves only its tombstone', () => {
  it('no text of it or of its earlier versions reaches a later joiner, history or the file', async () => {
    const dataDir = tempDir();
    const s = await startTestServer({}, { dataDir, keepData: true });
    try {
      const alice = await s.client('h2-alice');
      await alice.ok('join', { group: 'h2' });
      const secret = 'oops: my password is Hunter2!';
      const { messageId } = await alice.ok<{ messageId: string }>('post', {
        to: { group: 'h2' },
        body: { text: secret },
        clientMsgId: 'h2-1',
        notification: { title: 'h2', body: secret },
      });
      await alice.ok('edit', { messageId, body: { text: 'oops: my password is (edited away)' } });
      const kept = await alice.ok<{ messageId: string }>('post', {
        to: { group: 'h2' },
        body: { text: 'first version' },
        clientMsgId: 'h2-2',
      });
      await alice.ok('edit', { messageId: kept.messageId, body: { text: 'second version' } });
      await alice.ok('remove', { messageId });

      const mallory = await s.client('h2-mallory');
      await mallory.ok('join', { group: 'h2' });
      const back = await ProtoClient.open(s.wsUrl);
      const done = back.event('resume', (d) => d.conversation === 'group:h2');
      await back.auth((await s.user('h2-mallory')).token, { resume: { 'group:h2': 0 } });
      await done;
      const replayed = JSON.stringify(back.frames);
      expect(replayed).not.toContain('Hunter2');
      expect(replayed).not.toContain('edited away');
      // An edited message replays its current text only, in every version.
      expect(replayed).not.toContain('first version');
      expect(replayed).toContain('second version');
      const tombstone = back
        .events<{ messageId: string; body: unknown; removed?: boolean }>('message:send')
        .find((d) => d.messageId === messageId);
      expect(tombstone).toMatchObject({ body: null, removed: true });
      expect(JSON.stringify(await mallory.allHistory('group:h2'))).not.toContain('Hunter2');
      await Promise.all([alice.close(), mallory.close(), back.close()]);
      await s.stop();
      for (const file of ['parley.db', 'parley.db-wal']) {
        const path = join(dataDir, file);
        if (!existsSync(path)) continue;
        const bytes = readFileSync(path);
        expect(bytes.includes('Hunter2'), `${file} still holds the removed text`).toBe(false);
        expect(bytes.includes('first version'), `${file} still holds an old version`).toBe(false);
      }
    } finally {
      await s.stop();
    }
  });
});

describe('H3: a client that does not read cannot grow the server', () => {
  it('400 pipelined history requests for 3 MB each: the server stays within 64 MB', async () => {
    const dataDir = tempDir();
    const proc = await runServerProcess([
      '--port',
      '0',
      '--data',
      dataDir,
      '--log-level',
      'info',
      '--config',
      writeConfig(dataDir, { scryptCost: 1024, limits: { requestBurst: 200 } }),
    ]);
    try {
      const base = proc.url;
      const post = (path: string, b: unknown) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(b),
        });
      await post('/v1/users', { username: 'slowreader', password: 'slow reader password' });
      const { token } = (await (
        await post('/v1/tokens', { username: 'slowreader', password: 'slow reader password' })
      ).json()) as { token: string };
      const writer = await ProtoClient.connect(proc.wsUrl, token);
      await writer.ok('join', { group: 'big' });
      const text = 'x'.repeat(16_000);
      for (let i = 0; i < 200; i++) {
        await writer.ok('post', { to: { group: 'big' }, body: { text }, clientMsgId: `b${i}` });
      }
      const rssBefore = rssOf(proc.child.pid!);
      // A raw socket that authenticates, then stops reading and keeps asking.
      const ws = new WebSocket(proc.wsUrl);
      await new Promise((r) => ws.once('open', r));
      const authed = new Promise((r) => ws.once('message', r));
      ws.send(JSON.stringify({ type: 'authrequest', id: 'a', token }));
      await authed;
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      for (let i = 0; i < 400; i++) {
        ws.send(
          JSON.stringify({
            type: 'history',
            id: `h${i}`,
            conversation: 'group:big',
            limit: 200,
          }),
        );
      }
      let peak = rssBefore;
      for (let i = 0; i < 25; i++) {
        await quiet(200);
        peak = Math.max(peak, rssOf(proc.child.pid!));
      }
      const grew = (peak - rssBefore) / 1e6;
      console.log(
        `[H3] server RSS ${(rssBefore / 1e6).toFixed(0)} MB → peak +${grew.toFixed(1)} MB`,
      );
      expect(grew).toBeLessThan(64);
      // The server still serves others, and the stuck socket ends when it is dropped.
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      ws.terminate();
      await closed;
      await writer.close();
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  }, 60_000);

  it('a history reply is bounded in bytes; paging still reaches every message', async () => {
    const a = await connect('h3-pager');
    await a.ok('join', { group: 'h3-pages' });
    const text = 'y'.repeat(16_000);
    for (let i = 0; i < 40; i++) {
      await a.ok('post', { to: { group: 'h3-pages' }, body: { text }, clientMsgId: `p${i}` });
    }
    const page = await a.ok<{ messages: unknown[]; endOfList: boolean }>('history', {
      conversation: 'group:h3-pages',
      limit: 200,
    });
    expect(page.messages.length).toBeLessThan(40);
    expect(page.endOfList).toBe(false);
    expect((await a.allHistory('group:h3-pages')).length).toBe(40);
  });
});

function writeConfig(dir: string, config: unknown): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

describe('H4, M1, M9: sign-in limits hold in parallel and lock out no one else', () => {
  it('100 parallel guesses: at most 10 are checked, the rest 429, the right one among them', async () => {
    const s = await startTestServer();
    try {
      await s.user('h4-victim', 'the right password');
      await s.user('h4-neighbour', 'neighbour password');
      const guesses = Array.from({ length: 100 }, (_, i) =>
        i === 99 ? 'the right password' : `guess ${i}`,
      );
      const answers = await Promise.all(
        guesses.map((password) => s.post('/v1/tokens', { username: 'h4-victim', password })),
      );
      const checked = answers.filter((r) => r.status !== 429).length;
      expect(checked).toBeLessThanOrEqual(10);
      expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(90);
      // The lockout is the victim's account from this address: a neighbour still signs in.
      expect(
        (await s.post('/v1/tokens', { username: 'h4-neighbour', password: 'neighbour password' }))
          .status,
      ).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it('a taken name costs no hash; a full password queue answers 503 BUSY at once', async () => {
    const s = await startTestServer({ scryptCost: 1 << 14, limits: { passwordQueue: 2 } });
    try {
      await s.user('m1-taken', 'a good password');
      const taken = await Promise.all(
        Array.from({ length: 60 }, () =>
          s.post('/v1/users', { username: 'm1-taken', password: 'another password' }),
        ),
      );
      expect(new Set(taken.map((r) => r.status))).toEqual(new Set([409]));
      const many = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          s.post('/v1/users', { username: `m1-new-${i}`, password: 'a good password' }),
        ),
      );
      const busy = many.filter((r) => r.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      expect((await body(busy[0]!)).error?.code).toBe('BUSY');
      expect(busy[0]!.headers.get('retry-after')).toBe('1');
    } finally {
      await s.stop();
    }
  });

  it('sign-ups are limited per address', async () => {
    const s = await startTestServer({ limits: { signUpsPerIpPerMinute: 3 } });
    try {
      const codes = [];
      for (let i = 0; i < 4; i++) {
        codes.push(
          (await s.post('/v1/users', { username: `m1-su-${i}`, password: 'a good password' }))
            .status,
        );
      }
      expect(codes).toEqual([201, 201, 201, 429]);
    } finally {
      await s.stop();
    }
  });
});

describe('M2: offline notifications are bounded per recipient and per sender', () => {
  it('a flood keeps the newest 5 from that sender, and notify charges one request per target', async () => {
    const sender = await connect('m2-sender');
    const target = await server.user('m2-target');
    const t = await ProtoClient.connect(server.wsUrl, target.token);
    await t.ok('join', { group: 'm2' });
    await t.close();
    await sender.ok('join', { group: 'm2' });
    for (let i = 0; i < 30; i++) {
      await sender.ok('notify', { user_ids: [target.userId], title: `n${i}`, body: 'flood' });
    }
    const back = await ProtoClient.open(server.wsUrl);
    open.push(back);
    await back.auth(target.token);
    await quiet(200);
    const titles = back.events<{ title: string }>('notification').map((n) => n.title);
    expect(titles).toEqual(['n25', 'n26', 'n27', 'n28', 'n29']);
    // 100 targets cost 100 tokens: the burst of 50 cannot pay for it.
    const ids = Array.from({ length: 60 }, (_, i) => `u_nobody${i}`);
    expect((await sender.fails('notify', { user_ids: ids, title: 'x', body: 'y' })).code).toBe(
      'RATE_LIMITED',
    );
  });
});

describe('M4: a stranger cannot make a notification break through', () => {
  it("a first dm's `always` is dropped; a group member's is kept", async () => {
    const stranger = await connect('m4-stranger');
    const victim = await server.user('m4-victim');
    const v = await ProtoClient.connect(server.wsUrl, victim.token);
    open.push(v);
    const got = v.event<{ notification?: { always?: boolean } }>('message:send');
    await stranger.ok('post', {
      to: { user: victim.userId },
      body: { text: 'Your session expired' },
      clientMsgId: 'm4-1',
      notification: { title: 'Parley Security Team', body: 'sign in again', always: true },
    });
    expect((await got).data.notification?.always).toBe(false);
  });
});

describe("M5: a stranger's dm unlocks nothing until it is answered", () => {
  it('no ring, no presence, no typing or read receipts to a stranger', async () => {
    const mallory = await connect('m5-mallory');
    const bob = await connect('m5-bob');
    const signal = { kind: 'ring' };
    expect(
      (await mallory.fails('compose', { to: { user: bob.userId }, state: 'typing' })).code,
    ).toBe('NOT_FOUND');
    expect((await mallory.fails('read', { conversation: `dm:${bob.userId}`, seq: 1 })).code).toBe(
      'NOT_FOUND',
    );
    await mallory.ok('post', { to: { user: bob.userId }, body: { text: 'hi' }, clientMsgId: 'm5' });
    expect((await mallory.fails('rtc', { user_id: bob.userId, callId: 'c1', signal })).code).toBe(
      'FORBIDDEN',
    );
    await bob.ok('presence', { status: 'busy', text: 'in the dentist chair' });
    await quiet(100);
    expect(
      mallory.events<{ user_id: string }>('presence:update').map((p) => p.user_id),
    ).not.toContain(bob.userId);
    // Nor in her sidebar's listing: no group in common, the dm unanswered.
    type Listed = { list: { conversation: string; peer?: { status: string } }[] };
    const listed = await mallory.ok<Listed>('conversations');
    expect(listed.list.find((c) => c.conversation === `dm:${bob.userId}`)?.peer?.status).toBe(
      'offline',
    );
    // Bob answers: now they are in touch.
    await bob.ok('post', {
      to: { user: mallory.userId },
      body: { text: 'hello' },
      clientMsgId: 'r',
    });
    expect(await mallory.ok('rtc', { user_id: bob.userId, callId: 'c2', signal })).toEqual({});
  });
});

describe('M6: call signals are bounded per pair', () => {
  it('a 20 KB signal is TOO_LARGE; a flood is RATE_LIMITED with retryAfterMs', async () => {
    const a = await connect('m6-a');
    const b = await connect('m6-b');
    await a.ok('join', { group: 'm6' });
    await b.ok('join', { group: 'm6' });
    const big = { sdp: 'a'.repeat(20_000) };
    expect((await a.fails('rtc', { cid: b.cid, callId: 'c', signal: big })).code).toBe('TOO_LARGE');
    const refused = [];
    for (let i = 0; i < 120; i++) {
      const r = await a.request('rtc', { cid: b.cid, callId: 'c', signal: { n: i } });
      if (!r.ok) refused.push(r.error);
    }
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
  });
});

describe('M7: an invisible user cannot be probed', () => {
  it('no cid in the offline presence event, rtc by cid answers NOT_FOUND, cids are random', async () => {
    const watcher = await connect('m7-watcher');
    const hidden = await connect('m7-hidden');
    await watcher.ok('join', { group: 'm7' });
    await hidden.ok('join', { group: 'm7' });
    const gone = watcher.event<{ user_id: string; status: string; cid?: string }>(
      'presence:update',
      (d) => d.user_id === hidden.userId && d.status === 'offline',
    );
    await hidden.ok('presence', { status: 'invisible' });
    expect((await gone).data).not.toHaveProperty('cid');
    expect(
      (await watcher.fails('rtc', { cid: hidden.cid, callId: 'probe', signal: { kind: 'sdp' } }))
        .code,
    ).toBe('NOT_FOUND');
    // The hidden user may still call the watcher, and the watcher may answer that connection.
    await hidden.ok('rtc', { user_id: watcher.userId, callId: 'real', signal: { kind: 'ring' } });
    expect(
      await watcher.ok('rtc', { cid: hidden.cid, callId: 'real', signal: { kind: 'accept' } }),
    ).toEqual({});
    const prefix = (x: string, y: string) => {
      let i = 0;
      while (x[i] === y[i]) i++;
      return i;
    };
    expect(prefix(watcher.cid, hidden.cid)).toBeLessThan(8);
  });
});

describe('M10: web pages cannot use the HTTP API or the WebSocket', () => {
  it('no Content-Type is 415; an Origin is 403; a foreign Host name is 403', async () => {
    const noType = await fetch(`${server.url}/v1/users`, {
      method: 'POST',
      body: new Blob([JSON.stringify({ username: 'csrf_made_me', password: 'csrf password' })]),
    });
    expect(noType.status).toBe(415);
    const fromPage = await server.post(
      '/v1/users',
      { username: 'csrf_made_me', password: 'csrf password' },
      { origin: 'http://127.0.0.1:5199' },
    );
    expect(fromPage.status).toBe(403);
    const rebound = await rawRequest(server.port, 'GET /v1/realtime/endpoint HTTP/1.1', {
      Host: 'evil.example:1234',
    });
    expect(rebound).toMatch(/^HTTP\/1\.1 403/);
    const ws = await ProtoClient.open(server.wsUrl, {
      headers: { origin: 'http://127.0.0.1:5199' },
    }).catch((e: { status?: number }) => e);
    expect(ws).toMatchObject({ status: 403 });
    expect((await fetch(`${server.url}/v1/users/csrf_made_me`)).status).toBe(404);
  });
});

async function rawRequest(
  port: number,
  requestLine: string,
  headers: Record<string, string>,
): Promise<string> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
      socket.write(`${requestLine}\r\n${head.join('\r\n')}\r\nConnection: close\r\n\r\n`);
    });
    let out = '';
    socket.on('data', (c) => (out += c.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('M11: sign-out revokes, and a password can be changed', () => {
  it('a revoked token is refused and its live connection closed; other sessions go on', async () => {
    const one = await server.user('m11-user', 'first password!');
    const other = (await body(
      await server.post('/v1/tokens', { username: 'm11-user', password: 'first password!' }),
    )) as { token: string };
    const live = await ProtoClient.connect(server.wsUrl, one.token);
    const otherLive = await ProtoClient.connect(server.wsUrl, other.token);
    open.push(otherLive);
    const r = await fetch(`${server.url}/v1/tokens/current`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${one.token}` },
    });
    expect(r.status).toBe(200);
    expect((await live.closed).code).toBe(4001);
    const again = await ProtoClient.open(server.wsUrl);
    expect((await again.auth(one.token)).error?.code).toBe('TOKEN_REVOKED');
    expect(await otherLive.ok('conversations')).toHaveProperty('list');
  });

  it('a password change ends every session, answers a new token, and the old password fails', async () => {
    const me = await server.user('m11-changer', 'old password!!');
    const live = await ProtoClient.connect(server.wsUrl, me.token);
    const wrong = await fetch(`${server.url}/v1/users/me/password`, {
      method: 'POST',
      headers: { authorization: `Bearer ${me.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: 'not it', newPassword: 'new password!!' }),
    });
    expect(wrong.status).toBe(401);
    const changed = await fetch(`${server.url}/v1/users/me/password`, {
      method: 'POST',
      headers: { authorization: `Bearer ${me.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: 'old password!!', newPassword: 'new password!!' }),
    });
    expect(changed.status).toBe(200);
    const { token } = (await changed.json()) as { token: string };
    expect((await live.closed).code).toBe(4001);
    const old = await ProtoClient.open(server.wsUrl);
    expect((await old.auth(me.token)).error?.code).toBe('TOKEN_REVOKED');
    open.push(await ProtoClient.connect(server.wsUrl, token));
    expect(
      (await server.post('/v1/tokens', { username: 'm11-changer', password: 'old password!!' }))
        .status,
    ).toBe(401);
    expect(
      (await server.post('/v1/tokens', { username: 'm11-changer', password: 'new password!!' }))
        .status,
    ).toBe(200);
  });
});

describe('M12: the realtime URL does not downgrade behind a TLS proxy', () => {
  it('wss from a trusted X-Forwarded-Proto, ws when the header is not trusted', async () => {
    const untrusted = await rawRequest(server.port, 'GET /v1/realtime/endpoint HTTP/1.1', {
      Host: '127.0.0.1',
      'X-Forwarded-Proto': 'https',
    });
    expect(untrusted).toContain('"url":"ws://127.0.0.1/v1/realtime"');
    const s = await startTestServer({ trustProxy: true });
    try {
      const trusted = await rawRequest(s.port, 'GET /v1/realtime/endpoint HTTP/1.1', {
        Host: '127.0.0.1',
        'X-Forwarded-Proto': 'https',
      });
      expect(trusted).toContain('"url":"wss://127.0.0.1/v1/realtime"');
    } finally {
      await s.stop();
    }
  });
});

describe('M14: conversations is bounded', () => {
  it('unread stops at 100, and the request costs 10 of the burst of 50', async () => {
    const writer = await connect('m14-writer');
    const reader = await connect('m14-reader');
    await writer.ok('join', { group: 'm14' });
    await reader.ok('join', { group: 'm14' });
    for (let i = 0; i < 130; i++) {
      const params = { to: { group: 'm14' }, body: { text: `${i}` }, clientMsgId: `${i}` };
      let r = await writer.request('post', params);
      while (!r.ok && r.error?.code === 'RATE_LIMITED') {
        await quiet(r.error.retryAfterMs ?? 50);
        r = await writer.request('post', params);
      }
    }
    const fresh = await connect('m14-reader');
    const list = await fresh.ok<{ list: { conversation: string; unread: number }[] }>(
      'conversations',
    );
    expect(list.list.find((c) => c.conversation === 'group:m14')?.unread).toBe(100);
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await fresh.request('conversations'));
    expect(answers.map((a) => a.ok)).toEqual([true, true, true, true, false, false]);
  });
});

describe('D1: private groups', () => {
  it('are hidden from non-members and joined by invite only', async () => {
    const owner = await connect('d1-owner');
    const outsider = await connect('d1-outsider');
    const joined = await owner.ok<{ group: string; private?: boolean }>('join', {
      group: 'board',
      private: true,
    });
    expect(joined.private).toBe(true);
    // Security review 3, F3: a new private group's name is the one asked for and a random tail.
    expect(joined.group).toMatch(/^board-[a-z0-9]{12}$/);
    const board = joined.group;
    await owner.ok('post', {
      to: { group: board },
      body: { text: 'secret plan' },
      clientMsgId: '1',
    });
    const listed = await outsider.ok<{ list: { group: string }[] }>('groups', { value: 'boa' });
    expect(listed.list.map((g) => g.group)).not.toContain(board);
    expect((await outsider.fails('users', { group: board })).code).toBe('NOT_FOUND');
    expect((await outsider.fails('history', { conversation: `group:${board}` })).code).toBe(
      'NOT_FOUND',
    );
    expect((await outsider.fails('subscribe', { topic: `/groups/${board}/messages` })).code).toBe(
      'NOT_FOUND',
    );
    expect(
      (
        await outsider.fails('post', {
          to: { group: board },
          body: { text: 'x' },
          clientMsgId: 'x',
        })
      ).code,
    ).toBe('NOT_FOUND');
    expect((await outsider.fails('join', { group: board })).code).toBe('INVITE_REQUIRED');
    expect((await outsider.fails('invite', { group: board })).code).toBe('NOT_FOUND');
    expect((await outsider.fails('join', { group: board, invite: 'made-up' })).code).toBe(
      'INVITE_REQUIRED',
    );
    const { code } = await owner.ok<{ code: string }>('invite', { group: board });
    await outsider.ok('join', { group: board, invite: code });
    const history = await outsider.allHistory(`group:${board}`);
    expect(history.map((m) => m.body?.text)).toEqual(['secret plan']);
    // The owner sees the group in listings; the invite for one group opens no other.
    const cabinet = (await owner.ok<{ group: string }>('join', { group: 'cabinet', private: true }))
      .group;
    expect(
      (await connect('d1-third').then((c) => c.fails('join', { group: cabinet, invite: code })))
        .code,
    ).toBe('INVITE_REQUIRED');
    // F3: the name asked for tells a stranger nothing: joining it makes a public group of its own.
    const probe = await connect('d1-prober');
    expect(await probe.ok('join', { group: 'board' })).toMatchObject({
      group: 'board',
      number_of_users: 1,
    });
  });
});

describe('L3, L6: names and bodies', () => {
  it('refuses blank-letter group names and oversized non-text body fields', async () => {
    const c = await connect('l-user');
    expect((await c.fails('join', { group: 'general\u3164' })).code).toBe('BAD_REQUEST');
    await c.ok('join', { group: 'l6' });
    expect(
      (
        await c.fails('post', {
          to: { group: 'l6' },
          body: { text: 'hi', extra: 'z'.repeat(10_000) },
          clientMsgId: 'l6',
        })
      ).code,
    ).toBe('TOO_LARGE');
  });
});
