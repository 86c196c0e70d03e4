// What the hub needs from durable storage. SQLite (./sqlite.ts) is the embedded default.
//
// The interface is synchronous on purpose: with an embedded database a request's writes and the
// fan-out of its events happen in one turn of the event loop, so a reconnecting client's resume
// replay can never interleave with a live event. A networked store would make this async and
// needs a per-connection replay buffer in the gateway first (see docs/protocol.md, "Ordering").
import type {
  GroupSummary,
  HistoryMessage,
  MessageBody,
  NotificationRequest,
  PresenceStatus,
  Sender,
  StoredEventName,
} from '../../shared/protocol.js';

export interface UserRecord {
  userId: string;
  username: string;
  displayName: string;
  passHash: string;
  isAdmin: boolean;
  status: PresenceStatus;
  statusText: string | null;
  /** Raised by a password change or "sign out everywhere": older tokens stop working. */
  tokenVersion: number;
}

/** Bounds of one user's offline notification queue (review M2). */
export interface QueueCaps {
  /** Newest kept in all. */
  total: number;
  /** Newest kept from any one sender: repeats collapse. */
  perSender: number;
}

/** Conversation ids inside the server: `group:NAME`, or `dm:A|B` with A < B. */
export type ConvId = string;

export interface MessageRecord {
  messageId: string;
  convId: ConvId;
  seq: number;
  lastSeq: number;
  senderId: string;
  clientMsgId: string;
  ts: number;
  removed: boolean;
}

/** One stored event of a conversation's log, as replayed on resume. */
export interface StoredEvent {
  seq: number;
  event: StoredEventName;
  /** The event's data less `conversation` and `seq`, which depend on the reader and the log. */
  data: Record<string, unknown>;
}

export interface AppendMessage {
  convId: ConvId;
  /** For a dm: the two user ids (kept so rtc and listings can tell who is in it). */
  dmPair?: [string, string];
  sender: Sender;
  clientMsgId: string;
  body: MessageBody;
  notification?: NotificationRequest;
  ts: number;
}

export interface AppendResult {
  messageId: string;
  convId: ConvId;
  seq: number;
  ts: number;
  /** True when (sender, clientMsgId) was seen before: nothing new was stored. */
  duplicate: boolean;
}

export interface GroupQuery {
  searchFor?: 'group' | 'number_of_users';
  value?: string | number;
  condition?: '>' | '>=' | '=' | '<' | '<=' | '!=';
  range?: string | number;
  limit: number;
  /** Who asks: private groups are listed to their members only. */
  viewer: string;
  /** The last group name of the previous page. */
  after?: string;
}

export interface ConversationRow {
  convId: ConvId;
  lastSeq: number;
  lastTs: number;
  readSeq: number;
  /** Messages from others after the read marker, not removed; at most UNREAD_CAP. */
  unread: number;
}

export interface Store {
  createUser(u: { username: string; displayName: string; passHash: string }): UserRecord | null;
  userByName(username: string): UserRecord | undefined;
  userById(userId: string): UserRecord | undefined;
  setPresence(userId: string, status: PresenceStatus, text: string | null): void;
  /** Sets a new password hash and raises the token version; returns the new version. */
  setPassword(userId: string, passHash: string): number;
  bumpTokenVersion(userId: string): number;
  revokeToken(jti: string, expiresAt: number): void;
  isRevoked(jti: string): boolean;
  /** Forgets revoked tokens and invites that have expired. */
  purgeExpired(now: number): void;

  /** Joins, creating the group (public unless `isPrivate`) when it does not exist. */
  joinGroup(
    group: string,
    userId: string,
    isPrivate?: boolean,
  ): { changed: boolean; members: number };
  /** null when the user is not a member. */
  leaveGroup(group: string, userId: string): { members: number } | null;
  groupMembers(group: string): string[] | undefined;
  userGroups(userId: string): string[];
  isMember(group: string, userId: string): boolean;
  searchGroups(q: GroupQuery): GroupSummary[];
  memberCount(group: string): number | undefined;
  group(group: string): { members: number; private: boolean } | undefined;
  createInvite(code: string, group: string, createdBy: string, expiresAt: number): void;
  /** The group an unexpired invite code opens. */
  inviteGroup(code: string, now: number): string | undefined;

  appendMessage(m: AppendMessage): AppendResult;
  message(messageId: string): MessageRecord | undefined;
  editMessage(messageId: string, body: MessageBody, ts: number): { seq: number };
  removeMessage(messageId: string, ts: number): { seq: number };
  history(
    convId: ConvId,
    page: { before?: number; after?: number; limit: number },
  ): Omit<HistoryMessage, 'conversation'>[];
  eventsAfter(convId: ConvId, seq: number, limit: number): StoredEvent[];
  lastSeq(convId: ConvId): number;
  conversationExists(convId: ConvId): boolean;
  /** A dm both people have written in: only then do they see each other's presence or ring. */
  dmAccepted(convId: ConvId): boolean;
  /** Raises the user's read marker; returns the marker after the call. */
  markRead(userId: string, convId: ConvId, seq: number): number;
  conversationsOf(userId: string): ConversationRow[];
  /** Everyone the user has an accepted dm conversation with. */
  dmPartners(userId: string): string[];

  queueNotification(
    userId: string,
    data: Record<string, unknown>,
    ts: number,
    caps: QueueCaps,
  ): void;
  /** Returns and forgets the user's queued notifications, oldest first (cheap when none). */
  takeNotifications(userId: string): Record<string, unknown>[];
  purgeNotifications(olderThanTs: number): number;

  close(): void;
}

export function dmConvId(a: string, b: string): ConvId {
  return a < b ? `dm:${a}|${b}` : `dm:${b}|${a}`;
}

/** The two members of a dm conversation id, or null for a group id. */
export function dmMembers(convId: ConvId): [string, string] | null {
  if (!convId.startsWith('dm:')) return null;
  const [a, b] = convId.slice(3).split('|');
  return a && b ? [a, b] : null;
}
