// Threads: the side panel's thread, its replies (loaded, paged, live), and how far the user has
// read each (kept on this computer: the server keeps no thread read markers).
import type { ThreadView } from '../chat-state';
import { describe } from '../invoke';
import type { EventDataMap } from '../../../../shared/protocol';
import {
  countReply,
  fromHistory,
  mergeMessages,
  patchMessage,
  reactMessage,
  type UiMessage,
} from '../messages';
import { Slice, type SliceContext } from './slice';

/** The part of the Web Storage API the store uses; injected so tests run without a DOM. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export class ThreadsSlice extends Slice {
  constructor(
    ctx: SliceContext,
    /** Where thread read positions are kept (the page's localStorage in the app). */
    private readonly storage: KeyValueStorage,
  ) {
    super(ctx);
  }

  /** Opens a thread in the side panel and loads its replies (and its root). */
  async open(conversation: string, root: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    this.set({ openThread: { conversation, root } });
    const held = this.state.threads.get(root);
    if (held && !held.error) return;
    const rootHeld = this.state.messages.get(conversation)?.list.find((m) => m.messageId === root);
    this.put(root, {
      conversation,
      ...(rootHeld ? { root: rootHeld } : {}),
      list: [],
      hasOlder: false,
      loading: true,
    });
    try {
      const page = await this.invoke('chat:history', {
        accountId,
        conversation,
        thread: root,
        limit: 100,
      });
      const current = this.state.threads.get(root);
      this.put(root, {
        conversation,
        ...(page.root ? { root: fromHistory(page.root) } : {}),
        list: mergeMessages(current?.list ?? [], page.messages.map(fromHistory)),
        hasOlder: !page.endOfList,
        loading: false,
      });
    } catch (err) {
      const current = this.state.threads.get(root);
      this.put(root, {
        conversation,
        list: current?.list ?? [],
        hasOlder: false,
        loading: false,
        error: describe(err).message,
      });
    }
  }

  close(): void {
    this.set({ openThread: undefined });
  }

  /** Pages back in a thread from its oldest reply held. */
  async loadOlder(root: string): Promise<void> {
    const accountId = this.state.accountId;
    const held = this.state.threads.get(root);
    const first = held?.list[0];
    if (!accountId || !held || !held.hasOlder || !first) return;
    try {
      const page = await this.invoke('chat:history', {
        accountId,
        conversation: held.conversation,
        thread: root,
        before: first.seq,
        limit: 100,
      });
      const current = this.state.threads.get(root) ?? held;
      this.put(root, {
        ...current,
        list: mergeMessages(current.list, page.messages.map(fromHistory)),
        hasOlder: !page.endOfList,
      });
    } catch (err) {
      this.set({ notice: describe(err) });
    }
  }

  /** The user has seen a thread up to `seq` (kept on this computer). */
  markRead(root: string, seq: number): void {
    if ((this.state.threadRead.get(root) ?? 0) >= seq) return;
    const threadRead = new Map(this.state.threadRead);
    threadRead.set(root, seq);
    this.set({ threadRead });
    if (this.state.accountId) this.saveReadPositions(this.state.accountId, threadRead);
  }

  /** Applies a change to a message in any loaded thread (as a reply or as the root). */
  patch(messageId: string, change: (list: UiMessage[]) => UiMessage[]): void {
    for (const [root, t] of this.state.threads) {
      const list = change(t.list);
      const rootList = t.root?.messageId === messageId ? change([t.root]) : undefined;
      if (list === t.list && (!rootList || rootList[0] === t.root)) continue;
      this.put(root, { ...t, list, ...(rootList ? { root: rootList[0] } : {}) });
    }
  }

  /** A live reply: into its thread if loaded (the messages slice counts it on its root). */
  onReply(m: UiMessage): void {
    const root = m.thread!;
    const t = this.state.threads.get(root);
    if (!t) return;
    this.put(root, {
      ...t,
      list: mergeMessages(t.list, [m]),
      ...(t.root ? { root: countReply([t.root], m)[0] } : {}),
    });
  }

  /** An edit or removal, in every loaded thread that shows the message. */
  patchMessage(messageId: string, p: Partial<UiMessage>): void {
    this.patch(messageId, (list) => patchMessage(list, messageId, p));
  }

  onReactions(d: EventDataMap['message:reactions']): void {
    this.patch(d.messageId, (list) => reactMessage(list, d));
  }

  put(root: string, value: ThreadView): void {
    const threads = new Map(this.state.threads);
    threads.set(root, value);
    this.set({ threads });
  }

  /** Thread read positions kept on this computer for the account (the server keeps none). */
  readPositions(accountId: string): Map<string, number> {
    try {
      const raw = JSON.parse(this.storage.getItem(threadReadKey(accountId)) ?? '{}') as unknown;
      if (!raw || typeof raw !== 'object') return new Map();
      return new Map(
        Object.entries(raw).filter((e): e is [string, number] => typeof e[1] === 'number'),
      );
    } catch {
      return new Map(); // unreadable: every thread starts unread again, nothing worse
    }
  }

  /** The newest 2,000 threads' positions are kept: old threads fall out of the record. */
  private saveReadPositions(accountId: string, read: ReadonlyMap<string, number>): void {
    const newest = [...read].sort((a, b) => b[1] - a[1]).slice(0, 2000);
    try {
      this.storage.setItem(threadReadKey(accountId), JSON.stringify(Object.fromEntries(newest)));
    } catch {
      // Storage full or denied: the positions last this session only.
    }
  }
}

function threadReadKey(accountId: string): string {
  return `parley.threadRead.${accountId}`;
}
