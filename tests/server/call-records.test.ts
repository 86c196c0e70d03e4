// An answered call's line in its dm ("Call with Ben, 4:12", UX-3 gap 6): the server writes
// body.call with the call's length only after the callee accepted the caller's ring, never longer
// than since that ring, and once per ring. Runs in the base run and the cluster run (one node on
// the shared broker and store: a ring is remembered by the node that relayed it).
import { describe, expect, it } from 'vitest';
import type { ProtoClient } from '../helpers/proto-client.js';
import { testScope } from '../helpers/test-scope.js';

const { server, team } = testScope();

const record = (to: ProtoClient, durationMs: number, id: string) =>
  ({
    to: { user: to.userId },
    body: { text: 'Call' },
    callRecord: { video: false, durationMs },
    clientMsgId: id,
  }) as const;

const ring = (caller: ProtoClient, callee: ProtoClient, callId: string, video: boolean) =>
  caller.ok('rtc', { user_id: callee.userId, callId, signal: { kind: 'ring', video, name: 'x' } });
const accept = (callee: ProtoClient, caller: ProtoClient, callId: string) =>
  callee.ok('rtc', { cid: caller.cid, callId, signal: { kind: 'accept' } });

describe('call records with a length', () => {
  it('are written after an answered ring, no longer than since it, once', async () => {
    const [ann, ben] = await team(await server(), 'team', 'ann', 'ben');
    await ring(ann, ben, 'call-1', true);
    // Rung but not answered: no call to give a length to.
    expect((await ann.fails('post', record(ben, 1_000, 'r1'))).code).toBe('BAD_REQUEST');
    await accept(ben, ann, 'call-1');
    // Answered a moment ago: it cannot have lasted an hour.
    expect((await ann.fails('post', record(ben, 3_600_000, 'r2'))).code).toBe('BAD_REQUEST');
    await ann.ok('post', record(ben, 1_500, 'r3'));
    // One record per ring.
    expect((await ann.fails('post', record(ben, 1_500, 'r4'))).code).toBe('BAD_REQUEST');
    const { messages } = await ben.ok<{ messages: { body: { call?: unknown } }[] }>('history', {
      conversation: `dm:${ann.userId}`,
    });
    // The ring's kind (video), the length asked for, and no "missed".
    expect(messages.map((m) => m.body.call)).toEqual([{ video: true, durationMs: 1_500 }]);
  });

  it('a callee cannot write one for the caller', async () => {
    const [ann, ben] = await team(await server(), 'team', 'ann', 'ben');
    await ring(ann, ben, 'call-2', false);
    await accept(ben, ann, 'call-2');
    expect((await ben.fails('post', record(ann, 1_000, 'b1'))).code).toBe('BAD_REQUEST');
  });
});
