// A test client that behaves like the desktop core under faults: it reconnects through the load
// balancer whenever its socket drops or goes silent, resumes every conversation from the last
// seq it has, retries a post with the same clientMsgId until it is acknowledged, and records
// what arrives so the test can check nothing was lost, doubled or reordered.
import WebSocket from 'ws';

interface Pending {
  frame: Record<string, unknown>;
  resolve(result: Record<string, unknown>): void;
  timer?: NodeJS.Timeout;
}

export class ResilientClient {
  /** Per conversation: the last seq received. */
  readonly last = new Map<string, number>();
  /** Per conversation: messageIds in the order they arrived (first delivery only). */
  readonly received = new Map<string, string[]>();
  duplicates = 0;
  holes = 0;
  incompleteResumes = 0;
  reconnects = 0;
  private ws: WebSocket | undefined;
  private open = false;
  private stopped = false;
  private nextId = 1;
  private silence: NodeJS.Timeout | undefined;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly url: string,
    private readonly token: string,
    readonly name: string,
    /** Silence after which the socket counts as dead (the server pings every second). */
    private readonly deadAfterMs = 3500,
  ) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.silence);
    this.ws?.terminate();
  }

  /** Cuts the socket as a network fault would; the client reconnects and carries on. */
  reset(): void {
    this.ws?.terminate();
  }

  get connected(): boolean {
    return this.open;
  }

  /** Posts until acknowledged (same clientMsgId on every attempt); resolves with the reply. */
  post(to: Record<string, unknown>, text: string, clientMsgId: string, deadlineMs = 60_000) {
    return this.request({ type: 'post', to, body: { text }, clientMsgId }, deadlineMs);
  }

  request(frame: Record<string, unknown>, deadlineMs = 60_000): Promise<Record<string, unknown>> {
    const id = `q${this.nextId++}`;
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const p: Pending = { frame: { ...frame, id }, resolve };
      const attempt = () => {
        if (Date.now() - started > deadlineMs) {
          this.pending.delete(id);
          reject(new Error(`${this.name}: ${String(frame.type)} not acknowledged in time`));
          return;
        }
        if (this.open) this.ws!.send(JSON.stringify(p.frame));
        // No answer (the node died, paused, or the socket is reconnecting): try again.
        p.timer = setTimeout(attempt, 3000);
      };
      this.pending.set(id, p);
      attempt();
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    const retry = () => {
      if (this.ws !== ws) return;
      this.open = false;
      clearTimeout(this.silence);
      if (this.stopped) return;
      this.reconnects++;
      setTimeout(() => this.connect(), 150 + Math.random() * 200);
    };
    ws.on('open', () => {
      this.alive();
      ws.send(
        JSON.stringify({
          type: 'authrequest',
          id: 'auth',
          token: this.token,
          version: '1',
          resume: Object.fromEntries(this.last),
        }),
      );
    });
    ws.on('message', (data) => this.onMessage(ws, data.toString()));
    ws.on('close', retry);
    ws.on('error', () => ws.terminate());
    ws.on('unexpected-response', () => ws.terminate());
  }

  /** Any frame resets the silence timer; a socket silent too long is given up. */
  private alive(): void {
    clearTimeout(this.silence);
    const ws = this.ws;
    this.silence = setTimeout(() => ws?.terminate(), this.deadAfterMs);
  }

  private onMessage(ws: WebSocket, text: string): void {
    if (this.ws !== ws) return;
    this.alive();
    const f = JSON.parse(text) as {
      type: string;
      id?: string;
      success?: boolean;
      ok?: boolean;
      result?: Record<string, unknown>;
      event?: string;
      data?: Record<string, unknown>;
    };
    if (f.type === 'ping') {
      ws.send('{"type":"pong"}');
      return;
    }
    if (f.type === 'authresponse') {
      if (!f.success) {
        ws.terminate();
        return;
      }
      this.open = true;
      // Whatever was waiting goes again on the new socket.
      for (const p of this.pending.values()) ws.send(JSON.stringify(p.frame));
      return;
    }
    if (f.type === 'reply' && f.id) {
      const p = this.pending.get(f.id);
      if (!p) return;
      if (f.ok) {
        clearTimeout(p.timer);
        this.pending.delete(f.id);
        p.resolve(f.result ?? {});
      }
      // An error (RATE_LIMITED, a failing store) is retried by the timer.
      return;
    }
    if (f.type !== 'event' || !f.data) return;
    if (f.event === 'resume' && f.data.complete === false) this.incompleteResumes++;
    if (f.event !== 'message:send') return;
    const conversation = f.data.conversation as string;
    const seq = f.data.seq as number;
    const last = this.last.get(conversation) ?? 0;
    if (seq <= last) {
      this.duplicates++;
      return;
    }
    if (seq !== last + 1) this.holes++;
    this.last.set(conversation, seq);
    let list = this.received.get(conversation);
    if (!list) this.received.set(conversation, (list = []));
    list.push(f.data.messageId as string);
  }
}
