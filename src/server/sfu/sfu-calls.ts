// Group calls on Janus's VideoRoom: one room per call, on the least-loaded instance, with a random
// secret that never leaves this server. Each person in a call has a publisher handle (their own
// media) and at most one subscriber handle (everyone else's, multistream). Clients name only
// their call, feeds of that call and mids of their own subscription; everything Janus-side
// (room numbers, secrets, handles, private ids) stays here. When an instance dies its calls are
// made again on another one and every participant is told to publish and subscribe anew.
import { randomBytes, randomInt } from 'node:crypto';
import type { SfuCallState, SfuEventData, SfuFeed, SfuStream } from '../../shared/protocol.js';
import { ErrorCode } from '../../shared/protocol.js';
import { HubError } from '../hub/types.js';
import { refusedBy, StartBudget, unavailable } from './sfu-limits.js';
import type { Jsep } from './janus-client.js';
import { SfuPool, type SfuEndpoint, type SfuInstance } from './sfu-pool.js';
import { CallRoom, type Participant } from './sfu-room.js';

/** The most people in one call: the grid's 25 tiles. */
export const MAX_SFU_CALL = 25;

export interface SfuCallsPorts {
  /** An `sfu:event` to one connection. */
  toConnection(cid: string, data: SfuEventData): void;
  /** A `call:state` to everyone in a group. */
  toGroup(group: string, data: SfuCallState): void;
  now(): number;
  log(message: string, detail?: unknown): void;
  /** Stores the call's line in its conversation ("Ann started a call"); answers its id. */
  lineStarted?(call: {
    group: string;
    callId: string;
    video: boolean;
    by: { userId: string; cid: string; displayName: string };
  }): Promise<string>;
  /** Rewrites that line when the call ends ("Call, 4:12 · 8 people"). */
  lineEnded?(call: {
    group: string;
    messageId: string;
    video: boolean;
    durationMs: number;
    people: number;
  }): Promise<void>;
}

export interface JoinResult {
  callId: string;
  feed: number;
  startedAt: number;
  feeds: SfuFeed[];
}

export class SfuCalls {
  private readonly pool: SfuPool;
  private readonly rooms = new Map<string, CallRoom>();
  /** The running call of each group. */
  private readonly byGroup = new Map<string, CallRoom>();
  /** Each connection is in at most one call. */
  private readonly byCid = new Map<string, CallRoom>();
  private readonly starts = new StartBudget();

  constructor(
    endpoints: SfuEndpoint[],
    private readonly ports: SfuCallsPorts,
  ) {
    this.pool = new SfuPool(endpoints, {
      lost: (instance) => this.moveCallsOff(instance),
      log: ports.log,
    });
  }

  start(): Promise<void> {
    return this.pool.start();
  }

  get configured(): boolean {
    return this.pool.configured;
  }

  stop(): void {
    for (const room of this.rooms.values()) void room.destroy();
    this.rooms.clear();
    this.pool.stop();
  }

  /** Which SFU a call is on (operators' and tests' question; clients never learn it). */
  placement(callId: string): string | undefined {
    return this.rooms.get(callId)?.instance?.url;
  }

  /** The calls running in these groups, for a client that just connected. */
  running(groups: Iterable<string>): SfuCallState[] {
    const out: SfuCallState[] = [];
    for (const g of groups) {
      const room = this.byGroup.get(g);
      if (room) out.push(room.state());
    }
    return out;
  }

  /** Joins the group's running call, or starts one. The caller checked membership. */
  async join(
    who: { cid: string; userId: string; displayName: string },
    group: string,
    callId: string | undefined,
    video: boolean,
  ): Promise<JoinResult> {
    if (this.byCid.has(who.cid)) {
      throw new HubError(ErrorCode.BAD_REQUEST, 'this connection is in a call already; leave it');
    }
    let room = this.byGroup.get(group);
    if (callId !== undefined && room?.callId !== callId) {
      throw new HubError(ErrorCode.NOT_FOUND, 'that call has ended');
    }
    if (!room) {
      this.starts.charge(who.userId, this.ports.now());
      room = await this.open(group, who, video);
    }
    if (room.participants.size >= MAX_SFU_CALL) {
      throw new HubError(
        ErrorCode.CALL_FULL,
        `this call has ${MAX_SFU_CALL} people, as many as a call can hold`,
      );
    }
    const participant = room.add(who, randomInt(1, 2 ** 48));
    this.byCid.set(who.cid, room);
    try {
      await room.enter(participant);
    } catch (err) {
      this.drop(room, participant);
      throw unavailable(err);
    }
    // The joiner's own list is in its answer too; an event before the answer is dropped.
    room.tellFeeds();
    room.peak = Math.max(room.peak, room.participants.size);
    if (!room.line && this.ports.lineStarted) {
      room.line = this.ports
        .lineStarted({ group, callId: room.callId, video: room.video, by: who })
        .catch((err: unknown) => {
          this.ports.log(`the line of call ${room.callId} was not stored`, err);
          return undefined;
        });
    }
    this.announce(room);
    return {
      callId: room.callId,
      feed: participant.feed,
      startedAt: room.startedAt,
      feeds: room.feeds(participant),
    };
  }

  async publish(cid: string, callId: string, offer: Jsep): Promise<Jsep> {
    const { room, participant } = this.mine(cid, callId);
    const answer = await room.publish(participant, offer).catch((err: unknown) => {
      throw refusedBy(err);
    });
    room.tellFeeds();
    return answer;
  }

  /** Adds and removes streams of other people in the call; Janus offers the new layout. */
  async subscribe(
    cid: string,
    callId: string,
    add: { feed: number; mid: string }[],
    remove: { feed: number; mid?: string }[],
  ): Promise<{ jsep?: Jsep; streams: SfuStream[] }> {
    const { room, participant } = this.mine(cid, callId);
    for (const s of add) {
      const owner = room.byFeed(s.feed);
      if (!owner || owner === participant) {
        throw new HubError(ErrorCode.FORBIDDEN, `feed ${s.feed} is not someone else in this call`);
      }
      if (!(owner.up && owner.streams.some((m) => m.mid === s.mid))) {
        throw new HubError(ErrorCode.NOT_FOUND, `feed ${s.feed} has no stream ${s.mid}`);
      }
    }
    // What one drops is in one's own subscription (its owner may have left the call already).
    for (const s of remove) {
      const mine = [...participant.subscribed.values()].some(
        (x) => x.feed === s.feed && (s.mid === undefined || x.feedMid === s.mid),
      );
      if (!mine) {
        throw new HubError(ErrorCode.NOT_FOUND, `your subscription has no feed ${s.feed}`);
      }
    }
    return room.subscribe(participant, add, remove).catch((err: unknown) => {
      throw refusedBy(err);
    });
  }

  async answer(cid: string, callId: string, answer: Jsep): Promise<void> {
    const { room, participant } = this.mine(cid, callId);
    await room.startSubscription(participant, answer).catch((err: unknown) => {
      throw refusedBy(err);
    });
  }

  /** Layers and pauses of the caller's own subscription streams only. */
  async configure(
    cid: string,
    callId: string,
    streams: { mid: string; send?: boolean; substream?: number }[],
  ): Promise<void> {
    const { room, participant } = this.mine(cid, callId);
    for (const s of streams) {
      if (!participant.subscribed.has(s.mid)) {
        throw new HubError(ErrorCode.NOT_FOUND, `your subscription has no stream ${s.mid}`);
      }
    }
    await room.configureSubscription(participant, streams).catch((err: unknown) => {
      throw refusedBy(err);
    });
  }

  async trickle(
    cid: string,
    callId: string,
    target: 'publisher' | 'subscriber',
    candidate: Record<string, unknown> | null,
  ): Promise<void> {
    const { room, participant } = this.mine(cid, callId);
    await room.trickle(participant, target, candidate).catch((err: unknown) => {
      throw refusedBy(err);
    });
  }

  /** The caller's microphone, camera, raised hand and shared screen, shown on their tile. */
  state(cid: string, callId: string, state: Partial<Participant['media']>): void {
    const { room, participant } = this.mine(cid, callId);
    if (state.screenMid !== undefined && state.screenMid !== null) {
      if (!participant.streams.some((s) => s.mid === state.screenMid && s.type === 'video')) {
        throw new HubError(ErrorCode.NOT_FOUND, `you publish no video stream ${state.screenMid}`);
      }
    }
    participant.media = { ...participant.media, ...state };
    room.tellFeeds();
  }

  /** The caller's connections to the SFU failed: they enter again and publish anew. */
  async rejoin(cid: string, callId: string): Promise<SfuFeed[]> {
    const { room, participant } = this.mine(cid, callId);
    await room.reenter(participant).catch((err: unknown) => {
      throw unavailable(err);
    });
    room.tellFeeds();
    return room.feeds(participant);
  }

  leave(cid: string, callId: string): void {
    const { room, participant } = this.mine(cid, callId);
    this.drop(room, participant);
  }

  /** A connection closed: it leaves its call. */
  connectionClosed(cid: string): void {
    const room = this.byCid.get(cid);
    const participant = room?.participants.get(cid);
    if (room && participant) this.drop(room, participant);
  }

  /** Forgets start budgets that have refilled (called from the hub's sweep). */
  sweep(): void {
    this.starts.sweep(this.ports.now());
  }

  private mine(cid: string, callId: string): { room: CallRoom; participant: Participant } {
    const room = this.byCid.get(cid);
    const participant = room?.participants.get(cid);
    if (!room || !participant || room.callId !== callId) {
      throw new HubError(ErrorCode.NOT_FOUND, 'you are not in that call');
    }
    return { room, participant };
  }

  private async open(
    group: string,
    who: { userId: string; displayName: string },
    video: boolean,
  ): Promise<CallRoom> {
    const instance = this.pool.leastLoaded();
    if (!instance) throw unavailable();
    const room = new CallRoom({
      callId: randomBytes(12).toString('base64url'),
      group,
      video,
      startedAt: this.ports.now(),
      startedBy: who,
      tell: (cid, data) => this.ports.toConnection(cid, data),
    });
    try {
      await room.createOn(instance);
    } catch (err) {
      throw unavailable(err);
    }
    // Another join may have opened one meanwhile: the first one wins.
    const raced = this.byGroup.get(group);
    if (raced) {
      void room.destroy();
      return raced;
    }
    this.rooms.set(room.callId, room);
    this.byGroup.set(group, room);
    return room;
  }

  private drop(room: CallRoom, participant: Participant): void {
    this.byCid.delete(participant.cid);
    room.remove(participant);
    if (room.participants.size === 0) {
      this.rooms.delete(room.callId);
      if (this.byGroup.get(room.group) === room) this.byGroup.delete(room.group);
      void room.destroy();
      const durationMs = this.ports.now() - room.startedAt;
      this.ports.toGroup(room.group, {
        group: room.group,
        callId: room.callId,
        count: 0,
        startedAt: room.startedAt,
        ended: { durationMs },
      });
      const { lineEnded } = this.ports;
      void room.line
        ?.then((messageId) =>
          messageId && lineEnded
            ? lineEnded({
                group: room.group,
                messageId,
                video: room.video,
                durationMs,
                people: room.peak,
              })
            : undefined,
        )
        .catch((err: unknown) =>
          this.ports.log(`the line of call ${room.callId} was not rewritten`, err),
        );
      return;
    }
    room.tellFeeds();
    this.announce(room);
  }

  private announce(room: CallRoom): void {
    this.ports.toGroup(room.group, room.state());
  }

  /** An instance died: each of its calls is made again elsewhere, and everyone told. */
  private moveCallsOff(lost: SfuInstance): void {
    for (const room of this.rooms.values()) {
      if (room.instance !== lost) continue;
      void this.move(room, lost);
    }
  }

  private async move(room: CallRoom, lost: SfuInstance): Promise<void> {
    const everyone = [...room.participants.values()];
    for (const p of everyone) {
      this.ports.toConnection(p.cid, { callId: room.callId, kind: 'reconnecting' });
    }
    const target = this.pool.leastLoaded(lost);
    try {
      if (!target) throw new Error('no other call server is up');
      await room.moveTo(target);
    } catch (err) {
      this.ports.log(`call ${room.callId} could not move`, err);
      for (const p of [...room.participants.values()]) {
        this.ports.toConnection(p.cid, {
          callId: room.callId,
          kind: 'ended',
          reason: 'the call server stopped and no other one is available',
        });
        this.drop(room, p);
      }
      return;
    }
    for (const p of room.participants.values()) {
      this.ports.toConnection(p.cid, { callId: room.callId, kind: 'moved', feeds: room.feeds(p) });
    }
  }
}
