// Every limit of the protocol's table, at its boundary: at the limit accepted, one past refused.
// Defaults are used wherever a test can reach them quickly.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { DEFAULT_LIMITS, defaultConfig } from '../../src/server/config.js';
import { ProtoClient, quiet } from '../helpers/proto-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer | undefined;
const clients: ProtoClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.stop();
  server = undefined;
});

async function start(overrides: Parameters<typeof startTestServer>[0] = {}) {
  server = await startTestServer(overrides);
  return server;
}
async function connect_(s: TestServer, name: string) {
  const c = await s.client(name);
  clients.push(c);
  return c;
}

it('the defaults are the protocol table', () => {
  expect(DEFAULT_LIMITS).toMatchObject({
    maxFrameBytes: 65536,
    maxTextBytes: 16384,
    requestsPerSecond: 20,
    requestBurst: 50,
    connectionsPerIpPerMinute: 60,
    connectionsPerUser: 10,
    maxBufferedBytes: 1048576,
    tokenFailuresPerIpPerMinute: 10,
  });
  const config = defaultConfig('/tmp/x');
  expect(config.authTimeoutMs).toBe(10_000);
  expect(config.heartbeatMs).toBe(25_000);
  expect(config.port).toBe(7420);
});

describe('frame size', () => {
  it('a 64 KiB frame is accepted; one byte more closes 1009', async () => {
    const s = await start();
    const c = await connect_(s, 'framer');
    const ping = '{"type":"ping"}';
    const pong = c.waitFor((f) => f.type === 'pong');
    c.send(ping + ' '.repeat(65536 - ping.length));
    await pong;
    c.send(ping + ' '.repeat(65537 - ping.length));
    expect((await c.closed).code).toBe(1009);
  });
});

describe('message text', () => {
  it('16 KiB of text (in UTF-8 bytes) is accepted; one byte more is TOO_LARGE', async () => {
    const s = await start();
    const c = await connect_(s, 'writer');
    await c.ok('join', { group: 'g' });
    const post = (text: string, id: string) =>
      c.request('post', { to: { group: 'g' }, body: { text }, clientMsgId: id });
    expect((await post('a'.repeat(16384), '1')).ok).toBe(true);
    expect((await post('a'.repeat(16385), '2')).error?.code).toBe('TOO_LARGE');
    expect((await post('é'.repeat(8192), '3')).ok).toBe(true);
    expect((await post('é'.repeat(8192) + 'a', '4')).error?.code).toBe('TOO_LARGE');
    const edited = await c.ok<{ messageId: string }>('post', {
      to: { group: 'g' },
      body: { text: 'x' },
      clientMsgId: '5',
    });
    expect(
      (await c.fails('edit', { messageId: edited.messageId, body: { text: 'a'.repeat(16385) } }))
        .code,
    ).toBe('TOO_LARGE');
  });
});

describe('requests per connection', () => {
  it('a burst of 50 is served; the 51st is RATE_LIMITED with retryAfterMs', async () => {
    // A slow refill (2 a second) so that a loaded machine taking a few ms over the burst
    // cannot earn the 51st its token; the burst is the default 50.
    const s = await start({ limits: { requestsPerSecond: 2 } });
    const c = await connect_(s, 'burster');
    const replies = Array.from({ length: 51 }, () => c.request('groups', { limit: 1 }));
    const answered = await Promise.all(replies);
    expect(answered.slice(0, 50).every((r) => r.ok)).toBe(true);
    const last = answered[50]!;
    expect(last.error?.code).toBe('RATE_LIMITED');
    expect(last.error?.retryAfterMs).toBeGreaterThan(0);
    expect(last.error?.retryAfterMs).toBeLessThanOrEqual(500);
    // The bucket refills at the configured rate.
    await quiet(last.error!.retryAfterMs! + 20);
    expect((await c.request('groups', { limit: 1 })).ok).toBe(true);
  });

  it('sustained abuse closes 4029; other clients are unaffected', async () => {
    const s = await start();
    const bystander = await connect_(s, 'bystander');
    const c = await connect_(s, 'abuser');
    for (let i = 0; i < 50 + DEFAULT_LIMITS.abuseRefusals + 1; i++)
      c.send({ type: 'groups', id: `x${i}` });
    expect((await c.closed).code).toBe(4029);
    expect(c.frames.filter((f) => f.type === 'reply' && f.ok === true)).toHaveLength(50);
    expect((await bystander.request('groups')).ok).toBe(true);
  });
});

describe('connections', () => {
  it('60 new connections a minute from one IP are accepted; the 61st gets HTTP 429 + Retry-After', async () => {
    const s = await start();
    for (let i = 0; i < 60; i++) {
      const c = await ProtoClient.open(s.wsUrl);
      await c.close();
    }
    const refused = await ProtoClient.open(s.wsUrl).catch(
      (e: { status?: number; headers?: Record<string, string>; body?: string }) => e,
    );
    expect(refused).toMatchObject({ status: 429 });
    const e = refused as { headers: Record<string, string>; body: string };
    expect(Number(e.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(e.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
  });

  it('10 connections per user are kept; the 11th is closed 4030', async () => {
    const s = await start();
    const { token } = await s.user('many');
    for (let i = 0; i < 10; i++) clients.push(await ProtoClient.connect(s.wsUrl, token));
    const extra = await ProtoClient.open(s.wsUrl);
    const res = await extra.auth(token);
    expect(res).toMatchObject({ success: false, error: { code: 'TOO_MANY_CONNECTIONS' } });
    expect((await extra.closed).code).toBe(4030);
    // The oldest are kept and still work.
    expect((await clients[0]!.request('groups')).ok).toBe(true);
    expect((await clients[9]!.request('groups')).ok).toBe(true);
  });

  it('connections per server: at the limit accepted, one past it HTTP 503', async () => {
    const s = await start({ limits: { maxConnections: 3 } });
    for (let i = 0; i < 3; i++) clients.push(await ProtoClient.open(s.wsUrl));
    const refused = await ProtoClient.open(s.wsUrl).catch(
      (e: { status?: number; body?: string }) => e,
    );
    expect(refused).toMatchObject({ status: 503 });
    expect(JSON.parse((refused as { body: string }).body)).toMatchObject({
      error: { code: 'SERVER_FULL' },
    });
  });
});

describe('slow consumers', () => {
  it('a client that stops reading is closed 4031 once 1 MiB waits for it; the sender carries on', async () => {
    const s = await start({ limits: { requestsPerSecond: 100_000, requestBurst: 100_000 } });
    const sender = await connect_(s, 'sender');
    const reader = await connect_(s, 'reader');
    await sender.ok('join', { group: 'firehose' });
    await reader.ok('join', { group: 'firehose' });
    // Stop reading: the kernel buffers fill, then the server's queue grows.
    const raw = (reader.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    let closedCode: number | undefined;
    void reader.closed.then((c) => (closedCode = c.code));
    const text = 'x'.repeat(16_000);
    const deadline = Date.now() + 15_000;
    let sent = 0;
    // Bounded in count and time; the server closes the reader long before either bound.
    while (sent < 3000 && Date.now() < deadline) {
      await sender.ok('post', {
        to: { group: 'firehose' },
        body: { text },
        clientMsgId: `p${sent}`,
      });
      sent++;
      if (sent % 50 === 0 && s.hub.connectionCount < 2) break;
    }
    expect(s.hub.connectionCount).toBe(1);
    raw.resume();
    await reader.closed;
    expect(closedCode).toBe(4031);
    expect((await sender.request('groups')).ok).toBe(true);
  });
});

describe('abuse at the door', () => {
  it('declines per-message deflate, so compression cannot inflate past the frame limit', async () => {
    const s = await start();
    const { token } = await s.user('squeezer');
    const ws = new WebSocket(s.wsUrl, { perMessageDeflate: true });
    await new Promise((r) => ws.once('open', r));
    expect(ws.extensions).toBe('');
    ws.send(JSON.stringify({ type: 'authrequest', id: 'a', token }));
    ws.close();
  });

  it('answers an upgrade with 2,000 headers with 400, and keeps serving', async () => {
    const s = await start();
    const headers = Array.from({ length: 2000 }, (_, i) => `x-h${i}: v`).join('\r\n');
    const answer = await new Promise<string>((resolve) => {
      const sock = connect(s.port, '127.0.0.1', () => {
        sock.write(
          `GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n\r\n`,
        );
      });
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('reaps 300 slowloris sockets within the header timeout while a client keeps working', async () => {
    const s = await start({
      headersTimeoutMs: 1000,
      limits: { connectionsPerIpPerMinute: 10_000 },
    });
    const worker = await connect_(s, 'worker');
    const started = Date.now();
    const closes: Promise<unknown>[] = [];
    await Promise.all(
      Array.from(
        { length: 300 },
        () =>
          new Promise<Socket>((resolve) => {
            const sock = connect(s.port, '127.0.0.1', () => {
              // Headers that never end.
              sock.write('GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
              resolve(sock);
            });
            // Listening from the start: the first may be reaped before the last connects.
            closes.push(new Promise((r) => sock.once('close', r)));
            // Read what the server answers, or the socket never sees its end (and never closes).
            sock.resume();
            sock.on('error', () => undefined);
          }),
      ),
    );
    const allClosed = Promise.all(closes);
    // Meanwhile the real client is served.
    expect((await worker.request('groups')).ok).toBe(true);
    await allClosed;
    // Reaped by the 1 s header timeout, not held to Node's default of 60 s: the bound leaves a
    // busy machine room to open and close 300 sockets, and still tells the two apart.
    const reapedAfter = Date.now() - started;
    expect(reapedAfter).toBeLessThan(1000 + 15_000);
    expect((await worker.request('groups')).ok).toBe(true);
  });
});

describe('heartbeat', () => {
  it('two unanswered pings close 4009; a client that answers stays', async () => {
    const s = await start({ heartbeatMs: 100 });
    const silent = await connect_(s, 'silent');
    silent.autoPong = false;
    const lively = await connect_(s, 'lively');
    const { code } = await silent.closed;
    expect(code).toBe(4009);
    expect(silent.frames.filter((f) => f.type === 'ping').length).toBeGreaterThanOrEqual(2);
    expect(lively.ws.readyState).toBe(WebSocket.OPEN);
    expect((await lively.request('groups')).ok).toBe(true);
  });

  it('a client ping gets a pong', async () => {
    const s = await start();
    const c = await connect_(s, 'pinger');
    const pong = c.waitFor((f) => f.type === 'pong');
    c.send({ type: 'ping' });
    expect(await pong).toEqual({ type: 'pong' });
  });
});

describe('malformed frames get BAD_REQUEST and the connection stays open', () => {
  it('before and after authentication', async () => {
    const s = await start();
    const c = await ProtoClient.open(s.wsUrl);
    clients.push(c);
    const cases: [unknown, boolean][] = [
      ['this is not json', false],
      ['[1,2,3]', false],
      ['null', false],
      ['"a string"', false],
      [{ type: 'join' }, false],
      [{ id: 'x1' }, true],
      [{ type: 42, id: 'x2' }, true],
      [{ type: 'join', id: 'x'.repeat(65) }, false],
    ];
    for (const [frame, hasId] of cases) {
      const answer = c.waitFor((f) => f.type === 'error' || f.type === 'reply');
      c.send(frame);
      const got = (await answer) as { type: string; id?: string; error: { code: string } };
      expect(got.error.code).toBe('BAD_REQUEST');
      expect(got.type).toBe(hasId ? 'reply' : 'error');
    }
    const binary = c.waitFor((f) => f.type === 'error');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await binary).error).toMatchObject({ code: 'BAD_REQUEST' });
    const { token } = await s.user('after');
    expect((await c.auth(token)).success).toBe(true);
    expect((await c.fails('no-such-request')).code).toBe('BAD_REQUEST');
    expect(
      (await c.fails('post', { to: { group: 'g' }, body: 'not an object', clientMsgId: '1' })).code,
    ).toBe('BAD_REQUEST');
    expect(
      (await c.fails('post', { to: { planet: 'mars' }, body: { text: 'hi' }, clientMsgId: '1' }))
        .code,
    ).toBe('BAD_REQUEST');
    expect((await c.fails('__proto__')).code).toBe('BAD_REQUEST');
    // 32 levels are fine; a 33rd is refused before anything else looks at the frame.
    const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const deep = (n: number) =>
      `{"type":"post","id":"deep${n}","to":{"group":"nowhere"},"clientMsgId":"d","body":{"text":"x","v":${nest(n)}}}`;
    // The frame is level 1 and its body level 2, so n nested arrays reach level n + 2.
    const ok = c.waitFor((f) => f.type === 'reply' && f.id === 'deep30');
    c.send(deep(30)); // 32 levels: served (the group does not exist)
    expect(await ok).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const refused = c.waitFor((f) => f.type === 'error');
    c.send(deep(31)); // 33 levels
    expect(await refused).toMatchObject({
      error: { code: 'BAD_REQUEST', message: 'a frame may nest at most 32 levels deep' },
    });
    expect((await c.fails('constructor')).code).toBe('BAD_REQUEST');
    expect((await c.request('groups')).ok).toBe(true);
  });
});
