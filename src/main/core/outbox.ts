// Messages the user wrote, kept on disk until the server acknowledges them. Delivered in order,
// one at a time, each exactly once: a message keeps its clientMsgId across retries, app restarts
// and server restarts, and the server stores a (sender, clientMsgId) only once.
import { Emitter, type Disposable } from '../../shared/emitter.js';
import type {
  MessageBody,
  NotificationRequest,
  ProtocolError,
  Recipient,
  RequestResultMap,
} from '../../shared/protocol.js';
import { ClientErrorCode, RealtimeError, type RealtimeClient } from './realtime-client.js';

export interface OutboxItem {
  clientMsgId: string;
  to: Recipient;
  body: MessageBody;
  notification?: NotificationRequest;
  /** The message this one answers with a quote. */
  replyTo?: string;
  /** The thread (its root message) this one is posted in. */
  thread?: string;
  /** A missed call's record: the server writes body.call after checking the call rang (L4). */
  callRecord?: { video: boolean; durationMs?: number };
  createdAt: number;
  state: 'queued' | 'failed';
  /** Why the server refused it, when failed. */
  error?: ProtocolError;
}

/** Where the outbox lives between runs. save() must be atomic: all of the list or none. */
export interface OutboxStore {
  load(): OutboxItem[];
  save(items: readonly OutboxItem[]): void;
}

export interface OutboxEvents extends Record<string, unknown> {
  sent: { item: OutboxItem; result: RequestResultMap['post'] };
  failed: { item: OutboxItem };
  changed: readonly OutboxItem[];
}

/**
 * Refusals that sending again cannot fix: the message is marked failed and the next one goes.
 * The user can retry it (after joining, shortening, ...) or discard it.
 */
const PERMANENT = new Set(['BAD_REQUEST', 'NOT_JOINED', 'NOT_FOUND', 'TOO_LARGE', 'FORBIDDEN']);

export class Outbox {
  private readonly items: OutboxItem[];
  private readonly emitter = new Emitter<OutboxEvents>();
  private readonly subscription: Disposable;
  private pumping = false;
  private disposed = false;

  constructor(
    private readonly client: RealtimeClient,
    private readonly store: OutboxStore,
    private readonly newId: () => string,
    private readonly now: () => number = Date.now,
  ) {
    this.items = store.load();
    this.subscription = client.on('status', (s) => {
      if (s.state === 'online') void this.pump();
    });
  }

  on<E extends keyof OutboxEvents>(
    event: E,
    listener: (value: OutboxEvents[E]) => void,
  ): Disposable {
    return this.emitter.on(event, listener);
  }

  /** Everything not yet acknowledged, oldest first. */
  get pending(): readonly OutboxItem[] {
    return this.items;
  }

  /** Keeps the message on disk first, then sends it when it can. */
  enqueue(
    to: Recipient,
    body: MessageBody,
    notification?: NotificationRequest,
    answer: {
      replyTo?: string;
      thread?: string;
      callRecord?: { video: boolean; durationMs?: number };
    } = {},
  ): OutboxItem {
    const item: OutboxItem = {
      clientMsgId: this.newId(),
      to,
      body,
      ...(notification ? { notification } : {}),
      ...(answer.replyTo ? { replyTo: answer.replyTo } : {}),
      ...(answer.thread ? { thread: answer.thread } : {}),
      ...(answer.callRecord ? { callRecord: answer.callRecord } : {}),
      createdAt: this.now(),
      state: 'queued',
    };
    this.items.push(item);
    this.persist();
    void this.pump();
    return item;
  }

  /** Puts a failed message back in line, keeping its place and its clientMsgId. */
  retry(clientMsgId: string): void {
    const item = this.items.find((i) => i.clientMsgId === clientMsgId);
    if (!item || item.state !== 'failed') return;
    item.state = 'queued';
    delete item.error;
    this.persist();
    void this.pump();
  }

  discard(clientMsgId: string): void {
    const index = this.items.findIndex(
      (i) => i.clientMsgId === clientMsgId && i.state === 'failed',
    );
    if (index < 0) return;
    this.items.splice(index, 1);
    this.persist();
  }

  dispose(): void {
    this.disposed = true;
    this.subscription.dispose();
    this.emitter.clear();
  }

  private persist(): void {
    this.store.save(this.items);
    this.emitter.emit('changed', this.items);
  }

  /** Sends queued messages in order while online; one pump at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.disposed && this.client.status.state === 'online') {
        const item = this.items.find((i) => i.state === 'queued');
        if (!item) return;
        const outcome = await this.send(item);
        if (outcome === 'stop') return;
      }
    } finally {
      this.pumping = false;
    }
  }

  private async send(item: OutboxItem): Promise<'next' | 'stop'> {
    try {
      const result = await this.client.request('post', {
        to: item.to,
        body: item.body,
        clientMsgId: item.clientMsgId,
        ...(item.notification ? { notification: item.notification } : {}),
        ...(item.replyTo ? { replyTo: item.replyTo } : {}),
        ...(item.thread ? { thread: item.thread } : {}),
        ...(item.callRecord ? { callRecord: item.callRecord } : {}),
      });
      if (this.disposed) return 'stop';
      this.items.splice(this.items.indexOf(item), 1);
      this.persist();
      this.emitter.emit('sent', { item, result });
      return 'next';
    } catch (err) {
      if (this.disposed) return 'stop';
      const e = err instanceof RealtimeError ? err : new RealtimeError('INTERNAL', String(err));
      if (PERMANENT.has(e.code)) {
        item.state = 'failed';
        item.error = { code: e.code as ProtocolError['code'], message: e.message };
        this.persist();
        this.emitter.emit('failed', { item });
        return 'next';
      }
      if (e.code === 'RATE_LIMITED') {
        await new Promise((r) => setTimeout(r, e.retryAfterMs ?? 1000));
        return 'next';
      }
      if (e.code === ClientErrorCode.TIMEOUT || e.code === 'INTERNAL') {
        // The same clientMsgId again is safe: the server stores it once.
        await new Promise((r) => setTimeout(r, 1000));
        return 'next';
      }
      // NOT_CONNECTED, DISCONNECTED: the next 'online' status starts the pump again.
      return 'stop';
    }
  }
}
