// The IPC contract between the renderer and the main process: every channel, its argument schema
// and its result, in one place. Served by ipcMain in Electron and by the web host over a local
// WebSocket. The renderer is untrusted: main parses every argument with these schemas.
// Runs anywhere: no node, DOM or electron.
import { z } from 'zod';
import type {
  AuthUser,
  ConversationSummary,
  EventFrame,
  IceServer,
  GroupSummary,
  GroupUser,
  RequestResultMap,
  ServerLimits,
  MessageBody,
  PresenceStatus,
  ProtocolError,
  VisibleStatus,
  Recipient,
} from './protocol.js';
import type { BridgeName, IpcEventChannel, InvokeChannel } from './ipc-channels.js';
import type { IpcErrorCode } from './errors.js';
import { FILE_CHUNK_BYTES } from './files.js';
import { MAX_FILES_PER_MESSAGE } from './protocol.js';
import { groupName, iceServer, password, recipient, requestParams } from './schemas.js';
import { sfuParamsSchema } from './sfu-schemas.js';
import type { SfuResult } from './sfu-protocol.js';

export { bridgeName, EVENT_CHANNELS, INVOKE_CHANNELS } from './ipc-channels.js';
export type { IpcEventChannel, InvokeChannel } from './ipc-channels.js';

export interface AppInfo {
  name: string;
  version: string;
  platform: string;
  /** The server the sign-in screen offers first: the local one this app started or found. */
  defaultServer?: string;
}

/** The state of one account's connection, for the banner: honest about what is happening. */
export type ConnectionStatus =
  | { state: 'connecting'; attempt: number }
  /** Waiting before the next attempt: `retryAt` is a clock time (ms), for a countdown. */
  | { state: 'waiting'; attempt: number; retryAt: number; reason: string }
  | { state: 'online'; user: AuthUser; cid: string; limits?: ServerLimits }
  /** Not trying until the user acts: signed out, or the token was refused. */
  | { state: 'offline'; reason: string; code?: string };

export interface AccountView {
  id: string;
  serverUrl: string;
  username: string;
  userId: string;
  status: ConnectionStatus;
}

export interface OutboxItemView {
  clientMsgId: string;
  to: Recipient;
  body: MessageBody;
  replyTo?: string;
  thread?: string;
  createdAt: number;
  state: 'queued' | 'failed';
  error?: ProtocolError;
}

export interface NotifySettingsView {
  level: 'all' | 'direct-and-mentions' | 'none';
  muted: string[];
  doNotDisturb: boolean;
  startAtLogin: boolean;
  /** Calls: STUN/TURN servers of the user's own (they win over the server's). */
  iceServers: IceServer[];
  /** Calls: relay through TURN only, never reveal this computer's addresses. */
  relayOnly: boolean;
  /** Light, dark or high contrast, or whichever the OS asks for. */
  theme: ThemeChoice;
  /** Messages with avatars and room between them, or tight rows without avatars. */
  density: DensityChoice;
}
export const THEME_CHOICES = ['system', 'light', 'dark', 'contrast'] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];
export const DENSITY_CHOICES = ['comfortable', 'compact'] as const;
export type DensityChoice = (typeof DENSITY_CHOICES)[number];

const accountId = z.string().min(1).max(300);
const messageText = z
  .string()
  .min(1)
  .max(64 * 1024);
const conversation = z.string().min(1).max(80);
const messageId = z.string().min(1).max(64);
const transferId = z.string().min(1).max(64);
const messageFile = z
  .object({
    fileId: messageId,
    name: z.string().min(1).max(255),
    type: z.string().max(200),
    size: z.number().int().nonnegative(),
    width: z.number().int().positive().max(100_000).optional(),
    height: z.number().int().positive().max(100_000).optional(),
    thumbFileId: messageId.optional(),
  })
  .strict();
/** A chunk of a file in base64. */
const fileChunk = z.string().max(Math.ceil(FILE_CHUNK_BYTES / 3) * 4);
const noArgs = z.object({}).strict();

/** Every invoke channel's argument. One object per call; unknown keys are refused. */
export const invokeArgs = {
  'app:info': noArgs,
  'accounts:list': noArgs,
  'accounts:signUp': z
    .object({
      server: z.string().max(500),
      username: z.string().max(64),
      password: z.string().max(256),
      displayName: z.string().max(64).optional(),
    })
    .strict(),
  'accounts:signIn': z
    .object({
      server: z.string().max(500),
      username: z.string().max(64),
      password: z.string().max(256),
    })
    .strict(),
  'accounts:signOut': z.object({ accountId }).strict(),
  'accounts:changePassword': z
    .object({ accountId, currentPassword: z.string().max(256), newPassword: password })
    .strict(),
  'conversations:list': z.object({ accountId }).strict(),
  'chat:post': z
    .object({
      accountId,
      to: recipient,
      /** May be empty when files go with it. */
      text: z.string().max(64 * 1024),
      replyTo: messageId.optional(),
      thread: messageId.optional(),
      /** A call record (a missed call) rather than words: `text` is what other clients show. */
      call: z
        .object({
          missed: z.boolean(),
          video: z.boolean(),
          durationMs: z.number().int().min(0).max(86_400_000).optional(),
        })
        .strict()
        .optional(),
      /** Attachments uploaded first (files:upload*); the server restates name, type and size. */
      files: z.array(messageFile).min(1).max(MAX_FILES_PER_MESSAGE).optional(),
    })
    .strict()
    .refine((a) => a.text.trim() !== '' || (a.files?.length ?? 0) > 0, {
      message: 'a message needs words or files',
    }),
  'chat:retry': z.object({ accountId, clientMsgId: z.string().min(1).max(64) }).strict(),
  'chat:discard': z.object({ accountId, clientMsgId: z.string().min(1).max(64) }).strict(),
  'chat:outbox': z.object({ accountId }).strict(),
  'chat:history': z
    .object({
      accountId,
      conversation,
      before: z.number().int().nonnegative().optional(),
      after: z.number().int().nonnegative().optional(),
      limit: z.number().int().min(1).max(200).optional(),
      thread: messageId.optional(),
    })
    .strict(),
  'chat:search': requestParams.search.extend({ accountId }).strict(),
  'files:uploadStart': z
    .object({
      accountId,
      conversation,
      name: z.string().min(1).max(255),
      type: z.string().max(200),
      size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    })
    .strict(),
  'files:uploadChunk': z.object({ accountId, uploadId: transferId, data: fileChunk }).strict(),
  'files:uploadFinish': z.object({ accountId, uploadId: transferId }).strict(),
  'files:uploadCancel': z.object({ accountId, uploadId: transferId }).strict(),
  'files:downloadStart': z.object({ accountId, fileId: messageId }).strict(),
  'files:downloadChunk': z.object({ accountId, downloadId: transferId }).strict(),
  'files:downloadCancel': z.object({ accountId, downloadId: transferId }).strict(),
  'people:search': requestParams.people.extend({ accountId }).strict(),
  'chat:edit': z
    .object({ accountId, messageId: z.string().min(1).max(64), text: messageText })
    .strict(),
  'chat:remove': z.object({ accountId, messageId: z.string().min(1).max(64) }).strict(),
  'chat:react': requestParams.react.extend({ accountId }).strict(),
  'chat:read': z.object({ accountId, conversation, seq: z.number().int().nonnegative() }).strict(),
  'chat:compose': z
    .object({ accountId, to: recipient, state: z.enum(['typing', 'paused']) })
    .strict(),
  'groups:search': requestParams.groups.and(z.object({ accountId })),
  'groups:join': z
    .object({
      accountId,
      group: groupName,
      private: z.boolean().optional(),
      invite: z.string().min(1).max(64).optional(),
    })
    .strict(),
  'groups:invite': z.object({ accountId, group: groupName }).strict(),
  'groups:add': requestParams.add.extend({ accountId }).strict(),
  'groups:leave': z.object({ accountId, group: groupName }).strict(),
  'groups:topic': requestParams.topic.extend({ accountId }).strict(),
  'profile:set': requestParams.profile.extend({ accountId }).strict(),
  /** A small square picture the page made (256 px), base64. */
  'profile:setAvatar': z
    .object({
      accountId,
      data: z
        .string()
        .min(1)
        .max(240 * 1024),
      type: z.enum(['image/png', 'image/jpeg', 'image/webp']),
    })
    .strict(),
  'profile:removeAvatar': z.object({ accountId }).strict(),
  'profile:avatar': z.object({ accountId, avatar: z.string().min(1).max(64) }).strict(),
  'groups:members': z.object({ accountId, group: groupName }).strict(),
  'presence:set': z
    .object({
      accountId,
      status: z.enum(['online', 'away', 'busy', 'invisible']),
      text: z.string().max(140).optional(),
    })
    .strict(),
  'presence:list': z.object({ accountId }).strict(),
  /** To one connection (`cid`), or to every connection of a user (`user`: ringing). */
  'rtc:signal': z
    .object({
      accountId,
      cid: z.string().min(1).max(64).optional(),
      user: z.string().min(1).max(64).optional(),
      callId: z.string().min(1).max(64),
      signal: z.unknown(),
    })
    .strict()
    .refine((a) => (a.cid === undefined) !== (a.user === undefined), {
      message: 'give cid or user, not both',
    }),
  'settings:get': noArgs,
  'settings:set': z
    .object({
      level: z.enum(['all', 'direct-and-mentions', 'none']).optional(),
      muted: z.array(conversation).max(10_000).optional(),
      doNotDisturb: z.boolean().optional(),
      startAtLogin: z.boolean().optional(),
      iceServers: z.array(iceServer).max(10).optional(),
      relayOnly: z.boolean().optional(),
      theme: z.enum(THEME_CHOICES).optional(),
      density: z.enum(DENSITY_CHOICES).optional(),
    })
    .strict(),
  /** What the user is looking at, for the notification policy. */
  'ui:attention': z
    .object({
      focused: z.boolean(),
      accountId: accountId.optional(),
      conversation: conversation.optional(),
    })
    .strict(),
  'shell:openExternal': z.object({ url: z.string().max(4096) }).strict(),
  /** The page saw the network come back (the browser's online event): check connections now. */
  'app:networkChanged': noArgs,
  /** A call started or ended: keep the display awake meanwhile. */
  'calls:keepAwake': z.object({ on: z.boolean() }).strict(),
  /** The ICE servers and relay policy a call should use: the user's own, else the server's. */
  'calls:ice': z.object({ accountId }).strict(),
  /** A group call's op on the server's SFU, checked here as the server checks it. */
  'calls:sfu': z.object({ accountId, request: sfuParamsSchema(groupName) }).strict(),
  /** The screen or window picked for a share request (`screen:choose`); null cancels. */
  'screen:chosen': z
    .object({ requestId: z.string().min(1).max(64), sourceId: z.string().max(200).nullable() })
    .strict(),
  /** A call is ringing here: a native notification, unless Do Not Disturb is on. */
  'calls:ringing': z
    .object({
      accountId,
      userId: z.string().min(1).max(64),
      name: z.string().max(64),
      video: z.boolean(),
      /** A group call: the notification names the group and opens it. */
      group: groupName.optional(),
    })
    .strict(),
} satisfies Record<InvokeChannel, z.ZodType>;

export type InvokeArgs<C extends InvokeChannel> = z.input<(typeof invokeArgs)[C]>;

/** A channel's arguments as its schema outputs them: what main's handler receives. */
export type InvokeParsedArgs<C extends InvokeChannel> = z.output<(typeof invokeArgs)[C]>;

/**
 * One handler per invoke channel over a core (main/core/ipc-handler.ts): a channel without a
 * handler, or a handler that answers anything but the channel's result, fails the typecheck.
 */
export type InvokeHandlers<Core> = {
  readonly [C in InvokeChannel]: (
    core: Core,
    args: InvokeParsedArgs<C>,
  ) => InvokeResults[C] | Promise<InvokeResults[C]>;
};

export interface InvokeResults {
  'app:info': AppInfo;
  'accounts:list': AccountView[];
  'accounts:signUp': AccountView;
  'accounts:signIn': AccountView;
  /** `revoked`: the server ended the sign-in too (false when it could not be reached). */
  'accounts:signOut': { revoked: boolean };
  'accounts:changePassword': Record<string, never>;
  'conversations:list': (ConversationSummary & { unread: number })[];
  'chat:post': OutboxItemView;
  'chat:retry': Record<string, never>;
  'chat:discard': Record<string, never>;
  'chat:outbox': OutboxItemView[];
  'chat:history': RequestResultMap['history'];
  'chat:search': RequestResultMap['search'];
  'groups:topic': RequestResultMap['topic'];
  'profile:set': RequestResultMap['profile'];
  'profile:setAvatar': { avatar: string };
  'profile:removeAvatar': Record<string, never>;
  /** `data` in base64. */
  'profile:avatar': { data: string; type: string };
  'files:uploadStart': { uploadId: string };
  'files:uploadChunk': { sent: number };
  'files:uploadFinish': {
    fileId: string;
    name: string;
    type: string;
    size: number;
    sha256: string;
  };
  'files:uploadCancel': Record<string, never>;
  'files:downloadStart': { downloadId: string; size: number; type: string };
  /** `data` in base64. */
  'files:downloadChunk': { data: string; done: boolean };
  'files:downloadCancel': Record<string, never>;
  'people:search': RequestResultMap['people'];
  'chat:edit': { messageId: string; seq: number };
  'chat:remove': { messageId: string; seq: number };
  'chat:react': { messageId: string; seq: number };
  'chat:read': Record<string, never>;
  'chat:compose': Record<string, never>;
  'groups:search': { list: GroupSummary[]; endOfList: boolean; cursor?: string };
  'groups:join': GroupSummary;
  'groups:leave': { group: string };
  'groups:members': { list: GroupUser[] };
  'groups:invite': { group: string; code: string; expiresAt: number };
  'groups:add': RequestResultMap['add'];
  'presence:set': { status: PresenceStatus };
  'presence:list': { userId: string; status: VisibleStatus; text?: string }[];
  'rtc:signal': Record<string, never>;
  'settings:get': NotifySettingsView;
  'settings:set': NotifySettingsView;
  'ui:attention': Record<string, never>;
  'shell:openExternal': { opened: boolean; reason?: string };
  'app:networkChanged': Record<string, never>;
  'calls:keepAwake': Record<string, never>;
  'calls:ringing': { notified: boolean };
  'screen:chosen': { shared: boolean };
  'calls:ice': { iceServers: IceServer[]; relayOnly: boolean };
  'calls:sfu': SfuResult;
}

/** Main → renderer pushes. */
/** What the desktop knows of one conversation: its sidebar row's numbers. */
export interface ConversationView {
  conversation: string;
  lastSeq: number;
  readSeq: number;
  unread: number;
  /** Of the unread, those that mention the user (@username). */
  mentions: number;
  lastTs: number;
}

export interface IpcEvents {
  'account:status': { accountId: string; status: ConnectionStatus };
  'server:event': { accountId: string; frame: EventFrame };
  'outbox:changed': { accountId: string; items: OutboxItemView[] };
  'unread:changed': { total: number };
  /** A conversation's seq, read marker or unread count moved (the sidebar follows it). */
  'conversation:changed': ConversationView & { accountId: string };
  /** The user clicked a notification: open that conversation. */
  'notification:open': { accountId: string; conversation: string };
  /**
   * Electron only: the page asked to share a screen; these are the screens and windows it may
   * choose from (thumbnails as data URLs). The answer is `screen:chosen`.
   */
  'screen:choose': {
    requestId: string;
    sources: { id: string; name: string; kind: 'screen' | 'window'; thumbnail: string }[];
  };
  /** Web host only: the page raises this notification itself (the Notification API). */
  'notification:show': { accountId: string; conversation: string; title: string; body: string };
}
// Every event channel has a payload type, and no payload type lacks a channel.
type _EventsCovered = [IpcEventChannel] extends [keyof IpcEvents]
  ? [keyof IpcEvents] extends [IpcEventChannel]
    ? true
    : never
  : never;
export const EVENTS_COVERED: _EventsCovered = true;

/** Every invoke is answered with one of these; errors carry stable codes. */
export type InvokeOutcome<T> =
  { ok: true; result: T } | { ok: false; error: { code: IpcErrorCode; message: string } };

/**
 * What the preload exposes as `window.parley`: one function per invoke channel (`chatPost` for
 * `chat:post`), and `on` for the listed event channels only; it returns the unsubscribe.
 */
export type ParleyBridge = {
  [C in InvokeChannel as BridgeName<C>]: (
    args: InvokeArgs<C>,
  ) => Promise<InvokeOutcome<InvokeResults[C]>>;
} & {
  on<E extends IpcEventChannel>(channel: E, listener: (value: IpcEvents[E]) => void): () => void;
};
