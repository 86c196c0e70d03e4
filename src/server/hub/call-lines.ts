// A group call's line in its conversation: a message from whoever started it, stored when the
// call starts ("Ann started a call", with a Join button while it runs) and rewritten when it ends
// ("Call, 4:12 · 8 people"). Stored, so a member who was away reads it in the history too.
import type { MessageBody } from '../../shared/protocol.js';
import { groupKey } from '../../shared/protocol.js';
import type { ConvId } from '../store/store.js';
import type { HubContext } from './context.js';
import { publishConversation, publishNewMessage } from './publisher.js';

export interface CallLineStart {
  group: string;
  callId: string;
  video: boolean;
  by: { userId: string; cid: string; displayName: string };
}

/** Stores and sends the "started a call" line; answers its message id. */
export async function callStarted(ctx: HubContext, call: CallLineStart): Promise<string> {
  const convId = groupKey(call.group) as ConvId;
  const body: MessageBody = {
    text: `${call.by.displayName} started a call`,
    call: { group: true, started: true, callId: call.callId, video: call.video },
  };
  const from = { user_id: call.by.userId, cid: call.by.cid, displayName: call.by.displayName };
  const ts = ctx.now();
  const saved = await ctx.store.appendMessage({
    convId,
    sender: from,
    clientMsgId: `call-${call.callId}`,
    body,
    ts,
  });
  if (!saved.duplicate) {
    publishNewMessage(ctx, saved, { ts, from, body, clientMsgId: `call-${call.callId}` });
  }
  return saved.messageId;
}

/** Rewrites the line once the call is over: how long it lasted and how many were in it. */
export async function callEnded(
  ctx: HubContext,
  call: { group: string; messageId: string; video: boolean; durationMs: number; people: number },
): Promise<void> {
  const convId = groupKey(call.group) as ConvId;
  const minutes = Math.floor(call.durationMs / 60_000);
  const seconds = Math.floor((call.durationMs % 60_000) / 1000);
  const body: MessageBody = {
    text: `Call, ${minutes}:${String(seconds).padStart(2, '0')}`,
    call: { group: true, video: call.video, durationMs: call.durationMs, people: call.people },
  };
  // Its author may have deleted the line meanwhile: it stays deleted.
  const line = await ctx.store.message(call.messageId);
  if (!line || line.removed) return;
  const ts = ctx.now();
  const { seq } = await ctx.store.editMessage(call.messageId, body, ts);
  publishConversation(
    ctx,
    convId,
    'message:updated',
    (conversation) => ({ messageId: call.messageId, conversation, seq, ts, body }),
    seq,
  );
}
