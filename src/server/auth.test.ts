import { describe, expect, it } from 'vitest';
import { hashPassword, TokenIssuer, verifyPassword } from './auth.js';

const secret = new TextEncoder().encode('a test secret of at least thirty-two characters');

describe('TokenIssuer', () => {
  it('issues distinct tokens even within one second, and verifies them', async () => {
    const issuer = new TokenIssuer(secret, 60);
    const a = await issuer.issue('u_1');
    const b = await issuer.issue('u_1');
    expect(a.token).not.toBe(b.token);
    expect(await issuer.verify(a.token)).toBe('u_1');
    expect(await issuer.verify(b.token)).toBe('u_1');
  });

  it('remembers a verified token but still refuses it once expired', async () => {
    const issuer = new TokenIssuer(secret, 1);
    const { token, expiresAt } = await issuer.issue('u_2');
    expect(issuer.remembered).toBe(0);
    expect(await issuer.verify(token)).toBe('u_2');
    expect(issuer.remembered).toBe(1);
    expect(await issuer.verify(token)).toBe('u_2');
    expect(issuer.remembered).toBe(1);
    await new Promise((r) => setTimeout(r, expiresAt - Date.now() + 50));
    await expect(issuer.verify(token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect(issuer.remembered).toBe(0);
  });

  it('remembers only tokens that verified', async () => {
    const issuer = new TokenIssuer(secret, 60);
    await expect(issuer.verify('not.a.token')).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(issuer.remembered).toBe(0);
  });

  it('does not accept a near-copy of a remembered token', async () => {
    const issuer = new TokenIssuer(secret, 60);
    const { token } = await issuer.issue('u_3');
    await issuer.verify(token);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    await expect(issuer.verify(token.slice(0, -1) + last)).rejects.toMatchObject({
      code: 'AUTH_FAILED',
    });
    const other = new TokenIssuer(
      new TextEncoder().encode('another secret, also thirty-two characters'),
      60,
    );
    await expect(other.verify(token)).rejects.toMatchObject({ code: 'AUTH_FAILED' });
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
