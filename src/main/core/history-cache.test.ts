import { describe, expect, it } from 'vitest';
import type { EventFrame, HistoryMessage } from '../../shared/protocol.js';
import { HistoryCache } from './history-cache.js';

const C = 'group:g';
function msg(seq: number, text = `m${seq}`): HistoryMessage {
  return {
    messageId: `id${seq}`,
    conversation: C,
    seq,
    lastSeq: seq,
    ts: seq,
    removed: false,
    from: { user_id: 'u', displayName: 'u' },
    body: { text },
    clientMsgId: `c${seq}`,
  };
}
function sent(seq: number): EventFrame {
  return {
    type: 'event',
    event: 'message:send',
    data: {
      messageId: `id${seq}`,
      conversation: C,
      seq,
      ts: seq,
      from: { user_id: 'u', cid: 'c', displayName: 'u' },
      body: { text: `m${seq}` },
      clientMsgId: `c${seq}`,
    },
  };
}

describe('HistoryCache', () => {
  it('serves nothing before the conversation was fetched', () => {
    const h = new HistoryCache();
    h.apply(sent(1));
    expect(h.latest(C, 50)).toBeUndefined();
  });

  it('serves the newest page once seeded, kept current by live events', () => {
    const h = new HistoryCache();
    h.seedLatest(C, { messages: [msg(1), msg(2)], endOfList: true });
    h.apply(sent(3));
    h.apply(sent(3)); // a repeat (resume overlapping live) is kept once
    expect(h.latest(C, 50)?.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(h.latest(C, 50)?.endOfList).toBe(true);
    expect(h.latest(C, 2)).toEqual({
      messages: [msg(2), expect.objectContaining({ seq: 3 })],
      endOfList: false,
    });
  });

  it('applies edits and removals to cached messages', () => {
    const h = new HistoryCache();
    h.seedLatest(C, { messages: [msg(1), msg(2)], endOfList: true });
    h.apply({
      type: 'event',
      event: 'message:updated',
      data: { messageId: 'id1', conversation: C, seq: 3, ts: 9, body: { text: 'edited' } },
    });
    h.apply({
      type: 'event',
      event: 'message:removed',
      data: { messageId: 'id2', conversation: C, seq: 4, ts: 9 },
    });
    const [one, two] = h.latest(C, 50)!.messages;
    expect(one).toMatchObject({ body: { text: 'edited' }, lastSeq: 3, editedTs: 9 });
    expect(two).toMatchObject({ body: null, removed: true, lastSeq: 4 });
  });

  it('does not claim a page it cannot fill, and drops a conversation after a gap', () => {
    const h = new HistoryCache();
    h.seedLatest(C, { messages: [msg(5), msg(6)], endOfList: false });
    expect(h.latest(C, 50)).toBeUndefined();
    expect(h.latest(C, 2)?.messages.map((m) => m.seq)).toEqual([5, 6]);
    h.apply({
      type: 'event',
      event: 'resume',
      data: { conversation: C, fromSeq: 6, toSeq: 600, complete: false },
    });
    expect(h.latest(C, 2)).toBeUndefined();
  });
});
