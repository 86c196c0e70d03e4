// Group requests: join (with invites to private groups), leave, listings, members, topics.
import { randomBytes } from 'node:crypto';
import { groupKey } from '../../../shared/conversation-key.js';
import {
  ErrorCode,
  type EventDataMap,
  type GroupCondition,
  type GroupUser,
  type RequestResultMap,
} from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import { topics } from '../../broker.js';
import { TokenBucket } from '../../rate-limit.js';
import { visibleGroup } from '../checks.js';
import type { HubContext } from '../context.js';
import { eventFrame, visible } from '../frames.js';
import { publishGroup } from '../publisher.js';
import { startListening } from '../resume.js';
import { type HubConnection, HubError } from '../types.js';

const CONDITIONS: Record<GroupCondition, '>' | '>=' | '=' | '<' | '<=' | '!='> = {
  '>': '>',
  '>=': '>=',
  '=': '=',
  '<': '<',
  '<=': '<=',
  '!=': '!=',
  gt: '>',
  gte: '>=',
  eq: '=',
  lt: '<',
  lte: '<=',
  ne: '!=',
};

const DAY_MS = 24 * 3600_000;

/** `name` (shortened to fit) and 12 random letters and digits: about 62 bits. */
function unguessable(name: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const tail = Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
  return `${name.slice(0, 64 - 13)}-${tail}`;
}

/** Creating a group takes one of the user's daily budget (L3), or is refused. */
function chargeGroupCreation(ctx: HubContext, userId: string): void {
  const perDay = ctx.limits.groupsCreatedPerUserPerDay;
  const now = ctx.now();
  let bucket = ctx.groupCreations.get(userId);
  if (!bucket)
    ctx.groupCreations.set(
      userId,
      (bucket = new TokenBucket(perDay / (DAY_MS / 1000), perDay, now)),
    );
  const verdict = bucket.take(now);
  if (!verdict.ok) {
    throw new HubError(
      ErrorCode.RATE_LIMITED,
      `you created ${perDay} groups today; join one or try again tomorrow`,
      verdict.retryAfterMs,
    );
  }
}

/**
 * A user who has just become a member (by joining, or added by another member): the group hears
 * of it, and their connections on every node start listening to it from its head.
 */
export async function admitted(
  ctx: HubContext,
  group: string,
  user: { userId: string; displayName: string },
  /** The connection that made it happen (the adder's, when added; as `kick` does). */
  cid: string,
  isPrivate: boolean,
): Promise<void> {
  const { userId } = user;
  const ts = ctx.now();
  await ctx.store.logGroupEvent(group, { ts, userId, action: 'joined' });
  const member: EventDataMap['group:member'] = {
    group: group,
    user_id: userId,
    cid,
    action: 'joined',
    displayName: user.displayName,
    ts,
    ...(isPrivate ? { private: true as const } : {}),
  };
  if (ctx.broker.lossless) {
    for (const c of ctx.connections.ofUser(userId) ?? [])
      void ctx.connections.listen(c, topics.group(group));
    publishGroup(ctx, group, 'group:member', member);
  } else {
    // The topic may be new on this node: what is posted before its subscription takes
    // effect is replayed from the group's head at the join. The user's devices on other
    // nodes do the same when they hear of the join.
    const head = await ctx.store.lastSeq(groupKey(group));
    await startListening(ctx, userId, group, head);
    publishGroup(ctx, group, 'group:member', member);
    ctx.broker.publish(topics.user(userId), {
      ctl: 'listen',
      group: group,
      seq: head,
      frame: eventFrame('group:member', member),
    });
  }
}

export async function join(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'join'>,
): Promise<RequestResultMap['join']> {
  const { userId } = conn.user;
  const existing = await ctx.store.group(p.group, userId);
  if (!existing) chargeGroupCreation(ctx, userId);
  // A new private group gets a name nobody can guess (F3): the name asked for, and a random
  // tail. Joining a name then tells nothing of the private groups there are.
  const group = !existing && p.private === true ? unguessable(p.group) : p.group;
  if (existing?.private && !existing.member) {
    const invited = p.invite !== undefined && (await ctx.store.inviteGroup(p.invite, ctx.now()));
    if (invited !== group) {
      throw new HubError(
        ErrorCode.INVITE_REQUIRED,
        p.invite === undefined
          ? 'that group is private: ask a member for an invite link'
          : 'this invite is not valid (any more): ask a member for a new one',
      );
    }
  }
  const { changed, members } = await ctx.store.joinGroup(group, userId, p.private === true);
  const isPrivate = existing ? existing.private : p.private === true;
  if (changed) await admitted(ctx, group, conn.user, conn.cid, isPrivate);
  return {
    group: group,
    number_of_users: members,
    ...(isPrivate ? { private: true } : {}),
    ...(existing?.topic ? { topic: existing.topic } : {}),
  };
}

export async function leave(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'leave'>,
): Promise<RequestResultMap['leave']> {
  const { userId } = conn.user;
  const isPrivate = (await ctx.store.group(p.group, userId))?.private === true;
  if (!(await ctx.store.leaveGroup(p.group, userId))) {
    throw new HubError(ErrorCode.NOT_JOINED, `you are not a member of ${p.group}`);
  }
  await departed(ctx, p.group, isPrivate, {
    user_id: userId,
    cid: conn.cid,
    displayName: conn.user.displayName,
  });
  return { group: p.group };
}

/**
 * What follows a member's leaving (or being removed): the line in the chat, the `left` event,
 * and the end of every subscription of theirs to the group, on every node.
 */
export async function departed(
  ctx: HubContext,
  group: string,
  isPrivate: boolean,
  who: { user_id: string; cid: string; displayName: string },
): Promise<void> {
  const userId = who.user_id;
  const ts = ctx.now();
  await ctx.store.logGroupEvent(group, { ts, userId, action: 'left' });
  // Published before unsubscribing so the user's other devices learn they left.
  publishGroup(ctx, group, 'group:member', { group, ...who, action: 'left', ts });
  ctx.connections.leftGroup(userId, group, topics.group(group), isPrivate);
  // Redis keeps one publisher's order across channels: other nodes stop listening after
  // their devices had the `left` event above.
  if (!ctx.broker.lossless) {
    ctx.broker.publish(topics.user(userId), {
      ctl: 'unlisten',
      group,
      ...(isPrivate ? { private: true } : {}),
    });
  }
}

export async function groups(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'groups'>,
): Promise<RequestResultMap['groups']> {
  const limit = p.limit ?? 50;
  const byCount = p.searchFor === 'number_of_users';
  let value = p.value;
  let range = p.range;
  if (byCount) {
    value = value === undefined ? undefined : Number(value);
    range = range === undefined ? undefined : Number(range);
    if (Number.isNaN(value) || Number.isNaN(range)) {
      throw new HubError(ErrorCode.BAD_REQUEST, 'number_of_users takes a number');
    }
  } else if (value !== undefined) {
    value = String(value);
    range = range === undefined ? undefined : String(range);
  }
  if (range !== undefined && value === undefined) {
    throw new HubError(ErrorCode.BAD_REQUEST, 'range needs a value to start from');
  }
  let after: string | undefined;
  if (p.cursor !== undefined) {
    after = Buffer.from(p.cursor, 'base64url').toString('utf8');
    if (!after) throw new HubError(ErrorCode.BAD_REQUEST, 'the cursor is not valid');
  }
  const rows = await ctx.store.searchGroups({
    searchFor: byCount ? 'number_of_users' : 'group',
    ...(value !== undefined ? { value } : {}),
    ...(p.condition !== undefined ? { condition: CONDITIONS[p.condition] } : {}),
    ...(range !== undefined ? { range } : {}),
    limit: limit + 1,
    viewer: conn.user.userId,
    ...(after !== undefined ? { after } : {}),
  });
  const endOfList = rows.length <= limit;
  const list = rows.slice(0, limit);
  const last = list[list.length - 1];
  return {
    list,
    endOfList,
    ...(!endOfList && last ? { cursor: Buffer.from(last.group).toString('base64url') } : {}),
  };
}

export async function users(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'users'>,
): Promise<RequestResultMap['users']> {
  await visibleGroup(ctx, conn.user.userId, p.group);
  const members = await ctx.store.groupMembers(p.group);
  if (!members) throw new HubError(ErrorCode.NOT_FOUND, `there is no group named ${p.group}`);
  const wanted = p.user_id === undefined ? members : members.filter((m) => m === p.user_id);
  if (p.user_id !== undefined && wanted.length === 0) {
    throw new HubError(ErrorCode.NOT_FOUND, `${p.user_id} is not a member of ${p.group}`);
  }
  const list: GroupUser[] = [];
  const online = await ctx.registry.online(wanted);
  const creator = await ctx.store.groupCreator(p.group);
  for (const userId of wanted) {
    const user = await ctx.store.userById(userId);
    if (!user) continue;
    const cids = online.get(userId);
    const status = visible(user.status);
    const text = user.statusText ?? undefined;
    // What the member may do beyond others: a server admin removes anyone's message; a
    // group's creator removes members of a private group.
    const role = user.isAdmin ? 'admin' : userId === creator ? 'creator' : undefined;
    if (!cids || status === 'offline') {
      list.push({
        user_id: userId,
        username: user.username,
        ...(user.avatar ? { avatar: user.avatar } : {}),
        cid: null,
        displayName: user.displayName,
        status: 'offline',
        ...(role ? { role } : {}),
      });
      continue;
    }
    for (const cid of cids) {
      list.push({
        user_id: userId,
        username: user.username,
        ...(user.avatar ? { avatar: user.avatar } : {}),
        cid,
        displayName: user.displayName,
        status,
        ...(text !== undefined ? { text } : {}),
        ...(role ? { role } : {}),
      });
    }
  }
  return { list };
}

/** A member sets what the group is about; every member sees it change ('' clears it). */
export async function topic(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'topic'>,
): Promise<RequestResultMap['topic']> {
  if (!(await visibleGroup(ctx, conn.user.userId, p.group)).member) {
    throw new HubError(ErrorCode.NOT_JOINED, `you are not a member of ${p.group}`);
  }
  const topic = p.topic.trim();
  const ts = ctx.now();
  await ctx.store.logGroupEvent(p.group, {
    ts,
    userId: conn.user.userId,
    action: 'topic',
    topic,
  });
  publishGroup(ctx, p.group, 'group:updated', {
    group: p.group,
    topic,
    by: { user_id: conn.user.userId, displayName: conn.user.displayName },
    ts,
  });
  return { group: p.group, topic };
}
