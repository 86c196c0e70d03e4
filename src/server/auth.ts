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
    readonly code:
      | typeof ErrorCode.AUTH_FAILED
      | typeof ErrorCode.TOKEN_EXPIRED
      | typeof ErrorCode.TOKEN_REVOKED,
    message: string,
  ) {
    super(message);
  }
}

/** What a verified token says. */
export interface TokenClaims {
  /** The user id. */
  sub: string;
  /** The token's own id: revoking one token (sign-out) names it. */
  jti: string;
  /** The user's token version when it was issued; a password change raises the version. */
  tv: number;
  expMs: number;
}

/** The audience every Parley token names, so a token made for another service is refused. */
const AUDIENCE = 'parley';
/** No token may live longer than this, whatever its exp says (review L11). */
const MAX_LIFETIME_SECONDS = 90 * 24 * 3600;

/** Thrown when too many password hashes are already running or waiting. */
export class BusyError extends Error {}

/**
 * scrypt behind a bounded queue (review M1): each hash takes tens of ms of a libuv thread, so an
 * unbounded stream of sign-ins or sign-ups would make every real sign-in wait seconds. Past
 * `maxQueued` hashes at once the caller is told to come back (503 BUSY) instead of waiting.
 */
export class PasswordHasher {
  private inFlight = 0;

  constructor(
    private readonly cost: number,
    private readonly maxQueued: number,
  ) {}

  get pending(): number {
    return this.inFlight;
  }

  hash(password: string): Promise<string> {
    return this.run(() => hashPassword(password, this.cost));
  }

  verify(password: string, stored: string): Promise<boolean> {
    return this.run(() => verifyPassword(password, stored));
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.maxQueued) throw new BusyError('too many sign-ins at once');
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
    }
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
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    secret: Uint8Array,
    private readonly ttlSeconds: number,
  ) {
    this.key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
  }

  async issue(userId: string, tokenVersion: number): Promise<{ token: string; expiresAt: number }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + Math.min(this.ttlSeconds, MAX_LIFETIME_SECONDS);
    const token = await new SignJWT({ tv: tokenVersion })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setIssuer('parley')
      .setAudience(AUDIENCE)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(await this.key);
    return { token, expiresAt: exp * 1000 };
  }

  /** How many verified tokens are remembered (for tests and metrics). */
  get remembered(): number {
    return this.verified.size;
  }

  /**
   * The token's claims; throws TokenError otherwise. Whether the token was revoked since is the
   * caller's check (it needs the store): see `Store.isRevoked` and `UserRecord.tokenVersion`.
   */
  async verify(token: string): Promise<TokenClaims> {
    const known = this.verified.get(token);
    if (known) {
      this.verified.delete(token);
      if (known.expMs > Date.now()) {
        this.verified.set(token, known);
        return known;
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
      // Tokens from before audiences were set carry none; any other audience is not ours.
      if (payload.aud !== undefined && payload.aud !== AUDIENCE) {
        throw new TokenError('AUTH_FAILED', 'the token is not for this service');
      }
      if (typeof payload.iat !== 'number' || payload.exp - payload.iat > MAX_LIFETIME_SECONDS) {
        throw new TokenError('AUTH_FAILED', 'the token claims too long a life');
      }
      const claims: TokenClaims = {
        sub: payload.sub,
        jti: typeof payload.jti === 'string' ? payload.jti : '',
        tv: typeof payload.tv === 'number' ? payload.tv : 0,
        expMs: payload.exp * 1000,
      };
      this.verified.set(token, claims);
      if (this.verified.size > VERIFIED_CACHE_SIZE) {
        this.verified.delete(this.verified.keys().next().value!);
      }
      return claims;
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
