// The outbox against a real server: nothing the user wrote is lost or doubled, and order holds,
// across a server killed with SIGKILL, an app restarted with a full outbox, and refusals.
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonFileOutboxStore } from '../../src/main/core/json-file.js';
import { Outbox } from '../../src/main/core/outbox.js';
import { RealtimeClient } from '../../src/main/core/realtime-client.js';
import { wsSocketFactory } from '../../src/main/core/ws-socket.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { loopbackLoadLimits, runServerProcess, signUp } from '../helpers/server-process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { startTestServer, tempDir } from '../helpers/test-server.js';
import { freePort, until } from '../helpers/wait.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function app(wsUrl: string, token: string, outboxFile: string) {
  const client = new RealtimeClient({
    url: wsUrl,
    token: () => token,
    socketFactory: wsSocketFactory,
  });
  const outbox = new Outbox(client, jsonFileOutboxStore(outboxFile), randomUUID);
  cleanups.push(() => {
    outbox.dispose();
    client.dispose();
  });
  return { client, outbox };
}

describe('Outbox', () => {
  it('a server killed with SIGKILL mid-stream: every message delivered once, in order', async () => {
    const dataDir = tempDir();
    const config = join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({ limits: loopbackLoadLimits(100_000) }));
    const port = await freePort();
    const args = ['--port', String(port), '--data', dataDir, '--config', config];
    const first = await runServerProcess(args);
    cleanups.push(() => first.child.kill('SIGKILL'));
    const alice = await signUp(first.url, 'alice');
    const { client, outbox } = app(first.wsUrl, alice.token, join(dataDir, 'outbox.json'));
    client.start();
    await until(() => client.status.state === 'online', 'online', 5000);
    await client.request('join', { group: 'stream' });

    const total = 300;
    let sent = 0;
    outbox.on('sent', () => sent++);
    for (let i = 0; i < total; i++) outbox.enqueue({ group: 'stream' }, { text: `m${i}` });
    await until(() => sent >= 50, '50 acknowledged', 10_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const sentAtKill = sent;
    expect(sentAtKill).toBeLessThan(total);

    const second = await runServerProcess(args);
    cleanups.push(() => second.child.kill('SIGKILL'));
    await until(() => outbox.pending.length === 0, 'the outbox to empty', 20_000);
    const reader = await ProtoClient.connect(second.wsUrl, alice.token);
    cleanups.push(() => reader.close());
    const stored = await reader.allHistory('group:stream');
    expect(stored.map((m) => m.body.text)).toEqual(
      Array.from({ length: total }, (_, i) => `m${i}`),
    );
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    console.log(
      `outbox: SIGKILL after ${sentAtKill} of ${total} acknowledged; after restart all ${stored.length} stored once, in order`,
    );
  }, 60_000);

  it('a message stored whose reply was lost is sent again and stored once', async () => {
    const s = await startTestServer({ heartbeatMs: 1000 });
    cleanups.push(() => s.stop());
    const { token } = await s.user('alice');
    const proxy = await startTcpProxy(s.port);
    cleanups.push(() => proxy.close());
    const { client, outbox } = app(
      `ws://127.0.0.1:${proxy.port}/v1/realtime`,
      token,
      join(tempDir(), 'o.json'),
    );
    client.start();
    await until(() => client.status.state === 'online', 'online', 5000);
    await client.request('join', { group: 'lossy' });
    proxy.loseReplies();
    outbox.enqueue({ group: 'lossy' }, { text: 'only once' });
    // Stored by the server, unanswered for the client: it notices the silence, reconnects and
    // sends the same clientMsgId again.
    await until(() => outbox.pending.length === 0, 'the outbox to empty', 10_000);
    expect(proxy.accepted()).toBe(2);
    const reader = await ProtoClient.connect(s.wsUrl, token);
    cleanups.push(() => reader.close());
    expect((await reader.allHistory('group:lossy')).map((m) => m.body.text)).toEqual(['only once']);
  }, 20_000);

  it('an app stopped with a full outbox delivers it once after it starts again', async () => {
    const dataDir = tempDir();
    const s = await startTestServer({}, { dataDir });
    cleanups.push(() => s.stop());
    const { token } = await s.user('alice');
    const setup = await ProtoClient.connect(s.wsUrl, token);
    await setup.ok('join', { group: 'later' });
    await setup.close();
    const file = join(dataDir, 'outbox.json');

    // The app writes while the server cannot be reached, then quits.
    const offline = app('ws://127.0.0.1:9/v1/realtime', token, file);
    for (let i = 0; i < 30; i++)
      offline.outbox.enqueue({ group: 'later' }, { text: `offline ${i}` });
    expect(offline.outbox.pending).toHaveLength(30);
    offline.outbox.dispose();
    offline.client.dispose();
    expect(existsSync(file)).toBe(true);

    // Started again, pointing at the server: the same 30, in order, once each.
    const again = app(s.wsUrl, token, file);
    expect(again.outbox.pending.map((i) => i.body.text)).toEqual(
      Array.from({ length: 30 }, (_, i) => `offline ${i}`),
    );
    again.client.start();
    await until(() => again.outbox.pending.length === 0, 'the outbox to empty', 10_000);
    const reader = await ProtoClient.connect(s.wsUrl, token);
    cleanups.push(() => reader.close());
    const stored = await reader.allHistory('group:later');
    expect(stored.map((m) => m.body.text)).toEqual(
      Array.from({ length: 30 }, (_, i) => `offline ${i}`),
    );
  }, 30_000);

  it('a refused message is marked failed with its code, the rest go on, and retry sends it', async () => {
    const s = await startTestServer();
    cleanups.push(() => s.stop());
    const { token } = await s.user('alice');
    const { client, outbox } = app(s.wsUrl, token, join(tempDir(), 'outbox.json'));
    client.start();
    await until(() => client.status.state === 'online', 'online', 5000);
    await client.request('join', { group: 'ok' });
    await client.request('join', { group: 'later' });
    await client.request('leave', { group: 'later' });
    const failed: string[] = [];
    outbox.on('failed', ({ item }) => failed.push(`${item.body.text}:${item.error?.code}`));
    const blocked = outbox.enqueue({ group: 'later' }, { text: 'too early' });
    outbox.enqueue({ group: 'ok' }, { text: 'x'.repeat(16_385) });
    outbox.enqueue({ group: 'ok' }, { text: 'fine' });
    await until(() => outbox.pending.length === 2 && failed.length === 2, 'two refusals', 5000);
    expect(failed).toEqual(['too early:NOT_JOINED', `${'x'.repeat(16_385)}:TOO_LARGE`]);
    await client.request('join', { group: 'later' });
    outbox.retry(blocked.clientMsgId);
    await until(() => outbox.pending.length === 1, 'the retried message', 5000);
    expect(outbox.pending[0]!.error?.code).toBe('TOO_LARGE');
    outbox.discard(outbox.pending[0]!.clientMsgId);
    expect(outbox.pending).toEqual([]);
  });

  it('waits out RATE_LIMITED at the default limits and still delivers everything in order', async () => {
    const s = await startTestServer();
    cleanups.push(() => s.stop());
    const { token } = await s.user('alice');
    const { client, outbox } = app(s.wsUrl, token, join(tempDir(), 'outbox.json'));
    client.start();
    await until(() => client.status.state === 'online', 'online', 5000);
    await client.request('join', { group: 'burst' });
    for (let i = 0; i < 70; i++) outbox.enqueue({ group: 'burst' }, { text: `b${i}` });
    await until(() => outbox.pending.length === 0, 'the outbox to empty', 10_000);
    const reader = await ProtoClient.connect(s.wsUrl, token);
    cleanups.push(() => reader.close());
    const stored = await reader.allHistory('group:burst');
    expect(stored.map((m) => m.body.text)).toEqual(Array.from({ length: 70 }, (_, i) => `b${i}`));
  }, 20_000);
});
