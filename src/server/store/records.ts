// The records the Store trades in, shared by both backends and by the hub.
import type {
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
  /** Their picture's blob id, or null. */
  avatar: string | null;
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
  senderName: string;
  clientMsgId: string;
  ts: number;
  removed: boolean;
  /** null once removed. */
  body: MessageBody | null;
}

/** A message found by a search, with its conversation and where the next page starts. */
export interface SearchRow extends Omit<HistoryMessage, 'conversation'> {
  convId: ConvId;
  /** Opaque to the hub: the next page's `before`. */
  cursor: string;
}

export interface MessageSearch {
  /** Conversations to look in (those the user may read). */
  convIds: ConvId[];
  /** Words from the user's query; each must appear, as a word or the start of one. */
  words: string[];
  limit: number;
  /** A previous hit's cursor: only hits older than it. */
  before?: string;
}

/** An attachment: its bytes are in the BlobStore under `fileId`. */
export interface FileRecord {
  fileId: string;
  /** The conversation it was uploaded to: only its readers may fetch it. */
  convId: ConvId;
  uploaderId: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
  createdAt: number;
  /** The message it was posted in, once posted (a file is posted once). */
  messageId?: string;
}

/** What a file counts against its uploader's storage at least: an empty file still costs an inode. */
export const FILE_MIN_CHARGE = 4096;

/** A change to a group shown as a line in its conversation (not a message: no seq, no unread). */
export interface GroupEventRow {
  ts: number;
  userId: string;
  displayName: string;
  action: 'joined' | 'left' | 'topic';
  /** The new topic ('' when cleared), for `topic`. */
  topic?: string;
}

/** Someone found by name, to start a dm with. */
export interface PersonRow {
  userId: string;
  username: string;
  displayName: string;
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
  /** Of those, the ones mentioning the user as @username (shared/mentions.ts). */
  mentions: number;
}
