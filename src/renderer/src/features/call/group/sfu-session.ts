// One person's side of a group call through the server's SFU: joins the call, publishes our
// media, keeps the subscription in step with who is in the call and publishing, asks for each
// person's video in the layer their tile needs (or none, off screen), follows who is talking,
// and starts over on another SFU when the server says the call moved. No DOM beyond WebRTC and
// MediaStream, no React, no bridge: the app and the tests' publisher pages both run it.
import type { SfuEventData, SfuFeed } from '../../../../../shared/sfu-protocol';
import { Publisher, Subscription, type SfuPort } from './sfu-links';
import { bytesSent, receivedByFeed } from './sfu-stats';

/** What a tile needs of someone's video: the large layer, the small one, or nothing. */
export type Quality = 'high' | 'low' | 'off';

/** Layer requests the SFU refused are asked for again, this often and this many times in a row. */
const CONFIGURE_RETRY_MS = 300;
const CONFIGURE_RETRIES = 10;

/** How long a tile is out of sight before its picture is no longer sent. */
const OFF_AFTER_MS = 500;

/** Tries to get a failed call back (the network changed) before giving up, 2 s apart. */
const RECOVERY_TRIES = 10;
const RECOVERY_PAUSE_MS = 2_000;

export interface SfuSessionView {
  phase: 'joining' | 'connected' | 'reconnecting' | 'ended';
  callId?: string;
  group: string;
  startedAt?: number;
  /** Everyone in the call, us included (`self`), in the order the server lists them. */
  feeds: SfuFeed[];
  /** Each other person's camera and microphone, by feed. */
  remotes: ReadonlyMap<number, MediaStream>;
  /** Each other person's shared screen, by feed. */
  screens: ReadonlyMap<number, MediaStream>;
  /** Who is talking now (feeds). */
  talking: ReadonlySet<number>;
  /** The last other person who started talking: the speaker view's big tile. */
  speaker?: number;
  endReason?: string;
}

export interface SfuSessionOptions {
  group: string;
  /** A running call to join; without it, the group's running call or a new one. */
  callId?: string;
  video: boolean;
  local: MediaStream;
  iceServers: RTCIceServer[];
  simulcast?: boolean;
  onChange(view: SfuSessionView): void;
}

export class SfuSession {
  private view: SfuSessionView;
  private publisher: Publisher | undefined;
  private subscription: Subscription | undefined;
  private readonly remotes = new Map<number, MediaStream>();
  private readonly screens = new Map<number, MediaStream>();
  private readonly wanted = new Map<number, Quality>();
  private configureFailures = 0;
  /** Tiles gone out of sight, each stopped once OFF_AFTER_MS has passed. */
  private readonly goingOff = new Map<number, ReturnType<typeof setTimeout>>();
  /** What the SFU was last asked to send, by subscription mid. */
  private readonly applied = new Map<string, Quality>();
  private screenTrack: MediaStreamTrack | null = null;
  /** A recovery under way (connections failed): one at a time. */
  private recovering = false;
  /** Subscription changes, one at a time, each from the latest list of who is in the call. */
  private following: Promise<void> = Promise.resolve();

  constructor(
    private readonly port: SfuPort,
    private readonly o: SfuSessionOptions,
  ) {
    this.view = {
      phase: 'joining',
      group: o.group,
      feeds: [],
      remotes: this.remotes,
      screens: this.screens,
      talking: new Set(),
    };
  }

  get callId(): string | undefined {
    return this.view.callId;
  }

  current(): SfuSessionView {
    return this.view;
  }

  /** Joins and publishes; rejects with the server's coded error (full, no SFU, not a member). */
  async join(): Promise<void> {
    const joined = await this.port.request('join', {
      group: this.o.group,
      video: this.o.video,
      ...(this.o.callId ? { callId: this.o.callId } : {}),
    });
    this.patch({ callId: joined.callId, startedAt: joined.startedAt, feeds: joined.feeds });
    await this.connect();
  }

  /** The server's news of this call (`sfu:event`). */
  event(data: SfuEventData): void {
    if (data.callId !== this.view.callId || this.view.phase === 'ended') return;
    switch (data.kind) {
      case 'feeds':
        this.patch({ feeds: data.feeds });
        // A screen's mid may be named after its track arrived: sort the tracks again.
        this.readTracks();
        void this.follow();
        return;
      case 'talking': {
        const talking = new Set(this.view.talking);
        if (data.talking) talking.add(data.feed);
        else talking.delete(data.feed);
        const self = this.view.feeds.find((f) => f.self)?.feed;
        const speaker = data.talking && data.feed !== self ? data.feed : this.view.speaker;
        this.patch({ talking, ...(speaker !== undefined ? { speaker } : {}) });
        return;
      }
      case 'reconnecting':
        this.patch({ phase: 'reconnecting' });
        return;
      case 'moved':
        this.patch({ feeds: data.feeds, phase: 'reconnecting' });
        void this.connect().catch((err: unknown) => this.end(errorText(err)));
        return;
      case 'ended':
        this.end(data.reason);
        return;
    }
  }

  /** What someone's tile needs; the SFU is asked for that layer (or to stop sending). */
  setQuality(feed: number, quality: Quality): void {
    clearTimeout(this.goingOff.get(feed));
    this.goingOff.delete(feed);
    if (quality === 'off') {
      // A tile moving between the grid and the large place unmounts and mounts again: its
      // picture is stopped only if it stays out of sight, not paused and resumed in a blink.
      this.goingOff.set(
        feed,
        setTimeout(() => {
          this.goingOff.delete(feed);
          this.want(feed, 'off');
        }, OFF_AFTER_MS),
      );
      return;
    }
    this.want(feed, quality);
  }

  private want(feed: number, quality: Quality): void {
    if (this.wanted.get(feed) === quality) return;
    this.wanted.set(feed, quality);
    void this.applyQualities();
  }

  setMuted(muted: boolean): void {
    this.publisher?.setSending('audio', !muted);
    this.state({ micOff: muted });
  }

  setCameraOff(off: boolean): void {
    this.publisher?.setSending('video', !off);
    this.state({ cameraOff: off });
  }

  setHand(up: boolean): void {
    this.state({ hand: up });
  }

  /** Shares a screen (its own stream, shown large to everyone); null stops. */
  async shareScreen(track: MediaStreamTrack | null): Promise<void> {
    this.screenTrack = track;
    const mid = (await this.publisher?.shareScreen(track)) ?? null;
    this.state({ screenMid: mid });
  }

  leave(): void {
    const { callId } = this.view;
    if (callId && this.view.phase !== 'ended') {
      void this.port.request('leave', { callId }).catch(() => undefined);
    }
    this.end();
  }

  private end(reason?: string): void {
    for (const timer of this.goingOff.values()) clearTimeout(timer);
    this.goingOff.clear();
    this.publisher?.close();
    this.subscription?.close();
    this.publisher = undefined;
    this.subscription = undefined;
    this.patch({ phase: 'ended', ...(reason ? { endReason: reason } : {}) });
  }

  /** Publishes anew and subscribes to everyone: on joining, and after the call moved. */
  private async connect(): Promise<void> {
    const callId = this.view.callId!;
    this.publisher?.close();
    this.subscription?.close();
    this.applied.clear();
    this.remotes.clear();
    this.screens.clear();
    const simulcast = this.o.simulcast ?? true;
    this.publisher = new Publisher(this.port, callId, this.o.iceServers, this.o.local, simulcast);
    this.subscription = new Subscription(this.port, callId, this.o.iceServers, () =>
      this.readTracks(),
    );
    for (const link of [this.publisher, this.subscription]) {
      const pc = link.pc;
      // ICE gave up (the network changed under the call): enter again and connect anew.
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'failed' && link.pc === pc) void this.recover();
      });
    }
    const self = this.view.feeds.find((f) => f.self);
    if (self?.micOff) this.publisher.setSending('audio', false);
    if (self?.cameraOff) this.publisher.setSending('video', false);
    await this.publisher.publish();
    if (this.screenTrack) await this.shareScreen(this.screenTrack);
    await this.follow();
    this.patch({ phase: 'connected' });
  }

  /**
   * Gets the call back after our connections to the SFU failed: the server lets us enter again
   * (same feed) and we publish and subscribe anew; tried RECOVERY_TRIES times (the network may
   * take a while to come back), then the call ends with the reason.
   */
  async recover(): Promise<void> {
    const callId = this.view.callId;
    if (!callId || this.recovering || this.view.phase === 'ended') return;
    this.recovering = true;
    this.patch({ phase: 'reconnecting' });
    try {
      // (The call may end meanwhile: the person left, or the server ended it.)
      for (let attempt = 1; !this.isEnded(); attempt++) {
        try {
          const { feeds } = await this.port.request('rejoin', { callId });
          this.patch({ feeds });
          await this.connect();
          return;
        } catch (err) {
          if (attempt >= RECOVERY_TRIES) {
            this.end(`the call could not reconnect (${errorText(err)})`);
            return;
          }
          await new Promise((r) => setTimeout(r, RECOVERY_PAUSE_MS));
        }
      }
    } finally {
      this.recovering = false;
    }
  }

  private isEnded(): boolean {
    return this.view.phase === 'ended';
  }

  /** Frames decoded and bytes received of each other person's video so far, by feed. */
  receiving(): Promise<Map<number, { framesDecoded: number; bytes: number }>> {
    return this.subscription ? receivedByFeed(this.subscription) : Promise.resolve(new Map());
  }

  /** Bytes sent so far by our publishing connection (the benchmark's upload). */
  sent(): Promise<number> {
    return this.publisher ? bytesSent(this.publisher.pc) : Promise.resolve(0);
  }

  private follow(): Promise<void> {
    this.following = this.following.then(() => this.followNow()).catch(() => undefined);
    return this.following;
  }

  /** Subscribes to streams that appeared and drops those that went. */
  private async followNow(): Promise<void> {
    const feeds = this.view.feeds;
    const sub = this.subscription;
    if (!sub) return;
    const want = new Set<string>();
    const add: { feed: number; mid: string }[] = [];
    for (const f of feeds) {
      if (f.self) continue;
      for (const s of f.streams) want.add(`${f.feed}/${s.mid}`);
    }
    const have = new Set([...sub.layout().values()].map((s) => `${s.feed}/${s.feedMid}`));
    for (const key of want) {
      if (!have.has(key)) add.push(splitKey(key));
    }
    const remove = [...have].filter((k) => !want.has(k)).map(splitKey);
    try {
      await sub.change(add, remove);
    } catch {
      // A feed that left between the event and the request: the next event puts it right.
      return;
    }
    for (const feed of this.remotes.keys()) {
      if (!feeds.some((f) => f.feed === feed)) this.wanted.delete(feed);
    }
    await this.applyQualities();
  }

  /** Sorts received tracks into each person's camera stream and screen stream. */
  private readTracks(): void {
    const sub = this.subscription;
    if (!sub) return;
    const screens = new Map(this.view.feeds.map((f) => [f.feed, f.screenMid]));
    const camera = new Map<number, MediaStreamTrack[]>();
    const screen = new Map<number, MediaStreamTrack[]>();
    for (const { feed, feedMid, track } of sub.tracks()) {
      const into = screens.get(feed) === feedMid ? screen : camera;
      into.set(feed, [...(into.get(feed) ?? []), track]);
    }
    syncStreams(this.remotes, camera);
    syncStreams(this.screens, screen);
    this.patch({});
  }

  private async applyQualities(): Promise<void> {
    const sub = this.subscription;
    if (!sub) return;
    const changes: { mid: string; send?: boolean; substream?: number }[] = [];
    for (const [mid, s] of sub.layout()) {
      if (s.type !== 'video') continue;
      const feed = this.view.feeds.find((f) => f.feed === s.feed);
      // A screen is always wanted large; a camera as its tile says (small until it says).
      const quality: Quality =
        feed?.screenMid === s.feedMid ? 'high' : (this.wanted.get(s.feed) ?? 'low');
      if (this.applied.get(mid) === quality) continue;
      this.applied.set(mid, quality);
      // The top layer is the highest the publisher sends: the SFU moves only to a layer that
      // arrives, so asking for one that is never sent would leave the tile where it was.
      const layers = feed?.streams.find((x) => x.mid === s.feedMid)?.layers ?? 3;
      changes.push(
        quality === 'off'
          ? { mid, send: false }
          : { mid, send: true, substream: quality === 'high' ? layers - 1 : 0 },
      );
    }
    try {
      await sub.configure(changes);
      this.configureFailures = 0;
    } catch {
      // Refused or lost (the SFU was renegotiating this subscription, say): these layers were
      // not set, so they are asked for again shortly, a bounded number of times in a row.
      if (this.subscription !== sub) return;
      for (const c of changes) this.applied.delete(c.mid);
      if (++this.configureFailures > CONFIGURE_RETRIES) return;
      setTimeout(() => void this.applyQualities(), CONFIGURE_RETRY_MS);
    }
  }

  private state(change: Record<string, unknown>): void {
    const { callId } = this.view;
    if (!callId) return;
    void this.port.request('state', { callId, ...change }).catch(() => undefined);
  }

  private patch(change: Partial<SfuSessionView>): void {
    this.view = { ...this.view, ...change };
    this.o.onChange(this.view);
  }
}

/** Keeps one MediaStream per feed (video elements keep theirs) with exactly these tracks. */
function syncStreams(streams: Map<number, MediaStream>, tracks: Map<number, MediaStreamTrack[]>) {
  for (const [feed, stream] of streams) {
    if (!tracks.has(feed)) streams.delete(feed);
    else
      for (const t of stream.getTracks()) if (!tracks.get(feed)!.includes(t)) stream.removeTrack(t);
  }
  for (const [feed, list] of tracks) {
    const stream = streams.get(feed) ?? new MediaStream();
    for (const t of list) if (!stream.getTracks().includes(t)) stream.addTrack(t);
    streams.set(feed, stream);
  }
}

function splitKey(key: string): { feed: number; mid: string } {
  const at = key.indexOf('/');
  return { feed: Number(key.slice(0, at)), mid: key.slice(at + 1) };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
