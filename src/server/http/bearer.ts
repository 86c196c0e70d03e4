// Who a REST request comes from: its bearer token, checked as the realtime handshake checks it
// (signature, expiry, the account, its token version and revocations).
import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '../../shared/protocol.js';
import { TokenError, type TokenIssuer } from '../auth.js';
import type { Store, UserRecord } from '../store/store.js';
import { HttpError } from './respond.js';

/** The signed-in user of a request and their token's id. */
export interface Bearer {
  user: UserRecord;
  jti: string;
  expMs: number;
}

export interface BearerCheck {
  /** The request's user, or undefined without a valid token. */
  bearer(req: IncomingMessage): Promise<Bearer | undefined>;
  /** The request's user; 401 without a valid token. */
  requireBearer(req: IncomingMessage): Promise<Bearer>;
}

export function bearerCheck({ store, tokens }: { store: Store; tokens: TokenIssuer }): BearerCheck {
  async function bearer(req: IncomingMessage): Promise<Bearer | undefined> {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return undefined;
    try {
      const claims = await tokens.verify(header.slice(7));
      const user = await store.userById(claims.sub);
      if (!user || user.tokenVersion !== claims.tv || (await store.isRevoked(claims.jti))) {
        return undefined;
      }
      return { user, jti: claims.jti, expMs: claims.expMs };
    } catch (err) {
      if (err instanceof TokenError) return undefined;
      throw err;
    }
  }

  async function requireBearer(req: IncomingMessage): Promise<Bearer> {
    const who = await bearer(req);
    if (!who) {
      throw new HttpError(401, ErrorCode.AUTH_FAILED, 'sign in first: this needs a valid token');
    }
    return who;
  }

  return { bearer, requireBearer };
}
