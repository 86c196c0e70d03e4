// Authentication: the handshake, every way a token can be wrong, and the limits around it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtoClient, quiet } from '../helpers/proto-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let alice: { userId: string; token: string };

beforeAll(async () => {
  server = await startTestServer({
    authTimeoutMs: 300,
    limits: { tokenFailuresPerIpPerMinute: 1000 },
  });
  alice = await server.user('alice');
});
afterAll(() => server.stop());

function secretOf(s: TestServer): Uint8Array {
  return new TextEncoder().encode(
    readFileSync(join(s.config.dataDir, 'token-secret'), 'utf8').trim(),
  );
}

async function expectRefused(token: string, code: string) {
  const c = await ProtoClient.open(server.wsUrl);
  const res = await c.auth(token);
  expect(res).toMatchObject({ type: 'authresponse', success: false, error: { code } });
  expect((await c.closed).code).toBe(4001);
}

describe('the handshake', () => {
  it('is silent until the authrequest, then answers with user, cid and heartbeat', async () => {
    const c = await ProtoClient.open(server.wsUrl);
    await quiet(150);
    expect(c.frames).toEqual([]);
    const res = await c.auth(alice.token);
    expect(res).toMatchObject({
      type: 'authresponse',
      success: true,
      user: { userId: alice.userId, username: 'alice', displayName: 'alice' },
      heartbeat: 25,
      limits: { maxTextBytes: 16 * 1024, maxFileBytes: 256 * 1024 * 1024 },
    });
    expect(res.cid).toMatch(/^c_/);
    await c.close();
  });

  it('gives each connection its own cid', async () => {
    const a = await ProtoClient.connect(server.wsUrl, alice.token);
    const b = await ProtoClient.connect(server.wsUrl, alice.token);
    expect(a.cid).not.toBe(b.cid);
    await Promise.all([a.close(), b.close()]);
  });

  it('answers NOT_AUTHENTICATED to a request before the authrequest, and stays open', async () => {
    const c = await ProtoClient.open(server.wsUrl);
    expect((await c.fails('join', { group: 'x' })).code).toBe('NOT_AUTHENTICATED');
    expect((await c.auth(alice.token)).success).toBe(true);
    await c.close();
  });

  it('processes requests sent right behind the authrequest once it succeeds', async () => {
    const c = await ProtoClient.open(server.wsUrl);
    const auth = c.auth(alice.token);
    const join = c.request('join', { group: 'pipelined' });
    expect((await auth).success).toBe(true);
    expect((await join).ok).toBe(true);
    await c.close();
  });

  it('refuses a second authrequest with ALREADY_AUTHENTICATED', async () => {
    const c = await ProtoClient.connect(server.wsUrl, alice.token);
    const again = await c.request('authrequest', { token: alice.token });
    expect(again.error?.code).toBe('ALREADY_AUTHENTICATED');
    await c.close();
  });

  it('closes 4008 when no authrequest arrives in time', async () => {
    const c = await ProtoClient.open(server.wsUrl);
    const started = Date.now();
    expect((await c.closed).code).toBe(4008);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('refuses another protocol version', async () => {
    const c = await ProtoClient.open(server.wsUrl);
    const res = await c.auth(alice.token, { version: '2' });
    expect(res.error?.code).toBe('UNSUPPORTED_VERSION');
    expect((await c.closed).code).toBe(4001);
  });
});

describe('bad tokens are refused with 4001', () => {
  it('garbage', () => expectRefused('not-a-token', 'AUTH_FAILED'));

  it('signed with another secret', async () => {
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice.userId)
      .setIssuer('parley')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(43)));
    await expectRefused(forged, 'AUTH_FAILED');
  });

  it('unsigned (alg none)', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: alice.userId, iss: 'parley', exp })}.`;
    await expectRefused(unsigned, 'AUTH_FAILED');
  });

  it('with the right secret but another algorithm', async () => {
    const other = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(alice.userId)
      .setIssuer('parley')
      .setExpirationTime('1h')
      .sign(secretOf(server));
    await expectRefused(other, 'AUTH_FAILED');
  });

  it('expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice.userId)
      .setIssuer('parley')
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(secretOf(server));
    await expectRefused(expired, 'TOKEN_EXPIRED');
  });

  it('for an account that does not exist', async () => {
    const ghost = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u_ghost')
      .setIssuer('parley')
      .setExpirationTime('1h')
      .sign(secretOf(server));
    await expectRefused(ghost, 'AUTH_FAILED');
  });

  it('an authrequest without a token', async () => {
    const c = await ProtoClient.open(server.wsUrl);
    c.send({ type: 'authrequest', id: '1' });
    const res = await c.waitFor((f) => f.type === 'authresponse');
    expect(res).toMatchObject({ success: false, error: { code: 'BAD_REQUEST' } });
    expect((await c.closed).code).toBe(4001);
  });
});

describe('token failures per IP', () => {
  it('WebSocket: failed tokens lock no one out; a valid token still connects (review M9)', async () => {
    const s = await startTestServer();
    try {
      const { token } = await s.user('mallorys-victim');
      for (let i = 0; i < 12; i++) {
        const c = await ProtoClient.open(s.wsUrl);
        expect((await c.auth('bad')).success).toBe(false);
        expect((await c.closed).code).toBe(4001);
      }
      const good = await ProtoClient.open(s.wsUrl);
      expect((await good.auth(token)).success).toBe(true);
      await good.close();
    } finally {
      await s.stop();
    }
  });

  it('HTTP: 10 wrong passwords get 401, the 11th attempt 429 with Retry-After, even if right', async () => {
    const s = await startTestServer();
    try {
      await s.user('victim', 'the right password');
      for (let i = 0; i < 10; i++) {
        const r = await s.post('/v1/tokens', { username: 'victim', password: `guess ${i}` });
        expect(r.status).toBe(401);
        expect(await r.json()).toEqual({
          error: { code: 'INVALID_CREDENTIALS', message: 'wrong username or password' },
        });
      }
      const blocked = await s.post('/v1/tokens', {
        username: 'victim',
        password: 'the right password',
      });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe(
        'RATE_LIMITED',
      );
    } finally {
      await s.stop();
    }
  });
});
