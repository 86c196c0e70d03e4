// The REST side: accounts, tokens, endpoint, health, metrics, and every error answer.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/server/log.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function json(r: Response) {
  return (await r.json()) as Record<string, unknown> & {
    error?: { code: string; message: string };
  };
}

describe('POST /v1/users', () => {
  it('creates an account: 201 with userId and username', async () => {
    const r = await server.post('/v1/users', {
      username: 'Ann',
      password: 'long enough',
      displayName: 'Ann A.',
    });
    expect(r.status).toBe(201);
    const body = await json(r);
    expect(body).toEqual({ userId: expect.stringMatching(/^u_/), username: 'Ann' });
  });

  it('409 USERNAME_TAKEN, whatever the case', async () => {
    const r = await server.post('/v1/users', { username: 'ann', password: 'long enough' });
    expect(r.status).toBe(409);
    expect((await json(r)).error?.code).toBe('USERNAME_TAKEN');
  });

  it('400 BAD_REQUEST for a short password, a bad username, bad JSON', async () => {
    const short = await server.post('/v1/users', { username: 'shorty', password: 'short' });
    expect(short.status).toBe(400);
    expect((await json(short)).error).toEqual({
      code: 'BAD_REQUEST',
      message: 'password: a password has at least 8 characters',
    });
    const bad = await server.post('/v1/users', {
      username: 'no spaces allowed',
      password: 'long enough',
    });
    expect(bad.status).toBe(400);
    const raw = await fetch(`${server.url}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(raw.status).toBe(400);
    expect((await json(raw)).error?.code).toBe('BAD_REQUEST');
  });

  it('415 for a non-JSON body, 413 for an oversized one', async () => {
    const form = await fetch(`${server.url}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=x',
    });
    expect(form.status).toBe(415);
    expect((await json(form)).error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const huge = await server.post('/v1/users', { username: 'big', password: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
    expect((await json(huge)).error?.code).toBe('TOO_LARGE');
  });

  it('403 REGISTRATION_CLOSED when closed; an administrator can still create accounts', async () => {
    const closed = await startTestServer({ registration: 'closed' });
    try {
      const r = await closed.post('/v1/users', { username: 'walkin', password: 'long enough' });
      expect(r.status).toBe(403);
      expect((await json(r)).error?.code).toBe('REGISTRATION_CLOSED');
      // Seed an administrator directly, as an operator would on a closed server.
      const { hashPassword } = await import('../../src/server/auth.js');
      await closed.store.createUser({
        username: 'root',
        displayName: 'root',
        passHash: await hashPassword('root password', 1024),
      });
      const t = await json(
        await closed.post('/v1/tokens', { username: 'root', password: 'root password' }),
      );
      const byAdmin = await closed.post(
        '/v1/users',
        { username: 'invited', password: 'long enough' },
        { authorization: `Bearer ${String(t.token)}` },
      );
      expect(byAdmin.status).toBe(201);
    } finally {
      await closed.stop();
    }
  });
});

describe('POST /v1/tokens', () => {
  it('200 with a token and its expiry; the token opens a realtime connection', async () => {
    await server.post('/v1/users', { username: 'tina', password: 'tina password' });
    const r = await server.post('/v1/tokens', { username: 'tina', password: 'tina password' });
    expect(r.status).toBe(200);
    const body = (await r.json()) as {
      token: string;
      expiresAt: number;
      userId: string;
      username: string;
    };
    expect(body.expiresAt).toBeGreaterThan(Date.now() + 24 * 3600 * 1000);
    expect(body.username).toBe('tina');
    expect(body.userId).toMatch(/^u_/);
    const c = await ProtoClient.connect(server.wsUrl, body.token);
    expect(c.cid).toMatch(/^c_/);
    await c.close();
  });

  it('401 INVALID_CREDENTIALS for a wrong password or an unknown user, with the same message', async () => {
    const wrong = await server.post('/v1/tokens', { username: 'tina', password: 'nope nope' });
    const unknown = await server.post('/v1/tokens', {
      username: 'nobody-here',
      password: 'nope nope',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await json(wrong)).toEqual(await json(unknown));
  });
});

describe('other endpoints', () => {
  it('GET /v1/realtime/endpoint gives the WebSocket URL to open', async () => {
    const r = await fetch(`${server.url}/v1/realtime/endpoint`);
    expect(await r.json()).toEqual({ url: server.wsUrl });
  });

  it('GET /healthz', async () => {
    const r = await fetch(`${server.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true });
  });

  it('GET /metrics in Prometheus text format, counting connections and messages', async () => {
    const c = await server.client('metric-user');
    await c.ok('join', { group: 'm' });
    await c.ok('post', { to: { group: 'm' }, body: { text: 'count me' }, clientMsgId: '1' });
    // Only for an administrator (review L1): Ann made the first account.
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const mine = await server.user('metric-user');
    const asMember = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${mine.token}` },
    });
    expect(asMember.status).toBe(403);
    const admin = (await json(
      await server.post('/v1/tokens', { username: 'Ann', password: 'long enough' }),
    )) as { token: string };
    const r = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    expect(text).toMatch(/^parley_authenticated_connections 1$/m);
    expect(text).toMatch(/^parley_messages_total [1-9]/m);
    expect(text).toMatch(/^parley_process_cpu_seconds_total/m);
    await c.close();
  });

  it('404 NOT_FOUND and 405 with Allow', async () => {
    const missing = await fetch(`${server.url}/v2/whatever`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error?.code).toBe('NOT_FOUND');
    const wrongMethod = await fetch(`${server.url}/v1/users`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('a WebSocket upgrade on another path is answered 404', async () => {
    const err = await ProtoClient.open(server.wsUrl.replace('/v1/realtime', '/elsewhere')).catch(
      (e: { status?: number }) => e,
    );
    expect(err).toMatchObject({ status: 404 });
  });
});

describe('logs', () => {
  it('never contain a token or a password, at the most verbose level', async () => {
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        output += chunk.toString();
        done();
      },
    });
    const s = await startTestServer({ logLevel: 'trace' }, { log: createLogger('trace', sink) });
    try {
      const password = 'super secret password 42';
      await s.post('/v1/users', { username: 'logged', password });
      await s.post('/v1/tokens', { username: 'logged', password: 'wrong password 42' });
      const t = (await (await s.post('/v1/tokens', { username: 'logged', password })).json()) as {
        token: string;
      };
      const c = await ProtoClient.connect(s.wsUrl, t.token);
      await c.request('authrequest', { token: t.token });
      await c.close();
      const bad = await ProtoClient.open(s.wsUrl);
      await bad.auth(`${t.token}tampered`);
      await bad.closed;
      expect(output).toContain('Parley server listening');
      expect(output).toContain('authenticated');
      expect(output).not.toContain(password);
      expect(output).not.toContain('wrong password 42');
      expect(output).not.toContain(t.token);
      expect(output).not.toContain(t.token.split('.')[2]!);
    } finally {
      await s.stop();
    }
  });
});
