// Invites to a group, and removing a member from a private one (security review 3, F2): an invite
// is good while the member who made it still is one; members list and revoke them; the group's
// creator may remove a member, who then hears nothing more of it on any node. A member may also
// add people by name (UX review 3, gap 7): those they already share a conversation with, so that
// a stranger cannot be pulled into groups; others get an invite link.
import { randomBytes } from 'node:crypto';
import { ErrorCode, type RequestResultMap } from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import { visibleGroup } from '../checks.js';
import type { HubContext } from '../context.js';
import { type HubConnection, HubError } from '../types.js';
import { sharesConversation } from '../presence.js';
import { admitted, departed } from './groups.js';

/** Invites to private groups last this long. */
const INVITE_TTL_MS = 7 * 24 * 3600_000;

async function mustBeMember(ctx: HubContext, conn: HubConnection, group: string) {
  const facts = await visibleGroup(ctx, conn.user.userId, group);
  if (!facts.member) throw new HubError(ErrorCode.NOT_JOINED, `you are not a member of ${group}`);
  return facts;
}

/** A member makes an invite code for their group (private or not). */
export async function invite(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'invite'>,
): Promise<RequestResultMap['invite']> {
  await mustBeMember(ctx, conn, p.group);
  const code = randomBytes(18).toString('base64url');
  const expiresAt = ctx.now() + INVITE_TTL_MS;
  await ctx.store.createInvite(code, p.group, conn.user.userId, expiresAt);
  return { group: p.group, code, expiresAt };
}

/** The group's live invites, for its members. */
export async function invites(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'invites'>,
): Promise<RequestResultMap['invites']> {
  await mustBeMember(ctx, conn, p.group);
  const list = await ctx.store.invitesOf(p.group, ctx.now());
  return { group: p.group, list };
}

/** A member ends an invite of their group. */
export async function uninvite(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'uninvite'>,
): Promise<RequestResultMap['uninvite']> {
  await mustBeMember(ctx, conn, p.group);
  if (!(await ctx.store.revokeInvite(p.group, p.code))) {
    throw new HubError(ErrorCode.NOT_FOUND, 'there is no such invite to this group');
  }
  return { group: p.group, code: p.code };
}

/** The creator of a private group removes a member. */
export async function kick(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'kick'>,
): Promise<RequestResultMap['kick']> {
  const facts = await mustBeMember(ctx, conn, p.group);
  if (!facts.private || (await ctx.store.groupCreator(p.group)) !== conn.user.userId) {
    throw new HubError(
      ErrorCode.FORBIDDEN,
      'only the creator of a private group may remove its members',
    );
  }
  if (p.user_id === conn.user.userId) {
    throw new HubError(ErrorCode.BAD_REQUEST, 'to leave the group, use leave');
  }
  const user = await ctx.store.userById(p.user_id);
  if (!user || !(await ctx.store.leaveGroup(p.group, p.user_id))) {
    throw new HubError(ErrorCode.NOT_FOUND, `that user is not a member of ${p.group}`);
  }
  await departed(ctx, p.group, true, {
    user_id: p.user_id,
    cid: conn.cid,
    displayName: user.displayName,
  });
  return { group: p.group, user_id: p.user_id };
}

/** A member adds someone they already share a group or an accepted dm with. */
export async function add(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'add'>,
): Promise<RequestResultMap['add']> {
  const facts = await mustBeMember(ctx, conn, p.group);
  const user = await ctx.store.userById(p.user_id);
  if (!user || !(await sharesConversation(ctx, conn.user.userId, p.user_id))) {
    // The same answer for "no such user" and "a stranger": it tells nothing of who exists.
    throw new HubError(
      ErrorCode.FORBIDDEN,
      'you can add people you share a group or a conversation with; send others an invite link',
    );
  }
  const { changed } = await ctx.store.joinGroup(p.group, p.user_id, facts.private);
  if (!changed) {
    throw new HubError(
      ErrorCode.BAD_REQUEST,
      `${user.displayName} is already a member of ${p.group}`,
    );
  }
  const added = { userId: p.user_id, displayName: user.displayName };
  await admitted(ctx, p.group, added, conn.cid, facts.private);
  return { group: p.group, user_id: p.user_id };
}
