// The REST side of protocol v1: accounts, tokens, the realtime endpoint, health and metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { ErrorCode, REALTIME_PATH } from '../shared/protocol.js';
import { createTokenBody, createUserBody, describeIssues } from '../shared/schemas.js';
import { hashPassword, verifyPassword, type TokenIssuer } from './auth.js';
import type { ServerConfig } from './config.js';
import type { SlidingWindow } from './rate-limit.js';
import type { Store } from './store/store.js';

const MAX_BODY_BYTES = 16 * 1024;

export interface HttpDeps {
  store: Store;
  tokens: TokenIssuer;
  config: ServerConfig;
  log: Logger;
  metrics: Registry;
  tokenFailures: SlidingWindow;
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
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/json\b/i.test(type)) {
    throw new HttpError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the body as application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
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
  const { store, tokens, config, metrics, tokenFailures } = deps;
  /** Checked when the username is unknown, so the answer's timing does not reveal accounts. */
  let decoyHash: Promise<string> | undefined;

  async function bearerUser(req: IncomingMessage) {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return undefined;
    try {
      return store.userById(await tokens.verify(header.slice(7)));
    } catch {
      return undefined;
    }
  }

  async function createUser(req: IncomingMessage, res: ServerResponse) {
    const body = await readJson(req, createUserBody);
    if (config.registration === 'closed') {
      // With registration closed, an administrator can still create accounts.
      const caller = await bearerUser(req);
      if (!caller?.isAdmin) {
        throw new HttpError(
          403,
          ErrorCode.REGISTRATION_CLOSED,
          'this server does not accept sign-ups',
        );
      }
    }
    const passHash = await hashPassword(body.password, config.scryptCost);
    const user = store.createUser({
      username: body.username,
      displayName: body.displayName ?? body.username,
      passHash,
    });
    if (!user)
      throw new HttpError(409, ErrorCode.USERNAME_TAKEN, `the username ${body.username} is taken`);
    deps.log.info({ userId: user.userId }, 'user created');
    send(res, 201, { userId: user.userId, username: user.username });
  }

  async function createToken(req: IncomingMessage, res: ServerResponse) {
    const ip = req.socket.remoteAddress ?? 'unknown';
    const blocked = tokenFailures.check(ip, Date.now());
    if (!blocked.ok) {
      const retry = String(Math.ceil(blocked.retryAfterMs / 1000));
      throw new HttpError(
        429,
        ErrorCode.RATE_LIMITED,
        'too many failed sign-ins; try again later',
        {
          'Retry-After': retry,
        },
      );
    }
    const body = await readJson(req, createTokenBody);
    const user = store.userByName(body.username);
    decoyHash ??= hashPassword('decoy password', config.scryptCost);
    const ok = await verifyPassword(body.password, user?.passHash ?? (await decoyHash));
    if (!user || !ok) {
      tokenFailures.record(ip, Date.now());
      throw new HttpError(401, ErrorCode.INVALID_CREDENTIALS, 'wrong username or password');
    }
    send(res, 200, {
      ...(await tokens.issue(user.userId)),
      userId: user.userId,
      username: user.username,
    });
  }

  function endpoint(req: IncomingMessage, res: ServerResponse) {
    const url =
      config.publicUrl ??
      `ws://${req.headers.host ?? `${config.host}:${config.port}`}${REALTIME_PATH}`;
    send(res, 200, { url });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    const routes: Record<string, Record<string, () => unknown>> = {
      '/v1/users': { POST: () => createUser(req, res) },
      '/v1/tokens': { POST: () => createToken(req, res) },
      '/v1/realtime/endpoint': { GET: () => endpoint(req, res) },
      '/healthz': { GET: () => send(res, 200, { ok: true }) },
      '/metrics': {
        GET: async () => {
          const text = await metrics.metrics();
          res.writeHead(200, { 'Content-Type': metrics.contentType });
          res.end(text);
        },
      },
    };
    const methods = routes[path];
    if (!methods) throw new HttpError(404, ErrorCode.NOT_FOUND, `no such endpoint: ${path}`);
    const handler = methods[method];
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
      if (err instanceof HttpError) {
        send(res, err.status, { error: { code: err.code, message: err.message } }, err.headers);
        return;
      }
      deps.log.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) {
        send(res, 500, { error: { code: ErrorCode.INTERNAL, message: 'the server failed' } });
      } else {
        res.destroy();
      }
    });
  };
}
