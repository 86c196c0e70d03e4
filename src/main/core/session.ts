// One signed-in account's live side: its connection, conversation state, outbox, history cache,
// presence and file transfers, and what it tells the desktop core (pushes, unread, messages to
// consider notifying of).
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { groupKey } from '../../shared/conversation-key.js';
import type { IpcEvents } from '../../shared/ipc.js';
import { DisposableStore } from '../../shared/lifecycle.js';
import type {
  EventFrame,
  MessageBody,
  PresenceStatus,
  RequestResultMap,
  RequestType,
  ServerBodyFields,
} from '../../shared/protocol.js';
import type { Account } from './accounts.js';
import { ConversationState } from './conversations.js';
import { FileTransfers } from './file-transfers.js';
import { HistoryCache } from './history-cache.js';
import { jsonFileOutboxStore } from './json-file.js';
import { Outbox } from './outbox.js';
import { PresenceState } from './presence-state.js';
import { RealtimeClient } from './realtime-client.js';
import type { Clock, SocketFactory } from './realtime-socket.js';

/** Threads remembered as written in (see Session.isToMe). */
const MAX_THREADS_REMEMBERED = 1000;

export type SentMessage = Extract<EventFrame, { event: 'message:send' }>['data'];

/** What a session needs of the desktop core: a narrow port, not the whole core. */
export interface SessionHost {
  push<E extends keyof IpcEvents>(event: E, value: IpcEvents[E]): void;
  unreadChanged(): void;
  considerNotifying(session: Session, m: SentMessage): void;
}

export interface SessionPorts {
  dataDir: string;
  socketFactory: SocketFactory;
  clock?: Clock;
}

export class Session {
  readonly client: RealtimeClient;
  readonly state: ConversationState;
  readonly outbox: Outbox;
  readonly history = new HistoryCache();
  readonly presence = new PresenceState();
  readonly files: FileTransfers;
  myStatus: PresenceStatus = 'online';
  /** Threads the user wrote in, oldest first (see isToMe). */
  private readonly threadsWrittenIn = new Set<string>();
  private readonly disposables = new DisposableStore();

  constructor(
    readonly account: Account,
    private readonly core: SessionHost,
    ports: SessionPorts,
    token: () => Promise<string>,
  ) {
    this.state = new ConversationState(account.userId, account.username);
    this.files = new FileTransfers(account.serverUrl, token);
    this.client = new RealtimeClient({
      url: account.realtimeUrl,
      token,
      socketFactory: ports.socketFactory,
      resumeFrom: () => this.state.lastSeqs(),
      ...(ports.clock ? { clock: ports.clock } : {}),
    });
    const outboxFile = join(
      ports.dataDir,
      `outbox-${createHash('sha256').update(account.id).digest('hex').slice(0, 16)}.json`,
    );
    this.outbox = new Outbox(this.client, jsonFileOutboxStore(outboxFile), randomUUID);
    for (const d of [
      this.client.on('status', (status) => {
        core.push('account:status', { accountId: account.id, status });
        if (status.state === 'online') void this.refreshConversations();
        else this.presence.clear();
      }),
      this.client.on('event', (frame) => this.onEvent(frame)),
      this.outbox.on('changed', (items) =>
        core.push('outbox:changed', { accountId: account.id, items: [...items] }),
      ),
      this.state.on('changed', (view) =>
        core.push('conversation:changed', { accountId: account.id, ...view }),
      ),
      this.state.on('totalUnread', () => core.unreadChanged()),
    ]) {
      this.disposables.add(d);
    }
  }

  start(): void {
    this.client.start();
  }

  request<T extends RequestType>(
    type: T,
    params: Record<string, unknown>,
  ): Promise<RequestResultMap[T]> {
    return this.client.request(type, params);
  }

  dispose(): void {
    this.disposables.dispose();
    this.files.dispose();
    this.outbox.dispose();
    this.client.dispose();
    this.state.dispose();
  }

  private async refreshConversations(): Promise<void> {
    try {
      this.state.load((await this.client.request('conversations', {})).list);
    } catch {
      // Offline again already; the next 'online' refreshes.
    }
  }

  /**
   * A reply quoting one of the user's messages, or a reply in a thread they started or wrote in
   * (written in while this app ran: not kept across restarts).
   */
  isToMe(body: MessageBody): boolean {
    const { userId } = this.account;
    const reply = body.reply as ServerBodyFields['reply'];
    if (reply?.from.user_id === userId) return true;
    const thread = body.thread;
    if (typeof thread !== 'string') return false;
    return body.threadFrom === userId || this.threadsWrittenIn.has(thread);
  }

  private noteThreadWrittenIn(m: SentMessage): void {
    const thread = m.body?.thread;
    if (m.from.user_id !== this.account.userId || typeof thread !== 'string') return;
    this.threadsWrittenIn.delete(thread);
    this.threadsWrittenIn.add(thread);
    // The oldest go first: a bounded memory of where the user wrote.
    if (this.threadsWrittenIn.size > MAX_THREADS_REMEMBERED) {
      this.threadsWrittenIn.delete(this.threadsWrittenIn.values().next().value!);
    }
  }

  private onEvent(frame: EventFrame): void {
    if (frame.event === 'message:send') this.noteThreadWrittenIn(frame.data);
    this.state.apply(frame);
    this.history.apply(frame);
    this.presence.apply(frame);
    if (
      frame.event === 'group:member' &&
      frame.data.user_id === this.account.userId &&
      frame.data.action === 'left'
    ) {
      this.history.forget(groupKey(frame.data.group));
    }
    this.core.push('server:event', { accountId: this.account.id, frame });
    if (frame.event === 'message:send') this.core.considerNotifying(this, frame.data);
  }
}
