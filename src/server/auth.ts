// Passwords (scrypt) and access tokens (HS256 JWTs through jose).
import {
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
  webcrypto,
  type ScryptOptions,
} from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { ErrorCode } from '../shared/protocol.js';

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions) {
  return new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const KEY_LENGTH = 32;
const BLOCK_SIZE = 8;

/** `scrypt$N$r$salt$hash`, salt and hash in base64url. */
export async function hashPassword(password: string, cost: number): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, {
    N: cost,
    r: BLOCK_SIZE,
    p: 1,
    maxmem: 256 * cost * BLOCK_SIZE,
  });
  return `scrypt$${cost}$${BLOCK_SIZE}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const N = Number(n);
  const R = Number(r);
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N,
    r: R,
    p: 1,
    maxmem: 256 * N * R,
  });
  return timingSafeEqual(key, expected);
}

export class TokenError extends Error {
  constructor(
    readonly code: typeof ErrorCode.AUTH_FAILED | typeof ErrorCode.TOKEN_EXPIRED,
    message: string,
  ) {
    super(message);
  }
}

/** How many verified tokens are remembered (a few MB at most). */
const VERIFIED_CACHE_SIZE = 20_000;

export class TokenIssuer {
  /** Imported once: jose would otherwise import the raw secret on every verification. */
  private readonly key: Promise<webcrypto.CryptoKey>;
  /**
   * Tokens already verified, by their exact text, with their subject and expiry. A desktop client
   * reconnects with the same token after every network change or sleep; WebCrypto's HMAC costs
   * about 150 µs of CPU in Node 20, most of a connection's cost. Exact text means a cache hit is
   * the same signature that was already checked. Least recently used first out.
   */
  private readonly verified = new Map<string, { sub: string; expMs: number }>();

  constructor(
    secret: Uint8Array,
    private readonly ttlSeconds: number,
  ) {
    this.key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
  }

  async issue(userId: string): Promise<{ token: string; expiresAt: number }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setIssuer('parley')
      .setJti(randomBytes(12).toString('base64url'))
      .sign(await this.key);
    return { token, expiresAt: exp * 1000 };
  }

  /** The user id the token was issued to; throws TokenError otherwise. */
  /** How many verified tokens are remembered (for tests and metrics). */
  get remembered(): number {
    return this.verified.size;
  }

  async verify(token: string): Promise<string> {
    const known = this.verified.get(token);
    if (known) {
      this.verified.delete(token);
      if (known.expMs > Date.now()) {
        this.verified.set(token, known);
        return known.sub;
      }
    }
    try {
      // Only HS256: a token claiming alg "none" or any other algorithm is refused here.
      const { payload } = await jwtVerify(token, await this.key, {
        algorithms: ['HS256'],
        issuer: 'parley',
      });
      if (typeof payload.sub !== 'string') {
        throw new TokenError('AUTH_FAILED', 'token has no subject');
      }
      if (typeof payload.exp !== 'number') {
        throw new TokenError('AUTH_FAILED', 'token has no expiry');
      }
      this.verified.set(token, { sub: payload.sub, expMs: payload.exp * 1000 });
      if (this.verified.size > VERIFIED_CACHE_SIZE) {
        this.verified.delete(this.verified.keys().next().value!);
      }
      return payload.sub;
    } catch (err) {
      if (err instanceof TokenError) throw err;
      if (err instanceof joseErrors.JWTExpired) {
        throw new TokenError('TOKEN_EXPIRED', 'the token has expired; sign in again');
      }
      throw new TokenError('AUTH_FAILED', 'the token is not valid');
    }
  }
}

/**
 * The signing secret: PARLEY_TOKEN_SECRET when set (every server of a scaled-out deployment needs
 * the same one), else a random secret kept beside the database.
 */
export function loadTokenSecret(dataDir: string, env = process.env): Uint8Array {
  const fromEnv = env.PARLEY_TOKEN_SECRET;
  if (fromEnv !== undefined) {
    if (fromEnv.length < 32) throw new Error('PARLEY_TOKEN_SECRET must be at least 32 characters');
    return new TextEncoder().encode(fromEnv);
  }
  const file = join(dataDir, 'token-secret');
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}
