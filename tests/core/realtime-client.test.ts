// RealtimeClient against a real Parley server: authentication, requests, reconnect after a server
// restart with resume, a silent half-open socket detected, refusal, backoff and disposal.
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeClient, type ConnectionStatus } from '../../src/main/core/realtime-client.js';
import { backoffDelay, systemClock } from '../../src/main/core/realtime-socket.js';
import { wsSocketFactory } from '../../src/main/core/ws-socket.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { startTestServer, tempDir } from '../helpers/test-server.js';
import { until } from '../helpers/wait.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(overrides: Parameters<typeof startTestServer>[0] = {}, dataDir?: string) {
  const s = await startTestServer(overrides, dataDir ? { dataDir } : {});
  cleanups.push(() => s.stop());
  return s;
}

function client(
  url: string,
  token: string,
  extra: Partial<ConstructorParameters<typeof RealtimeClient>[0]> = {},
) {
  const c = new RealtimeClient({
    url,
    token: () => token,
    socketFactory: wsSocketFactory,
    ...extra,
  });
  const statuses: ConnectionStatus[] = [];
  c.on('status', (s) => statuses.push(s));
  cleanups.push(() => c.dispose());
  return { c, statuses };
}

describe('backoffDelay', () => {
  it('retries at once, then full jitter under a cap doubling from 0.5 s to 30 s', () => {
    expect(backoffDelay(0, () => 0.99)).toBe(0);
    expect(backoffDelay(1, () => 0.999)).toBe(499);
    expect(backoffDelay(2, () => 0.999)).toBe(999);
    expect(backoffDelay(3, () => 0.5)).toBe(1000);
    expect(backoffDelay(7, () => 0.999)).toBe(29_970);
    expect(backoffDelay(50, () => 0.999)).toBe(29_970);
    expect(backoffDelay(50, () => 0)).toBe(0);
  });
});

describe('RealtimeClient', () => {
  it('connects, authenticates and serves requests; refuses them with NOT_CONNECTED when offline', async () => {
    const s = await server();
    const { token, userId } = await s.user('alice');
    const { c, statuses } = client(s.wsUrl, token);
    await expect(c.request('groups', {})).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    c.start();
    await until(() => c.status.state === 'online', 'online', 5000);
    expect(statuses.map((x) => x.state)).toEqual(['connecting', 'online']);
    expect(c.status).toMatchObject({ state: 'online', user: { userId, username: 'alice' } });
    expect(await c.request('join', { group: 'g' })).toEqual({ group: 'g', number_of_users: 1 });
    await expect(c.request('leave', { group: 'nope' })).rejects.toMatchObject({
      code: 'NOT_JOINED',
    });
  });

  it('reconnects after a server restart and resumes the events it missed', async () => {
    const dataDir = tempDir();
    const first = await server({}, dataDir);
    const alice = await first.user('alice');
    const bob = await first.user('bob');
    const lastSeq: Record<string, number> = {};
    const { c, statuses } = client(first.wsUrl, alice.token, {
      resumeFrom: () => ({ ...lastSeq }),
    });
    const seen: string[] = [];
    c.on('event', (e) => {
      if (e.event === 'message:send') {
        lastSeq[e.data.conversation] = e.data.seq;
        seen.push(e.data.body?.text ?? '');
      }
    });
    c.start();
    await until(() => c.status.state === 'online');
    await c.request('join', { group: 'r' });
    const b1 = await ProtoClient.connect(first.wsUrl, bob.token);
    await b1.ok('join', { group: 'r' });
    await b1.ok('post', { to: { group: 'r' }, body: { text: 'before' }, clientMsgId: '1' });
    await until(() => seen.includes('before'));
    await b1.close();

    const before = statuses.length;
    await first.stop();
    cleanups.pop();
    await until(() => statuses.slice(before).some((x) => x.state === 'waiting'), 'waiting', 5000);
    expect(statuses.find((x) => x.state === 'waiting')).toMatchObject({
      reason: 'the server is restarting',
    });
    // While the server is down and when it is back: the client keeps trying, and resumes.
    const second = await server({ port: first.port }, dataDir);
    const b2 = await ProtoClient.connect(second.wsUrl, bob.token);
    await b2.ok('post', { to: { group: 'r' }, body: { text: 'while away' }, clientMsgId: '2' });
    await b2.close();
    await until(() => c.status.state === 'online', 'online again', 10_000);
    await until(() => seen.includes('while away'), 'the missed message', 5000);
    expect(seen).toEqual(['before', 'while away']);
  }, 30_000);

  it('fills a gap longer than the server replays, paging history, and says so with a complete resume', async () => {
    const s = await server({ resumeMaxEvents: 3 });
    const alice = await s.user('alice');
    const bob = await s.client('bob');
    await bob.ok('join', { group: 'gap' });
    const lastSeq: Record<string, number> = { 'group:gap': 0 };
    const { c } = client(s.wsUrl, alice.token, { resumeFrom: () => ({ ...lastSeq }) });
    const texts: string[] = [];
    const resumes: { complete: boolean; toSeq: number }[] = [];
    c.on('event', (e) => {
      if (e.event === 'message:send') {
        texts.push(e.data.body?.text ?? '');
        lastSeq[e.data.conversation] = Math.max(lastSeq[e.data.conversation] ?? 0, e.data.seq);
      }
      if (e.event === 'resume') resumes.push(e.data);
    });
    c.start();
    await until(() => c.status.state === 'online');
    await c.request('join', { group: 'gap' });
    c.stop('away');
    for (let i = 1; i <= 8; i++) {
      await bob.ok('post', { to: { group: 'gap' }, body: { text: `m${i}` }, clientMsgId: `${i}` });
    }
    c.start();
    await until(() => resumes.some((r) => r.complete), 'a complete resume');
    // 3 replayed by the server, 5 paged from history: all 8, once each, in order.
    expect(texts).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']);
    expect(resumes).toEqual([
      { conversation: 'group:gap', fromSeq: 0, toSeq: 3, complete: false },
      { conversation: 'group:gap', fromSeq: 0, toSeq: 8, complete: true },
    ]);
    await bob.close();
  });

  it('notices a socket gone silent (half-open) within two heartbeat intervals and reconnects', async () => {
    const s = await server({ heartbeatMs: 1000 });
    const { token } = await s.user('alice');
    const proxy: TcpProxy = await startTcpProxy(s.port);
    cleanups.push(() => proxy.close());
    const { c, statuses } = client(`ws://127.0.0.1:${proxy.port}/v1/realtime`, token);
    c.start();
    await until(() => c.status.state === 'online');
    proxy.freeze();
    const frozenAt = Date.now();
    const before = statuses.length;
    await until(
      () => statuses.slice(before).some((x) => x.state === 'waiting'),
      'silence noticed',
      5000,
    );
    const noticedAfter = Date.now() - frozenAt;
    expect(statuses.find((x) => x.state === 'waiting')).toMatchObject({
      reason: 'the connection went silent',
    });
    // Heartbeat 1 s: the socket is dropped two intervals after the last frame heard, and that
    // last ping came at most one interval before the freeze: between 1 s and 2 s after it.
    expect(noticedAfter).toBeGreaterThanOrEqual(950);
    expect(noticedAfter).toBeLessThan(2600);
    await until(() => c.status.state === 'online', 'online through a new connection', 5000);
    expect(proxy.accepted()).toBe(2);
    expect(await c.request('groups', {})).toMatchObject({ endOfList: true });
  }, 15_000);

  it('nudge() checks a frozen socket at once instead of waiting out the silence limit', async () => {
    const s = await server();
    const { token } = await s.user('alice');
    const proxy = await startTcpProxy(s.port);
    cleanups.push(() => proxy.close());
    const { c, statuses } = client(`ws://127.0.0.1:${proxy.port}/v1/realtime`, token);
    c.start();
    await until(() => c.status.state === 'online');
    proxy.freeze();
    const frozenAt = Date.now();
    const before = statuses.length;
    c.nudge(); // e.g. the OS reports the machine woke up
    await until(
      () => statuses.slice(before).some((x) => x.state === 'waiting'),
      'silence noticed',
      8000,
    );
    // The default heartbeat is 25 s (silence limit 50 s); a nudge finds it in about 5 s.
    expect(Date.now() - frozenAt).toBeLessThan(6500);
  }, 15_000);

  it('a refused token ends in offline with its code, and no retry storm', async () => {
    const s = await server();
    const { c } = client(s.wsUrl, 'not-a-valid-token');
    c.start();
    await until(() => c.status.state === 'offline', 'offline', 5000);
    expect(c.status).toMatchObject({
      state: 'offline',
      code: 'AUTH_FAILED',
      reason: 'the token is not valid',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(c.status.state).toBe('offline');
    // /metrics is for administrators: the first account made is one.
    const admin = await s.user('metrics-admin');
    const metrics = await (
      await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${admin.token}` } })
    ).text();
    expect(metrics).toMatch(/^parley_connections 0$/m);
  });

  it('keeps retrying with backoff while the server is unreachable, and nudge() tries at once', async () => {
    const dataDir = tempDir();
    const s = await server({}, dataDir);
    const { token } = await s.user('alice');
    const port = s.port;
    await s.stop();
    cleanups.pop();
    let attempts = 0;
    const { c, statuses } = client(`ws://127.0.0.1:${port}/v1/realtime`, token, {
      socketFactory: (url) => {
        attempts++;
        return wsSocketFactory(url);
      },
      backoffBaseMs: 200,
      // No jitter for eight attempts, then the longest wait the cap allows (12.8 s after the 8th):
      // only a nudge can bring the client back within the test.
      clock: { ...systemClock, random: () => (attempts >= 8 ? 0.999 : 0) },
    });
    c.start();
    await until(() => attempts >= 8 && c.status.state === 'waiting', 'eight attempts', 5000);
    expect(c.status).toMatchObject({ state: 'waiting', attempt: 7 });
    const waitMs = (c.status as { retryAt: number }).retryAt - Date.now();
    expect(waitMs).toBeGreaterThan(10_000);
    // The server comes back on the same port and data.
    await server({ port }, dataDir);
    const nudgedAt = statuses.length;
    c.nudge();
    await until(() => c.status.state === 'online', 'online right after the nudge', 1000);
    expect(statuses.slice(nudgedAt).map((x) => x.state)).toEqual(['connecting', 'online']);
  }, 20_000);

  it('dispose() rejects requests in flight and removes every listener', async () => {
    const s = await server();
    const { token } = await s.user('alice');
    const { c } = client(s.wsUrl, token);
    c.start();
    await until(() => c.status.state === 'online');
    const inFlight = c.request('history', { conversation: 'group:none' });
    c.dispose();
    await expect(inFlight).rejects.toMatchObject({
      code: expect.stringMatching(/DISCONNECTED|DISPOSED/),
    });
    const calls: unknown[] = [];
    c.on('status', (x) => calls.push(x));
    c.start();
    expect(calls).toEqual([]);
    await until(() => s.hub.connectionCount === 0, 'server side closed', 2000);
  });
});
