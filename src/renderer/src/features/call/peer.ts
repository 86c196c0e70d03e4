// The only module that knows simple-peer: one WebRTC connection with our media, its signals
// handed to the caller (who sends them through the server's rtc relay), and the connection's
// state in plain words. Media never passes through the main process or the server.
import SimplePeer from 'simple-peer/simplepeer.min.js';

const ICE_RESTART_EVERY_MS = 5_000;

export interface PeerEvents {
  signal(data: unknown): void;
  remoteStream(stream: MediaStream): void;
  /** 'connected', 'reconnecting' (the network dropped, ICE is trying again) or 'failed'. */
  state(state: 'connected' | 'reconnecting' | 'failed'): void;
  closed(reason?: string): void;
}

/**
 * The data channel presets of the seed's connectRTC, negotiated out of band (same id on both
 * sides, no extra signalling): chat inside the call, files, and game data that must be fresh
 * rather than complete. Custom channels take ids from 200 up, agreed the same way.
 */
export const CHANNEL_PRESETS = {
  'text-chat': { id: 100, ordered: true },
  'file-transfer': { id: 101, ordered: true },
  gaming: { id: 102, ordered: false, maxRetransmits: 0 },
} as const;
export type ChannelPreset = keyof typeof CHANNEL_PRESETS;

export interface Peer {
  signal(data: unknown): void;
  /** A preset data channel, open once the call connects. */
  channel(preset: ChannelPreset): RTCDataChannel;
  /** A custom channel; both sides must open it with the same id (200 or more). */
  customChannel(
    label: string,
    init: { id: number; ordered?: boolean; maxRetransmits?: number },
  ): RTCDataChannel;
  /** Stops or resumes sending a kind of track (muting sends nothing at all, not silence). */
  setSending(kind: 'audio' | 'video', on: boolean): void;
  /**
   * Shares a screen: in a video call it takes the camera's place; in an audio call it is added
   * (the connection renegotiates through the same signals). null stops sharing.
   */
  shareScreen(track: MediaStreamTrack | null): Promise<void>;
  /** An audio call's camera, turned on: added to the connection, which renegotiates. */
  addVideo(track: MediaStreamTrack): void;
  /** Sends another track of that kind from now on (another microphone or camera). */
  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<void>;
  stats(): Promise<RTCStatsReport>;
  /** ICE restarts this side has asked for (after the network dropped). */
  restarts(): number;
  close(): void;
}

export function createPeer(opts: {
  initiator: boolean;
  stream: MediaStream;
  iceServers: RTCIceServer[];
  relayOnly?: boolean;
  on: PeerEvents;
}): Peer {
  const peer = new SimplePeer({
    initiator: opts.initiator,
    stream: opts.stream,
    config: {
      iceServers: opts.iceServers,
      ...(opts.relayOnly ? { iceTransportPolicy: 'relay' as const } : {}),
    },
  });
  let closed = false;
  let restarts = 0;
  let retry: ReturnType<typeof setInterval> | undefined;
  peer.on('signal', (data) => opts.on.signal(data));
  peer.on('stream', (stream) => opts.on.remoteStream(stream));
  peer.on('connect', () => opts.on.state('connected'));
  peer.on('error', (err) => {
    clearInterval(retry);
    if (closed) return;
    closed = true;
    opts.on.closed(
      err.code === 'ERR_ICE_CONNECTION_FAILURE' ? 'the connection failed' : err.message,
    );
  });
  peer.on('close', () => {
    clearInterval(retry);
    if (closed) return;
    closed = true;
    opts.on.closed();
  });
  const pc = peer._pc;
  // ICE restart: when the network drops, the side that made the first offer asks for new
  // candidates (restartIce + a fresh offer through the same signals), and again every few
  // seconds while the connection stays down; the caller's timeout decides when to give up.
  // simple-peer itself ends the connection when ICE reports 'failed'.
  const restart = () => {
    if (closed || !opts.initiator || pc.connectionState === 'connected') return;
    restarts += 1;
    pc.restartIce();
    peer.negotiate();
  };
  pc.addEventListener('connectionstatechange', () => {
    if (pc.connectionState === 'disconnected') {
      opts.on.state('reconnecting');
      if (!retry) {
        restart();
        retry = setInterval(restart, ICE_RESTART_EVERY_MS);
      }
      return;
    }
    clearInterval(retry);
    retry = undefined;
    if (pc.connectionState === 'connected') opts.on.state('connected');
    else if (pc.connectionState === 'failed') opts.on.state('failed');
  });
  const channels = new Map<ChannelPreset, RTCDataChannel>();
  for (const [label, init] of Object.entries(CHANNEL_PRESETS) as [
    ChannelPreset,
    RTCDataChannelInit,
  ][]) {
    const ch = pc.createDataChannel(label, { ...init, negotiated: true });
    ch.binaryType = 'arraybuffer';
    channels.set(label, ch);
  }
  const sent = new Map<string, MediaStreamTrack>();
  const senders = new Map<string, RTCRtpSender>();
  /** A screen added to an audio call (no camera track to stand in for). */
  let shared: MediaStreamTrack | undefined;
  for (const t of opts.stream.getTracks()) sent.set(t.kind, t);
  return {
    signal: (data) => {
      if (!closed) peer.signal(data);
    },
    setSending(kind, on) {
      const track = sent.get(kind);
      if (!track) return;
      track.enabled = on;
      // The sender is found by its track once, and remembered: muted, it holds none.
      const sender = senders.get(kind) ?? pc.getSenders().find((x) => x.track === track);
      if (!sender) return;
      senders.set(kind, sender);
      // replaceTrack(null) stops the packets; unmuting puts the same track back.
      void sender.replaceTrack(on ? track : null).catch(() => undefined);
    },
    async shareScreen(track) {
      const camera = sent.get('video');
      if (camera) {
        const sender = senders.get('video') ?? pc.getSenders().find((x) => x.track === camera);
        if (!sender) return;
        senders.set('video', sender);
        await sender.replaceTrack(track ?? (camera.enabled ? camera : null));
        return;
      }
      if (track) {
        shared = track;
        peer.addTrack(track, opts.stream);
      } else if (shared) {
        peer.removeTrack(shared, opts.stream);
        shared = undefined;
      }
    },
    addVideo(track) {
      if (sent.has('video')) return;
      peer.addTrack(track, opts.stream);
      sent.set('video', track);
    },
    async replaceTrack(kind, track) {
      const old = sent.get(kind);
      const sender = senders.get(kind) ?? pc.getSenders().find((x) => x.track === old);
      if (!sender) return;
      senders.set(kind, sender);
      sent.set(kind, track);
      await sender.replaceTrack(track.enabled ? track : null);
    },
    channel: (preset) => channels.get(preset)!,
    customChannel(label, init) {
      if (init.id < 200 || init.id > 1000)
        throw new RangeError('custom channel ids are 200 to 1000');
      const ch = pc.createDataChannel(label, { ...init, negotiated: true });
      ch.binaryType = 'arraybuffer';
      return ch;
    },
    stats: () => pc.getStats(),
    restarts: () => restarts,
    close() {
      clearInterval(retry);
      if (closed) return;
      closed = true;
      peer.destroy();
    },
  };
}
