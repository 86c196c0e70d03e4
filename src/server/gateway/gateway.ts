// The WebSocket side of protocol v1: upgrade checks (path, headers, per-address rate, capacity),
// the heartbeat, revocation and shutdown. Each accepted socket becomes a Connection
// (connection.ts), which hands requests to the hub.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { CloseCode, ErrorCode, REALTIME_PATH } from '../../shared/protocol.js';
import type { TokenIssuer } from '../auth.js';
import type { ServerConfig } from '../config.js';
import type { Hub } from '../hub/index.js';
import { addressKey, type SharedWindow, type WindowFactory } from '../rate-limit.js';
import { requestPath, type RequestGuard } from '../request-guard.js';
import type { Store } from '../store/store.js';
import { Connection } from './connection.js';
import { MAX_UPGRADE_HEADERS, rejectTooMany, rejectUpgrade } from './frames.js';

export interface GatewayDeps {
  hub: Hub;
  store: Store;
  tokens: TokenIssuer;
  config: ServerConfig;
  log: Logger;
  guard: RequestGuard;
  /** Where the per-address connection window lives (this process, or Redis). */
  windows: WindowFactory;
}

export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly connectRate: SharedWindow;
  private readonly heartbeat: NodeJS.Timeout;
  private closing = false;

  constructor(readonly deps: GatewayDeps) {
    const { limits } = deps.config;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxFrameBytes,
      // Off: compression lets a small frame inflate past the frame limit, and costs CPU per send.
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.connectRate = deps.windows('connect', limits.connectionsPerIpPerMinute, 60_000);
    this.heartbeat = setInterval(() => this.beat(), deps.config.heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.connections.size;
  }

  /**
   * Never throws: it runs inside http's 'upgrade' listener, where an exception would end the
   * process (a request target such as `//` once did exactly that: security review C1).
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // HTTP stops watching the socket at 'upgrade', and ws starts only at handleUpgrade: a reset
    // in between (while the shared limit is asked, or after a refusal) must not be unhandled.
    socket.on('error', (err) => this.deps.log.debug({ err: err.message }, 'upgrade socket error'));
    this.upgrade(req, socket, head).catch((err: unknown) => {
      this.deps.log.warn({ err, url: req.url }, 'upgrade failed');
      if (socket.writable) {
        rejectUpgrade(socket, 400, ErrorCode.BAD_REQUEST, 'this upgrade request is not valid');
      } else socket.destroy();
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const refusal = this.deps.guard.check(req);
    if (refusal) {
      rejectUpgrade(socket, refusal.status, ErrorCode.FORBIDDEN, refusal.message);
      return;
    }
    if (requestPath(req.url) !== REALTIME_PATH) {
      rejectUpgrade(socket, 404, ErrorCode.NOT_FOUND, `the WebSocket endpoint is ${REALTIME_PATH}`);
      return;
    }
    if (req.rawHeaders.length / 2 > MAX_UPGRADE_HEADERS) {
      rejectUpgrade(socket, 400, ErrorCode.BAD_REQUEST, `at most ${MAX_UPGRADE_HEADERS} headers`);
      return;
    }
    if (this.closing) {
      rejectUpgrade(socket, 503, ErrorCode.SERVER_FULL, 'the server is shutting down');
      return;
    }
    const ip = this.deps.guard.clientAddress(req);
    const now = Date.now();
    // Only the connection rate is checked here: a lockout by failed sign-ins would also refuse
    // valid tokens, and any web page could trigger it (review M9). A token costs one HMAC, and
    // this rate bounds how many a single address can have checked.
    const rate = await this.connectRate.hit(addressKey(ip), now);
    if (socket.destroyed) return;
    if (!rate.ok) {
      rejectTooMany(socket, rate.retryAfterMs, 'too many new connections from this address');
      return;
    }
    if (this.connections.size >= this.deps.config.limits.maxConnections) {
      rejectUpgrade(
        socket,
        503,
        ErrorCode.SERVER_FULL,
        'the server has no room for more connections',
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(ws, socket as Socket, this.deps);
      this.connections.add(conn);
      ws.once('close', () => this.connections.delete(conn));
    });
  }

  /** Closes the connections that used a token revoked just now (sign-out, password change). */
  revoked(which: { userId: string; jti?: string }): void {
    for (const conn of this.connections) {
      if (conn.usesToken(which.userId, which.jti)) conn.close(CloseCode.AUTH_FAILED, 'signed out');
    }
  }

  /** Sends every live connection a ping; closes those that missed two. */
  private beat(): void {
    for (const conn of this.connections) conn.heartbeat();
  }

  /** Closes every connection with 1001 and waits (briefly) for them to go. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    const gone = [...this.connections].map(
      (c) =>
        new Promise<void>((resolve) =>
          c.closeAndWait(CloseCode.GOING_AWAY, 'server going away', resolve),
        ),
    );
    await Promise.race([Promise.all(gone), new Promise((r) => setTimeout(r, 2_000))]);
    for (const c of this.connections) c.terminate();
    this.wss.close();
  }
}
