// Full-text search of what a user may read, and finding people by name.
import { groupKey } from '../../../shared/conversation-key.js';
import { ErrorCode, type RequestResultMap } from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import { searchWords } from '../../store/rows.js';
import { type ConvId, dmConvId, StoreBusyError } from '../../store/store.js';
import { readable } from '../checks.js';
import type { HubContext } from '../context.js';
import { keyFor } from '../frames.js';
import { type HubConnection, HubError } from '../types.js';

/** Users with a search running on this server: one at a time each (F5). */
const searching = new WeakMap<HubContext, Set<string>>();

/** Full-text search of the messages the user can read now: one conversation, or all of them. */
export async function search(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'search'>,
): Promise<RequestResultMap['search']> {
  const { userId } = conn.user;
  const words = searchWords(p.query);
  if (words.length === 0) {
    throw new HubError(ErrorCode.BAD_REQUEST, 'type a word of at least two letters to search for');
  }
  let running = searching.get(ctx);
  if (!running) searching.set(ctx, (running = new Set()));
  if (running.has(userId)) {
    throw new HubError(
      ErrorCode.BUSY,
      'a search of yours is still running; try again when it ends',
    );
  }
  running.add(userId);
  try {
    return await searchReadable(ctx, userId, words, p);
  } catch (err) {
    if (err instanceof StoreBusyError) throw new HubError(ErrorCode.BUSY, err.message);
    throw err;
  } finally {
    running.delete(userId);
  }
}

async function searchReadable(
  ctx: HubContext,
  userId: string,
  words: string[],
  p: RequestParams<'search'>,
): Promise<RequestResultMap['search']> {
  const convIds =
    p.conversation !== undefined
      ? [await readable(ctx, userId, p.conversation, ErrorCode.FORBIDDEN)]
      : await readableConversations(ctx, userId);
  const limit = p.limit ?? 20;
  const rows = await ctx.store.searchMessages({
    convIds,
    words,
    limit: limit + 1,
    ...(p.cursor !== undefined ? { before: p.cursor } : {}),
  });
  const page = rows.slice(0, limit);
  const endOfList = rows.length <= limit;
  return {
    results: page.map(({ convId, cursor: _cursor, ...m }) => ({
      ...m,
      conversation: keyFor(convId, userId),
    })),
    endOfList,
    ...(!endOfList && page.length ? { cursor: page[page.length - 1]!.cursor } : {}),
  };
}

/** Every conversation the user may read: their groups, and dms they are in. */
export async function readableConversations(ctx: HubContext, userId: string): Promise<ConvId[]> {
  const groups = (await ctx.store.userGroups(userId)).map((g) => groupKey(g) as ConvId);
  const dms = [...(await ctx.store.dmHeads(userId)).keys()].map((other) => dmConvId(userId, other));
  return [...groups, ...dms];
}

/** Anyone with an account, by the start of their username or of a word of their name. */
export async function people(
  ctx: HubContext,
  p: RequestParams<'people'>,
): Promise<RequestResultMap['people']> {
  const query = p.query.trim();
  if (!query) throw new HubError(ErrorCode.BAD_REQUEST, 'type the start of a name');
  const rows = await ctx.store.searchPeople(query, p.limit ?? 20);
  return {
    list: rows.map((r) => ({
      user_id: r.userId,
      username: r.username,
      displayName: r.displayName,
    })),
  };
}
