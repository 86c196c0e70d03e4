// Bounds on what an HTTP client can make the server hold (security review 3, F7): request bodies
// in flight per address and per user, a deadline on small bodies, a minimum rate on uploads, and
// open sockets per address. The server has no whole-request deadline (a large upload may rightly
// take minutes), so each body is bounded where it is read.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode } from '../../shared/protocol.js';
import { toDisposable, type Disposable } from '../../shared/lifecycle.js';
import { addressKey } from '../rate-limit.js';
import { HttpError } from './respond.js';

export interface BodyLimits {
  /** Request bodies being read at once from one address (or IPv6 /64). */
  httpBodiesPerAddress: number;
  /** Request bodies being read at once for one account (uploads and pictures together). */
  httpBodiesPerUser: number;
  /** A small body (JSON, a picture) must arrive whole within this. */
  bodyDeadlineMs: number;
  /** An upload slower than this on average, after its first 30 s, is cut off. */
  uploadMinBytesPerSecond: number;
}

/** Counts bodies in flight; `enter` refuses past the bounds with 429 RATE_LIMITED. */
export class BodyGate {
  private readonly byAddress = new Map<string, number>();
  private readonly byUser = new Map<string, number>();

  constructor(private readonly limits: BodyLimits) {}

  enter(address: string, userId: string): Disposable {
    const key = addressKey(address);
    const fromHere = this.byAddress.get(key) ?? 0;
    const fromUser = this.byUser.get(userId) ?? 0;
    if (fromHere >= this.limits.httpBodiesPerAddress) {
      throw new HttpError(
        429,
        ErrorCode.RATE_LIMITED,
        `at most ${this.limits.httpBodiesPerAddress} uploads at once from one address`,
        { 'Retry-After': '5' },
      );
    }
    if (fromUser >= this.limits.httpBodiesPerUser) {
      throw new HttpError(
        429,
        ErrorCode.RATE_LIMITED,
        `at most ${this.limits.httpBodiesPerUser} uploads at once; wait for one to finish`,
        { 'Retry-After': '5' },
      );
    }
    this.byAddress.set(key, fromHere + 1);
    this.byUser.set(userId, fromUser + 1);
    return toDisposable(() => {
      decrement(this.byAddress, key);
      decrement(this.byUser, userId);
    });
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}

/**
 * Reads a small body whole: a declared length over `maxBytes` is refused before a byte is read,
 * and a body still arriving after the deadline is cut off (its socket closed).
 */
export async function readSmallBody(
  req: IncomingMessage,
  maxBytes: number,
  deadlineMs: number,
  tooLarge: string,
): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw new HttpError(413, ErrorCode.TOO_LARGE, tooLarge);
  const chunks: Buffer[] = [];
  let size = 0;
  const deadline = setTimeout(() => req.destroy(), deadlineMs);
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new HttpError(413, ErrorCode.TOO_LARGE, tooLarge);
      chunks.push(chunk);
    }
  } finally {
    clearTimeout(deadline);
  }
  return Buffer.concat(chunks);
}

/** Grace before an upload's rate is judged: slow starts and TCP ramp-up. */
const RATE_GRACE_MS = 30_000;
const RATE_CHECK_MS = 5_000;

/**
 * Cuts off an upload that sends less than `minBytesPerSecond` on average once RATE_GRACE_MS have
 * passed (one byte every 29 s kept a 256 MiB upload open for years: F7). Dispose when it ends.
 */
export function watchUploadRate(req: IncomingMessage, minBytesPerSecond: number): Disposable {
  const socket = req.socket;
  const startBytes = socket.bytesRead;
  const started = Date.now();
  const timer = setInterval(() => {
    const elapsed = Date.now() - started;
    if (elapsed < RATE_GRACE_MS) return;
    const received = socket.bytesRead - startBytes;
    if (received < (minBytesPerSecond * elapsed) / 1000) req.destroy();
  }, RATE_CHECK_MS);
  timer.unref();
  return toDisposable(() => clearInterval(timer));
}

/**
 * At most `perAddress` open sockets from one address (or /64): past that a new connection is
 * closed at once, before it can hold a descriptor. Not behind a proxy, where every socket comes
 * from the proxy's address (the proxy bounds them).
 */
export function capSocketsPerAddress(http: Server, perAddress: number): void {
  const open = new Map<string, number>();
  http.on('connection', (socket: Socket) => {
    const key = addressKey(socket.remoteAddress ?? 'unknown');
    const count = (open.get(key) ?? 0) + 1;
    if (count > perAddress) {
      socket.destroy();
      return;
    }
    open.set(key, count);
    socket.once('close', () => decrement(open, key));
  });
}
