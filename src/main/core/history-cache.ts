// The latest messages of each conversation opened since start, kept current by live and replayed
// events: a conversation opens without a round trip, and stays readable while offline. A cached
// conversation is always a contiguous run up to the newest seq; a gap (a resume that could not
// replay everything) drops it, and the next open asks the server again.
import type { EventFrame, GroupEvent, HistoryMessage } from '../../shared/protocol.js';
import { groupKey } from '../../shared/conversation-key.js';

/** Messages kept per conversation; older ones are paged from the server. */
const KEEP = 500;

interface Cached {
  /** Oldest first, by seq. */
  messages: HistoryMessage[];
  /** The server said nothing is older than the first one. */
  startReached: boolean;
  /** A group's joins, leaves and topic changes since the first message, oldest first. */
  groupEvents: GroupEvent[];
}

const KEEP_GROUP_EVENTS = 200;

export class HistoryCache {
  private readonly conversations = new Map<string, Cached>();

  /** Takes the server's answer to a `history` of the newest messages (no before/after). */
  seedLatest(
    conversation: string,
    page: { messages: HistoryMessage[]; endOfList: boolean; groupEvents?: GroupEvent[] },
  ): void {
    this.conversations.set(conversation, {
      messages: [...page.messages].sort((a, b) => a.seq - b.seq).slice(-KEEP),
      startReached: page.endOfList && page.messages.length <= KEEP,
      groupEvents: (page.groupEvents ?? []).slice(-KEEP_GROUP_EVENTS),
    });
  }

  /** The newest `limit` messages, if this conversation is cached and holds enough of them. */
  latest(
    conversation: string,
    limit: number,
  ): { messages: HistoryMessage[]; endOfList: boolean; groupEvents?: GroupEvent[] } | undefined {
    const c = this.conversations.get(conversation);
    if (!c) return undefined;
    const events = (from: number) => {
      const list = c.groupEvents.filter((e) => e.ts >= from);
      return list.length ? { groupEvents: list } : {};
    };
    if (c.messages.length >= limit) {
      const messages = c.messages.slice(-limit);
      return { messages, endOfList: false, ...events(messages[0]!.ts) };
    }
    if (c.startReached) return { messages: [...c.messages], endOfList: true, ...events(0) };
    return undefined;
  }

  apply(frame: EventFrame): void {
    switch (frame.event) {
      case 'group:member':
      case 'group:updated': {
        const d = frame.data;
        const c = this.conversations.get(groupKey(d.group));
        if (!c || d.ts === undefined) return;
        c.groupEvents.push(
          frame.event === 'group:member'
            ? {
                ts: d.ts,
                user_id: frame.data.user_id,
                displayName: frame.data.displayName ?? 'Someone',
                action: frame.data.action,
              }
            : {
                ts: d.ts,
                user_id: frame.data.by.user_id,
                displayName: frame.data.by.displayName,
                action: 'topic',
                topic: frame.data.topic,
              },
        );
        if (c.groupEvents.length > KEEP_GROUP_EVENTS) c.groupEvents.shift();
        return;
      }
      case 'message:send': {
        const d = frame.data;
        const c = this.conversations.get(d.conversation);
        if (!c || c.messages.some((m) => m.messageId === d.messageId)) return;
        c.messages.push({
          messageId: d.messageId,
          conversation: d.conversation,
          seq: d.seq,
          lastSeq: d.seq,
          ts: d.ts,
          removed: d.body === null,
          from: { user_id: d.from.user_id, displayName: d.from.displayName },
          body: d.body,
          clientMsgId: d.clientMsgId,
        });
        c.messages.sort((a, b) => a.seq - b.seq);
        if (c.messages.length > KEEP) {
          c.messages.splice(0, c.messages.length - KEEP);
          c.startReached = false;
        }
        return;
      }
      case 'message:updated':
      case 'message:removed': {
        const d = frame.data;
        const m = this.conversations
          .get(d.conversation)
          ?.messages.find((x) => x.messageId === d.messageId);
        if (!m) return; // older than what is cached
        m.lastSeq = d.seq;
        if (frame.event === 'message:updated') {
          if (frame.data.body === null) return; // a removed message's scrubbed edit
          m.body = frame.data.body;
          m.editedTs = frame.data.ts;
        } else {
          m.body = null;
          m.removed = true;
        }
        return;
      }
      case 'message:reactions': {
        const d = frame.data;
        const m = this.conversations
          .get(d.conversation)
          ?.messages.find((x) => x.messageId === d.messageId);
        if (!m || m.lastSeq >= d.seq) return;
        m.lastSeq = d.seq;
        if (d.reactions.length) m.reactions = d.reactions;
        else delete m.reactions;
        return;
      }
      case 'resume':
        if (!frame.data.complete) this.conversations.delete(frame.data.conversation);
        return;
      default:
        return;
    }
  }

  forget(conversation: string): void {
    this.conversations.delete(conversation);
  }
}
