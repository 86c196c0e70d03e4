// Reading a client's text frame: JSON, depth, envelope and parameters, each failure a coded
// protocol error. No connection state: the connection decides what to do with the answer.
import { ErrorCode, type ProtocolError, type RequestType } from '../../shared/protocol.js';
import {
  describeIssues,
  requestEnvelope,
  requestParams,
  type RequestParams,
} from '../../shared/schemas.js';
import { hasOwn, MAX_FRAME_DEPTH, nestedDeeperThan } from './frames.js';

/** A request whose parameters passed its type's schema: type and params stay correlated. */
export type ParsedRequest = {
  [T in RequestType]: { type: T; params: RequestParams<T> };
}[RequestType];

export type IncomingFrame =
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'invalid'; id?: string; error: ProtocolError }
  | { kind: 'auth'; id: string; frame: Record<string, unknown> }
  | { kind: 'request'; id: string; type: string; frame: Record<string, unknown> };

function invalid(message: string, id?: string): IncomingFrame {
  return {
    kind: 'invalid',
    ...(id !== undefined ? { id } : {}),
    error: { code: ErrorCode.BAD_REQUEST, message },
  };
}

export function readFrame(text: string): IncomingFrame {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return invalid('the frame is not valid JSON');
  }
  if (nestedDeeperThan(frame, MAX_FRAME_DEPTH)) {
    return invalid(`a frame may nest at most ${MAX_FRAME_DEPTH} levels deep`);
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return invalid('a frame is a JSON object');
  }
  const obj = frame as Record<string, unknown>;
  if (obj.type === 'pong') return { kind: 'pong' };
  if (obj.type === 'ping') return { kind: 'ping' };
  const envelope = requestEnvelope.safeParse(obj);
  if (!envelope.success) {
    const id = typeof obj.id === 'string' && obj.id.length <= 64 && obj.id ? obj.id : undefined;
    return invalid(`a request needs a type and an id: ${describeIssues(envelope.error)}`, id);
  }
  const { type, id } = envelope.data;
  if (type === 'authrequest') return { kind: 'auth', id, frame: obj };
  return { kind: 'request', id, type, frame: obj };
}

/** A request's parameters, checked against its type's schema. */
export function readParams(
  type: string,
  frame: Record<string, unknown>,
): { ok: true; request: ParsedRequest } | { ok: false; error: ProtocolError } {
  if (!hasOwn(requestParams, type)) {
    return {
      ok: false,
      error: { code: ErrorCode.BAD_REQUEST, message: `unknown request type ${type}` },
    };
  }
  const requestType = type as RequestType;
  const parsed = requestParams[requestType].safeParse(frame);
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: ErrorCode.BAD_REQUEST, message: describeIssues(parsed.error) },
    };
  }
  // The schema of `requestType` produced the data, so the pair is that type's (TypeScript cannot
  // correlate an index into the schema table with its output).
  return { ok: true, request: { type: requestType, params: parsed.data } as ParsedRequest };
}
