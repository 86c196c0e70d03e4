// An answered call's line in its dm ("Call with Ben, 4:12", UX-3 gap 6): the server writes
// body.call with the call's length only after the callee accepted the caller's ring, never longer
// than since that ring, and once per ring. Runs in the base run and the cluster run (one node on
// the shared broker and store: a ring is remembered by the node that relayed it).
import { describe, expect, it } from 'vitest';
import type { ProtoClient } from '../helpers/proto-client.js';
import { testScope } from '../helpers/test-scope.js';

const { server, client } = testScope();

const record = (from: ProtoClient, to: ProtoClient, durationMs: number, id: string) =>
  ({
    to: { user: to.userId },
    body: { text: 'Call' },
    callRecord: { video: false, durationMs },
    clientMsgId: id,
  }) as const;

describe('call records with a length', () => {
  it('are written after an answered ring, no longer than since it, once', async () => {
    const s = await server();
    const ann = await client(s, 'ann');
    const ben = await client(s, 'ben');
    await ann.ok('join', { group: 'team' });
    await ben.ok('join', { group: 'team' });
    await ann.ok('rtc', {
      user_id: ben.userId,
      callId: 'call-1',
      signal: { kind: 'ring', video: true, name: 'ann' },
    });
    // Rung but not answered: no call to give a length to.
    expect((await ann.fails('post', record(ann, ben, 1_000, 'r1'))).code).toBe('BAD_REQUEST');
    await ben.ok('rtc', { cid: ann.cid, callId: 'call-1', signal: { kind: 'accept' } });
    // Answered a moment ago: it cannot have lasted an hour.
    expect((await ann.fails('post', record(ann, ben, 3_600_000, 'r2'))).code).toBe('BAD_REQUEST');
    await ann.ok('post', record(ann, ben, 1_500, 'r3'));
    // One record per ring.
    expect((await ann.fails('post', record(ann, ben, 1_500, 'r4'))).code).toBe('BAD_REQUEST');
    const { messages } = await ben.ok<{ messages: { body: { call?: unknown } }[] }>('history', {
      conversation: `dm:${ann.userId}`,
    });
    // The ring's kind (video), the length asked for, and no "missed".
    expect(messages.map((m) => m.body.call)).toEqual([{ video: true, durationMs: 1_500 }]);
  });

  it('a callee cannot write one for the caller', async () => {
    const s = await server();
    const ann = await client(s, 'ann');
    const ben = await client(s, 'ben');
    await ann.ok('join', { group: 'team' });
    await ben.ok('join', { group: 'team' });
    await ann.ok('rtc', {
      user_id: ben.userId,
      callId: 'call-2',
      signal: { kind: 'ring', video: false, name: 'ann' },
    });
    await ben.ok('rtc', { cid: ann.cid, callId: 'call-2', signal: { kind: 'accept' } });
    expect((await ben.fails('post', record(ben, ann, 1_000, 'b1'))).code).toBe('BAD_REQUEST');
  });
});
