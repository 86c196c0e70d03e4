// Per-connection filters (bind) and extra subscriptions: a group watched without joining, and the
// administrators' /presence and /metrics feeds.
import { ErrorCode, type RequestResultMap } from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import { topics } from '../../broker.js';
import { visibleGroup } from '../checks.js';
import type { HubContext } from '../context.js';
import { type HubConnection, HubError } from '../types.js';

export function bind(
  _ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'bind'>,
): RequestResultMap['bind'] {
  conn.events = p.events ? new Set(p.events) : null;
  conn.rooms = p.rooms ? new Set(p.rooms) : null;
  return { events: p.events ?? null, rooms: p.rooms ?? null };
}

export async function subscribe(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'subscribe'>,
): Promise<RequestResultMap['subscribe']> {
  const topic = await topicOf(ctx, conn, p.topic);
  const state = ctx.connections.topicsOf(conn);
  // Each subscription is a fan-out entry (and, in a cluster, a Redis SUBSCRIBE): bounded (L3).
  const max = ctx.limits.subscriptionsPerConnection;
  if (state && !state.topics.has(topic.broker) && state.topics.size >= max) {
    throw new HubError(
      ErrorCode.TOO_LARGE,
      `a connection holds at most ${max} subscriptions; unsubscribe from some first`,
    );
  }
  if (topic.group !== undefined) state?.watching.add(topic.group);
  if (topic.broker === topics.presence) conn.presenceFeed = true;
  await ctx.connections.listen(conn, topic.broker);
  return { topic: p.topic };
}

export async function unsubscribe(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'unsubscribe'>,
): Promise<RequestResultMap['unsubscribe']> {
  const state = ctx.connections.topicsOf(conn);
  const topic = await topicOf(ctx, conn, p.topic);
  if (topic.group !== undefined) {
    if (!state?.watching.delete(topic.group)) {
      throw new HubError(ErrorCode.NOT_FOUND, `you are not subscribed to ${p.topic}`);
    }
    // Members keep receiving their group's events; only the extra subscription ends.
    if (!(await ctx.store.isMember(topic.group, conn.user.userId)))
      ctx.connections.unlisten(conn, topic.broker);
    return { topic: p.topic };
  }
  if (!state?.topics.has(topic.broker)) {
    throw new HubError(ErrorCode.NOT_FOUND, `you are not subscribed to ${p.topic}`);
  }
  if (topic.broker === topics.presence) conn.presenceFeed = false;
  ctx.connections.unlisten(conn, topic.broker);
  return { topic: p.topic };
}

export async function topicOf(
  ctx: HubContext,
  conn: HubConnection,
  topic: string,
): Promise<{ broker: string; group?: string }> {
  const groupTopic = /^\/groups\/([^/]+)\/messages$/.exec(topic);
  if (groupTopic) {
    const group = groupTopic[1]!;
    await visibleGroup(ctx, conn.user.userId, group);
    return { broker: topics.group(group), group };
  }
  if (topic === '/presence' || topic === '/metrics') {
    if (!conn.user.isAdmin) {
      throw new HubError(ErrorCode.FORBIDDEN, `${topic} is for administrators`);
    }
    return { broker: topic === '/presence' ? topics.presence : topics.metrics };
  }
  throw new HubError(ErrorCode.NOT_FOUND, `there is no topic ${topic}`);
}
