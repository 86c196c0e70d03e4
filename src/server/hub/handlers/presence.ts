// A user's own status and profile (display name) requests.
import type { RequestResultMap } from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import type { HubContext } from '../context.js';
import { visible } from '../frames.js';
import { broadcastPresence, profileChanged } from '../presence.js';
import type { HubConnection } from '../types.js';

export async function presence(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'presence'>,
): Promise<RequestResultMap['presence']> {
  const { userId } = conn.user;
  const before = await ctx.store.userById(userId);
  const text = p.text ?? null;
  await ctx.store.setPresence(userId, p.status, text);
  const changed =
    !before || visible(before.status) !== visible(p.status) || before.statusText !== text;
  if (changed) await broadcastPresence(ctx, userId, conn.cid, p.status, text);
  return { status: p.status };
}

/** Changes the user's name as others see it from now on (messages keep the name they had). */
export async function profile(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'profile'>,
): Promise<RequestResultMap['profile']> {
  const { userId } = conn.user;
  if (p.displayName !== undefined && p.displayName !== conn.user.displayName) {
    await ctx.store.setDisplayName(userId, p.displayName);
    // This server's connections of the user sign new messages with it at once; another
    // server's, from their next connection.
    for (const c of ctx.connections.ofUser(userId) ?? []) c.user.displayName = p.displayName;
    await profileChanged(ctx, userId);
  }
  const user = await ctx.store.userById(userId);
  return {
    displayName: user?.displayName ?? conn.user.displayName,
    avatar: user?.avatar ?? null,
  };
}
