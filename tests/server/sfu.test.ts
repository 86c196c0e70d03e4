// Group calls on the SFU, against real Janus instances (Debian's janus, our generated config):
// who may join, what a participant may ask for, and a call moving when its Janus is killed.
// Media is the e2e test's (tests/e2e/group-call.test.ts); here no SDP gets past a refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JanusInstance } from '../../src/server/sfu/janus-process.js';
import type { SfuCallState, SfuEventData, SfuResultMap } from '../../src/shared/protocol.js';
import { HAVE_JANUS, JANUS_PROBLEM, sfuConfig, startTestJanus } from '../helpers/janus.js';
import type { ProtoClient } from '../helpers/proto-client.js';
import { testScope } from '../helpers/test-scope.js';
import { until } from '../helpers/wait.js';

if (!HAVE_JANUS) console.log(`skipping the SFU server tests: ${JANUS_PROBLEM}`);

const { server, team, client } = testScope();

const sfu = <Op extends keyof SfuResultMap>(
  c: ProtoClient,
  op: Op,
  p: Record<string, unknown> = {},
) => c.ok<SfuResultMap[Op]>('sfu', { op, ...p });

/** The code a refused `sfu` op answers. */
const refused = async (c: ProtoClient, p: Record<string, unknown>) =>
  (await c.fails('sfu', p)).code;

/** Joins once the server has connected to an SFU (it connects in the background). */
async function firstJoin(c: ProtoClient, group: string): Promise<SfuResultMap['join']> {
  let joined: SfuResultMap['join'] | undefined;
  await until(
    async () => {
      const reply = await c.request('sfu', { op: 'join', group, video: true });
      if (reply.ok) joined = reply.result as SfuResultMap['join'];
      else if (reply.error?.code !== 'SFU_UNAVAILABLE') throw new Error(reply.error?.message);
      return reply.ok;
    },
    'the server to reach its SFU',
    15_000,
  );
  return joined!;
}

describe('group calls without an SFU', () => {
  it('are refused with a reason: group calls stay the mesh of 4', async () => {
    const [ann] = await team(await server(), 'team', 'ann');
    const error = await ann.fails('sfu', { op: 'join', group: 'team', video: true });
    expect(error.code).toBe('SFU_UNAVAILABLE');
    expect(error.message).toMatch(/limited to 4/);
  });
});

describe.skipIf(!HAVE_JANUS)('group calls on Janus', () => {
  let janus: JanusInstance[] = [];
  beforeAll(async () => {
    janus = await startTestJanus(2);
  }, 40_000);
  afterAll(async () => {
    await Promise.all(janus.map((j) => j.stop()));
  });

  it('admit the group only, tell the group, and refuse forged requests', async () => {
    const s = await server({ sfu: sfuConfig(janus) });
    const [ann, ben, cat] = await team(s, 'team', 'ann', 'ben', 'cat');
    const dan = await client(s, 'dan');
    const announced = cat.event<SfuCallState>('call:state', (d) => d.count === 1);
    const started = cat.event<{ messageId: string; body: { text: string; call?: unknown } }>(
      'message:send',
      (d) => d.body.call !== undefined,
    );
    const a = await firstJoin(ann, 'team');
    expect(a.feeds).toEqual([
      expect.objectContaining({ feed: a.feed, self: true, user_id: ann.userId }),
    ]);
    // The group hears of the call (the "Join call" button), with who started it.
    expect((await announced).data).toMatchObject({
      group: 'team',
      callId: a.callId,
      startedBy: { user_id: ann.userId },
    });
    expect(await sfu(cat, 'calls')).toEqual({
      calls: [expect.objectContaining({ callId: a.callId, count: 1 })],
    });
    // The call's line in the conversation, stored: who started it, and which call.
    const line = (await started).data;
    expect(line.body).toMatchObject({
      text: 'ann started a call',
      call: { group: true, started: true, callId: a.callId, video: true },
    });

    const annHearsBen = ann.event<SfuEventData>(
      'sfu:event',
      (d) => d.kind === 'feeds' && d.feeds.length === 2,
    );
    const b = await sfu(ben, 'join', { group: 'team', callId: a.callId, video: false });
    expect(b.callId).toBe(a.callId);
    await annHearsBen;

    // Not a member: the group is as unknown as anywhere else.
    expect(await refused(dan, { op: 'join', group: 'team', video: true })).toBe('NOT_FOUND');
    expect(await sfu(dan, 'calls')).toEqual({ calls: [] });
    // Ops on a call one is not in, on one's own feed, on a feed of no one in the call.
    const offer = { type: 'offer', sdp: 'v=0\r\n' };
    expect(await refused(dan, { op: 'publish', callId: a.callId, jsep: offer })).toBe('NOT_FOUND');
    expect(
      await refused(ben, {
        op: 'subscribe',
        callId: a.callId,
        add: [{ feed: b.feed, mid: '0' }],
      }),
    ).toBe('FORBIDDEN');
    expect(
      await refused(ben, {
        op: 'subscribe',
        callId: a.callId,
        add: [{ feed: 12345, mid: '0' }],
      }),
    ).toBe('FORBIDDEN');
    // Ann publishes nothing yet: no stream of hers to ask for.
    expect(
      await refused(ben, {
        op: 'subscribe',
        callId: a.callId,
        add: [{ feed: a.feed, mid: '0' }],
      }),
    ).toBe('NOT_FOUND');
    // Only streams of one's own subscription can be configured.
    expect(
      await refused(ben, {
        op: 'configure',
        callId: a.callId,
        streams: [{ mid: '0', substream: 0 }],
      }),
    ).toBe('NOT_FOUND');
    // Janus's own requests are not ops: creating rooms, listing them, a room number.
    for (const forged of [
      { op: 'create', room: 1234, secret: 'x' },
      { op: 'listparticipants', room: 1234 },
      { op: 'join', group: 'team', video: true, room: 1234 },
    ]) {
      expect((await ben.fails('sfu', forged)).code).toBe('BAD_REQUEST');
    }
    // Janus refuses an SDP that is not one: a coded error, and the call goes on.
    expect(await refused(ann, { op: 'publish', callId: a.callId, jsep: offer })).toBe(
      'BAD_REQUEST',
    );
    // A second call in the same connection is refused; one's own state is shown to all.
    expect(await refused(ann, { op: 'join', group: 'team', video: true })).toBe('BAD_REQUEST');
    const handUp = ben.event<SfuEventData>(
      'sfu:event',
      (d) => d.kind === 'feeds' && d.feeds.some((f) => f.hand),
    );
    await sfu(ann, 'state', { callId: a.callId, hand: true, micOff: true });
    const feeds = (await handUp).data as Extract<SfuEventData, { kind: 'feeds' }>;
    expect(feeds.feeds.find((f) => f.feed === a.feed)).toMatchObject({ hand: true, micOff: true });

    // Leaving: the last one out ends the call, and the group hears how long it lasted.
    const ended = cat.event<SfuCallState>('call:state', (d) => d.ended !== undefined);
    const rewritten = cat.event<{ messageId: string; body: { call?: { durationMs?: number } } }>(
      'message:updated',
      (d) => d.messageId === line.messageId,
    );
    await sfu(ann, 'leave', { callId: a.callId });
    ben.close();
    const end = (await ended).data;
    expect(end).toMatchObject({ callId: a.callId, count: 0 });
    expect(end.ended!.durationMs).toBeGreaterThanOrEqual(0);
    expect(await sfu(cat, 'calls')).toEqual({ calls: [] });
    // The line now says how long the call lasted and how many were in it at most.
    expect((await rewritten).data.body.call).toMatchObject({ group: true, people: 2 });
    const history = await cat.allHistory('group:team');
    const stored = history.find((m) => m.messageId === line.messageId) as unknown as {
      body: { call: { durationMs: number; started?: boolean } };
    };
    expect(stored.body.call.started).toBeUndefined();
    expect(stored.body.call.durationMs).toBeGreaterThanOrEqual(0);
  }, 40_000);

  it('move to the other Janus when theirs is killed, keeping who is in them', async () => {
    const s = await server({ sfu: sfuConfig(janus) });
    const [ann, ben] = await team(s, 'team', 'ann', 'ben');
    const [cat] = await team(s, 'other', 'cat');
    const a = await firstJoin(ann, 'team');
    await sfu(ben, 'join', { group: 'team', callId: a.callId, video: true });
    // Wait until both instances are connected, so the second call goes to the idler one.
    const c = await firstJoin(cat, 'other');
    expect(c.callId).not.toBe(a.callId);

    // One Janus is killed: whichever call was on it moves to the other, and only that one.
    const moved = (c: ProtoClient) =>
      c.event<SfuEventData>('sfu:event', (d) => d.kind === 'moved', 20_000).then(() => c);
    janus[0]!.kill();
    const first = await Promise.race([moved(ben), moved(cat)]);
    const [mover, stayer] = first === ben ? [ben, cat] : [cat, ben];
    const kinds = (c: ProtoClient) => c.events<SfuEventData>('sfu:event').map((d) => d.kind);
    // A reply after it: every event sent to the other before the move has arrived by now.
    await sfu(stayer, 'calls');
    expect(kinds(mover)).toContain('reconnecting');
    expect(kinds(stayer)).not.toContain('reconnecting');
    if (mover === ben) {
      const last = ben.events<SfuEventData>('sfu:event').find((d) => d.kind === 'moved');
      expect(last?.kind === 'moved' && last.feeds.map((f) => f.user_id).sort()).toEqual(
        [ann.userId, ben.userId].sort(),
      );
    }
    // Both calls go on: each participant can still act in theirs.
    await sfu(ann, 'state', { callId: a.callId, cameraOff: true });
    await sfu(cat, 'state', { callId: c.callId, cameraOff: true });
  }, 60_000);

  it('bound how many calls one person starts: each holds a room and leaves a line', async () => {
    const s = await server({ sfu: sfuConfig(janus) });
    const [ann] = await team(s, 'team', 'ann');
    const first = await firstJoin(ann, 'team');
    await sfu(ann, 'leave', { callId: first.callId });
    for (let i = 1; i < 10; i++) {
      const { callId } = await sfu(ann, 'join', { group: 'team', video: false });
      await sfu(ann, 'leave', { callId });
    }
    const refused = await ann.request('sfu', { op: 'join', group: 'team', video: false });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect((refused.error as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);
  }, 60_000);
});
