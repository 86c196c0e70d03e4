// Answers and request bodies for the REST side: one coded error type, JSON replies, and a
// bounded JSON body reader.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { ErrorCode } from '../../shared/protocol.js';
import { describeIssues } from '../../shared/schemas.js';

const MAX_BODY_BYTES = 16 * 1024;
/** A JSON body must arrive within this (the server has no whole-request deadline: uploads). */
const BODY_DEADLINE_MS = 30_000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function send(
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

export async function readJson<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
): Promise<z.output<S>> {
  // Required, not only checked when present: a body with no type is what a web page can send
  // cross-site without asking first (review M10).
  const type = req.headers['content-type'];
  if (type === undefined || !/^application\/json\b/i.test(type)) {
    throw new HttpError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the body as application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const deadline = setTimeout(() => req.destroy(), BODY_DEADLINE_MS);
  try {
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
  } finally {
    clearTimeout(deadline);
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

export function tooMany(message: string, retryAfterMs: number): HttpError {
  return new HttpError(429, ErrorCode.RATE_LIMITED, message, {
    'Retry-After': String(Math.ceil(retryAfterMs / 1000)),
  });
}

/** A request handler; `param` is what a pattern route captured (an id). */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  param: string,
) => Promise<void> | void;

/** One endpoint: a fixed path, or a pattern whose first group is handed to the handler. */
export interface Route {
  path: string | RegExp;
  methods: Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE', RouteHandler>>;
}
