// The hub's ports: what it needs of a connection (the gateway implements it), its options, and
// the error every request handler throws with a protocol code.
import type { ErrorCode, EventName, IceServer } from '../../shared/protocol.js';
import type { Broker } from '../broker.js';
import type { Limits } from '../config.js';
import type { Recipient } from '../local-fanout.js';
import type { LiveRegistry } from '../registry.js';
import type { SfuEndpoint } from '../sfu/sfu-pool.js';
import type { Store } from '../store/store.js';

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
  /** Closes with 4001 if the connection signed in with token `jti` (any token when absent). */
  endSession(jti: string | undefined): void;
}

export interface HubOptions {
  store: Store;
  broker: Broker;
  /** Who is connected across the cluster; this process's maps by default. */
  registry?: LiveRegistry;
  /** Test failpoint: runs after a post is committed, before it is published. */
  afterCommit?: () => void;
  limits: Pick<
    Limits,
    | 'maxTextBytes'
    | 'signalsPerSecond'
    | 'signalBytesPerSecond'
    | 'groupsCreatedPerUserPerDay'
    | 'subscriptionsPerConnection'
  >;
  resumeMaxEvents: number;
  /** STUN/TURN servers for calls, given to signed-in users only (TURN credentials). */
  iceServers?: IceServer[];
  /** Janus instances for group calls; none: group calls stay a mesh. */
  sfu?: SfuEndpoint[];
  /** News worth a log line (an SFU connected or lost). */
  onLog?: (message: string, detail?: unknown) => void;
  now?: () => number;
  /** A stored file's picture header, if it is one (thumbnails are checked: F10). */
  imageHeader?: (
    fileId: string,
  ) => Promise<{ type: string; width: number; height: number } | undefined>;
  /** Deletes the bytes of files whose records the store dropped (a removed message's). */
  deleteFiles?: (fileIds: string[]) => Promise<void>;
  /** Failures of work no request waits for (presence on leave); logged by the caller. */
  onError?: (err: unknown, what: string) => void;
}

export interface HubStats {
  messages: number;
  deliveries: number;
}
