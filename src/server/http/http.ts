// The REST side of protocol v1: one table of routes gathered from each area (accounts.ts,
// files.ts, ops.ts), the request guard in front, and one mapping of failures to coded answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ErrorCode } from '../../shared/protocol.js';
import { BusyError, type PasswordHasher, type TokenIssuer } from '../auth.js';
import type { ServerConfig } from '../config.js';
import { FileError, type FileService } from '../files/file-service.js';
import type { WindowFactory } from '../rate-limit.js';
import { requestPath, type RequestGuard } from '../request-guard.js';
import type { Store } from '../store/store.js';
import { accountRoutes } from './accounts.js';
import { bearerCheck } from './bearer.js';
import { fileRoutes } from './files.js';
import { opsRoutes } from './ops.js';
import { HttpError, send, type Route, type RouteHandler } from './respond.js';

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

export function createHttpHandler(deps: HttpDeps) {
  const { guard } = deps;
  const auth = bearerCheck(deps);
  const routes: Route[] = [
    ...accountRoutes(deps, auth),
    ...fileRoutes(deps, auth),
    ...opsRoutes(deps, auth),
  ];
  const fixed = new Map<string, Route>();
  const patterns: Route[] = [];
  for (const r of routes) {
    if (typeof r.path !== 'string') patterns.push(r);
    else {
      // Two areas may serve one path with different methods (none does today): merge them.
      const known = fixed.get(r.path);
      fixed.set(r.path, known ? { path: r.path, methods: { ...known.methods, ...r.methods } } : r);
    }
  }

  /** The route of a path, and what its pattern captured. */
  function find(path: string): { route: Route; param: string } | undefined {
    const route = fixed.get(path);
    if (route) return { route, param: '' };
    for (const r of patterns) {
      const param = (r.path as RegExp).exec(path)?.[1];
      if (param !== undefined) return { route: r, param };
    }
    return undefined;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = guard.check(req);
    if (refusal) throw new HttpError(refusal.status, ErrorCode.FORBIDDEN, refusal.message);
    const path = requestPath(req.url);
    if (path === undefined) {
      throw new HttpError(400, ErrorCode.BAD_REQUEST, 'the request target is not a path');
    }
    const found = find(path);
    if (!found) throw new HttpError(404, ErrorCode.NOT_FOUND, `no such endpoint: ${path}`);
    const { methods } = found.route;
    const method = req.method ?? 'GET';
    const handler: RouteHandler | undefined = Object.hasOwn(methods, method)
      ? methods[method as keyof typeof methods]
      : undefined;
    if (!handler) {
      const allowed = Object.keys(methods).join(', ');
      throw new HttpError(405, ErrorCode.BAD_REQUEST, `${path} takes ${allowed}`, {
        Allow: allowed,
      });
    }
    await handler(req, res, found.param);
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
