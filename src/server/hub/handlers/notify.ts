// Notifications: `notify` requests, and the queue that keeps `always` ones for offline users.
import { ErrorCode, type EventDataMap, type RequestResultMap } from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import { topics } from '../../broker.js';
import { type ConvId, dmMembers, groupOfConv } from '../../store/store.js';
import type { HubContext } from '../context.js';
import { eventFrame } from '../frames.js';
import { type HubConnection, HubError } from '../types.js';

/** The offline notification queue of one user (review M2). */
export const NOTIFICATION_QUEUE = { total: 100, perSender: 5 };

export async function notify(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'notify'>,
): Promise<RequestResultMap['notify']> {
  const { userId } = conn.user;
  const targets = [...new Set(p.user_ids)];
  const mine = new Set(await ctx.store.userGroups(userId));
  for (const target of targets) {
    const shares =
      target === userId || (await ctx.store.userGroups(target)).some((g) => mine.has(g));
    if (!shares) {
      // One answer for unknown users and strangers, so notify cannot probe for accounts.
      throw new HubError(ErrorCode.FORBIDDEN, `you share no group with ${target}`);
    }
  }
  const data: EventDataMap['notification'] = {
    from: { user_id: userId, displayName: conn.user.displayName },
    title: p.title,
    body: p.body,
    always: false,
  };
  const frame = eventFrame('notification', data);
  let queued = 0;
  let delivered = 0;
  const online = await ctx.registry.online(targets);
  for (const target of targets) {
    if (online.has(target)) {
      ctx.broker.publish(topics.user(target), { event: 'notification', frame });
      delivered++;
    } else {
      await queueNotification(ctx, target, data);
      queued++;
    }
  }
  return { queued, delivered };
}

/** `always` notifications reach recipients with no live connection when they next connect. */
export async function queueForOffline(
  ctx: HubContext,
  conn: HubConnection,
  convId: ConvId,
  n: { title: string; body: string },
): Promise<void> {
  const pair = dmMembers(convId);
  const recipients = pair ?? (await ctx.store.groupMembers(groupOfConv(convId)!)) ?? [];
  const data: EventDataMap['notification'] = {
    from: { user_id: conn.user.userId, displayName: conn.user.displayName },
    title: n.title,
    body: n.body,
    always: true,
  };
  const others = [...new Set(recipients)].filter((u) => u !== conn.user.userId);
  const online = await ctx.registry.online(others);
  for (const userId of others) {
    if (!online.has(userId)) await queueNotification(ctx, userId, data);
  }
}

/**
 * Queues a notification for a user who was offline, then looks again: one who connected
 * meanwhile may have taken their queue already, so their node is told to take it again. Either
 * the connection registered before the second look (and the drain reaches it) or the row was
 * there before its take: never lost, and the atomic take delivers it once.
 */
export async function queueNotification(
  ctx: HubContext,
  userId: string,
  data: EventDataMap['notification'],
): Promise<void> {
  await ctx.store.queueNotification(userId, data, ctx.now(), NOTIFICATION_QUEUE);
  if ((await ctx.registry.online([userId])).has(userId)) {
    ctx.broker.publish(topics.user(userId), { ctl: 'drain' });
  }
}
