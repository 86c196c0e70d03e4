// A conversation's messages as the chat view shows them: pure functions over plain data, so that
// they are tested without a browser. Server messages are ordered by seq; messages still in the
// outbox follow them, as "sending" or "failed", until the server's copy arrives.
import type { OutboxItemView } from '../../../shared/ipc';
import type {
  EventDataMap,
  GroupEvent,
  HistoryMessage,
  MessageBody,
  MessageFile,
  Reaction,
  Recipient,
  ReplyQuote,
  ThreadSummary,
} from '../../../shared/protocol';
import { dmKey, groupKey } from '../../../shared/conversation-key';

export interface UiMessage {
  /** Sender and clientMsgId: the same while in the outbox and once stored (no re-mount). */
  key: string;
  messageId?: string;
  clientMsgId: string;
  /** 0 while in the outbox. */
  seq: number;
  ts: number;
  editedTs?: number;
  removed: boolean;
  from: { user_id: string; displayName: string };
  /** null once removed. */
  text: string | null;
  state: 'sent' | 'sending' | 'failed';
  error?: string;
  /** Everyone's reactions, as of the event with seq `reactionsSeq` (none when absent). */
  reactions?: Reaction[];
  reactionsSeq?: number;
  /** The message this one answers, as quoted when it was posted. */
  reply?: ReplyQuote;
  /** The root of the thread this message is in (shown in the thread panel, not the list). */
  thread?: string;
  /** A thread root's replies so far. */
  replies?: ThreadSummary;
  /** A call record (a missed call), shown as such rather than as its text. */
  /** A call record: missed, or answered and lasting `durationMs`. */
  call?: {
    missed: boolean;
    video: boolean;
    durationMs?: number;
    /** A group call's line (issue 23): started (and its call), or ended with how many. */
    group?: { started: boolean; callId?: string; people?: number };
  };
  /** Attachments, as the server stated them. */
  files?: MessageFile[];
}

/**
 * What a body carries besides its text, checked (a body is any JSON): the server-written reply
 * and thread fields, and a client's call record.
 */
export function answerOf(
  body: MessageBody | null | undefined,
): Pick<UiMessage, 'reply' | 'thread' | 'call' | 'files'> {
  if (!body) return {};
  const files = Array.isArray(body.files)
    ? (body.files as MessageFile[]).filter(
        (f) => f && typeof f.fileId === 'string' && typeof f.name === 'string',
      )
    : [];
  const reply = body.reply as ReplyQuote | undefined;
  const thread = body.thread;
  const call = body.call as
    | {
        missed?: unknown;
        video?: unknown;
        durationMs?: unknown;
        group?: unknown;
        started?: unknown;
        callId?: unknown;
        people?: unknown;
      }
    | undefined;
  return {
    ...(files.length ? { files } : {}),
    ...(call && typeof call === 'object'
      ? {
          call: {
            missed: call.missed === true,
            video: call.video === true,
            ...(typeof call.durationMs === 'number' && call.durationMs >= 0
              ? { durationMs: call.durationMs }
              : {}),
            ...(call.group === true
              ? {
                  group: {
                    started: call.started === true,
                    ...(typeof call.callId === 'string' ? { callId: call.callId } : {}),
                    ...(typeof call.people === 'number' ? { people: call.people } : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(reply && typeof reply.messageId === 'string' && typeof reply.text === 'string'
      ? { reply }
      : {}),
    ...(typeof thread === 'string' ? { thread } : {}),
  };
}

export interface ConversationMessages {
  /** Stored messages, oldest first, by seq. */
  list: UiMessage[];
  /** False once the first message of the conversation is loaded. */
  hasOlder: boolean;
  loading: boolean;
  error?: string;
  /** How many messages were put in front so far: the virtual list's index of the first one. */
  prepended: number;
  /** A group's joins, leaves and topic changes over the time loaded, oldest first. */
  groupEvents?: GroupEvent[];
}

/** Adds group events (from a page or live), by time, each once. */
export function mergeGroupEvents(
  current: readonly GroupEvent[] | undefined,
  incoming: readonly GroupEvent[] | undefined,
): GroupEvent[] | undefined {
  if (!incoming?.length) return current as GroupEvent[] | undefined;
  const key = (e: GroupEvent) => `${e.ts}|${e.user_id}|${e.action}|${e.topic ?? ''}`;
  const byKey = new Map((current ?? []).map((e) => [key(e), e]));
  for (const e of incoming) byKey.set(key(e), e);
  return [...byKey.values()].sort((a, b) => a.ts - b.ts);
}

/** Events with `from < ts <= to`. */
export function eventsBetween(
  events: readonly GroupEvent[] | undefined,
  from: number,
  to: number,
): GroupEvent[] {
  return events?.filter((e) => e.ts > from && e.ts <= to) ?? [];
}

/** "Ann joined", "Ann set the topic: “…”". */
export function groupEventText(e: GroupEvent): string {
  if (e.action === 'joined') return `${e.displayName} joined`;
  if (e.action === 'left') return `${e.displayName} left`;
  return e.topic
    ? `${e.displayName} set the topic: “${e.topic}”`
    : `${e.displayName} cleared the topic`;
}

export const EMPTY_MESSAGES: ConversationMessages = {
  list: [],
  hasOlder: true,
  loading: false,
  prepended: 0,
};

export function fromHistory(m: HistoryMessage): UiMessage {
  return {
    key: m.clientMsgId ? `${m.from.user_id}:${m.clientMsgId}` : m.messageId,
    messageId: m.messageId,
    clientMsgId: m.clientMsgId,
    seq: m.seq,
    ts: m.ts,
    ...(m.editedTs !== undefined ? { editedTs: m.editedTs } : {}),
    removed: m.removed,
    from: m.from,
    text: m.body?.text ?? null,
    state: 'sent',
    ...(m.reactions?.length ? { reactions: m.reactions } : {}),
    reactionsSeq: m.lastSeq,
    ...answerOf(m.body),
    ...(m.replies ? { replies: m.replies } : {}),
  };
}

export function fromSend(d: EventDataMap['message:send']): UiMessage {
  return {
    key: d.clientMsgId ? `${d.from.user_id}:${d.clientMsgId}` : d.messageId,
    messageId: d.messageId,
    clientMsgId: d.clientMsgId,
    seq: d.seq,
    ts: d.ts,
    // A replayed tombstone carries no body: the message was removed since (review H2).
    removed: d.body === null,
    from: { user_id: d.from.user_id, displayName: d.from.displayName },
    text: d.body?.text ?? null,
    state: 'sent',
    ...answerOf(d.body),
  };
}

/**
 * Counts a live thread reply on its root, if held and not counted yet (a history page read after
 * the reply already has it).
 */
export function countReply(list: readonly UiMessage[], reply: UiMessage): UiMessage[] {
  const i = reply.thread ? list.findIndex((m) => m.messageId === reply.thread) : -1;
  if (i < 0) return list as UiMessage[];
  const root = list[i]!;
  if (root.replies && root.replies.lastSeq >= reply.seq) return list as UiMessage[];
  const next = list.slice();
  next[i] = {
    ...root,
    replies: { count: (root.replies?.count ?? 0) + 1, lastSeq: reply.seq, lastTs: reply.ts },
  };
  return next;
}

/** Adds a page of stored messages (older, newer or overlapping) and keeps seq order, once each. */
export function mergeMessages(
  current: readonly UiMessage[],
  incoming: readonly UiMessage[],
): UiMessage[] {
  if (incoming.length === 0) return current as UiMessage[];
  const last = current[current.length - 1];
  // The common case, live messages after everything held, in order: append.
  if (
    (!last || incoming[0]!.seq > last.seq) &&
    incoming.every((m, i) => i === 0 || m.seq > incoming[i - 1]!.seq)
  ) {
    return current.concat(incoming);
  }
  const bySeq = new Map<number, UiMessage>();
  for (const m of current) bySeq.set(m.seq, m);
  for (const m of incoming) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Applies a `message:reactions` event to the message it names, if held and not already newer
 * (a history page read after the event carries the state at its own lastSeq).
 */
export function reactMessage(
  list: readonly UiMessage[],
  d: EventDataMap['message:reactions'],
): UiMessage[] {
  const i = list.findIndex((m) => m.messageId === d.messageId);
  if (i < 0 || (list[i]!.reactionsSeq ?? 0) >= d.seq) return list as UiMessage[];
  const next = list.slice();
  const { reactions: _old, ...rest } = list[i]!;
  next[i] = {
    ...rest,
    ...(d.reactions.length ? { reactions: d.reactions } : {}),
    reactionsSeq: d.seq,
  };
  return next;
}

/** Applies an edit or removal to the message it names, if held. */
export function patchMessage(
  list: readonly UiMessage[],
  messageId: string,
  patch: Partial<UiMessage>,
): UiMessage[] {
  const i = list.findIndex((m) => m.messageId === messageId);
  if (i < 0) return list as UiMessage[];
  const next = list.slice();
  next[i] = { ...list[i]!, ...patch };
  return next;
}

export function conversationOf(to: Recipient): string {
  return 'group' in to ? groupKey(to.group) : dmKey(to.user);
}

/** Outbox items of one conversation not yet stored (their clientMsgId is not in `stored`). */
export function pendingOf(
  outbox: readonly OutboxItemView[],
  conversation: string,
  stored: readonly UiMessage[],
  me: { user_id: string; displayName: string },
): UiMessage[] {
  const mine = outbox.filter((o) => conversationOf(o.to) === conversation);
  if (mine.length === 0) return [];
  const storedIds = new Set(
    stored
      .slice(-500)
      .filter((m) => m.from.user_id === me.user_id)
      .map((m) => m.clientMsgId),
  );
  return mine
    .filter((o) => !storedIds.has(o.clientMsgId))
    .map((o) => ({
      ...(o.thread ? { thread: o.thread } : {}),
      ...answerOf(o.body),
      key: `${me.user_id}:${o.clientMsgId}`,
      clientMsgId: o.clientMsgId,
      seq: 0,
      ts: o.createdAt,
      removed: false,
      from: me,
      text: o.body.text,
      state: o.state === 'failed' ? 'failed' : 'sending',
      ...(o.error ? { error: o.error.message } : {}),
    }));
}

/** The local calendar day of a timestamp, for day separators. */
export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

const DATE = new Intl.DateTimeFormat(undefined, {
  weekday: 'long',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
});

/** "Today", "Yesterday" or the date, for a separator. */
export function dayLabel(ts: number, now = Date.now()): string {
  const key = dayKey(ts);
  if (key === dayKey(now)) return 'Today';
  if (key === dayKey(now - 86_400_000)) return 'Yesterday';
  return DATE.format(ts);
}
