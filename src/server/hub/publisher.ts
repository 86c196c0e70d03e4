// Publishing events to the broker: group events to the group's topic, a dm's to both users'
// topics with each side's own key, and heads for nodes that missed an event.
import { dmKey, groupKey } from '../../shared/conversation-key.js';
import type { ConversationKey, EventDataMap, EventName } from '../../shared/protocol.js';
import { topics } from '../broker.js';
import { type ConvId, dmMembers, groupOfConv } from '../store/store.js';
import type { HubContext } from './context.js';
import { eventFrame } from './frames.js';

export function publishGroup<E extends EventName>(
  ctx: HubContext,
  group: string,
  event: E,
  data: EventDataMap[E],
  seq?: number,
): void {
  ctx.broker.publish(topics.group(group), {
    event,
    room: groupKey(group),
    ...(seq !== undefined ? { seq, conv: groupKey(group) } : {}),
    frame: eventFrame(event, data),
  });
}

/**
 * Publishes a conversation event; a dm's two sides each see the other's id as the key. `seq`
 * is given for the stored events (send, update, removal), not for read markers.
 */
export function publishConversation<E extends EventName>(
  ctx: HubContext,
  convId: ConvId,
  event: E,
  build: (conversation: ConversationKey) => EventDataMap[E],
  seq?: number,
): void {
  const pair = dmMembers(convId);
  if (!pair) {
    publishGroup(ctx, groupOfConv(convId)!, event, build(convId as ConversationKey), seq);
    return;
  }
  const [a, b] = pair;
  const sides: [string, string][] =
    a === b
      ? [[a, b]]
      : [
          [a, b],
          [b, a],
        ];
  sides.forEach(([reader, other], i) => {
    const conversation = dmKey(other);
    // Only the last side records the published head (`conv`): a server dying between the two
    // publishes leaves the head behind, and the repair loop then tells both sides.
    const last = i === sides.length - 1;
    ctx.broker.publish(topics.user(reader), {
      event,
      room: conversation,
      ...(seq !== undefined ? { seq, ...(last ? { conv: convId } : {}) } : {}),
      frame: eventFrame(event, build(conversation)),
    });
  });
}

/** Tells every node that `convId` has events up to `seq` (they fill what they miss). */
export function announceHead(ctx: HubContext, convId: ConvId, seq: number): void {
  const pair = dmMembers(convId);
  if (!pair) {
    ctx.broker.publish(topics.group(groupOfConv(convId)!), { ctl: 'head', room: convId, seq });
    return;
  }
  const [a, b] = pair;
  ctx.broker.publish(topics.user(a), { ctl: 'head', room: dmKey(b), seq });
  if (a !== b) ctx.broker.publish(topics.user(b), { ctl: 'head', room: dmKey(a), seq });
}

/** A newly stored message, sent to its conversation (`message:send`) and counted. */
export function publishNewMessage(
  ctx: HubContext,
  saved: { convId: ConvId; messageId: string; seq: number },
  m: Pick<EventDataMap['message:send'], 'ts' | 'from' | 'body' | 'clientMsgId' | 'notification'>,
): void {
  ctx.stats.messages++;
  publishConversation(
    ctx,
    saved.convId,
    'message:send',
    (conversation) => ({
      messageId: saved.messageId,
      conversation,
      seq: saved.seq,
      ...m,
    }),
    saved.seq,
  );
}
