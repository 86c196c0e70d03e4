import { describe, expect, it } from 'vitest';
import { webcrypto } from 'node:crypto';
import { SignJWT } from 'jose';
import { BusyError, hashPassword, PasswordHasher, TokenIssuer, verifyPassword } from './auth.js';

const secret = new TextEncoder().encode('a test secret of at least thirty-two characters');

describe('TokenIssuer', () => {
  it('issues distinct tokens even within one second, and verifies them', async () => {
    const issuer = new TokenIssuer(secret, 60);
    const a = await issuer.issue('u_1', 0);
    const b = await issuer.issue('u_1', 0);
    expect(a.token).not.toBe(b.token);
    expect((await issuer.verify(a.token)).sub).toBe('u_1');
    expect((await issuer.verify(b.token)).sub).toBe('u_1');
  });

  it('remembers a verified token but still refuses it once expired', async () => {
    // A token's expiry is in whole seconds, so a 2 s token lives 1 to 2 s: a loaded machine can
    // spend that before the two verifies below. Such a try proves nothing: try again (bounded).
    for (let attempt = 1; attempt <= 5; attempt++) {
      const issuer = new TokenIssuer(secret, 2);
      const { token, expiresAt } = await issuer.issue('u_2', 0);
      expect(issuer.remembered).toBe(0);
      // The second verify answers from the memory of the first.
      const live = await issuer
        .verify(token)
        .then(() => issuer.verify(token))
        .catch((err: { code?: string }) =>
          err.code === 'TOKEN_EXPIRED' ? null : Promise.reject(err),
        );
      if (live === null || Date.now() >= expiresAt) continue;
      expect(live.sub).toBe('u_2');
      expect(issuer.remembered).toBe(1);
      await new Promise((r) => setTimeout(r, expiresAt - Date.now() + 50));
      await expect(issuer.verify(token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
      expect(issuer.remembered).toBe(0);
      return;
    }
    throw new Error('no token verified twice within its life in 5 tries');
  });

  it('remembers only tokens that verified', async () => {
    const issuer = new TokenIssuer(secret, 60);
    await expect(issuer.verify('not.a.token')).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(issuer.remembered).toBe(0);
  });

  it('does not accept a near-copy of a remembered token', async () => {
    const issuer = new TokenIssuer(secret, 60);
    const { token } = await issuer.issue('u_3', 0);
    await issuer.verify(token);
    // The signature's first character: its six bits are all signature (the last character's
    // low bits are base64url padding, so changing it can leave the bytes as they were).
    const at = token.lastIndexOf('.') + 1;
    const flipped = token[at] === 'A' ? 'B' : 'A';
    await expect(
      issuer.verify(token.slice(0, at) + flipped + token.slice(at + 1)),
    ).rejects.toMatchObject({
      code: 'AUTH_FAILED',
    });
    const other = new TokenIssuer(
      new TextEncoder().encode('another secret, also thirty-two characters'),
      60,
    );
    await expect(other.verify(token)).rejects.toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('carries the token version and refuses another audience or an endless life (review L11)', async () => {
    const issuer = new TokenIssuer(secret, 60);
    const { token } = await issuer.issue('u_4', 7);
    expect(await issuer.verify(token)).toMatchObject({ sub: 'u_4', tv: 7 });
    const key = await webcrypto.subtle.importKey(
      'raw',
      secret,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const now = Math.floor(Date.now() / 1000);
    const forged = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('u_4')
        .setIssuer('parley')
        .setIssuedAt(now)
        .sign(key);
    await expect(
      issuer.verify(await forged({ aud: 'another-service', exp: now + 60 })),
    ).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await expect(
      issuer.verify(await forged({ aud: 'parley', exp: now + 1000 * 365 * 24 * 3600 })),
    ).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect((await issuer.verify(await forged({ aud: 'parley', exp: now + 60 }))).sub).toBe('u_4');
  });
});

describe('PasswordHasher', () => {
  it('refuses work past its queue instead of letting it wait (review M1)', async () => {
    const hasher = new PasswordHasher(1 << 14, 2);
    const first = hasher.hash('one password');
    const second = hasher.hash('two password');
    await expect(hasher.hash('three password')).rejects.toBeInstanceOf(BusyError);
    expect(hasher.pending).toBe(2);
    await Promise.all([first, second]);
    expect(hasher.pending).toBe(0);
    expect(await hasher.verify('one password', await first)).toBe(true);
  });
});

describe('passwords', () => {
  it('verify against their scrypt hash only', async () => {
    const hash = await hashPassword('correct horse', 1024);
    expect(hash).toMatch(/^scrypt\$1024\$8\$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsE', hash)).toBe(false);
    expect(await verifyPassword('correct horse', 'garbage')).toBe(false);
  });
});
