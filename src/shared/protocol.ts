// Wire types of Parley protocol v1 (docs/protocol.md). Runs anywhere: no node, DOM or electron.
// Names here are the public contract: extend, never rename.

import type { SfuCallState, SfuEventData, SfuResult } from './sfu-protocol.js';

export type * from './sfu-protocol.js';

export const PROTOCOL_VERSION = '1';
export const REALTIME_PATH = '/v1/realtime';
export const DEFAULT_PORT = 7420;

/** Stable error codes, shared by HTTP answers, error replies and authresponse failures. */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  NOT_AUTHENTICATED: 'NOT_AUTHENTICATED',
  ALREADY_AUTHENTICATED: 'ALREADY_AUTHENTICATED',
  AUTH_FAILED: 'AUTH_FAILED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  USERNAME_TAKEN: 'USERNAME_TAKEN',
  REGISTRATION_CLOSED: 'REGISTRATION_CLOSED',
  NOT_JOINED: 'NOT_JOINED',
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  TOO_LARGE: 'TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  SERVER_FULL: 'SERVER_FULL',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** A private group: joining needs an invite from a member. */
  INVITE_REQUIRED: 'INVITE_REQUIRED',
  /** The token was signed out (revoked) or its password changed since. */
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  /** The server is too busy to take this now (e.g. password checks queued); try again shortly. */
  BUSY: 'BUSY',
  /** The user's uploads would pass their storage quota: remove messages with files first. */
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  /** A group call already holds as many people as a call can (25). */
  CALL_FULL: 'CALL_FULL',
  /** No SFU is configured or up for a group call. */
  SFU_UNAVAILABLE: 'SFU_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const CloseCode = {
  GOING_AWAY: 1001,
  /** The server lost track of this connection's events (a cluster fault): resume and go on. */
  SERVICE_RESTART: 1012,
  FRAME_TOO_LARGE: 1009,
  AUTH_FAILED: 4001,
  AUTH_TIMEOUT: 4008,
  HEARTBEAT_TIMEOUT: 4009,
  RATE_LIMIT: 4029,
  TOO_MANY_CONNECTIONS: 4030,
  SLOW_CONSUMER: 4031,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export interface ProtocolError {
  code: ErrorCode;
  message: string;
  /** Only with RATE_LIMITED: how long to wait before trying again. */
  retryAfterMs?: number;
}

// ---- conversations -------------------------------------------------------------------------

/** `group:NAME` or `dm:USERID` (the other party's id, as the reader sees it). */
export type ConversationKey = `group:${string}` | `dm:${string}`;

export type Recipient = { group: string } | { user: string };

export type PresenceStatus = 'online' | 'away' | 'busy' | 'invisible';
/** What others see: `invisible` is shown to them as `offline`. */
export type VisibleStatus = Exclude<PresenceStatus, 'invisible'> | 'offline';

/** `unread` counts stop here (a client shows "99+"): counting further cost the server too much. */
export const UNREAD_CAP = 100;

export interface MessageBody {
  text: string;
  [extra: string]: unknown;
}

export interface NotificationRequest {
  title: string;
  body: string;
  always?: boolean;
}

export interface Sender {
  user_id: string;
  cid: string;
  displayName: string;
}

/** Everyone who reacted to a message with one emoji, in the order they did. */
export interface Reaction {
  emoji: string;
  user_ids: string[];
}

/** Different emoji on one message at most (`TOO_LARGE` past it); anyone may add to those. */
export const MAX_REACTIONS_PER_MESSAGE = 20;

/** A message as `history` returns it: its current state. */
export interface HistoryMessage {
  messageId: string;
  conversation: ConversationKey;
  /** The seq of the message's own `message:send` event. */
  seq: number;
  /** The seq of the latest event about this message (send, edit or removal). */
  lastSeq: number;
  ts: number;
  editedTs?: number;
  removed: boolean;
  from: { user_id: string; displayName: string };
  /** null once removed. */
  body: MessageBody | null;
  clientMsgId: string;
  /** Left out when nobody has reacted (and once removed). */
  reactions?: Reaction[];
  /** A thread's root: its replies so far (left out when it has none). */
  replies?: ThreadSummary;
}

/** What a message quoted in a reply showed when the reply was posted (set by the server). */
export interface ReplyQuote {
  messageId: string;
  from: { user_id: string; displayName: string };
  /** The start of its text now, at most REPLY_QUOTE_CHARS characters (kept up with edits). */
  text: string;
  /** The quoted message was removed: the quote keeps no text of it. */
  removed?: boolean;
}

/** What a reply quotes of a message's text: its start, at most REPLY_QUOTE_CHARS characters. */
export function replyQuoteText(text: string): string {
  const chars = Array.from(text);
  return chars.length > REPLY_QUOTE_CHARS
    ? `${chars.slice(0, REPLY_QUOTE_CHARS).join('')}…`
    : chars.join('');
}

/**
 * Fields of a stored body that only the server writes (a client sending them gets BAD_REQUEST):
 * `reply`, the message answered with a quote; `thread`, the root of the thread the message is in,
 * and `threadFrom`, that root's author.
 */
export interface ServerBodyFields {
  reply?: ReplyQuote;
  thread?: string;
  /** The user who wrote the thread's root: their clients notify them of replies. */
  threadFrom?: string;
}
export const SERVER_BODY_FIELDS = ['reply', 'thread', 'threadFrom', 'call'] as const;
export const REPLY_QUOTE_CHARS = 200;

/** An attachment as a message names it (`body.files`); its bytes are at GET /v1/files/ID. */
export interface MessageFile {
  fileId: string;
  name: string;
  type: string;
  size: number;
  /** Images: their size in pixels, and a small preview uploaded beside them. */
  width?: number;
  height?: number;
  thumbFileId?: string;
}
export const MAX_FILES_PER_MESSAGE = 10;

export interface ThreadSummary {
  /** Replies not removed. */
  count: number;
  lastSeq: number;
  lastTs: number;
}

/** A message found by `search`: as history has it, with where to show it. */
export type SearchHit = HistoryMessage;

/** A join, leave or topic change of a group, as a line in its chat. */
export interface GroupEvent {
  ts: number;
  user_id: string;
  displayName: string;
  action: 'joined' | 'left' | 'topic';
  topic?: string;
}
export const MAX_TOPIC_CHARS = 250;

/** Someone found by `people`, to start a dm with. */
export interface PersonSummary {
  user_id: string;
  username: string;
  displayName: string;
}

// ---- events --------------------------------------------------------------------------------

export interface EventDataMap {
  'message:send': {
    messageId: string;
    conversation: ConversationKey;
    seq: number;
    ts: number;
    from: Sender;
    /** null in a replayed event of a message removed since: its tombstone (`removed: true`). */
    body: MessageBody | null;
    removed?: true;
    clientMsgId: string;
    notification?: NotificationRequest;
  };
  'message:updated': {
    messageId: string;
    conversation: ConversationKey;
    seq: number;
    ts: number;
    /** The message's current body (older versions are not kept); null once it was removed. */
    body: MessageBody | null;
  };
  'message:removed': { messageId: string; conversation: ConversationKey; seq: number; ts: number };
  /** A reaction was added or taken back: the message's reactions as they are now. */
  'message:reactions': {
    messageId: string;
    conversation: ConversationKey;
    seq: number;
    ts: number;
    reactions: Reaction[];
  };
  'message:compose': {
    conversation: ConversationKey;
    from: Sender;
    state: 'typing' | 'paused';
  };
  'message:read': { conversation: ConversationKey; user_id: string; seq: number };
  'group:member': {
    group: string;
    user_id: string;
    cid: string;
    action: 'joined' | 'left';
    /** Extension: who, by name, and when (the chat shows "Ann joined" at that time). */
    displayName?: string;
    ts?: number;
    /** Extension: on a join, the group is private (the sidebar shows a lock). */
    private?: true;
  };
  /** Extension: a group's topic changed (not stored as a message: a line in the chat). */
  'group:updated': {
    group: string;
    topic: string;
    by: { user_id: string; displayName: string };
    ts: number;
  };
  /** `cid` is left out when the user goes offline or invisible (it would let a watcher probe). */
  'presence:update': {
    user_id: string;
    cid?: string;
    status: VisibleStatus;
    text?: string;
    /** Extension: set when the user changed their name or picture. */
    profile?: UserProfile;
  };
  /** `from.displayName` is the sender's name as the server knows it: show that, not the signal's. */
  'rtc:signal': {
    from: { user_id: string; cid: string; displayName?: string };
    callId: string;
    signal: unknown;
  };
  /** Extension (SFU group calls): news of the participant's own call. */
  'sfu:event': SfuEventData;
  /** Extension (SFU group calls): a group's call started, changed size or ended. */
  'call:state': SfuCallState;
  notification: {
    from: { user_id: string; displayName: string };
    title: string;
    body: string;
    always: boolean;
  };
  resume: { conversation: ConversationKey; fromSeq: number; toSeq: number; complete: boolean };
  metrics: ServerFigures;
}
export type EventName = keyof EventDataMap;

export const EVENT_NAMES = [
  'message:send',
  'message:updated',
  'message:removed',
  'message:reactions',
  'message:compose',
  'message:read',
  'group:member',
  'group:updated',
  'presence:update',
  'rtc:signal',
  'sfu:event',
  'call:state',
  'notification',
  'resume',
  'metrics',
] as const satisfies readonly EventName[];

/** The events that are stored in a conversation's log and carry its seq. */
export type StoredEventName =
  'message:send' | 'message:updated' | 'message:removed' | 'message:reactions';

export interface ServerFigures {
  connections: number;
  authenticated: number;
  messagesPerSecond: number;
  deliveriesPerSecond: number;
  uptimeSeconds: number;
  heapUsedBytes: number;
  /** In a cluster, the server these figures are of (every server publishes its own). */
  node?: string;
}

export type EventFrame = {
  [E in EventName]: { type: 'event'; event: E; data: EventDataMap[E] };
}[EventName];

// ---- requests and results ------------------------------------------------------------------

export interface GroupSummary {
  group: string;
  number_of_users: number;
  /** What the group is about, set by any member (extension; left out when empty). */
  topic?: string;
  /** Invite-only: hidden from non-members. */
  private?: boolean;
}

/** What others see of a user besides their status (extension). */
export interface UserProfile {
  displayName: string;
  /** Their picture's id (GET /v1/avatars/ID); null when they have none. */
  avatar: string | null;
}

export interface GroupUser {
  user_id: string;
  /** Their picture's id, at GET /v1/avatars/ID (extension; left out when none). */
  avatar?: string;
  /** What an @mention names (extension; an older server leaves it out). */
  username?: string;
  /** null for a member with no visible connection. */
  cid: string | null;
  displayName: string;
  status: VisibleStatus;
  text?: string;
  /**
   * Extension (issue 22): `admin` for a server admin (may remove anyone's message), `creator`
   * for the group's creator (may remove members of a private group); left out for the rest.
   */
  role?: 'admin' | 'creator';
}

export interface ConversationSummary {
  conversation: ConversationKey;
  lastSeq: number;
  lastTs: number;
  readSeq: number;
  /** Messages from others after readSeq that are not removed (nor thread replies). */
  unread: number;
  /** Of those, the ones that mention the user as @username (extension; at most 100). */
  mentions?: number;
  /** Extension: a private (invite-only) group. */
  private?: true;
  /** dm only: the other party, so a client can name the conversation and show their status. */
  peer?: {
    user_id: string;
    displayName: string;
    status: VisibleStatus;
    text?: string;
    /** Extension: their picture, at GET /v1/avatars/ID. */
    avatar?: string;
  };
}

export type GroupCondition =
  '>' | '>=' | '=' | '<' | '<=' | '!=' | 'gt' | 'gte' | 'eq' | 'lt' | 'lte' | 'ne';

export interface RequestResultMap {
  join: GroupSummary;
  leave: { group: string };
  groups: { list: GroupSummary[]; endOfList: boolean; cursor?: string };
  users: { list: GroupUser[] };
  post: { messageId: string; conversation: ConversationKey; seq: number; ts: number };
  edit: { messageId: string; seq: number };
  remove: { messageId: string; seq: number };
  /** `seq`: the reaction's event, or the message's latest when nothing changed. */
  react: { messageId: string; seq: number };
  compose: Record<string, never>;
  /**
   * With `thread`: that thread's replies, and its root (left out once removed). For a group,
   * `groupEvents`: joins, leaves and topic changes in the time the page covers.
   */
  history: {
    messages: HistoryMessage[];
    endOfList: boolean;
    root?: HistoryMessage;
    groupEvents?: GroupEvent[];
  };
  topic: { group: string; topic: string };
  profile: UserProfile;
  search: { results: SearchHit[]; endOfList: boolean; cursor?: string };
  people: { list: PersonSummary[] };
  read: Record<string, never>;
  bind: { events: string[] | null; rooms: string[] | null };
  subscribe: { topic: string };
  unsubscribe: { topic: string };
  presence: { status: PresenceStatus };
  rtc: Record<string, never>;
  notify: { queued: number; delivered: number };
  conversations: { list: ConversationSummary[] };
  ice: { iceServers: IceServer[] };
  sfu: SfuResult;
  invite: { group: string; code: string; expiresAt: number };
  invites: { group: string; list: { code: string; createdBy: string; expiresAt: number }[] };
  uninvite: { group: string; code: string };
  kick: { group: string; user_id: string };
  add: { group: string; user_id: string };
}
export type RequestType = keyof RequestResultMap;

/** A STUN or TURN server for calls, as RTCPeerConnection takes it. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface ServerLimits {
  /** A message's text, in UTF-8 bytes. */
  maxTextBytes: number;
  /** An attachment, in bytes. */
  maxFileBytes: number;
  /** What one person's uploads may take on the server, in bytes (absent from older servers). */
  storageQuotaBytes?: number;
}

export interface AuthUser {
  userId: string;
  username: string;
  displayName: string;
}

export type AuthResponse =
  | {
      type: 'authresponse';
      id: string;
      success: true;
      user: AuthUser;
      cid: string;
      heartbeat: number;
      /** What this server accepts (extension), so that a client can say so before trying. */
      limits?: ServerLimits;
    }
  | { type: 'authresponse'; id: string; success: false; error: ProtocolError };

export type ReplyFrame =
  | { type: 'reply'; id: string; ok: true; result: unknown }
  | { type: 'reply'; id: string; ok: false; error: ProtocolError };

export type ServerFrame =
  | AuthResponse
  | ReplyFrame
  | EventFrame
  | { type: 'error'; id?: string; error: ProtocolError }
  | { type: 'ping' }
  | { type: 'pong' };

// ---- helpers -------------------------------------------------------------------------------

// Conversation-key helpers live in conversation-key.ts; these names stay for existing importers.
export { dmKey, groupKey, parseConversationKey } from './conversation-key.js';
