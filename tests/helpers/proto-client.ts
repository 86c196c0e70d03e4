// A protocol v1 client written from docs/protocol.md alone: raw `ws`, JSON frames, nothing
// imported from the server. If the server drifts from the document, tests using this fail.
import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type: string };
export interface Reply {
  type: 'reply';
  id: string;
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string; retryAfterMs?: number };
}
/** A `history` item, as docs/protocol.md describes it. */
export interface HistoryItem {
  messageId: string;
  seq: number;
  lastSeq: number;
  clientMsgId: string;
  removed: boolean;
  from: { user_id: string; displayName: string };
  body: { text: string };
}
export interface EventFrame<D = Record<string, unknown>> {
  type: 'event';
  event: string;
  data: D;
}

interface Waiter {
  match: (f: Frame) => boolean;
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class ProtoClient {
  readonly frames: Frame[] = [];
  private readonly waiters = new Set<Waiter>();
  private nextId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Answer server pings automatically (turn off to test the heartbeat timeout). */
  autoPong = true;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        for (const w of this.waiters) {
          clearTimeout(w.timer);
          w.reject(new Error(`socket closed (${code} ${reason.toString()}) while waiting`));
        }
        this.waiters.clear();
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === 'ping' && this.autoPong) this.send({ type: 'pong' });
      this.frames.push(frame);
      for (const w of this.waiters) {
        if (w.match(frame)) {
          this.waiters.delete(w);
          clearTimeout(w.timer);
          w.resolve(frame);
        }
      }
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, opts: WebSocket.ClientOptions = {}): Promise<ProtoClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, opts);
      const client = new ProtoClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          reject(
            Object.assign(new Error(`HTTP ${res.statusCode}`), {
              status: res.statusCode,
              headers: res.headers,
              body,
            }),
          ),
        );
      });
      ws.once('error', reject);
    });
  }

  /** Opens and authenticates; throws when the authresponse is not a success. */
  static async connect(url: string, token: string, extra: Record<string, unknown> = {}) {
    const client = await ProtoClient.open(url);
    const res = await client.auth(token, extra);
    if (res.success !== true) throw new Error(`auth failed: ${JSON.stringify(res.error)}`);
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async auth(token: string, extra: Record<string, unknown> = {}) {
    const id = `a${this.nextId++}`;
    const wait = this.waitFor((f) => f.type === 'authresponse' && f.id === id);
    this.send({ type: 'authrequest', id, token, version: '1', ...extra });
    const res = (await wait) as Frame & {
      success: boolean;
      cid?: string;
      user?: { userId: string; username: string; displayName: string };
      heartbeat?: number;
      error?: { code: string; message: string };
    };
    if (res.success) {
      this.cid = res.cid!;
      this.userId = res.user!.userId;
    }
    return res;
  }

  cid = '';
  userId = '';

  request(type: string, params: Record<string, unknown> = {}, timeoutMs = 5000): Promise<Reply> {
    const id = `r${this.nextId++}`;
    const wait = this.waitFor((f) => f.type === 'reply' && f.id === id, timeoutMs);
    this.send({ type, id, ...params });
    return wait as Promise<unknown> as Promise<Reply>;
  }

  /** request(), throwing unless the reply is ok; returns the result. */
  async ok<R = Record<string, unknown>>(
    type: string,
    params: Record<string, unknown> = {},
  ): Promise<R> {
    const reply = await this.request(type, params);
    if (!reply.ok) throw new Error(`${type} failed: ${JSON.stringify(reply.error)}`);
    return reply.result as R;
  }

  /** The reply's error code, failing if the request succeeded. */
  async fails(
    type: string,
    params: Record<string, unknown> = {},
  ): Promise<NonNullable<Reply['error']>> {
    const reply = await this.request(type, params);
    if (reply.ok)
      throw new Error(`${type} unexpectedly succeeded: ${JSON.stringify(reply.result)}`);
    return reply.error!;
  }

  /** Every message of a conversation, oldest first, paging back with `history`. */
  async allHistory(conversation: string): Promise<HistoryItem[]> {
    const out: HistoryItem[] = [];
    let before: number | undefined;
    for (let page = 0; page < 1000; page++) {
      const h = await this.ok<{ messages: HistoryItem[]; endOfList: boolean }>('history', {
        conversation,
        limit: 200,
        ...(before !== undefined ? { before } : {}),
      });
      out.unshift(...h.messages);
      if (h.endOfList || h.messages.length === 0) return out;
      before = h.messages[0]!.seq;
    }
    throw new Error(`${conversation} has more than 1000 pages`);
  }

  waitFor(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for a frame`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** The next event of that name (optionally matching), arriving from now on. */
  event<D = Record<string, unknown>>(
    name: string,
    match: (data: D) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<EventFrame<D>> {
    return this.waitFor(
      (f) => f.type === 'event' && f.event === name && match(f.data as D),
      timeoutMs,
    ) as Promise<unknown> as Promise<EventFrame<D>>;
  }

  /** Events of that name received so far. */
  events<D = Record<string, unknown>>(name: string): D[] {
    return this.frames
      .filter((f) => f.type === 'event' && f.event === name)
      .map((f) => (f as unknown as EventFrame<D>).data);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close();
    }
    return this.closed;
  }
}

/** Resolves after `ms`; for tests that must prove something does NOT arrive. */
export function quiet(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
