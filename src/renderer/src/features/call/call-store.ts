// One call at a time: its state machine, its signalling over the server's rtc relay (through the
// IPC contract), its media, and a clear reason whenever it ends. Signals are
// `{callId, signal: CallSignal}`; a call rings every device of each person called (`rtc` by
// user) and then goes on between the connections that answered.
//
// A group call is a mesh of at most MAX_CALL_SIZE people, every pair with its own connection.
// The caller rings the group's online members and keeps the roster: each time someone answers,
// the caller tells them who is already in (`roster` with `offer: true`: they make the offers) and
// tells everyone already in about them (`offer: false`: they wait for the offer). So each pair
// connects exactly once, and the caller's single thread decides the order.
import type { IpcEvents, ParleyBridge } from '../../../../shared/ipc';
import { ActionError, type ChatStore } from '../../state/chat-store';
import { FileTransfers, type Transfer } from './file-transfer';
import { mediaConstraints, saveDevicePref, type DeviceKind } from './devices';
import type { Peer } from './peer';
import { dmKey, groupKey } from '../../../../shared/conversation-key';

export interface RosterEntry {
  user_id: string;
  cid: string;
  name: string;
}

export type CallSignal =
  | { kind: 'ring'; video: boolean; name: string; group?: string }
  | { kind: 'accept' }
  | { kind: 'decline'; reason: 'declined' | 'busy' }
  /** `answered`: another device of the same person took the call; `timedOut`: no one did. */
  | { kind: 'cancel'; answered?: boolean; timedOut?: boolean }
  /** `failed`: the other side gave up on the connection (its own reason stays there). */
  | { kind: 'hangup'; failed?: boolean }
  | { kind: 'sdp'; data: unknown }
  /** Group calls, from the caller: connect to these people (`offer`: you make the offer). */
  | { kind: 'roster'; members: RosterEntry[]; offer: boolean }
  /** The sender's camera is off (or on again): the others show their name, not a black box. */
  | { kind: 'media'; cameraOff: boolean };

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

const CLOSE_GRACE_MS = 1_500;
/** Signals from a connection we do not know yet (the roster is on its way): a bounded wait. */
const EARLY_SIGNALS_MAX = 200;

// WebRTC's code loads with the first call, not with the app (it is a third of the bundle); a
// ringing call starts loading it on both sides.
const loadPeer = () => import('./peer');

const IDLE: CallView = {
  state: { phase: 'idle' },
  participants: [],
  video: false,
  muted: false,
  cameraOff: false,
  transfers: [],
  chat: [],
};

/** The connection to one other person. */
interface Link {
  userId: string;
  peer?: Peer;
  files?: FileTransfers;
  timer?: ReturnType<typeof setTimeout>;
  /** Connected at least once: the screen and mute state have been applied to it. */
  joined: boolean;
}

export class CallStore {
  private view: CallView = IDLE;
  private readonly listeners = new Set<() => void>();
  /** Connections by the other side's cid. */
  private readonly links = new Map<string, Link>();
  /** Signals from connections not linked yet, by cid (the answer's first ICE candidates). */
  private readonly early = new Map<string, unknown[]>();
  /** Who (by the server's word) sent each early connection's signals. */
  private readonly earlyUser = new Map<string, string>();
  /** Transfer lists by cid; kept after a connection closes (received files stay savable). */
  private readonly transferLists = new Map<string, { name: string; list: Transfer[] }>();
  /** The caller's camera and microphone while they open (ringing goes on meanwhile). */
  private opening: Promise<MediaStream | undefined> = Promise.resolve(undefined);
  /** Ringing (either side), then the ended call's time on screen. */
  private timer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribe: (() => void) | undefined;
  /** The person a 1:1 call we make is for, until it ends (see recordMissed). */
  private callee: { userId: string; video: boolean; answered: boolean } | undefined;

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
      .invoke('screen:chosen', { requestId: choice.requestId, sourceId })
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
  start(userId: string, name: string, video: boolean): Promise<void> {
    return this.ring([{ userId, name }], video);
  }

  /**
   * Calls a group: rings its members who are online (`others`, without us). More than
   * MAX_CALL_SIZE people in all is refused up front with the reason, before anyone rings.
   */
  startGroup(group: string, others: { userId: string; name: string }[], video: boolean) {
    if (this.busy()) return Promise.resolve();
    if (others.length === 0 || others.length + 1 > MAX_CALL_SIZE) {
      this.set({ ...IDLE, group, video });
      if (others.length === 0) this.end('offline', `no one else in #${group} is online`);
      else {
        this.end(
          'too many people',
          `${String(others.length + 1)} people of #${group} are online; a group call takes ${String(MAX_CALL_SIZE)} at most`,
        );
      }
      return Promise.resolve();
    }
    return this.ring(others, video, group);
  }

  async accept(): Promise<void> {
    const { callId, from, video } = this.view;
    if (this.view.state.phase !== 'incoming' || !callId || !from) return;
    this.clearTimer();
    this.set({
      state: { phase: 'connecting' },
      participants: [{ userId: from.userId, name: from.name, cid: from.cid, phase: 'connecting' }],
    });
    // After crossed calls, the media opened for our own call is used for this one.
    const local = this.view.local ?? (await this.openMedia(video));
    if (!local || this.view.callId !== callId) {
      void this.send({ cid: from.cid }, { kind: 'decline', reason: 'declined' }, callId).catch(
        () => undefined,
      );
      return;
    }
    this.set({ local });
    // The callee makes the offer: it goes right behind the accept, one trip fewer.
    this.link(from.userId, from.cid, true, local);
    await this.send({ cid: from.cid }, { kind: 'accept' }).catch(() => this.end('failed'));
  }

  decline(): void {
    const { from } = this.view;
    if (this.view.state.phase !== 'incoming' || !from) return;
    void this.send({ cid: from.cid }, { kind: 'decline', reason: 'declined' }).catch(
      () => undefined,
    );
    this.end('declined');
  }

  /** Leaves the call: those still ringing stop, everyone in it is told. */
  hangUp(): void {
    const { state, participants } = this.view;
    if (state.phase === 'idle' || state.phase === 'ended' || state.phase === 'incoming') return;
    for (const p of participants) {
      const [to, signal]: [{ user: string } | { cid: string }, CallSignal] =
        p.phase === 'ringing'
          ? [{ user: p.userId }, { kind: 'cancel' }]
          : [{ cid: p.cid! }, { kind: 'hangup' }];
      if (p.phase === 'ringing' || p.cid) void this.send(to, signal).catch(() => undefined);
    }
    this.end(state.phase === 'outgoing' ? 'cancelled' : 'hung up', undefined, false);
  }

  setMuted(muted: boolean): void {
    for (const l of this.links.values()) l.peer?.setSending('audio', !muted);
    for (const t of this.view.local?.getAudioTracks() ?? []) t.enabled = !muted;
    this.set({ muted });
  }

  setCameraOff(off: boolean): void {
    for (const l of this.links.values()) l.peer?.setSending('video', !off);
    for (const t of this.view.local?.getVideoTracks() ?? []) t.enabled = !off;
    this.set({ cameraOff: off });
    for (const p of this.view.participants) {
      if (p.cid && p.phase !== 'ringing') {
        void this.send({ cid: p.cid }, { kind: 'media', cameraOff: off }).catch(() => undefined);
      }
    }
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
    await Promise.all([...this.links.values()].map((l) => l.peer?.replaceTrack(media, track)));
    const next = new MediaStream([...local.getTracks().filter((t) => t !== old), track]);
    old?.stop();
    this.set({ local: next });
  }

  /** Shares a screen or window (the browser's or the OS's picker chooses), or stops sharing. */
  async shareScreen(on: boolean): Promise<void> {
    const peers = [...this.links.values()].flatMap((l) => (l.peer && l.joined ? [l.peer] : []));
    if (!on) {
      for (const t of this.view.screen?.getTracks() ?? []) t.stop();
      await Promise.all(peers.map((p) => p.shareScreen(null)));
      this.set({ screen: undefined });
      return;
    }
    if (peers.length === 0) return;
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
    await Promise.all(peers.map((p) => p.shareScreen(track)));
    this.set({ screen });
  }

  dismiss(): void {
    if (this.view.state.phase === 'ended') this.reset();
  }

  /** getStats of the connection to one person (the first one in the call by default). */
  stats(userId?: string): Promise<RTCStatsReport> | undefined {
    return this.linkOf(userId)?.peer?.stats();
  }

  /** ICE restarts asked for on the connection to one person (the first by default). */
  restarts(userId?: string): number {
    return this.linkOf(userId)?.peer?.restarts() ?? 0;
  }

  /** Sends a file to everyone connected, over each connection's file-transfer channel. */
  async sendFile(file: File): Promise<void> {
    const files = [...this.links.values()].flatMap((l) => (l.files && l.joined ? [l.files] : []));
    if (files.length === 0) throw new Error('files can be sent once the call is connected');
    await Promise.all(files.map((f) => f.send(file)));
  }

  cancelTransfer(id: string): void {
    for (const l of this.links.values()) l.files?.cancel(id);
  }

  /** Takes a file someone in the call offered. */
  acceptTransfer(id: string): void {
    for (const l of this.links.values()) l.files?.accept(id);
  }

  declineTransfer(id: string): void {
    for (const l of this.links.values()) l.files?.decline(id);
  }

  /** A line in the call's chat (text-chat channel), to everyone connected. */
  say(text: string): void {
    if (!text.trim()) return;
    let sent = false;
    for (const l of this.links.values()) {
      const ch = l.peer?.channel('text-chat');
      if (ch?.readyState !== 'open') continue;
      ch.send(JSON.stringify({ text }));
      sent = true;
    }
    if (sent) this.set({ chat: [...this.view.chat, { mine: true, text, ts: Date.now() }] });
  }

  /** The unordered, no-retransmit channel for game data to one person (the first by default). */
  gameChannel(userId?: string): RTCDataChannel | undefined {
    return this.linkOf(userId)?.peer?.channel('gaming');
  }

  // ---- signals from the other side -----------------------------------------------------------

  private async onSignal(
    from: { user_id: string; cid: string; displayName?: string },
    callId: string,
    signal: CallSignal,
  ): Promise<void> {
    const v = this.view;
    const phase = v.state.phase;
    if (signal.kind === 'ring') {
      if (v.callId === callId) return;
      // Both called each other at once: one call survives, the same one on both sides (the
      // smaller id); the other side's ring is dropped there, ours is taken here.
      const callee = v.participants[0];
      if (
        phase === 'outgoing' &&
        !v.group &&
        !signal.group &&
        v.participants.length === 1 &&
        callee?.userId === from.user_id
      ) {
        if (callId < v.callId!) {
          this.clearTimer();
          this.set({
            callId,
            from: { userId: from.user_id, name: callee.name, cid: from.cid },
            participants: [],
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
      // The ring comes from another person's client: the caller is named as the server knows
      // them, never by the ring's own `name`, and a group is shown only when both are in it
      // (review M3: "Your CEO is calling #board-of-directors" from anyone).
      const name = this.nameOf(from);
      const group = await this.sharedGroup(signal.group, from.user_id);
      if (this.view.callId === callId || this.busy()) return;
      const video = signal.video === true;
      this.set({
        ...IDLE,
        state: { phase: 'incoming' },
        callId,
        from: { userId: from.user_id, name, cid: from.cid },
        ...(group ? { group } : {}),
        video,
      });
      this.after(CALL_TIMEOUTS.ringingMs, () => this.end('no answer'));
      void loadPeer();
      const accountId = this.chat.getState().accountId!;
      void this.chat
        .invoke('calls:ringing', {
          accountId,
          userId: from.user_id,
          name,
          video,
          ...(group ? { group } : {}),
        })
        .catch(() => undefined);
      return;
    }
    if (callId !== v.callId || phase === 'ended' || phase === 'idle') return;
    const who = v.participants.find((p) => p.userId === from.user_id);
    switch (signal.kind) {
      case 'accept':
        return this.onAccept(from, who);
      case 'decline':
        if (who?.phase === 'ringing') this.leave(who.userId, signal.reason);
        return;
      case 'cancel':
        if (phase !== 'incoming') return;
        if (signal.answered) this.end('answered elsewhere');
        else this.end(signal.timedOut ? 'no answer' : 'cancelled');
        return;
      case 'hangup':
        if (!who || (who.cid && who.cid !== from.cid)) return;
        if (signal.failed) this.leave(who.userId, 'failed', 'the other side could not connect');
        else this.leave(who.userId, v.group ? 'everyone left' : 'the other side hung up');
        return;
      case 'roster':
        return this.onRoster(from.cid, signal);
      case 'media':
        if (who && who.cid === from.cid) {
          this.patchParticipant(who.userId, { cameraOff: signal.cameraOff === true });
        }
        return;
      case 'sdp': {
        const link = this.links.get(from.cid);
        // A roster binds a connection to a person; the server says who really sent this. A
        // caller listing their own second connection as someone else is found here (M3).
        if (link && link.userId !== from.user_id) {
          this.dropLink(from.cid, 'that connection belongs to someone else than the caller said');
          return;
        }
        if (!link) {
          const sentBy = this.earlyUser.get(from.cid);
          if (sentBy !== undefined && sentBy !== from.user_id) return;
          this.earlyUser.set(from.cid, from.user_id);
        }
        if (from.displayName && who && who.cid === from.cid && who.name !== from.displayName) {
          this.patchParticipant(who.userId, { name: from.displayName.slice(0, 64) });
        }
        if (link?.peer) {
          link.peer.signal(signal.data);
        } else if (link || this.early.has(from.cid) || this.early.size < MAX_CALL_SIZE) {
          // Not ready yet (the camera is opening, WebRTC's code is loading, or the roster that
          // names this connection is still on its way): kept for when it is.
          const list = this.early.get(from.cid) ?? [];
          if (list.length < EARLY_SIGNALS_MAX) list.push(signal.data);
          this.early.set(from.cid, list);
        }
        return;
      }
    }
  }

  /** Someone we rang answered (we are the caller). */
  private onAccept(from: { user_id: string; cid: string }, who: Participant | undefined): void {
    const { callId, group } = this.view;
    if (!who) return;
    if (who.phase !== 'ringing') {
      // Two of their devices answered at once: the first one has the call.
      if (who.cid !== from.cid) {
        void this.send({ cid: from.cid }, { kind: 'hangup' }).catch(() => undefined);
      }
      return;
    }
    if (this.callee?.userId === who.userId) this.callee.answered = true;
    // Their other devices stop ringing (the one that answered is past ringing and ignores it).
    void this.send({ user: who.userId }, { kind: 'cancel', answered: true }).catch(() => undefined);
    const inCall = this.view.participants.filter((p) => p.cid && p.userId !== who.userId);
    this.patchParticipant(who.userId, { cid: from.cid, phase: 'connecting' });
    if (group) {
      const entry = { user_id: who.userId, cid: from.cid, name: who.name };
      const members = inCall.map((p) => ({ user_id: p.userId, cid: p.cid!, name: p.name }));
      // A lost roster shows as that pair never connecting: its own timeout says so.
      if (members.length > 0) {
        void this.send({ cid: from.cid }, { kind: 'roster', members, offer: true }).catch(
          () => undefined,
        );
      }
      for (const p of inCall) {
        void this.send({ cid: p.cid! }, { kind: 'roster', members: [entry], offer: false }).catch(
          () => undefined,
        );
      }
    }
    // An answer can come while our camera is still opening: wait for that same opening.
    void (this.view.local ? Promise.resolve(this.view.local) : this.opening).then((local) => {
      const still = this.view.participants.find((p) => p.userId === who.userId);
      if (local && this.view.callId === callId && still?.cid === from.cid) {
        this.link(who.userId, from.cid, false, local);
      }
    });
  }

  /** The caller says who else is in the group call. */
  private onRoster(sender: string, signal: Extract<CallSignal, { kind: 'roster' }>): void {
    const { from, local } = this.view;
    if (!from || sender !== from.cid || !local || !Array.isArray(signal.members)) return;
    for (const m of signal.members.slice(0, MAX_CALL_SIZE) as Partial<RosterEntry>[]) {
      if (typeof m?.cid !== 'string' || typeof m.user_id !== 'string') continue;
      const known = this.view.participants.some((p) => p.userId === m.user_id);
      if (known || this.view.participants.length + 1 >= MAX_CALL_SIZE) continue;
      // Signals that already came from this connection were sent by someone else (M3).
      const sentBy = this.earlyUser.get(m.cid);
      if (sentBy !== undefined && sentBy !== m.user_id) continue;
      // The name is ours for that user id where we know one; the roster's is only a fallback
      // until their first signal brings the server's.
      const name = this.knownName(m.user_id) ?? String(m.name).slice(0, 64);
      this.set({
        participants: [
          ...this.view.participants,
          { userId: m.user_id, name, cid: m.cid, phase: 'connecting' },
        ],
      });
      this.link(m.user_id, m.cid, signal.offer === true, local);
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  /** A person's name as this client knows it: a dm's peer or a member list's entry. */
  private knownName(userId: string): string | undefined {
    const state = this.chat.getState();
    const dm = state.conversations.get(dmKey(userId));
    if (dm) return dm.name;
    for (const list of state.members.values()) {
      const m = list.find((u) => u.user_id === userId);
      if (m) return m.displayName;
    }
    return undefined;
  }

  private nameOf(from: { user_id: string; displayName?: string }): string {
    return (from.displayName ?? this.knownName(from.user_id) ?? 'Someone').slice(0, 64);
  }

  /** The ring's group, if both the caller and this user are in it (asked of the server). */
  private async sharedGroup(claimed: unknown, caller: string): Promise<string | undefined> {
    if (typeof claimed !== 'string' || claimed.length > 64) return undefined;
    const state = this.chat.getState();
    if (!state.conversations.has(groupKey(claimed)) || !state.accountId) return undefined;
    try {
      const { list } = await this.chat.invoke('groups:members', {
        accountId: state.accountId,
        group: claimed,
      });
      return list.some((u) => u.user_id === caller) ? claimed : undefined;
    } catch {
      return undefined;
    }
  }

  private async ring(
    others: { userId: string; name: string }[],
    video: boolean,
    group?: string,
  ): Promise<void> {
    if (this.busy()) return;
    const callId = `call-${crypto.randomUUID()}`;
    this.callee =
      !group && others.length === 1
        ? { userId: others[0]!.userId, video, answered: false }
        : undefined;
    this.set({
      ...IDLE,
      state: { phase: 'outgoing' },
      callId,
      ...(group ? { group } : {}),
      participants: others.map((o) => ({ ...o, phase: 'ringing' })),
      video,
    });
    void loadPeer();
    // Ring at once, and open the camera and microphone meanwhile (the first open takes a while).
    const media = this.openMedia(video);
    this.opening = media;
    this.after(CALL_TIMEOUTS.ringingMs, () => {
      for (const p of this.view.participants.filter((q) => q.phase === 'ringing')) {
        void this.send({ user: p.userId }, { kind: 'cancel', timedOut: true }).catch(
          () => undefined,
        );
        this.leave(p.userId, 'no answer');
      }
    });
    const name = this.chat.me?.displayName ?? 'Someone';
    const rung = await Promise.allSettled(
      others.map((o) =>
        this.send({ user: o.userId }, { kind: 'ring', video, name, ...(group ? { group } : {}) }),
      ),
    );
    rung.forEach((r, i) => {
      if (r.status === 'fulfilled' || !this.isCurrent(callId)) return;
      const err: unknown = r.reason;
      // Offline and invisible get the same answer from the server: "offline".
      const offline = err instanceof ActionError && err.code === 'NOT_FOUND';
      this.leave(others[i]!.userId, offline ? 'offline' : 'failed');
    });
    const local = await media;
    if (this.view.callId !== callId) {
      for (const t of local?.getTracks() ?? []) t.stop();
      return;
    }
    if (!local) return; // the media error ended the call (and told everyone ringing)
    this.set({ local });
  }

  /** Connects to one other person; `initiator` makes the offer. */
  private link(userId: string, cid: string, initiator: boolean, local: MediaStream): void {
    const callId = this.view.callId!;
    const link: Link = { userId, joined: false };
    this.links.set(cid, link);
    this.linkTimer(cid, CALL_TIMEOUTS.connectingMs, 'the connection could not be made');
    void this.openLink(callId, cid, link, initiator, local);
  }

  private async openLink(
    callId: string,
    cid: string,
    link: Link,
    initiator: boolean,
    local: MediaStream,
  ): Promise<void> {
    const accountId = this.chat.getState().accountId!;
    const [{ createPeer }, ice] = await Promise.all([
      loadPeer(),
      this.chat
        .invoke('calls:ice', { accountId })
        .catch(() => ({ iceServers: [], relayOnly: false })),
    ]);
    if (this.view.callId !== callId || this.links.get(cid) !== link) return;
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
    const live = () => this.view.callId === callId && this.links.get(cid) === link;
    const peer = createPeer({
      initiator,
      stream: local,
      // With no ICE servers, host candidates alone: a LAN or one machine.
      iceServers: ice.iceServers,
      relayOnly: ice.relayOnly,
      on: {
        signal: (data) => {
          if (live()) void this.send({ cid }, { kind: 'sdp', data }).catch(() => undefined);
        },
        remoteStream: (remote) => {
          if (live()) this.patchParticipant(link.userId, { remote });
        },
        state: (s) => {
          if (!live()) return;
          if (s === 'connected') {
            this.clearLinkTimer(link);
            if (!link.joined) this.joined(link, peer);
            this.patchParticipant(link.userId, { phase: 'connected' });
            // Whoever joins learns that our camera is off (it is on unless said).
            if (this.view.cameraOff && this.view.video) {
              void this.send({ cid: cid }, { kind: 'media', cameraOff: true }).catch(
                () => undefined,
              );
            }
          } else if (s === 'reconnecting') {
            this.patchParticipant(link.userId, { phase: 'reconnecting' });
            if (!link.timer) {
              this.linkTimer(
                cid,
                CALL_TIMEOUTS.reconnectingMs,
                'the network dropped and did not come back',
              );
            }
          } else {
            this.dropLink(cid, 'the connection failed');
          }
        },
        closed: (reason) => {
          // The other side's "hangup" usually explains a closing connection; it travels through
          // the server and may land a moment after the connection noticed: wait for it briefly.
          setTimeout(() => {
            if (!live()) return;
            if (reason) this.dropLink(cid, reason);
            else
              this.leave(link.userId, this.view.group ? 'everyone left' : 'the other side hung up');
          }, CLOSE_GRACE_MS);
        },
      },
    });
    link.peer = peer;
    for (const data of this.early.get(cid) ?? []) peer.signal(data);
    this.early.delete(cid);
    this.earlyUser.delete(cid);
    const name = this.view.participants.find((p) => p.userId === link.userId)?.name ?? 'them';
    link.files = new FileTransfers(peer.channel('file-transfer'), (list) => {
      this.transferLists.set(cid, { name, list });
      this.set({
        transfers: [...this.transferLists.values()].flatMap((t) =>
          t.list.map((x) => ({ ...x, with: t.name })),
        ),
      });
    });
    peer.channel('text-chat').addEventListener('message', (e: MessageEvent) => {
      try {
        const { text } = JSON.parse(String(e.data)) as { text: unknown };
        if (typeof text === 'string' && text.length <= 4000) {
          this.set({
            chat: [...this.view.chat, { mine: false, from: name, text, ts: Date.now() }],
          });
        }
      } catch {
        // not ours: ignored
      }
    });
  }

  /** A connection is up for the first time: it gets the call's current mute and screen. */
  private joined(link: Link, peer: Peer): void {
    link.joined = true;
    if (this.view.muted) peer.setSending('audio', false);
    if (this.view.cameraOff) peer.setSending('video', false);
    const screen = this.view.screen?.getVideoTracks()[0];
    if (screen) void peer.shareScreen(screen).catch(() => undefined);
  }

  /** The connection to one person failed: they are told, and they leave the call. */
  private dropLink(cid: string, detail: string): void {
    const link = this.links.get(cid);
    if (!link) return;
    void this.send({ cid }, { kind: 'hangup', failed: true }).catch(() => undefined);
    this.leave(link.userId, 'failed', detail);
  }

  /**
   * Someone is no longer in the call (or will not be). When no one else is left, the call ends
   * here with that reason.
   */
  private leave(userId: string, reason: EndReason, detail?: string): void {
    const p = this.view.participants.find((q) => q.userId === userId);
    if (!p || this.view.state.phase === 'ended') return;
    if (p.cid) this.closeLink(p.cid);
    const participants = this.view.participants.filter((q) => q !== p);
    if (participants.length === 0) {
      this.end(reason, detail, false);
      return;
    }
    this.set({
      participants,
      state: { phase: this.overallPhase(participants) },
      notice: leaving(p.name, reason, detail),
    });
  }

  private closeLink(cid: string): void {
    const link = this.links.get(cid);
    this.early.delete(cid);
    this.earlyUser.delete(cid);
    if (!link) return;
    this.clearLinkTimer(link);
    link.peer?.close();
    this.links.delete(cid);
  }

  private patchParticipant(userId: string, patch: Partial<Participant>): void {
    const participants = this.view.participants.map((p) =>
      p.userId === userId ? { ...p, ...patch } : p,
    );
    const phase = this.overallPhase(participants);
    this.set({
      participants,
      state: { phase },
      ...(phase === 'connected' && this.view.connectedAt === undefined
        ? { connectedAt: Date.now() }
        : {}),
    });
  }

  /** The call is connected while anyone is; otherwise its least advanced hope. */
  private overallPhase(
    participants: Participant[],
  ): 'outgoing' | 'connecting' | 'connected' | 'reconnecting' {
    const phases = new Set(participants.map((p) => p.phase));
    if (phases.has('connected')) return 'connected';
    if (phases.has('reconnecting')) return 'reconnecting';
    if (phases.has('connecting')) return 'connecting';
    return 'outgoing';
  }

  private linkOf(userId?: string): Link | undefined {
    const links = [...this.links.values()];
    return userId ? links.find((l) => l.userId === userId) : links[0];
  }

  private linkTimer(cid: string, ms: number, detail: string): void {
    const link = this.links.get(cid);
    if (!link) return;
    this.clearLinkTimer(link);
    link.timer = setTimeout(() => {
      link.timer = undefined;
      this.dropLink(cid, detail);
    }, ms);
  }

  private clearLinkTimer(link: Link): void {
    clearTimeout(link.timer);
    link.timer = undefined;
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
    return this.chat.invoke('rtc:signal', { accountId, ...to, callId, signal });
  }

  private isCurrent(callId: string): boolean {
    return this.view.callId === callId && this.view.state.phase !== 'ended';
  }

  private busy(): boolean {
    const p = this.view.state.phase;
    return p !== 'idle' && p !== 'ended';
  }

  /**
   * Ends the call here. Our own failure (`tell`) is told to everyone: those ringing stop, those
   * in the call hear that we could not go on.
   */
  private end(reason: EndReason, detail?: string, tell = true): void {
    const { participants } = this.view;
    this.recordMissed(reason);
    const ourFailure = ['failed', 'no camera or microphone', 'permission denied'].includes(reason);
    if (tell && ourFailure) {
      for (const p of participants) {
        if (p.phase === 'ringing') {
          void this.send({ user: p.userId }, { kind: 'cancel' }).catch(() => undefined);
        } else if (p.cid) {
          void this.send({ cid: p.cid }, { kind: 'hangup', failed: true }).catch(() => undefined);
        }
      }
    }
    this.teardown();
    this.set({ state: { phase: 'ended', reason, ...(detail ? { detail } : {}) } });
    void this.chat.invoke('calls:keepAwake', { on: false }).catch(() => undefined);
    this.after(CALL_TIMEOUTS.endedShownMs, () => this.reset());
  }

  /**
   * A 1:1 call we made that no one answered stays in the dm as a "missed call" message, where the
   * other person finds it (and can call back). Declined calls are not recorded: they chose.
   */
  private recordMissed(reason: EndReason): void {
    const callee = this.callee;
    this.callee = undefined;
    if (!callee || callee.answered) return;
    if (!['no answer', 'cancelled', 'offline', 'busy'].includes(reason)) return;
    void this.chat.messages.postCallRecord(callee.userId, { missed: true, video: callee.video });
  }

  private reset(): void {
    this.teardown();
    for (const t of this.view.transfers) if (t.url) URL.revokeObjectURL(t.url);
    this.transferLists.clear();
    this.view = IDLE;
    this.emit();
  }

  private teardown(): void {
    this.clearTimer();
    for (const cid of [...this.links.keys()]) this.closeLink(cid);
    this.early.clear();
    this.earlyUser.clear();
    // Received files stay downloadable until the call panel is closed (reset).
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
      void this.chat.invoke('calls:keepAwake', { on: true }).catch(() => undefined);
    }
    this.emit();
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** What the others see when one person of a group call goes, in their words. */
function leaving(name: string, reason: EndReason, detail?: string): string {
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
