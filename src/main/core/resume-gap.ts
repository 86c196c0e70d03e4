// Filling a resume's gap: past its byte budget the server replays only part of what a connection
// missed (`resume` with `complete: false`); the rest is paged with `history` and handed on as the
// events it stands for, then a completing `resume`. A message edited or removed since is handed on
// as it is now.
import type { ConversationKey, EventFrame, RequestResultMap } from '../../shared/protocol.js';

export interface GapPorts {
  history(params: {
    conversation: ConversationKey;
    after: number;
    limit: number;
  }): Promise<RequestResultMap['history']>;
  emit(frame: EventFrame): void;
  /** False once the connection the resume came on is gone (that resume starts again). */
  current(): boolean;
}

export async function fillGap(
  ports: GapPorts,
  gap: { conversation: ConversationKey; fromSeq: number; toSeq: number },
): Promise<void> {
  let after = gap.toSeq;
  let last = gap.toSeq;
  try {
    for (let page = 0; page < 10_000; page++) {
      if (!ports.current()) return; // reconnected: that resume starts again
      const h = await ports.history({
        conversation: gap.conversation,
        after,
        limit: 200,
      });
      for (const m of h.messages) {
        if (m.seq > gap.toSeq) {
          ports.emit({
            type: 'event',
            event: 'message:send',
            data: {
              messageId: m.messageId,
              conversation: gap.conversation,
              seq: m.seq,
              ts: m.ts,
              from: { user_id: m.from.user_id, cid: '', displayName: m.from.displayName },
              body: m.body ?? { text: '' },
              clientMsgId: m.clientMsgId,
            },
          });
        }
        if (m.removed) {
          ports.emit({
            type: 'event',
            event: 'message:removed',
            data: {
              messageId: m.messageId,
              conversation: gap.conversation,
              seq: m.lastSeq,
              ts: m.ts,
            },
          });
        } else if (m.lastSeq > m.seq) {
          // Changed since it was sent: its reactions as of lastSeq (none is news too), and
          // its edit below if it was edited (a reaction alone moves lastSeq as well).
          ports.emit({
            type: 'event',
            event: 'message:reactions',
            data: {
              messageId: m.messageId,
              conversation: gap.conversation,
              seq: m.lastSeq,
              ts: m.ts,
              reactions: m.reactions ?? [],
            },
          });
        }
        if (!m.removed && m.editedTs !== undefined && m.body) {
          ports.emit({
            type: 'event',
            event: 'message:updated',
            data: {
              messageId: m.messageId,
              conversation: gap.conversation,
              seq: m.lastSeq,
              ts: m.editedTs ?? m.ts,
              body: m.body,
            },
          });
        }
        last = Math.max(last, m.lastSeq);
      }
      if (h.endOfList || h.messages.length === 0) break;
      after = h.messages[h.messages.length - 1]!.lastSeq;
    }
  } catch {
    return; // disconnected meanwhile: the next authrequest resumes from what was received
  }
  ports.emit({
    type: 'event',
    event: 'resume',
    data: { conversation: gap.conversation, fromSeq: gap.fromSeq, toSeq: last, complete: true },
  });
}
