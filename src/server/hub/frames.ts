// Event frames as sent on the wire, connection ids, and how a conversation and a status look to
// a given reader.
import { randomBytes } from 'node:crypto';
import { dmKey } from '../../shared/conversation-key.js';
import type {
  ConversationKey,
  EventDataMap,
  EventName,
  PresenceStatus,
  VisibleStatus,
} from '../../shared/protocol.js';
import { dmMembers, type ConvId, type StoredEvent } from '../store/store.js';

export function eventFrame<E extends EventName>(event: E, data: EventDataMap[E]): string {
  return JSON.stringify({ type: 'event', event, data });
}

/** A stored event as `conversation`'s reader is sent it (resume, gap fills). */
export function storedEventFrame(e: StoredEvent, conversation: ConversationKey): string {
  return JSON.stringify({
    type: 'event',
    event: e.event,
    data: { ...e.data, conversation, seq: e.seq },
  });
}

/**
 * Random, not sequential: a cid names a live connection, and sequential ones could be enumerated
 * to probe who is connected (review M7).
 */
export function newCid(): string {
  return `c_${randomBytes(12).toString('base64url')}`;
}

/** What others see: `invisible` is shown to them as `offline`. */
export function visible(status: PresenceStatus): VisibleStatus {
  return status === 'invisible' ? 'offline' : status;
}

/** The conversation as seen from `viewer`: a dm's key names the other party. */
export function keyFor(convId: ConvId, viewer: string): ConversationKey {
  const pair = dmMembers(convId);
  if (!pair) return convId as ConversationKey;
  return dmKey(pair[0] === viewer ? pair[1] : pair[0]);
}
