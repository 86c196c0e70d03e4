// What the call UI reads: the call's view (its lifecycle from call-machine.ts and its media from
// the store), and the words for how a call ended.
import type { CallSignal } from '../../../../shared/call-signal';
import type { IpcEvents } from '../../../../shared/ipc';
import type { Transfer } from './file-transfer';

export type EndReason =
  | 'hung up'
  | 'declined'
  | 'busy'
  | 'no answer'
  | 'offline'
  | 'failed'
  | 'cancelled'
  | 'answered elsewhere'
  | 'the other side hung up'
  | 'everyone left'
  | 'too many people'
  | 'no camera or microphone'
  | 'permission denied';

export type CallState =
  | { phase: 'idle' }
  | { phase: 'outgoing' | 'incoming' | 'connecting' | 'connected' | 'reconnecting' }
  | { phase: 'ended'; reason: EndReason; detail?: string };

/** Someone else in the call (or being rung for it). */
export interface Participant {
  userId: string;
  name: string;
  /** Their device in this call, once known (the one that answered, or the caller's). */
  cid?: string;
  phase: 'ringing' | 'connecting' | 'connected' | 'reconnecting';
  remote?: MediaStream;
  /** They turned their camera off (their word, by a `media` signal). */
  cameraOff?: boolean;
  /** They muted their microphone (their word, by a `media` signal). */
  micOff?: boolean;
}

export interface CallView {
  state: CallState;
  callId?: string;
  /** Who rang us (an incoming call). */
  from?: { userId: string; name: string; cid: string };
  /** The group this call is for; absent for a 1:1 call. */
  group?: string;
  /** Everyone else in the call, in the order they came. */
  participants: Participant[];
  video: boolean;
  muted: boolean;
  cameraOff: boolean;
  /** The screen being shared, if any. */
  screen?: MediaStream;
  /** Electron asks which screen or window to share (the browser has its own picker). */
  screenChoice?: IpcEvents['screen:choose'];
  /** Clock time the call connected, for the timer. */
  connectedAt?: number;
  local?: MediaStream;
  /** Files sent and received in this call, with whom. */
  transfers: (Transfer & { with: string })[];
  /** The call's own chat (the text-chat channel): not stored anywhere. */
  chat: { mine: boolean; from?: string; text: string; ts: number }[];
  /** In a group call, the last person to go and why ("Cat left the call."). */
  notice?: string;
}

// ---- the call machine's state, inputs and effects (call-machine.ts) ------------------------

/** The lifecycle part of the call's view (the media part lives in the store). */
export interface CallCore {
  state: CallState;
  callId?: string;
  /** Who rang us (an incoming call). */
  from?: { userId: string; name: string; cid: string };
  /** The group this call is for; absent for a 1:1 call. */
  group?: string;
  /** Everyone else in the call, in the order they came (without their media). */
  participants: Omit<Participant, 'remote'>[];
  video: boolean;
  /** Our camera is off: whoever connects is told. */
  cameraOff: boolean;
  /** Our microphone is muted: whoever connects is told too. */
  micOff: boolean;
  /** Clock time the call connected, for the timer. */
  connectedAt?: number;
  /** In a group call, the last person to go and why ("Cat left the call."). */
  notice?: string;
  /** Our camera and microphone are open (links wait for them). */
  mediaReady: boolean;
  /** We accepted; the accept goes once our media is open. */
  accepting: boolean;
  /** Connections to make once our media is open. */
  pendingLinks: { userId: string; cid: string; initiator: boolean }[];
  /** The person a 1:1 call we make is for, until it ends (a missed call is recorded). */
  callee?: { userId: string; video: boolean; answered: boolean };
}

export const IDLE_CORE: CallCore = {
  state: { phase: 'idle' },
  participants: [],
  video: false,
  cameraOff: false,
  micOff: false,
  mediaReady: false,
  accepting: false,
  pendingLinks: [],
};

export type Address = { cid: string } | { user: string };
export type Sender = { user_id: string; cid: string; displayName?: string };

export type CallInput =
  | {
      type: 'start';
      callId: string;
      others: { userId: string; name: string }[];
      video: boolean;
      group?: string;
      myName: string;
    }
  | { type: 'ringFailed'; callId: string; userId: string; offline: boolean }
  | {
      type: 'signal';
      callId: string;
      from: Sender;
      signal: CallSignal;
      earlySenders?: ReadonlyMap<string, string>;
      knownNames?: ReadonlyMap<string, string>;
    }
  /** A ring checked by the store (who the caller is, which group both are in). */
  | { type: 'incoming'; callId: string; from: Sender; name: string; group?: string; video: boolean }
  | { type: 'accept' }
  | { type: 'decline' }
  | { type: 'hangUp' }
  | { type: 'dismiss' }
  | { type: 'mediaReady'; callId: string }
  | { type: 'fail'; callId: string; reason: EndReason; detail?: string }
  | { type: 'sendFailed'; callId: string }
  | { type: 'linkState'; callId: string; cid: string; state: 'connected' | 'reconnecting' }
  | { type: 'linkFailed'; callId: string; cid: string; detail: string }
  /** A connection closed and no hangup explained it within the grace time. */
  | { type: 'linkClosed'; callId: string; cid: string; reason?: string }
  | { type: 'cameraOff'; off: boolean }
  | { type: 'micOff'; off: boolean }
  /** An audio call's camera was turned on. */
  | { type: 'videoOn' }
  | { type: 'timeout'; callId: string; which: 'ringing' | 'ended' };

export type CallEffect =
  | { kind: 'send'; callId: string; to: Address; signal: CallSignal; failure?: CallInput }
  | { kind: 'loadPeer' }
  | { kind: 'openMedia'; callId: string; video: boolean }
  /** Check a ring (its group, the caller's name) before showing it; answers `incoming`. */
  | { kind: 'checkRing'; callId: string; from: Sender; group?: string; video: boolean }
  | { kind: 'notifyRinging'; userId: string; name: string; video: boolean; group?: string }
  | { kind: 'link'; callId: string; userId: string; cid: string; initiator: boolean }
  | { kind: 'closeLink'; cid: string }
  | { kind: 'sdp'; from: Sender; data: unknown }
  | { kind: 'timer'; ms: number; input: CallInput }
  | { kind: 'clearTimer' }
  | { kind: 'recordMissed'; userId: string; video: boolean }
  /** A 1:1 call we made was answered and has ended: its line in the dm, with how long. */
  | { kind: 'recordEnded'; userId: string; video: boolean; durationMs: number }
  /** Stop our media and every connection (received files stay until reset). */
  | { kind: 'teardown' }
  /** Forget the ended call's media view (files received, chat) too. */
  | { kind: 'reset' }
  | { kind: 'keepAwake'; on: boolean };

export interface Step {
  core: CallCore;
  effects: CallEffect[];
}
