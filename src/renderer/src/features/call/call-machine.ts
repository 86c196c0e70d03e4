// The life of one call as a pure function: (state, input) in, (state, effects) out. Inputs are
// the user's actions, signals from the other clients, the media and the connections' news and
// timers, each naming the call it belongs to, so nothing of one call can reach the next. Effects
// are what the call store then does (send a signal, open the camera, connect to someone, ...).
// No DOM, no timers, no I/O here: the table tests in call-machine.test.ts drive it directly.
import type { CallSignal } from '../../../../shared/call-signal';
import { Builder, busy, CALL_TIMEOUTS, live, MAX_CALL_SIZE } from './call-step';
import { signal } from './call-signals';
import type { CallCore, CallInput, Step } from './call-types';

export { CALL_TIMEOUTS, MAX_CALL_SIZE, overallPhase, leaving } from './call-step';
export {
  IDLE_CORE,
  type Address,
  type CallCore,
  type CallEffect,
  type CallInput,
  type Sender,
  type Step,
} from './call-types';

/** The call's next state and what to do, for one input at clock time `now`. */
export function step(core: CallCore, input: CallInput, now: number): Step {
  const out = new Builder(core, now);
  reduce(out, input);
  return out.result();
}

function reduce(b: Builder, input: CallInput): void {
  const c = b.core;
  switch (input.type) {
    case 'start':
      return start(b, input);
    case 'ringFailed':
      if (live(c, input.callId)) b.leave(input.userId, input.offline ? 'offline' : 'failed');
      return;
    case 'signal':
      return input.signal.kind === 'ring' ? ring(b, input) : signal(b, input);
    case 'incoming':
      return incoming(b, input);
    case 'accept':
      return accept(b);
    case 'decline':
      if (c.state.phase !== 'incoming' || !c.from) return;
      b.send({ cid: c.from.cid }, { kind: 'decline', reason: 'declined' });
      return b.end('declined');
    case 'hangUp': {
      const phase = c.state.phase;
      if (phase === 'idle' || phase === 'ended' || phase === 'incoming') return;
      for (const p of c.participants) {
        if (p.phase === 'ringing') b.send({ user: p.userId }, { kind: 'cancel' });
        else if (p.cid) b.send({ cid: p.cid }, { kind: 'hangup' });
      }
      return b.end(phase === 'outgoing' ? 'cancelled' : 'hung up', undefined, false);
    }
    case 'dismiss':
      if (c.state.phase === 'ended') reset(b);
      return;
    case 'mediaReady':
      return mediaReady(b, input.callId);
    case 'fail':
      if (live(c, input.callId)) b.end(input.reason, input.detail);
      return;
    case 'sendFailed':
      if (live(c, input.callId)) b.end('failed');
      return;
    case 'linkState':
      return linkState(b, input);
    case 'linkFailed':
    case 'linkClosed': {
      if (!live(c, input.callId)) return;
      const who = c.participants.find((p) => p.cid === input.cid);
      if (!who) return;
      const failed = input.type === 'linkFailed' || input.reason !== undefined;
      const detail = input.type === 'linkFailed' ? input.detail : input.reason;
      if (failed) {
        b.send({ cid: input.cid }, { kind: 'hangup', failed: true });
        return b.leave(who.userId, 'failed', detail);
      }
      return b.leave(who.userId, c.group ? 'everyone left' : 'the other side hung up');
    }
    case 'videoOn':
      b.set({ video: true });
      return;
    case 'cameraOff':
    case 'micOff': {
      b.set(input.type === 'cameraOff' ? { cameraOff: input.off } : { micOff: input.off });
      const media = mediaSignal(b.core);
      for (const p of c.participants) {
        if (p.cid && p.phase !== 'ringing') b.send({ cid: p.cid }, media);
      }
      return;
    }
    case 'timeout':
      if (c.callId !== input.callId) return;
      if (input.which === 'ended') {
        if (c.state.phase === 'ended') reset(b);
        return;
      }
      return ringingTimedOut(b);
  }
}

function reset(b: Builder): void {
  b.do({ kind: 'clearTimer' });
  b.do({ kind: 'teardown' });
  b.do({ kind: 'reset' });
  b.fresh({});
}

/** We call one person, or a group's online members. */
function start(b: Builder, input: Extract<CallInput, { type: 'start' }>): void {
  if (busy(b.core)) return;
  const { callId, others, video, group } = input;
  if (group !== undefined && (others.length === 0 || others.length + 1 > MAX_CALL_SIZE)) {
    b.fresh({ callId, group, video });
    if (others.length === 0) return b.end('offline', `no one else in #${group} is online`);
    return b.end(
      'too many people',
      `${String(others.length + 1)} people of #${group} are online; a group call takes ${String(MAX_CALL_SIZE)} at most`,
    );
  }
  b.do({ kind: 'clearTimer' });
  b.do({ kind: 'reset' });
  b.fresh({
    state: { phase: 'outgoing' },
    callId,
    ...(group !== undefined ? { group } : {}),
    participants: others.map((o) => ({ ...o, phase: 'ringing' as const })),
    video,
    ...(group === undefined && others.length === 1
      ? { callee: { userId: others[0]!.userId, video, answered: false } }
      : {}),
  });
  b.do({ kind: 'loadPeer' });
  // Ring at once, and open the camera and microphone meanwhile (the first open takes a while).
  b.do({ kind: 'openMedia', callId, video });
  b.timer(CALL_TIMEOUTS.ringingMs, { type: 'timeout', callId, which: 'ringing' });
  for (const o of others) {
    b.send(
      { user: o.userId },
      { kind: 'ring', video, name: input.myName, ...(group !== undefined ? { group } : {}) },
      callId,
      { type: 'ringFailed', callId, userId: o.userId, offline: false },
    );
  }
}

function ringingTimedOut(b: Builder): void {
  const c = b.core;
  if (c.state.phase === 'incoming') return b.end('no answer');
  for (const p of c.participants.filter((q) => q.phase === 'ringing')) {
    b.send({ user: p.userId }, { kind: 'cancel', timedOut: true });
    b.leave(p.userId, 'no answer');
  }
}

/** A ring from someone: crossed calls, busy, or checked by the store before it shows. */
function ring(b: Builder, input: Extract<CallInput, { type: 'signal' }>): void {
  const c = b.core;
  const { from, callId } = input;
  const signal = input.signal as Extract<CallSignal, { kind: 'ring' }>;
  if (c.callId === callId) return;
  // Both called each other at once: one call survives, the same one on both sides (the smaller
  // id); the other side's ring is dropped there, ours is taken here.
  const callee = c.participants[0];
  if (
    c.state.phase === 'outgoing' &&
    !c.group &&
    signal.group === undefined &&
    c.participants.length === 1 &&
    callee?.userId === from.user_id
  ) {
    if (callId < c.callId!) {
      b.do({ kind: 'clearTimer' });
      b.set({
        callId,
        from: { userId: from.user_id, name: callee.name, cid: from.cid },
        participants: [],
        callee: undefined,
        state: { phase: 'incoming' },
      });
      accept(b);
    }
    return;
  }
  if (busy(c)) {
    b.send({ cid: from.cid }, { kind: 'decline', reason: 'busy' }, callId);
    return;
  }
  b.do({
    kind: 'checkRing',
    callId,
    from,
    video: signal.video,
    ...(signal.group !== undefined ? { group: signal.group } : {}),
  });
}

/** A checked ring: the call shows as incoming (unless another began meanwhile). */
function incoming(b: Builder, input: Extract<CallInput, { type: 'incoming' }>): void {
  const c = b.core;
  if (c.callId === input.callId || busy(c)) return;
  const { from, callId, name, group, video } = input;
  b.do({ kind: 'reset' });
  b.fresh({
    state: { phase: 'incoming' },
    callId,
    from: { userId: from.user_id, name, cid: from.cid },
    ...(group !== undefined ? { group } : {}),
    video,
  });
  b.timer(CALL_TIMEOUTS.ringingMs, { type: 'timeout', callId, which: 'ringing' });
  b.do({ kind: 'loadPeer' });
  b.do({
    kind: 'notifyRinging',
    userId: from.user_id,
    name,
    video,
    ...(group !== undefined ? { group } : {}),
  });
}

function accept(b: Builder): void {
  const c = b.core;
  const { callId, from } = c;
  if (c.state.phase !== 'incoming' || !callId || !from) return;
  b.do({ kind: 'clearTimer' });
  b.set({
    state: { phase: 'connecting' },
    participants: [{ userId: from.userId, name: from.name, cid: from.cid, phase: 'connecting' }],
    accepting: true,
  });
  // After crossed calls, the media opened for our own call is used for this one.
  if (c.mediaReady) sendAccept(b);
  else b.do({ kind: 'openMedia', callId, video: c.video });
}

/** The callee makes the offer: it goes right behind the accept, one trip fewer. */
function sendAccept(b: Builder): void {
  const { from, callId } = b.core;
  b.set({ accepting: false });
  b.do({ kind: 'link', callId: callId!, userId: from!.userId, cid: from!.cid, initiator: true });
  b.send({ cid: from!.cid }, { kind: 'accept' }, callId, { type: 'sendFailed', callId: callId! });
}

function mediaReady(b: Builder, callId: string): void {
  if (!live(b.core, callId)) return;
  const pending = b.core.pendingLinks;
  b.set({ mediaReady: true, pendingLinks: [] });
  if (b.core.accepting) sendAccept(b);
  for (const l of pending) {
    // Still someone in this call on that connection (they may have left meanwhile).
    if (b.core.participants.some((p) => p.userId === l.userId && p.cid === l.cid)) {
      b.do({ kind: 'link', callId, userId: l.userId, cid: l.cid, initiator: l.initiator });
    }
  }
}

function linkState(b: Builder, input: Extract<CallInput, { type: 'linkState' }>): void {
  const c = b.core;
  if (!live(c, input.callId)) return;
  const who = c.participants.find((p) => p.cid === input.cid);
  if (!who) return;
  b.patchParticipant(who.userId, { phase: input.state });
  // Whoever joins learns that our camera is off or our microphone muted (on unless said).
  if (input.state === 'connected' && ((c.cameraOff && c.video) || c.micOff)) {
    b.send({ cid: input.cid }, mediaSignal(c));
  }
}

function mediaSignal(c: CallCore): CallSignal {
  return { kind: 'media', cameraOff: c.cameraOff, micOff: c.micOff };
}
