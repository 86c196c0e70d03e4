// The WebSocket side of protocol v1: upgrade checks, the auth handshake, heartbeat, per-connection
// limits, framing, and dispatch of requests to the hub.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  REALTIME_PATH,
  type EventName,
  type ProtocolError,
  type RequestType,
} from '../shared/protocol.js';
import { authRequest, describeIssues, requestEnvelope, requestParams } from '../shared/schemas.js';
import { TokenError, type TokenClaims, type TokenIssuer } from './auth.js';
import type { EventMessage } from './broker.js';
import type { ServerConfig } from './config.js';
import type { Hub } from './hub/index.js';
import {
  HubError,
  newCid,
  type HubConnection,
  type RequestOrder,
  type SessionUser,
} from './hub/index.js';
import { addressKey, TokenBucket, type SharedWindow, type WindowFactory } from './rate-limit.js';
import { requestPath, type RequestGuard } from './request-guard.js';
import type { Store } from './store/store.js';
import { textFrame } from './ws-frame.js';

/** A WebSocket upgrade carries a dozen or so headers; far more is abuse. */
const MAX_UPGRADE_HEADERS = 100;
/** Frames a connection may send while its authrequest is being checked; they wait for it. */
const MAX_QUEUED_BEFORE_AUTH = 16;
/** After a close frame, how long a peer that never answers keeps its socket. */
const CLOSE_GRACE_MS = 5_000;

type ConnState = 'new' | 'authenticating' | 'open' | 'closed';

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

/**
 * Write batching: a socket is corked at its first frame in a turn of the event loop and uncorked
 * once the turn's I/O is done, so a burst of frames to one client leaves in one writev instead of
 * one syscall each. This is most of the cost of fan-out. ws corks around its own two-part writes;
 * cork() nests, so those stay inside ours.
 */
const corkedConnections: Connection[] = [];

function flushCorked(): void {
  for (const conn of corkedConnections.splice(0)) conn.uncork();
}

/**
 * Frames deeper than this are refused: real requests need a handful of levels, and a body nested
 * thousands deep overflows the stack of whoever validates, stores or serializes it next.
 */
export const MAX_FRAME_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `max`; iterative, so it cannot overflow itself. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Tokens a request takes beyond the first: what it costs the server or others (review M2, M14).
 * `notify` reaches one person per id; `conversations` counts unread messages in every one.
 */
function extraCost(type: RequestType, params: unknown): number {
  if (type === 'notify') return (params as { user_ids: string[] }).user_ids.length - 1;
  if (type === 'conversations') return 9;
  // A search reads an index across every conversation the user is in.
  if (type === 'search') return 4;
  return 0;
}

/** A text frame's request id, if it has a usable one (for answering a frame not served). */
function idOf(data: RawData, isBinary: boolean): string | undefined {
  if (isBinary) return undefined;
  try {
    const frame = JSON.parse(data.toString()) as { id?: unknown };
    return typeof frame.id === 'string' && frame.id.length > 0 && frame.id.length <= 64
      ? frame.id
      : undefined;
  } catch {
    return undefined;
  }
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function rejectUpgrade(
  socket: Duplex,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ error: { code, message } });
  const head = [
    `HTTP/1.1 ${status} ${statusText(status)}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

function rejectTooMany(socket: Duplex, retryAfterMs: number, message: string): void {
  rejectUpgrade(socket, 429, ErrorCode.RATE_LIMITED, message, {
    'Retry-After': String(Math.ceil(retryAfterMs / 1000)),
  });
}

function statusText(status: number): string {
  switch (status) {
    case 400:
      return 'Bad Request';
    case 403:
      return 'Forbidden';
    case 404:
      return 'Not Found';
    case 429:
      return 'Too Many Requests';
    case 503:
      return 'Service Unavailable';
    default:
      return 'Error';
  }
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
      const conn = new Connection(ws, socket as Socket, ip, this);
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

class Connection implements HubConnection {
  readonly cid = newCid();
  private state: ConnState = 'new';
  private sessionUser: SessionUser | undefined;
  /** The id of the token this connection signed in with. */
  private tokenId: string | undefined;
  private missedPings = 0;
  private authTimer: NodeJS.Timeout | undefined;
  private queued: [RawData, boolean][] | undefined;
  private bucket: TokenBucket | undefined;
  /** The requests of this connection, taken in order (see onText). */
  private work: Promise<void> = Promise.resolve();
  /** Requests started and not finished. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Settles once the latest post has handed its message to the store (or finished). */
  private lastPost: Promise<void> = Promise.resolve();
  /** Live deliveries held while the connection is attached (see Hub.attach). */
  private held: { message: EventMessage; bytes: Buffer }[] | undefined;
  private heldBytes = 0;
  /** Nested holds (an attach and a join's replay) release together, with all they replayed. */
  private holds = 0;
  private heldReplayed = new Map<string, number>();
  /**
   * Per conversation, the seq a replay sent this connection up to, until a live event passes it:
   * behind a lossy broker the node's stream of a conversation can lag the store the replay read,
   * and its events up to there would otherwise arrive a second time (after the release too).
   */
  private readonly floors = new Map<string, number>();
  private refusals = 0;
  /** Closing for sustained abuse once the admitted requests are answered. */
  private abusive = false;
  private refusalWindowStart = 0;
  /** Bytes written since this socket was corked in the current turn (not yet offered to the kernel). */
  private corkedBytes = -1;
  /** Event bytes written in the current corked turn (they get that turn's grace). */
  private turnEventBytes = 0;
  private readingPaused = false;
  events: ReadonlySet<string> | null = null;
  rooms: ReadonlySet<string> | null = null;
  presenceFeed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly ip: string,
    private readonly gw: Gateway,
  ) {
    const { config } = gw.deps;
    this.authTimer = setTimeout(() => {
      this.close(CloseCode.AUTH_TIMEOUT, 'authentication timed out');
    }, config.authTimeoutMs);
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.onClose());
    // A socket error (reset, frame too large) is followed by 'close'; log it and let close clean up.
    ws.on('error', (err) => gw.deps.log.debug({ cid: this.cid, err: err.message }, 'socket error'));
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

  // ---- outgoing ----------------------------------------------------------------------------

  deliver(message: EventMessage, bytes: Buffer): void {
    // Held from the moment the hub subscribes it, before it is open (see Hub.open).
    if (this.state !== 'open' && (this.state === 'closed' || !this.held)) return;
    if (message.cid !== undefined && message.cid !== this.cid) return;
    if (!this.wants(message.event, message.room)) return;
    // A `/presence` feed subscriber hears presence changes from the feed only, never twice.
    if (message.event === 'presence:update' && Boolean(message.feed) !== this.presenceFeed) return;
    if (this.held) {
      // Held events are filtered at release, against everything replayed by then.
      this.heldBytes += bytes.length;
      if (this.heldBytes > this.gw.deps.config.limits.maxBufferedBytes) {
        this.close(CloseCode.SLOW_CONSUMER, 'too much arrived while resuming');
        return;
      }
      this.held.push({ message, bytes });
      return;
    }
    if (this.belowFloor(message)) return;
    this.sendBytes(bytes);
  }

  /** Whether a replay already sent this stored event; a later one lifts the floor. */
  private belowFloor(message: EventMessage): boolean {
    if (this.floors.size === 0 || message.seq === undefined || message.room === undefined) {
      return false;
    }
    const floor = this.floors.get(message.room);
    if (floor === undefined) return false;
    if (message.seq <= floor) return true;
    this.floors.delete(message.room);
    return false;
  }

  hold(): void {
    this.holds++;
    this.held ??= [];
  }

  release(replayed: ReadonlyMap<string, number>): void {
    for (const [room, seq] of replayed) {
      this.heldReplayed.set(room, Math.max(seq, this.heldReplayed.get(room) ?? 0));
    }
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds > 0) return;
    const held = this.held ?? [];
    for (const [room, seq] of this.heldReplayed) {
      this.floors.set(room, Math.max(seq, this.floors.get(room) ?? 0));
    }
    this.held = undefined;
    this.heldBytes = 0;
    this.heldReplayed = new Map();
    for (const { message, bytes } of held) {
      // Already sent by the replay: the same seq of the same conversation.
      if (this.belowFloor(message)) continue;
      if (this.state !== 'open') return;
      this.sendBytes(bytes);
    }
  }

  restart(reason: string): void {
    this.close(CloseCode.SERVICE_RESTART, reason);
  }

  sendEvent(event: EventName, room: string | undefined, frame: string): void {
    if (this.state !== 'open' || !this.wants(event, room)) return;
    this.sendBytes(Buffer.from(frame));
  }

  private wants(event: string, room: string | undefined): boolean {
    if (this.events && !this.events.has(event)) return false;
    if (this.rooms && room !== undefined && !this.rooms.has(room)) return false;
    return true;
  }

  private sendBytes(bytes: Buffer): void {
    if (!this.write(bytes, true)) return;
    this.gw.deps.hub.stats.deliveries++;
  }

  private sendJson(frame: object): void {
    if (this.state === 'closed') return;
    this.write(JSON.stringify(frame), false);
  }

  /**
   * Every frame to the client goes through here, replies as well as events (review H3: replies
   * once bypassed the limit, and a client that sent requests without reading grew the server by
   * hundreds of MB). Counted against `maxBufferedBytes`: everything the kernel has not taken,
   * less the events fanned out in this same turn (a burst of live messages is not the client's
   * fault; the next turn counts them). Over the limit closes 4031. Past half of it the server
   * stops reading the client's frames until its queue drains, so a client that pipelines
   * requests slows down instead of being cut off.
   */
  private write(data: Buffer | string, isEvent: boolean): boolean {
    const { maxBufferedBytes } = this.gw.deps.config.limits;
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    const unsent = this.ws.bufferedAmount - this.turnEventBytes;
    if (unsent + length > maxBufferedBytes) {
      this.close(CloseCode.SLOW_CONSUMER, 'too much unsent data: the client is not reading');
      return false;
    }
    if (this.corkedBytes < 0) {
      this.corkedBytes = 0;
      this.turnEventBytes = 0;
      this.socket.cork();
      if (corkedConnections.push(this) === 1) setImmediate(flushCorked);
    }
    this.corkedBytes += length;
    if (isEvent) this.turnEventBytes += length;
    if (isEvent && typeof data !== 'string' && this.ws.readyState === this.ws.OPEN) {
      // Framed once for every socket it goes to (ws-frame.ts). Written under ws: with
      // permessage-deflate off, ws.send writes a frame straight to the socket as well, so frames
      // never interleave, and ws counts these bytes in bufferedAmount all the same.
      this.socket.write(textFrame(data));
    } else {
      this.ws.send(data, { binary: false });
    }
    if (!this.readingPaused && unsent + length > maxBufferedBytes / 2) this.pauseReading();
    return true;
  }

  /** Stops reading the client's frames until what was written to it has drained. */
  private pauseReading(): void {
    this.readingPaused = true;
    this.ws.pause();
    this.socket.once('drain', () => {
      this.readingPaused = false;
      if (this.state !== 'closed') this.ws.resume();
    });
  }

  uncork(): void {
    this.corkedBytes = -1;
    this.turnEventBytes = 0;
    this.socket.uncork();
  }

  private replyError(id: string | undefined, error: ProtocolError): void {
    if (id === undefined) this.sendJson({ type: 'error', error });
    else this.sendJson({ type: 'reply', id, ok: false, error });
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  heartbeat(): void {
    if (this.state !== 'open') return;
    if (this.missedPings >= 2) {
      this.close(CloseCode.HEARTBEAT_TIMEOUT, 'no answer to two pings');
      return;
    }
    this.missedPings++;
    this.sendJson({ type: 'ping' });
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

  private onClose(): void {
    this.leave();
  }

  /** The one path out: stops timers and detaches from the hub, whatever closed the socket. */
  private leave(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.authTimer);
    this.queued = undefined;
    // Signed in: the hub may know it (it is a no-op for a connection the hub never set up).
    if (this.sessionUser) this.gw.deps.hub.detach(this);
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
          ? this.gw.deps.config.limits.requestBurst + MAX_QUEUED_BEFORE_AUTH
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
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.replyError(undefined, {
        code: ErrorCode.BAD_REQUEST,
        message: 'the frame is not valid JSON',
      });
      return;
    }
    if (nestedDeeperThan(frame, MAX_FRAME_DEPTH)) {
      this.replyError(undefined, {
        code: ErrorCode.BAD_REQUEST,
        message: `a frame may nest at most ${MAX_FRAME_DEPTH} levels deep`,
      });
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.replyError(undefined, {
        code: ErrorCode.BAD_REQUEST,
        message: 'a frame is a JSON object',
      });
      return;
    }
    const obj = frame as Record<string, unknown>;
    if (obj.type === 'pong') return;
    if (obj.type === 'ping') {
      this.sendJson({ type: 'pong' });
      return;
    }
    const envelope = requestEnvelope.safeParse(obj);
    if (!envelope.success) {
      const id = typeof obj.id === 'string' && obj.id.length <= 64 && obj.id ? obj.id : undefined;
      this.replyError(id, {
        code: ErrorCode.BAD_REQUEST,
        message: `a request needs a type and an id: ${describeIssues(envelope.error)}`,
      });
      return;
    }
    const { type, id } = envelope.data;
    if (type === 'authrequest') {
      if (this.state === 'open') {
        this.replyError(id, {
          code: ErrorCode.ALREADY_AUTHENTICATED,
          message: 'already authenticated',
        });
        return;
      }
      void this.authenticate(obj);
      return;
    }
    if (this.state !== 'open') {
      this.replyError(id, {
        code: ErrorCode.NOT_AUTHENTICATED,
        message: 'send an authrequest before anything else',
      });
      return;
    }
    if (!this.admit(id, 1)) return;
    if (!hasOwn(requestParams, type)) {
      this.replyError(id, { code: ErrorCode.BAD_REQUEST, message: `unknown request type ${type}` });
      return;
    }
    const requestType = type as RequestType;
    const parsed = requestParams[requestType].safeParse(obj);
    if (!parsed.success) {
      this.replyError(id, { code: ErrorCode.BAD_REQUEST, message: describeIssues(parsed.error) });
      return;
    }
    const extra = extraCost(requestType, parsed.data);
    if (extra > 0 && !this.admit(id, extra)) return;
    // In order per connection: with a networked store a later request could otherwise finish
    // first (two posts stored out of the order they were sent). Consecutive posts overlap their
    // checks, and each hands its message to the store only after the post before it has (the
    // store keeps that order: group commit), so a client's burst is stored in a few round trips
    // and fanned out in a few turns instead of one of each per message. Anything else waits for
    // everything before it to finish, and everything after it waits for it.
    const pipelined = requestType === 'post';
    this.work = this.work.then(async () => {
      if (!pipelined) await Promise.all(this.inFlight);
      let queued!: () => void;
      const handedOver = new Promise<void>((resolve) => (queued = resolve));
      const before = this.lastPost;
      const done = this.serve(id, requestType, parsed.data, { before, queued });
      this.inFlight.add(done);
      void done.finally(() => this.inFlight.delete(done));
      // A post that fails its checks early must not let the next overtake the one before it.
      if (pipelined) this.lastPost = before.then(() => Promise.race([handedOver, done]));
      else await done;
    });
  }

  /** Resolves when every request read so far has been answered. */
  private async idle(): Promise<void> {
    await this.work;
    await Promise.all(this.inFlight);
  }

  private async serve(
    id: string,
    type: RequestType,
    params: unknown,
    order: RequestOrder,
  ): Promise<void> {
    if (this.state !== 'open') return;
    try {
      const result = await this.gw.deps.hub.handle(this, type, params as never, order);
      this.sendJson({ type: 'reply', id, ok: true, result });
    } catch (err) {
      if (err instanceof HubError) {
        this.replyError(id, {
          code: err.code,
          message: err.message,
          ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
        });
        return;
      }
      this.gw.deps.log.error({ err, cid: this.cid, type }, 'request failed');
      this.replyError(id, {
        code: ErrorCode.INTERNAL,
        message: 'the server failed to handle this request',
      });
    }
  }

  /** The per-connection rate limit; sustained abuse closes the socket with 4029. */
  private admit(id: string, cost: number): boolean {
    const now = Date.now();
    const verdict = this.bucket!.take(now, cost);
    if (verdict.ok) return true;
    this.refuse(id, 'too many requests; slow down', verdict.retryAfterMs);
    return false;
  }

  /**
   * Answers RATE_LIMITED, counting the refusal; sustained abuse instead ends the connection:
   * what was admitted is still answered, nothing more is read, then the socket closes 4029.
   */
  private refuse(id: string | undefined, message: string, retryAfterMs: number): void {
    const { limits } = this.gw.deps.config;
    const now = Date.now();
    if (now - this.refusalWindowStart > limits.abuseWindowMs) {
      this.refusalWindowStart = now;
      this.refusals = 0;
    }
    this.refusals++;
    if (this.refusals > limits.abuseRefusals) {
      this.abusive = true;
      void this.idle().then(() => this.close(CloseCode.RATE_LIMIT, 'too many requests'));
      return;
    }
    this.replyError(id, { code: ErrorCode.RATE_LIMITED, message, retryAfterMs });
  }

  private async authenticate(frame: Record<string, unknown>): Promise<void> {
    const { config, tokens, store, hub, log } = this.gw.deps;
    const id = String(frame.id);
    const parsed = authRequest.safeParse(frame);
    if (!parsed.success) {
      this.failAuth(id, ErrorCode.BAD_REQUEST, describeIssues(parsed.error), false);
      return;
    }
    const req = parsed.data;
    if (req.version !== undefined && req.version !== PROTOCOL_VERSION) {
      this.failAuth(
        id,
        ErrorCode.UNSUPPORTED_VERSION,
        `this server speaks protocol ${PROTOCOL_VERSION}`,
        false,
      );
      return;
    }
    this.state = 'authenticating';
    this.queued = [];
    let claims: TokenClaims;
    try {
      claims = await tokens.verify(req.token);
    } catch (err) {
      if (this.state !== 'authenticating') return;
      const code = err instanceof TokenError ? err.code : ErrorCode.AUTH_FAILED;
      this.failAuth(
        id,
        code,
        err instanceof TokenError ? err.message : 'the token is not valid',
        true,
      );
      return;
    }
    if (this.state !== 'authenticating') return; // closed while the token was checked
    const userId = claims.sub;
    const user = await store.userById(userId);
    if (this.state !== 'authenticating') return;
    if (!user) {
      this.failAuth(id, ErrorCode.AUTH_FAILED, 'the account of this token no longer exists', true);
      return;
    }
    if (user.tokenVersion !== claims.tv || (await store.isRevoked(claims.jti))) {
      this.failAuth(
        id,
        ErrorCode.TOKEN_REVOKED,
        'this sign-in has ended (signed out or password changed); sign in again',
        true,
      );
      return;
    }
    this.tokenId = claims.jti;
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
      this.sendJson({
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
    this.bucket = new TokenBucket(
      config.limits.requestsPerSecond,
      config.limits.requestBurst,
      Date.now(),
    );
    this.state = 'open';
    this.sendJson({
      type: 'authresponse',
      id,
      success: true,
      user: { userId: user.userId, username: user.username, displayName: user.displayName },
      cid: this.cid,
      heartbeat: Math.max(1, Math.round(config.heartbeatMs / 1000)),
      limits: {
        maxTextBytes: config.limits.maxTextBytes,
        maxFileBytes: config.limits.maxFileBytes,
      },
    });
    log.debug({ cid: this.cid, userId }, 'authenticated');
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

  private failAuth(id: string, code: ErrorCode, message: string, tokenFailure: boolean): void {
    this.sendJson({ type: 'authresponse', id, success: false, error: { code, message } });
    this.close(CloseCode.AUTH_FAILED, tokenFailure ? 'authentication failed' : 'bad authrequest');
  }
}
