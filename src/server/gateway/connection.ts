// One client's WebSocket: its state (new → authenticating → open → closed), the auth handshake's
// outcome, heartbeat, the frames it sends (in order, within its budget) and the hub's view of it.
// Sending lives in outbound.ts, the order of requests in request-order.ts.
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { CloseCode, ErrorCode, type EventName, type ProtocolError } from '../../shared/protocol.js';
import type { EventMessage } from '../broker.js';
import {
  HubError,
  newCid,
  type HubConnection,
  type RequestOrder,
  type SessionUser,
} from '../hub/index.js';
import { extraCost, idOf } from './frames.js';
import { TokenLife } from './token-life.js';
import type { GatewayDeps } from './gateway.js';
import { readAuthRequest, verifyToken, type AuthFailure } from './handshake.js';
import { readFrame, readParams, type ParsedRequest } from './incoming.js';
import { Outbound, type ConnState } from './outbound.js';
import { RequestBudget } from './request-budget.js';
import { RequestQueue } from './request-order.js';

/** Frames a connection may send while its authrequest is being checked; they wait for it. */
const MAX_QUEUED_BEFORE_AUTH = 16;
/** After a close frame, how long a peer that never answers keeps its socket. */
const CLOSE_GRACE_MS = 5_000;

export class Connection implements HubConnection {
  readonly cid = newCid();
  private state: ConnState = 'new';
  private sessionUser: SessionUser | undefined;
  /** The id of the token this connection signed in with. */
  private tokenId: string | undefined;
  private tokenLife: TokenLife | undefined;
  private missedPings = 0;
  private authTimer: NodeJS.Timeout | undefined;
  private queued: [RawData, boolean][] | undefined;
  private budget: RequestBudget | undefined;
  private readonly requests = new RequestQueue();
  private readonly out: Outbound;
  /** Closing for sustained abuse once the admitted requests are answered. */
  private abusive = false;
  events: ReadonlySet<string> | null = null;
  rooms: ReadonlySet<string> | null = null;
  presenceFeed = false;

  constructor(
    private readonly ws: WebSocket,
    socket: Socket,
    private readonly deps: GatewayDeps,
  ) {
    const { config } = deps;
    this.out = new Outbound({
      ws,
      socket,
      maxBufferedBytes: config.limits.maxBufferedBytes,
      state: () => this.state,
      close: (code, reason) => this.close(code, reason),
      stats: deps.hub.stats,
    });
    this.authTimer = setTimeout(() => {
      this.close(CloseCode.AUTH_TIMEOUT, 'authentication timed out');
    }, config.authTimeoutMs);
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.leave());
    // A socket error (reset, frame too large) is followed by 'close'; log it and let close clean up.
    ws.on('error', (err) => deps.log.debug({ cid: this.cid, err: err.message }, 'socket error'));
  }

  usesToken(userId: string, jti: string | undefined): boolean {
    return (
      this.state === 'open' &&
      this.sessionUser?.userId === userId &&
      (jti === undefined || this.tokenId === jti)
    );
  }

  get user(): SessionUser {
    if (!this.sessionUser) throw new Error('connection is not authenticated');
    return this.sessionUser;
  }

  // ---- the hub's side (HubConnection) ------------------------------------------------------

  deliver(message: EventMessage, bytes: Buffer): void {
    // Held from the moment the hub subscribes it, before it is open (see Hub.open).
    if (this.state !== 'open' && (this.state === 'closed' || !this.out.holding)) return;
    if (message.cid !== undefined && message.cid !== this.cid) return;
    if (!this.wants(message.event, message.room)) return;
    // A `/presence` feed subscriber hears presence changes from the feed only, never twice.
    if (message.event === 'presence:update' && Boolean(message.feed) !== this.presenceFeed) return;
    this.out.offer(message, bytes);
  }

  hold(): void {
    this.out.hold();
  }

  release(replayed: ReadonlyMap<string, number>): void {
    this.out.release(replayed);
  }

  restart(reason: string): void {
    this.close(CloseCode.SERVICE_RESTART, reason);
  }

  sendEvent(event: EventName, room: string | undefined, frame: string): void {
    if (this.state !== 'open' || !this.wants(event, room)) return;
    this.out.sendEvent(Buffer.from(frame));
  }

  private wants(event: string, room: string | undefined): boolean {
    if (this.events && !this.events.has(event)) return false;
    if (this.rooms && room !== undefined && !this.rooms.has(room)) return false;
    return true;
  }

  private replyError(id: string | undefined, error: ProtocolError): void {
    if (id === undefined) this.out.sendJson({ type: 'error', error });
    else this.out.sendJson({ type: 'reply', id, ok: false, error });
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  heartbeat(): void {
    if (this.state !== 'open') return;
    if (this.missedPings >= 2) {
      this.close(CloseCode.HEARTBEAT_TIMEOUT, 'no answer to two pings');
      return;
    }
    this.missedPings++;
    this.out.sendJson({ type: 'ping' });
    this.tokenLife?.beat();
  }

  endSession(jti: string | undefined): void {
    if (this.sessionUser && this.usesToken(this.sessionUser.userId, jti)) {
      this.close(CloseCode.AUTH_FAILED, 'signed out');
    }
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.leave();
    this.ws.close(code, reason);
    // A dead peer never answers the close frame; do not hold its socket for ws's 30 s.
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  closeAndWait(code: number, reason: string, done: () => void): void {
    this.ws.once('close', done);
    this.close(code, reason);
  }

  terminate(): void {
    this.leave();
    this.ws.terminate();
  }

  /** The one path out: stops timers and detaches from the hub, whatever closed the socket. */
  private leave(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.authTimer);
    this.tokenLife?.dispose();
    this.queued = undefined;
    // Signed in: the hub may know it (it is a no-op for a connection the hub never set up).
    if (this.sessionUser) this.deps.hub.detach(this);
  }

  // ---- incoming ----------------------------------------------------------------------------

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed' || this.abusive) return;
    // Any frame shows the peer is alive, not only a pong.
    this.missedPings = 0;
    // While the authrequest is checked and the connection attached (its resume replayed), later
    // frames wait their turn.
    if (this.queued) {
      // Before the authresponse a few frames may wait; once it is sent (the resume still being
      // read) a client may already send its whole burst.
      const room =
        this.state === 'open'
          ? this.deps.config.limits.requestBurst + MAX_QUEUED_BEFORE_AUTH
          : MAX_QUEUED_BEFORE_AUTH;
      if (this.queued.length < room) {
        this.queued.push([data, isBinary]);
        return;
      }
      // Answered by its id where it has one, so the request does not wait forever.
      if (this.state === 'open') {
        this.refuse(idOf(data, isBinary), 'too many requests while the connection resumes', 100);
      } else {
        this.replyError(idOf(data, isBinary), {
          code: ErrorCode.RATE_LIMITED,
          message: 'wait for the authresponse before sending more',
          retryAfterMs: 100,
        });
      }
      return;
    }
    if (isBinary) {
      this.replyError(undefined, {
        code: ErrorCode.BAD_REQUEST,
        message: 'binary frames are not part of the protocol; send JSON text',
      });
      return;
    }
    this.onText(data.toString());
  }

  private onText(text: string): void {
    const frame = readFrame(text);
    switch (frame.kind) {
      case 'pong':
        return;
      case 'ping':
        this.out.sendJson({ type: 'pong' });
        return;
      case 'invalid':
        this.replyError(frame.id, frame.error);
        return;
      case 'auth':
        if (this.state === 'open') {
          this.replyError(frame.id, {
            code: ErrorCode.ALREADY_AUTHENTICATED,
            message: 'already authenticated',
          });
          return;
        }
        void this.authenticate(frame.id, frame.frame);
        return;
      case 'request':
        this.onRequest(frame.id, frame.type, frame.frame);
        return;
    }
  }

  private onRequest(id: string, type: string, frame: Record<string, unknown>): void {
    if (this.state !== 'open') {
      this.replyError(id, {
        code: ErrorCode.NOT_AUTHENTICATED,
        message: 'send an authrequest before anything else',
      });
      return;
    }
    if (!this.admit(id, 1)) return;
    const parsed = readParams(type, frame);
    if (!parsed.ok) {
      this.replyError(id, parsed.error);
      return;
    }
    const { request } = parsed;
    const extra = extraCost(request.type, request.params);
    if (extra > 0 && !this.admit(id, extra)) return;
    this.requests.enqueue(request.type === 'post', (order) => this.serve(id, request, order));
  }

  private async serve(id: string, request: ParsedRequest, order: RequestOrder): Promise<void> {
    if (this.state !== 'open') return;
    try {
      const result = await this.deps.hub.handle(this, request.type, request.params, order);
      this.out.sendJson({ type: 'reply', id, ok: true, result });
    } catch (err) {
      if (err instanceof HubError) {
        this.replyError(id, {
          code: err.code,
          message: err.message,
          ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
        });
        return;
      }
      this.deps.log.error({ err, cid: this.cid, type: request.type }, 'request failed');
      this.replyError(id, {
        code: ErrorCode.INTERNAL,
        message: 'the server failed to handle this request',
      });
    }
  }

  /** The per-connection rate limit; sustained abuse closes the socket with 4029. */
  private admit(id: string, cost: number): boolean {
    const verdict = this.budget!.take(Date.now(), cost);
    if (verdict.ok) return true;
    this.refuse(id, 'too many requests; slow down', verdict.retryAfterMs);
    return false;
  }

  /**
   * Answers RATE_LIMITED, counting the refusal; sustained abuse instead ends the connection:
   * what was admitted is still answered, nothing more is read, then the socket closes 4029.
   */
  private refuse(id: string | undefined, message: string, retryAfterMs: number): void {
    if (this.budget!.refused(Date.now())) {
      this.abusive = true;
      void this.requests.idle().then(() => this.close(CloseCode.RATE_LIMIT, 'too many requests'));
      return;
    }
    this.replyError(id, { code: ErrorCode.RATE_LIMITED, message, retryAfterMs });
  }

  // ---- the auth handshake ------------------------------------------------------------------

  private async authenticate(id: string, frame: Record<string, unknown>): Promise<void> {
    const { config, hub, log } = this.deps;
    const read = readAuthRequest(frame);
    if (!read.ok) {
      this.failAuth(id, read);
      return;
    }
    const { req } = read;
    this.state = 'authenticating';
    this.queued = [];
    const verdict = await verifyToken(this.deps, req.token, () => this.state === 'authenticating');
    if (verdict === 'gone') return;
    if (!verdict.ok) {
      this.failAuth(id, verdict);
      return;
    }
    const { user, claims } = verdict;
    this.tokenId = claims.jti;
    this.tokenLife = new TokenLife(this.deps.store, claims, (why) =>
      this.close(CloseCode.AUTH_FAILED, why === 'expired' ? 'token expired' : 'signed out'),
    );
    this.sessionUser = {
      userId: user.userId,
      username: user.username,
      displayName: user.displayName,
      isAdmin: user.isAdmin,
    };
    this.events = req.events ? new Set(req.events) : null;
    this.rooms = req.rooms ? new Set(req.rooms) : null;
    // Listening first, registered second: once anyone can see this connection online (and send
    // it a notification or a call), its node already receives what they send.
    let admitted: boolean;
    try {
      await hub.open(this);
      if (this.state !== 'authenticating') return;
      // Counted across every server of a cluster (the registry decides).
      admitted = await hub.admit(this, config.limits.connectionsPerUser);
    } catch (err) {
      log.error({ err, cid: this.cid }, 'opening a connection failed');
      this.close(CloseCode.GOING_AWAY, 'the server failed to set up this connection');
      return;
    }
    if (this.state !== 'authenticating') return;
    if (!admitted) {
      this.out.sendJson({
        type: 'authresponse',
        id,
        success: false,
        error: {
          code: ErrorCode.TOO_MANY_CONNECTIONS,
          message: `an account may hold ${config.limits.connectionsPerUser} connections at once`,
        },
      });
      this.close(CloseCode.TOO_MANY_CONNECTIONS, 'too many connections for this account');
      return;
    }
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.budget = new RequestBudget(config.limits, Date.now());
    this.state = 'open';
    this.out.sendJson({
      type: 'authresponse',
      id,
      success: true,
      user: { userId: user.userId, username: user.username, displayName: user.displayName },
      cid: this.cid,
      heartbeat: Math.max(1, Math.round(config.heartbeatMs / 1000)),
      limits: {
        maxTextBytes: config.limits.maxTextBytes,
        maxFileBytes: config.limits.maxFileBytes,
        storageQuotaBytes: config.limits.storageQuotaBytes,
      },
    });
    log.debug({ cid: this.cid, userId: user.userId }, 'authenticated');
    try {
      await hub.attach(this, req.resume);
    } catch (err) {
      log.error({ err, cid: this.cid }, 'attaching a connection failed');
      this.close(CloseCode.GOING_AWAY, 'the server failed to resume this connection');
      return;
    }
    const waiting = this.queued ?? [];
    this.queued = undefined;
    for (const [data, isBinary] of waiting) {
      if (this.state !== 'open') break;
      this.onFrame(data, isBinary);
    }
  }

  private failAuth(id: string, failure: AuthFailure): void {
    const { code, message } = failure;
    this.out.sendJson({ type: 'authresponse', id, success: false, error: { code, message } });
    this.close(
      CloseCode.AUTH_FAILED,
      failure.tokenFailure ? 'authentication failed' : 'bad authrequest',
    );
  }
}
