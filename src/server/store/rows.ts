// Rows as the databases return them, turned into the Store's records: one set of mappers for
// SQLite (booleans as 0/1, JSON as text) and PostgreSQL (booleans, JSON parsed).
import { randomBytes } from 'node:crypto';
import {
  MAX_REACTIONS_PER_MESSAGE,
  type MessageBody,
  type PresenceStatus,
  type Reaction,
} from '../../shared/protocol.js';
import type {
  AppendMessage,
  ConversationRow,
  FileRecord,
  MessageRecord,
  UserRecord,
} from './store.js';

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString('base64url')}`;
}

/** The stored `message:send` event of a new message (less its conversation and seq). */
export function sendEventData(messageId: string, m: AppendMessage) {
  return {
    messageId,
    ts: m.ts,
    from: m.sender,
    body: m.body,
    clientMsgId: m.clientMsgId,
    ...(m.notification ? { notification: m.notification } : {}),
  };
}

/** SQLite stores booleans as 0/1. */
type Flag = boolean | number;

export interface UserRow {
  user_id: string;
  username: string;
  display_name: string;
  pass_hash: string;
  is_admin: Flag;
  status: string;
  status_text: string | null;
  token_version: number;
  avatar?: string | null;
}

export function toUser(r: UserRow | undefined): UserRecord | undefined {
  if (!r) return undefined;
  return {
    userId: r.user_id,
    username: r.username,
    displayName: r.display_name,
    passHash: r.pass_hash,
    isAdmin: r.is_admin === true || r.is_admin === 1,
    status: r.status as PresenceStatus,
    statusText: r.status_text,
    tokenVersion: r.token_version,
    avatar: r.avatar ?? null,
  };
}

export interface MessageRow {
  message_id: string;
  conv_id: string;
  seq: number;
  last_seq: number;
  sender_id: string;
  sender_name: string;
  client_msg_id: string;
  /** Text in SQLite, parsed JSON in PostgreSQL; null once removed. */
  body: string | MessageBody | null;
  ts: number;
  edited_ts: number | null;
  removed: Flag;
  /** Text in SQLite, parsed JSON in PostgreSQL; null when nobody reacted. */
  reactions: string | Reaction[] | null;
}

export function reactionsOf(r: Pick<MessageRow, 'reactions'>): Reaction[] {
  if (r.reactions === null) return [];
  return typeof r.reactions === 'string' ? (JSON.parse(r.reactions) as Reaction[]) : r.reactions;
}

/**
 * A message's reactions after `userId` adds (`on`) or takes back `emoji`: the same list when
 * nothing changes (a repeat), 'full' when it would be one emoji more than a message may carry.
 * An emoji nobody reacts with any more leaves the list; the others keep their order.
 */
export function applyReaction(
  current: readonly Reaction[],
  userId: string,
  emoji: string,
  on: boolean,
): Reaction[] | 'unchanged' | 'full' {
  const at = current.findIndex((r) => r.emoji === emoji);
  const has = at >= 0 && current[at]!.user_ids.includes(userId);
  if (has === on) return 'unchanged';
  if (on) {
    if (at < 0) {
      if (current.length >= MAX_REACTIONS_PER_MESSAGE) return 'full';
      return [...current, { emoji, user_ids: [userId] }];
    }
    return current.map((r, i) => (i === at ? { emoji, user_ids: [...r.user_ids, userId] } : r));
  }
  return current
    .map((r, i) => (i === at ? { emoji, user_ids: r.user_ids.filter((u) => u !== userId) } : r))
    .filter((r) => r.user_ids.length > 0);
}

export function toHistory(r: MessageRow) {
  return {
    messageId: r.message_id,
    seq: r.seq,
    lastSeq: r.last_seq,
    ts: r.ts,
    ...(r.edited_ts !== null ? { editedTs: r.edited_ts } : {}),
    removed: r.removed === true || r.removed === 1,
    from: { user_id: r.sender_id, displayName: r.sender_name },
    body: bodyOf(r),
    clientMsgId: r.client_msg_id,
    ...(r.reactions !== null && !(r.removed === true || r.removed === 1)
      ? { reactions: reactionsOf(r) }
      : {}),
  };
}

export function toMessage(r: MessageRow): MessageRecord {
  return {
    messageId: r.message_id,
    convId: r.conv_id,
    seq: r.seq,
    lastSeq: r.last_seq,
    senderId: r.sender_id,
    senderName: r.sender_name,
    clientMsgId: r.client_msg_id,
    ts: r.ts,
    removed: r.removed === true || r.removed === 1,
    body: bodyOf(r),
  };
}

function bodyOf(r: Pick<MessageRow, 'body'>): MessageBody | null {
  return typeof r.body === 'string' ? (JSON.parse(r.body) as MessageBody) : r.body;
}

/**
 * A user's search query as words for the databases' full-text indexes: letters, digits and
 * marks only (no query syntax gets through), lower case, at most 8, each at least one character.
 */
/**
 * The words of a search: letters, digits and marks, at least two characters each (one letter
 * would match the start of almost every word: F5; an ideograph is a word by itself), eight at most.
 */
const IDEOGRAPHIC = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]$/u;

export function searchWords(query: string): string[] {
  return (query.toLowerCase().match(/[\p{L}\p{N}\p{M}]+/gu) ?? [])
    .filter((w) => [...w].length >= 2 || IDEOGRAPHIC.test(w))
    .slice(0, 8);
}

export interface FileRow {
  file_id: string;
  conv_id: string;
  uploader_id: string;
  name: string;
  type: string;
  /** bigint in PostgreSQL arrives as text. */
  size: number | string;
  sha256: string;
  created_at: number | string;
  message_id?: string | null;
}

export function toFile(r: FileRow | undefined): FileRecord | undefined {
  if (!r) return undefined;
  return {
    fileId: r.file_id,
    convId: r.conv_id,
    uploaderId: r.uploader_id,
    name: r.name,
    type: r.type,
    size: Number(r.size),
    sha256: r.sha256,
    ...(r.message_id ? { messageId: r.message_id } : {}),
    createdAt: Number(r.created_at),
  };
}

/** A sidebar row as both databases answer it (counts may come as text from PostgreSQL). */
export interface ConversationDbRow {
  conv_id: string;
  last_seq: number;
  last_ts: number;
  read_seq: number | null;
  unread: number;
  mentions: number;
}

export function toConversation(r: ConversationDbRow): ConversationRow {
  return {
    convId: r.conv_id,
    lastSeq: r.last_seq,
    lastTs: r.last_ts,
    readSeq: r.read_seq ?? 0,
    unread: Number(r.unread),
    mentions: Number(r.mentions),
  };
}
