// Accounts and tokens over REST: sign-up, sign-in, sign-out (this token or all), and password
// changes. Password checks are bounded in sign-in-limits.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../shared/protocol.js';
import { changePasswordBody, createTokenBody, createUserBody } from '../../shared/schemas.js';
import { addressKey } from '../rate-limit.js';
import type { UserRecord } from '../store/store.js';
import type { BearerCheck } from './bearer.js';
import type { HttpDeps } from './http.js';
import { signInLimits } from './sign-in-limits.js';
import { HttpError, readJson, send, tooMany, type Route } from './respond.js';

export function accountRoutes(deps: HttpDeps, { bearer, requireBearer }: BearerCheck): Route[] {
  const { store, tokens, passwords, guard, config } = deps;
  const { limits } = config;
  /** Checked when the username is unknown, so the answer's timing does not reveal accounts. */
  let decoyHash: Promise<string> | undefined;
  const attempts = signInLimits(deps.windows, limits, guard);
  const signUps = deps.windows('signup', limits.signUpsPerIpPerMinute, 60_000);

  async function createUser(req: IncomingMessage, res: ServerResponse) {
    const body = await readJson(req, createUserBody);
    if (config.registration === 'closed') {
      // With registration closed, an administrator can still create accounts.
      const caller = await bearer(req);
      if (!caller?.user.isAdmin) {
        throw new HttpError(
          403,
          ErrorCode.REGISTRATION_CLOSED,
          'this server does not accept sign-ups',
        );
      }
    } else {
      const verdict = await signUps.hit(addressKey(guard.clientAddress(req)), Date.now());
      if (!verdict.ok) throw tooMany('too many sign-ups from this address', verdict.retryAfterMs);
    }
    // The name first: a taken name costs no hash (review M1). The 409 tells no more than it did.
    if (await store.userByName(body.username)) {
      throw new HttpError(409, ErrorCode.USERNAME_TAKEN, `the username ${body.username} is taken`);
    }
    const passHash = await passwords.hash(body.password);
    const user = await store.createUser({
      username: body.username,
      displayName: body.displayName ?? body.username,
      passHash,
    });
    if (!user)
      throw new HttpError(409, ErrorCode.USERNAME_TAKEN, `the username ${body.username} is taken`);
    deps.log.info({ userId: user.userId }, 'user created');
    send(res, 201, { userId: user.userId, username: user.username });
  }

  /** Whether `password` is the user's; the same time for unknown users (a decoy hash). */
  async function passwordMatches(user: UserRecord | undefined, password: string) {
    decoyHash ??= passwords.hash('decoy password').catch((err: unknown) => {
      decoyHash = undefined;
      throw err;
    });
    const ok = await passwords.verify(password, user?.passHash ?? (await decoyHash));
    return Boolean(user) && ok;
  }

  async function createToken(req: IncomingMessage, res: ServerResponse) {
    const body = await readJson(req, createTokenBody);
    const attempt = await attempts.start(req, body.username);
    const user = await store.userByName(body.username);
    let ok: boolean;
    try {
      ok = await passwordMatches(user, body.password);
    } catch (err) {
      attempt.abandoned(); // BUSY: the attempt was not made
      throw err;
    }
    if (!user || !ok) {
      attempt.failed();
      throw new HttpError(401, ErrorCode.INVALID_CREDENTIALS, 'wrong username or password');
    }
    attempt.succeeded();
    send(res, 200, {
      ...(await tokens.issue(user.userId, user.tokenVersion)),
      userId: user.userId,
      username: user.username,
    });
  }

  /** Sign-out: this token stops working at once, on every connection that used it. */
  async function revokeCurrent(req: IncomingMessage, res: ServerResponse) {
    const who = await requireBearer(req);
    await store.revokeToken(who.jti, who.expMs);
    deps.onRevoked({ userId: who.user.userId, jti: who.jti });
    send(res, 200, { revoked: 'current' });
  }

  /** Sign out everywhere: every token of the user stops working. */
  async function revokeAll(req: IncomingMessage, res: ServerResponse) {
    const who = await requireBearer(req);
    await store.bumpTokenVersion(who.user.userId);
    deps.onRevoked({ userId: who.user.userId });
    send(res, 200, { revoked: 'all' });
  }

  /** A new password ends every session but answers a fresh token for this one. */
  async function changePassword(req: IncomingMessage, res: ServerResponse) {
    const who = await requireBearer(req);
    const body = await readJson(req, changePasswordBody);
    const attempt = await attempts.start(req, who.user.username);
    let ok: boolean;
    try {
      ok = await passwordMatches(who.user, body.currentPassword);
    } catch (err) {
      attempt.abandoned();
      throw err;
    }
    if (!ok) {
      attempt.failed();
      throw new HttpError(401, ErrorCode.INVALID_CREDENTIALS, 'the current password is wrong');
    }
    attempt.succeeded();
    const version = await store.setPassword(
      who.user.userId,
      await passwords.hash(body.newPassword),
    );
    deps.onRevoked({ userId: who.user.userId });
    deps.log.info({ userId: who.user.userId }, 'password changed');
    send(res, 200, {
      ...(await tokens.issue(who.user.userId, version)),
      userId: who.user.userId,
      username: who.user.username,
    });
  }

  return [
    { path: '/v1/users', methods: { POST: createUser } },
    { path: '/v1/users/me/password', methods: { POST: changePassword } },
    { path: '/v1/tokens', methods: { POST: createToken, DELETE: revokeAll } },
    { path: '/v1/tokens/current', methods: { DELETE: revokeCurrent } },
  ];
}
