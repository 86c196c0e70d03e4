// Delivery under fire: 4 desktop clients (the core's RealtimeClient, ConversationState and Outbox)
// post 1,000 messages through a loopback proxy that resets, stalls, silences and slows their
// connections — at least 200 faults — while the server is SIGKILLed and restarted once.
// Asserted: every message stored exactly once, each sender's order kept, and every client
// receiving all 1,000 (live or through resume).
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ConversationState } from '../../src/main/core/conversations.js';
import { jsonFileOutboxStore } from '../../src/main/core/json-file.js';
import { Outbox } from '../../src/main/core/outbox.js';
import { RealtimeClient } from '../../src/main/core/realtime-client.js';
import { wsSocketFactory } from '../../src/main/core/ws-socket.js';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { runServerProcess, signUp, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/test-server.js';
import { freePort, until } from '../helpers/wait.js';

const CLIENTS = 4;
const PER_CLIENT = 250;
const MIN_FAULTS = 200;
const GROUP = 'faults';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A tiny seeded generator, so a failing run can be replayed. */
function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

it('1,000 messages across 200+ faults and a server SIGKILL: 0 lost, 0 duplicated, order kept', async () => {
  const random = seeded(2026);
  const dataDir = tempDir();
  const config = join(dataDir, 'config.json');
  // A 1 s heartbeat so half-open sockets are found in about 2 s; limits raised for 4 busy writers.
  writeFileSync(
    config,
    JSON.stringify({
      heartbeatMs: 1000,
      // The server replays at most 50 missed events per conversation: resumes come back
      // incomplete in every run, and clients must page the rest (RealtimeClient fills gaps).
      resumeMaxEvents: 50,
      scryptCost: 1024,
      limits: {
        requestsPerSecond: 100_000,
        requestBurst: 100_000,
        connectionsPerIpPerMinute: 100_000,
      },
    }),
  );
  const port = await freePort();
  const args = ['--port', String(port), '--data', dataDir, '--config', config];
  let server: ServerProcess = await runServerProcess(args);
  cleanups.push(() => server.child.kill('SIGKILL'));
  const proxy = await startFaultProxy(port, random);
  cleanups.push(() => proxy.close());

  const users = [];
  for (let i = 0; i < CLIENTS; i++) users.push(await signUp(server.url, `faulty${i}`));
  const clients = users.map((user, i) => {
    const state = new ConversationState(user.userId);
    const client = new RealtimeClient({
      url: `ws://127.0.0.1:${proxy.port}/v1/realtime`,
      token: () => user.token,
      socketFactory: wsSocketFactory,
      resumeFrom: () => state.lastSeqs(),
      backoffBaseMs: 100,
      backoffMaxMs: 1000,
      requestTimeoutMs: 3000,
    });
    const outbox = new Outbox(
      client,
      jsonFileOutboxStore(join(dataDir, `outbox-${i}.json`)),
      randomUUID,
    );
    const received = new Set<string>();
    client.on('event', (e) => {
      state.apply(e);
      if (e.event === 'message:send' && e.data.conversation === `group:${GROUP}`)
        received.add(e.data.body?.text ?? '');
    });
    cleanups.push(() => {
      outbox.dispose();
      client.dispose();
    });
    client.start();
    return { user, client, outbox, received };
  });
  await until(() => clients.every((c) => c.client.status.state === 'online'), 'all online', 10_000);
  for (const c of clients) await c.client.request('join', { group: GROUP });

  // Writers: each enqueues its messages steadily over about 8 s.
  const writing = clients.map(async (c, ci) => {
    for (let i = 0; i < PER_CLIENT; i++) {
      c.outbox.enqueue({ group: GROUP }, { text: `${ci}:${i}` });
      await new Promise((r) => setTimeout(r, 30));
    }
  });

  // Faults: one every 40 ms until at least 200 have landed and the writers are done; one SIGKILL.
  const kinds: Fault[] = ['reset', 'reset', 'stall', 'stall', 'half-open', 'slow'];
  let injected = 0;
  let killed = false;
  const deadline = Date.now() + 60_000;
  let writersDone = false;
  void Promise.all(writing).then(() => (writersDone = true));
  while ((injected < MIN_FAULTS || !writersDone) && Date.now() < deadline) {
    if (proxy.inject(kinds[Math.floor(random() * kinds.length)]!)) injected++;
    if (!killed && injected >= MIN_FAULTS / 2) {
      killed = true;
      server.child.kill('SIGKILL');
      await server.exited;
      await new Promise((r) => setTimeout(r, 300));
      server = await runServerProcess(args);
    }
    await new Promise((r) => setTimeout(r, 40));
  }
  expect(injected).toBeGreaterThanOrEqual(MIN_FAULTS);
  expect(killed).toBe(true);

  const total = CLIENTS * PER_CLIENT;
  await until(
    () => clients.every((c) => c.outbox.pending.length === 0 && c.received.size === total),
    'every message sent and received by everyone',
    60_000,
  ).catch((err: Error) => {
    // Say where it stuck, so that a failure on CI can be read without a rerun.
    const where = clients.map((c, i) => ({
      client: i,
      pending: c.outbox.pending.length,
      failed: c.outbox.pending.filter((p) => p.state === 'failed').map((p) => p.error?.code),
      received: c.received.size,
      status: c.client.status.state,
    }));
    throw new Error(`${err.message}: ${JSON.stringify(where)}`);
  });

  // What the server stored: each message once, each sender's messages in the order written.
  const reader = await ProtoClient.connect(server.wsUrl, users[0]!.token);
  cleanups.push(() => reader.close());
  const stored = await reader.allHistory(`group:${GROUP}`);
  const texts = stored.map((m) => m.body.text);
  const duplicated = texts.length - new Set(texts).size;
  const lost = total - new Set(texts).size;
  for (let ci = 0; ci < CLIENTS; ci++) {
    const mine = texts.filter((t) => t.startsWith(`${ci}:`)).map((t) => Number(t.split(':')[1]));
    expect(mine).toEqual(Array.from({ length: PER_CLIENT }, (_, i) => i));
  }
  expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
  console.log(
    `delivery under faults: ${total} messages, ${injected} faults (${JSON.stringify(proxy.counts)}) and 1 server SIGKILL; ` +
      `lost ${lost}, duplicated ${duplicated}, order kept for each of ${CLIENTS} senders; every client received all ${total}`,
  );
}, 150_000);
