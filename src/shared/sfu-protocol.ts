// Protocol extension: group calls through the server's SFU (Janus VideoRoom), docs/protocol.md
// "Extension: group calls on an SFU". One `sfu` request with an `op`; the server answers what
// that op answers, and sends `sfu:event` to a participant and `call:state` to the call's group.
// Clients name only their call (callId), feeds of people in it and mids of their own
// subscription: the SFU's rooms, secrets and handles never leave the server.

/** An SDP offer or answer, as RTCPeerConnection gives and takes it. */
export interface SfuJsep {
  type: 'offer' | 'answer';
  sdp: string;
}

/** Someone in the call, as a participant sees them. */
export interface SfuFeed {
  feed: number;
  user_id: string;
  /** The server's name for them: show this. */
  displayName: string;
  /** What they publish (empty until their media is up). */
  /** `layers`: the simulcast layers sent (1 to 3); a subscriber asks for 0 to layers - 1. */
  streams: { mid: string; type: 'audio' | 'video'; simulcast: boolean; layers?: number }[];
  micOff: boolean;
  cameraOff: boolean;
  hand: boolean;
  /** The mid of their shared screen among their streams. */
  screenMid?: string;
  /** This is the viewer's own feed. */
  self?: true;
}

/** One stream of a participant's subscription: its mid there, and whose stream it is. */
export interface SfuStream {
  mid: string;
  feed: number;
  feedMid: string;
  type: string;
}

/** A group's running call (or, with `ended`, the call that just ended). */
export interface SfuCallState {
  group: string;
  callId: string;
  /** People in it now. */
  count: number;
  startedAt: number;
  video?: boolean;
  startedBy?: { user_id: string; displayName: string };
  ended?: { durationMs: number };
}

/** What the server tells one participant about their call. */
export type SfuEventData =
  | { callId: string; kind: 'feeds'; feeds: SfuFeed[] }
  | { callId: string; kind: 'talking'; feed: number; talking: boolean }
  /** The call's SFU stopped: the call is being moved ("Reconnecting the call"). */
  | { callId: string; kind: 'reconnecting' }
  /** Moved to another SFU: publish and subscribe again; `feeds` is who is in it. */
  | { callId: string; kind: 'moved'; feeds: SfuFeed[] }
  | { callId: string; kind: 'ended'; reason: string };

export interface SfuResultMap {
  join: { callId: string; feed: number; startedAt: number; feeds: SfuFeed[] };
  publish: { jsep: SfuJsep };
  /** `jsep` is Janus's offer for the new layout (absent when nothing changed): answer it. */
  subscribe: { jsep?: SfuJsep; streams: SfuStream[] };
  answer: Record<string, never>;
  configure: Record<string, never>;
  trickle: Record<string, never>;
  state: Record<string, never>;
  /** One's connections to the SFU failed: enter again (same feed); publish and subscribe anew. */
  rejoin: { feeds: SfuFeed[] };
  leave: Record<string, never>;
  /** The running calls of the caller's groups. */
  calls: { calls: SfuCallState[] };
}
export type SfuOp = keyof SfuResultMap;
export type SfuResult = SfuResultMap[SfuOp];
