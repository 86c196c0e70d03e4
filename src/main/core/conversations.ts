// What the desktop knows about each conversation: the last seq it holds (what it resumes from),
// the user's read marker, and the unread count. One total unread count drives the tray and badge.
import { Emitter, type Disposable } from '../../shared/emitter.js';
import { mentions } from '../../shared/mentions.js';
import type { ConversationView } from '../../shared/ipc.js';
import type { ConversationSummary, EventFrame } from '../../shared/protocol.js';
import { groupKey } from '../../shared/conversation-key.js';

export type { ConversationView };

interface Entry extends ConversationView {
  /**
   * Unread messages that arrived live, by id, with their seq: a removal or a read marker can then
   * take exactly those off. `baseUnread` counts the ones the server reported at load, by number.
   */
  live: Map<string, number>;
  /** The live unread ones that mention the user (a subset of `live`). */
  liveMentions: Set<string>;
  baseMentions: number;
  /**
   * Set while a resume gap is open (`resume` with complete: false) to the seq the gap starts
   * after: live events may run ahead meanwhile, but the next resume must start from here, or a
   * disconnection mid-fill would skip the hole for good.
   */
  gapAfter?: number;
  baseUnread: number;
  /** The last seq when baseUnread was reported: a read marker at or past it clears them. */
  baseSeq: number;
}

export interface ConversationEvents extends Record<string, unknown> {
  changed: ConversationView;
  totalUnread: number;
}

export class ConversationState {
  private readonly entries = new Map<string, Entry>();
  private readonly emitter = new Emitter<ConversationEvents>();
  private total = 0;

  constructor(
    private readonly myUserId: string,
    /** For counting mentions; none are counted without it. */
    private readonly myUsername?: string,
  ) {}

  on<E extends keyof ConversationEvents>(
    event: E,
    listener: (v: ConversationEvents[E]) => void,
  ): Disposable {
    return this.emitter.on(event, listener);
  }

  /** Takes the server's `conversations` answer as the truth, keeping any newer seq held here. */
  load(list: readonly ConversationSummary[]): void {
    for (const c of list) {
      const e = this.entry(c.conversation);
      e.lastSeq = Math.max(e.lastSeq, c.lastSeq);
      e.lastTs = Math.max(e.lastTs, c.lastTs);
      e.readSeq = Math.max(e.readSeq, c.readSeq);
      e.live.clear();
      e.liveMentions.clear();
      e.baseUnread = c.unread;
      e.baseMentions = c.mentions ?? 0;
      e.baseSeq = c.lastSeq;
      this.recount(e);
    }
  }

  /** Applies one server event; returns whether anything changed. */
  apply(frame: EventFrame): boolean {
    switch (frame.event) {
      case 'message:send': {
        const d = frame.data;
        const e = this.entry(d.conversation);
        // A message seen twice (a resume overlapping live events) is counted once: keyed by id.
        e.lastSeq = Math.max(e.lastSeq, d.seq);
        e.lastTs = Math.max(e.lastTs, d.ts);
        // Thread replies are read in their thread: they do not count as the conversation's unread.
        const inThread = typeof d.body?.thread === 'string';
        if (d.from.user_id !== this.myUserId && d.seq > e.readSeq && !inThread) {
          e.live.set(d.messageId, d.seq);
          if (this.myUsername && d.body && mentions(d.body.text, this.myUsername)) {
            e.liveMentions.add(d.messageId);
          }
        }
        this.recount(e);
        return true;
      }
      case 'message:updated':
      case 'message:removed':
      case 'message:reactions': {
        const d = frame.data;
        const e = this.entry(d.conversation);
        e.lastSeq = Math.max(e.lastSeq, d.seq);
        if (frame.event === 'message:removed') {
          e.live.delete(d.messageId);
          e.liveMentions.delete(d.messageId);
        }
        this.recount(e);
        return true;
      }
      case 'resume': {
        const d = frame.data;
        const e = this.entry(d.conversation);
        // A replay is contiguous from where this client asked (fromSeq) to toSeq.
        if (!d.complete) e.gapAfter = d.toSeq;
        else delete e.gapAfter;
        return true;
      }
      case 'group:member': {
        // This user joined or left on some device: resume it from now on, or stop.
        const d = frame.data;
        if (d.user_id !== this.myUserId) return false;
        const key = groupKey(d.group);
        if (d.action === 'joined') {
          if (this.entries.has(key)) return false;
          this.recount(this.entry(key));
        } else {
          const e = this.entries.get(key);
          if (!e) return false;
          e.baseUnread = 0;
          e.baseMentions = 0;
          e.live.clear();
          e.liveMentions.clear();
          this.recount(e);
          this.entries.delete(key);
        }
        return true;
      }
      case 'message:read': {
        const d = frame.data;
        if (d.user_id !== this.myUserId) return false; // others' markers are for read receipts
        this.markRead(d.conversation, d.seq);
        return true;
      }
      default:
        return false;
    }
  }

  /** Moves the read marker (from this device or another of the user's). */
  markRead(conversation: string, seq: number): void {
    const e = this.entry(conversation);
    if (seq <= e.readSeq) return;
    e.readSeq = seq;
    for (const [id, s] of e.live) {
      if (s > seq) continue;
      e.live.delete(id);
      e.liveMentions.delete(id);
    }
    if (seq >= e.baseSeq) {
      e.baseUnread = 0;
      e.baseMentions = 0;
    }
    this.recount(e);
  }

  /**
   * The last seq held per conversation: the `resume` of the next authrequest. Conversations with
   * nothing in them yet are included at 0, or what is posted there while away would never come.
   */
  lastSeqs(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.entries.values())
      out[e.conversation] = Math.min(e.lastSeq, e.gapAfter ?? Infinity);
    return out;
  }

  get(conversation: string): ConversationView | undefined {
    const e = this.entries.get(conversation);
    return e ? view(e) : undefined;
  }

  list(): ConversationView[] {
    return [...this.entries.values()].map(view).sort((a, b) => b.lastTs - a.lastTs);
  }

  get totalUnread(): number {
    return this.total;
  }

  dispose(): void {
    this.emitter.clear();
  }

  private entry(conversation: string): Entry {
    let e = this.entries.get(conversation);
    if (!e) {
      e = {
        conversation,
        lastSeq: 0,
        readSeq: 0,
        unread: 0,
        mentions: 0,
        lastTs: 0,
        live: new Map(),
        liveMentions: new Set(),
        baseMentions: 0,
        baseUnread: 0,
        baseSeq: 0,
      };
      this.entries.set(conversation, e);
    }
    return e;
  }

  private recount(e: Entry): void {
    const unread = e.baseUnread + e.live.size;
    const before = e.unread;
    e.unread = unread;
    e.mentions = e.baseMentions + e.liveMentions.size;
    this.emitter.emit('changed', view(e));
    if (unread !== before) {
      this.total += unread - before;
      this.emitter.emit('totalUnread', this.total);
    }
  }
}

function view(e: Entry): ConversationView {
  return {
    conversation: e.conversation,
    lastSeq: e.lastSeq,
    readSeq: e.readSeq,
    unread: e.unread,
    mentions: e.mentions,
    lastTs: e.lastTs,
  };
}
