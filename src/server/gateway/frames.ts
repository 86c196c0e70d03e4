// Small pieces of the WebSocket path with no connection state: upgrade refusals, frame depth,
// request ids and the extra cost of expensive requests.
import type { Duplex } from 'node:stream';
import type { RawData } from 'ws';
import { ErrorCode, type RequestType } from '../../shared/protocol.js';

/** A WebSocket upgrade carries a dozen or so headers; far more is abuse. */
export const MAX_UPGRADE_HEADERS = 100;

/**
 * Frames deeper than this are refused: real requests need a handful of levels, and a body nested
 * thousands deep overflows the stack of whoever validates, stores or serializes it next.
 */
export const MAX_FRAME_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `max`; iterative, so it cannot overflow itself. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
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
export function extraCost(type: RequestType, params: unknown): number {
  if (type === 'notify') return (params as { user_ids: string[] }).user_ids.length - 1;
  if (type === 'conversations') return 9;
  // A search reads an index across every conversation the user is in.
  if (type === 'search') return 4;
  return 0;
}

/** A text frame's request id, if it has a usable one (for answering a frame not served). */
export function idOf(data: RawData, isBinary: boolean): string | undefined {
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

export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

export function rejectUpgrade(
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

export function rejectTooMany(socket: Duplex, retryAfterMs: number, message: string): void {
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
