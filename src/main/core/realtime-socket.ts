// What the realtime client needs of its surroundings, injected so that it runs in tests: a
// socket (ws in Node, the browser's WebSocket), a clock, and the reconnection schedule. Also the
// words the connection banner uses for a close code.
import { CloseCode } from '../../shared/protocol.js';

/** What the client needs of a WebSocket; `ws` and the browser's WebSocket both fit (see ws-socket.ts). */
export interface RealtimeSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** Drop the connection without a closing handshake (a dead peer never answers one). */
  terminate(): void;
  onopen: (() => void) | null;
  onmessage: ((data: string) => void) | null;
  onclose: ((code: number, reason: string) => void) | null;
  onerror: ((message: string) => void) | null;
}
export type SocketFactory = (url: string) => RealtimeSocket;

/** Codes the client itself raises, beside the server's (src/shared/protocol.ts ErrorCode). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};

/**
 * Delay before reconnection attempt `attempt` (0 = the first retry, at once): "full jitter",
 * a uniform pick below an exponentially growing cap, so that thousands of clients dropped at the
 * same moment do not come back at the same moment.
 */
export function backoffDelay(
  attempt: number,
  random: () => number,
  baseMs = 500,
  maxMs = 30_000,
): number {
  if (attempt <= 0) return 0;
  const cap = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * A connection that never opened or dropped, in words for people: the operating system's
 * errors (ECONNREFUSED and its kin) all mean the same to someone at a desk (UX-3 gap 4).
 */
function droppedBecause(reason: string): string {
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/i.test(reason)) {
    return "can't reach the server";
  }
  if (/ECONNRESET|EPIPE|socket hang up/i.test(reason))
    return 'the connection to the server was cut';
  return 'the connection dropped';
}

/** A close code in words a person can read in the connection banner. */
export function describeClose(code: number, reason: string): string {
  switch (code) {
    case CloseCode.GOING_AWAY:
      return 'the server is restarting';
    case CloseCode.SERVICE_RESTART:
      return 'the server asked this computer to reconnect';
    case CloseCode.HEARTBEAT_TIMEOUT:
      return 'the server stopped hearing from this computer';
    case CloseCode.RATE_LIMIT:
      return 'too many requests; slowing down';
    case CloseCode.TOO_MANY_CONNECTIONS:
      return 'this account has too many open connections';
    case CloseCode.SLOW_CONSUMER:
      return 'this computer fell too far behind';
    case CloseCode.AUTH_TIMEOUT:
      return 'signing in took too long';
    case 1006:
      return droppedBecause(reason);
    default:
      return reason || `the connection closed (${code})`;
  }
}
