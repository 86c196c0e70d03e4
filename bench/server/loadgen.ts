// Load generator, in its own process. Holds many client sockets and a publisher, all raw `ws`
// with the least client-side work each protocol allows, so that the three servers are compared
// with the same (cheap) clients. Talks to run.ts over the IPC channel; loopback addresses only.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { TargetKind } from './target.js';

export interface Job {
  kind: TargetKind;
  /** ws://127.0.0.1:PORT (the path is added per kind). */
  base: string;
  /** Parley access tokens, cycled over the connections. */
  tokens: string[];
  /** Connections to open now; a second connect adds more. */
  connections: number;
  /** Index of the first of them (which token it takes). */
  first?: number;
  concurrency: number;
  /** Whether subscriber connections join the group (fan-out, latency) or stay idle. */
  join: boolean;
  /** Whether to open one more member that publishes (fan-out, latency). */
  publisher: boolean;
}
export type RunSpec =
  | {
      scenario: 'fanout';
      messages: number;
      window: number;
      bytes: number;
      deadlineMs: number;
      /** Publishers (in this and other load generators) sending `messages` each at once. */
      sources?: number;
    }
  | { scenario: 'latency'; rate: number; durationMs: number; bytes: number }
  | { scenario: 'idle'; holdMs: number };
export type LoadgenRequest =
  { type: 'connect'; job: Job } | { type: 'run'; spec: RunSpec } | { type: 'close' };

const GROUP = 'bench';
/** Spread client sockets over several loopback source addresses so ephemeral ports last. */
const SOURCE_ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 1}`);

interface Client {
  ws: WebSocket;
  /** Called for every frame once measuring starts. */
  onFrame: (data: Buffer) => void;
}

function urlOf(job: Job): string {
  if (job.kind === 'parley') return `${job.base}/v1/realtime`;
  if (job.kind === 'socketio') return `${job.base}/socket.io/?EIO=4&transport=websocket`;
  return job.base;
}

/** Opens one connection and brings it to the point where it receives the group's messages. */
function openClient(job: Job, index: number): Promise<Client> {
  const ws = new WebSocket(urlOf(job), {
    localAddress: SOURCE_ADDRESSES[index % SOURCE_ADDRESSES.length],
    perMessageDeflate: false,
  });
  const client: Client = { ws, onFrame: () => undefined };
  return new Promise((resolve, reject) => {
    let stage = 0;
    const fail = (why: string) => {
      ws.terminate();
      reject(new Error(`client ${index}: ${why}`));
    };
    ws.once('error', (e) => fail(e.message));
    ws.on('open', () => {
      if (job.kind === 'ws') {
        stage = 2;
        resolve(client);
      } else if (job.kind === 'parley') {
        const token = job.tokens[index % job.tokens.length]!;
        ws.send(JSON.stringify({ type: 'authrequest', id: 'a', token, events: ['message:send'] }));
      }
    });
    ws.on('message', (data: Buffer) => {
      if (stage === 2) {
        // Answer heartbeats without parsing every frame: pings are the only short frames.
        if (data.length < 20 && job.kind === 'parley' && data.toString() === '{"type":"ping"}') {
          ws.send('{"type":"pong"}');
          return;
        }
        if (job.kind === 'socketio' && data.length === 1 && data[0] === 0x32) {
          ws.send('3');
          return;
        }
        client.onFrame(data);
        return;
      }
      const text = data.toString();
      if (job.kind === 'parley') {
        const frame = JSON.parse(text) as { type: string; success?: boolean; ok?: boolean };
        if (frame.type === 'authresponse') {
          if (!frame.success) return fail(`auth refused: ${text}`);
          if (!job.join) {
            stage = 2;
            return resolve(client);
          }
          ws.send(JSON.stringify({ type: 'join', id: 'j', group: GROUP }));
        } else if (frame.type === 'reply') {
          if (!frame.ok) return fail(`join refused: ${text}`);
          stage = 2;
          resolve(client);
        }
      } else if (job.kind === 'socketio') {
        if (text.startsWith('0')) ws.send('40');
        else if (text.startsWith('40')) {
          stage = 2;
          resolve(client);
        }
      }
    });
  });
}

async function openAll(job: Job): Promise<{ clients: Client[]; seconds: number }> {
  const clients: Client[] = new Array(job.connections);
  const first = job.first ?? 0;
  let next = 0;
  const started = performance.now();
  async function worker() {
    while (next < job.connections) {
      const i = next++;
      clients[i] = await openClient(job, first + i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(job.concurrency, job.connections) }, worker));
  return { clients, seconds: (performance.now() - started) / 1000 };
}

/** Runs of this load generator so far: a later run's clientMsgIds must not repeat an earlier's. */
let runNumber = 0;

/** What the publisher sends for message number n, carrying its send time for latency. */
function publishFrame(kind: TargetKind, n: number, bytes: number): string {
  const stamp = `${performance.now().toFixed(3)}|${n}|`;
  const text = stamp + 'x'.repeat(Math.max(0, bytes - stamp.length));
  if (kind === 'parley') {
    return JSON.stringify({
      type: 'post',
      id: `p${n}`,
      to: { group: GROUP },
      body: { text },
      clientMsgId: `c${runNumber}-${n}`,
    });
  }
  if (kind === 'socketio') return `42${JSON.stringify(['post', text])}`;
  return text;
}

const TEXT_FIELD = Buffer.from('"text":"');
const SOCKETIO_PREFIX = Buffer.from('42["message","');

/**
 * The send time a received frame carries, read from the bytes: parsing every frame as JSON would
 * put the load generator's own work, not the server's, into the latency figures.
 */
function sentAt(kind: TargetKind, data: Buffer): number {
  let start = 0;
  if (kind === 'parley') start = data.indexOf(TEXT_FIELD) + TEXT_FIELD.length;
  else if (kind === 'socketio') start = SOCKETIO_PREFIX.length;
  const end = data.indexOf(0x7c /* | */, start);
  return Number(data.toString('latin1', start, end));
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

let job: Job | undefined;
let clients: Client[] = [];
let publisher: Client | undefined;

async function run(spec: RunSpec): Promise<Record<string, number>> {
  if (!job) throw new Error('connect first');
  runNumber++;
  const kind = job.kind;
  if (spec.scenario === 'idle') {
    await new Promise((r) => setTimeout(r, spec.holdMs));
    const open = clients.filter((c) => c.ws.readyState === WebSocket.OPEN).length;
    return { open };
  }
  const pub = publisher!;
  if (spec.scenario === 'fanout') {
    let received = 0;
    let echoed = 0;
    let sent = 0;
    const expected = spec.messages * clients.length * (spec.sources ?? 1);
    const started = performance.now();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(deadline);
        const seconds = (performance.now() - started) / 1000;
        resolve({ received, expected, seconds, deliveriesPerSecond: received / seconds });
      };
      const deadline = setTimeout(finish, spec.deadlineMs);
      const pump = () => {
        while (sent < spec.messages && sent - echoed < spec.window) {
          pub.ws.send(publishFrame(kind, sent, spec.bytes));
          sent++;
        }
      };
      pub.onFrame = () => {
        echoed++;
        pump();
      };
      for (const c of clients) {
        c.onFrame = () => {
          if (++received === expected) finish();
        };
      }
      pump();
    });
  }
  // latency: a steady rate; every delivery's publish-to-receive time.
  const total = Math.round((spec.rate * spec.durationMs) / 1000);
  const samples = new Float64Array(total * clients.length);
  let n = 0;
  for (const c of clients) {
    c.onFrame = (data) => {
      if (n < samples.length) samples[n++] = performance.now() - sentAt(kind, data);
    };
  }
  pub.onFrame = () => undefined;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / spec.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pub.ws.send(publishFrame(kind, i, spec.bytes));
  }
  const deadline = performance.now() + 10_000;
  while (n < samples.length && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const sorted = samples.slice(0, n).sort();
  return {
    samples: n,
    expected: samples.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? NaN,
  };
}

process.on('message', (msg: LoadgenRequest) => {
  void (async () => {
    try {
      if (msg.type === 'connect') {
        job = msg.job;
        const opened = await openAll(job);
        clients = clients.concat(opened.clients);
        // The publisher is one more member, and hears its own messages (the flow control).
        if (job.publisher && !publisher) {
          publisher = await openClient(job, (job.first ?? 0) + job.connections);
        }
        process.send!({
          type: 'connected',
          seconds: opened.seconds,
          rate: job.connections / opened.seconds,
        });
      } else if (msg.type === 'run') {
        process.send!({ type: 'result', result: await run(msg.spec) });
      } else {
        for (const c of [...clients, ...(publisher ? [publisher] : [])]) c.ws.terminate();
        process.exit(0);
      }
    } catch (err) {
      process.send!({ type: 'failed', error: (err as Error).message });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
