// What the hub needs from durable storage: one repository per domain, composed into Store.
// SQLite (./sqlite/) is the embedded default; PostgreSQL (./postgres/) serves several servers.
// Both folders hold the same file names, one per repository below, so they read side by side.
//
// The interface is asynchronous so that a networked database can stand behind it. Ordering no
// longer comes from "one turn of the event loop": the gateway serves each connection's requests
// one at a time, and a connection being attached holds its live events while the resume replay
// is read, then delivers those the replay did not cover (by seq). SQLite answers at once behind
// the same interface (asyncStore).
import type {
  GroupSummary,
  HistoryMessage,
  MessageBody,
  PresenceStatus,
  Reaction,
  ThreadSummary,
} from '../../shared/protocol.js';
import type {
  AppendMessage,
  AppendResult,
  ConvId,
  ConversationRow,
  FileRecord,
  GroupEventRow,
  GroupQuery,
  MessageRecord,
  MessageSearch,
  PersonRow,
  QueueCaps,
  SearchRow,
  StoredEvent,
  UserRecord,
} from './records.js';

export type * from './records.js';
export { FILE_MIN_CHARGE } from './records.js';

export interface UserRepo {
  createUser(u: {
    username: string;
    displayName: string;
    passHash: string;
  }): Promise<UserRecord | null>;
  userByName(username: string): Promise<UserRecord | undefined>;
  userById(userId: string): Promise<UserRecord | undefined>;
  setPresence(userId: string, status: PresenceStatus, text: string | null): Promise<void>;
  setDisplayName(userId: string, displayName: string): Promise<void>;
  /** Sets (or with null clears) the user's picture; answers the one it replaced. */
  setAvatar(userId: string, avatar: string | null): Promise<string | null>;
  /** Users whose username or display name starts with `prefix` (any case), by username. */
  searchPeople(prefix: string, limit: number): Promise<PersonRow[]>;
}

export interface TokenRepo {
  /** Sets a new password hash and raises the token version; returns the new version. */
  setPassword(userId: string, passHash: string): Promise<number>;
  bumpTokenVersion(userId: string): Promise<number>;
  revokeToken(jti: string, expiresAt: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
}

export interface GroupRepo {
  /** Joins, creating the group (public unless `isPrivate`) when it does not exist. */
  joinGroup(
    group: string,
    userId: string,
    isPrivate?: boolean,
  ): Promise<{ changed: boolean; members: number }>;
  /** null when the user is not a member. */
  leaveGroup(group: string, userId: string): Promise<{ members: number } | null>;
  groupMembers(group: string): Promise<string[] | undefined>;
  userGroups(userId: string): Promise<string[]>;
  /** Of the user's groups, the private ones (the sidebar marks them with a lock). */
  privateGroupsOf(userId: string): Promise<string[]>;
  isMember(group: string, userId: string): Promise<boolean>;
  searchGroups(q: GroupQuery): Promise<GroupSummary[]>;
  memberCount(group: string): Promise<number | undefined>;
  /** The group's facts, and whether `viewer` is a member (one query: posting asks on each). */
  group(
    group: string,
    viewer: string,
  ): Promise<{ members: number; private: boolean; member: boolean; topic: string } | undefined>;
  createInvite(code: string, group: string, createdBy: string, expiresAt: number): Promise<void>;
  /** The group an unexpired invite code opens, while its maker is still a member (F2). */
  inviteGroup(code: string, now: number): Promise<string | undefined>;
  /** A group's unexpired invites whose makers are still members, newest first. */
  invitesOf(
    group: string,
    now: number,
  ): Promise<{ code: string; createdBy: string; expiresAt: number }[]>;
  /** Ends an invite of the group; false when there was none. */
  revokeInvite(group: string, code: string): Promise<boolean>;
  /** Who created the group (its first member to join), when its history says. */
  groupCreator(group: string): Promise<string | undefined>;
  /** Records a join, a leave or a topic change of a group (a topic also becomes the group's). */
  logGroupEvent(
    group: string,
    e: { ts: number; userId: string; action: GroupEventRow['action']; topic?: string },
  ): Promise<void>;
  /** A group's changes with `fromTs <= ts <= toTs`, oldest first, at most `limit`. */
  groupEvents(group: string, fromTs: number, toTs: number, limit: number): Promise<GroupEventRow[]>;
}

export interface MessageRepo {
  /**
   * Stores a message with the conversation's next seq. Appends are stored in the order they were
   * called, even before the earlier ones have answered (a connection's posts rely on it).
   */
  appendMessage(m: AppendMessage): Promise<AppendResult>;
  message(messageId: string): Promise<MessageRecord | undefined>;
  editMessage(messageId: string, body: MessageBody, ts: number): Promise<{ seq: number }>;
  /** Tombstones the message and forgets its files (their ids, for deleting the bytes: F4). */
  removeMessage(messageId: string, ts: number): Promise<{ seq: number; removedFiles: string[] }>;
  /**
   * Adds or takes back a user's reaction, as a `message:reactions` event with the message's
   * reactions after it. A repeat changes nothing and takes no seq (`changed: false`, `seq` the
   * message's latest); 'full' when the message already has the most emoji it may.
   */
  react(
    messageId: string,
    userId: string,
    emoji: string,
    on: boolean,
    ts: number,
  ): Promise<{ changed: boolean; seq: number; reactions: Reaction[] } | 'full'>;
}

export interface HistoryRepo {
  /** A page of the conversation, or with `thread` of the replies in that message's thread. */
  history(
    convId: ConvId,
    page: { before?: number; after?: number; limit: number; thread?: string },
  ): Promise<Omit<HistoryMessage, 'conversation'>[]>;
  /** Reply counts of the threads these messages start (those with no replies are left out). */
  threadSummaries(convId: ConvId, rootIds: string[]): Promise<Map<string, ThreadSummary>>;
  /** Messages not removed whose text holds every word (or a word starting so), newest first. */
  searchMessages(q: MessageSearch): Promise<SearchRow[]>;
  eventsAfter(convId: ConvId, seq: number, limit: number): Promise<StoredEvent[]>;
}

export interface ConversationRepo {
  lastSeq(convId: ConvId): Promise<number>;
  conversationExists(convId: ConvId): Promise<boolean>;
  /** A dm both people have written in: only then do they see each other's presence or ring. */
  dmAccepted(convId: ConvId): Promise<boolean>;
  /** Raises the user's read marker; returns the marker after the call. */
  markRead(userId: string, convId: ConvId, seq: number): Promise<number>;
  conversationsOf(userId: string, username: string): Promise<ConversationRow[]>;
  /** Everyone the user has an accepted dm conversation with. */
  dmPartners(userId: string): Promise<string[]>;
  /** Every dm of the user with its last seq, keyed by the other party (accepted or not). */
  dmHeads(userId: string): Promise<Map<string, number>>;
  /** Conversations written since `sinceTs`, with their last seq (the cluster's repair loop). */
  recentHeads(sinceTs: number): Promise<{ convId: ConvId; lastSeq: number }[]>;
}

export interface NotificationRepo {
  queueNotification(
    userId: string,
    data: Record<string, unknown>,
    ts: number,
    caps: QueueCaps,
  ): Promise<void>;
  /** Returns and forgets the user's queued notifications, oldest first (cheap when none). */
  takeNotifications(userId: string): Promise<Record<string, unknown>[]>;
  purgeNotifications(olderThanTs: number): Promise<number>;
}

export interface FileRepo {
  addFile(f: FileRecord): Promise<void>;
  file(fileId: string): Promise<FileRecord | undefined>;
  /** Bytes the user's uploads take, each file counted as at least FILE_MIN_CHARGE (F8). */
  storageUsed(userId: string): Promise<number>;
  /** Forgets up to `limit` uploads never posted in a message and older than `before`: their ids. */
  takeUnattachedFiles(before: number, limit: number): Promise<string[]>;
}

/** Housekeeping that spans repositories. */
export interface StoreUpkeep {
  /** Forgets revoked tokens and invites that have expired (and compacts what removals left). */
  purgeExpired(now: number): Promise<void>;
  /** Closes the database (a networked store ends its connections). Safe to call twice. */
  close(): Promise<void>;
}

export type Store = UserRepo &
  TokenRepo &
  GroupRepo &
  MessageRepo &
  HistoryRepo &
  ConversationRepo &
  NotificationRepo &
  FileRepo &
  StoreUpkeep;

/** The same methods answering at once: what an embedded database can do (SQLite). */
export type Sync<R> = {
  [K in keyof R]: R[K] extends (...args: infer A) => Promise<infer T> ? (...args: A) => T : never;
};

export type SyncStore = Sync<Store>;

/**
 * A synchronous store behind the async interface. Each call still runs at once, in the caller's
 * turn; only its answer waits for a microtask.
 */
export function asyncStore(sync: SyncStore): Store {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(sync) as (keyof SyncStore)[]) {
    const fn = sync[key] as (...args: unknown[]) => unknown;
    out[key] = (...args: unknown[]) => {
      try {
        return Promise.resolve(fn(...args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  return out as unknown as Store;
}

/** The store refused work for load (a search queue full, a search past its time): BUSY. */
export class StoreBusyError extends Error {}

export function dmConvId(a: string, b: string): ConvId {
  return a < b ? `dm:${a}|${b}` : `dm:${b}|${a}`;
}

/** The two members of a dm conversation id, or null for a group id. */
export function dmMembers(convId: ConvId): [string, string] | null {
  if (!convId.startsWith('dm:')) return null;
  const [a, b] = convId.slice(3).split('|');
  return a && b ? [a, b] : null;
}

/** The group of a group conversation id, or null for a dm id. */
export function groupOfConv(convId: ConvId): string | null {
  return convId.startsWith('group:') ? convId.slice(6) : null;
}
