// Presence: who is told when a user comes, goes or changes status or profile, on one server and
// across a cluster.
import type { EventDataMap, PresenceStatus, UserProfile } from '../../shared/protocol.js';
import { type BrokerMessage, type EventMessage, topics } from '../broker.js';
import { dmConvId } from '../store/store.js';
import type { HubContext } from './context.js';
import { eventFrame, visible } from './frames.js';

/** Says the user is online (with their stored status) unless they are invisible. */
export async function announceBack(ctx: HubContext, userId: string, cid: string): Promise<void> {
  const user = await ctx.store.userById(userId);
  if (user && user.status !== 'invisible') {
    await broadcastPresence(ctx, userId, cid, user.status, user.statusText);
  }
}

export async function announceOffline(ctx: HubContext, userId: string): Promise<void> {
  const user = await ctx.store.userById(userId);
  // Back already (a reconnect raced this): nothing to announce.
  if ((await ctx.registry.online([userId])).has(userId)) return;
  if (user && user.status !== 'invisible') {
    await broadcastPresence(ctx, userId, undefined, 'invisible', null);
  }
}

/**
 * Tells everyone who shares a group or a dm with the user (and the admin `/presence` feed).
 * One frame, published to each of their user topics: no one hears it twice.
 */
export async function broadcastPresence(
  ctx: HubContext,
  userId: string,
  cid: string | undefined,
  status: PresenceStatus,
  text: string | null,
  profile?: UserProfile,
): Promise<void> {
  const shown = visible(status);
  const data: EventDataMap['presence:update'] = {
    user_id: userId,
    ...(shown !== 'offline' && cid !== undefined ? { cid } : {}),
    status: shown,
    ...(text !== null && status !== 'invisible' ? { text } : {}),
    ...(profile ? { profile } : {}),
  };
  const message: EventMessage = {
    event: 'presence:update',
    frame: eventFrame('presence:update', data),
  };
  const contacts = await contactsOf(ctx, userId);
  if (ctx.broker.lossless) {
    for (const other of contacts) ctx.broker.publish(topics.user(other), message);
  } else {
    ctx.broker.publish(topics.cluster, {
      ctl: 'presence',
      users: [...contacts],
      frame: message.frame,
    });
  }
  ctx.broker.publish(topics.presence, { ...message, feed: true });
}

/** A cluster-wide message: a presence change goes to this server's connections of its users. */
export function fromCluster(ctx: HubContext, m: BrokerMessage): void {
  if (m.ctl !== 'presence') return;
  const message: EventMessage = { event: 'presence:update', frame: m.frame };
  const bytes = Buffer.from(m.frame);
  for (const userId of m.users) {
    for (const conn of ctx.connections.ofUser(userId) ?? []) conn.deliver(message, bytes);
  }
}

/** Tells the user's contacts their new name or picture (with their status, as presence does). */
export async function profileChanged(ctx: HubContext, userId: string): Promise<void> {
  const user = await ctx.store.userById(userId);
  if (!user) return;
  const online = (await ctx.registry.online([userId])).has(userId);
  await broadcastPresence(
    ctx,
    userId,
    undefined,
    online ? user.status : 'invisible',
    user.statusText,
    { displayName: user.displayName, avatar: user.avatar },
  );
}

/** Everyone who shares a group or a dm with the user, the user included. */
export async function contactsOf(ctx: HubContext, userId: string): Promise<Set<string>> {
  const out = new Set<string>([userId]);
  for (const group of await ctx.store.userGroups(userId)) {
    for (const member of (await ctx.store.groupMembers(group)) ?? []) out.add(member);
  }
  for (const other of await ctx.store.dmPartners(userId)) out.add(other);
  return out;
}

/**
 * A shared group, or a dm both have written in (a stranger's message alone is not enough, M5).
 * `groupsOfA`, when the caller asks about many people at once, saves reading a's groups each time.
 */
export async function sharesConversation(
  ctx: HubContext,
  a: string,
  b: string,
  groupsOfA?: ReadonlySet<string>,
): Promise<boolean> {
  if (a === b) return true;
  if (await ctx.store.dmAccepted(dmConvId(a, b))) return true;
  const mine = groupsOfA ?? new Set(await ctx.store.userGroups(a));
  return (await ctx.store.userGroups(b)).some((g) => mine.has(g));
}
