// Accounts against a real server: every failure a person meets on the sign-in screen.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountService,
  checkRealtimeUrl,
  normalizeServerUrl,
} from '../../src/main/core/accounts.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { freePort, memorySecrets } from '../helpers/wait.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ limits: { tokenFailuresPerIpPerMinute: 3 } });
});
afterAll(() => server.stop());

describe('normalizeServerUrl', () => {
  it.each([
    ['localhost:7420', 'http://localhost:7420'],
    ['127.0.0.1:7420/', 'http://127.0.0.1:7420'],
    ['chat.example.org', 'https://chat.example.org'],
    ['https://chat.example.org/some/path', 'https://chat.example.org'],
    ['  HTTP://LOCALHOST:7420  ', 'http://localhost:7420'],
  ])('%j → %s', (input, url) => expect(normalizeServerUrl(input)).toBe(url));

  it.each(['', 'ftp://example.org', 'https://user:pw@example.org', 'http://'])(
    'refuses %j',
    (input) => {
      expect(() => normalizeServerUrl(input)).toThrow(
        expect.objectContaining({ code: 'INVALID_URL' }),
      );
    },
  );
});

describe('AccountService', () => {
  it('signs up, keeps the token in the secret store, and the token opens a connection', async () => {
    const secrets = memorySecrets();
    const accounts = new AccountService(secrets);
    const account = await accounts.signUp(server.url, 'newcomer', 'a good password', 'New Comer');
    expect(account).toEqual({
      id: `${server.url}#${account.userId}`,
      serverUrl: server.url,
      realtimeUrl: server.wsUrl,
      userId: expect.stringMatching(/^u_/),
      username: 'newcomer',
    });
    const token = await accounts.token(account);
    expect(token).toBeTruthy();
    const c = await ProtoClient.connect(account.realtimeUrl, token!);
    expect(c.userId).toBe(account.userId);
    await c.close();
    // Sign-out ends the token on the server too: a copy of it no longer works (review M11).
    expect(await accounts.signOut(account)).toEqual({ revoked: true });
    expect(await accounts.token(account)).toBeNull();
    const copy = await ProtoClient.open(account.realtimeUrl);
    expect((await copy.auth(token!)).error?.code).toBe('TOKEN_REVOKED');
  });

  it('signs out on this computer even when the server cannot be reached', async () => {
    const secrets = memorySecrets();
    const accounts = new AccountService(secrets);
    const account = await accounts.signUp(server.url, 'offline-out', 'a good password');
    const gone = { ...account, serverUrl: `http://127.0.0.1:${await freePort()}` };
    expect(await accounts.signOut(gone)).toEqual({ revoked: false });
    expect(await accounts.token(account)).toBeNull();
  });

  it('changes the password: the new token works, the old one and the old password do not', async () => {
    const accounts = new AccountService(memorySecrets());
    const account = await accounts.signUp(server.url, 'changer', 'the old password');
    const before = (await accounts.token(account))!;
    await expect(
      accounts.changePassword(account, 'not it at all', 'the new password'),
    ).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
      message: 'The current password is wrong.',
    });
    await accounts.changePassword(account, 'the old password', 'the new password');
    const after = (await accounts.token(account))!;
    expect(after).not.toBe(before);
    (await ProtoClient.connect(account.realtimeUrl, after)).ws.close();
    const old = await ProtoClient.open(account.realtimeUrl);
    expect((await old.auth(before)).error?.code).toBe('TOKEN_REVOKED');
    await expect(accounts.signIn(server.url, 'changer', 'the old password')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
  });

  it('refuses an https server that offers ws:// or another host (review M12)', () => {
    expect(checkRealtimeUrl('https://chat.example.org', 'wss://chat.example.org/v1/realtime')).toBe(
      'wss://chat.example.org/v1/realtime',
    );
    for (const bad of ['ws://chat.example.org/v1/realtime', 'wss://evil.example/v1/realtime']) {
      expect(() => checkRealtimeUrl('https://chat.example.org', bad)).toThrow(
        expect.objectContaining({ code: 'INSECURE_SERVER' }),
      );
    }
    // A local server has no TLS to lose.
    expect(checkRealtimeUrl('http://127.0.0.1:7420', 'ws://127.0.0.1:7420/v1/realtime')).toBe(
      'ws://127.0.0.1:7420/v1/realtime',
    );
  });

  it('answers a taken username, a short password, a wrong password, in words', async () => {
    const accounts = new AccountService(memorySecrets());
    await accounts.signUp(server.url, 'taken', 'a good password');
    await expect(accounts.signUp(server.url, 'TAKEN', 'another password')).rejects.toMatchObject({
      code: 'USERNAME_TAKEN',
      message: 'That username is taken; try another.',
    });
    await expect(accounts.signUp(server.url, 'shorty', 'short')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'password: a password has at least 8 characters',
    });
    await expect(accounts.signIn(server.url, 'taken', 'wrong password')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
      message: 'Wrong username or password.',
    });
  });

  it('says when sign-ins are rate limited, with the wait', async () => {
    const accounts = new AccountService(memorySecrets());
    for (let i = 0; i < 2; i++) {
      await expect(accounts.signIn(server.url, 'taken', `guess ${i}`)).rejects.toMatchObject({
        code: 'INVALID_CREDENTIALS',
      });
    }
    const err = await accounts
      .signIn(server.url, 'taken', 'a good password')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RATE_LIMITED' });
    expect((err as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('says when the server cannot be reached, or is not a Parley server', async () => {
    const accounts = new AccountService(memorySecrets());
    const closedPort = await freePort(); // nothing listens there
    await expect(accounts.signIn(`http://127.0.0.1:${closedPort}`, 'a', 'b')).rejects.toMatchObject(
      {
        code: 'UNREACHABLE',
        message: `Cannot reach http://127.0.0.1:${closedPort}: nothing is listening there.`,
      },
    );
    const other = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>hi</h1>'),
    );
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    await expect(accounts.signIn(url, 'a', 'b')).rejects.toMatchObject({ code: 'NOT_PARLEY' });
    await new Promise<void>((r) => other.close(() => r()));
  });

  it('says when registration is closed', async () => {
    const closed = await startTestServer({ registration: 'closed' });
    try {
      const accounts = new AccountService(memorySecrets());
      await expect(accounts.signUp(closed.url, 'walkin', 'a good password')).rejects.toMatchObject({
        code: 'REGISTRATION_CLOSED',
      });
    } finally {
      await closed.stop();
    }
  });
});
