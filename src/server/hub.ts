// Groups, conversations, presence and fan-out: what each request of protocol v1 means.
// Transport concerns (framing, auth handshake, heartbeat, limits) live in gateway.ts.
import { randomBytes } from 'node:crypto';
import {
  type ConversationSummary,
  dmKey,
  ErrorCode,
  MAX_FILES_PER_MESSAGE,
  MAX_REACTIONS_PER_MESSAGE,
  REPLY_QUOTE_CHARS,
  SERVER_BODY_FIELDS,
  groupKey,
  type ConversationKey,
  type EventDataMap,
  type EventName,
  type GroupCondition,
  type GroupEvent,
  type GroupUser,
  type HistoryMessage,
  type IceServer,
  type MessageBody,
  type MessageFile,
  type PresenceStatus,
  type RequestResultMap,
  type RequestType,
  type Sender,
  type ServerBodyFields,
  type UserProfile,
  type VisibleStatus,
} from '../shared/protocol.js';
import type { RequestParams } from '../shared/schemas.js';
import {
  topics,
  type Broker,
  type BrokerMessage,
  type ControlMessage,
  type Disposable,
  type EventMessage,
} from './broker.js';
import type { Limits } from './config.js';
import { TokenBucket } from './rate-limit.js';
import { LocalFanout, type Recipient } from './local-fanout.js';
import { LocalRegistry, type AttachVerdict, type LiveRegistry } from './registry.js';
import { conversationAccess, mayReadConversation } from './access.js';
import type { StreamSource } from './sequencer.js';
import { searchWords } from './store/rows.js';
import {
  dmConvId,
  dmMembers,
  type ConvId,
  type MessageRecord,
  type Store,
  type StoredEvent,
  type UserRecord,
} from './store/store.js';

export class HubError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** With RATE_LIMITED: when to try again. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface SessionUser {
  userId: string;
  username: string;
  displayName: string;
  isAdmin: boolean;
}

/**
 * How a connection's gateway orders its posts: a post waits for `before` (the previous post has
 * handed its message to the store), appends, then calls `queued`. The store stores appends in the
 * order they were called, so posts are stored in the order sent while their checks overlap.
 */
export interface RequestOrder {
  before: Promise<void>;
  queued(): void;
}

/** What the hub needs of a live, authenticated connection (the gateway implements it). */
export interface HubConnection extends Recipient {
  readonly cid: string;
  readonly user: SessionUser;
  /** Event and room filters (`bind`); null lets everything through. */
  events: ReadonlySet<string> | null;
  rooms: ReadonlySet<string> | null;
  /** Subscribed to the admin `/presence` feed: presence then comes from there only. */
  presenceFeed: boolean;
  /** Sends one frame to this connection alone, through its filters. */
  sendEvent(event: EventName, room: string | undefined, frame: string): void;
  /** Holds live deliveries (attach's replay goes first). */
  hold(): void;
  /**
   * Delivers what was held, less the conversation events the replay already sent: those of a
   * conversation in `replayed` whose seq is at most the seq replayed up to.
   */
  release(replayed: ReadonlyMap<string, number>): void;
  /** Closes the connection so that the client reconnects and resumes (1012). */
  restart(reason: string): void;
}

interface ConnectionTopics {
  /** Broker topics this connection listens to, so that detach can undo them all. */
  topics: Set<string>;
  /** Groups followed through `/groups/NAME/messages` rather than membership. */
  watching: Set<string>;
}

export interface HubOptions {
  store: Store;
  broker: Broker;
  /** Who is connected across the cluster; this process's maps by default. */
  registry?: LiveRegistry;
  /** Test failpoint: runs after a post is committed, before it is published. */
  afterCommit?: () => void;
  limits: Pick<Limits, 'maxTextBytes' | 'signalsPerSecond' | 'signalBytesPerSecond'>;
  resumeMaxEvents: number;
  /** STUN/TURN servers for calls, given to signed-in users only (TURN credentials). */
  iceServers?: IceServer[];
  now?: () => number;
  /** Failures of work no request waits for (presence on leave); logged by the caller. */
  onError?: (err: unknown, what: string) => void;
}

export interface HubStats {
  messages: number;
  deliveries: number;
}

const CONDITIONS: Record<GroupCondition, '>' | '>=' | '=' | '<' | '<=' | '!='> = {
  '>': '>',
  '>=': '>=',
  '=': '=',
  '<': '<',
  '<=': '<=',
  '!=': '!=',
  gt: '>',
  gte: '>=',
  eq: '=',
  lt: '<',
  lte: '<=',
  ne: '!=',
};

export function eventFrame<E extends EventName>(event: E, data: EventDataMap[E]): string {
  return JSON.stringify({ type: 'event', event, data });
}

/** A stored event as `conversation`'s reader is sent it (resume, gap fills). */
function storedEventFrame(e: StoredEvent, conversation: ConversationKey): string {
  return JSON.stringify({
    type: 'event',
    event: e.event,
    data: { ...e.data, conversation, seq: e.seq },
  });
}

/**
 * Random, not sequential: a cid names a live connection, and sequential ones could be enumerated
 * to probe who is connected (review M7).
 */
export function newCid(): string {
  return `c_${randomBytes(12).toString('base64url')}`;
}

/** Bytes of history one `history` reply carries at most; the rest is the next page. */
export const HISTORY_MAX_BYTES = 256 * 1024;
/** Joins, leaves and topic changes a history page carries at most. */
const GROUP_EVENTS_PER_PAGE = 200;
/** Bytes of events one resume replays at most; past it a conversation says `complete: false`. */
export const RESUME_MAX_BYTES = 512 * 1024;
/** A call signal (SDP, candidate, ring) fits well within this. */
export const MAX_SIGNAL_BYTES = 16 * 1024;
/** How long after one side signals the other may answer it by cid even while invisible. */
const RTC_ANSWER_WINDOW_MS = 10 * 60_000;
/** Invites to private groups last this long. */
const INVITE_TTL_MS = 7 * 24 * 3600_000;
/** The offline notification queue of one user (review M2). */
export const NOTIFICATION_QUEUE = { total: 100, perSender: 5 };
/** Everything a body holds besides its text, in JSON bytes (review L6). */
const MAX_BODY_EXTRA_BYTES = 2048;

function visible(status: PresenceStatus): VisibleStatus {
  return status === 'invisible' ? 'offline' : status;
}

/** The conversation as seen from `viewer`. */
function keyFor(convId: ConvId, viewer: string): ConversationKey {
  const pair = dmMembers(convId);
  if (!pair) return convId as ConversationKey;
  return dmKey(pair[0] === viewer ? pair[1] : pair[0]);
}

export class Hub {
  private readonly store: Store;
  private readonly broker: Broker;
  private readonly registry: LiveRegistry;
  private readonly fanout: LocalFanout;
  private readonly afterCommit: (() => void) | undefined;
  private readonly registrySubs: Disposable[];
  /** In a cluster: the topic every server listens to (presence changes). */
  private readonly clusterSub: Disposable | undefined;
  private readonly limits: HubOptions['limits'];
  private readonly resumeMaxEvents: number;
  private readonly iceServers: IceServer[];
  private readonly now: () => number;
  private readonly onError: (err: unknown, what: string) => void;
  private readonly byCid = new Map<string, HubConnection>();
  private readonly byUser = new Map<string, Set<HubConnection>>();
  private readonly subs = new WeakMap<HubConnection, ConnectionTopics>();
  /** Per sender → recipient: signals and their bytes (review M6). */
  private readonly signalBudgets = new Map<string, { count: TokenBucket; bytes: TokenBucket }>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Registry verdicts of admitted connections, until they are attached. */
  private readonly admitted = new Map<string, boolean>();
  /** Counters read by the metrics module; plain numbers to keep the hot path cheap. */
  readonly stats: HubStats = { messages: 0, deliveries: 0 };

  constructor(opts: HubOptions) {
    this.store = opts.store;
    this.broker = opts.broker;
    this.registry = opts.registry ?? new LocalRegistry();
    this.afterCommit = opts.afterCommit;
    this.fanout = new LocalFanout(opts.broker, {
      source: this.streamSource(),
      onControl: (topic, message) => this.control(topic, message),
      onStuck: (recipients) => {
        for (const r of recipients) (r as HubConnection).restart('the server lost track of events');
      },
      onError: (err, what) => this.onError(err, what),
    });
    this.limits = opts.limits;
    this.resumeMaxEvents = opts.resumeMaxEvents;
    this.iceServers = opts.iceServers ?? [];
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError ?? (() => undefined);
    this.clusterSub = opts.broker.lossless
      ? undefined
      : opts.broker.subscribe(topics.cluster, (m) => this.fromCluster(m));
    this.registrySubs = [
      this.registry.onOffline((users) => {
        for (const userId of users) {
          this.background(this.announceOffline(userId), 'presence of a lost node');
        }
      }),
      this.registry.onOnline((users) => {
        for (const userId of users) {
          const conn = this.byUser.get(userId)?.values().next().value;
          if (!conn) continue;
          this.background(this.announceBack(userId, conn.cid), 'presence after re-registering');
        }
      }),
    ];
  }

  get connectionCount(): number {
    return this.byCid.size;
  }

  get userCount(): number {
    return this.byUser.size;
  }

  /**
   * Sets up an authenticated connection before it is admitted: subscribes its topics and waits
   * until the broker delivers them, holding live events from here on. A connection set up here
   * is `detach`ed whatever happens next.
   */
  async open(conn: HubConnection): Promise<void> {
    const { userId } = conn.user;
    this.byCid.set(conn.cid, conn);
    let set = this.byUser.get(userId);
    if (!set) {
      set = new Set();
      this.byUser.set(userId, set);
    }
    set.add(conn);
    const state: ConnectionTopics = { topics: new Set(), watching: new Set() };
    this.subs.set(conn, state);
    conn.hold();
    const ready = [this.listen(conn, topics.user(userId))];
    for (const group of await this.store.userGroups(userId)) {
      ready.push(this.listen(conn, topics.group(group)));
    }
    await Promise.all(ready);
  }

  /**
   * Registers an open connection with the registry; false when the account already holds
   * `perUser` connections (across the cluster). Registered only once it listens (`open`):
   * whoever sees it online can reach it.
   */
  async admit(conn: HubConnection, perUser: number): Promise<boolean> {
    const { userId } = conn.user;
    let verdict: AttachVerdict;
    try {
      verdict = await this.registry.attach(conn.cid, userId, perUser);
    } catch (err) {
      // The registry is out of reach: the connection is let in on this node's word, and the
      // registry learns of it when it is back (the node registers its connections again).
      this.onError(err, 'registering a connection');
      verdict = { ok: true, first: this.byUser.get(userId)?.size === 1 };
    }
    if (!verdict.ok) return false;
    this.admitted.set(conn.cid, verdict.first);
    return true;
  }

  /**
   * Attaches an admitted connection: the events it missed (resume), the notifications queued
   * for it, and the user's presence if this is their first connection. Live events held since
   * `open` are released after the replay, less what the replay already carried (by seq): so a
   * live event can neither slip between replay and subscription nor arrive twice (store.ts).
   */
  async attach(conn: HubConnection, resume: Record<string, number> | undefined): Promise<void> {
    const { userId } = conn.user;
    const first = this.admitted.get(conn.cid) ?? false;
    this.admitted.delete(conn.cid);
    try {
      const replayed = resume ? await this.replay(conn, resume) : new Map<string, number>();
      conn.release(replayed);
    } catch (err) {
      conn.release(new Map());
      throw err;
    }
    await this.deliverQueued(userId, conn);
    if (first) await this.announceBack(userId, conn.cid);
  }

  /** Sends the user's queued notifications to one connection (the take is atomic). */
  private async deliverQueued(userId: string, conn: HubConnection): Promise<void> {
    for (const data of await this.store.takeNotifications(userId)) {
      conn.sendEvent(
        'notification',
        undefined,
        eventFrame('notification', data as EventDataMap['notification']),
      );
    }
  }

  /** Forgets a closed connection; the user's last one anywhere announces them offline. */
  detach(conn: HubConnection): void {
    const state = this.subs.get(conn);
    if (!state) return;
    this.subs.delete(conn);
    this.admitted.delete(conn.cid);
    for (const topic of state.topics) this.fanout.remove(topic, conn);
    this.byCid.delete(conn.cid);
    const { userId } = conn.user;
    const set = this.byUser.get(userId);
    if (set) {
      set.delete(conn);
      if (set.size === 0) this.byUser.delete(userId);
    }
    this.background(
      this.registry
        .detach(conn.cid, userId)
        .then(({ last }) => (last ? this.announceOffline(userId) : undefined)),
      'presence on leave',
    );
  }

  /** Says the user is online (with their stored status) unless they are invisible. */
  private async announceBack(userId: string, cid: string): Promise<void> {
    const user = await this.store.userById(userId);
    if (user && user.status !== 'invisible') {
      await this.broadcastPresence(userId, cid, user.status, user.statusText);
    }
  }

  private async announceOffline(userId: string): Promise<void> {
    const user = await this.store.userById(userId);
    // Back already (a reconnect raced this): nothing to announce.
    if ((await this.registry.online([userId])).has(userId)) return;
    if (user && user.status !== 'invisible') {
      await this.broadcastPresence(userId, undefined, 'invisible', null);
    }
  }

  /** Forgets idle signal budgets; called now and then. */
  sweep(now = this.now()): void {
    for (const [key, budget] of this.signalBudgets) {
      if (budget.count.isFull(now) && budget.bytes.isFull(now)) this.signalBudgets.delete(key);
    }
  }

  /** Work no request waits for (presence on leave, cluster control), kept until it settles. */
  private background(work: Promise<unknown>, what: string): void {
    const tracked = work.catch((err: unknown) => this.onError(err, what));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** Waits (at most `timeoutMs`) for background work, before the store is closed. */
  async settle(timeoutMs = 2000): Promise<void> {
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  dispose(): void {
    for (const sub of this.registrySubs) sub.dispose();
    this.clusterSub?.dispose();
    this.fanout.dispose();
    this.byCid.clear();
    this.byUser.clear();
  }

  /** Serves one request; throws HubError with a protocol code when it cannot. */
  async handle<T extends RequestType>(
    conn: HubConnection,
    type: T,
    params: RequestParams<T>,
    order?: RequestOrder,
  ): Promise<RequestResultMap[T]> {
    // Each case narrows `params` by hand: TypeScript cannot correlate T across the switch.
    const p = params as never;
    const result = await (async (): Promise<RequestResultMap[RequestType]> => {
      switch (type as RequestType) {
        case 'join':
          return await this.join(conn, p);
        case 'leave':
          return await this.leave(conn, p);
        case 'groups':
          return await this.groups(conn, p);
        case 'users':
          return await this.users(conn, p);
        case 'post':
          return await this.post(conn, p, order);
        case 'edit':
          return await this.edit(conn, p);
        case 'remove':
          return await this.remove(conn, p);
        case 'react':
          return await this.react(conn, p);
        case 'compose':
          return await this.compose(conn, p);
        case 'history':
          return await this.history(conn, p);
        case 'search':
          return await this.search(conn, p);
        case 'people':
          return await this.people(p);
        case 'read':
          return await this.read(conn, p);
        case 'bind':
          return this.bind(conn, p);
        case 'subscribe':
          return await this.subscribe(conn, p);
        case 'unsubscribe':
          return await this.unsubscribe(conn, p);
        case 'presence':
          return await this.presence(conn, p);
        case 'rtc':
          return await this.rtc(conn, p);
        case 'notify':
          return await this.notify(conn, p);
        case 'conversations':
          return await this.conversations(conn);
        case 'ice':
          return { iceServers: this.iceServers };
        case 'invite':
          return await this.invite(conn, p);
        case 'topic':
          return await this.topic(conn, p);
        case 'profile':
          return await this.profile(conn, p);
      }
    })();
    return result as RequestResultMap[T];
  }

  // ---- groups ------------------------------------------------------------------------------

  private async join(
    conn: HubConnection,
    p: RequestParams<'join'>,
  ): Promise<RequestResultMap['join']> {
    const { userId } = conn.user;
    const existing = await this.store.group(p.group, userId);
    if (existing?.private && !existing.member) {
      const invited =
        p.invite !== undefined && (await this.store.inviteGroup(p.invite, this.now()));
      if (invited !== p.group) {
        throw new HubError(
          ErrorCode.INVITE_REQUIRED,
          p.invite === undefined
            ? 'that group is private: ask a member for an invite link'
            : 'this invite is not valid (any more): ask a member for a new one',
        );
      }
    }
    const { changed, members } = await this.store.joinGroup(p.group, userId, p.private === true);
    const isPrivate = existing ? existing.private : p.private === true;
    if (changed) {
      const ts = this.now();
      await this.store.logGroupEvent(p.group, { ts, userId, action: 'joined' });
      const member: EventDataMap['group:member'] = {
        group: p.group,
        user_id: userId,
        cid: conn.cid,
        action: 'joined',
        displayName: conn.user.displayName,
        ts,
      };
      if (this.broker.lossless) {
        for (const c of this.byUser.get(userId) ?? []) void this.listen(c, topics.group(p.group));
        this.publishGroup(p.group, 'group:member', member);
      } else {
        // The topic may be new on this node: what is posted before its subscription takes
        // effect is replayed from the group's head at the join. The user's devices on other
        // nodes do the same when they hear of the join.
        const head = await this.store.lastSeq(groupKey(p.group));
        await this.startListening(userId, p.group, head);
        this.publishGroup(p.group, 'group:member', member);
        this.broker.publish(topics.user(userId), {
          ctl: 'listen',
          group: p.group,
          seq: head,
          frame: eventFrame('group:member', member),
        });
      }
    }
    return {
      group: p.group,
      number_of_users: members,
      ...(isPrivate ? { private: true } : {}),
      ...(existing?.topic ? { topic: existing.topic } : {}),
    };
  }

  /** A member sets what the group is about; every member sees it change ('' clears it). */
  private async topic(
    conn: HubConnection,
    p: RequestParams<'topic'>,
  ): Promise<RequestResultMap['topic']> {
    if (!(await this.visibleGroup(conn.user.userId, p.group)).member) {
      throw new HubError(ErrorCode.NOT_JOINED, `you are not a member of ${p.group}`);
    }
    const topic = p.topic.trim();
    const ts = this.now();
    await this.store.logGroupEvent(p.group, {
      ts,
      userId: conn.user.userId,
      action: 'topic',
      topic,
    });
    this.publishGroup(p.group, 'group:updated', {
      group: p.group,
      topic,
      by: { user_id: conn.user.userId, displayName: conn.user.displayName },
      ts,
    });
    return { group: p.group, topic };
  }

  /** A member makes an invite code for their group (private or not). */
  private async invite(
    conn: HubConnection,
    p: RequestParams<'invite'>,
  ): Promise<RequestResultMap['invite']> {
    if (!(await this.visibleGroup(conn.user.userId, p.group)).member) {
      throw new HubError(ErrorCode.NOT_JOINED, `you are not a member of ${p.group}`);
    }
    const code = randomBytes(18).toString('base64url');
    const expiresAt = this.now() + INVITE_TTL_MS;
    await this.store.createInvite(code, p.group, conn.user.userId, expiresAt);
    return { group: p.group, code, expiresAt };
  }

  /**
   * The group's facts if `userId` may know it exists: a private group is NOT_FOUND to
   * non-members, with the same words as a group that does not exist (D1).
   */
  private async visibleGroup(
    userId: string,
    group: string,
  ): Promise<{ members: number; private: boolean; member: boolean }> {
    const info = await this.store.group(group, userId);
    if (!info || (info.private && !info.member)) {
      throw new HubError(ErrorCode.NOT_FOUND, `there is no group named ${group}`);
    }
    return info;
  }

  private async leave(
    conn: HubConnection,
    p: RequestParams<'leave'>,
  ): Promise<RequestResultMap['leave']> {
    const { userId } = conn.user;
    if (!(await this.store.leaveGroup(p.group, userId))) {
      throw new HubError(ErrorCode.NOT_JOINED, `you are not a member of ${p.group}`);
    }
    const ts = this.now();
    await this.store.logGroupEvent(p.group, { ts, userId, action: 'left' });
    // Published before unsubscribing so the user's other devices learn they left.
    this.publishGroup(p.group, 'group:member', {
      group: p.group,
      user_id: userId,
      cid: conn.cid,
      action: 'left',
      displayName: conn.user.displayName,
      ts,
    });
    for (const c of this.byUser.get(userId) ?? []) {
      if (!this.subs.get(c)?.watching.has(p.group)) this.unlisten(c, topics.group(p.group));
    }
    // Redis keeps one publisher's order across channels: other nodes stop listening after
    // their devices had the `left` event above.
    if (!this.broker.lossless) {
      this.broker.publish(topics.user(userId), { ctl: 'unlisten', group: p.group });
    }
    return { group: p.group };
  }

  private async groups(
    conn: HubConnection,
    p: RequestParams<'groups'>,
  ): Promise<RequestResultMap['groups']> {
    const limit = p.limit ?? 50;
    const byCount = p.searchFor === 'number_of_users';
    let value = p.value;
    let range = p.range;
    if (byCount) {
      value = value === undefined ? undefined : Number(value);
      range = range === undefined ? undefined : Number(range);
      if (Number.isNaN(value) || Number.isNaN(range)) {
        throw new HubError(ErrorCode.BAD_REQUEST, 'number_of_users takes a number');
      }
    } else if (value !== undefined) {
      value = String(value);
      range = range === undefined ? undefined : String(range);
    }
    if (range !== undefined && value === undefined) {
      throw new HubError(ErrorCode.BAD_REQUEST, 'range needs a value to start from');
    }
    let after: string | undefined;
    if (p.cursor !== undefined) {
      after = Buffer.from(p.cursor, 'base64url').toString('utf8');
      if (!after) throw new HubError(ErrorCode.BAD_REQUEST, 'the cursor is not valid');
    }
    const rows = await this.store.searchGroups({
      searchFor: byCount ? 'number_of_users' : 'group',
      ...(value !== undefined ? { value } : {}),
      ...(p.condition !== undefined ? { condition: CONDITIONS[p.condition] } : {}),
      ...(range !== undefined ? { range } : {}),
      limit: limit + 1,
      viewer: conn.user.userId,
      ...(after !== undefined ? { after } : {}),
    });
    const endOfList = rows.length <= limit;
    const list = rows.slice(0, limit);
    const last = list[list.length - 1];
    return {
      list,
      endOfList,
      ...(!endOfList && last ? { cursor: Buffer.from(last.group).toString('base64url') } : {}),
    };
  }

  private async users(
    conn: HubConnection,
    p: RequestParams<'users'>,
  ): Promise<RequestResultMap['users']> {
    await this.visibleGroup(conn.user.userId, p.group);
    const members = await this.store.groupMembers(p.group);
    if (!members) throw new HubError(ErrorCode.NOT_FOUND, `there is no group named ${p.group}`);
    const wanted = p.user_id === undefined ? members : members.filter((m) => m === p.user_id);
    if (p.user_id !== undefined && wanted.length === 0) {
      throw new HubError(ErrorCode.NOT_FOUND, `${p.user_id} is not a member of ${p.group}`);
    }
    const list: GroupUser[] = [];
    const online = await this.registry.online(wanted);
    for (const userId of wanted) {
      const user = await this.store.userById(userId);
      if (!user) continue;
      const cids = online.get(userId);
      const status = visible(user.status);
      const text = user.statusText ?? undefined;
      if (!cids || status === 'offline') {
        list.push({
          user_id: userId,
          username: user.username,
          ...(user.avatar ? { avatar: user.avatar } : {}),
          cid: null,
          displayName: user.displayName,
          status: 'offline',
        });
        continue;
      }
      for (const cid of cids) {
        list.push({
          user_id: userId,
          username: user.username,
          ...(user.avatar ? { avatar: user.avatar } : {}),
          cid,
          displayName: user.displayName,
          status,
          ...(text !== undefined ? { text } : {}),
        });
      }
    }
    return { list };
  }

  // ---- messages ----------------------------------------------------------------------------

  /** A body as a client sent it: within the limits, and without the fields the server writes. */
  private checkBody(body: { text: string }): void {
    for (const field of SERVER_BODY_FIELDS) {
      if (field in body) {
        throw new HubError(
          ErrorCode.BAD_REQUEST,
          `the body's ${field} is set by the server: use the request's replyTo or thread`,
        );
      }
    }
    this.checkText(body);
  }

  private checkText(body: { text: string }): void {
    const bytes = Buffer.byteLength(body.text, 'utf8');
    if (bytes > this.limits.maxTextBytes) {
      throw new HubError(
        ErrorCode.TOO_LARGE,
        `the text is ${bytes} bytes; the limit is ${this.limits.maxTextBytes}`,
      );
    }
    const { text: _text, ...extra } = body;
    const extraBytes = Buffer.byteLength(JSON.stringify(extra), 'utf8');
    if (extraBytes > MAX_BODY_EXTRA_BYTES) {
      throw new HubError(
        ErrorCode.TOO_LARGE,
        `the body's fields besides text are ${extraBytes} bytes; the limit is ${MAX_BODY_EXTRA_BYTES}`,
      );
    }
  }

  /** The conversation a `to` names, checked for the sender; throws when they may not use it. */
  private async target(
    userId: string,
    to: { group: string } | { user: string },
  ): Promise<{ convId: ConvId; dmPair?: [string, string]; other?: UserRecord }> {
    if ('group' in to) {
      if (!(await this.visibleGroup(userId, to.group)).member) {
        throw new HubError(ErrorCode.NOT_JOINED, 'User has not joined to the recipient group');
      }
      return { convId: groupKey(to.group) };
    }
    const other = await this.store.userById(to.user);
    if (!other) throw new HubError(ErrorCode.NOT_FOUND, `there is no user ${to.user}`);
    const pair: [string, string] = userId < to.user ? [userId, to.user] : [to.user, userId];
    return { convId: dmConvId(userId, to.user), dmPair: pair, other };
  }

  /** The internal id of a conversation key as `userId` sees it, if they may read it. */
  private async readable(
    userId: string,
    key: string,
    missing: ErrorCode = ErrorCode.NOT_FOUND,
  ): Promise<ConvId> {
    const access = await conversationAccess(this.store, userId, key);
    if (access.ok) return access.convId;
    const code = {
      'not-a-conversation': ErrorCode.BAD_REQUEST,
      'no-such-group': ErrorCode.NOT_FOUND,
      'not-a-member': missing,
      'no-such-user': ErrorCode.NOT_FOUND,
    }[access.why];
    throw new HubError(code, access.message);
  }

  private sender(conn: HubConnection): Sender {
    return { user_id: conn.user.userId, cid: conn.cid, displayName: conn.user.displayName };
  }

  private async post(
    conn: HubConnection,
    p: RequestParams<'post'>,
    order?: RequestOrder,
  ): Promise<RequestResultMap['post']> {
    this.checkBody(p.body);
    const { userId } = conn.user;
    const target = await this.target(userId, p.to);
    const answer = await this.threadFields(target.convId, p);
    const files = await this.checkFiles(userId, target.convId, p.body.files);
    const body = answer || files ? { ...p.body, ...answer, ...files } : p.body;
    // `always` breaks through the recipient's focus; a stranger's first dm may not ask for that
    // (review M4): only members of a shared group, accepted dms and administrators may.
    const notification =
      p.notification?.always &&
      target.dmPair &&
      !conn.user.isAdmin &&
      !(await this.sharesConversation(userId, target.other!.userId))
        ? { ...p.notification, always: false }
        : p.notification;
    await order?.before;
    const ts = this.now();
    const saving = this.store.appendMessage({
      convId: target.convId,
      ...(target.dmPair ? { dmPair: target.dmPair } : {}),
      sender: this.sender(conn),
      clientMsgId: p.clientMsgId,
      body,
      ...(notification ? { notification } : {}),
      ts,
    });
    order?.queued();
    const saved = await saving;
    const result = {
      messageId: saved.messageId,
      conversation: keyFor(saved.convId, userId),
      seq: saved.seq,
      ts: saved.ts,
    };
    if (saved.duplicate) {
      // A retry: the first attempt's node may have died between commit and publish. Receivers
      // that have it drop the hint; the others read it from the store.
      if (!this.broker.lossless) this.announceHead(saved.convId, saved.seq);
      return result;
    }
    this.afterCommit?.();
    this.stats.messages++;
    this.publishConversation(
      saved.convId,
      'message:send',
      (conversation) => ({
        messageId: saved.messageId,
        conversation,
        seq: saved.seq,
        ts,
        from: this.sender(conn),
        body,
        clientMsgId: p.clientMsgId,
        ...(notification ? { notification } : {}),
      }),
      saved.seq,
    );
    if (notification?.always) await this.queueForOffline(conn, saved.convId, notification);
    return result;
  }

  /**
   * What a reply or a thread post adds to its body: the quote of the message answered, and the
   * thread's root (a reply to a message inside a thread goes to that thread's root). Both must be
   * messages of the same conversation, not removed; NOT_FOUND otherwise.
   */
  private async threadFields(
    convId: ConvId,
    p: RequestParams<'post'>,
  ): Promise<ServerBodyFields | undefined> {
    if (p.replyTo === undefined && p.thread === undefined) return undefined;
    const out: ServerBodyFields = {};
    if (p.thread !== undefined) {
      let root = await this.messageIn(convId, p.thread, 'the thread');
      const rootOfRoot = root.body?.thread;
      if (typeof rootOfRoot === 'string')
        root = await this.messageIn(convId, rootOfRoot, 'the thread');
      out.thread = root.messageId;
      out.threadFrom = root.senderId;
    }
    if (p.replyTo !== undefined) {
      const quoted = await this.messageIn(convId, p.replyTo, 'the message you reply to');
      const chars = Array.from(quoted.body?.text ?? '');
      out.reply = {
        messageId: quoted.messageId,
        from: { user_id: quoted.senderId, displayName: quoted.senderName },
        text:
          chars.length > REPLY_QUOTE_CHARS
            ? `${chars.slice(0, REPLY_QUOTE_CHARS).join('')}…`
            : chars.join(''),
      };
    }
    return out;
  }

  /**
   * A post's attachments (`body.files`), checked: files the sender uploaded to this conversation,
   * at most MAX_FILES_PER_MESSAGE. Their names, types and sizes are the server's record, not the
   * client's word; a client may add an image's `width` and `height` and a `thumbFileId`.
   */
  private async checkFiles(
    userId: string,
    convId: ConvId,
    files: unknown,
  ): Promise<{ files: MessageFile[] } | undefined> {
    if (files === undefined) return undefined;
    if (!Array.isArray(files) || files.length === 0 || files.length > MAX_FILES_PER_MESSAGE) {
      throw new HubError(
        ErrorCode.BAD_REQUEST,
        `files is a list of 1 to ${MAX_FILES_PER_MESSAGE} uploaded files`,
      );
    }
    const mine = async (fileId: unknown) => {
      const f = typeof fileId === 'string' ? await this.store.file(fileId) : undefined;
      if (!f || f.convId !== convId || f.uploaderId !== userId) {
        throw new HubError(
          ErrorCode.BAD_REQUEST,
          `${String(fileId)} is not a file you uploaded to this conversation`,
        );
      }
      return f;
    };
    const out: MessageFile[] = [];
    for (const item of files as Record<string, unknown>[]) {
      const f = await mine(item?.fileId);
      const dim = (v: unknown) =>
        Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= 100_000
          ? (v as number)
          : undefined;
      const width = dim(item.width);
      const height = dim(item.height);
      const thumb = item.thumbFileId !== undefined ? await mine(item.thumbFileId) : undefined;
      out.push({
        fileId: f.fileId,
        name: f.name,
        type: f.type,
        size: f.size,
        ...(width && height ? { width, height } : {}),
        ...(thumb ? { thumbFileId: thumb.fileId } : {}),
      });
    }
    return { files: out };
  }

  /** A message of this conversation that is not removed; NOT_FOUND naming `what` otherwise. */
  private async messageIn(convId: ConvId, messageId: string, what: string): Promise<MessageRecord> {
    const msg = await this.store.message(messageId);
    if (!msg || msg.convId !== convId || msg.removed) {
      throw new HubError(
        ErrorCode.NOT_FOUND,
        `${what} (${messageId}) is not in this conversation, or was deleted`,
      );
    }
    return msg;
  }

  /** `always` notifications reach recipients with no live connection when they next connect. */
  private async queueForOffline(
    conn: HubConnection,
    convId: ConvId,
    n: { title: string; body: string },
  ): Promise<void> {
    const pair = dmMembers(convId);
    const recipients = pair ?? (await this.store.groupMembers(convId.slice(6))) ?? [];
    const data: EventDataMap['notification'] = {
      from: { user_id: conn.user.userId, displayName: conn.user.displayName },
      title: n.title,
      body: n.body,
      always: true,
    };
    const others = [...new Set(recipients)].filter((u) => u !== conn.user.userId);
    const online = await this.registry.online(others);
    for (const userId of others) {
      if (!online.has(userId)) await this.queueNotification(userId, data);
    }
  }

  /**
   * Queues a notification for a user who was offline, then looks again: one who connected
   * meanwhile may have taken their queue already, so their node is told to take it again. Either
   * the connection registered before the second look (and the drain reaches it) or the row was
   * there before its take: never lost, and the atomic take delivers it once.
   */
  private async queueNotification(
    userId: string,
    data: EventDataMap['notification'],
  ): Promise<void> {
    await this.store.queueNotification(userId, data, this.now(), NOTIFICATION_QUEUE);
    if ((await this.registry.online([userId])).has(userId)) {
      this.broker.publish(topics.user(userId), { ctl: 'drain' });
    }
  }

  /** Whether the user may read the message's conversation now (its group, or their dm). */
  private mayRead(userId: string, msg: MessageRecord): Promise<boolean> {
    return mayReadConversation(this.store, userId, msg.convId);
  }

  /** A message the user may read now (not removed); NOT_FOUND otherwise. */
  private async visibleMessage(conn: HubConnection, messageId: string): Promise<MessageRecord> {
    const msg = await this.store.message(messageId);
    if (!msg || msg.removed || !(await this.mayRead(conn.user.userId, msg))) {
      throw new HubError(ErrorCode.NOT_FOUND, `no message ${messageId}`);
    }
    return msg;
  }

  /**
   * The message, if the user may change it; NOT_FOUND otherwise (no hint that it exists). Its
   * author may remove it even after leaving the group (review L8), not edit it.
   */
  private async ownMessage(
    conn: HubConnection,
    messageId: string,
    removing = false,
  ): Promise<MessageRecord> {
    const msg = await this.store.message(messageId);
    const { userId } = conn.user;
    const visibleToUser =
      msg &&
      !msg.removed &&
      ((removing && msg.senderId === userId) || (await this.mayRead(userId, msg)));
    if (!msg || !visibleToUser) throw new HubError(ErrorCode.NOT_FOUND, `no message ${messageId}`);
    if (msg.senderId !== userId) {
      throw new HubError(ErrorCode.FORBIDDEN, 'only the author can change a message');
    }
    return msg;
  }

  private async edit(
    conn: HubConnection,
    p: RequestParams<'edit'>,
  ): Promise<RequestResultMap['edit']> {
    this.checkBody(p.body);
    if (p.body.files !== undefined) {
      throw new HubError(ErrorCode.BAD_REQUEST, 'an edit changes the text; its files stay');
    }
    const msg = await this.ownMessage(conn, p.messageId);
    // An edit changes what the author wrote; the quote, the thread and the files stay.
    const body: MessageBody = { ...p.body };
    for (const field of [...SERVER_BODY_FIELDS, 'files'] as const) {
      if (msg.body?.[field] !== undefined) body[field] = msg.body[field];
    }
    const ts = this.now();
    const { seq } = await this.store.editMessage(p.messageId, body, ts);
    this.publishConversation(
      msg.convId,
      'message:updated',
      (conversation) => ({
        messageId: p.messageId,
        conversation,
        seq,
        ts,
        body,
      }),
      seq,
    );
    return { messageId: p.messageId, seq };
  }

  private async remove(
    conn: HubConnection,
    p: RequestParams<'remove'>,
  ): Promise<RequestResultMap['remove']> {
    const msg = await this.ownMessage(conn, p.messageId, true);
    const ts = this.now();
    const { seq } = await this.store.removeMessage(p.messageId, ts);
    this.publishConversation(
      msg.convId,
      'message:removed',
      (conversation) => ({
        messageId: p.messageId,
        conversation,
        seq,
        ts,
      }),
      seq,
    );
    return { messageId: p.messageId, seq };
  }

  /** Adds or takes back the user's reaction; a repeat answers without a new event. */
  private async react(
    conn: HubConnection,
    p: RequestParams<'react'>,
  ): Promise<RequestResultMap['react']> {
    const msg = await this.visibleMessage(conn, p.messageId);
    const ts = this.now();
    const result = await this.store.react(p.messageId, conn.user.userId, p.emoji, p.on, ts);
    if (result === 'full') {
      throw new HubError(
        ErrorCode.TOO_LARGE,
        `a message carries at most ${MAX_REACTIONS_PER_MESSAGE} different reactions`,
      );
    }
    if (result.changed) {
      this.publishConversation(
        msg.convId,
        'message:reactions',
        (conversation) => ({
          messageId: p.messageId,
          conversation,
          seq: result.seq,
          ts,
          reactions: result.reactions,
        }),
        result.seq,
      );
    }
    return { messageId: p.messageId, seq: result.seq };
  }

  private async compose(
    conn: HubConnection,
    p: RequestParams<'compose'>,
  ): Promise<RequestResultMap['compose']> {
    const { convId } = await this.target(conn.user.userId, p.to);
    // Typing goes only into a conversation that exists: not a way to poke strangers (M5).
    if (dmMembers(convId) && !(await this.store.conversationExists(convId))) {
      throw new HubError(ErrorCode.NOT_FOUND, 'there is no conversation with that user yet');
    }
    const from = this.sender(conn);
    const pair = dmMembers(convId);
    if (pair) {
      // Typing is for the other party only, not echoed to the typist's own devices.
      const other = pair[0] === conn.user.userId ? pair[1] : pair[0];
      const conversation = dmKey(conn.user.userId);
      this.broker.publish(topics.user(other), {
        event: 'message:compose',
        room: conversation,
        frame: eventFrame('message:compose', { conversation, from, state: p.state }),
      });
    } else {
      const group = convId.slice(6);
      this.publishGroup(group, 'message:compose', {
        conversation: groupKey(group),
        from,
        state: p.state,
      });
    }
    return {};
  }

  private async history(
    conn: HubConnection,
    p: RequestParams<'history'>,
  ): Promise<RequestResultMap['history']> {
    const convId = await this.readable(conn.user.userId, p.conversation, ErrorCode.FORBIDDEN);
    const limit = p.limit ?? 50;
    const root =
      p.thread !== undefined ? await this.messageIn(convId, p.thread, 'the thread') : undefined;
    if (root && typeof root.body?.thread === 'string') {
      throw new HubError(ErrorCode.BAD_REQUEST, `${p.thread} is a reply in a thread, not its root`);
    }
    const rows = await this.store.history(convId, {
      limit,
      ...(p.before !== undefined ? { before: p.before } : {}),
      ...(p.after !== undefined ? { after: p.after } : {}),
      ...(root ? { thread: root.messageId } : {}),
    });
    // A reply is bounded in bytes as well as rows (H3): 200 messages of 16 KB would be 3 MB.
    // The messages nearest the cursor are kept; the rest is the next page.
    const kept: typeof rows = [];
    let bytes = 0;
    const nearestFirst = p.after !== undefined ? rows : [...rows].reverse();
    for (const m of nearestFirst) {
      bytes += m.body ? Buffer.byteLength(JSON.stringify(m.body)) + 200 : 200;
      if (kept.length > 0 && bytes > HISTORY_MAX_BYTES) break;
      kept.push(m);
    }
    if (p.after === undefined) kept.reverse();
    const messages = await this.withReplies(
      convId,
      kept.map((m) => ({ ...m, conversation: p.conversation })),
    );
    let rootMessage: HistoryMessage | undefined;
    if (root) {
      const [r] = await this.store.history(convId, { before: root.seq + 1, limit: 1 });
      if (r?.messageId === root.messageId) {
        [rootMessage] = await this.withReplies(convId, [{ ...r, conversation: p.conversation }]);
      }
    }
    const endOfList = kept.length === rows.length && rows.length < limit;
    const groupEvents =
      convId.startsWith('group:') && p.after === undefined && !root
        ? await this.eventsOfPage(convId.slice(6), convId, kept, endOfList, p.before)
        : undefined;
    return {
      messages,
      endOfList,
      ...(rootMessage ? { root: rootMessage } : {}),
      ...(groupEvents?.length ? { groupEvents } : {}),
    };
  }

  /**
   * A group's joins, leaves and topic changes in the time a history page covers: from its first
   * message (the group's start at the end of the list) up to the message after it (the one
   * `before` named, not included) or now for the newest page; so pages read back to back carry
   * each line once.
   */
  private async eventsOfPage(
    group: string,
    convId: ConvId,
    page: { ts: number }[],
    endOfList: boolean,
    before: number | undefined,
  ): Promise<GroupEvent[]> {
    const from = endOfList || page.length === 0 ? 0 : page[0]!.ts;
    let to = this.now();
    if (before !== undefined) {
      const [boundary] = await this.store.history(convId, { before: before + 1, limit: 1 });
      // Up to, not including, the newer page's first message: a line at that very millisecond
      // belongs to the newer page (whose range starts there), so no page repeats it.
      if (boundary) to = boundary.ts - 1;
    }
    const rows = await this.store.groupEvents(group, from, to, GROUP_EVENTS_PER_PAGE);
    return rows.map((e) => ({
      ts: e.ts,
      user_id: e.userId,
      displayName: e.displayName,
      action: e.action,
      ...(e.topic !== undefined ? { topic: e.topic } : {}),
    }));
  }

  /** Adds each thread root's reply count (one query for the page). */
  private async withReplies(convId: ConvId, list: HistoryMessage[]): Promise<HistoryMessage[]> {
    const roots = list.filter((m) => m.body && m.body.thread === undefined).map((m) => m.messageId);
    const summaries = await this.store.threadSummaries(convId, roots);
    if (summaries.size === 0) return list;
    return list.map((m) => {
      const replies = summaries.get(m.messageId);
      return replies ? { ...m, replies } : m;
    });
  }

  /** Full-text search of the messages the user can read now: one conversation, or all of them. */
  private async search(
    conn: HubConnection,
    p: RequestParams<'search'>,
  ): Promise<RequestResultMap['search']> {
    const { userId } = conn.user;
    const words = searchWords(p.query);
    if (words.length === 0) {
      throw new HubError(ErrorCode.BAD_REQUEST, 'type a word to search for');
    }
    const convIds =
      p.conversation !== undefined
        ? [await this.readable(userId, p.conversation, ErrorCode.FORBIDDEN)]
        : await this.readableConversations(userId);
    const limit = p.limit ?? 20;
    const rows = await this.store.searchMessages({
      convIds,
      words,
      limit: limit + 1,
      ...(p.cursor !== undefined ? { before: p.cursor } : {}),
    });
    const page = rows.slice(0, limit);
    const endOfList = rows.length <= limit;
    return {
      results: page.map(({ convId, cursor: _cursor, ...m }) => ({
        ...m,
        conversation: keyFor(convId, userId),
      })),
      endOfList,
      ...(!endOfList && page.length ? { cursor: page[page.length - 1]!.cursor } : {}),
    };
  }

  /** Every conversation the user may read: their groups, and dms they are in. */
  private async readableConversations(userId: string): Promise<ConvId[]> {
    const groups = (await this.store.userGroups(userId)).map((g) => groupKey(g) as ConvId);
    const dms = [...(await this.store.dmHeads(userId)).keys()].map((other) =>
      dmConvId(userId, other),
    );
    return [...groups, ...dms];
  }

  /** Anyone with an account, by the start of their username or of a word of their name. */
  private async people(p: RequestParams<'people'>): Promise<RequestResultMap['people']> {
    const query = p.query.trim();
    if (!query) throw new HubError(ErrorCode.BAD_REQUEST, 'type the start of a name');
    const rows = await this.store.searchPeople(query, p.limit ?? 20);
    return {
      list: rows.map((r) => ({
        user_id: r.userId,
        username: r.username,
        displayName: r.displayName,
      })),
    };
  }

  private async read(
    conn: HubConnection,
    p: RequestParams<'read'>,
  ): Promise<RequestResultMap['read']> {
    const { userId } = conn.user;
    const convId = await this.readable(userId, p.conversation);
    if (!(await this.store.conversationExists(convId))) {
      // A read marker only in a conversation that exists: not a receipt sent to strangers (M5).
      if (dmMembers(convId)) {
        throw new HubError(ErrorCode.NOT_FOUND, 'there is no conversation with that user yet');
      }
      return {};
    }
    const seq = Math.min(p.seq, await this.store.lastSeq(convId));
    const marker = await this.store.markRead(userId, convId, seq);
    this.publishConversation(convId, 'message:read', (conversation) => ({
      conversation,
      user_id: userId,
      seq: marker,
    }));
    return {};
  }

  private async conversations(conn: HubConnection): Promise<RequestResultMap['conversations']> {
    const { userId } = conn.user;
    const rows = await this.store.conversationsOf(userId, conn.user.username);
    const partners = rows.flatMap((c) => {
      const pair = dmMembers(c.convId);
      return pair ? [pair[0] === userId ? pair[1] : pair[0]] : [];
    });
    const online = await this.registry.online(partners);
    return {
      list: await Promise.all(
        rows.map(async (c) => {
          const conversation = keyFor(c.convId, userId);
          const other = conversation.slice(3);
          const peer = conversation.startsWith('dm:')
            ? await this.peer(other, await this.store.dmAccepted(c.convId), online.has(other))
            : undefined;
          return {
            conversation,
            lastSeq: c.lastSeq,
            lastTs: c.lastTs,
            readSeq: c.readSeq,
            unread: c.unread,
            mentions: c.mentions,
            ...(peer ? { peer } : {}),
          };
        }),
      ),
    };
  }

  /**
   * A dm partner as the user sees them: offline when invisible or with no connection, and
   * until both have written in the dm (a stranger's message does not unlock presence, M5).
   */
  private async peer(
    userId: string,
    accepted: boolean,
    connected: boolean,
  ): Promise<ConversationSummary['peer']> {
    const user = await this.store.userById(userId);
    if (!user) return undefined;
    const status = accepted && connected ? visible(user.status) : 'offline';
    const text = status !== 'offline' ? (user.statusText ?? undefined) : undefined;
    return {
      user_id: userId,
      displayName: user.displayName,
      status,
      ...(text !== undefined ? { text } : {}),
      ...(user.avatar ? { avatar: user.avatar } : {}),
    };
  }

  // ---- filters and topics ------------------------------------------------------------------

  private bind(conn: HubConnection, p: RequestParams<'bind'>): RequestResultMap['bind'] {
    conn.events = p.events ? new Set(p.events) : null;
    conn.rooms = p.rooms ? new Set(p.rooms) : null;
    return { events: p.events ?? null, rooms: p.rooms ?? null };
  }

  private async subscribe(
    conn: HubConnection,
    p: RequestParams<'subscribe'>,
  ): Promise<RequestResultMap['subscribe']> {
    const topic = await this.topicOf(conn, p.topic);
    if (topic.group !== undefined) this.subs.get(conn)?.watching.add(topic.group);
    if (topic.broker === topics.presence) conn.presenceFeed = true;
    await this.listen(conn, topic.broker);
    return { topic: p.topic };
  }

  private async unsubscribe(
    conn: HubConnection,
    p: RequestParams<'unsubscribe'>,
  ): Promise<RequestResultMap['unsubscribe']> {
    const state = this.subs.get(conn);
    const topic = await this.topicOf(conn, p.topic);
    if (topic.group !== undefined) {
      if (!state?.watching.delete(topic.group)) {
        throw new HubError(ErrorCode.NOT_FOUND, `you are not subscribed to ${p.topic}`);
      }
      // Members keep receiving their group's events; only the extra subscription ends.
      if (!(await this.store.isMember(topic.group, conn.user.userId)))
        this.unlisten(conn, topic.broker);
      return { topic: p.topic };
    }
    if (!state?.topics.has(topic.broker)) {
      throw new HubError(ErrorCode.NOT_FOUND, `you are not subscribed to ${p.topic}`);
    }
    if (topic.broker === topics.presence) conn.presenceFeed = false;
    this.unlisten(conn, topic.broker);
    return { topic: p.topic };
  }

  private async topicOf(
    conn: HubConnection,
    topic: string,
  ): Promise<{ broker: string; group?: string }> {
    const groupTopic = /^\/groups\/([^/]+)\/messages$/.exec(topic);
    if (groupTopic) {
      const group = groupTopic[1]!;
      await this.visibleGroup(conn.user.userId, group);
      return { broker: topics.group(group), group };
    }
    if (topic === '/presence' || topic === '/metrics') {
      if (!conn.user.isAdmin) {
        throw new HubError(ErrorCode.FORBIDDEN, `${topic} is for administrators`);
      }
      return { broker: topic === '/presence' ? topics.presence : topics.metrics };
    }
    throw new HubError(ErrorCode.NOT_FOUND, `there is no topic ${topic}`);
  }

  // ---- presence, rtc, notify ---------------------------------------------------------------

  private async presence(
    conn: HubConnection,
    p: RequestParams<'presence'>,
  ): Promise<RequestResultMap['presence']> {
    const { userId } = conn.user;
    const before = await this.store.userById(userId);
    const text = p.text ?? null;
    await this.store.setPresence(userId, p.status, text);
    const changed =
      !before || visible(before.status) !== visible(p.status) || before.statusText !== text;
    if (changed) await this.broadcastPresence(userId, conn.cid, p.status, text);
    return { status: p.status };
  }

  /**
   * Tells everyone who shares a group or a dm with the user (and the admin `/presence` feed).
   * One frame, published to each of their user topics: no one hears it twice.
   */
  private async broadcastPresence(
    userId: string,
    cid: string | undefined,
    status: PresenceStatus,
    text: string | null,
    profile?: UserProfile,
  ): Promise<void> {
    const shown = visible(status);
    const data: EventDataMap['presence:update'] = {
      user_id: userId,
      ...(shown !== 'offline' && cid !== undefined ? { cid } : {}),
      status: shown,
      ...(text !== null && status !== 'invisible' ? { text } : {}),
      ...(profile ? { profile } : {}),
    };
    const message: EventMessage = {
      event: 'presence:update',
      frame: eventFrame('presence:update', data),
    };
    const contacts = await this.contactsOf(userId);
    if (this.broker.lossless) {
      for (const other of contacts) this.broker.publish(topics.user(other), message);
    } else {
      this.broker.publish(topics.cluster, {
        ctl: 'presence',
        users: [...contacts],
        frame: message.frame,
      });
    }
    this.broker.publish(topics.presence, { ...message, feed: true });
  }

  /** A cluster-wide message: a presence change goes to this server's connections of its users. */
  private fromCluster(m: BrokerMessage): void {
    if (m.ctl !== 'presence') return;
    const message: EventMessage = { event: 'presence:update', frame: m.frame };
    const bytes = Buffer.from(m.frame);
    for (const userId of m.users) {
      for (const conn of this.byUser.get(userId) ?? []) conn.deliver(message, bytes);
    }
  }

  /** Changes the user's name as others see it from now on (messages keep the name they had). */
  private async profile(
    conn: HubConnection,
    p: RequestParams<'profile'>,
  ): Promise<RequestResultMap['profile']> {
    const { userId } = conn.user;
    if (p.displayName !== undefined && p.displayName !== conn.user.displayName) {
      await this.store.setDisplayName(userId, p.displayName);
      // This server's connections of the user sign new messages with it at once; another
      // server's, from their next connection.
      for (const c of this.byUser.get(userId) ?? []) c.user.displayName = p.displayName;
      await this.profileChanged(userId);
    }
    const user = await this.store.userById(userId);
    return {
      displayName: user?.displayName ?? conn.user.displayName,
      avatar: user?.avatar ?? null,
    };
  }

  /** Tells the user's contacts their new name or picture (with their status, as presence does). */
  async profileChanged(userId: string): Promise<void> {
    const user = await this.store.userById(userId);
    if (!user) return;
    const online = (await this.registry.online([userId])).has(userId);
    await this.broadcastPresence(
      userId,
      undefined,
      online ? user.status : 'invisible',
      user.statusText,
      { displayName: user.displayName, avatar: user.avatar },
    );
  }

  /** Everyone who shares a group or a dm with the user, the user included. */
  private async contactsOf(userId: string): Promise<Set<string>> {
    const out = new Set<string>([userId]);
    for (const group of await this.store.userGroups(userId)) {
      for (const member of (await this.store.groupMembers(group)) ?? []) out.add(member);
    }
    for (const other of await this.store.dmPartners(userId)) out.add(other);
    return out;
  }

  /** A shared group, or a dm both have written in (a stranger's message alone is not enough, M5). */
  private async sharesConversation(a: string, b: string): Promise<boolean> {
    if (a === b) return true;
    if (await this.store.dmAccepted(dmConvId(a, b))) return true;
    const groupsOfB = new Set(await this.store.userGroups(b));
    return (await this.store.userGroups(a)).some((g) => groupsOfB.has(g));
  }

  private async rtc(
    conn: HubConnection,
    p: RequestParams<'rtc'>,
  ): Promise<RequestResultMap['rtc']> {
    const { userId } = conn.user;
    let targetUser: string;
    if (p.cid !== undefined) {
      // A connection on this node, or on any other (the registry knows whose it is).
      const owner = this.byCid.get(p.cid)?.user.userId ?? (await this.registry.userOfCid(p.cid));
      // An invisible user's connection is answered only by someone it signalled lately (a call
      // it takes part in); to anyone else it is as gone as a closed one (review M7).
      const hidden =
        owner !== undefined &&
        owner !== userId &&
        (await this.store.userById(owner))?.status === 'invisible' &&
        !(await this.registry.signalled(p.cid, userId));
      if (owner === undefined || hidden) {
        throw new HubError(ErrorCode.NOT_FOUND, `no connection ${p.cid}; it may have gone`);
      }
      targetUser = owner;
    } else {
      targetUser = p.user_id!;
    }
    if (!(await this.sharesConversation(userId, targetUser))) {
      throw new HubError(ErrorCode.FORBIDDEN, 'you share no group or conversation with that user');
    }
    const bytes = Buffer.byteLength(JSON.stringify(p.signal));
    if (bytes > MAX_SIGNAL_BYTES) {
      throw new HubError(
        ErrorCode.TOO_LARGE,
        `the signal is ${bytes} bytes; the limit is ${MAX_SIGNAL_BYTES}`,
      );
    }
    this.chargeSignal(userId, targetUser, bytes);
    // A user with no live connection (or invisible) is offline to a caller: one answer for both.
    if (
      p.cid === undefined &&
      (!(await this.registry.online([targetUser])).has(targetUser) ||
        (await this.store.userById(targetUser))?.status === 'invisible')
    ) {
      throw new HubError(ErrorCode.NOT_FOUND, 'that user is offline');
    }
    this.broker.publish(topics.user(targetUser), {
      event: 'rtc:signal',
      ...(p.cid !== undefined ? { cid: p.cid } : {}),
      frame: eventFrame('rtc:signal', {
        from: { user_id: userId, cid: conn.cid, displayName: conn.user.displayName },
        callId: p.callId,
        signal: p.signal,
      }),
    });
    await this.registry.noteSignal(conn.cid, targetUser, RTC_ANSWER_WINDOW_MS);
    return {};
  }

  /**
   * Signals from one user to another are limited in count and bytes (review M6): a call needs a
   * burst of candidates, not megabytes a second.
   */
  private chargeSignal(from: string, to: string, bytes: number): void {
    if (from === to) return;
    const now = this.now();
    const key = `${from}>${to}`;
    let budget = this.signalBudgets.get(key);
    if (!budget) {
      const { signalsPerSecond, signalBytesPerSecond } = this.limits;
      budget = {
        count: new TokenBucket(signalsPerSecond, signalsPerSecond * 4, now),
        bytes: new TokenBucket(signalBytesPerSecond, signalBytesPerSecond * 4, now),
      };
      this.signalBudgets.set(key, budget);
    }
    const count = budget.count.take(now);
    const size = count.ok ? budget.bytes.take(now, bytes) : count;
    if (!size.ok) {
      throw new HubError(
        ErrorCode.RATE_LIMITED,
        'too many call signals to this person; slow down',
        size.retryAfterMs,
      );
    }
  }

  private async notify(
    conn: HubConnection,
    p: RequestParams<'notify'>,
  ): Promise<RequestResultMap['notify']> {
    const { userId } = conn.user;
    const targets = [...new Set(p.user_ids)];
    const mine = new Set(await this.store.userGroups(userId));
    for (const target of targets) {
      const shares =
        target === userId || (await this.store.userGroups(target)).some((g) => mine.has(g));
      if (!shares) {
        // One answer for unknown users and strangers, so notify cannot probe for accounts.
        throw new HubError(ErrorCode.FORBIDDEN, `you share no group with ${target}`);
      }
    }
    const data: EventDataMap['notification'] = {
      from: { user_id: userId, displayName: conn.user.displayName },
      title: p.title,
      body: p.body,
      always: false,
    };
    const frame = eventFrame('notification', data);
    let queued = 0;
    let delivered = 0;
    const online = await this.registry.online(targets);
    for (const target of targets) {
      if (online.has(target)) {
        this.broker.publish(topics.user(target), { event: 'notification', frame });
        delivered++;
      } else {
        await this.queueNotification(target, data);
        queued++;
      }
    }
    return { queued, delivered };
  }

  // ---- resume ------------------------------------------------------------------------------

  /**
   * Sends the stored events after each given seq, then a `resume` event per conversation.
   * Returns, per conversation replayed, the seq it was replayed up to.
   */
  private async replay(
    conn: HubConnection,
    resume: Record<string, number>,
  ): Promise<Map<string, number>> {
    const { userId } = conn.user;
    const replayed = new Map<string, number>();
    let budget = RESUME_MAX_BYTES;
    for (const [key, fromSeq] of Object.entries(resume)) {
      let convId: ConvId;
      try {
        convId = await this.readable(userId, key);
      } catch {
        continue; // a conversation the user may not read (any more) is skipped, not an error
      }
      const conversation = key as ConversationKey;
      // Past the byte budget a conversation replays nothing and says `complete: false`: the
      // client pages the rest with `history` (H3: one resume once queued hundreds of MB).
      // The head first: anything committed after it reaches this connection live (held, then
      // released past what is replayed here).
      const head = await this.store.lastSeq(convId);
      const events =
        budget > 0 ? await this.store.eventsAfter(convId, fromSeq, this.resumeMaxEvents) : [];
      let toSeq = fromSeq;
      for (const e of events) {
        const frame = storedEventFrame(e, conversation);
        if (budget <= 0) break;
        budget -= frame.length;
        conn.sendEvent(e.event, conversation, frame);
        toSeq = e.seq;
      }
      conn.sendEvent(
        'resume',
        conversation,
        eventFrame('resume', {
          conversation,
          fromSeq,
          toSeq,
          complete: toSeq >= head,
        }),
      );
      replayed.set(conversation, toSeq);
    }
    return replayed;
  }

  // ---- publishing --------------------------------------------------------------------------

  private publishGroup<E extends EventName>(
    group: string,
    event: E,
    data: EventDataMap[E],
    seq?: number,
  ): void {
    this.broker.publish(topics.group(group), {
      event,
      room: groupKey(group),
      ...(seq !== undefined ? { seq, conv: groupKey(group) } : {}),
      frame: eventFrame(event, data),
    });
  }

  /**
   * Publishes a conversation event; a dm's two sides each see the other's id as the key. `seq`
   * is given for the stored events (send, update, removal), not for read markers.
   */
  private publishConversation<E extends EventName>(
    convId: ConvId,
    event: E,
    build: (conversation: ConversationKey) => EventDataMap[E],
    seq?: number,
  ): void {
    const pair = dmMembers(convId);
    if (!pair) {
      this.publishGroup(convId.slice(6), event, build(convId as ConversationKey), seq);
      return;
    }
    const [a, b] = pair;
    const sides: [string, string][] =
      a === b
        ? [[a, b]]
        : [
            [a, b],
            [b, a],
          ];
    sides.forEach(([reader, other], i) => {
      const conversation = dmKey(other);
      // Only the last side records the published head (`conv`): a server dying between the two
      // publishes leaves the head behind, and the repair loop then tells both sides.
      const last = i === sides.length - 1;
      this.broker.publish(topics.user(reader), {
        event,
        room: conversation,
        ...(seq !== undefined ? { seq, ...(last ? { conv: convId } : {}) } : {}),
        frame: eventFrame(event, build(conversation)),
      });
    });
  }

  /**
   * The user's connections on this node that do not listen to the group yet start to, each
   * replayed the group's events after `fromSeq` first (and handed `frame`, the join, since they
   * were not listening when it was published).
   */
  private async startListening(
    userId: string,
    group: string,
    fromSeq: number,
    frame?: string,
  ): Promise<void> {
    const topic = topics.group(group);
    const conversation = groupKey(group);
    for (const c of [...(this.byUser.get(userId) ?? [])]) {
      const state = this.subs.get(c);
      if (!state || state.topics.has(topic)) continue;
      if (frame !== undefined) c.sendEvent('group:member', conversation, frame);
      c.hold();
      try {
        await this.listen(c, topic);
        c.release(await this.replay(c, { [conversation]: fromSeq }));
      } catch (err) {
        c.release(new Map());
        throw err;
      }
    }
  }

  /** Cluster control messages from other nodes (broker.ts), on a user's topic. */
  private control(topic: string, m: ControlMessage): void {
    if (!topic.startsWith('u:')) return;
    const userId = topic.slice(2);
    const conns = this.byUser.get(userId);
    if (!conns) return;
    switch (m.ctl) {
      case 'listen':
        this.background(this.startListening(userId, m.group, m.seq, m.frame), 'joining');
        return;
      case 'unlisten':
        for (const c of conns) {
          if (!this.subs.get(c)?.watching.has(m.group)) this.unlisten(c, topics.group(m.group));
        }
        return;
      case 'drain': {
        const first = conns.values().next().value;
        if (first) this.background(this.deliverQueued(userId, first), 'notifications');
        return;
      }
      case 'head':
        return; // the fan-out's sequencer takes these
      case 'presence':
        return; // only on the cluster topic (fromCluster)
    }
  }

  /** The store as the sequencer sees it: a topic's conversations, keyed by room. */
  private streamSource(): StreamSource {
    return {
      heads: async (topic) => {
        if (topic.startsWith('g:')) {
          const conversation = groupKey(topic.slice(2));
          return new Map([[conversation, await this.store.lastSeq(conversation)]]);
        }
        if (!topic.startsWith('u:')) return new Map();
        const heads = await this.store.dmHeads(topic.slice(2));
        return new Map([...heads].map(([other, seq]) => [dmKey(other), seq]));
      },
      eventsAfter: async (topic, room, seq, limit) => {
        const convId = topic.startsWith('u:') ? dmConvId(topic.slice(2), room.slice(3)) : room;
        const events = await this.store.eventsAfter(convId, seq, limit);
        return events.map((e) => ({
          event: e.event,
          room,
          seq: e.seq,
          frame: storedEventFrame(e, room as ConversationKey),
        }));
      },
    };
  }

  /** Tells every node that `convId` has events up to `seq` (they fill what they miss). */
  announceHead(convId: ConvId, seq: number): void {
    const pair = dmMembers(convId);
    if (!pair) {
      this.broker.publish(topics.group(convId.slice(6)), { ctl: 'head', room: convId, seq });
      return;
    }
    const [a, b] = pair;
    this.broker.publish(topics.user(a), { ctl: 'head', room: dmKey(b), seq });
    if (a !== b) this.broker.publish(topics.user(b), { ctl: 'head', room: dmKey(a), seq });
  }

  /** Resolves when the topic's events reach the connection. */
  private listen(conn: HubConnection, topic: string): Promise<void> {
    const state = this.subs.get(conn);
    if (!state || state.topics.has(topic)) return Promise.resolve();
    state.topics.add(topic);
    return this.fanout.add(topic, conn);
  }

  private unlisten(conn: HubConnection, topic: string): void {
    const state = this.subs.get(conn);
    if (!state?.topics.delete(topic)) return;
    this.fanout.remove(topic, conn);
  }
}
