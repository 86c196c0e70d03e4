import { describe, expect, it } from 'vitest';
import type { OutboxItemView } from '../../../shared/ipc';
import {
  dayLabel,
  mergeMessages,
  patchMessage,
  pendingOf,
  reactMessage,
  type UiMessage,
  answerOf,
  countReply,
  fromHistory,
} from './messages';

const me = { user_id: 'u-me', displayName: 'Me' };
function stored(seq: number, from = me, clientMsgId = `c${seq}`): UiMessage {
  return {
    key: `${from.user_id}:${clientMsgId}`,
    messageId: `m${seq}`,
    clientMsgId,
    seq,
    ts: seq * 1000,
    removed: false,
    from,
    text: `text ${seq}`,
    state: 'sent',
  };
}

describe('a conversation’s messages', () => {
  it('merges pages in seq order, once each, whatever order they come in', () => {
    const newest = [stored(5), stored(6)];
    const older = [stored(2), stored(3), stored(5)];
    expect(mergeMessages(newest, older).map((m) => m.seq)).toEqual([2, 3, 5, 6]);
    expect(mergeMessages(newest, [stored(7)]).map((m) => m.seq)).toEqual([5, 6, 7]);
    // A replayed event already held replaces it, never doubles it.
    expect(mergeMessages(newest, [stored(6)]).map((m) => m.seq)).toEqual([5, 6]);
  });

  it('patches the message an edit or removal names, and nothing when it is not held', () => {
    const list = [stored(1), stored(2)];
    expect(patchMessage(list, 'm2', { removed: true, text: null })[1]).toMatchObject({
      removed: true,
      text: null,
    });
    expect(patchMessage(list, 'm9', { text: 'x' })).toBe(list);
  });

  it('shows outbox items of this conversation until the server’s copy arrives', () => {
    const outbox: OutboxItemView[] = [
      {
        clientMsgId: 'c9',
        to: { group: 'team' },
        body: { text: 'queued' },
        createdAt: 1,
        state: 'queued',
      },
      {
        clientMsgId: 'c10',
        to: { group: 'team' },
        body: { text: 'refused' },
        createdAt: 2,
        state: 'failed',
        error: { code: 'TOO_LARGE', message: 'too long' },
      },
      {
        clientMsgId: 'c11',
        to: { user: 'u-bob' },
        body: { text: 'elsewhere' },
        createdAt: 3,
        state: 'queued',
      },
    ];
    const pending = pendingOf(outbox, 'group:team', [stored(1)], me);
    expect(pending.map((p) => [p.text, p.state, p.error])).toEqual([
      ['queued', 'sending', undefined],
      ['refused', 'failed', 'too long'],
    ]);
    // Stored now (same sender and clientMsgId): no longer pending, and the same key (no re-mount).
    const arrived = stored(2, me, 'c9');
    expect(pendingOf(outbox, 'group:team', [arrived], me).map((p) => p.clientMsgId)).toEqual([
      'c10',
    ]);
    expect(arrived.key).toBe(pending[0]!.key);
    // Someone else's message with the same clientMsgId does not hide ours.
    const theirs = stored(3, { user_id: 'u-bob', displayName: 'Bob' }, 'c9');
    expect(pendingOf(outbox, 'group:team', [theirs], me)).toHaveLength(2);
  });

  it('labels days', () => {
    const now = new Date(2026, 10, 24, 12).getTime();
    expect(dayLabel(now - 3_600_000, now)).toBe('Today');
    expect(dayLabel(now - 86_400_000, now)).toBe('Yesterday');
    expect(dayLabel(now - 5 * 86_400_000, now)).toMatch(/2026/);
  });
});

describe('reactions on held messages', () => {
  const event = (seq: number, reactions: { emoji: string; user_ids: string[] }[]) => ({
    messageId: 'm1',
    conversation: 'group:g' as const,
    seq,
    ts: 0,
    reactions,
  });
  it('takes the newest state and ignores an older one arriving late', () => {
    let list = [stored(1), stored(2)];
    list = reactMessage(list, event(5, [{ emoji: '👍', user_ids: ['a'] }]));
    expect(list[0]).toMatchObject({
      reactions: [{ emoji: '👍', user_ids: ['a'] }],
      reactionsSeq: 5,
    });
    const same = reactMessage(list, event(4, []));
    expect(same).toBe(list);
    list = reactMessage(list, event(6, []));
    expect(list[0]).not.toHaveProperty('reactions');
    expect(list[1]).not.toHaveProperty('reactions'); // the other message is untouched
  });
});

describe('replies, threads and call records', () => {
  const base = {
    messageId: 'm1',
    conversation: 'group:g' as const,
    seq: 1,
    lastSeq: 1,
    ts: 1,
    removed: false,
    from: { user_id: 'u1', displayName: 'One' },
    clientMsgId: 'c1',
  };

  it('reads the quote, thread and call record of a body, and ignores malformed ones', () => {
    expect(answerOf({ text: 'x', reply: { messageId: 'm0', from: {}, text: 'q' } })).toEqual({
      reply: { messageId: 'm0', from: {}, text: 'q' },
    });
    expect(answerOf({ text: 'x', thread: 'm0' })).toEqual({ thread: 'm0' });
    expect(answerOf({ text: 'Missed call', call: { missed: true, video: 'yes' } })).toEqual({
      call: { missed: true, video: false },
    });
    expect(answerOf({ text: 'x', reply: 'm0', thread: 7, call: null })).toEqual({});
    expect(answerOf(null)).toEqual({});
  });

  it('counts a live reply on its root once, after what history said', () => {
    const root = fromHistory({
      ...base,
      body: { text: 'root' },
      replies: { count: 2, lastSeq: 5, lastTs: 5 },
    });
    const reply = fromHistory({
      ...base,
      messageId: 'm9',
      seq: 9,
      lastSeq: 9,
      clientMsgId: 'c9',
      body: { text: 'r', thread: 'm1' },
    });
    const once = countReply([root], reply);
    expect(once[0]!.replies).toEqual({ count: 3, lastSeq: 9, lastTs: 1 });
    // The same reply again (a resume overlapping live events) is not counted twice.
    expect(countReply(once, reply)).toBe(once);
    // A reply the history page already counted is not counted again.
    const old = { ...reply, seq: 4 };
    expect(countReply([root], old)[0]!.replies!.count).toBe(2);
  });
});
