// The desktop's logic in one object, without electron: accounts side by side (several servers),
// one Session each (connection, conversation state, outbox), settings, what the user is looking
// at, and the notification decisions. Platform objects come in as ports; results and pushes go
// out through the IPC contract (src/shared/ipc.ts).
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CodedError, type IpcErrorCode } from '../../shared/errors.js';
import { Emitter, type Disposable } from '../../shared/emitter.js';
import type {
  AccountView,
  AppInfo,
  InvokeResults,
  IpcEvents,
  NotifySettingsView,
  OutboxItemView,
} from '../../shared/ipc.js';
import type {
  EventFrame,
  MessageBody,
  MessageFile,
  PresenceStatus,
  ServerBodyFields,
  RequestResultMap,
  RequestType,
} from '../../shared/protocol.js';
import { AccountService, type Account, type SecretStore } from './accounts.js';
import { ConversationState } from './conversations.js';
import { checkExternalUrl } from './external-url.js';
import { FileTransfers } from './file-transfers.js';
import { HistoryCache } from './history-cache.js';
import { PresenceState } from './presence-state.js';
import { jsonFileOutboxStore, readJson, writeJsonAtomic } from './json-file.js';
import { mentions, shouldNotify } from './notification-policy.js';
import { Outbox } from './outbox.js';
import { RealtimeClient, type Clock, type SocketFactory } from './realtime-client.js';

export type NativeNotification = IpcEvents['notification:show'];

export interface DesktopPorts {
  /** Where accounts.json, settings.json and the outboxes live. */
  dataDir: string;
  secrets: SecretStore;
  socketFactory: SocketFactory;
  appInfo: AppInfo;
  /** Opens a checked http/https/mailto URL with the OS. */
  openExternal(url: string): Promise<void> | void;
  /** Raises a native notification; the adapter routes its click back through openConversation. */
  notify(n: NativeNotification): void;
  /** Keeps the display awake while a call runs (Electron's powerSaveBlocker). */
  keepAwake?(on: boolean): void;
  /** Answers a screen-share request (`screen:choose`) with the source picked, or null. */
  screenChosen?(requestId: string, sourceId: string | null): boolean;
  /** Registers or removes the app as a login item. */
  setStartAtLogin?(on: boolean): void;
  fetch?: typeof fetch;
  clock?: Clock;
}

/** A failure the renderer is told about, with a stable code. */
export class CoreError extends CodedError {}

const DEFAULT_SETTINGS: NotifySettingsView = {
  level: 'all',
  muted: [],
  doNotDisturb: false,
  startAtLogin: false,
  iceServers: [],
  relayOnly: false,
};
const PREVIEW_CHARS = 200;
const MAX_THREADS_REMEMBERED = 1000;

function isAccountList(v: unknown): v is Account[] {
  return (
    Array.isArray(v) &&
    v.every((a) => typeof a === 'object' && a !== null && 'id' in a && 'realtimeUrl' in a)
  );
}
function isSettings(v: unknown): v is NotifySettingsView {
  return typeof v === 'object' && v !== null && 'level' in v && 'muted' in v;
}

class Session {
  readonly client: RealtimeClient;
  readonly state: ConversationState;
  readonly outbox: Outbox;
  readonly history = new HistoryCache();
  readonly presence = new PresenceState();
  readonly files: FileTransfers;
  myStatus: PresenceStatus = 'online';
  /** Threads the user wrote in, oldest first (see isToMe). */
  private readonly threadsWrittenIn = new Set<string>();
  private readonly subs: Disposable[] = [];

  constructor(
    readonly account: Account,
    private readonly core: DesktopCore,
    ports: DesktopPorts,
    token: () => Promise<string>,
  ) {
    this.state = new ConversationState(account.userId, account.username);
    this.files = new FileTransfers(account.serverUrl, token);
    this.client = new RealtimeClient({
      url: account.realtimeUrl,
      token,
      socketFactory: ports.socketFactory,
      resumeFrom: () => this.state.lastSeqs(),
      ...(ports.clock ? { clock: ports.clock } : {}),
    });
    const outboxFile = join(
      ports.dataDir,
      `outbox-${createHash('sha256').update(account.id).digest('hex').slice(0, 16)}.json`,
    );
    this.outbox = new Outbox(this.client, jsonFileOutboxStore(outboxFile), randomUUID);
    this.subs.push(
      this.client.on('status', (status) => {
        core.push('account:status', { accountId: account.id, status });
        if (status.state === 'online') void this.refreshConversations();
        else this.presence.clear();
      }),
      this.client.on('event', (frame) => this.onEvent(frame)),
      this.outbox.on('changed', (items) =>
        core.push('outbox:changed', { accountId: account.id, items: [...items] }),
      ),
      this.state.on('changed', (view) =>
        core.push('conversation:changed', { accountId: account.id, ...view }),
      ),
      this.state.on('totalUnread', () => core.unreadChanged()),
    );
  }

  start(): void {
    this.client.start();
  }

  request<T extends RequestType>(
    type: T,
    params: Record<string, unknown>,
  ): Promise<RequestResultMap[T]> {
    return this.client.request(type, params);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.files.dispose();
    this.outbox.dispose();
    this.client.dispose();
    this.state.dispose();
  }

  private async refreshConversations(): Promise<void> {
    try {
      this.state.load((await this.client.request('conversations', {})).list);
    } catch {
      // Offline again already; the next 'online' refreshes.
    }
  }

  /**
   * A reply quoting one of the user's messages, or a reply in a thread they started or wrote in
   * (written in while this app ran: not kept across restarts).
   */
  isToMe(body: MessageBody): boolean {
    const { userId } = this.account;
    const reply = body.reply as ServerBodyFields['reply'];
    if (reply?.from.user_id === userId) return true;
    const thread = body.thread;
    if (typeof thread !== 'string') return false;
    return body.threadFrom === userId || this.threadsWrittenIn.has(thread);
  }

  private noteThreadWrittenIn(m: Extract<EventFrame, { event: 'message:send' }>['data']): void {
    const thread = m.body?.thread;
    if (m.from.user_id !== this.account.userId || typeof thread !== 'string') return;
    this.threadsWrittenIn.delete(thread);
    this.threadsWrittenIn.add(thread);
    // The oldest go first: a bounded memory of where the user wrote.
    if (this.threadsWrittenIn.size > MAX_THREADS_REMEMBERED) {
      this.threadsWrittenIn.delete(this.threadsWrittenIn.values().next().value!);
    }
  }

  private onEvent(frame: EventFrame): void {
    if (frame.event === 'message:send') this.noteThreadWrittenIn(frame.data);
    this.state.apply(frame);
    this.history.apply(frame);
    this.presence.apply(frame);
    if (
      frame.event === 'group:member' &&
      frame.data.user_id === this.account.userId &&
      frame.data.action === 'left'
    ) {
      this.history.forget(`group:${frame.data.group}`);
    }
    this.core.push('server:event', { accountId: this.account.id, frame });
    if (frame.event === 'message:send') this.core.considerNotifying(this, frame.data);
  }
}

export class DesktopCore {
  private readonly emitter = new Emitter<IpcEvents>();
  private readonly accountService: AccountService;
  private accounts: Account[];
  private settings: NotifySettingsView;
  private readonly sessions = new Map<string, Session>();
  private attention: { focused: boolean; accountId?: string; conversation?: string } = {
    focused: false,
  };
  private readonly accountsFile: string;
  private readonly settingsFile: string;

  constructor(private readonly ports: DesktopPorts) {
    mkdirSync(ports.dataDir, { recursive: true });
    this.accountsFile = join(ports.dataDir, 'accounts.json');
    this.settingsFile = join(ports.dataDir, 'settings.json');
    this.accountService = new AccountService(ports.secrets, ports.fetch);
    this.accounts = readJson(this.accountsFile, [], isAccountList);
    this.settings = {
      ...DEFAULT_SETTINGS,
      ...readJson(this.settingsFile, DEFAULT_SETTINGS, isSettings),
    };
  }

  on<E extends keyof IpcEvents>(event: E, listener: (value: IpcEvents[E]) => void): Disposable {
    return this.emitter.on(event, listener);
  }

  /** Opens a session for every account that still has a token. */
  async start(): Promise<void> {
    for (const account of this.accounts) await this.openSession(account);
  }

  get totalUnread(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.state.totalUnread;
    return n;
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
    this.emitter.clear();
  }

  // ---- called by sessions ------------------------------------------------------------------

  push<E extends keyof IpcEvents>(event: E, value: IpcEvents[E]): void {
    this.emitter.emit(event, value);
  }

  unreadChanged(): void {
    this.push('unread:changed', { total: this.totalUnread });
  }

  considerNotifying(
    session: Session,
    m: Extract<EventFrame, { event: 'message:send' }>['data'],
  ): void {
    const { account } = session;
    if (m.body === null) return; // a replayed tombstone: the message was removed
    const looking =
      this.attention.focused && this.attention.accountId === account.id
        ? this.attention.conversation
        : undefined;
    const decision = shouldNotify(
      {
        conversation: m.conversation,
        kind: m.conversation.startsWith('dm:') ? 'dm' : 'group',
        fromSelf: m.from.user_id === account.userId,
        mentionsMe: mentions(m.body.text, account.username),
        always: m.notification?.always === true,
        toMe: session.isToMe(m.body),
        inThread: typeof m.body.thread === 'string',
      },
      {
        windowFocused: this.attention.focused,
        ...(looking ? { activeConversation: looking } : {}),
      },
      {
        level: this.settings.level,
        muted: new Set(this.settings.muted),
        doNotDisturb: this.settings.doNotDisturb,
      },
      session.myStatus,
    );
    if (!decision.notify) return;
    this.ports.notify({
      accountId: account.id,
      conversation: m.conversation,
      ...notificationText(m.conversation, m.from.displayName, m.body.text, m.notification),
    });
  }

  /** A notification was clicked: the adapter focuses the window, the renderer opens the conversation. */
  openConversation(accountId: string, conversation: string): void {
    this.push('notification:open', { accountId, conversation });
  }

  // ---- the IPC channels --------------------------------------------------------------------

  appInfo(): AppInfo {
    return this.ports.appInfo;
  }

  listAccounts(): AccountView[] {
    return this.accounts.map((a) => this.view(a));
  }

  async signUp(
    server: string,
    username: string,
    password: string,
    displayName?: string,
  ): Promise<AccountView> {
    return this.added(await this.accountService.signUp(server, username, password, displayName));
  }

  async signIn(server: string, username: string, password: string): Promise<AccountView> {
    return this.added(await this.accountService.signIn(server, username, password));
  }

  async signOut(accountId: string): Promise<{ revoked: boolean }> {
    const account = this.account(accountId);
    this.sessions.get(accountId)?.dispose();
    this.sessions.delete(accountId);
    const { revoked } = await this.accountService.signOut(account);
    this.accounts = this.accounts.filter((a) => a.id !== accountId);
    writeJsonAtomic(this.accountsFile, this.accounts);
    this.unreadChanged();
    return { revoked };
  }

  /**
   * A new password: the server ends every sign-in of the account (this connection too) and
   * answers a new token, with which this connection starts again at once.
   */
  async changePassword(
    accountId: string,
    current: string,
    next: string,
  ): Promise<Record<string, never>> {
    const account = this.account(accountId);
    await this.accountService.changePassword(account, current, next);
    this.sessions.get(accountId)?.client.start();
    return {};
  }

  async conversations(accountId: string): Promise<InvokeResults['conversations:list']> {
    const session = this.session(accountId);
    const { list } = await session.request('conversations', {});
    session.state.load(list);
    return list;
  }

  post(
    accountId: string,
    to: { group: string } | { user: string },
    text: string,
    extra: {
      replyTo?: string;
      thread?: string;
      call?: { missed: boolean; video: boolean };
      files?: MessageFile[];
    } = {},
  ): OutboxItemView {
    const { call, files, ...answer } = extra;
    const body = { text, ...(call ? { call } : {}), ...(files?.length ? { files } : {}) };
    return this.session(accountId).outbox.enqueue(to, body, undefined, answer);
  }

  retry(accountId: string, clientMsgId: string): Record<string, never> {
    this.session(accountId).outbox.retry(clientMsgId);
    return {};
  }

  discard(accountId: string, clientMsgId: string): Record<string, never> {
    this.session(accountId).outbox.discard(clientMsgId);
    return {};
  }

  outbox(accountId: string): OutboxItemView[] {
    return [...this.session(accountId).outbox.pending];
  }

  /** Forwards a request to the account's server as is (history, edit, join, ...). */
  request<T extends RequestType>(
    accountId: string,
    type: T,
    params: Record<string, unknown>,
  ): Promise<RequestResultMap[T]> {
    return this.session(accountId).request(type, params);
  }

  /**
   * A conversation's messages. The newest page comes from the cache when it holds it (instant,
   * and offline too); other pages, and the first open, ask the server.
   */
  async history(
    accountId: string,
    params: {
      conversation: string;
      before?: number;
      after?: number;
      limit?: number;
      thread?: string;
    },
  ): Promise<InvokeResults['chat:history']> {
    const session = this.session(accountId);
    const limit = params.limit ?? 50;
    // The cache holds a conversation's newest page, not a thread's.
    const newest =
      params.before === undefined && params.after === undefined && params.thread === undefined;
    if (newest) {
      const cached = session.history.latest(params.conversation, limit);
      if (cached) return cached;
    }
    const page = await session.request('history', { ...params, limit });
    if (newest) session.history.seedLatest(params.conversation, page);
    return page;
  }

  /** The transfers of an account's attachments (file-transfers.ts). */
  files(accountId: string): FileTransfers {
    return this.session(accountId).files;
  }

  /** A group's members with their status, remembered for presence:list. */
  async members(accountId: string, group: string): Promise<InvokeResults['groups:members']> {
    const session = this.session(accountId);
    const result = await session.request('users', { group });
    session.presence.learn(result.list);
    return result;
  }

  presenceList(accountId: string): InvokeResults['presence:list'] {
    return this.session(accountId).presence.list();
  }

  async read(accountId: string, conversation: string, seq: number): Promise<Record<string, never>> {
    const session = this.session(accountId);
    session.state.markRead(conversation, seq);
    await session.request('read', { conversation, seq });
    return {};
  }

  async setPresence(accountId: string, status: PresenceStatus, text?: string) {
    const session = this.session(accountId);
    const result = await session.request('presence', {
      status,
      ...(text !== undefined ? { text } : {}),
    });
    session.myStatus = status;
    return result;
  }

  getSettings(): NotifySettingsView {
    return {
      ...this.settings,
      muted: [...this.settings.muted],
      iceServers: [...this.settings.iceServers],
    };
  }

  setSettings(patch: Partial<NotifySettingsView>): NotifySettingsView {
    this.settings = { ...this.settings, ...patch };
    writeJsonAtomic(this.settingsFile, this.settings);
    if (patch.startAtLogin !== undefined) this.ports.setStartAtLogin?.(patch.startAtLogin);
    return this.getSettings();
  }

  /**
   * An incoming call: a native notification (its click opens the dm, or the group of a group
   * call), unless Do Not Disturb.
   */
  ringing(
    accountId: string,
    userId: string,
    name: string,
    video: boolean,
    group?: string,
  ): { notified: boolean } {
    this.account(accountId);
    if (this.settings.doNotDisturb) return { notified: false };
    this.ports.notify({
      accountId,
      conversation: group ? `group:${group}` : `dm:${userId}`,
      title: `${name || 'Someone'} is calling${group ? ` #${group}` : ''}`,
      body: video ? 'Video call: open Parley to answer.' : 'Call: open Parley to answer.',
    });
    return { notified: true };
  }

  /** The user's own ICE servers if set, else the server's (asked each call: they may rotate). */
  async callIce(accountId: string): Promise<InvokeResults['calls:ice']> {
    const { relayOnly } = this.settings;
    if (this.settings.iceServers.length > 0) {
      return { iceServers: this.settings.iceServers, relayOnly };
    }
    const { iceServers } = await this.session(accountId).request('ice', {});
    return { iceServers, relayOnly };
  }

  screenChosen(requestId: string, sourceId: string | null): { shared: boolean } {
    return { shared: this.ports.screenChosen?.(requestId, sourceId) ?? false };
  }

  keepAwake(on: boolean): Record<string, never> {
    this.ports.keepAwake?.(on);
    return {};
  }

  /** A reply typed into a notification: sent like any message, through the outbox. */
  replyFromNotification(accountId: string, conversation: string, text: string): void {
    const to = conversation.startsWith('dm:')
      ? { user: conversation.slice(3) }
      : { group: conversation.slice(6) };
    if (text.trim()) this.post(accountId, to, text);
  }

  setAttention(a: {
    focused: boolean;
    accountId?: string;
    conversation?: string;
  }): Record<string, never> {
    this.attention = a;
    return {};
  }

  async openExternal(url: string): Promise<InvokeResults['shell:openExternal']> {
    const verdict = checkExternalUrl(url);
    if (!verdict.ok) return { opened: false, reason: verdict.reason };
    // electronegativity-justified OPEN_EXTERNAL_JS_CHECK: a port, called with a checked URL only.
    await this.ports.openExternal(verdict.url);
    return { opened: true };
  }

  /** The OS resumed, unlocked or changed network: every connection checks itself now. */
  nudge(): void {
    for (const s of this.sessions.values()) s.client.nudge();
  }

  // ---- internals ---------------------------------------------------------------------------

  private async added(account: Account): Promise<AccountView> {
    this.accounts = [...this.accounts.filter((a) => a.id !== account.id), account];
    writeJsonAtomic(this.accountsFile, this.accounts);
    this.sessions.get(account.id)?.dispose();
    this.sessions.delete(account.id);
    await this.openSession(account);
    return this.view(account);
  }

  private async openSession(account: Account): Promise<void> {
    if (!(await this.accountService.token(account))) return; // signed out elsewhere: sign in again
    const session = new Session(account, this, this.ports, async () => {
      const token = await this.accountService.token(account);
      if (!token) throw new Error('signed out');
      return token;
    });
    this.sessions.set(account.id, session);
    session.start();
  }

  private account(accountId: string): Account {
    const account = this.accounts.find((a) => a.id === accountId);
    if (!account)
      throw new CoreError('NO_ACCOUNT', 'That account is not signed in on this computer.');
    return account;
  }

  private session(accountId: string): Session {
    this.account(accountId);
    const session = this.sessions.get(accountId);
    if (!session) throw new CoreError('SIGNED_OUT', 'Sign in again to use this account.');
    return session;
  }

  private view(account: Account): AccountView {
    const status = this.sessions.get(account.id)?.client.status ?? {
      state: 'offline' as const,
      reason: 'signed out',
    };
    return {
      id: account.id,
      serverUrl: account.serverUrl,
      username: account.username,
      userId: account.userId,
      status,
    };
  }
}

/** The code and message of anything a core call throws, for the renderer. */
export function describeError(err: unknown): { code: IpcErrorCode; message: string } {
  if (err instanceof CodedError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'Something went wrong inside Parley.' };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * What a message's notification says. The title is always who sent it and where, as the server
 * stamped it: a sender's own `notification.title` could otherwise pose as anyone ("Parley
 * Security Team", review M4). Their custom words follow the message on a line of their own, in
 * quotes and attributed.
 */
export function notificationText(
  conversation: string,
  sender: string,
  text: string,
  custom?: { title: string; body: string },
): { title: string; body: string } {
  const where = conversation.startsWith('group:') ? ` in ${conversation.slice(6)}` : '';
  const note = custom ? [custom.title, custom.body].filter((t) => t.trim()).join(': ') : '';
  const extra = note && note !== text ? `\n${sender} adds: “${clip(note, PREVIEW_CHARS / 2)}”` : '';
  return { title: `${sender}${where}`, body: clip(text, PREVIEW_CHARS) + extra };
}
