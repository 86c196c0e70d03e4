// The desktop's logic in one object, without electron: accounts side by side (several servers),
// one Session each (connection, conversation state, outbox), settings, what the user is looking
// at, and the notification decisions. Platform objects come in as ports; results and pushes go
// out through the IPC contract (src/shared/ipc.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dmKey, groupKey, parseConversationKey } from '../../shared/conversation-key.js';
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
  MessageFile,
  PresenceStatus,
  RequestResultMap,
  RequestType,
} from '../../shared/protocol.js';
import { AccountService, type Account, type SecretStore } from './accounts.js';
import { CoreError } from './errors.js';
import { checkExternalUrl } from './external-url.js';
import type { FileTransfers } from './file-transfers.js';
import { readJson, writeJsonAtomic } from './json-file.js';
import { notificationFor, type Attention, type NativeNotification } from './notify.js';
import type { Clock, SocketFactory } from './realtime-socket.js';
import { Session, type SentMessage } from './session.js';
import { SettingsFile } from './settings.js';

export { CoreError, describeError } from './errors.js';
export { notificationText, type NativeNotification } from './notify.js';

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

function isAccountList(v: unknown): v is Account[] {
  return (
    Array.isArray(v) &&
    v.every((a) => typeof a === 'object' && a !== null && 'id' in a && 'realtimeUrl' in a)
  );
}
export class DesktopCore {
  private readonly emitter = new Emitter<IpcEvents>();
  private readonly accountService: AccountService;
  private accounts: Account[];
  private readonly settings: SettingsFile;
  private readonly sessions = new Map<string, Session>();
  private attention: Attention = { focused: false };
  private readonly accountsFile: string;

  constructor(private readonly ports: DesktopPorts) {
    mkdirSync(ports.dataDir, { recursive: true });
    this.accountsFile = join(ports.dataDir, 'accounts.json');
    this.accountService = new AccountService(ports.secrets, ports.fetch);
    this.accounts = readJson(this.accountsFile, [], isAccountList);
    this.settings = new SettingsFile(ports.dataDir);
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

  considerNotifying(session: Session, m: SentMessage): void {
    const n = notificationFor(session, m, this.attention, this.settings.current);
    if (n) this.ports.notify(n);
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
      call?: { missed: boolean; video: boolean; durationMs?: number };
      files?: MessageFile[];
    } = {},
  ): OutboxItemView {
    const { call, files, ...answer } = extra;
    const body = { text, ...(files?.length ? { files } : {}) };
    // The server writes body.call itself, once it knows this user rang that one (L4).
    return this.session(accountId).outbox.enqueue(to, body, undefined, {
      ...answer,
      ...(call
        ? {
            callRecord: {
              video: call.video,
              ...(!call.missed && call.durationMs !== undefined
                ? { durationMs: call.durationMs }
                : {}),
            },
          }
        : {}),
    });
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
    return this.settings.view();
  }

  setSettings(patch: Partial<NotifySettingsView>): NotifySettingsView {
    const settings = this.settings.set(patch);
    if (patch.startAtLogin !== undefined) this.ports.setStartAtLogin?.(patch.startAtLogin);
    return settings;
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
    if (this.settings.current.doNotDisturb) return { notified: false };
    this.ports.notify({
      accountId,
      conversation: group ? groupKey(group) : dmKey(userId),
      title: `${name || 'Someone'} is calling${group ? ` #${group}` : ''}`,
      body: video ? 'Video call: open Parley to answer.' : 'Call: open Parley to answer.',
    });
    return { notified: true };
  }

  /** The user's own ICE servers if set, else the server's (asked each call: they may rotate). */
  async callIce(accountId: string): Promise<InvokeResults['calls:ice']> {
    const { relayOnly, iceServers: own } = this.settings.current;
    if (own.length > 0) return { iceServers: [...own], relayOnly };
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
    const key = parseConversationKey(conversation);
    if (!key || !text.trim()) return;
    this.post(accountId, key.kind === 'dm' ? { user: key.userId } : { group: key.name }, text);
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
