// The REST side of protocol v1: accounts, tokens, the realtime endpoint, health and metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { ErrorCode, REALTIME_PATH } from '../shared/protocol.js';
import {
  changePasswordBody,
  createTokenBody,
  createUserBody,
  describeIssues,
} from '../shared/schemas.js';
import { BusyError, TokenError, type PasswordHasher, type TokenIssuer } from './auth.js';
import type { ServerConfig } from './config.js';
import { addressKey, type WindowFactory } from './rate-limit.js';
import { requestPath, type RequestGuard } from './request-guard.js';
import {
  FileError,
  INLINE_TYPES,
  MAX_AVATAR_BYTES,
  type FileService,
} from './files/file-service.js';
import type { Store, UserRecord } from './store/store.js';

const MAX_BODY_BYTES = 16 * 1024;
/** A JSON body must arrive within this (the server has no whole-request deadline: uploads). */
const BODY_DEADLINE_MS = 30_000;
/** An upload that sends nothing for this long is cut off. */
const UPLOAD_IDLE_MS = 30_000;

export interface HttpDeps {
  store: Store;
  files: FileService;
  tokens: TokenIssuer;
  passwords: PasswordHasher;
  guard: RequestGuard;
  config: ServerConfig;
  log: Logger;
  metrics: Registry;
  /** Where the per-address and per-account windows live (this process, or Redis). */
  windows: WindowFactory;
  /** Whether this server can serve (a cluster node checks its registry and broker). */
  healthy?: () => boolean;
  /** Tells live connections that tokens were revoked (one token, or all of a user's). */
  onRevoked(revoked: { userId: string; jti?: string }): void;
  /** Tells the user's contacts their picture changed. */
  onProfile?(userId: string): void;
}

/** The signed-in user of a request and their token's id. */
interface Bearer {
  user: UserRecord;
  jti: string;
  expMs: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

async function readJson<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
): Promise<z.output<S>> {
  // Required, not only checked when present: a body with no type is what a web page can send
  // cross-site without asking first (review M10).
  const type = req.headers['content-type'];
  if (type === undefined || !/^application\/json\b/i.test(type)) {
    throw new HttpError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the body as application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const deadline = setTimeout(() => req.destroy(), BODY_DEADLINE_MS);
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        throw new HttpError(
          413,
          ErrorCode.TOO_LARGE,
          `a request body is at most ${MAX_BODY_BYTES} bytes`,
        );
      }
      chunks.push(chunk);
    }
  } finally {
    clearTimeout(deadline);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, ErrorCode.BAD_REQUEST, 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new HttpError(400, ErrorCode.BAD_REQUEST, describeIssues(parsed.error));
  return parsed.data;
}

export function createHttpHandler(deps: HttpDeps) {
  const { store, tokens, passwords, guard, config, metrics } = deps;
  const { limits } = config;
  /** Checked when the username is unknown, so the answer's timing does not reveal accounts. */
  let decoyHash: Promise<string> | undefined;
  /**
   * Sign-in attempts, counted when they start (review H4: counting failures after the check let
   * 100 parallel guesses through) and given back when the password was right. Per account and
   * address, so guesses from one place lock out no one else (M9), and per account from every
   * address together, against guessing spread over many addresses.
   */
  const attemptsHere = deps.windows('signin-here', limits.tokenFailuresPerIpPerMinute, 60_000);
  const attemptsAnywhere = deps.windows(
    'signin-any',
    limits.signInFailuresPerUserPerMinute,
    60_000,
  );
  const signUps = deps.windows('signup', limits.signUpsPerIpPerMinute, 60_000);

  function tooMany(message: string, retryAfterMs: number): HttpError {
    return new HttpError(429, ErrorCode.RATE_LIMITED, message, {
      'Retry-After': String(Math.ceil(retryAfterMs / 1000)),
    });
  }

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

  /** Starts a sign-in attempt for `username`, or throws 429; returns how to give it back. */
  async function startAttempt(req: IncomingMessage, username: string): Promise<() => void> {
    const now = Date.now();
    const name = username.toLowerCase();
    const here = `${name}|${addressKey(guard.clientAddress(req))}`;
    const local = await attemptsHere.hit(here, now);
    if (!local.ok) throw tooMany('too many failed sign-ins; try again later', local.retryAfterMs);
    const global = await attemptsAnywhere.hit(name, now);
    if (!global.ok) {
      await attemptsHere.refund(here);
      throw tooMany(
        'too many failed sign-ins to this account; try again later',
        global.retryAfterMs,
      );
    }
    return () => {
      void attemptsHere.refund(here);
      void attemptsAnywhere.refund(name);
    };
  }

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
    const giveBack = await startAttempt(req, body.username);
    const user = await store.userByName(body.username);
    let ok: boolean;
    try {
      ok = await passwordMatches(user, body.password);
    } catch (err) {
      giveBack(); // BUSY: the attempt was not made
      throw err;
    }
    if (!user || !ok) {
      throw new HttpError(401, ErrorCode.INVALID_CREDENTIALS, 'wrong username or password');
    }
    giveBack();
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
    const giveBack = await startAttempt(req, who.user.username);
    let ok: boolean;
    try {
      ok = await passwordMatches(who.user, body.currentPassword);
    } catch (err) {
      giveBack();
      throw err;
    }
    if (!ok) {
      throw new HttpError(401, ErrorCode.INVALID_CREDENTIALS, 'the current password is wrong');
    }
    giveBack();
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

  function endpoint(req: IncomingMessage, res: ServerResponse) {
    // The Host header was checked by the guard. The scheme is wss only when a trusted proxy
    // says the request came over TLS; otherwise set --public-url (review M12).
    const scheme = guard.secure(req) ? 'wss' : 'ws';
    const url =
      config.publicUrl ??
      `${scheme}://${req.headers.host ?? `${config.host}:${config.port}`}${REALTIME_PATH}`;
    send(res, 200, { url });
  }

  async function serveMetrics(req: IncomingMessage, res: ServerResponse) {
    // Connection counts and rates are the operator's business only (review L1).
    const who = await requireBearer(req);
    if (!who.user.isAdmin) {
      throw new HttpError(403, ErrorCode.FORBIDDEN, '/metrics is for administrators');
    }
    const text = await metrics.metrics();
    res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
    res.end(text);
  }

  /**
   * `POST /v1/files?conversation=KEY&name=NAME`, the bytes as the body with a Content-Length:
   * stored for the readers of that conversation. 201 `{fileId, name, type, size, sha256}`.
   */
  async function uploadFile(req: IncomingMessage, res: ServerResponse) {
    const who = await requireBearer(req);
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const declared = req.headers['content-length'];
    req.socket.setTimeout(UPLOAD_IDLE_MS, () => req.destroy());
    try {
      const file = await deps.files.upload(
        who.user.userId,
        {
          conversation: query.get('conversation'),
          name: query.get('name'),
          ...(req.headers['content-type'] ? { type: req.headers['content-type'] } : {}),
          ...(declared !== undefined && /^\d+$/.test(declared) ? { length: Number(declared) } : {}),
        },
        req,
      );
      send(res, 201, {
        fileId: file.fileId,
        name: file.name,
        type: file.type,
        size: file.size,
        sha256: file.sha256,
      });
    } finally {
      req.socket.setTimeout(0);
    }
  }

  /**
   * `GET /v1/files/ID` for a reader of its conversation: the bytes, an image shown inline and
   * anything else as a download, never sniffed or run. `Range: bytes=N-` resumes.
   */
  async function downloadFile(req: IncomingMessage, res: ServerResponse, fileId: string) {
    const who = await requireBearer(req);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const opened = await deps.files.open(who.user.userId, fileId, start);
    const { file } = opened;
    if (start > 0 && start >= file.size) {
      opened.stream.destroy();
      throw new HttpError(416, ErrorCode.BAD_REQUEST, `the file has ${file.size} bytes`, {
        'Content-Range': `bytes */${file.size}`,
      });
    }
    const inline = INLINE_TYPES.has(file.type);
    const ascii = file.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
    res.writeHead(start > 0 ? 206 : 200, {
      'Content-Type': inline ? file.type : 'application/octet-stream',
      'Content-Length': String(file.size - start),
      ...(start > 0 ? { 'Content-Range': `bytes ${start}-${file.size - 1}/${file.size}` } : {}),
      'Accept-Ranges': 'bytes',
      'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      // An id's bytes never change.
      'Cache-Control': 'private, max-age=31536000, immutable',
      ETag: `"${file.sha256}"`,
    });
    await pipeline(opened.stream, res);
  }

  /** `PUT /v1/users/me/avatar`: the user's picture (PNG, JPEG or WebP, 512 KiB at most). */
  async function putAvatar(req: IncomingMessage, res: ServerResponse) {
    const who = await requireBearer(req);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_AVATAR_BYTES) {
        throw new HttpError(
          413,
          ErrorCode.TOO_LARGE,
          `a picture is at most ${MAX_AVATAR_BYTES} bytes`,
        );
      }
      chunks.push(chunk);
    }
    const avatar = await deps.files.setAvatar(who.user.userId, Buffer.concat(chunks));
    deps.onProfile?.(who.user.userId);
    send(res, 200, { avatar });
  }

  async function removeAvatar(req: IncomingMessage, res: ServerResponse) {
    const who = await requireBearer(req);
    await deps.files.removeAvatar(who.user.userId);
    deps.onProfile?.(who.user.userId);
    send(res, 200, { avatar: null });
  }

  /** `GET /v1/avatars/ID`: a user's picture, for anyone signed in. */
  async function getAvatar(req: IncomingMessage, res: ServerResponse, id: string) {
    await requireBearer(req);
    const { type, bytes } = await deps.files.avatar(id);
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': String(bytes.length),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, max-age=31536000, immutable',
    });
    res.end(bytes);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = guard.check(req);
    if (refusal) throw new HttpError(refusal.status, ErrorCode.FORBIDDEN, refusal.message);
    const path = requestPath(req.url);
    if (path === undefined) {
      throw new HttpError(400, ErrorCode.BAD_REQUEST, 'the request target is not a path');
    }
    const method = req.method ?? 'GET';
    const avatarId = /^\/v1\/avatars\/([A-Za-z0-9_-]{1,64})$/.exec(path)?.[1];
    if (avatarId !== undefined) {
      if (method !== 'GET') {
        throw new HttpError(405, ErrorCode.BAD_REQUEST, `${path} takes GET`, { Allow: 'GET' });
      }
      return getAvatar(req, res, avatarId);
    }
    const fileId = /^\/v1\/files\/([A-Za-z0-9_-]{1,64})$/.exec(path)?.[1];
    if (fileId !== undefined) {
      if (method !== 'GET') {
        throw new HttpError(405, ErrorCode.BAD_REQUEST, `${path} takes GET`, { Allow: 'GET' });
      }
      return downloadFile(req, res, fileId);
    }
    const routes: Record<string, Record<string, () => unknown>> = {
      '/v1/users': { POST: () => createUser(req, res) },
      '/v1/users/me/password': { POST: () => changePassword(req, res) },
      '/v1/users/me/avatar': {
        PUT: () => putAvatar(req, res),
        DELETE: () => removeAvatar(req, res),
      },
      '/v1/tokens': { POST: () => createToken(req, res), DELETE: () => revokeAll(req, res) },
      '/v1/tokens/current': { DELETE: () => revokeCurrent(req, res) },
      '/v1/realtime/endpoint': { GET: () => endpoint(req, res) },
      '/v1/files': { POST: () => uploadFile(req, res) },
      '/healthz': {
        GET: () =>
          deps.healthy && !deps.healthy()
            ? send(res, 503, { ok: false })
            : send(res, 200, { ok: true }),
      },
      '/metrics': { GET: () => serveMetrics(req, res) },
    };
    const methods = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!methods) throw new HttpError(404, ErrorCode.NOT_FOUND, `no such endpoint: ${path}`);
    const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!handler) {
      throw new HttpError(
        405,
        ErrorCode.BAD_REQUEST,
        `${path} takes ${Object.keys(methods).join(', ')}`,
        {
          Allow: Object.keys(methods).join(', '),
        },
      );
    }
    await handler();
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError || err instanceof FileError) {
        const headers = err instanceof HttpError ? err.headers : {};
        // An upload refused before its body was read: the rest of it is not wanted.
        if (!req.complete) res.setHeader('Connection', 'close');
        send(res, err.status, { error: { code: err.code, message: err.message } }, headers);
        return;
      }
      if (err instanceof BusyError) {
        send(
          res,
          503,
          {
            error: {
              code: ErrorCode.BUSY,
              message: 'the server is busy signing people in; try again in a moment',
            },
          },
          { 'Retry-After': '1' },
        );
        return;
      }
      deps.log.error({ err, url: req.url }, 'http request failed');
      send(res, 500, { error: { code: ErrorCode.INTERNAL, message: 'the server failed' } });
    });
  };
}
