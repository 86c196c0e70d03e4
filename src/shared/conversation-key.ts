// Conversation keys as a reader sees them (`group:NAME`, `dm:OTHER_USER_ID`): the one place that
// knows their spelling. Every layer asks these helpers instead of slicing strings. Runs anywhere.
import type { ConversationKey, Recipient } from './protocol.js';

const GROUP = 'group:';
const DM = 'dm:';

export function groupKey(name: string): ConversationKey {
  return `${GROUP}${name}`;
}

export function dmKey(otherUserId: string): ConversationKey {
  return `${DM}${otherUserId}`;
}

/** Splits a conversation key; null when it is neither a group nor a dm key. */
export function parseConversationKey(
  key: string,
): { kind: 'group'; name: string } | { kind: 'dm'; userId: string } | null {
  if (key.startsWith(GROUP) && key.length > GROUP.length) {
    return { kind: 'group', name: key.slice(GROUP.length) };
  }
  if (key.startsWith(DM) && key.length > DM.length) {
    return { kind: 'dm', userId: key.slice(DM.length) };
  }
  return null;
}

export function isDmKey(key: string): boolean {
  return key.startsWith(DM);
}

export function isGroupKey(key: string): boolean {
  return key.startsWith(GROUP);
}

/** The group a key names, or null for a dm (or anything else). */
export function groupNameOf(key: string): string | null {
  return key.startsWith(GROUP) ? key.slice(GROUP.length) : null;
}

/** The other person of a dm key, or null for a group (or anything else). */
export function dmPeerOf(key: string): string | null {
  return key.startsWith(DM) ? key.slice(DM.length) : null;
}

/** Who a post to this conversation goes to, in the protocol's `to` terms. */
export function recipientOf(key: ConversationKey | string): Recipient {
  const peer = dmPeerOf(key);
  return peer !== null ? { user: peer } : { group: key.slice(GROUP.length) };
}
