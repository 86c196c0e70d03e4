// The call's life as a state machine, by table: inputs in, state and effects out.
import { describe, expect, it } from 'vitest';
import type { CallSignal } from '../../../../shared/call-signal';
import {
  CALL_TIMEOUTS,
  IDLE_CORE,
  step,
  type CallCore,
  type CallEffect,
  type CallInput,
  type Sender,
} from './call-machine';

const BOB: Sender = { user_id: 'u_bob', cid: 'c_bob', displayName: 'Bob' };
const CAT: Sender = { user_id: 'u_cat', cid: 'c_cat', displayName: 'Cat' };

/** Runs inputs in order from `core`; answers the last state and every effect, in order. */
function run(core: CallCore, ...inputs: CallInput[]): { core: CallCore; effects: CallEffect[] } {
  const effects: CallEffect[] = [];
  let now = 1_000;
  for (const input of inputs) {
    const next = step(core, input, now++);
    core = next.core;
    effects.push(...next.effects);
  }
  return { core, effects };
}

function signal(callId: string, from: Sender, s: CallSignal): CallInput {
  return { type: 'signal', callId, from, signal: s };
}

const sent = (effects: CallEffect[]) =>
  effects.flatMap((e) => (e.kind === 'send' ? [{ to: e.to, kind: e.signal.kind }] : []));
const kinds = (effects: CallEffect[]) => effects.map((e) => e.kind);

/** We rang Bob and he answered; our media is open. */
function outgoingToBob(): CallCore {
  return run(
    IDLE_CORE,
    {
      type: 'start',
      callId: 'call-2',
      others: [{ userId: 'u_bob', name: 'Bob' }],
      video: false,
      myName: 'Ann',
    },
    { type: 'mediaReady', callId: 'call-2' },
  ).core;
}

function connectedWithBob(): CallCore {
  return run(outgoingToBob(), signal('call-2', BOB, { kind: 'accept' }), {
    type: 'linkState',
    callId: 'call-2',
    cid: 'c_bob',
    state: 'connected',
  }).core;
}

/** Bob rings us; the store checked his ring. */
function incomingFromBob(callId = 'call-5'): CallCore {
  return run(IDLE_CORE, {
    type: 'incoming',
    callId,
    from: BOB,
    name: 'Bob',
    video: true,
  }).core;
}

describe('the call machine', () => {
  it('rings: a ring is checked first, then shown with a timeout and a notification', () => {
    const checked = run(
      IDLE_CORE,
      signal('call-5', BOB, { kind: 'ring', video: true, name: 'Mallory' }),
    );
    expect(checked.core.state.phase).toBe('idle');
    expect(checked.effects).toEqual([
      { kind: 'checkRing', callId: 'call-5', from: BOB, video: true },
    ]);
    const shown = run(IDLE_CORE, {
      type: 'incoming',
      callId: 'call-5',
      from: BOB,
      name: 'Bob',
      video: true,
    });
    expect(shown.core).toMatchObject({
      state: { phase: 'incoming' },
      callId: 'call-5',
      from: { name: 'Bob' },
    });
    expect(kinds(shown.effects)).toEqual(['reset', 'timer', 'loadPeer', 'notifyRinging']);
  });

  it('accepts: media opens, then the link (we offer) and the accept go', () => {
    const accepting = run(incomingFromBob(), { type: 'accept' });
    expect(accepting.core.state.phase).toBe('connecting');
    expect(accepting.effects).toContainEqual({ kind: 'openMedia', callId: 'call-5', video: true });
    expect(sent(accepting.effects)).toEqual([]);
    const ready = run(accepting.core, { type: 'mediaReady', callId: 'call-5' });
    expect(ready.effects).toContainEqual({
      kind: 'link',
      callId: 'call-5',
      userId: 'u_bob',
      cid: 'c_bob',
      initiator: true,
    });
    expect(sent(ready.effects)).toEqual([{ to: { cid: 'c_bob' }, kind: 'accept' }]);
  });

  it('declines: the caller is told, and the call ends as declined on both sides', () => {
    const callee = run(incomingFromBob(), { type: 'decline' });
    expect(sent(callee.effects)).toEqual([{ to: { cid: 'c_bob' }, kind: 'decline' }]);
    expect(callee.core.state).toEqual({ phase: 'ended', reason: 'declined' });
    const caller = run(
      outgoingToBob(),
      signal('call-2', BOB, { kind: 'decline', reason: 'declined' }),
    );
    expect(caller.core.state).toEqual({ phase: 'ended', reason: 'declined' });
    expect(kinds(caller.effects)).not.toContain('recordMissed');
  });

  it('connects: the answer links once our media is open; connected keeps the display awake', () => {
    const early = run(
      IDLE_CORE,
      {
        type: 'start',
        callId: 'call-2',
        others: [{ userId: 'u_bob', name: 'Bob' }],
        video: false,
        myName: 'Ann',
      },
      signal('call-2', BOB, { kind: 'accept' }),
    );
    expect(kinds(early.effects)).not.toContain('link');
    expect(sent(early.effects)).toContainEqual({ to: { user: 'u_bob' }, kind: 'cancel' });
    const linked = run(early.core, { type: 'mediaReady', callId: 'call-2' });
    expect(linked.effects).toContainEqual({
      kind: 'link',
      callId: 'call-2',
      userId: 'u_bob',
      cid: 'c_bob',
      initiator: false,
    });
    const up = run(linked.core, {
      type: 'linkState',
      callId: 'call-2',
      cid: 'c_bob',
      state: 'connected',
    });
    expect(up.core.state.phase).toBe('connected');
    expect(up.core.connectedAt).toBeTypeOf('number');
    expect(up.effects).toContainEqual({ kind: 'keepAwake', on: true });
  });

  it('hangs up: the other side is told, the call ends, and after its time on screen goes idle', () => {
    const ended = run(connectedWithBob(), { type: 'hangUp' });
    expect(sent(ended.effects)).toEqual([{ to: { cid: 'c_bob' }, kind: 'hangup' }]);
    expect(ended.core.state).toEqual({ phase: 'ended', reason: 'hung up' });
    expect(kinds(ended.effects)).toEqual(
      expect.arrayContaining(['teardown', 'keepAwake', 'timer']),
    );
    const gone = run(ended.core, { type: 'timeout', callId: 'call-2', which: 'ended' });
    expect(gone.core).toEqual(IDLE_CORE);
    expect(kinds(gone.effects)).toContain('reset');
  });

  it('a call right after another starts clean, and nothing of the first reaches it', () => {
    const first = run(connectedWithBob(), signal('call-2', BOB, { kind: 'hangup' })).core;
    expect(first.state).toEqual({ phase: 'ended', reason: 'the other side hung up' });
    const second = run(first, {
      type: 'start',
      callId: 'call-9',
      others: [{ userId: 'u_bob', name: 'Bob' }],
      video: true,
      myName: 'Ann',
    });
    expect(second.core).toMatchObject({
      state: { phase: 'outgoing' },
      callId: 'call-9',
      mediaReady: false,
    });
    expect(second.core.connectedAt).toBeUndefined();
    expect(second.core.participants).toEqual([{ userId: 'u_bob', name: 'Bob', phase: 'ringing' }]);
    expect(kinds(second.effects).slice(0, 2)).toEqual(['clearTimer', 'reset']);
    // The first call's timer, media, connections and signals arrive late: all ignored.
    const late = run(
      second.core,
      { type: 'timeout', callId: 'call-2', which: 'ended' },
      { type: 'mediaReady', callId: 'call-2' },
      { type: 'linkState', callId: 'call-2', cid: 'c_bob', state: 'connected' },
      { type: 'linkClosed', callId: 'call-2', cid: 'c_bob' },
      signal('call-2', BOB, { kind: 'hangup' }),
    );
    expect(late.core).toEqual(second.core);
    expect(late.effects).toEqual([]);
    // The second call goes on by itself.
    const on = run(
      late.core,
      { type: 'mediaReady', callId: 'call-9' },
      signal('call-9', BOB, { kind: 'accept' }),
    );
    expect(on.effects).toContainEqual({
      kind: 'link',
      callId: 'call-9',
      userId: 'u_bob',
      cid: 'c_bob',
      initiator: false,
    });
  });

  it('glare: two people calling each other at once end up in the call with the smaller id', () => {
    const ours = run(IDLE_CORE, {
      type: 'start',
      callId: 'call-b',
      others: [{ userId: 'u_bob', name: 'Bob' }],
      video: false,
      myName: 'Ann',
    }).core;
    const theirsWins = run(
      ours,
      signal('call-a', BOB, { kind: 'ring', video: false, name: 'Bob' }),
    );
    expect(theirsWins.core).toMatchObject({
      callId: 'call-a',
      state: { phase: 'connecting' },
      accepting: true,
    });
    expect(theirsWins.effects).toContainEqual({
      kind: 'openMedia',
      callId: 'call-a',
      video: false,
    });
    const oursWins = run(ours, signal('call-c', BOB, { kind: 'ring', video: false, name: 'Bob' }));
    expect(oursWins.core).toEqual(ours);
    expect(oursWins.effects).toEqual([]);
  });

  it('busy: a ring during a call is declined as busy', () => {
    const r = run(
      connectedWithBob(),
      signal('call-7', CAT, { kind: 'ring', video: false, name: 'Cat' }),
    );
    expect(r.effects).toEqual([
      {
        kind: 'send',
        callId: 'call-7',
        to: { cid: 'c_cat' },
        signal: { kind: 'decline', reason: 'busy' },
      },
    ]);
    expect(r.core.callId).toBe('call-2');
  });

  it('no answer: the caller cancels, records a missed call, and says so', () => {
    const r = run(outgoingToBob(), { type: 'timeout', callId: 'call-2', which: 'ringing' });
    expect(sent(r.effects)).toContainEqual({ to: { user: 'u_bob' }, kind: 'cancel' });
    expect(r.effects).toContainEqual({ kind: 'recordMissed', userId: 'u_bob', video: false });
    expect(r.core.state).toEqual({ phase: 'ended', reason: 'no answer' });
  });

  it('a group call: one leaving keeps the rest in; the last leaving ends it', () => {
    let core = run(
      IDLE_CORE,
      {
        type: 'start',
        callId: 'call-g',
        group: 'team',
        others: [
          { userId: 'u_bob', name: 'Bob' },
          { userId: 'u_cat', name: 'Cat' },
        ],
        video: false,
        myName: 'Ann',
      },
      { type: 'mediaReady', callId: 'call-g' },
      signal('call-g', BOB, { kind: 'accept' }),
    ).core;
    const catIn = run(core, signal('call-g', CAT, { kind: 'accept' }));
    // Cat is told Bob is in (she offers); Bob is told of Cat (he waits).
    expect(catIn.effects).toContainEqual({
      kind: 'send',
      callId: 'call-g',
      to: { cid: 'c_cat' },
      signal: {
        kind: 'roster',
        members: [{ user_id: 'u_bob', cid: 'c_bob', name: 'Bob' }],
        offer: true,
      },
    });
    expect(catIn.effects).toContainEqual({
      kind: 'send',
      callId: 'call-g',
      to: { cid: 'c_bob' },
      signal: {
        kind: 'roster',
        members: [{ user_id: 'u_cat', cid: 'c_cat', name: 'Cat' }],
        offer: false,
      },
    });
    core = run(
      catIn.core,
      { type: 'linkState', callId: 'call-g', cid: 'c_bob', state: 'connected' },
      { type: 'linkState', callId: 'call-g', cid: 'c_cat', state: 'connected' },
    ).core;
    const bobGone = run(core, signal('call-g', BOB, { kind: 'hangup' }));
    expect(bobGone.core).toMatchObject({
      state: { phase: 'connected' },
      notice: 'Bob left the call.',
    });
    expect(bobGone.effects).toContainEqual({ kind: 'closeLink', cid: 'c_bob' });
    const catGone = run(bobGone.core, signal('call-g', CAT, { kind: 'hangup' }));
    expect(catGone.core.state).toEqual({ phase: 'ended', reason: 'everyone left' });
  });

  it('a group call past four people is refused before anyone rings', () => {
    const others = ['b', 'c', 'd', 'e'].map((x) => ({ userId: `u_${x}`, name: x }));
    const r = run(IDLE_CORE, {
      type: 'start',
      callId: 'call-x',
      group: 'big',
      others,
      video: false,
      myName: 'Ann',
    });
    expect(r.core.state).toMatchObject({ phase: 'ended', reason: 'too many people' });
    expect(sent(r.effects)).toEqual([]);
  });

  it('a roster from anyone but the caller, or naming a connection someone else signalled from, is not followed', () => {
    const accepted = run(
      IDLE_CORE,
      { type: 'incoming', callId: 'call-g', from: BOB, name: 'Bob', group: 'team', video: false },
      { type: 'accept' },
      { type: 'mediaReady', callId: 'call-g' },
    ).core;
    const roster: CallSignal = {
      kind: 'roster',
      members: [{ user_id: 'u_cat', cid: 'c_x', name: 'Cat' }],
      offer: true,
    };
    const fromCat = run(accepted, signal('call-g', CAT, roster));
    expect(fromCat.core.participants).toHaveLength(1);
    const spoofed = run(accepted, {
      type: 'signal',
      callId: 'call-g',
      from: BOB,
      signal: roster,
      earlySenders: new Map([['c_x', 'u_mallory']]),
    });
    expect(spoofed.core.participants).toHaveLength(1);
    const fine = run(accepted, signal('call-g', BOB, roster));
    expect(fine.core.participants.map((p) => p.userId)).toEqual(['u_bob', 'u_cat']);
    expect(fine.effects).toContainEqual({
      kind: 'link',
      callId: 'call-g',
      userId: 'u_cat',
      cid: 'c_x',
      initiator: true,
    });
  });

  it('a connection that fails is told and its person leaves; our own failure tells everyone', () => {
    const lost = run(connectedWithBob(), {
      type: 'linkFailed',
      callId: 'call-2',
      cid: 'c_bob',
      detail: 'the connection failed',
    });
    expect(sent(lost.effects)).toEqual([{ to: { cid: 'c_bob' }, kind: 'hangup' }]);
    expect(lost.core.state).toEqual({
      phase: 'ended',
      reason: 'failed',
      detail: 'the connection failed',
    });
    const denied = run(
      IDLE_CORE,
      {
        type: 'start',
        callId: 'call-3',
        others: [{ userId: 'u_bob', name: 'Bob' }],
        video: true,
        myName: 'Ann',
      },
      { type: 'fail', callId: 'call-3', reason: 'permission denied', detail: 'no camera' },
    );
    expect(denied.core.state).toMatchObject({ phase: 'ended', reason: 'permission denied' });
    expect(sent(denied.effects).at(-1)).toEqual({ to: { user: 'u_bob' }, kind: 'cancel' });
  });

  it('timeouts are the documented ones', () => {
    expect(CALL_TIMEOUTS).toEqual({
      ringingMs: 30_000,
      connectingMs: 20_000,
      reconnectingMs: 15_000,
      endedShownMs: 4_000,
    });
  });
});
