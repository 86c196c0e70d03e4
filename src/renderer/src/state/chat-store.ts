// Everything the chat UI shows, built from the bridge's answers and pushes. React reads it through
// useStore (use-store.ts); nothing here touches the DOM, so one store serves every component.
// Changes are published about once per frame at most: 1,000 incoming messages a second must not
// mean 1,000 renders a second.
import type {
  AccountView,
  AppInfo,
  ConnectionStatus,
  InvokeArgs,
  InvokeOutcome,
  InvokeResults,
  NotifySettingsView,
  OutboxItemView,
  ParleyBridge,
} from '../../../shared/ipc';
import { DEFAULT_MAX_FILE_BYTES } from '../../../shared/files';
import type { BridgeName, InvokeChannel } from '../../../shared/ipc-channels';
import {
  formatBytes,
  makePreview,
  TransferCancelled,
  uploadFile,
} from '../features/files/transfers';
import { bridgeName } from '../../../shared/ipc-channels';
import {
  MAX_FILES_PER_MESSAGE,
  type EventFrame,
  type GroupEvent,
  type GroupUser,
  type MessageFile,
  type PresenceStatus,
  type Recipient,
  type VisibleStatus,
} from '../../../shared/protocol';
import {
  countReply,
  mergeGroupEvents,
  EMPTY_MESSAGES,
  fromHistory,
  fromSend,
  mergeMessages,
  patchMessage,
  reactMessage,
  type ConversationMessages,
  type UiMessage,
} from './messages';

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
}

/** Where a composer writes: a conversation, or a thread in it. */
export function composerKey(conversation: string, thread?: string): string {
  return thread ? `${conversation}|thread:${thread}` : conversation;
}

export interface ConversationItem {
  key: string;
  kind: 'group' | 'dm';
  /** The group's name, or the other party's display name. */
  name: string;
  /** dm only. */
  peerId?: string;
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
  myStatusText: string;
  /** The last failure of an action the user took, shown until dismissed. */
  notice?: { code: string; message: string };
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
  /** Topics of the groups opened, by group name ('' for none). */
  topics: ReadonlyMap<string, string>;
  /** Pictures of the people met (member lists, dms, changes), by user id. */
  avatars: ReadonlyMap<string, string | null>;
}

/** A failed call, with its stable code: components show `message`. */
export class ActionError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TYPING_SHOWN_MS = 6_000;
const FRAME_MS = 16;
const READ_EVERY_MS = 1_000;
const HISTORY_PAGE = 50;
/** Scrolling back asks for more at a time: fewer round trips while the wheel spins. */
const OLDER_PAGE = 100;
/** Jumping to an old message loads at most this many older pages (2,000 messages) to reach it. */
const JUMP_PAGES = 20;
/** How long a message jumped to stays marked. */
const HIGHLIGHT_MS = 4_000;

type Listener = () => void;
type Scheduler = (flush: () => void) => void;

/** What is shown of one account: empty at start and again when another account is shown. */
function accountViews(): Pick<
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
  | 'topics'
  | 'avatars'
> {
  return {
    attachments: new Map(),
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

export class ChatStore {
  private state: ChatState = {
    ready: false,
    accounts: [],
    ...accountViews(),
    myStatus: 'online',
    myStatusText: '',
  };
  private readonly listeners = new Set<Listener>();
  private scheduled = false;
  private readonly unsubscribes: (() => void)[] = [];
  private readonly loadingOlder = new Set<string>();
  /** Uploads running, by PendingFile id: cancelling one aborts it. */
  private readonly uploads = new Map<string, AbortController>();
  /** Live messages waiting for the next publish, by conversation: one list copy a frame. */
  private appends = new Map<string, UiMessage[]>();
  /** Read markers waiting to be sent, by conversation (at most one request per READ_EVERY_MS). */
  private readonly readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly readWanted = new Map<string, number>();

  constructor(
    private readonly bridge: ParleyBridge,
    /** How a change is published (frameScheduler by default). */
    private readonly schedule: Scheduler = frameScheduler(),
  ) {}

  // ---- React's side ------------------------------------------------------------------------

  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  readonly getState = (): ChatState => this.state;

  private set(patch: Partial<ChatState>): void {
    this.state = { ...this.state, ...patch };
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.applyAppends();
      for (const l of [...this.listeners]) l();
    });
  }

  // ---- calls -------------------------------------------------------------------------------

  /** Invokes a channel; a refusal becomes an ActionError with the core's code and sentence. */
  async call<C extends InvokeChannel>(channel: C, args: InvokeArgs<C>): Promise<InvokeResults[C]> {
    const fn = this.bridge[bridgeName(channel) as BridgeName<C>] as unknown as (
      a: InvokeArgs<C>,
    ) => Promise<InvokeOutcome<InvokeResults[C]>>;
    const outcome = await fn(args);
    if (!outcome.ok) throw new ActionError(outcome.error.code, outcome.error.message);
    return outcome.result;
  }

  /** Runs a user's action; a failure is shown as the notice instead of thrown. */
  async attempt<T>(what: () => Promise<T>): Promise<T | undefined> {
    try {
      return await what();
    } catch (err) {
      this.set({ notice: describe(err) });
      return undefined;
    }
  }

  dismissNotice(): void {
    this.set({ notice: undefined });
  }

  // ---- start -------------------------------------------------------------------------------

  async start(): Promise<void> {
    const b = this.bridge;
    this.unsubscribes.push(
      b.on('account:status', ({ accountId, status }) => this.onStatus(accountId, status)),
      b.on('server:event', ({ accountId, frame }) => {
        if (accountId === this.state.accountId) this.onEvent(frame);
      }),
      b.on('outbox:changed', ({ accountId, items }) => {
        if (accountId === this.state.accountId) this.set({ outbox: items });
      }),
      b.on('conversation:changed', (c) => {
        if (c.accountId === this.state.accountId) this.onConversationChanged(c);
      }),
      b.on('notification:open', ({ accountId, conversation }) => {
        if (accountId !== this.state.accountId) this.useAccount(accountId);
        void this.open(conversation);
      }),
    );
    try {
      const [info, accounts, settings] = await Promise.all([
        this.call('app:info', {}),
        this.call('accounts:list', {}),
        this.call('settings:get', {}),
      ]);
      this.set({ info, accounts, settings, ready: true });
      if (accounts[0]) this.useAccount(accounts[0].id);
    } catch (err) {
      this.set({ fatal: describe(err).message, ready: true });
    }
  }

  /** Stops following the bridge. React's own subscriptions end with its components. */
  dispose(): void {
    for (const u of this.unsubscribes.splice(0)) u();
    for (const a of this.uploads.values()) a.abort();
    for (const t of this.readTimers.values()) clearTimeout(t);
    this.readTimers.clear();
  }

  // ---- accounts ----------------------------------------------------------------------------

  async signIn(
    mode: 'signIn' | 'signUp',
    form: { server: string; username: string; password: string; displayName?: string },
  ): Promise<void> {
    const account =
      mode === 'signUp'
        ? await this.call('accounts:signUp', form)
        : await this.call('accounts:signIn', {
            server: form.server,
            username: form.username,
            password: form.password,
          });
    const accounts = [...this.state.accounts.filter((a) => a.id !== account.id), account];
    this.set({ accounts });
    this.useAccount(account.id);
  }

  async signOut(): Promise<void> {
    const { accountId } = this.state;
    if (!accountId) return;
    const { revoked } = await this.call('accounts:signOut', { accountId });
    const accounts = this.state.accounts.filter((a) => a.id !== accountId);
    this.set({ accounts, accountId: undefined });
    if (accounts[0]) this.useAccount(accounts[0].id);
    if (!revoked) {
      this.set({
        notice: {
          code: 'NOT_REVOKED',
          message:
            'Signed out on this computer, but the server could not be reached to end the ' +
            'sign-in there. Change your password to end every sign-in.',
        },
      });
    }
  }

  /** Every other sign-in of this account ends; this one goes on with a new token. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const { accountId } = this.state;
    if (!accountId) return;
    await this.call('accounts:changePassword', { accountId, currentPassword, newPassword });
  }

  /** Shows another account (or, with none, the sign-in screen). */
  addAccount(): void {
    this.set({ accountId: undefined, status: undefined });
  }

  useAccount(accountId: string): void {
    const account = this.state.accounts.find((a) => a.id === accountId);
    if (!account) return;
    this.set({
      accountId,
      status: account.status,
      ...accountViews(),
      threadRead: loadThreadRead(accountId),
      active: undefined,
    });
    void this.refresh();
  }

  get me(): { user_id: string; displayName: string; username: string } | undefined {
    const a = this.state.accounts.find((x) => x.id === this.state.accountId);
    if (!a) return undefined;
    const displayName =
      this.state.status?.state === 'online' ? this.state.status.user.displayName : a.username;
    return { user_id: a.userId, displayName, username: a.username };
  }

  /** Loads the conversation list, the outbox and the presence known so far. */
  async refresh(): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    const outbox = await this.call('chat:outbox', { accountId }).catch(() => undefined);
    if (outbox && accountId === this.state.accountId) this.set({ outbox });
    if (this.state.status?.state !== 'online') return;
    try {
      const list = await this.call('conversations:list', { accountId });
      if (accountId !== this.state.accountId) return;
      const conversations = new Map(this.state.conversations);
      const presence = new Map(this.state.presence);
      for (const c of list) {
        const old = conversations.get(c.conversation);
        const dm = c.conversation.startsWith('dm:');
        const peerId = dm ? c.conversation.slice(3) : undefined;
        conversations.set(c.conversation, {
          key: c.conversation,
          kind: dm ? 'dm' : 'group',
          name: dm ? (c.peer?.displayName ?? old?.name ?? 'Someone') : c.conversation.slice(6),
          ...(peerId ? { peerId } : {}),
          unread: c.unread,
          mentions: c.mentions ?? 0,
          lastSeq: c.lastSeq,
          readSeq: c.readSeq,
          lastTs: c.lastTs,
        });
        if (c.peer) {
          this.learnAvatar(c.peer.user_id, c.peer.avatar ?? null);
          presence.set(c.peer.user_id, {
            status: c.peer.status,
            ...(c.peer.text ? { text: c.peer.text } : {}),
          });
        }
      }
      this.set({ conversations, presence });
    } catch (err) {
      this.set({ notice: describe(err) });
    }
  }

  // ---- conversations -----------------------------------------------------------------------

  /** Opens a conversation and loads its newest page (from the core's cache when it has it). */
  async open(conversation: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    this.set({ active: conversation });
    this.ensureConversation(conversation);
    if (conversation.startsWith('group:')) {
      void this.loadMembers(conversation.slice(6));
      void this.loadTopic(conversation.slice(6));
    }
    const held = this.state.messages.get(conversation);
    if (held && held.list.length > 0) return;
    this.putMessages(conversation, {
      ...(held ?? EMPTY_MESSAGES),
      loading: true,
      error: undefined,
    });
    try {
      const page = await this.call('chat:history', {
        accountId,
        conversation,
        limit: HISTORY_PAGE,
      });
      const current = this.state.messages.get(conversation) ?? EMPTY_MESSAGES;
      this.putMessages(conversation, {
        ...current,
        list: mergeMessages(current.list, page.messages.map(fromHistory)),
        hasOlder: !page.endOfList,
        loading: false,
        groupEvents: mergeGroupEvents(current.groupEvents, page.groupEvents),
      });
    } catch (err) {
      const current = this.state.messages.get(conversation) ?? EMPTY_MESSAGES;
      this.putMessages(conversation, { ...current, loading: false, error: describe(err).message });
    }
  }

  /** Pages back from the oldest message held. */
  async loadOlder(conversation: string): Promise<void> {
    const accountId = this.state.accountId;
    const held = this.state.messages.get(conversation);
    if (!accountId || !held || !held.hasOlder || this.loadingOlder.has(conversation)) return;
    const first = held.list[0];
    if (!first) return;
    this.loadingOlder.add(conversation);
    try {
      const page = await this.call('chat:history', {
        accountId,
        conversation,
        before: first.seq,
        limit: OLDER_PAGE,
      });
      const current = this.state.messages.get(conversation) ?? EMPTY_MESSAGES;
      const older = page.messages
        .map(fromHistory)
        .filter((m) => m.seq < (current.list[0]?.seq ?? Infinity));
      this.putMessages(conversation, {
        ...current,
        list: mergeMessages(current.list, older),
        hasOlder: !page.endOfList,
        groupEvents: mergeGroupEvents(current.groupEvents, page.groupEvents),
        // The list shows no thread replies: only what it shows moves its first index.
        prepended: current.prepended + older.filter((m) => !m.thread).length,
      });
    } catch (err) {
      this.set({ notice: describe(err) });
    } finally {
      this.loadingOlder.delete(conversation);
    }
  }

  /** Starts (or opens) a dm with a user met in a member list. */
  async openDirect(userId: string, displayName: string): Promise<void> {
    const key = `dm:${userId}`;
    if (!this.state.conversations.has(key)) {
      const conversations = new Map(this.state.conversations);
      conversations.set(key, {
        key,
        kind: 'dm',
        name: displayName,
        peerId: userId,
        unread: 0,
        mentions: 0,
        lastSeq: 0,
        readSeq: 0,
        lastTs: Date.now(),
      });
      this.set({ conversations });
    }
    await this.open(key);
  }

  /** Marks everything up to `seq` read, when it moves the marker. */
  async markRead(conversation: string, seq: number): Promise<void> {
    const accountId = this.state.accountId;
    const c = this.state.conversations.get(conversation);
    if (!accountId || !c || seq <= c.readSeq) return;
    const conversations = new Map(this.state.conversations);
    conversations.set(conversation, { ...c, readSeq: seq, unread: 0, mentions: 0 });
    this.set({ conversations });
    // Reading along a busy conversation would send a marker every frame: send the latest one at
    // most every READ_EVERY_MS.
    this.readWanted.set(conversation, seq);
    if (this.readTimers.has(conversation)) return;
    const send = async () => {
      const wanted = this.readWanted.get(conversation);
      this.readWanted.delete(conversation);
      if (wanted === undefined) {
        this.readTimers.delete(conversation);
        return;
      }
      this.readTimers.set(
        conversation,
        setTimeout(() => void send(), READ_EVERY_MS),
      );
      await this.call('chat:read', { accountId, conversation, seq: wanted }).catch(() => undefined);
    };
    await send();
  }

  // ---- messages ----------------------------------------------------------------------------

  /**
   * Sends from a composer; `thread` posts into that thread. Answers its quoted message, if any,
   * and carries its uploaded files (refused while some are still uploading).
   */
  async post(conversation: string, text: string, thread?: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    const key = composerKey(conversation, thread);
    const quoted = this.state.replyingTo.get(key);
    const picked = this.state.attachments.get(key) ?? [];
    if (picked.some((a) => a.state === 'uploading')) {
      throw new ActionError(
        'BUSY',
        'Some files are still uploading: send when they are done, or remove them.',
      );
    }
    const files = picked.flatMap((a) => (a.state === 'ready' && a.file ? [a.file] : []));
    const item = await this.call('chat:post', {
      accountId,
      to: recipientOf(conversation),
      text,
      ...(quoted?.messageId ? { replyTo: quoted.messageId } : {}),
      ...(thread ? { thread } : {}),
      ...(files.length ? { files } : {}),
    });
    if (quoted) this.replyTo(key, undefined);
    if (picked.length) this.putAttachments(key, []);
    // Shown at once as "sending"; the outbox:changed push says the same a moment later.
    if (!this.state.outbox.some((o) => o.clientMsgId === item.clientMsgId)) {
      this.set({ outbox: [...this.state.outbox, item] });
    }
  }

  /** A call record in the dm with `userId` (a missed call), as a message from the user. */
  postCallRecord(userId: string, call: { missed: boolean; video: boolean }): Promise<unknown> {
    return this.attempt(() =>
      this.call('chat:post', {
        accountId: this.state.accountId!,
        to: { user: userId },
        text: call.video ? 'Missed video call' : 'Missed call',
        call,
      }),
    );
  }

  retry(clientMsgId: string): Promise<unknown> {
    return this.attempt(() =>
      this.call('chat:retry', { accountId: this.state.accountId!, clientMsgId }),
    );
  }

  discard(clientMsgId: string): Promise<unknown> {
    return this.attempt(() =>
      this.call('chat:discard', { accountId: this.state.accountId!, clientMsgId }),
    );
  }

  /**
   * Opens the user's last message in the conversation for editing (Up in an empty composer, as
   * in Slack and Element); false when there is none (nothing of theirs, or it was deleted).
   */
  editLast(conversation: string): boolean {
    const me = this.me;
    const list = this.state.messages.get(conversation)?.list ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      if (m.from.user_id !== me?.user_id || m.thread) continue;
      if (m.removed || m.state !== 'sent' || !m.messageId) return false;
      this.set({ editing: { key: m.key, nonce: (this.state.editing?.nonce ?? 0) + 1 } });
      return true;
    }
    return false;
  }

  /** The row that was asked to edit has opened (or given up): the request is spent. */
  editDone(): void {
    if (this.state.editing) this.set({ editing: undefined });
  }

  edit(messageId: string, text: string): Promise<unknown> {
    return this.attempt(() =>
      this.call('chat:edit', { accountId: this.state.accountId!, messageId, text }),
    );
  }

  /** Adds (`on`) or takes back the user's reaction. */
  react(messageId: string, emoji: string, on: boolean): Promise<unknown> {
    return this.attempt(() =>
      this.call('chat:react', { accountId: this.state.accountId!, messageId, emoji, on }),
    );
  }

  remove(messageId: string): Promise<unknown> {
    return this.attempt(() =>
      this.call('chat:remove', { accountId: this.state.accountId!, messageId }),
    );
  }

  /**
   * Picks files for a composer's next message and starts uploading them at once. Files past the
   * server's size limit, or past 10 a message, are shown refused with the reason.
   */
  attach(conversation: string, files: readonly File[], thread?: string): void {
    const key = composerKey(conversation, thread);
    const status = this.state.status;
    const limit =
      (status?.state === 'online' ? status.limits?.maxFileBytes : undefined) ??
      DEFAULT_MAX_FILE_BYTES;
    const list = [...(this.state.attachments.get(key) ?? [])];
    for (const f of files) {
      const item: PendingFile = {
        id: crypto.randomUUID(),
        name: f.name || 'pasted file',
        size: f.size,
        type: f.type,
        sent: 0,
        state: 'uploading',
      };
      const kept = list.filter((a) => a.state !== 'failed').length;
      if (f.size > limit) {
        item.state = 'failed';
        item.error = `${formatBytes(f.size)}: files are at most ${formatBytes(limit)}.`;
      } else if (kept >= MAX_FILES_PER_MESSAGE) {
        item.state = 'failed';
        item.error = `At most ${MAX_FILES_PER_MESSAGE} files go with one message.`;
      }
      list.push(item);
      if (item.state === 'uploading') void this.runUpload(key, conversation, item, f);
    }
    this.putAttachments(key, list);
  }

  /** Stops an upload (or forgets a file) picked for a composer. */
  removeAttachment(composer: string, id: string): void {
    this.uploads.get(id)?.abort();
    this.uploads.delete(id);
    const list = (this.state.attachments.get(composer) ?? []).filter((a) => a.id !== id);
    this.putAttachments(composer, list);
  }

  private async runUpload(key: string, conversation: string, item: PendingFile, f: File) {
    const abort = new AbortController();
    this.uploads.set(item.id, abort);
    const patch = (p: Partial<PendingFile>) => {
      const list = this.state.attachments.get(key) ?? [];
      if (!list.some((a) => a.id === item.id)) return;
      this.putAttachments(
        key,
        list.map((a) => (a.id === item.id ? { ...a, ...p } : a)),
      );
    };
    try {
      const preview = await makePreview(f);
      const main = await uploadFile(
        this,
        conversation,
        f,
        item.name,
        (sent) => patch({ sent }),
        abort.signal,
      );
      const thumb = preview
        ? await uploadFile(
            this,
            conversation,
            preview.preview,
            `preview of ${item.name}`.slice(0, 255),
            () => undefined,
            abort.signal,
          )
        : undefined;
      patch({
        state: 'ready',
        sent: item.size,
        file: {
          fileId: main.fileId,
          name: main.name,
          type: main.type,
          size: main.size,
          ...(preview ? { width: preview.width, height: preview.height } : {}),
          ...(thumb ? { thumbFileId: thumb.fileId } : {}),
        },
      });
    } catch (err) {
      if (err instanceof TransferCancelled) return;
      patch({ state: 'failed', error: describe(err).message });
    } finally {
      this.uploads.delete(item.id);
    }
  }

  private putAttachments(key: string, list: readonly PendingFile[]): void {
    const attachments = new Map(this.state.attachments);
    if (list.length) attachments.set(key, list);
    else attachments.delete(key);
    this.set({ attachments });
  }

  /** Sets (or with undefined clears) the message a composer answers with a quote. */
  replyTo(composer: string, message: UiMessage | undefined): void {
    const replyingTo = new Map(this.state.replyingTo);
    if (message) replyingTo.set(composer, message);
    else replyingTo.delete(composer);
    this.set({ replyingTo });
  }

  /** Opens a thread in the side panel and loads its replies (and its root). */
  async openThread(conversation: string, root: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    this.set({ openThread: { conversation, root } });
    const held = this.state.threads.get(root);
    if (held && !held.error) return;
    const rootHeld = this.state.messages.get(conversation)?.list.find((m) => m.messageId === root);
    this.putThread(root, {
      conversation,
      ...(rootHeld ? { root: rootHeld } : {}),
      list: [],
      hasOlder: false,
      loading: true,
    });
    try {
      const page = await this.call('chat:history', {
        accountId,
        conversation,
        thread: root,
        limit: 100,
      });
      const current = this.state.threads.get(root);
      this.putThread(root, {
        conversation,
        ...(page.root ? { root: fromHistory(page.root) } : {}),
        list: mergeMessages(current?.list ?? [], page.messages.map(fromHistory)),
        hasOlder: !page.endOfList,
        loading: false,
      });
    } catch (err) {
      const current = this.state.threads.get(root);
      this.putThread(root, {
        conversation,
        list: current?.list ?? [],
        hasOlder: false,
        loading: false,
        error: describe(err).message,
      });
    }
  }

  closeThread(): void {
    this.set({ openThread: undefined });
  }

  /** Pages back in a thread from its oldest reply held. */
  async loadOlderReplies(root: string): Promise<void> {
    const accountId = this.state.accountId;
    const held = this.state.threads.get(root);
    const first = held?.list[0];
    if (!accountId || !held || !held.hasOlder || !first) return;
    try {
      const page = await this.call('chat:history', {
        accountId,
        conversation: held.conversation,
        thread: root,
        before: first.seq,
        limit: 100,
      });
      const current = this.state.threads.get(root) ?? held;
      this.putThread(root, {
        ...current,
        list: mergeMessages(current.list, page.messages.map(fromHistory)),
        hasOlder: !page.endOfList,
      });
    } catch (err) {
      this.set({ notice: describe(err) });
    }
  }

  /** The user has seen a thread up to `seq` (kept on this computer). */
  markThreadRead(root: string, seq: number): void {
    if ((this.state.threadRead.get(root) ?? 0) >= seq) return;
    const threadRead = new Map(this.state.threadRead);
    threadRead.set(root, seq);
    this.set({ threadRead });
    if (this.state.accountId) saveThreadRead(this.state.accountId, threadRead);
  }

  /** Full-text search of what the user can read: one conversation, or everywhere. */
  search(query: string, conversation?: string, cursor?: string) {
    return this.call('chat:search', {
      accountId: this.state.accountId!,
      query,
      ...(conversation ? { conversation } : {}),
      ...(cursor ? { cursor } : {}),
    });
  }

  /** Anyone on the server by name, to start a dm with. */
  async people(query: string) {
    return (await this.call('people:search', { accountId: this.state.accountId!, query })).list;
  }

  /**
   * Shows a message in context: its conversation opened and scrolled to it (older pages loaded
   * until it is there, at most JUMP_PAGES of them), or its thread opened when it is a reply.
   */
  async jumpTo(
    conversation: string,
    messageId: string,
    seq: number,
    thread?: string,
  ): Promise<void> {
    await this.open(conversation);
    if (thread) {
      await this.openThread(conversation, thread);
    } else {
      for (let page = 0; page < JUMP_PAGES; page++) {
        const held = this.state.messages.get(conversation);
        if (!held || held.list.some((m) => m.messageId === messageId)) break;
        if (!held.hasOlder || (held.list[0]?.seq ?? 0) <= seq) break;
        await this.loadOlder(conversation);
      }
      const found = this.state.messages
        .get(conversation)
        ?.list.some((m) => m.messageId === messageId);
      if (!found) {
        this.set({
          notice: {
            code: 'NOT_FOUND',
            message: 'That message is too far back to show here, or was deleted.',
          },
        });
        return;
      }
    }
    const nonce = (this.state.highlight?.nonce ?? 0) + 1;
    this.set({ highlight: { conversation, messageId, nonce } });
    // The mark is a pointer, not a state: it goes once the eye has found the message.
    setTimeout(() => {
      if (this.state.highlight?.nonce === nonce) this.set({ highlight: undefined });
    }, HIGHLIGHT_MS);
  }

  compose(conversation: string, state: 'typing' | 'paused'): void {
    const accountId = this.state.accountId;
    if (!accountId || this.state.status?.state !== 'online') return;
    // Typing is a hint: a refusal (rate limit, offline) is not worth telling anyone about.
    void this.call('chat:compose', { accountId, to: recipientOf(conversation), state }).catch(
      () => undefined,
    );
  }

  // ---- groups and presence -----------------------------------------------------------------

  /** Joins (or creates: `private` makes it invite-only); `invite` is a member's code. */
  async joinGroup(group: string, opts: { private?: boolean; invite?: string } = {}): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    await this.call('groups:join', { accountId, group, ...opts });
    this.ensureConversation(`group:${group}`);
    await this.open(`group:${group}`);
  }

  async leaveGroup(group: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    await this.call('groups:leave', { accountId, group });
    this.dropConversation(`group:${group}`);
  }

  /** Changes the user's name as others see it. */
  async setDisplayName(displayName: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    const profile = await this.call('profile:set', { accountId, displayName });
    this.onProfile(this.state.accounts.find((a) => a.id === accountId)!.userId, profile);
  }

  /** Sets the user's picture (a small square the page made), or with null removes it. */
  async setAvatar(
    picture: { data: string; type: 'image/png' | 'image/jpeg' | 'image/webp' } | null,
  ) {
    const accountId = this.state.accountId;
    if (!accountId) return;
    const userId = this.state.accounts.find((a) => a.id === accountId)!.userId;
    if (picture) {
      const { avatar } = await this.call('profile:setAvatar', { accountId, ...picture });
      this.learnAvatar(userId, avatar);
    } else {
      await this.call('profile:removeAvatar', { accountId });
      this.learnAvatar(userId, null);
    }
  }

  /** Someone's name or picture changed: everywhere it shows. */
  private onProfile(userId: string, profile: { displayName: string; avatar: string | null }): void {
    this.learnAvatar(userId, profile.avatar);
    const patch: Partial<ChatState> = {};
    const status = this.state.status;
    if (status?.state === 'online' && status.user.userId === userId) {
      patch.status = { ...status, user: { ...status.user, displayName: profile.displayName } };
    }
    const dm = this.state.conversations.get(`dm:${userId}`);
    if (dm && dm.name !== profile.displayName) {
      const conversations = new Map(this.state.conversations);
      conversations.set(dm.key, { ...dm, name: profile.displayName });
      patch.conversations = conversations;
    }
    let members = this.state.members;
    for (const [group, list] of members) {
      if (!list.some((u) => u.user_id === userId)) continue;
      if (members === this.state.members) members = new Map(members);
      (members as Map<string, readonly GroupUser[]>).set(
        group,
        list.map((u) => (u.user_id === userId ? { ...u, displayName: profile.displayName } : u)),
      );
    }
    if (members !== this.state.members) patch.members = members;
    this.set(patch);
  }

  private learnAvatar(userId: string, avatar: string | null): void {
    if (this.state.avatars.get(userId) === avatar) return;
    const avatars = new Map(this.state.avatars);
    avatars.set(userId, avatar);
    this.set({ avatars });
  }

  /** The group's topic, from the server's listing of it. */
  async loadTopic(group: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    try {
      const { list } = await this.call('groups:search', {
        accountId,
        searchFor: 'group',
        value: group,
        condition: '=',
      });
      this.putTopic(group, list[0]?.topic ?? '');
    } catch {
      // No topic shown; the next group:updated sets it.
    }
  }

  /** Sets the group's topic for everyone in it ('' clears it). */
  async setTopic(group: string, topic: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    const r = await this.call('groups:topic', { accountId, group, topic });
    this.putTopic(group, r.topic);
  }

  private putTopic(group: string, topic: string): void {
    if (this.state.topics.get(group) === topic) return;
    const topics = new Map(this.state.topics);
    topics.set(group, topic);
    this.set({ topics });
  }

  /** A join, leave or topic change, as a line in the group's loaded messages. */
  private addGroupEvent(group: string, e: GroupEvent): void {
    const key = `group:${group}`;
    this.applyAppends();
    const held = this.state.messages.get(key);
    if (held)
      this.putMessages(key, { ...held, groupEvents: mergeGroupEvents(held.groupEvents, [e]) });
  }

  async loadMembers(group: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    try {
      const { list } = await this.call('groups:members', { accountId, group });
      for (const u of list) this.learnAvatar(u.user_id, u.avatar ?? null);
      const members = new Map(this.state.members);
      members.set(group, list);
      const presence = new Map(this.state.presence);
      for (const u of list) {
        // One row per connection: any live one decides what the dot shows.
        const known = presence.get(u.user_id);
        if (!known || u.status !== 'offline' || known.status === 'offline') {
          presence.set(u.user_id, { status: u.status, ...(u.text ? { text: u.text } : {}) });
        }
      }
      this.set({ members, presence });
    } catch {
      // Shown as an empty list; the next membership event loads it again.
    }
  }

  async setMyStatus(status: PresenceStatus, text: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    // No text clears it.
    await this.call('presence:set', { accountId, status, ...(text ? { text } : {}) });
    this.set({ myStatus: status, myStatusText: text });
  }

  async updateSettings(patch: Partial<NotifySettingsView>): Promise<void> {
    const settings = await this.call('settings:set', patch);
    this.set({ settings });
  }

  async toggleMute(conversation: string): Promise<void> {
    const muted = new Set(this.state.settings?.muted ?? []);
    if (muted.has(conversation)) muted.delete(conversation);
    else muted.add(conversation);
    await this.updateSettings({ muted: [...muted] });
  }

  // ---- pushes ------------------------------------------------------------------------------

  private onStatus(accountId: string, status: ConnectionStatus): void {
    const accounts = this.state.accounts.map((a) => (a.id === accountId ? { ...a, status } : a));
    if (accountId !== this.state.accountId) {
      this.set({ accounts });
      return;
    }
    const wasOnline = this.state.status?.state === 'online';
    this.set({ accounts, status });
    if (status.state === 'online' && !wasOnline) {
      void this.refresh();
      const group = this.state.active?.startsWith('group:') ? this.state.active.slice(6) : null;
      if (group) void this.loadMembers(group);
    }
    if (status.state !== 'online' && wasOnline) this.set({ typing: new Map() });
  }

  private onConversationChanged(c: {
    conversation: string;
    lastSeq: number;
    readSeq: number;
    unread: number;
    mentions: number;
    lastTs: number;
  }): void {
    const old = this.state.conversations.get(c.conversation);
    if (!old) {
      this.ensureConversation(c.conversation);
      return this.onConversationChanged(c);
    }
    if (
      old.unread === c.unread &&
      old.mentions === c.mentions &&
      old.lastSeq === c.lastSeq &&
      old.readSeq === c.readSeq &&
      old.lastTs === c.lastTs
    ) {
      return;
    }
    const conversations = new Map(this.state.conversations);
    conversations.set(c.conversation, {
      ...old,
      unread: c.unread,
      mentions: c.mentions,
      lastSeq: c.lastSeq,
      readSeq: Math.max(old.readSeq, c.readSeq),
      lastTs: c.lastTs || old.lastTs,
    });
    this.set({ conversations });
  }

  private onEvent(frame: EventFrame): void {
    switch (frame.event) {
      case 'message:send': {
        const d = frame.data;
        if (d.conversation.startsWith('dm:')) this.nameDm(d.conversation, d.from);
        this.clearTypist(d.conversation, d.from.user_id);
        const m = fromSend(d);
        if (m.thread) this.onThreadReply(d.conversation, m);
        if (this.state.messages.has(d.conversation)) {
          const batch = this.appends.get(d.conversation);
          if (batch) batch.push(m);
          else this.appends.set(d.conversation, [m]);
          this.set({});
        }
        return;
      }
      case 'message:updated': {
        const d = frame.data;
        // A body of null is a removed message's scrubbed edit; its removal follows.
        if (d.body)
          this.patchHeld(d.conversation, d.messageId, { text: d.body.text, editedTs: d.ts });
        return;
      }
      case 'message:removed': {
        const d = frame.data;
        this.patchHeld(d.conversation, d.messageId, { removed: true, text: null });
        return;
      }
      case 'message:reactions': {
        const d = frame.data;
        this.applyAppends();
        const held = this.state.messages.get(d.conversation);
        if (held) this.putMessages(d.conversation, { ...held, list: reactMessage(held.list, d) });
        this.patchThreads(d.messageId, (list) => reactMessage(list, d));
        return;
      }
      case 'message:compose': {
        const d = frame.data;
        if (d.from.user_id === this.me?.user_id) return;
        if (d.state === 'paused') return this.clearTypist(d.conversation, d.from.user_id);
        const list = (this.state.typing.get(d.conversation) ?? []).filter(
          (t) => t.userId !== d.from.user_id && t.until > Date.now(),
        );
        list.push({
          userId: d.from.user_id,
          name: d.from.displayName,
          until: Date.now() + TYPING_SHOWN_MS,
        });
        const typing = new Map(this.state.typing);
        typing.set(d.conversation, list);
        this.set({ typing });
        return;
      }
      case 'message:read': {
        const d = frame.data;
        if (d.user_id === this.me?.user_id) {
          // Read on another device: the core recounts; keep the local marker in step.
          const c = this.state.conversations.get(d.conversation);
          if (c && d.seq > c.readSeq) {
            const conversations = new Map(this.state.conversations);
            conversations.set(d.conversation, { ...c, readSeq: d.seq });
            this.set({ conversations });
          }
          return;
        }
        if (!d.conversation.startsWith('dm:')) return;
        const peerRead = new Map(this.state.peerRead);
        peerRead.set(d.conversation, Math.max(peerRead.get(d.conversation) ?? 0, d.seq));
        this.set({ peerRead });
        return;
      }
      case 'group:updated': {
        const d = frame.data;
        this.putTopic(d.group, d.topic);
        this.addGroupEvent(d.group, {
          ts: d.ts,
          user_id: d.by.user_id,
          displayName: d.by.displayName,
          action: 'topic',
          topic: d.topic,
        });
        return;
      }
      case 'group:member': {
        const d = frame.data;
        if (d.ts !== undefined) {
          this.addGroupEvent(d.group, {
            ts: d.ts,
            user_id: d.user_id,
            displayName: d.displayName ?? 'Someone',
            action: d.action,
          });
        }
        if (d.user_id === this.me?.user_id) {
          if (d.action === 'left') this.dropConversation(`group:${d.group}`);
          else this.ensureConversation(`group:${d.group}`);
        }
        if (this.state.members.has(d.group)) void this.loadMembers(d.group);
        return;
      }
      case 'presence:update': {
        const d = frame.data;
        if (d.profile) this.onProfile(d.user_id, d.profile);
        const presence = new Map(this.state.presence);
        presence.set(d.user_id, { status: d.status, ...(d.text ? { text: d.text } : {}) });
        let members = this.state.members;
        for (const [group, list] of members) {
          if (!list.some((u) => u.user_id === d.user_id)) continue;
          if (members === this.state.members) members = new Map(members);
          (members as Map<string, readonly GroupUser[]>).set(
            group,
            list.map((u) =>
              u.user_id === d.user_id
                ? { ...u, status: d.status, ...(d.text ? { text: d.text } : { text: undefined }) }
                : u,
            ),
          );
        }
        const patch: Partial<ChatState> = { presence, members };
        if (d.user_id === this.me?.user_id && d.status !== 'offline') {
          patch.myStatus = d.status;
          patch.myStatusText = d.text ?? '';
        }
        this.set(patch);
        return;
      }
      default:
        return;
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  /**
   * Applies an edit or removal to a held message. Live messages still waiting for the frame are
   * applied first: an edit may follow its message within the same frame.
   */
  private patchHeld(conversation: string, messageId: string, patch: Partial<UiMessage>): void {
    this.applyAppends();
    const held = this.state.messages.get(conversation);
    if (held) {
      this.putMessages(conversation, { ...held, list: patchMessage(held.list, messageId, patch) });
    }
    this.patchThreads(messageId, (list) => patchMessage(list, messageId, patch));
  }

  /** Applies a change to a message in any loaded thread (as a reply or as the root). */
  private patchThreads(messageId: string, change: (list: UiMessage[]) => UiMessage[]): void {
    for (const [root, t] of this.state.threads) {
      const list = change(t.list);
      const rootList = t.root?.messageId === messageId ? change([t.root]) : undefined;
      if (list === t.list && (!rootList || rootList[0] === t.root)) continue;
      this.putThread(root, { ...t, list, ...(rootList ? { root: rootList[0] } : {}) });
    }
  }

  /** A live reply: into its thread if loaded, and counted on its root wherever it is held. */
  private onThreadReply(conversation: string, m: UiMessage): void {
    const root = m.thread!;
    const t = this.state.threads.get(root);
    if (t) {
      this.putThread(root, {
        ...t,
        list: mergeMessages(t.list, [m]),
        ...(t.root ? { root: countReply([t.root], m)[0] } : {}),
      });
    }
    this.applyAppends();
    const held = this.state.messages.get(conversation);
    if (held) this.putMessages(conversation, { ...held, list: countReply(held.list, m) });
  }

  private putThread(root: string, value: ThreadView): void {
    const threads = new Map(this.state.threads);
    threads.set(root, value);
    this.set({ threads });
  }

  private applyAppends(): void {
    if (this.appends.size === 0) return;
    const messages = new Map(this.state.messages);
    for (const [conversation, batch] of this.appends) {
      const held = messages.get(conversation);
      if (held) messages.set(conversation, { ...held, list: mergeMessages(held.list, batch) });
    }
    this.appends = new Map();
    this.state = { ...this.state, messages };
  }

  private putMessages(conversation: string, value: ConversationMessages): void {
    const messages = new Map(this.state.messages);
    messages.set(conversation, value);
    this.set({ messages });
  }

  private ensureConversation(key: string): void {
    if (this.state.conversations.has(key)) return;
    const dm = key.startsWith('dm:');
    const conversations = new Map(this.state.conversations);
    conversations.set(key, {
      key,
      kind: dm ? 'dm' : 'group',
      name: dm ? 'Someone' : key.slice(6),
      ...(dm ? { peerId: key.slice(3) } : {}),
      unread: 0,
      mentions: 0,
      lastSeq: 0,
      readSeq: 0,
      lastTs: Date.now(),
    });
    this.set({ conversations });
    // A dm we knew nothing about: the server's list names the other party.
    if (dm) void this.refresh();
  }

  private dropConversation(key: string): void {
    if (!this.state.conversations.has(key)) return;
    const conversations = new Map(this.state.conversations);
    conversations.delete(key);
    const messages = new Map(this.state.messages);
    messages.delete(key);
    this.set({
      conversations,
      messages,
      ...(this.state.active === key ? { active: undefined } : {}),
    });
  }

  private nameDm(conversation: string, from: { user_id: string; displayName: string }): void {
    if (conversation !== `dm:${from.user_id}`) return;
    const c = this.state.conversations.get(conversation);
    if (!c || c.name === from.displayName) return;
    const conversations = new Map(this.state.conversations);
    conversations.set(conversation, { ...c, name: from.displayName });
    this.set({ conversations });
  }

  private clearTypist(conversation: string, userId: string): void {
    const list = this.state.typing.get(conversation);
    if (!list?.some((t) => t.userId === userId)) return;
    const typing = new Map(this.state.typing);
    typing.set(
      conversation,
      list.filter((t) => t.userId !== userId),
    );
    this.set({ typing });
  }
}

function threadReadKey(accountId: string): string {
  return `parley.threadRead.${accountId}`;
}

/** Thread read positions kept in this browser profile (the server keeps none for threads). */
function loadThreadRead(accountId: string): Map<string, number> {
  try {
    const raw = JSON.parse(localStorage.getItem(threadReadKey(accountId)) ?? '{}') as unknown;
    if (!raw || typeof raw !== 'object') return new Map();
    return new Map(
      Object.entries(raw).filter((e): e is [string, number] => typeof e[1] === 'number'),
    );
  } catch {
    return new Map(); // unreadable: every thread starts unread again, nothing worse
  }
}

/** The newest 2,000 threads' positions are kept: old threads fall out of the record. */
function saveThreadRead(accountId: string, read: ReadonlyMap<string, number>): void {
  const newest = [...read].sort((a, b) => b[1] - a[1]).slice(0, 2000);
  try {
    localStorage.setItem(threadReadKey(accountId), JSON.stringify(Object.fromEntries(newest)));
  } catch {
    // Storage full or denied: the positions last this session only.
  }
}

export function recipientOf(conversation: string): Recipient {
  return conversation.startsWith('dm:')
    ? { user: conversation.slice(3) }
    : { group: conversation.slice(6) };
}

export function describe(err: unknown): { code: string; message: string } {
  if (err instanceof ActionError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

/**
 * Publishes at once (after the current task) when nothing was published for a frame, so a lone
 * message shows without waiting; otherwise on the next frame, so a flood costs one render a
 * frame, not one per message.
 */
function frameScheduler(): Scheduler {
  let last = -Infinity;
  return (flush) => {
    const run = () => {
      last = performance.now();
      flush();
    };
    if (performance.now() - last >= FRAME_MS) queueMicrotask(run);
    // A hidden page gets no animation frames; a timer still publishes there.
    else if (document.visibilityState === 'visible') requestAnimationFrame(run);
    else setTimeout(run, 50);
  };
}
