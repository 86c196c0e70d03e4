// Read markers and the sidebar's listing of a user's conversations (with dm peers' presence).
import {
  type ConversationSummary,
  ErrorCode,
  type RequestResultMap,
} from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import { dmMembers } from '../../store/store.js';
import { readable } from '../checks.js';
import type { HubContext } from '../context.js';
import { keyFor, visible } from '../frames.js';
import { sharesConversation } from '../presence.js';
import { publishConversation } from '../publisher.js';
import { type HubConnection, HubError } from '../types.js';
import { dmPeerOf, groupNameOf } from '../../../shared/conversation-key.js';

export async function read(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'read'>,
): Promise<RequestResultMap['read']> {
  const { userId } = conn.user;
  const convId = await readable(ctx, userId, p.conversation);
  if (!(await ctx.store.conversationExists(convId))) {
    // A read marker only in a conversation that exists: not a receipt sent to strangers (M5).
    if (dmMembers(convId)) {
      throw new HubError(ErrorCode.NOT_FOUND, 'there is no conversation with that user yet');
    }
    return {};
  }
  const seq = Math.min(p.seq, await ctx.store.lastSeq(convId));
  const marker = await ctx.store.markRead(userId, convId, seq);
  publishConversation(ctx, convId, 'message:read', (conversation) => ({
    conversation,
    user_id: userId,
    seq: marker,
  }));
  return {};
}

export async function conversations(
  ctx: HubContext,
  conn: HubConnection,
): Promise<RequestResultMap['conversations']> {
  const { userId } = conn.user;
  const rows = await ctx.store.conversationsOf(userId, conn.user.username);
  const partners = rows.flatMap((c) => {
    const pair = dmMembers(c.convId);
    return pair ? [pair[0] === userId ? pair[1] : pair[0]] : [];
  });
  const online = await ctx.registry.online(partners);
  const myGroups = new Set(await ctx.store.userGroups(userId));
  const privateGroups = new Set(await ctx.store.privateGroupsOf(userId));
  return {
    list: await Promise.all(
      rows.map(async (c) => {
        const conversation = keyFor(c.convId, userId);
        const other = dmPeerOf(conversation);
        // The same rule as the presence events: a dm row, its header and a member list must
        // agree (UX-3 gap 2: group-mates showed offline in a dm not yet answered).
        const peer =
          other !== null
            ? await peerOf(
                ctx,
                other,
                await sharesConversation(ctx, userId, other, myGroups),
                online.has(other),
              )
            : undefined;
        return {
          conversation,
          lastSeq: c.lastSeq,
          lastTs: c.lastTs,
          readSeq: c.readSeq,
          unread: c.unread,
          mentions: c.mentions,
          ...(privateGroups.has(groupNameOf(conversation) ?? '') ? { private: true as const } : {}),
          ...(peer ? { peer } : {}),
        };
      }),
    ),
  };
}

/**
 * A dm partner as the user sees them: offline when invisible or with no connection, and
 * while they share nothing but a stranger's message (no common group, the dm not answered: M5).
 */
export async function peerOf(
  ctx: HubContext,
  userId: string,
  shared: boolean,
  connected: boolean,
): Promise<ConversationSummary['peer']> {
  const user = await ctx.store.userById(userId);
  if (!user) return undefined;
  const status = shared && connected ? visible(user.status) : 'offline';
  const text = status !== 'offline' ? (user.statusText ?? undefined) : undefined;
  return {
    user_id: userId,
    displayName: user.displayName,
    status,
    ...(text !== undefined ? { text } : {}),
    ...(user.avatar ? { avatar: user.avatar } : {}),
  };
}
