// Security review 3: every resource a client can make the server hold is bounded, with a coded
// answer (F7: sockets and request bodies).
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigOverrides } from '../../src/server/config.js';
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

/** A raw request whose headers are sent and whose body never comes; `closed` once it is cut. */
function stalled(
  s: TestServer,
  head: string,
): { socket: Socket; answer: () => string; closed: Promise<void> } {
  const socket = connect(s.port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
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
