import { describe, expect, it } from 'vitest';
import type { EventFrame } from '../../shared/protocol.js';
import { ConversationState } from './conversations.js';

const ME = 'u_me';
function sent(conversation: string, seq: number, from: string, id = `m${seq}`): EventFrame {
  return {
    type: 'event',
    event: 'message:send',
    data: {
      messageId: id,
      conversation: conversation as `group:${string}`,
      seq,
      ts: 1000 + seq,
      from: { user_id: from, cid: 'c', displayName: from },
      body: { text: 'x' },
      clientMsgId: id,
    },
  };
}
function read(conversation: string, seq: number, user = ME): EventFrame {
  return {
    type: 'event',
    event: 'message:read',
    data: { conversation: conversation as `group:${string}`, user_id: user, seq },
  };
}
function removed(conversation: string, seq: number, id: string): EventFrame {
  return {
    type: 'event',
    event: 'message:removed',
    data: { conversation: conversation as `group:${string}`, seq, ts: 1, messageId: id },
  };
}

describe('ConversationState', () => {
  it('counts messages from others, not mine, and totals them', () => {
    const s = new ConversationState(ME);
    const totals: number[] = [];
    s.on('totalUnread', (t) => totals.push(t));
    s.apply(sent('group:a', 1, 'u_bob'));
    s.apply(sent('group:a', 2, ME));
    s.apply(sent('dm:u_bob', 1, 'u_bob'));
    expect(s.get('group:a')).toMatchObject({ lastSeq: 2, unread: 1 });
    expect(s.totalUnread).toBe(2);
    expect(totals).toEqual([1, 2]);
  });

  it('does not count thread replies as the conversation unread (they are read in the thread)', () => {
    const s = new ConversationState(ME);
    s.apply(sent('group:a', 1, 'u_bob'));
    const reply = sent('group:a', 2, 'u_bob');
    if (reply.event === 'message:send') reply.data.body = { text: 'in thread', thread: 'm1' };
    s.apply(reply);
    expect(s.get('group:a')).toMatchObject({ lastSeq: 2, unread: 1 });
  });

  it('counts a message delivered twice once', () => {
    const s = new ConversationState(ME);
    s.apply(sent('group:a', 1, 'u_bob'));
    s.apply(sent('group:a', 1, 'u_bob'));
    expect(s.totalUnread).toBe(1);
  });

  it('a read marker from another of my devices clears what it covers; others’ markers do not', () => {
    const s = new ConversationState(ME);
    for (let i = 1; i <= 3; i++) s.apply(sent('group:a', i, 'u_bob'));
    expect(s.apply(read('group:a', 2, 'u_bob'))).toBe(false);
    expect(s.totalUnread).toBe(3);
    s.apply(read('group:a', 2));
    expect(s.get('group:a')).toMatchObject({ readSeq: 2, unread: 1 });
    s.apply(read('group:a', 1)); // never backwards
    expect(s.get('group:a')?.readSeq).toBe(2);
  });

  it('a removed unread message is no longer unread', () => {
    const s = new ConversationState(ME);
    s.apply(sent('group:a', 1, 'u_bob', 'x1'));
    s.apply(sent('group:a', 2, 'u_bob', 'x2'));
    s.apply(removed('group:a', 3, 'x1'));
    expect(s.get('group:a')).toMatchObject({ lastSeq: 3, unread: 1 });
  });

  it('resumes from the start of an open gap, even when live events ran ahead of it', () => {
    const s = new ConversationState(ME);
    s.apply(sent('group:a', 10, 'u_bob'));
    const resume = (toSeq: number, complete: boolean): EventFrame => ({
      type: 'event',
      event: 'resume',
      data: { conversation: 'group:a', fromSeq: 10, toSeq, complete },
    });
    s.apply(resume(60, false)); // the server replayed 11..60 of more
    s.apply(sent('group:a', 900, 'u_bob')); // a live event, far ahead
    expect(s.get('group:a')?.lastSeq).toBe(900);
    expect(s.lastSeqs()).toEqual({ 'group:a': 60 }); // a reconnection now resumes the hole
    s.apply(resume(900, true)); // the client paged the rest
    expect(s.lastSeqs()).toEqual({ 'group:a': 900 });
  });

  it('learns groups joined (on any device) at once, and forgets groups left', () => {
    const s = new ConversationState(ME);
    const member = (user_id: string, action: 'joined' | 'left'): EventFrame => ({
      type: 'event',
      event: 'group:member',
      data: { group: 'new', user_id, cid: 'c', action },
    });
    expect(s.apply(member('u_bob', 'joined'))).toBe(false);
    s.apply(member(ME, 'joined'));
    expect(s.lastSeqs()).toEqual({ 'group:new': 0 });
    s.apply(sent('group:new', 1, 'u_bob'));
    expect(s.totalUnread).toBe(1);
    s.apply(member(ME, 'left'));
    expect(s.lastSeqs()).toEqual({});
    expect(s.totalUnread).toBe(0);
  });

  it('load takes the server counts and keeps newer seqs; lastSeqs feeds resume', () => {
    const s = new ConversationState(ME);
    s.apply(sent('group:a', 9, 'u_bob'));
    s.load([
      { conversation: 'group:a', lastSeq: 7, lastTs: 5, readSeq: 4, unread: 2 },
      { conversation: 'dm:u_bob', lastSeq: 3, lastTs: 6, readSeq: 3, unread: 0 },
      { conversation: 'group:empty', lastSeq: 0, lastTs: 0, readSeq: 0, unread: 0 },
    ]);
    expect(s.get('group:a')).toMatchObject({ lastSeq: 9, readSeq: 4, unread: 2 });
    expect(s.totalUnread).toBe(2);
    // An empty conversation resumes from 0, so what is posted there while away still comes.
    expect(s.lastSeqs()).toEqual({ 'group:a': 9, 'dm:u_bob': 3, 'group:empty': 0 });
    s.markRead('group:a', 9);
    expect(s.totalUnread).toBe(0);
  });
});
