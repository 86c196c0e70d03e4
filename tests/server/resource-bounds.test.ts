// Security review 3: every resource a client can make the server hold is bounded, with a coded
// answer (F7: sockets and request bodies).
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ConfigOverrides } from '../../src/server/config.js';
import { pngHeader } from '../helpers/pictures.js';
import type { TestServer } from '../helpers/test-server.js';
import { testScope } from '../helpers/test-scope.js';
import { until } from '../helpers/wait.js';

const scope = testScope();
const server = (overrides?: ConfigOverrides) => scope.server(overrides);

/** A raw request whose headers are sent and whose body never comes; `closed` once it is cut. */
function stalled(
  s: TestServer,
  head: string,
): { socket: Socket; answer: () => string; closed: Promise<void> } {
  const socket = connect(s.port, '127.0.0.1');
  scope.defer(() => socket.destroy());
  let answer = '';
  socket.on('data', (d) => (answer += d.toString()));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(head);
  return { socket, answer: () => answer, closed };
}

const put = (path: string, token: string, length: number, host = '127.0.0.1') =>
  `PUT ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\n` +
  `Content-Type: image/png\r\nContent-Length: ${length}\r\n\r\n`;

const upload = (conversation: string, token: string, length: number) =>
  `POST /v1/files?conversation=${encodeURIComponent(conversation)}&name=a.bin HTTP/1.1\r\n` +
  `Host: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${length}\r\n\r\n`;

describe('F7: request bodies and sockets are bounded', () => {
  it('a picture declared larger than allowed is refused before its body is read', async () => {
    const s = await server();
    const { token } = await s.user('alice');
    const r = stalled(s, put('/v1/users/me/avatar', token, 600_000));
    await until(() => r.answer().includes('413'), 'a 413');
    expect(r.answer()).toContain('TOO_LARGE');
  });

  it('a picture whose body stalls is cut off at the body deadline', async () => {
    const s = await server({ limits: { bodyDeadlineMs: 300 } });
    const { token } = await s.user('alice');
    const r = stalled(s, put('/v1/users/me/avatar', token, 500_000));
    // Before the fix the socket stayed open for as long as the client liked.
    await r.closed;
    expect(r.answer()).toBe('');
  });

  it('bodies in flight are bounded per address, across accounts, with 429', async () => {
    const s = await server({ limits: { httpBodiesPerAddress: 2 } });
    for (const name of ['ann', 'ben']) {
      const { token, userId } = await s.user(name);
      stalled(s, upload(`dm:${userId}`, token, 1_000_000));
    }
    // A third account's picture, whole and small, from the same address: refused once the two
    // stalled uploads are being read (before the fix it was always taken).
    const { token } = await s.user('cat');
    let answer: Response | undefined;
    await until(async () => {
      answer = await fetch(`${s.url}/v1/users/me/avatar`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
        body: 'not a picture',
      });
      return answer.status === 429;
    }, 'a 429 for the third body');
    expect(((await answer!.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
  });

  it('one address holds a bounded number of sockets; past it a new one is closed at once', async () => {
    const s = await server({ limits: { httpSocketsPerAddress: 3 } });
    const open = [0, 1, 2].map(() => stalled(s, ''));
    await Promise.all(open.map((o) => new Promise((r) => o.socket.once('connect', r))));
    const fourth = stalled(s, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await fourth.closed;
    expect(fourth.answer()).toBe('');
    // A socket given back makes room again.
    open[0]!.socket.destroy();
    await open[0]!.closed;
    await until(async () => (await fetch(`${s.url}/healthz`)).ok, 'healthz after a socket closed');
  });
});

describe('F10: thumbnails and pictures are small pictures, checked by their bytes', () => {
  it('refuses a "thumbnail" that is large, not a picture, or a picture bomb; takes a real one', async () => {
    const s = await server();
    const alice = await scope.client(s, 'alice');
    await alice.ok('join', { group: 'pics' });
    const { token } = await s.user('alice');
    const upload = async (bytes: Buffer, name: string) => {
      const res = await s.upload(token, 'group:pics', name, bytes, 'image/png');
      return ((await res.json()) as { fileId: string }).fileId;
    };
    const image = await upload(pngHeader(2000, 1500, 100), 'cat.png');
    let n = 0;
    const post = (thumb: string) =>
      alice.request('post', {
        to: { group: 'pics' },
        body: { text: 'cat', files: [{ fileId: image, thumbFileId: thumb }] },
        clientMsgId: `t${++n}`,
      });
    const large = await upload(pngHeader(320, 240, 100_000), 'big.png');
    const notPicture = await upload(Buffer.from('just text, declared image/png'), 'x.png');
    const bomb = await upload(pngHeader(11_000, 11_000, 100), 'bomb.png');
    for (const thumb of [large, notPicture, bomb]) {
      const reply = await post(thumb);
      // Before the fix each of these was taken, and every reader's page fetched it.
      expect(reply.ok).toBe(false);
      expect(reply.error?.code).toBe('BAD_REQUEST');
    }
    expect((await post(await upload(pngHeader(320, 240, 2000), 'thumb.png'))).ok).toBe(true);
  });

  it('refuses a picture of more than 1024 pixels a side', async () => {
    const s = await server();
    const { token } = await s.user('alice');
    const put = (body: Buffer) =>
      fetch(`${s.url}/v1/users/me/avatar`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
        body,
      });
    const bomb = await put(pngHeader(11_000, 11_000, 1000));
    expect(bomb.status).toBe(413);
    expect((await put(pngHeader(256, 256, 1000))).status).toBe(200);
  });
});

describe('F15: picture changes are rate-limited per account', () => {
  it('past the hourly budget a change answers 429 (before: 72 a second went through)', async () => {
    const s = await server({ limits: { avatarChangesPerHour: 3 } });
    const { token } = await s.user('alice');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${s.url}/v1/users/me/avatar`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
        body: pngHeader(64, 64, i),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});

describe('L3: groups created and subscriptions held are bounded', () => {
  it('past the daily budget a new group is refused; joining an existing one still works', async () => {
    const s = await server({ limits: { groupsCreatedPerUserPerDay: 2 } });
    const mallory = await scope.client(s, 'mallory');
    const alice = await scope.client(s, 'alice');
    await alice.ok('join', { group: 'lobby' });
    await mallory.ok('join', { group: 'junk-1' });
    await mallory.ok('join', { group: 'junk-2' });
    expect((await mallory.fails('join', { group: 'junk-3' })).code).toBe('RATE_LIMITED');
    await mallory.ok('join', { group: 'lobby' });
  });

  it('a connection holds a bounded number of subscriptions', async () => {
    const s = await server({ limits: { subscriptionsPerConnection: 3 } });
    const alice = await scope.client(s, 'alice');
    const bob = await scope.client(s, 'bob');
    for (const g of ['a1', 'a2', 'a3', 'a4']) await alice.ok('join', { group: g });
    // bob's own connection already listens to his user topic: room for two more.
    const answers: string[] = [];
    for (const g of ['a1', 'a2', 'a3', 'a4']) {
      const r = await bob.request('subscribe', { topic: `/groups/${g}/messages` });
      answers.push(r.ok ? 'ok' : r.error!.code);
    }
    expect(answers).toContain('TOO_LARGE');
    expect(answers.filter((a) => a === 'ok').length).toBeLessThan(3);
  });
});
