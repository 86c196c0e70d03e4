// History pages of a conversation or a thread, with reply counts and the group's join, leave and
// topic lines for the time a page covers.
import {
  ErrorCode,
  type GroupEvent,
  type HistoryMessage,
  type RequestResultMap,
} from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import type { ConvId } from '../../store/store.js';
import { messageIn, readable } from '../checks.js';
import type { HubContext } from '../context.js';
import { type HubConnection, HubError } from '../types.js';
import { groupOfConv } from '../../store/store.js';

/** Bytes of history one `history` reply carries at most; the rest is the next page. */
export const HISTORY_MAX_BYTES = 256 * 1024;

/** Joins, leaves and topic changes a history page carries at most. */
const GROUP_EVENTS_PER_PAGE = 200;

export async function history(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'history'>,
): Promise<RequestResultMap['history']> {
  const convId = await readable(ctx, conn.user.userId, p.conversation, ErrorCode.FORBIDDEN);
  const limit = p.limit ?? 50;
  const root =
    p.thread !== undefined ? await messageIn(ctx, convId, p.thread, 'the thread') : undefined;
  if (root && typeof root.body?.thread === 'string') {
    throw new HubError(ErrorCode.BAD_REQUEST, `${p.thread} is a reply in a thread, not its root`);
  }
  const rows = await ctx.store.history(convId, {
    limit,
    ...(p.before !== undefined ? { before: p.before } : {}),
    ...(p.after !== undefined ? { after: p.after } : {}),
    ...(root ? { thread: root.messageId } : {}),
  });
  // A reply is bounded in bytes as well as rows (H3): 200 messages of 16 KB would be 3 MB.
  // The messages nearest the cursor are kept; the rest is the next page.
  const kept: typeof rows = [];
  let bytes = 0;
  const nearestFirst = p.after !== undefined ? rows : [...rows].reverse();
  for (const m of nearestFirst) {
    bytes += m.body ? Buffer.byteLength(JSON.stringify(m.body)) + 200 : 200;
    if (kept.length > 0 && bytes > HISTORY_MAX_BYTES) break;
    kept.push(m);
  }
  if (p.after === undefined) kept.reverse();
  const messages = await withReplies(
    ctx,
    convId,
    kept.map((m) => ({ ...m, conversation: p.conversation })),
  );
  let rootMessage: HistoryMessage | undefined;
  if (root) {
    const [r] = await ctx.store.history(convId, { before: root.seq + 1, limit: 1 });
    if (r?.messageId === root.messageId) {
      [rootMessage] = await withReplies(ctx, convId, [{ ...r, conversation: p.conversation }]);
    }
  }
  const endOfList = kept.length === rows.length && rows.length < limit;
  const group = groupOfConv(convId);
  const groupEvents =
    group !== null && p.after === undefined && !root
      ? await eventsOfPage(ctx, group, convId, kept, endOfList, p.before)
      : undefined;
  return {
    messages,
    endOfList,
    ...(rootMessage ? { root: rootMessage } : {}),
    ...(groupEvents?.length ? { groupEvents } : {}),
  };
}

/**
 * A group's joins, leaves and topic changes in the time a history page covers: from its first
 * message (the group's start at the end of the list) up to the message after it (the one
 * `before` named, not included) or now for the newest page; so pages read back to back carry
 * each line once.
 */
export async function eventsOfPage(
  ctx: HubContext,
  group: string,
  convId: ConvId,
  page: { ts: number }[],
  endOfList: boolean,
  before: number | undefined,
): Promise<GroupEvent[]> {
  const from = endOfList || page.length === 0 ? 0 : page[0]!.ts;
  let to = ctx.now();
  if (before !== undefined) {
    const [boundary] = await ctx.store.history(convId, { before: before + 1, limit: 1 });
    // Up to, not including, the newer page's first message: a line at that very millisecond
    // belongs to the newer page (whose range starts there), so no page repeats it.
    if (boundary) to = boundary.ts - 1;
  }
  const rows = await ctx.store.groupEvents(group, from, to, GROUP_EVENTS_PER_PAGE);
  return rows.map((e) => ({
    ts: e.ts,
    user_id: e.userId,
    displayName: e.displayName,
    action: e.action,
    ...(e.topic !== undefined ? { topic: e.topic } : {}),
  }));
}

/** Adds each thread root's reply count (one query for the page). */
export async function withReplies(
  ctx: HubContext,
  convId: ConvId,
  list: HistoryMessage[],
): Promise<HistoryMessage[]> {
  const roots = list.filter((m) => m.body && m.body.thread === undefined).map((m) => m.messageId);
  const summaries = await ctx.store.threadSummaries(convId, roots);
  if (summaries.size === 0) return list;
  return list.map((m) => {
    const replies = summaries.get(m.messageId);
    return replies ? { ...m, replies } : m;
  });
}
