// The chat UI's state: one immutable tree for every slice (slices/), so one publish a frame
// covers all of them.
import type {
  AccountView,
  AppInfo,
  ConnectionStatus,
  NotifySettingsView,
  OutboxItemView,
} from '../../../shared/ipc';
import type {
  GroupUser,
  MessageFile,
  PresenceStatus,
  VisibleStatus,
} from '../../../shared/protocol';
import type { ActionErrorCode } from './invoke';
import type { ConversationMessages, UiMessage } from './messages';

/** A thread as its panel shows it: the root and the replies loaded, oldest first. */
export interface ThreadView {
  conversation: string;
  root?: UiMessage;
  list: UiMessage[];
  hasOlder: boolean;
  loading: boolean;
  error?: string;
}

/** A file picked for the next message of a composer: uploading, ready, or refused. */
export interface PendingFile {
  id: string;
  name: string;
  size: number;
  type: string;
  /** Bytes uploaded so far. */
  sent: number;
  state: 'uploading' | 'ready' | 'failed';
  error?: string;
  /** Once uploaded: what the message will name. */
  file?: MessageFile;
  /** An image's small preview (an object URL), shown in the tray before sending. */
  previewUrl?: string;
}

/** Where a composer writes: a conversation, or a thread in it. */
export function composerKey(conversation: string, thread?: string): string {
  return thread ? `${conversation}|thread:${thread}` : conversation;
}

/** The conversation and thread of a composerKey. */
export function splitComposerKey(key: string): [string, string | undefined] {
  const at = key.indexOf('|thread:');
  return at < 0 ? [key, undefined] : [key.slice(0, at), key.slice(at + '|thread:'.length)];
}

export interface ConversationItem {
  key: string;
  kind: 'group' | 'dm';
  /** The group's name, or the other party's display name. */
  name: string;
  /** dm only. */
  peerId?: string;
  /** A private (invite-only) group: shown with a lock. */
  private?: boolean;
  unread: number;
  /** Unread messages that mention the user: shown apart, they matter more. */
  mentions: number;
  lastSeq: number;
  readSeq: number;
  lastTs: number;
}

export interface Presence {
  status: VisibleStatus;
  text?: string;
}

export interface Typist {
  userId: string;
  name: string;
  /** Clock time after which the indicator goes (a lost "paused" must not leave it forever). */
  until: number;
}

export interface ChatState {
  info?: AppInfo;
  /** Set when the page has no bridge at all (a plain browser tab). */
  fatal?: string;
  /** False until accounts:list answered: avoids flashing the sign-in screen. */
  ready: boolean;
  accounts: AccountView[];
  accountId?: string;
  status?: ConnectionStatus;
  conversations: ReadonlyMap<string, ConversationItem>;
  active?: string;
  messages: ReadonlyMap<string, ConversationMessages>;
  outbox: readonly OutboxItemView[];
  typing: ReadonlyMap<string, readonly Typist[]>;
  presence: ReadonlyMap<string, Presence>;
  /** Members of groups whose list was opened, by group name. */
  members: ReadonlyMap<string, readonly GroupUser[]>;
  /** The other party's read marker in dms (for "Seen"). */
  peerRead: ReadonlyMap<string, number>;
  settings?: NotifySettingsView;
  myStatus: PresenceStatus;
  /** The display name the server last stated for this account: shown while offline. */
  myName?: string;
  myStatusText: string;
  /** The last failure of an action the user took, shown until dismissed. */
  notice?: { code: ActionErrorCode; message: string };
  /**
   * A message to open for editing from outside its row (Up in an empty composer): its key, and a
   * counter so that asking twice for the same message opens it again.
   */
  editing?: { key: string; nonce: number };
  /** The message each composer (composerKey) answers with a quote, until sent or cancelled. */
  replyingTo: ReadonlyMap<string, UiMessage>;
  /** The thread open in the side panel. */
  openThread?: { conversation: string; root: string };
  /** Threads loaded, by root id. */
  threads: ReadonlyMap<string, ThreadView>;
  /** How far the user has read each thread (its newest reply's seq), by root id. */
  threadRead: ReadonlyMap<string, number>;
  /** A message to bring into view and mark (a search hit, a quote): a counter re-asks. */
  highlight?: { conversation: string; messageId: string; nonce: number };
  /** Files picked for each composer's next message (composerKey). */
  attachments: ReadonlyMap<string, readonly PendingFile[]>;
  /**
   * Messages sent while their files were still uploading, by composerKey: sent as soon as the
   * uploads are done; `failed` when one of them failed (the text waits to be taken back).
   */
  waitingSends: ReadonlyMap<string, { text: string; failed?: string }>;
  /** Topics of the groups opened, by group name ('' for none). */
  topics: ReadonlyMap<string, string>;
  /** Pictures of the people met (member lists, dms, changes), by user id. */
  avatars: ReadonlyMap<string, string | null>;
}

/** What is shown of one account: empty at start and again when another account is shown. */
export function accountViews(): Pick<
  ChatState,
  | 'conversations'
  | 'messages'
  | 'outbox'
  | 'typing'
  | 'presence'
  | 'members'
  | 'peerRead'
  | 'replyingTo'
  | 'threads'
  | 'threadRead'
  | 'openThread'
  | 'highlight'
  | 'attachments'
  | 'waitingSends'
  | 'topics'
  | 'avatars'
> {
  return {
    attachments: new Map(),
    waitingSends: new Map(),
    topics: new Map(),
    avatars: new Map(),
    replyingTo: new Map(),
    threads: new Map(),
    threadRead: new Map(),
    openThread: undefined,
    highlight: undefined,
    conversations: new Map(),
    messages: new Map(),
    outbox: [],
    typing: new Map(),
    presence: new Map(),
    members: new Map(),
    peerRead: new Map(),
  };
}

export function initialState(): ChatState {
  return {
    ready: false,
    accounts: [],
    ...accountViews(),
    myStatus: 'online',
    myStatusText: '',
  };
}
