// The call machine's builder: one step's new state and effects, with the moves several inputs
// share (ending the call, someone leaving, connecting to someone).
import type { CallSignal } from '../../../../shared/call-signal';
import {
  IDLE_CORE,
  type Address,
  type CallCore,
  type CallEffect,
  type CallInput,
  type Step,
} from './call-types';
import type { EndReason, Participant } from './call-types';

/** A mesh sends everyone's media to everyone: past four people it costs more than it gives. */
export const MAX_CALL_SIZE = 4;

/** How long each state may last before the call (or one connection in it) ends with a reason. */
export const CALL_TIMEOUTS = {
  ringingMs: 30_000,
  connectingMs: 20_000,
  reconnectingMs: 15_000,
  /** An ended call stays on screen this long, with its reason. */
  endedShownMs: 4_000,
};

const OUR_FAILURES: EndReason[] = ['failed', 'no camera or microphone', 'permission denied'];
const MISSED: EndReason[] = ['no answer', 'cancelled', 'offline', 'busy'];

export function busy(c: CallCore): boolean {
  return c.state.phase !== 'idle' && c.state.phase !== 'ended';
}

export function live(c: CallCore, callId: string): boolean {
  return c.callId === callId && busy(c);
}

/** The call is connected while anyone is; otherwise its least advanced hope. */
export function overallPhase(
  participants: { phase: Participant['phase'] }[],
): 'outgoing' | 'connecting' | 'connected' | 'reconnecting' {
  const phases = new Set(participants.map((p) => p.phase));
  if (phases.has('connected')) return 'connected';
  if (phases.has('reconnecting')) return 'reconnecting';
  if (phases.has('connecting')) return 'connecting';
  return 'outgoing';
}

export class Builder {
  readonly effects: CallEffect[] = [];
  constructor(
    public core: CallCore,
    readonly now: number,
  ) {}

  set(patch: Partial<CallCore>): void {
    const wasLive = this.core.state.phase === 'connected';
    this.core = { ...this.core, ...patch };
    if (!wasLive && this.core.state.phase === 'connected') this.do({ kind: 'keepAwake', on: true });
  }

  /** A new call (or none): nothing of the one before is kept. */
  fresh(core: Partial<CallCore>): void {
    this.core = IDLE_CORE;
    this.set(core);
  }

  do(effect: CallEffect): void {
    this.effects.push(effect);
  }

  send(to: Address, signal: CallSignal, callId = this.core.callId!, failure?: CallInput): void {
    this.do({ kind: 'send', callId, to, signal, ...(failure ? { failure } : {}) });
  }

  timer(ms: number, input: CallInput): void {
    this.do({ kind: 'timer', ms, input });
  }

  patchParticipant(userId: string, patch: Partial<CallCore['participants'][number]>): void {
    const participants = this.core.participants.map((p) =>
      p.userId === userId ? { ...p, ...patch } : p,
    );
    const phase = overallPhase(participants);
    this.set({
      participants,
      state: { phase },
      ...(phase === 'connected' && this.core.connectedAt === undefined
        ? { connectedAt: this.now }
        : {}),
    });
  }

  /**
   * Ends the call here. Our own failure (`tell`) is told to everyone: those ringing stop, those
   * in the call hear that we could not go on.
   */
  end(reason: EndReason, detail?: string, tell = true): void {
    const { participants, callee, callId } = this.core;
    if (callee && !callee.answered && MISSED.includes(reason)) {
      this.do({ kind: 'recordMissed', userId: callee.userId, video: callee.video });
    } else if (callee?.answered && this.core.connectedAt !== undefined) {
      const durationMs = Math.max(0, this.now - this.core.connectedAt);
      this.do({ kind: 'recordEnded', userId: callee.userId, video: callee.video, durationMs });
    }
    if (tell && OUR_FAILURES.includes(reason)) {
      for (const p of participants) {
        if (p.phase === 'ringing') this.send({ user: p.userId }, { kind: 'cancel' });
        else if (p.cid) this.send({ cid: p.cid }, { kind: 'hangup', failed: true });
      }
    }
    this.do({ kind: 'clearTimer' });
    this.do({ kind: 'teardown' });
    this.set({
      state: { phase: 'ended', reason, ...(detail ? { detail } : {}) },
      callee: undefined,
      accepting: false,
      pendingLinks: [],
    });
    this.do({ kind: 'keepAwake', on: false });
    if (callId) this.timer(CALL_TIMEOUTS.endedShownMs, { type: 'timeout', callId, which: 'ended' });
  }

  /**
   * Someone is no longer in the call (or will not be). When no one else is left, the call ends
   * here with that reason.
   */
  leave(userId: string, reason: EndReason, detail?: string): void {
    const p = this.core.participants.find((q) => q.userId === userId);
    if (!p || this.core.state.phase === 'ended') return;
    if (p.cid) this.do({ kind: 'closeLink', cid: p.cid });
    const participants = this.core.participants.filter((q) => q !== p);
    if (participants.length === 0) {
      this.end(reason, detail, false);
      return;
    }
    this.set({
      participants,
      state: { phase: overallPhase(participants) },
      pendingLinks: this.core.pendingLinks.filter((l) => l.userId !== userId),
      notice: leaving(p.name, reason, detail),
    });
  }

  /** Connects to someone now, or once our media is open. */
  link(userId: string, cid: string, initiator: boolean): void {
    if (this.core.mediaReady) {
      this.do({ kind: 'link', callId: this.core.callId!, userId, cid, initiator });
    } else {
      this.set({ pendingLinks: [...this.core.pendingLinks, { userId, cid, initiator }] });
    }
  }

  result(): Step {
    return { core: this.core, effects: this.effects };
  }
}

/** What the others see when one person of a group call goes, in their words. */
export function leaving(name: string, reason: EndReason, detail?: string): string {
  switch (reason) {
    case 'declined':
      return `${name} declined.`;
    case 'busy':
      return `${name} is in another call.`;
    case 'no answer':
      return `${name} did not answer.`;
    case 'offline':
      return `${name} is offline.`;
    case 'failed':
      return `The connection to ${name} failed${detail ? ` (${detail})` : ''}.`;
    default:
      return `${name} left the call.`;
  }
}
