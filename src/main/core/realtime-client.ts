// The desktop's one realtime connection to a Parley server (protocol v1, docs/protocol.md):
// authenticate, answer heartbeats and notice silence, match replies to requests, reconnect by
// itself (at once, then full-jitter backoff) and resume every conversation from its last seq.
// No electron, no DOM: the socket comes from an injected factory.
import { Emitter, type Disposable } from '../../shared/emitter.js';
import { CodedError, DesktopErrorCode, knownCode, type IpcErrorCode } from '../../shared/errors.js';
import type { ConnectionStatus } from '../../shared/ipc.js';
import { fillGap } from './resume-gap.js';
import {
  backoffDelay,
  describeClose,
  systemClock,
  type Clock,
  type RealtimeSocket,
  type SocketFactory,
} from './realtime-socket.js';
import {
  CloseCode,
  PROTOCOL_VERSION,
  type AuthUser,
  type EventFrame,
  type ProtocolError,
  type RequestResultMap,
  type RequestType,
  type ServerLimits,
} from '../../shared/protocol.js';

/** Codes the client itself raises, beside the server's (src/shared/protocol.ts ErrorCode). */
export const ClientErrorCode = {
  NOT_CONNECTED: DesktopErrorCode.NOT_CONNECTED,
  DISCONNECTED: DesktopErrorCode.DISCONNECTED,
  TIMEOUT: DesktopErrorCode.TIMEOUT,
  DISPOSED: DesktopErrorCode.DISPOSED,
} as const;

export type { ConnectionStatus };

/** A request's failure: the server's refusal (its code if known) or the client's own. */
export class RealtimeError extends CodedError {}

export interface RealtimeClientOptions {
  /** ws:// or wss:// URL of /v1/realtime. */
  url: string;
  /** The access token; asked for on every attempt, so a refreshed one is used. */
  token: () => string | Promise<string>;
  socketFactory: SocketFactory;
  /** The last seq held per conversation, sent as `resume` on every (re)connection. */
  resumeFrom?: () => Record<string, number>;
  events?: string[];
  rooms?: string[];
  clock?: Clock;
  requestTimeoutMs?: number;
  /** How long the socket may take to open and answer the authrequest. */
  connectTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface RealtimeClientEvents extends Record<string, unknown> {
  status: ConnectionStatus;
  event: EventFrame;
}

/** Close codes after which trying again cannot help until the user acts. */
const FINAL_AUTH_CODES = new Set([
  'AUTH_FAILED',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'UNSUPPORTED_VERSION',
]);

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: RealtimeError) => void;
  timer: unknown;
}

export class RealtimeClient {
  private readonly opts: Required<Omit<RealtimeClientOptions, 'events' | 'rooms' | 'resumeFrom'>> &
    Pick<RealtimeClientOptions, 'events' | 'rooms' | 'resumeFrom'>;
  private readonly emitter = new Emitter<RealtimeClientEvents>();
  private socket: RealtimeSocket | undefined;
  private current: ConnectionStatus = { state: 'offline', reason: 'not started' };
  private attempt = 0;
  private retryTimer: unknown;
  private connectTimer: unknown;
  private silenceTimer: unknown;
  /** Two server heartbeat intervals, once known from the authresponse. */
  private silenceLimitMs = 0;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private disposed = false;

  constructor(options: RealtimeClientOptions) {
    this.opts = {
      clock: systemClock,
      requestTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      ...options,
    };
  }

  get status(): ConnectionStatus {
    return this.current;
  }

  on<E extends keyof RealtimeClientEvents>(
    event: E,
    listener: (value: RealtimeClientEvents[E]) => void,
  ): Disposable {
    return this.emitter.on(event, listener);
  }

  /** Starts connecting (again). Safe to call at any time. */
  start(): void {
    if (this.disposed) return;
    if (this.current.state === 'online' || this.current.state === 'connecting') return;
    this.attempt = 0;
    this.clearRetry();
    this.connect();
  }

  /** Disconnects and stays offline until start() (sign-out). */
  stop(reason = 'signed out'): void {
    this.clearRetry();
    this.dropSocket(1000, reason);
    this.setStatus({ state: 'offline', reason });
  }

  /**
   * The OS says something changed (resume from sleep, unlock, network up): if waiting, try now;
   * if online, check the socket is really alive with a ping, rather than wait for the silence limit.
   */
  nudge(): void {
    if (this.disposed) return;
    if (this.current.state === 'waiting') {
      this.clearRetry();
      this.connect();
    } else if (this.current.state === 'online') {
      this.socket?.send('{"type":"ping"}');
      // A live server answers within a few seconds; a dead socket is found much sooner than
      // two full heartbeat intervals.
      this.armSilence(Math.min(this.silenceLimitMs, 5_000));
    }
  }

  /** Sends a request; resolves with its result, or rejects with a RealtimeError carrying a code. */
  request<T extends RequestType>(
    type: T,
    params: Record<string, unknown>,
    timeoutMs = this.opts.requestTimeoutMs,
  ): Promise<RequestResultMap[T]> {
    if (this.current.state !== 'online' || !this.socket) {
      return Promise.reject(
        new RealtimeError(ClientErrorCode.NOT_CONNECTED, 'not connected to the server'),
      );
    }
    const id = String(this.nextId++);
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      const timer = this.opts.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(
          new RealtimeError(ClientErrorCode.TIMEOUT, `no answer to ${type} in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer });
      socket.send(JSON.stringify({ ...params, type, id }));
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.stop('disposed');
    this.disposed = true;
    this.failPending(ClientErrorCode.DISPOSED, 'the client was disposed');
    this.emitter.clear();
  }

  // ---- connection lifecycle ----------------------------------------------------------------

  private connect(): void {
    this.setStatus({ state: 'connecting', attempt: this.attempt });
    const { clock } = this.opts;
    let socket: RealtimeSocket;
    try {
      socket = this.opts.socketFactory(this.opts.url);
    } catch (err) {
      this.retry(`cannot open a connection: ${(err as Error).message}`);
      return;
    }
    this.socket = socket;
    this.connectTimer = clock.setTimeout(() => {
      if (this.socket === socket) this.lost(socket, 'the server did not answer in time');
    }, this.opts.connectTimeoutMs);
    let lastError = '';
    socket.onerror = (message) => (lastError = message);
    socket.onopen = () => void this.authenticate(socket);
    socket.onmessage = (data) => this.onFrame(socket, data);
    socket.onclose = (code, reason) => {
      if (this.socket !== socket) return;
      this.onClose(socket, code, reason || lastError);
    };
  }

  private async authenticate(socket: RealtimeSocket): Promise<void> {
    let token: string;
    try {
      token = await this.opts.token();
    } catch (err) {
      if (this.socket !== socket) return; // an older attempt: the current one is not ours to drop
      this.dropSocket(1000, 'no token');
      this.setStatus({ state: 'offline', reason: `no access token: ${(err as Error).message}` });
      return;
    }
    if (this.socket !== socket) return;
    const resume = this.opts.resumeFrom?.();
    socket.send(
      JSON.stringify({
        type: 'authrequest',
        id: 'auth',
        token,
        version: PROTOCOL_VERSION,
        ...(this.opts.events ? { events: this.opts.events } : {}),
        ...(this.opts.rooms ? { rooms: this.opts.rooms } : {}),
        ...(resume && Object.keys(resume).length ? { resume } : {}),
      }),
    );
  }

  private onFrame(socket: RealtimeSocket, data: string): void {
    if (this.socket !== socket) return;
    if (this.silenceLimitMs) this.armSilence(this.silenceLimitMs);
    let frame: { type?: string; [k: string]: unknown };
    try {
      frame = JSON.parse(data) as typeof frame;
    } catch {
      return; // the server only sends JSON; a broken frame is not worth dropping the connection
    }
    switch (frame.type) {
      case 'ping':
        socket.send('{"type":"pong"}');
        return;
      case 'pong':
        return;
      case 'authresponse':
        this.onAuthResponse(frame);
        return;
      case 'reply':
        this.onReply(frame as { id: string; ok: boolean; result?: unknown; error?: ProtocolError });
        return;
      case 'event': {
        // Events are passed on as the server sent them, unparsed: every consumer (conversation
        // state, history cache, presence, the renderer) reads only the fields it knows and
        // renders text as text. Parsing each event here would cost the hot path a schema walk.
        const event = frame as unknown as EventFrame;
        this.emitter.emit('event', event);
        if (event.event === 'resume' && !event.data.complete) {
          void fillGap(
            {
              history: (params) => this.request('history', params),
              emit: (e) => this.emitter.emit('event', e),
              current: () => this.socket === socket,
            },
            event.data,
          );
        }
        return;
      }
      default:
        return; // `error` frames answer frames we never send malformed; future types are ignored
    }
  }

  private onAuthResponse(frame: Record<string, unknown>): void {
    this.opts.clock.clearTimeout(this.connectTimer);
    if (frame.success !== true) {
      const error = frame.error as ProtocolError | undefined;
      this.dropSocket(1000, 'authentication refused');
      const code = error?.code ?? 'AUTH_FAILED';
      if (FINAL_AUTH_CODES.has(code)) {
        this.setStatus({ state: 'offline', reason: error?.message ?? 'sign-in refused', code });
      } else {
        this.retry(error?.message ?? 'sign-in refused');
      }
      return;
    }
    this.attempt = 0;
    this.silenceLimitMs = 2 * 1000 * Number(frame.heartbeat ?? 25);
    this.armSilence(this.silenceLimitMs);
    const limits = frame.limits as ServerLimits | undefined;
    this.setStatus({
      state: 'online',
      user: frame.user as AuthUser,
      cid: String(frame.cid),
      ...(limits && typeof limits.maxFileBytes === 'number' ? { limits } : {}),
    });
  }

  private onReply(frame: {
    id: string;
    ok: boolean;
    result?: unknown;
    error?: ProtocolError;
  }): void {
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    this.pending.delete(frame.id);
    this.opts.clock.clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.result);
    else {
      const e = frame.error ?? { code: 'INTERNAL', message: 'no error given' };
      pending.reject(new RealtimeError(knownCode(e.code), e.message, e.retryAfterMs));
    }
  }

  private onClose(socket: RealtimeSocket, code: number, reason: string): void {
    if (code === CloseCode.AUTH_FAILED && this.current.state === 'offline') return; // handled
    this.lost(socket, describeClose(code, reason));
  }

  /** The one failure path of a connection: forget it, fail its requests, try again later. */
  private lost(socket: RealtimeSocket, why: string): void {
    if (this.socket !== socket) return;
    this.dropSocket(4000, why);
    this.retry(why);
  }

  private retry(why: string): void {
    if (this.disposed || this.current.state === 'offline') return;
    const delay = backoffDelay(
      this.attempt,
      this.opts.clock.random,
      this.opts.backoffBaseMs,
      this.opts.backoffMaxMs,
    );
    const attempt = this.attempt++;
    this.setStatus({
      state: 'waiting',
      attempt,
      retryAt: this.opts.clock.now() + delay,
      reason: why,
    });
    this.retryTimer = this.opts.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  private armSilence(ms: number): void {
    const { clock } = this.opts;
    clock.clearTimeout(this.silenceTimer);
    const socket = this.socket;
    this.silenceTimer = clock.setTimeout(() => {
      if (socket && this.socket === socket) this.lost(socket, 'the connection went silent');
    }, ms);
  }

  private dropSocket(code: number, reason: string): void {
    const { clock } = this.opts;
    clock.clearTimeout(this.connectTimer);
    clock.clearTimeout(this.silenceTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.silenceLimitMs = 0;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      // A polite close for a live peer; terminate for one that stopped answering.
      if (code === 4000) socket.terminate();
      else socket.close(code, reason);
    }
    this.failPending(ClientErrorCode.DISCONNECTED, `the connection was lost: ${reason}`);
  }

  private failPending(code: IpcErrorCode, message: string): void {
    for (const [id, p] of this.pending) {
      this.opts.clock.clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new RealtimeError(code, message));
    }
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) this.opts.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private setStatus(status: ConnectionStatus): void {
    this.current = status;
    this.emitter.emit('status', status);
  }
}
