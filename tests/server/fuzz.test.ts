// Bad input, generated: every frame gets a coded answer or a documented close, the server never
// crashes, and a bystander keeps working throughout. fast-check makes the frames.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ProtoClient } from '../helpers/proto-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const REQUEST_TYPES = [
  'join',
  'leave',
  'groups',
  'users',
  'post',
  'edit',
  'remove',
  'compose',
  'history',
  'read',
  'bind',
  'subscribe',
  'unsubscribe',
  'presence',
  'rtc',
  'notify',
  'conversations',
  'ice',
  'authrequest',
];
/** Close codes the protocol documents for bad input (1007: invalid UTF-8, 1009: too large). */
const DOCUMENTED_CLOSES = new Set([1007, 1009, 4029]);

let server: TestServer;
let token: string;
let bystander: ProtoClient;

beforeAll(async () => {
  // Limits raised so that the fuzzing connection is not simply rate limited into silence, and
  // can reconnect after each documented close (invalid UTF-8 closes 1007).
  server = await startTestServer({
    limits: {
      requestsPerSecond: 1_000_000,
      requestBurst: 1_000_000,
      connectionsPerIpPerMinute: 1_000_000,
    },
  });
  token = (await server.user('fuzzer')).token;
  bystander = await server.client('bystander');
  await bystander.ok('join', { group: 'calm' });
});
afterAll(async () => {
  await bystander.close();
  await server.stop();
});

/** Any JSON value, with the keys that break naive code thrown in. */
const nasty = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 0),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string(),
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'type', 'id'),
      ),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value;

/** Frames shaped like requests: a known type, any id, any parameters. */
const schemaFrame = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...REQUEST_TYPES), fc.string(), nasty),
    id: fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.string(), nasty),
    group: fc.oneof(fc.string(), nasty),
    to: fc.oneof(fc.record({ group: fc.string() }), fc.record({ user: fc.string() }), nasty),
    body: fc.oneof(fc.record({ text: fc.string() }), nasty),
    clientMsgId: fc.oneof(fc.string(), nasty),
    conversation: fc.oneof(fc.constantFrom('group:calm', 'dm:u_x', 'group:'), fc.string(), nasty),
    topic: fc.oneof(fc.constantFrom('/metrics', '/presence', '/groups/calm/messages'), nasty),
    status: fc.oneof(fc.constantFrom('online', 'away', 'busy', 'invisible'), nasty),
    seq: nasty,
    limit: nasty,
    signal: nasty,
    user_ids: nasty,
  },
  { requiredKeys: ['type', 'id'] },
);

interface Conn {
  ws: WebSocket;
  frames: Record<string, unknown>[];
  closed: number | null;
}

async function connect(): Promise<Conn> {
  const ws = new WebSocket(server.wsUrl);
  const conn: Conn = { ws, frames: [], closed: null };
  ws.on('message', (d) => conn.frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
  ws.on('close', (code) => (conn.closed = code));
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'authrequest', id: 'auth', token }));
  await waitFor(conn, (f) => f.type === 'authresponse');
  return conn;
}

const ANSWER_TYPES = new Set(['reply', 'error', 'pong', 'authresponse']);

/** Resolves with the next answer frame after `from`, or the close code; rejects on silence. */
function waitFor(
  conn: Conn,
  match: (f: Record<string, unknown>) => boolean,
  from = 0,
  timeoutMs = 2000,
) {
  return new Promise<Record<string, unknown> | number>((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const hit = conn.frames.slice(from).find(match);
      if (hit) return resolve(hit);
      if (conn.closed !== null) return resolve(conn.closed);
      if (Date.now() - started > timeoutMs) return reject(new Error('no answer and no close'));
      setImmediate(tick);
    };
    tick();
  });
}

/** Sends one frame and returns what answered it: a frame with an error code, a result, or a close. */
async function probe(conn: Conn, data: string | Buffer, binary = false) {
  const from = conn.frames.length;
  conn.ws.send(data, { binary });
  return waitFor(conn, (f) => ANSWER_TYPES.has(String(f.type)), from);
}

function isCodedAnswer(answer: Record<string, unknown> | number): boolean {
  if (typeof answer === 'number') return DOCUMENTED_CLOSES.has(answer);
  if (answer.type === 'pong') return true;
  if (answer.type === 'reply' && answer.ok === true) return true;
  const error = answer.error as { code?: unknown } | undefined;
  // INTERNAL is a server fault, not an answer to bad input.
  return (
    typeof error?.code === 'string' && /^[A-Z_]+$/.test(error.code) && error.code !== 'INTERNAL'
  );
}

describe('fuzzing the gateway', () => {
  it('10,000 schema-guided frames: each answered with a result or a coded error', async () => {
    let conn = await connect();
    let tried = 0;
    let reconnects = 0;
    await fc.assert(
      fc.asyncProperty(schemaFrame, async (frame) => {
        tried++;
        if (conn.closed !== null) {
          conn = await connect();
          reconnects++;
        }
        const text = JSON.stringify(frame);
        // Frames without a usable id may legitimately get no reply when their type is pong.
        if (frame.type === 'pong') return;
        const answer = await probe(conn, text);
        expect(isCodedAnswer(answer), `${text.slice(0, 200)} → ${JSON.stringify(answer)}`).toBe(
          true,
        );
      }),
      { numRuns: 10_000, seed: 42 },
    );
    conn.ws.close();
    // The bystander never noticed.
    expect((await bystander.request('groups', { limit: 1 })).ok).toBe(true);
    console.log(
      `fuzz: ${tried} schema-guided frames, ${reconnects} reconnects after documented closes, 0 crashes`,
    );
  }, 120_000);

  it('1,000 raw frames: broken JSON, invalid UTF-8, binary, deep nesting, huge numbers', async () => {
    let conn = await connect();
    let closes = 0;
    const raw = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => ({ data: Buffer.from(b), binary: true })),
      fc
        .uint8Array({ minLength: 1, maxLength: 200 })
        .map((b) => ({ data: Buffer.from(b), binary: false })),
      fc.string({ maxLength: 300 }).map((s) => ({ data: s, binary: false })),
      fc
        .integer({ min: 1, max: 20_000 })
        .map((n) => ({ data: `${'['.repeat(n)}${']'.repeat(n)}`, binary: false })),
      fc.integer({ min: 1, max: 5_000 }).map((n) => ({
        data: `{"type":"post","id":"d","to":{"group":"calm"},"clientMsgId":"deep${n}","body":{"text":"x","deep":${'['.repeat(n)}${']'.repeat(n)}}}`,
        binary: false,
      })),
      fc.constantFrom(
        { data: '{"type":"groups","id":"n","limit":1e999}', binary: false },
        {
          data: '{"type":"read","id":"n","conversation":"group:calm","seq":123456789012345678901234567890}',
          binary: false,
        },
        { data: '{"__proto__":{"polluted":true},"type":"groups","id":"p"}', binary: false },
        {
          data: '{"type":"groups","id":"p","constructor":{"prototype":{"polluted":true}}}',
          binary: false,
        },
      ),
    );
    await fc.assert(
      fc.asyncProperty(raw, async ({ data, binary }) => {
        if (conn.closed !== null) {
          conn = await connect();
          closes++;
        }
        const answer = await probe(conn, data, binary);
        expect(
          isCodedAnswer(answer),
          `${String(data).slice(0, 120)} → ${JSON.stringify(answer)}`,
        ).toBe(true);
      }),
      { numRuns: 1_000, seed: 7 },
    );
    conn.ws.close();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await bystander.request('groups', { limit: 1 })).ok).toBe(true);
    console.log(`fuzz: 1000 raw frames, ${closes} documented closes (invalid UTF-8), 0 crashes`);
  }, 120_000);
});
