// One call at a time. Its life is a pure state machine (call-machine.ts): this store feeds it the
// user's actions, the signals other clients send through the server's rtc relay (parsed first:
// shared/call-signal.ts), the media's and the connections' news and its timers, and carries out
// the effects it answers with. The connections are the mesh's (mesh.ts), the camera and
// microphone media.ts's. What the UI reads is one CallView, published once a frame.
//
// A group call is a mesh of at most MAX_CALL_SIZE people, every pair with its own connection.
// The caller rings the group's online members and keeps the roster: each time someone answers,
// the caller tells them who is already in (`roster` with `offer: true`: they make the offers) and
// tells everyone already in about them (`offer: false`: they wait for the offer). So each pair
// connects exactly once, and the caller's single thread decides the order.
import { parseCallSignal, type CallSignal } from '../../../../shared/call-signal';
import type { ParleyBridge } from '../../../../shared/ipc';
import { ActionError } from '../../state/invoke';
import { StoreBase, type Scheduler } from '../../state/store-base';
import type { CallHost } from './call-host';
import { IDLE_CORE, step, type CallCore, type CallEffect, type CallInput } from './call-machine';
import type { CallView } from './call-types';
import { saveDevicePref, type DeviceKind } from './devices';
import { deviceTrack, openMedia, pickScreen } from './media';
import { loadPeer, Mesh } from './mesh';

export { CALL_TIMEOUTS, MAX_CALL_SIZE } from './call-machine';
export type { CallState, CallView, EndReason, Participant } from './call-types';

/** The media side of the view: what the machine does not decide. */
type MediaView = Pick<
  CallView,
  'muted' | 'local' | 'screen' | 'screenChoice' | 'transfers' | 'chat'
>;

const IDLE_MEDIA: MediaView = { muted: false, transfers: [], chat: [] };

export interface CallStorePorts {
  media?: Pick<MediaDevices, 'getUserMedia'>;
  /** How a change is published (once a frame by default; tests publish at once). */
  schedule?: Scheduler;
  /** WebRTC's code (loaded with the first call by default). */
  peers?: typeof loadPeer;
  now?: () => number;
  /** The user is in a call elsewhere (a group call on the SFU): a ring is answered busy. */
  busyElsewhere?: () => boolean;
}

export class CallStore extends StoreBase<CallView> {
  private core: CallCore = IDLE_CORE;
  private mediaView: MediaView = IDLE_MEDIA;
  /** The other people's media, by user id. */
  private readonly remotes = new Map<string, MediaStream>();
  private readonly mesh: Mesh;
  /** The call's one timer: ringing, then the ended call's time on screen. */
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly media: Pick<MediaDevices, 'getUserMedia'>;
  private readonly now: () => number;
  private readonly busyElsewhere: () => boolean;

  constructor(
    private readonly host: CallHost,
    private readonly bridge: ParleyBridge,
    ports: CallStorePorts = {},
  ) {
    super(view(IDLE_CORE, IDLE_MEDIA, new Map()), ports.schedule);
    this.media = ports.media ?? navigator.mediaDevices;
    this.now = ports.now ?? Date.now;
    this.busyElsewhere = ports.busyElsewhere ?? (() => false);
    const peers = ports.peers ?? loadPeer;
    this.mesh = new Mesh({
      input: (i) => this.dispatch(i),
      send: (cid, signal, callId) => this.send({ cid }, signal, callId),
      ice: () => {
        const accountId = this.host.accountId();
        if (!accountId) return Promise.resolve({ iceServers: [], relayOnly: false });
        return this.host
          .invoke('calls:ice', { accountId })
          .catch(() => ({ iceServers: [], relayOnly: false }));
      },
      media: () => ({
        muted: this.mediaView.muted,
        cameraOff: this.core.cameraOff,
        ...(this.mediaView.screen ? { screen: this.mediaView.screen } : {}),
      }),
      nameOf: (userId) => this.core.participants.find((p) => p.userId === userId)?.name ?? 'them',
      remote: (userId, stream) => {
        this.remotes.set(userId, stream);
        this.publish();
      },
      transfers: (transfers) => this.patchMedia({ transfers }),
      chatLine: (line) => this.patchMedia({ chat: [...this.mediaView.chat, line] }),
      peers,
    });
  }

  readonly getView = (): CallView => this.state;

  /** Starts listening for call signals and screen choices; dispose() stops. */
  listen(): void {
    this.disposables.clear();
    this.disposables.addFn(
      this.bridge.on('server:event', ({ accountId, frame }) => {
        if (frame.event !== 'rtc:signal' || accountId !== this.host.accountId()) return;
        const { from, callId, signal: raw } = frame.data;
        // Another person's client wrote this: anything but a signal of the contract is dropped.
        const signal = parseCallSignal(raw);
        if (!signal || typeof callId !== 'string') return;
        this.dispatch({
          type: 'signal',
          callId,
          from,
          signal,
          ...(signal.kind === 'roster'
            ? { earlySenders: this.mesh.earlySenders(), knownNames: this.knownNames(signal) }
            : {}),
        });
      }),
    );
    this.disposables.addFn(
      this.bridge.on('screen:choose', (choice) => this.patchMedia({ screenChoice: choice })),
    );
  }

  override dispose(): void {
    super.dispose();
    this.clearTimer();
    this.mesh.closeAll();
    this.stopMedia();
  }

  // ---- the user's actions --------------------------------------------------------------------

  /** Calls a user: rings all their devices. */
  start(userId: string, name: string, video: boolean): void {
    this.dispatch({
      type: 'start',
      callId: newCallId(),
      others: [{ userId, name }],
      video,
      myName: this.host.myName(),
    });
  }

  /**
   * Calls a group: rings its members who are online (`others`, without us). More than
   * MAX_CALL_SIZE people in all is refused up front with the reason, before anyone rings.
   */
  startGroup(group: string, others: { userId: string; name: string }[], video: boolean): void {
    this.dispatch({
      type: 'start',
      callId: newCallId(),
      others,
      video,
      group,
      myName: this.host.myName(),
    });
  }

  accept(): void {
    this.dispatch({ type: 'accept' });
  }

  decline(): void {
    this.dispatch({ type: 'decline' });
  }

  /** Leaves the call: those still ringing stop, everyone in it is told. */
  hangUp(): void {
    this.dispatch({ type: 'hangUp' });
  }

  dismiss(): void {
    this.dispatch({ type: 'dismiss' });
  }

  setMuted(muted: boolean): void {
    this.mesh.setSending('audio', !muted);
    for (const t of this.mediaView.local?.getAudioTracks() ?? []) t.enabled = !muted;
    this.patchMedia({ muted });
    // The others see it on this person's tile.
    this.dispatch({ type: 'micOff', off: muted });
  }

  setCameraOff(off: boolean): void {
    this.mesh.setSending('video', !off);
    for (const t of this.mediaView.local?.getVideoTracks() ?? []) t.enabled = !off;
    this.dispatch({ type: 'cameraOff', off });
  }

  /**
   * An audio call turns video on (UX-3 gap 6): the camera opens and its track is added to every
   * connection (each renegotiates, as for a shared screen); whoever joins later gets it too.
   */
  async startVideo(): Promise<void> {
    const local = this.mediaView.local;
    if (this.core.video || !local || this.mediaView.screen) return;
    const opened = await openMedia(this.media, true);
    if (!opened.ok) throw new Error(opened.detail);
    // The microphone stays the one in use; only the camera's track is kept.
    for (const t of opened.stream.getAudioTracks()) t.stop();
    const track = opened.stream.getVideoTracks()[0];
    if (!track) throw new Error('no camera was found');
    for (const p of this.mesh.joinedPeers()) p.addVideo(track);
    this.patchMedia({ local: new MediaStream([...local.getTracks(), track]) });
    this.dispatch({ type: 'videoOn' });
  }

  /**
   * Uses another microphone or camera (remembered for next time); during a call the new track
   * replaces the old one without renegotiating. Speakers are the view's business (setSinkId).
   */
  async chooseDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    saveDevicePref(kind, deviceId);
    const local = this.mediaView.local;
    if (kind === 'audiooutput' || !local || this.core.state.phase === 'ended') return;
    const audio = kind === 'audioinput';
    const enabled = audio ? !this.mediaView.muted : !this.core.cameraOff;
    const track = await deviceTrack(this.media, kind, deviceId, enabled);
    const old = audio ? local.getAudioTracks()[0] : local.getVideoTracks()[0];
    await this.mesh.replaceTrack(audio ? 'audio' : 'video', track);
    const next = new MediaStream([...local.getTracks().filter((t) => t !== old), track]);
    old?.stop();
    this.patchMedia({ local: next });
  }

  /** Shares a screen or window (the browser's or the OS's picker chooses), or stops sharing. */
  async shareScreen(on: boolean): Promise<void> {
    const peers = this.mesh.joinedPeers();
    if (!on) {
      for (const t of this.mediaView.screen?.getTracks() ?? []) t.stop();
      await Promise.all(peers.map((p) => p.shareScreen(null)));
      this.patchMedia({ screen: undefined });
      return;
    }
    if (peers.length === 0) return;
    const screen = await pickScreen();
    if (!screen) return;
    const track = screen.getVideoTracks()[0]!;
    // The browser's own "Stop sharing" ends the track: stop on our side too.
    track.addEventListener('ended', () => void this.shareScreen(false));
    await Promise.all(peers.map((p) => p.shareScreen(track)));
    this.patchMedia({ screen });
  }

  /** Answers Electron's screen-share request: a source from its list, or null to cancel. */
  chooseScreen(sourceId: string | null): void {
    const choice = this.mediaView.screenChoice;
    if (!choice) return;
    this.patchMedia({ screenChoice: undefined });
    void this.host
      .invoke('screen:chosen', { requestId: choice.requestId, sourceId })
      .catch(() => undefined);
  }

  /** getStats of the connection to one person (the first one in the call by default). */
  stats(userId?: string): Promise<RTCStatsReport> | undefined {
    return this.mesh.peerOf(userId)?.stats();
  }

  /** ICE restarts asked for on the connection to one person (the first by default). */
  restarts(userId?: string): number {
    return this.mesh.peerOf(userId)?.restarts() ?? 0;
  }

  /** Sends a file to everyone connected, over each connection's file-transfer channel. */
  sendFile(file: File): Promise<void> {
    return this.mesh.sendFile(file);
  }

  cancelTransfer(id: string): void {
    this.mesh.transfer(id, 'cancel');
  }

  /** Takes a file someone in the call offered. */
  acceptTransfer(id: string): void {
    this.mesh.transfer(id, 'accept');
  }

  declineTransfer(id: string): void {
    this.mesh.transfer(id, 'decline');
  }

  /** A line in the call's chat (text-chat channel), to everyone connected. */
  say(text: string): void {
    if (!text.trim() || !this.mesh.say(text)) return;
    this.patchMedia({ chat: [...this.mediaView.chat, { mine: true, text, ts: this.now() }] });
  }

  /** The unordered, no-retransmit channel for game data to one person (the first by default). */
  gameChannel(userId?: string): RTCDataChannel | undefined {
    return this.mesh.peerOf(userId)?.channel('gaming');
  }

  // ---- the machine and its effects -----------------------------------------------------------

  private dispatch(input: CallInput): void {
    const { core, effects } = step(this.core, input, this.now());
    this.core = core;
    for (const effect of effects) this.run(effect);
    this.publish();
  }

  private run(e: CallEffect): void {
    switch (e.kind) {
      case 'send':
        this.send(e.to, e.signal, e.callId, e.failure);
        return;
      case 'loadPeer':
        // Only a head start: a connection that needs the code loads it again and says so.
        this.mesh.preload().catch(() => undefined);
        return;
      case 'openMedia':
        void this.open(e.callId, e.video);
        return;
      case 'checkRing':
        void this.checkRing(e);
        return;
      case 'notifyRinging': {
        const accountId = this.host.accountId();
        if (!accountId) return;
        const { userId, name, video, group } = e;
        void this.host
          .invoke('calls:ringing', {
            accountId,
            userId,
            name,
            video,
            ...(group !== undefined ? { group } : {}),
          })
          .catch(() => undefined);
        return;
      }
      case 'link':
        if (this.mediaView.local) {
          this.mesh.link(e.callId, e.userId, e.cid, e.initiator, this.mediaView.local);
        }
        return;
      case 'closeLink':
        this.mesh.close(e.cid);
        return;
      case 'sdp':
        if (this.core.callId) this.mesh.onSdp(this.core.callId, e.from, e.data);
        return;
      case 'timer':
        this.clearTimer();
        this.timer = setTimeout(() => this.dispatch(e.input), e.ms);
        return;
      case 'clearTimer':
        this.clearTimer();
        return;
      case 'recordMissed':
        this.host.recordCall(e.userId, { missed: true, video: e.video });
        return;
      case 'recordEnded':
        this.host.recordCall(e.userId, { missed: false, video: e.video, durationMs: e.durationMs });
        return;
      case 'teardown':
        this.mesh.closeAll();
        this.stopMedia();
        return;
      case 'reset':
        for (const t of this.mediaView.transfers) if (t.url) URL.revokeObjectURL(t.url);
        this.mesh.forget();
        this.remotes.clear();
        this.mediaView = { ...IDLE_MEDIA, ...pickChoice(this.mediaView) };
        return;
      case 'keepAwake':
        void this.host.invoke('calls:keepAwake', { on: e.on }).catch(() => undefined);
        return;
    }
  }

  /** Opens the camera and microphone for a call; a call gone meanwhile gets them stopped. */
  private async open(callId: string, video: boolean): Promise<void> {
    const outcome = await openMedia(this.media, video);
    if (!outcome.ok) {
      this.dispatch({ type: 'fail', callId, reason: outcome.reason, detail: outcome.detail });
      return;
    }
    const current = this.core.callId === callId && this.core.state.phase !== 'ended';
    if (!current) {
      for (const t of outcome.stream.getTracks()) t.stop();
      return;
    }
    this.mediaView = { ...this.mediaView, local: outcome.stream };
    this.dispatch({ type: 'mediaReady', callId });
  }

  /**
   * A ring comes from another person's client: the caller is named as this page knows them (the
   * server's word), never by the ring's own `name`, and a group is shown only when both are in
   * it, asked of the server (review M3: "Your CEO is calling #board-of-directors" from anyone).
   */
  private async checkRing(e: Extract<CallEffect, { kind: 'checkRing' }>): Promise<void> {
    const { from, callId, video } = e;
    if (this.busyElsewhere()) {
      // As the machine answers a ring while in a call of its own: busy, and nothing shown.
      this.send({ cid: from.cid }, { kind: 'decline', reason: 'busy' }, callId);
      return;
    }
    const name = (from.displayName ?? this.host.knownName(from.user_id) ?? 'Someone').slice(0, 64);
    const group = await this.sharedGroup(e.group, from.user_id);
    this.dispatch({
      type: 'incoming',
      callId,
      from,
      name,
      video,
      ...(group !== undefined ? { group } : {}),
    });
  }

  private async sharedGroup(claimed: string | undefined, caller: string) {
    const accountId = this.host.accountId();
    if (claimed === undefined || !accountId || !this.host.inGroup(claimed)) return undefined;
    try {
      const { list } = await this.host.invoke('groups:members', { accountId, group: claimed });
      return list.some((u) => u.user_id === caller) ? claimed : undefined;
    } catch {
      return undefined;
    }
  }

  private send(
    to: { cid: string } | { user: string },
    signal: CallSignal,
    callId: string,
    failure?: CallInput,
  ): void {
    const accountId = this.host.accountId();
    if (!accountId) return;
    this.host.invoke('rtc:signal', { accountId, ...to, callId, signal }).catch((err: unknown) => {
      if (!failure) return;
      // Offline and invisible get the same answer from the server: "offline".
      const offline = err instanceof ActionError && err.code === 'NOT_FOUND';
      this.dispatch(failure.type === 'ringFailed' ? { ...failure, offline } : failure);
    });
  }

  /** Names this page knows for the people a roster lists (the roster's own are fallbacks). */
  private knownNames(signal: { members: { user_id: string }[] }): Map<string, string> {
    const out = new Map<string, string>();
    for (const m of signal.members) {
      const name = this.host.knownName(m.user_id);
      if (name !== undefined) out.set(m.user_id, name);
    }
    return out;
  }

  private stopMedia(): void {
    // Received files stay downloadable until the call panel is closed (reset).
    for (const t of this.mediaView.local?.getTracks() ?? []) t.stop();
    for (const t of this.mediaView.screen?.getTracks() ?? []) t.stop();
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private patchMedia(patch: Partial<MediaView>): void {
    this.mediaView = { ...this.mediaView, ...patch };
    this.publish();
  }

  /** The view is made whole from the machine and the media each time: nothing of a call that
   * is over can stay in it (a patch would keep the keys the new view lacks). */
  private publish(): void {
    this.put(view(this.core, this.mediaView, this.remotes));
  }
}

/** The UI's view: the machine's lifecycle and the store's media, each person with their media. */
function view(
  core: CallCore,
  media: MediaView,
  remotes: ReadonlyMap<string, MediaStream>,
): CallView {
  return {
    ...media,
    state: core.state,
    ...(core.callId !== undefined ? { callId: core.callId } : {}),
    ...(core.from ? { from: core.from } : {}),
    ...(core.group !== undefined ? { group: core.group } : {}),
    participants: core.participants.map((p) => {
      const remote = remotes.get(p.userId);
      return remote ? { ...p, remote } : p;
    }),
    video: core.video,
    cameraOff: core.cameraOff,
    ...(core.connectedAt !== undefined ? { connectedAt: core.connectedAt } : {}),
    ...(core.notice !== undefined ? { notice: core.notice } : {}),
  };
}

/** An Electron screen choice pending is the window's, not the call's: it survives a reset. */
function pickChoice(media: MediaView): Partial<MediaView> {
  return media.screenChoice ? { screenChoice: media.screenChoice } : {};
}

function newCallId(): string {
  return `call-${crypto.randomUUID()}`;
}
