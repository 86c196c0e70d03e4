// One call at a time, 1:1: its state machine, its signalling over the server's rtc relay (through
// the IPC contract), its media, and a clear reason whenever it ends. Signals are
// `{callId, signal: CallSignal}`; a call rings every device of the callee (`rtc` by user) and then
// goes on between the two connections that took part.
import type { IpcEvents, ParleyBridge } from '../../../../shared/ipc';
import { ActionError, type ChatStore } from '../../state/chat-store';
import { FileTransfers, type Transfer } from './file-transfer';
import { mediaConstraints, saveDevicePref, type DeviceKind } from './devices';
import type { Peer } from './peer';

export type CallSignal =
  | { kind: 'ring'; video: boolean; name: string }
  | { kind: 'accept' }
  | { kind: 'decline'; reason: 'declined' | 'busy' }
  | { kind: 'cancel' }
  /** `failed`: the other side gave up on the connection (its own reason stays there). */
  | { kind: 'hangup'; failed?: boolean }
  | { kind: 'sdp'; data: unknown };

export type EndReason =
  | 'hung up'
  | 'declined'
  | 'busy'
  | 'no answer'
  | 'offline'
  | 'failed'
  | 'cancelled'
  | 'the other side hung up'
  | 'no camera or microphone'
  | 'permission denied';

export type CallState =
  | { phase: 'idle' }
  | { phase: 'outgoing' | 'incoming' | 'connecting' | 'connected' | 'reconnecting' }
  | { phase: 'ended'; reason: EndReason; detail?: string };

export interface CallView {
  state: CallState;
  callId?: string;
  peer?: { userId: string; name: string; cid?: string };
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
  remote?: MediaStream;
  /** Files sent and received in this call. */
  transfers: Transfer[];
  /** The call's own chat (the text-chat channel): not stored anywhere. */
  chat: { mine: boolean; text: string; ts: number }[];
}

/** How long each state may last before the call ends with a reason. */
export const CALL_TIMEOUTS = {
  ringingMs: 30_000,
  connectingMs: 20_000,
  reconnectingMs: 15_000,
  /** An ended call stays on screen this long, with its reason. */
  endedShownMs: 4_000,
};

const CLOSE_GRACE_MS = 1_500;

// WebRTC's code loads with the first call, not with the app (it is a third of the bundle); a
// ringing call starts loading it on both sides.
const loadPeer = () => import('./peer');

const IDLE: CallView = {
  state: { phase: 'idle' },
  video: false,
  muted: false,
  cameraOff: false,
  transfers: [],
  chat: [],
};

export class CallStore {
  private view: CallView = IDLE;
  private readonly listeners = new Set<() => void>();
  private peer: Peer | undefined;
  private files: FileTransfers | undefined;
  /** The caller's camera and microphone while they open (ringing goes on meanwhile). */
  private opening: Promise<MediaStream | undefined> = Promise.resolve(undefined);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Signals that came before the peer existed (the answer's first ICE candidates). */
  private early: unknown[] = [];

  constructor(
    private readonly chat: ChatStore,
    private readonly bridge: ParleyBridge,
    private readonly media: Pick<MediaDevices, 'getUserMedia'> = navigator.mediaDevices,
  ) {}

  /** Starts listening for call signals; dispose() stops. */
  listen(): void {
    this.unsubscribe?.();
    const offSignals = this.bridge.on('server:event', ({ accountId, frame }) => {
      if (frame.event !== 'rtc:signal' || accountId !== this.chat.getState().accountId) return;
      const { from, callId, signal } = frame.data;
      void this.onSignal(from, callId, signal as CallSignal);
    });
    const offScreens = this.bridge.on('screen:choose', (choice) =>
      this.set({ screenChoice: choice }),
    );
    this.unsubscribe = () => {
      offSignals();
      offScreens();
    };
  }

  /** Answers Electron's screen-share request: a source from its list, or null to cancel. */
  chooseScreen(sourceId: string | null): void {
    const choice = this.view.screenChoice;
    if (!choice) return;
    this.set({ screenChoice: undefined });
    void this.chat
      .call('screen:chosen', { requestId: choice.requestId, sourceId })
      .catch(() => undefined);
  }

  readonly subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  };

  readonly getView = (): CallView => this.view;

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.teardown();
  }

  // ---- the user's actions --------------------------------------------------------------------

  /** Calls a user: rings all their devices. */
  async start(userId: string, name: string, video: boolean): Promise<void> {
    if (this.busy()) return;
    const callId = `call-${crypto.randomUUID()}`;
    this.set({
      ...IDLE,
      state: { phase: 'outgoing' },
      callId,
      peer: { userId, name },
      video,
    });
    void loadPeer();
    // Ring at once, and open the camera and microphone meanwhile (the first open takes a while).
    const media = this.openMedia(video);
    this.opening = media;
    const me = this.chat.me;
    try {
      await this.send(
        { user: userId },
        { kind: 'ring', video, name: me?.displayName ?? 'Someone' },
      );
    } catch (err) {
      if (this.view.callId === callId) {
        this.end(err instanceof ActionError && err.code === 'NOT_FOUND' ? 'offline' : 'failed');
      }
      void media.then((s) => s?.getTracks().forEach((t) => t.stop()));
      return;
    }
    const local = await media;
    if (!local) {
      // The media error ended the call here; the other side stops ringing.
      void this.send({ user: userId }, { kind: 'cancel' }, callId).catch(() => undefined);
      return;
    }
    if (this.view.callId !== callId) {
      for (const t of local.getTracks()) t.stop();
      return;
    }
    this.set({ local });
    if (this.view.state.phase !== 'outgoing') return; // answered while the camera was opening
    this.after(CALL_TIMEOUTS.ringingMs, () => {
      void this.send({ user: userId }, { kind: 'cancel' }).catch(() => undefined);
      this.end('no answer');
    });
  }

  async accept(): Promise<void> {
    const { callId, peer, video } = this.view;
    if (this.view.state.phase !== 'incoming' || !callId || !peer?.cid) return;
    this.set({ state: { phase: 'connecting' } });
    // After crossed calls, the media opened for our own call is used for this one.
    const local = this.view.local ?? (await this.openMedia(video));
    if (!local || this.view.callId !== callId) {
      void this.send({ cid: peer.cid }, { kind: 'decline', reason: 'declined' }).catch(
        () => undefined,
      );
      return;
    }
    this.set({ local });
    // The callee makes the offer: it goes right behind the accept, one trip fewer.
    void this.connect(true, local);
    await this.send({ cid: peer.cid }, { kind: 'accept' }).catch(() => this.end('failed'));
  }

  decline(): void {
    const { peer } = this.view;
    if (this.view.state.phase !== 'incoming' || !peer?.cid) return;
    void this.send({ cid: peer.cid }, { kind: 'decline', reason: 'declined' }).catch(
      () => undefined,
    );
    this.end('declined');
  }

  hangUp(): void {
    const { peer, state } = this.view;
    if (state.phase === 'idle' || state.phase === 'ended') return;
    const to = peer?.cid ? { cid: peer.cid } : peer ? { user: peer.userId } : undefined;
    if (to) {
      const signal: CallSignal =
        state.phase === 'outgoing' ? { kind: 'cancel' } : { kind: 'hangup' };
      void this.send(to, signal).catch(() => undefined);
    }
    this.end(state.phase === 'outgoing' ? 'cancelled' : 'hung up');
  }

  setMuted(muted: boolean): void {
    this.peer?.setSending('audio', !muted);
    for (const t of this.view.local?.getAudioTracks() ?? []) t.enabled = !muted;
    this.set({ muted });
  }

  setCameraOff(off: boolean): void {
    this.peer?.setSending('video', !off);
    for (const t of this.view.local?.getVideoTracks() ?? []) t.enabled = !off;
    this.set({ cameraOff: off });
  }

  /**
   * Uses another microphone or camera (remembered for next time); during a call the new track
   * replaces the old one without renegotiating. Speakers are the view's business (setSinkId).
   */
  async chooseDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    saveDevicePref(kind, deviceId);
    const local = this.view.local;
    if (kind === 'audiooutput' || !local || this.view.state.phase === 'ended') return;
    const media = kind === 'audioinput' ? 'audio' : 'video';
    const fresh = await this.media.getUserMedia(
      media === 'audio'
        ? { audio: { deviceId: { exact: deviceId } } }
        : { video: { deviceId: { exact: deviceId } } },
    );
    const track = fresh.getTracks()[0]!;
    const old = media === 'audio' ? local.getAudioTracks()[0] : local.getVideoTracks()[0];
    track.enabled = media === 'audio' ? !this.view.muted : !this.view.cameraOff;
    await this.peer?.replaceTrack(media, track);
    const next = new MediaStream([...local.getTracks().filter((t) => t !== old), track]);
    old?.stop();
    this.set({ local: next });
  }

  /** Shares a screen or window (the browser's or the OS's picker chooses), or stops sharing. */
  async shareScreen(on: boolean): Promise<void> {
    if (!this.peer) return;
    if (!on) {
      for (const t of this.view.screen?.getTracks() ?? []) t.stop();
      await this.peer.shareScreen(null);
      this.set({ screen: undefined });
      return;
    }
    let screen: MediaStream;
    try {
      screen = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (err) {
      // The person closed the picker: nothing to say. Anything else is worth a sentence.
      if ((err as DOMException).name === 'NotAllowedError') return;
      throw new Error(`The screen could not be shared: ${(err as Error).message}`, { cause: err });
    }
    const track = screen.getVideoTracks()[0]!;
    // The browser's own "Stop sharing" ends the track: stop on our side too.
    track.addEventListener('ended', () => void this.shareScreen(false));
    await this.peer.shareScreen(track);
    this.set({ screen });
  }

  dismiss(): void {
    if (this.view.state.phase === 'ended') this.reset();
  }

  stats(): Promise<RTCStatsReport> | undefined {
    return this.peer?.stats();
  }

  /** Sends a file to the other side over the file-transfer channel. */
  async sendFile(file: File): Promise<void> {
    if (!this.files) throw new Error('files can be sent once the call is connected');
    await this.files.send(file);
  }

  cancelTransfer(id: string): void {
    this.files?.cancel(id);
  }

  /** A line in the call's chat (text-chat channel). */
  say(text: string): void {
    const ch = this.peer?.channel('text-chat');
    if (!ch || ch.readyState !== 'open' || !text.trim()) return;
    ch.send(JSON.stringify({ text }));
    this.set({ chat: [...this.view.chat, { mine: true, text, ts: Date.now() }] });
  }

  /** The unordered, no-retransmit channel for game data; the app decides what to send. */
  gameChannel(): RTCDataChannel | undefined {
    return this.peer?.channel('gaming');
  }

  // ---- signals from the other side -----------------------------------------------------------

  private async onSignal(
    from: { user_id: string; cid: string },
    callId: string,
    signal: CallSignal,
  ): Promise<void> {
    const v = this.view;
    const phase = v.state.phase;
    if (signal.kind === 'ring') {
      if (v.callId === callId) return;
      // Both called each other at once: one call survives, the same one on both sides (the
      // smaller id); the other side's ring is dropped there, ours is taken here.
      if (phase === 'outgoing' && v.peer?.userId === from.user_id) {
        if (callId < v.callId!) {
          this.clearTimer();
          this.set({
            callId,
            peer: { userId: from.user_id, name: v.peer.name, cid: from.cid },
            state: { phase: 'incoming' },
          });
          await this.accept();
        }
        return;
      }
      if (this.busy()) {
        void this.send({ cid: from.cid }, { kind: 'decline', reason: 'busy' }, callId).catch(
          () => undefined,
        );
        return;
      }
      this.set({
        ...IDLE,
        state: { phase: 'incoming' },
        callId,
        peer: { userId: from.user_id, name: signal.name, cid: from.cid },
        video: signal.video,
      });
      this.after(CALL_TIMEOUTS.ringingMs, () => this.end('no answer'));
      void loadPeer();
      const accountId = this.chat.getState().accountId!;
      void this.chat
        .call('calls:ringing', {
          accountId,
          userId: from.user_id,
          name: signal.name,
          video: signal.video,
        })
        .catch(() => undefined);
      return;
    }
    if (callId !== v.callId) return;
    switch (signal.kind) {
      case 'accept':
        if (phase !== 'outgoing') return;
        // The device that answered; the call goes on with it alone.
        this.set({ peer: { ...v.peer!, cid: from.cid }, state: { phase: 'connecting' } });
        // An answer can come while our camera is still opening: wait for that same opening.
        void (v.local ? Promise.resolve(v.local) : this.opening).then((local) => {
          if (local && this.view.callId === callId && this.view.state.phase === 'connecting') {
            void this.connect(false, local);
          }
        });
        return;
      case 'decline':
        if (phase === 'outgoing') this.end(signal.reason);
        return;
      case 'cancel':
        if (phase === 'incoming') this.end('cancelled');
        return;
      case 'hangup':
        if (phase === 'ended') return;
        if (signal.failed) this.end('failed', 'the other side could not connect', false);
        else this.end('the other side hung up', undefined, false);
        return;
      case 'sdp':
        if (from.cid !== v.peer?.cid) return;
        if (this.peer) this.peer.signal(signal.data);
        else this.early.push(signal.data);
        return;
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  private async connect(initiator: boolean, local: MediaStream): Promise<void> {
    const callId = this.view.callId!;
    this.after(CALL_TIMEOUTS.connectingMs, () =>
      this.end('failed', 'the connection could not be made'),
    );
    const accountId = this.chat.getState().accountId!;
    const [{ createPeer }, ice] = await Promise.all([
      loadPeer(),
      this.chat
        .call('calls:ice', { accountId })
        .catch(() => ({ iceServers: [], relayOnly: false })),
    ]);
    if (this.view.callId !== callId || this.view.state.phase === 'ended') return;
    const hasTurn = ice.iceServers.some((s) =>
      (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => u.startsWith('turn')),
    );
    if (ice.relayOnly && !hasTurn) {
      this.end(
        'failed',
        'relay-only calls need a TURN server: add one in Settings, or turn relay-only off',
      );
      return;
    }
    this.peer = createPeer({
      initiator,
      stream: local,
      // With no ICE servers, host candidates alone: a LAN or one machine.
      iceServers: ice.iceServers,
      relayOnly: ice.relayOnly,
      on: {
        signal: (data) => {
          const cid = this.view.peer?.cid;
          if (cid && this.view.callId === callId) {
            void this.send({ cid }, { kind: 'sdp', data }).catch(() => undefined);
          }
        },
        remoteStream: (remote) => this.set({ remote }),
        state: (s) => {
          if (this.view.callId !== callId) return;
          if (s === 'connected') {
            this.clearTimer();
            this.set({
              state: { phase: 'connected' },
              connectedAt: this.view.connectedAt ?? Date.now(),
            });
          } else if (s === 'reconnecting') {
            this.set({ state: { phase: 'reconnecting' } });
            this.after(CALL_TIMEOUTS.reconnectingMs, () =>
              this.end('failed', 'the network dropped and did not come back'),
            );
          } else {
            this.end('failed', 'the connection failed');
          }
        },
        closed: (reason) => {
          // The other side's "hangup" usually explains a closing connection; it travels through
          // the server and may land a moment after the connection noticed: wait for it briefly.
          setTimeout(() => {
            if (this.view.callId !== callId || this.view.state.phase === 'ended') return;
            this.end(reason ? 'failed' : 'the other side hung up', reason);
          }, CLOSE_GRACE_MS);
        },
      },
    });
    for (const data of this.early.splice(0)) this.peer.signal(data);
    this.files = new FileTransfers(this.peer.channel('file-transfer'), (transfers) =>
      this.set({ transfers }),
    );
    this.peer.channel('text-chat').addEventListener('message', (e: MessageEvent) => {
      try {
        const { text } = JSON.parse(String(e.data)) as { text: unknown };
        if (typeof text === 'string' && text.length <= 4000) {
          this.set({ chat: [...this.view.chat, { mine: false, text, ts: Date.now() }] });
        }
      } catch {
        // not ours: ignored
      }
    });
  }

  private async openMedia(video: boolean): Promise<MediaStream | undefined> {
    try {
      return await this.media.getUserMedia(mediaConstraints(video));
    } catch (err) {
      const name = (err as DOMException).name;
      if (name === 'NotFoundError' || name === 'OverconstrainedError') {
        this.end(
          'no camera or microphone',
          video ? 'no camera or microphone was found' : 'no microphone was found',
        );
      } else if (name === 'NotAllowedError' || name === 'SecurityError') {
        this.end('permission denied', 'Parley may not use the camera or microphone');
      } else {
        this.end('failed', (err as Error).message);
      }
      return undefined;
    }
  }

  private send(
    to: { cid: string } | { user: string },
    signal: CallSignal,
    callId = this.view.callId!,
  ): Promise<unknown> {
    const accountId = this.chat.getState().accountId!;
    return this.chat.call('rtc:signal', { accountId, ...to, callId, signal });
  }

  private busy(): boolean {
    const p = this.view.state.phase;
    return p !== 'idle' && p !== 'ended';
  }

  /** Ends the call here; a failure mid-call is also told to the other side (`tell`). */
  private end(reason: EndReason, detail?: string, tell = true): void {
    const { peer, state } = this.view;
    const midCall = ['connecting', 'connected', 'reconnecting'].includes(state.phase);
    const ourFailure = ['failed', 'no camera or microphone', 'permission denied'].includes(reason);
    if (tell && midCall && ourFailure && peer?.cid) {
      void this.send({ cid: peer.cid }, { kind: 'hangup', failed: true }).catch(() => undefined);
    }
    this.teardown();
    this.set({
      state: { phase: 'ended', reason, ...(detail ? { detail } : {}) },
      remote: undefined,
    });
    void this.chat.call('calls:keepAwake', { on: false }).catch(() => undefined);
    this.after(CALL_TIMEOUTS.endedShownMs, () => this.reset());
  }

  private reset(): void {
    this.teardown();
    for (const t of this.view.transfers) if (t.url) URL.revokeObjectURL(t.url);
    this.view = IDLE;
    this.emit();
  }

  private teardown(): void {
    this.clearTimer();
    this.peer?.close();
    this.peer = undefined;
    // Received files stay downloadable until the call panel is closed (reset).
    this.files = undefined;
    this.early = [];
    for (const t of this.view.local?.getTracks() ?? []) t.stop();
    for (const t of this.view.screen?.getTracks() ?? []) t.stop();
  }

  private after(ms: number, fn: () => void): void {
    this.clearTimer();
    this.timer = setTimeout(fn, ms);
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private set(patch: Partial<CallView>): void {
    const wasLive = this.view.state.phase === 'connected';
    this.view = { ...this.view, ...patch };
    if (!wasLive && this.view.state.phase === 'connected') {
      void this.chat.call('calls:keepAwake', { on: true }).catch(() => undefined);
    }
    this.emit();
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}
