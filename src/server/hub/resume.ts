// Resume: replaying stored events a connection missed, starting to listen to a group mid-session,
// the store as the fan-out's sequencer sees it, and queued notifications on attach.
import { dmKey, dmPeerOf, groupKey } from '../../shared/conversation-key.js';
import type { ConversationKey, EventDataMap } from '../../shared/protocol.js';
import { topics } from '../broker.js';
import type { StreamSource } from '../sequencer.js';
import { dmConvId, type ConvId, type Store } from '../store/store.js';
import { readable } from './checks.js';
import type { HubContext } from './context.js';
import { eventFrame, storedEventFrame } from './frames.js';
import type { HubConnection } from './types.js';

/** Bytes of events one resume replays at most; past it a conversation says `complete: false`. */
export const RESUME_MAX_BYTES = 512 * 1024;

/**
 * Sends the stored events after each given seq, then a `resume` event per conversation.
 * Returns, per conversation replayed, the seq it was replayed up to.
 */
export async function replay(
  ctx: HubContext,
  conn: HubConnection,
  resume: Record<string, number>,
): Promise<Map<string, number>> {
  const { userId } = conn.user;
  const replayed = new Map<string, number>();
  let budget = RESUME_MAX_BYTES;
  for (const [key, fromSeq] of Object.entries(resume)) {
    let convId: ConvId;
    try {
      convId = await readable(ctx, userId, key);
    } catch {
      continue; // a conversation the user may not read (any more) is skipped, not an error
    }
    const conversation = key as ConversationKey;
    // Past the byte budget a conversation replays nothing and says `complete: false`: the
    // client pages the rest with `history` (H3: one resume once queued hundreds of MB).
    // The head first: anything committed after it reaches this connection live (held, then
    // released past what is replayed here).
    const head = await ctx.store.lastSeq(convId);
    const events =
      budget > 0 ? await ctx.store.eventsAfter(convId, fromSeq, ctx.resumeMaxEvents) : [];
    let toSeq = fromSeq;
    for (const e of events) {
      const frame = storedEventFrame(e, conversation);
      if (budget <= 0) break;
      budget -= frame.length;
      conn.sendEvent(e.event, conversation, frame);
      toSeq = e.seq;
    }
    conn.sendEvent(
      'resume',
      conversation,
      eventFrame('resume', {
        conversation,
        fromSeq,
        toSeq,
        complete: toSeq >= head,
      }),
    );
    replayed.set(conversation, toSeq);
  }
  return replayed;
}

/**
 * The user's connections on this node that do not listen to the group yet start to, each
 * replayed the group's events after `fromSeq` first (and handed `frame`, the join, since they
 * were not listening when it was published).
 */
export async function startListening(
  ctx: HubContext,
  userId: string,
  group: string,
  fromSeq: number,
  frame?: string,
): Promise<void> {
  const topic = topics.group(group);
  const conversation = groupKey(group);
  for (const c of [...(ctx.connections.ofUser(userId) ?? [])]) {
    const state = ctx.connections.topicsOf(c);
    if (!state || state.topics.has(topic)) continue;
    if (frame !== undefined) c.sendEvent('group:member', conversation, frame);
    c.hold();
    try {
      await ctx.connections.listen(c, topic);
      c.release(await replay(ctx, c, { [conversation]: fromSeq }));
    } catch (err) {
      c.release(new Map());
      throw err;
    }
  }
}

/** The store as the sequencer sees it: a topic's conversations, keyed by room. */
export function streamSource(store: Store): StreamSource {
  return {
    heads: async (topic) => {
      if (topic.startsWith('g:')) {
        const conversation = groupKey(topic.slice(2));
        return new Map([[conversation, await store.lastSeq(conversation)]]);
      }
      if (!topic.startsWith('u:')) return new Map();
      const heads = await store.dmHeads(topic.slice(2));
      return new Map([...heads].map(([other, seq]) => [dmKey(other), seq]));
    },
    eventsAfter: async (topic, room, seq, limit) => {
      const convId = topic.startsWith('u:') ? dmConvId(topic.slice(2), dmPeerOf(room) ?? '') : room;
      const events = await store.eventsAfter(convId, seq, limit);
      return events.map((e) => ({
        event: e.event,
        room,
        seq: e.seq,
        frame: storedEventFrame(e, room as ConversationKey),
      }));
    },
  };
}

/** Sends the user's queued notifications to one connection (the take is atomic). */
export async function deliverQueued(
  ctx: HubContext,
  userId: string,
  conn: HubConnection,
): Promise<void> {
  for (const data of await ctx.store.takeNotifications(userId)) {
    conn.sendEvent(
      'notification',
      undefined,
      eventFrame('notification', data as EventDataMap['notification']),
    );
  }
}
