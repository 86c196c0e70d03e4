// Who may read a conversation: one rule for the realtime requests (hub.ts) and for files over
// HTTP (files/file-service.ts), each saying a refusal in its own terms.
import { parseConversationKey } from '../shared/protocol.js';
import { type ConvId, dmConvId, dmMembers, groupOfConv, type Store } from './store/store.js';

export type ConversationAccess =
  | { ok: true; convId: ConvId }
  | {
      ok: false;
      why: 'not-a-conversation' | 'no-such-group' | 'not-a-member' | 'no-such-user';
      message: string;
    };

/**
 * The conversation a key names as the server knows it (`dm:OTHER` becomes the pair's id), if the
 * user may read it. A private group is "no such group" to those outside it (review D1).
 */
export async function conversationAccess(
  store: Store,
  userId: string,
  key: string,
): Promise<ConversationAccess> {
  const parsed = parseConversationKey(key);
  if (!parsed)
    return { ok: false, why: 'not-a-conversation', message: `${key} is not a conversation` };
  if (parsed.kind === 'group') {
    const info = await store.group(parsed.name, userId);
    if (!info || (info.private && !info.member)) {
      return { ok: false, why: 'no-such-group', message: `there is no group named ${parsed.name}` };
    }
    if (!info.member) {
      return { ok: false, why: 'not-a-member', message: `you are not a member of ${parsed.name}` };
    }
    return { ok: true, convId: key };
  }
  if (!(await store.userById(parsed.userId))) {
    return { ok: false, why: 'no-such-user', message: `there is no user ${parsed.userId}` };
  }
  return { ok: true, convId: dmConvId(userId, parsed.userId) };
}

/** Whether the user may read a conversation (by its server id) now: its group, or their dm. */
export async function mayReadConversation(
  store: Store,
  userId: string,
  convId: ConvId,
): Promise<boolean> {
  return (
    dmMembers(convId)?.includes(userId) ?? (await store.isMember(groupOfConv(convId)!, userId))
  );
}
