// One WebSocket to one Janus: its API (https://janus.conf.meetecho.com/docs/rest: the same over
// WebSocket) with one session kept alive, handles on the VideoRoom plugin, requests matched to
// answers by transaction, and the plugin's unsolicited events handed to whoever owns a handle.
// Only Parley's server holds one of these: clients never see Janus's API or its secret.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const VIDEOROOM = 'janus.plugin.videoroom';
/** Janus ends a session after 60 s of silence; a keepalive well inside that. */
const KEEPALIVE_MS = 20_000;
const REQUEST_TIMEOUT_MS = 10_000;

export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
}

/** The VideoRoom plugin's answer or event (`videoroom`, `error`, and the rest). */
export type PluginData = Record<string, unknown> & { videoroom?: string; error?: string };

export class JanusError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: { data: PluginData; jsep?: Jsep }): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /**
   * What answers it: an asynchronous plugin request by its event (after an ack), a keepalive,
   * trickle or detach by the ack, everything else by `success`.
   */
  answeredBy: 'event' | 'ack' | 'success';
}

export interface JanusListener {
  /** A plugin event on a handle nobody asked for (publishers, leaving, talking...). */
  event(handle: number, data: PluginData, jsep?: Jsep): void;
  /** Janus's own news on a handle: `webrtcup`, `hangup`, `media`, `detached`. */
  handleNews(handle: number, kind: string, detail: Record<string, unknown>): void;
  /** The socket closed (Janus died or was stopped); every request pending failed. */
  closed(why: string): void;
}

export class JanusConnection {
  private readonly pending = new Map<string, Pending>();
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private session = 0;
  private isClosed = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly apiSecret: string,
    private readonly listener: JanusListener,
  ) {}

  /** Connects and creates a session; rejects when Janus is not there. */
  static async connect(
    url: string,
    apiSecret: string,
    listener: JanusListener,
    timeoutMs = 5_000,
  ): Promise<JanusConnection> {
    const ws = new WebSocket(url, 'janus-protocol', { handshakeTimeout: timeoutMs });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const conn = new JanusConnection(ws, apiSecret, listener);
    ws.on('message', (data: Buffer) => conn.receive(data));
    ws.on('error', () => undefined);
    ws.on('close', () => conn.shut('the connection to Janus closed'));
    try {
      const created = await conn.call({ janus: 'create' });
      conn.session = Number(created.id);
    } catch (err) {
      conn.close();
      throw err;
    }
    conn.keepalive = setInterval(() => {
      conn.call({ janus: 'keepalive', session_id: conn.session }, true).catch(() => undefined);
    }, KEEPALIVE_MS);
    conn.keepalive.unref();
    return conn;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** A new handle on the VideoRoom plugin. */
  async attach(): Promise<number> {
    const data = await this.call({ janus: 'attach', session_id: this.session, plugin: VIDEOROOM });
    return Number(data.id);
  }

  async detach(handle: number): Promise<void> {
    await this.call({ janus: 'detach', session_id: this.session, handle_id: handle }, true);
  }

  /** A synchronous plugin request (create, destroy, exists, listparticipants). */
  async request(handle: number, body: Record<string, unknown>): Promise<PluginData> {
    const { data } = await this.send(handle, body, undefined, false);
    return data;
  }

  /** An asynchronous plugin request (join, publish, configure, start...): its event and jsep. */
  message(
    handle: number,
    body: Record<string, unknown>,
    jsep?: Jsep,
  ): Promise<{ data: PluginData; jsep?: Jsep }> {
    return this.send(handle, body, jsep, true);
  }

  /** One ICE candidate for a handle's connection (null: no more). */
  async trickle(handle: number, candidate: Record<string, unknown> | null): Promise<void> {
    await this.call(
      {
        janus: 'trickle',
        session_id: this.session,
        handle_id: handle,
        candidate: candidate ?? { completed: true },
      },
      true,
    );
  }

  close(): void {
    this.shut('closed');
    this.ws.terminate();
  }

  private async send(
    handle: number,
    body: Record<string, unknown>,
    jsep: Jsep | undefined,
    async: boolean,
  ): Promise<{ data: PluginData; jsep?: Jsep }> {
    const answer = await this.transact(
      {
        janus: 'message',
        session_id: this.session,
        handle_id: handle,
        body,
        ...(jsep ? { jsep } : {}),
      },
      async ? 'event' : 'success',
    );
    if (typeof answer.data.error === 'string') {
      throw new JanusError(answer.data.error, Number(answer.data.error_code) || undefined);
    }
    return answer;
  }

  /** A core request answered by `success` (or, with `ackIsEnough`, by `ack`). */
  private async call(
    message: Record<string, unknown>,
    ackIsEnough = false,
  ): Promise<Record<string, unknown>> {
    const { data } = await this.transact(message, ackIsEnough ? 'ack' : 'success');
    return data;
  }

  private transact(
    message: Record<string, unknown>,
    answeredBy: Pending['answeredBy'],
  ): Promise<{ data: PluginData; jsep?: Jsep }> {
    if (this.isClosed) return Promise.reject(new JanusError('Janus is not connected'));
    const transaction = randomBytes(9).toString('base64url');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new JanusError(`Janus did not answer ${String(message.janus)} in time`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(transaction, { resolve, reject, timer, answeredBy });
      this.ws.send(JSON.stringify({ ...message, transaction, apisecret: this.apiSecret }));
    });
  }

  private receive(raw: Buffer): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(raw.toString()) as Record<string, unknown>;
    } catch {
      return;
    }
    const kind = String(msg.janus);
    const transaction = typeof msg.transaction === 'string' ? msg.transaction : undefined;
    const waiting = transaction ? this.pending.get(transaction) : undefined;
    const plugindata = msg.plugindata as { data?: PluginData } | undefined;
    const jsep = msg.jsep as Jsep | undefined;
    if (waiting) {
      if (kind === 'ack') {
        if (waiting.answeredBy === 'ack') this.settle(transaction!, { data: {} });
        return;
      }
      if (kind === 'error') {
        const error = msg.error as { code?: number; reason?: string } | undefined;
        this.fail(transaction!, new JanusError(error?.reason ?? 'Janus refused', error?.code));
        return;
      }
      if (kind === 'success') {
        const data = plugindata?.data ?? ((msg.data ?? {}) as PluginData);
        this.settle(transaction!, { data });
        return;
      }
      if (kind === 'event' && waiting.answeredBy === 'event') {
        this.settle(transaction!, { data: plugindata?.data ?? {}, ...(jsep ? { jsep } : {}) });
        return;
      }
    }
    const sender = Number(msg.sender);
    if (kind === 'event' && plugindata?.data) {
      this.listener.event(sender, plugindata.data, jsep);
    } else if (kind === 'timeout') {
      this.close();
    } else if (Number.isFinite(sender) && kind !== 'ack') {
      this.listener.handleNews(sender, kind, msg);
    }
  }

  private settle(transaction: string, value: { data: PluginData; jsep?: Jsep }): void {
    const waiting = this.pending.get(transaction);
    if (!waiting) return;
    this.pending.delete(transaction);
    clearTimeout(waiting.timer);
    waiting.resolve(value);
  }

  private fail(transaction: string, err: Error): void {
    const waiting = this.pending.get(transaction);
    if (!waiting) return;
    this.pending.delete(transaction);
    clearTimeout(waiting.timer);
    waiting.reject(err);
  }

  private shut(why: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.keepalive);
    for (const transaction of [...this.pending.keys()]) {
      this.fail(transaction, new JanusError(`Janus went away (${why})`));
    }
    this.listener.closed(why);
  }
}
