// Accounts: signing in and out, switching between accounts, the connection's status, the
// user's own name, picture and status, and the desktop's settings.
import type { ConnectionStatus, NotifySettingsView } from '../../../../shared/ipc';
import type { PresenceStatus } from '../../../../shared/protocol';
import type { ConversationsSlice } from './conversations';
import type { MembersSlice } from './members';
import { accountViews } from '../chat-state';
import { Slice, type SliceContext } from './slice';
import type { ThreadsSlice } from './threads';
import { groupNameOf } from '../../../../shared/conversation-key';

export class AccountsSlice extends Slice {
  constructor(
    ctx: SliceContext,
    private readonly conversations: ConversationsSlice,
    private readonly members: MembersSlice,
    private readonly threads: ThreadsSlice,
  ) {
    super(ctx);
  }

  async signIn(
    mode: 'signIn' | 'signUp',
    form: { server: string; username: string; password: string; displayName?: string },
  ): Promise<void> {
    const account =
      mode === 'signUp'
        ? await this.invoke('accounts:signUp', form)
        : await this.invoke('accounts:signIn', {
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
    const { revoked } = await this.invoke('accounts:signOut', { accountId });
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
    await this.invoke('accounts:changePassword', { accountId, currentPassword, newPassword });
  }

  /** Shows another account (or, with none, the sign-in screen). */
  addAccount(): void {
    this.set({ accountId: undefined, status: undefined, myName: undefined });
  }

  useAccount(accountId: string): void {
    const account = this.state.accounts.find((a) => a.id === accountId);
    if (!account) return;
    this.set({
      accountId,
      status: account.status,
      myName:
        account.status.state === 'online'
          ? rememberName(accountId, account.status.user.displayName)
          : lastName(accountId),
      ...accountViews(),
      threadRead: this.threads.readPositions(accountId),
      active: undefined,
    });
    void this.conversations.refresh();
  }

  onStatus(accountId: string, status: ConnectionStatus): void {
    const accounts = this.state.accounts.map((a) => (a.id === accountId ? { ...a, status } : a));
    if (accountId !== this.state.accountId) {
      this.set({ accounts });
      return;
    }
    const wasOnline = this.state.status?.state === 'online';
    this.set({
      accounts,
      status,
      ...(status.state === 'online'
        ? { myName: rememberName(accountId, status.user.displayName) }
        : {}),
    });
    if (status.state === 'online' && !wasOnline) {
      void this.conversations.refresh();
      const group = this.state.active ? groupNameOf(this.state.active) : null;
      if (group) void this.members.loadMembers(group);
    }
    if (status.state !== 'online' && wasOnline) this.set({ typing: new Map() });
  }

  /** Changes the user's name as others see it. */
  async setDisplayName(displayName: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    const profile = await this.invoke('profile:set', { accountId, displayName });
    this.members.onProfile(this.state.accounts.find((a) => a.id === accountId)!.userId, profile);
  }

  /** Sets the user's picture (a small square the page made), or with null removes it. */
  async setAvatar(
    picture: { data: string; type: 'image/png' | 'image/jpeg' | 'image/webp' } | null,
  ) {
    const accountId = this.state.accountId;
    if (!accountId) return;
    const userId = this.state.accounts.find((a) => a.id === accountId)!.userId;
    if (picture) {
      const { avatar } = await this.invoke('profile:setAvatar', { accountId, ...picture });
      this.members.learnAvatar(userId, avatar);
    } else {
      await this.invoke('profile:removeAvatar', { accountId });
      this.members.learnAvatar(userId, null);
    }
  }

  async setMyStatus(status: PresenceStatus, text: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    // No text clears it.
    await this.invoke('presence:set', { accountId, status, ...(text ? { text } : {}) });
    this.set({ myStatus: status, myStatusText: text });
  }

  async updateSettings(patch: Partial<NotifySettingsView>): Promise<void> {
    const settings = await this.invoke('settings:set', patch);
    this.set({ settings });
  }

  async toggleMute(conversation: string): Promise<void> {
    const muted = new Set(this.state.settings?.muted ?? []);
    if (muted.has(conversation)) muted.delete(conversation);
    else muted.add(conversation);
    await this.updateSettings({ muted: [...muted] });
  }
}

// The display name the server last stated, kept in the page's storage: a page opened while the
// server is away still shows it, never the username (UX-3 gap 4).
const NAME_KEY = (accountId: string) => `parley.name.${accountId}`;

function rememberName(accountId: string, name: string): string {
  try {
    globalThis.localStorage?.setItem(NAME_KEY(accountId), name);
  } catch {
    // Storage full or refused: the name still shows until the page closes.
  }
  return name;
}

function lastName(accountId: string): string | undefined {
  try {
    return globalThis.localStorage?.getItem(NAME_KEY(accountId)) ?? undefined;
  } catch {
    return undefined;
  }
}
