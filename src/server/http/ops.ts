// What operators and clients ask of the server itself: where the realtime endpoint is, whether
// the server is healthy, and its metrics (administrators only).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, REALTIME_PATH } from '../../shared/protocol.js';
import type { BearerCheck } from './bearer.js';
import type { HttpDeps } from './http.js';
import { HttpError, send, type Route } from './respond.js';

export function opsRoutes(deps: HttpDeps, { requireBearer }: BearerCheck): Route[] {
  const { guard, config, metrics } = deps;
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

  return [
    { path: '/v1/realtime/endpoint', methods: { GET: endpoint } },
    {
      path: '/healthz',
      methods: {
        GET: (_req, res) =>
          deps.healthy && !deps.healthy()
            ? send(res, 503, { ok: false })
            : send(res, 200, { ok: true }),
      },
    },
    { path: '/metrics', methods: { GET: serveMetrics } },
  ];
}
