// Checks shared by the request handlers: who may see a group, read a conversation or change a
// message, and whether a body is within the limits. Each throws a HubError with a protocol code.
import { groupKey } from '../../shared/conversation-key.js';
import { ErrorCode, type Sender, SERVER_BODY_FIELDS } from '../../shared/protocol.js';
import { conversationAccess, mayReadConversation } from '../access.js';
import { type ConvId, dmConvId, type MessageRecord, type UserRecord } from '../store/store.js';
import type { HubContext } from './context.js';
import { type HubConnection, HubError } from './types.js';

/** Everything a body holds besides its text, in JSON bytes (review L6). */
const MAX_BODY_EXTRA_BYTES = 2048;

/**
 * The group's facts if `userId` may know it exists: a private group is NOT_FOUND to
 * non-members, with the same words as a group that does not exist (D1).
 */
export async function visibleGroup(
  ctx: HubContext,
  userId: string,
  group: string,
): Promise<{ members: number; private: boolean; member: boolean }> {
  const info = await ctx.store.group(group, userId);
  if (!info || (info.private && !info.member)) {
    throw new HubError(ErrorCode.NOT_FOUND, `there is no group named ${group}`);
  }
  return info;
}

/** The internal id of a conversation key as `userId` sees it, if they may read it. */
export async function readable(
  ctx: HubContext,
  userId: string,
  key: string,
  missing: ErrorCode = ErrorCode.NOT_FOUND,
): Promise<ConvId> {
  const access = await conversationAccess(ctx.store, userId, key);
  if (access.ok) return access.convId;
  const code = {
    'not-a-conversation': ErrorCode.BAD_REQUEST,
    'no-such-group': ErrorCode.NOT_FOUND,
    'not-a-member': missing,
    'no-such-user': ErrorCode.NOT_FOUND,
  }[access.why];
  throw new HubError(code, access.message);
}

/** The conversation a `to` names, checked for the sender; throws when they may not use it. */
export async function targetOf(
  ctx: HubContext,
  userId: string,
  to: { group: string } | { user: string },
): Promise<{ convId: ConvId; dmPair?: [string, string]; other?: UserRecord }> {
  if ('group' in to) {
    if (!(await visibleGroup(ctx, userId, to.group)).member) {
      throw new HubError(ErrorCode.NOT_JOINED, 'User has not joined to the recipient group');
    }
    return { convId: groupKey(to.group) };
  }
  const other = await ctx.store.userById(to.user);
  if (!other) throw new HubError(ErrorCode.NOT_FOUND, `there is no user ${to.user}`);
  const pair: [string, string] = userId < to.user ? [userId, to.user] : [to.user, userId];
  return { convId: dmConvId(userId, to.user), dmPair: pair, other };
}

/** A message of this conversation that is not removed; NOT_FOUND naming `what` otherwise. */
export async function messageIn(
  ctx: HubContext,
  convId: ConvId,
  messageId: string,
  what: string,
): Promise<MessageRecord> {
  const msg = await ctx.store.message(messageId);
  if (!msg || msg.convId !== convId || msg.removed) {
    throw new HubError(
      ErrorCode.NOT_FOUND,
      `${what} (${messageId}) is not in this conversation, or was deleted`,
    );
  }
  return msg;
}

/** Whether the user may read the message's conversation now (its group, or their dm). */
export function mayRead(ctx: HubContext, userId: string, msg: MessageRecord): Promise<boolean> {
  return mayReadConversation(ctx.store, userId, msg.convId);
}

/** A message the user may read now (not removed); NOT_FOUND otherwise. */
export async function visibleMessage(
  ctx: HubContext,
  conn: HubConnection,
  messageId: string,
): Promise<MessageRecord> {
  const msg = await ctx.store.message(messageId);
  if (!msg || msg.removed || !(await mayRead(ctx, conn.user.userId, msg))) {
    throw new HubError(ErrorCode.NOT_FOUND, `no message ${messageId}`);
  }
  return msg;
}

/**
 * The message, if the user may change it; NOT_FOUND otherwise (no hint that it exists). Its
 * author may remove it even after leaving the group (review L8), not edit it.
 */
export async function ownMessage(
  ctx: HubContext,
  conn: HubConnection,
  messageId: string,
  removing = false,
): Promise<MessageRecord> {
  const msg = await ctx.store.message(messageId);
  const { userId } = conn.user;
  const visibleToUser =
    msg &&
    !msg.removed &&
    ((removing && msg.senderId === userId) || (await mayRead(ctx, userId, msg)));
  if (!msg || !visibleToUser) throw new HubError(ErrorCode.NOT_FOUND, `no message ${messageId}`);
  if (msg.senderId !== userId) {
    throw new HubError(ErrorCode.FORBIDDEN, 'only the author can change a message');
  }
  return msg;
}

export function sender(ctx: HubContext, conn: HubConnection): Sender {
  return { user_id: conn.user.userId, cid: conn.cid, displayName: conn.user.displayName };
}

/** A body as a client sent it: within the limits, and without the fields the server writes. */
export function checkBody(ctx: HubContext, body: { text: string }): void {
  for (const field of SERVER_BODY_FIELDS) {
    if (field in body) {
      throw new HubError(
        ErrorCode.BAD_REQUEST,
        `the body's ${field} is set by the server: use the request's replyTo or thread`,
      );
    }
  }
  checkText(ctx, body);
}

export function checkText(ctx: HubContext, body: { text: string }): void {
  const bytes = Buffer.byteLength(body.text, 'utf8');
  if (bytes > ctx.limits.maxTextBytes) {
    throw new HubError(
      ErrorCode.TOO_LARGE,
      `the text is ${bytes} bytes; the limit is ${ctx.limits.maxTextBytes}`,
    );
  }
  const { text: _text, ...extra } = body;
  const extraBytes = Buffer.byteLength(JSON.stringify(extra), 'utf8');
  if (extraBytes > MAX_BODY_EXTRA_BYTES) {
    throw new HubError(
      ErrorCode.TOO_LARGE,
      `the body's fields besides text are ${extraBytes} bytes; the limit is ${MAX_BODY_EXTRA_BYTES}`,
    );
  }
}
