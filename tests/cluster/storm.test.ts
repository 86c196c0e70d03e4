// A reconnect storm (scaleout.md §6, acceptance 12): 2,000 connections on one node, the node
// SIGKILLed while a writer posts; every connection comes back through HAProxy on the survivors,
// authenticates, resumes, and ends with every message once and in order.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_POSTGRES } from '../helpers/postgres.js';
import { ProtoClient, quiet } from '../helpers/proto-client.js';
import { HAVE_REDIS } from '../helpers/redis.js';
import { signUp } from '../helpers/server-process.js';
import { until } from '../helpers/wait.js';
import { haproxyBin, startCluster, type TestCluster } from './harness.js';

const ready = HAVE_POSTGRES && HAVE_REDIS && haproxyBin() !== undefined;
const USERS = 200;
const PER_USER = 10;
const POSTS = 40;
const SOURCES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 1}`);

/** A bare reconnecting client: the least work per socket, so 2,000 fit in the test process. */
class StormClient {
  last = 0;
  seqs: number[] = [];
  authenticated = 0;
  private ws: WebSocket | undefined;
  private stopped = false;

  constructor(
    private readonly url: () => string,
    private readonly token: string,
    private readonly source: string,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const ws = new WebSocket(this.url(), { localAddress: this.source });
      this.ws = ws;
      let done = false;
      const settle = () => {
        if (!done) {
          done = true;
          resolve();
        }
      };
      ws.on('open', () =>
        ws.send(
          JSON.stringify({
            type: 'authrequest',
            id: 'a',
            token: this.token,
            version: '1',
            resume: { 'group:storm': this.last },
          }),
        ),
      );
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text === '{"type":"ping"}') return ws.send('{"type":"pong"}');
        const f = JSON.parse(text) as {
          type: string;
          success?: boolean;
          event?: string;
          data?: { seq: number };
        };
        if (f.type === 'authresponse' && f.success) {
          this.authenticated++;
          settle();
        } else if (f.event === 'message:send') {
          const seq = f.data!.seq;
          if (seq > this.last) {
            this.last = seq;
            this.seqs.push(seq);
          } else this.seqs.push(-seq); // a duplicate: recorded to fail the test
        }
      });
      const retry = () => {
        settle();
        if (this.ws !== ws || this.stopped) return;
        setTimeout(() => void this.connect(), 100 + Math.random() * 900);
      };
      ws.on('close', retry);
      ws.on('error', () => ws.terminate());
      ws.on('unexpected-response', () => ws.terminate());
    });
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}

describe.skipIf(!ready)('reconnect storm', () => {
  let cluster: TestCluster;
  const clients: StormClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 3,
      settings: {
        heartbeatMs: 2000,
        scryptCost: 1024,
        limits: {
          connectionsPerIpPerMinute: 100_000,
          signUpsPerIpPerMinute: 100_000,
          signInsPerIpPerMinute: 100_000,
          signInsInFlightPerIp: 100_000,
          maxConnections: 10_000,
        },
      },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.stop();
    await cluster?.stop();
  });

  it('2,000 connections of a killed node are back on the others and complete', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < USERS; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) => signUp(cluster.url, `storm${i + j}`)),
      );
      for (const u of batch) {
        const c = await ProtoClient.connect(cluster.wsUrl(cluster.url), u.token);
        await c.ok('join', { group: 'storm' });
        c.ws.close();
        tokens.push(u.token);
      }
    }
    const writerUser = await signUp(cluster.url, 'stormwriter');
    const writer = await ProtoClient.connect(cluster.wsUrl(cluster.nodeUrl(0)), writerUser.token);
    await writer.ok('join', { group: 'storm' });

    // Everyone on node 3 first; after the kill, the balancer sends them to the others.
    let first = true;
    const target = () => cluster.wsUrl(first ? cluster.nodeUrl(2) : cluster.url);
    for (let i = 0; i < USERS * PER_USER; i++) {
      clients.push(new StormClient(target, tokens[i % USERS]!, SOURCES[i % SOURCES.length]!));
    }
    for (let i = 0; i < clients.length; i += 100) {
      await Promise.all(clients.slice(i, i + 100).map((c) => c.connect()));
    }
    // Everyone is in. (On a busy machine a client may already have reconnected once, after a
    // missed heartbeat: "back" below counts reconnections after the kill, whatever came before.)
    expect(clients.every((c) => c.authenticated >= 1)).toBe(true);
    first = false;

    for (let i = 1; i <= POSTS / 2; i++) {
      await writer.ok('post', {
        to: { group: 'storm' },
        body: { text: `s${i}` },
        clientMsgId: `s${i}`,
      });
    }
    const before = clients.map((c) => c.authenticated);
    const killedAt = Date.now();
    cluster.signal(2, 'SIGKILL');
    // The second half is posted while the storm goes on.
    for (let i = POSTS / 2 + 1; i <= POSTS; i++) {
      await writer.ok('post', {
        to: { group: 'storm' },
        body: { text: `s${i}` },
        clientMsgId: `s${i}`,
      });
      await quiet(50);
    }
    const isBack = (c: StormClient, i: number) => c.authenticated > before[i]!;
    await until(() => clients.every(isBack), 'everyone back', 60_000).catch(() => undefined);
    const backMs = Date.now() - killedAt;
    await until(() => clients.every((c) => c.last === POSTS), 'everything delivered', 60_000).catch(
      () => undefined,
    );
    const completeMs = Date.now() - killedAt;
    const back = clients.filter(isBack).length;
    const complete = clients.filter(
      (c) => c.seqs.length === POSTS && c.seqs.every((s, i) => s === i + 1),
    ).length;
    console.log(
      `[storm] ${clients.length} connections on the killed node: ${back} back in ${backMs} ms, ` +
        `${complete} with all ${POSTS} messages once and in order after ${completeMs} ms`,
    );
    expect(back).toBe(clients.length);
    // How fast is a figure, printed above; the 20 s target of acceptance 12 is a benchmark's to
    // judge, not this test's (on a shared machine a timed assertion fails for the machine).
    expect(complete).toBe(clients.length);
  }, 180_000);
});
