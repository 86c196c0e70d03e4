// One call's room on one Janus instance, and the Janus handles of the people in it. Everything
// here speaks Janus's VideoRoom API (rooms created with a random number and secret, publishers
// joined with ids this server picks, subscriptions that must carry the publisher's private id);
// sfu-calls.ts decides who may ask for what.
import { randomBytes, randomInt } from 'node:crypto';
import type { SfuCallState, SfuEventData, SfuFeed } from '../../shared/protocol.js';
import type { Jsep, PluginData } from './janus-client.js';
import type { SfuInstance } from './sfu-pool.js';

/** Video a publisher may send at most (bits/s): a grid tile needs far less, a speaker no more. */
const PUBLISHER_BITRATE = 1_024_000;

export interface PublishedStream {
  mid: string;
  type: 'audio' | 'video';
  simulcast: boolean;
  /** Simulcast layers the publisher offered (`a=rid` lines): the highest one a subscriber asks for. */
  layers: number;
}

export interface Participant {
  readonly cid: string;
  readonly userId: string;
  readonly displayName: string;
  /** Their publisher id in the room: picked by this server, the same after a move. */
  readonly feed: number;
  publisher?: number;
  privateId?: number;
  subscriber?: number;
  streams: PublishedStream[];
  /**
   * Their media reached the SFU (Janus's `webrtcup`): only then can others subscribe to it
   * (Janus answers "No such feed" before), so only then are their streams listed.
   */
  up: boolean;
  /** Their subscription's streams by mid: whose stream each is. */
  subscribed: Map<string, { feed: number; feedMid: string; type: string }>;
  media: { micOff: boolean; cameraOff: boolean; hand: boolean; screenMid: string | null };
}

export interface CallRoomOptions {
  callId: string;
  group: string;
  video: boolean;
  startedAt: number;
  startedBy: { userId: string; displayName: string };
  tell(cid: string, data: SfuEventData): void;
}

export class CallRoom {
  readonly callId: string;
  readonly group: string;
  readonly startedAt: number;
  readonly participants = new Map<string, Participant>();
  instance: SfuInstance | undefined;
  /** The most people in the call at once (its line says so when it ends). */
  peak = 0;
  /** The call's line in the conversation, once stored (its message id). */
  line: Promise<string | undefined> | undefined;
  private roomId = 0;
  private secret = '';

  get video(): boolean {
    return this.o.video;
  }

  constructor(private readonly o: CallRoomOptions) {
    this.callId = o.callId;
    this.group = o.group;
    this.startedAt = o.startedAt;
  }

  /** Creates the room on an instance: private, subscriptions tied to a publisher, levels on. */
  async createOn(instance: SfuInstance): Promise<void> {
    const conn = instance.connection;
    if (!conn || instance.adminHandle === undefined) throw new Error('that call server is down');
    this.roomId = randomInt(1, 2 ** 48);
    this.secret = randomBytes(18).toString('base64url');
    await conn.request(instance.adminHandle, {
      request: 'create',
      admin_key: instance.apiSecret,
      room: this.roomId,
      secret: this.secret,
      is_private: true,
      permanent: false,
      require_pvtid: true,
      publishers: 25,
      bitrate: PUBLISHER_BITRATE,
      videocodec: 'vp8',
      audiocodec: 'opus',
      audiolevel_event: true,
      audio_active_packets: 25,
      audio_level_average: 40,
      // A keyframe asked of every publisher every 2 s: a subscriber switching to a smaller
      // layer waits for one on that layer, and a request may reach another layer only.
      fir_freq: 2,
    });
    this.instance = instance;
  }

  add(who: { cid: string; userId: string; displayName: string }, feed: number): Participant {
    const p: Participant = {
      ...who,
      feed,
      streams: [],
      up: false,
      subscribed: new Map(),
      media: { micOff: false, cameraOff: false, hand: false, screenMid: null },
    };
    this.participants.set(who.cid, p);
    return p;
  }

  byFeed(feed: number): Participant | undefined {
    for (const p of this.participants.values()) if (p.feed === feed) return p;
    return undefined;
  }

  /** Joins the room as a publisher (not yet sending): their handle hears the room's news. */
  async enter(p: Participant): Promise<void> {
    const instance = this.live();
    const handle = await instance.connection!.attach();
    p.publisher = handle;
    instance.owners.set(handle, {
      event: (data) => this.publisherEvent(p, data),
      news: (kind) => this.publisherNews(p, kind),
    });
    instance.load += 1;
    const { data } = await instance.connection!.message(handle, {
      request: 'join',
      ptype: 'publisher',
      room: this.roomId,
      id: p.feed,
      display: p.cid,
    });
    p.privateId = Number(data.private_id);
  }

  /** Sends the publisher's offer; answers Janus's answer and learns their streams. */
  async publish(p: Participant, offer: Jsep): Promise<Jsep> {
    const instance = this.live();
    const { data, jsep } = await instance.connection!.message(
      p.publisher!,
      { request: p.streams.length > 0 ? 'configure' : 'publish' },
      offer,
    );
    if (!jsep || jsep.type !== 'answer') throw new Error('Janus gave no answer to the offer');
    // A renegotiation's answer may leave the list out: the streams stay as they were then.
    if (Array.isArray(data.streams)) p.streams = readStreams(data.streams, ridsByMid(offer.sdp));
    return jsep;
  }

  /** Creates the subscription on first use, updates it after; Janus's offer comes back. */
  async subscribe(
    p: Participant,
    add: { feed: number; mid: string }[],
    remove: { feed: number; mid?: string }[],
  ): Promise<{ jsep?: Jsep; streams: SfuEventStreams }> {
    const instance = this.live();
    const conn = instance.connection!;
    let answer: { data: PluginData; jsep?: Jsep };
    if (p.subscriber === undefined) {
      if (add.length === 0) return { streams: [] };
      const handle = await conn.attach();
      instance.owners.set(handle, { event: () => undefined, news: () => undefined });
      try {
        answer = await conn.message(handle, {
          request: 'join',
          ptype: 'subscriber',
          room: this.roomId,
          private_id: p.privateId,
          autoupdate: false,
          streams: add,
        });
      } catch (err) {
        // Not a subscription yet: the next try starts from a fresh handle.
        instance.owners.delete(handle);
        conn.detach(handle).catch(() => undefined);
        throw err;
      }
      p.subscriber = handle;
    } else {
      answer = await conn.message(p.subscriber, {
        request: 'update',
        ...(add.length ? { subscribe: add } : {}),
        ...(remove.length ? { unsubscribe: remove } : {}),
      });
    }
    if (Array.isArray(answer.data.streams)) {
      p.subscribed = new Map();
      for (const s of answer.data.streams as Record<string, unknown>[]) {
        if (typeof s.feed_id !== 'number' || typeof s.mid !== 'string') continue;
        p.subscribed.set(s.mid, {
          feed: s.feed_id,
          feedMid: String(s.feed_mid),
          type: String(s.type),
        });
      }
    }
    const streams = [...p.subscribed].map(([mid, s]) => ({ mid, ...s }));
    return { ...(answer.jsep ? { jsep: answer.jsep } : {}), streams };
  }

  async startSubscription(p: Participant, answer: Jsep): Promise<void> {
    if (p.subscriber === undefined) throw new Error('there is no subscription to answer');
    await this.live().connection!.message(p.subscriber, { request: 'start' }, answer);
  }

  async configureSubscription(
    p: Participant,
    streams: { mid: string; send?: boolean; substream?: number }[],
  ): Promise<void> {
    if (p.subscriber === undefined) throw new Error('there is no subscription');
    await this.live().connection!.message(p.subscriber, { request: 'configure', streams });
  }

  async trickle(
    p: Participant,
    target: 'publisher' | 'subscriber',
    candidate: Record<string, unknown> | null,
  ): Promise<void> {
    const handle = target === 'publisher' ? p.publisher : p.subscriber;
    if (handle === undefined) throw new Error(`there is no ${target} connection yet`);
    await this.live().connection!.trickle(handle, candidate);
  }

  /** Takes someone out: their handles go (Janus tells the others their feed unpublished). */
  remove(p: Participant): void {
    this.participants.delete(p.cid);
    const instance = this.instance;
    if (!instance?.connection) return;
    instance.load = Math.max(0, instance.load - 1);
    for (const handle of [p.publisher, p.subscriber]) {
      if (handle === undefined) continue;
      instance.owners.delete(handle);
      instance.connection.detach(handle).catch(() => undefined);
    }
  }

  async destroy(): Promise<void> {
    const instance = this.instance;
    if (!instance?.connection || instance.adminHandle === undefined) return;
    await instance.connection
      .request(instance.adminHandle, {
        request: 'destroy',
        room: this.roomId,
        secret: this.secret,
      })
      .catch(() => undefined);
  }

  /** The instance died: the room is made again on `target`, and everyone enters it anew. */
  async moveTo(target: SfuInstance): Promise<void> {
    await this.createOn(target);
    await Promise.all(
      [...this.participants.values()].map((p) => {
        forgetHandles(p);
        return this.enter(p);
      }),
    );
  }

  /**
   * Someone's connections to the SFU failed (their network changed): their handles go, and
   * they enter again with the same feed, to publish and subscribe anew.
   */
  async reenter(p: Participant): Promise<void> {
    const instance = this.live();
    for (const handle of [p.publisher, p.subscriber]) {
      if (handle === undefined) continue;
      instance.owners.delete(handle);
      await instance.connection!.detach(handle).catch(() => undefined);
    }
    instance.load = Math.max(0, instance.load - 1);
    forgetHandles(p);
    // Janus lets the feed's id go as the old handle leaves: a few tries, 100 ms apart.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.enter(p);
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        instance.load = Math.max(0, instance.load - 1);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Everyone in the call as `viewer` sees them (their own feed included, marked). */
  feeds(viewer?: Participant): SfuFeed[] {
    return [...this.participants.values()].map((p) => ({
      feed: p.feed,
      user_id: p.userId,
      displayName: p.displayName,
      streams: p.up
        ? p.streams.map((s) => ({
            mid: s.mid,
            type: s.type,
            simulcast: s.simulcast,
            layers: s.layers,
          }))
        : [],
      micOff: p.media.micOff,
      cameraOff: p.media.cameraOff,
      hand: p.media.hand,
      ...(p.media.screenMid ? { screenMid: p.media.screenMid } : {}),
      ...(p === viewer ? { self: true } : {}),
    }));
  }

  state(): SfuCallState {
    return {
      group: this.group,
      callId: this.callId,
      count: this.participants.size,
      startedAt: this.startedAt,
      video: this.o.video,
      startedBy: { user_id: this.o.startedBy.userId, displayName: this.o.startedBy.displayName },
    };
  }

  /** Tells everyone in the call who is in it now, each from their own view. */
  tellFeeds(): void {
    for (const p of this.participants.values()) {
      this.o.tell(p.cid, { callId: this.callId, kind: 'feeds', feeds: this.feeds(p) });
    }
  }

  private live(): SfuInstance {
    const instance = this.instance;
    if (!instance?.connection) throw new Error('the call server is down');
    return instance;
  }

  /** Janus's news of a publisher's connection: media up (others may subscribe) or gone. */
  private publisherNews(p: Participant, kind: string): void {
    const up = kind === 'webrtcup' ? true : kind === 'hangup' ? false : p.up;
    if (up === p.up) return;
    p.up = up;
    this.tellFeeds();
  }

  /** Room news on a publisher's handle: who talks, whose feed went. */
  private publisherEvent(p: Participant, data: PluginData): void {
    if (data.videoroom === 'talking' || data.videoroom === 'stopped-talking') {
      const feed = Number(data.id);
      this.o.tell(p.cid, {
        callId: this.callId,
        kind: 'talking',
        feed,
        talking: data.videoroom === 'talking',
      });
      return;
    }
    const gone = data.unpublished;
    if (typeof gone === 'number') {
      const owner = this.byFeed(gone);
      if (owner && owner.streams.length > 0) {
        owner.streams = [];
        this.tellFeeds();
      }
    }
  }
}

/** A participant's Janus side, forgotten (a move or a re-entry makes it again). */
function forgetHandles(p: Participant): void {
  p.publisher = undefined;
  p.subscriber = undefined;
  p.privateId = undefined;
  p.streams = [];
  p.up = false;
  p.subscribed = new Map();
}

type SfuEventStreams = { mid: string; feed: number; feedMid: string; type: string }[];

/** How many simulcast layers each m-line of an offer sends (its `a=rid:… send` lines). */
function ridsByMid(sdp: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    const mid = /\r?\na=mid:(\S+)/.exec(section)?.[1];
    if (mid !== undefined) out.set(mid, section.match(/\r?\na=rid:\S+ send/g)?.length ?? 0);
  }
  return out;
}

function readStreams(raw: unknown, rids: Map<string, number>): PublishedStream[] {
  if (!Array.isArray(raw)) return [];
  const out: PublishedStream[] = [];
  for (const s of raw as Record<string, unknown>[]) {
    if ((s.type !== 'audio' && s.type !== 'video') || typeof s.mid !== 'string' || s.disabled) {
      continue;
    }
    out.push({
      mid: s.mid,
      type: s.type,
      simulcast: s.simulcast === true,
      layers: Math.max(1, Math.min(3, rids.get(s.mid) ?? 1)),
    });
  }
  return out;
}
