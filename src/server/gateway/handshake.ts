// The auth handshake's checks: the authrequest's shape and version, then its token (signature,
// expiry, the account, its token version and revocations). The connection applies the verdict.
import { ErrorCode, PROTOCOL_VERSION } from '../../shared/protocol.js';
import { authRequest, describeIssues } from '../../shared/schemas.js';
import { TokenError, type TokenClaims, type TokenIssuer } from '../auth.js';
import type { Store, UserRecord } from '../store/store.js';

export type AuthRequest = ReturnType<typeof authRequest.parse>;

export interface AuthFailure {
  ok: false;
  code: ErrorCode;
  message: string;
  /** The token was refused (not the request's shape): closes as an authentication failure. */
  tokenFailure: boolean;
}

/** The authrequest's shape and protocol version; nothing asked of anyone yet. */
export function readAuthRequest(
  frame: Record<string, unknown>,
): { ok: true; req: AuthRequest } | AuthFailure {
  const parsed = authRequest.safeParse(frame);
  if (!parsed.success) {
    return {
      ok: false,
      code: ErrorCode.BAD_REQUEST,
      message: describeIssues(parsed.error),
      tokenFailure: false,
    };
  }
  const req = parsed.data;
  if (req.version !== undefined && req.version !== PROTOCOL_VERSION) {
    return {
      ok: false,
      code: ErrorCode.UNSUPPORTED_VERSION,
      message: `this server speaks protocol ${PROTOCOL_VERSION}`,
      tokenFailure: false,
    };
  }
  return { ok: true, req };
}

/**
 * Whose token this is, if it still holds. `live` says whether the connection still waits: when
 * it closed meanwhile the answer is 'gone' and nothing more is asked.
 */
/** Whether a verified token was revoked since: its password changed, or it was signed out. */
export async function tokenRevoked(
  store: Pick<Store, 'isRevoked'>,
  claims: TokenClaims,
  user: UserRecord,
): Promise<boolean> {
  return user.tokenVersion !== claims.tv || (await store.isRevoked(claims.jti));
}

export async function verifyToken(
  deps: { tokens: TokenIssuer; store: Store },
  token: string,
  live: () => boolean,
): Promise<{ ok: true; claims: TokenClaims; user: UserRecord } | AuthFailure | 'gone'> {
  let claims: TokenClaims;
  try {
    claims = await deps.tokens.verify(token);
  } catch (err) {
    if (!live()) return 'gone';
    return {
      ok: false,
      code: err instanceof TokenError ? err.code : ErrorCode.AUTH_FAILED,
      message: err instanceof TokenError ? err.message : 'the token is not valid',
      tokenFailure: true,
    };
  }
  if (!live()) return 'gone';
  const user = await deps.store.userById(claims.sub);
  if (!live()) return 'gone';
  if (!user) {
    return {
      ok: false,
      code: ErrorCode.AUTH_FAILED,
      message: 'the account of this token no longer exists',
      tokenFailure: true,
    };
  }
  const revoked = await tokenRevoked(deps.store, claims, user);
  // Closed while asked: the hub never saw this connection, so nothing may set it up now.
  if (!live()) return 'gone';
  if (revoked) {
    return {
      ok: false,
      code: ErrorCode.TOKEN_REVOKED,
      message: 'this sign-in has ended (signed out or password changed); sign in again',
      tokenFailure: true,
    };
  }
  return { ok: true, claims, user };
}
