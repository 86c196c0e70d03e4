// Everything the chat UI shows, built from the bridge's answers and pushes: one state (chat-
// state.ts), published about once a frame (store-base.ts), changed through slices per domain
// (slices/). React reads it through useStore (use-store.ts). No DOM here: the scheduler, the
// storage and the uploader come in, so the store runs in Node tests with a fake bridge.
import type { ParleyBridge } from '../../../shared/ipc';
import { initialState, type ChatState } from './chat-state';
import { eventRouter } from './event-router';
import { bridgeInvoke, describe, type AccountInvoker, type Invoke } from './invoke';
import { AccountsSlice } from './slices/accounts';
import { AttachmentsSlice, type Uploader } from './slices/attachments';
import { ConversationsSlice } from './slices/conversations';
import { MembersSlice } from './slices/members';
import { MessagesSlice } from './slices/messages';
import { SearchSlice } from './slices/search';
import type { Me, SliceContext } from './slices/slice';
import { ThreadsSlice, type KeyValueStorage } from './slices/threads';
import { StoreBase, type Scheduler } from './store-base';

export * from './chat-state';
export { ActionError, describe } from './invoke';

export interface ChatStorePorts {
  /** How a change is published (once a frame by default; tests publish at once). */
  schedule?: Scheduler;
  /** Where thread read positions are kept (the page's localStorage by default). */
  storage?: KeyValueStorage;
  /** How picked files are uploaded, given the store (features/files/transfers.ts in the app). */
  uploader: (store: AccountInvoker) => Uploader;
}

export class ChatStore extends StoreBase<ChatState> implements AccountInvoker {
  readonly invoke: Invoke;
  readonly accounts: AccountsSlice;
  readonly conversations: ConversationsSlice;
  readonly messages: MessagesSlice;
  readonly threads: ThreadsSlice;
  readonly attachments: AttachmentsSlice;
  readonly search: SearchSlice;
  readonly members: MembersSlice;

  constructor(
    private readonly bridge: ParleyBridge,
    ports: ChatStorePorts,
  ) {
    super(initialState(), ports.schedule);
    this.invoke = bridgeInvoke(bridge);
    const ctx: SliceContext = {
      getState: this.getState,
      set: this.set,
      fold: (patch) => this.replace({ ...this.state, ...patch }),
      invoke: this.invoke,
      me: () => this.me,
    };
    this.attachments = new AttachmentsSlice(ctx, ports.uploader(this));
    this.messages = new MessagesSlice(ctx, this.attachments);
    this.threads = new ThreadsSlice(ctx, ports.storage ?? globalThis.localStorage);
    this.members = new MembersSlice(ctx, this.messages);
    this.conversations = new ConversationsSlice(ctx, this.messages, this.members);
    this.search = new SearchSlice(ctx, this.conversations, this.threads);
    this.accounts = new AccountsSlice(ctx, this.conversations, this.members, this.threads);
    // Live messages batched during a frame land in the state that frame publishes.
    this.onBeforePublish(() => this.messages.applyAppends());
  }

  /** The account shown now. */
  currentAccount(): string | undefined {
    return this.state.accountId;
  }

  /** The user of the account shown, with their name as the server last said it. */
  get me(): Me | undefined {
    const a = this.state.accounts.find((x) => x.id === this.state.accountId);
    if (!a) return undefined;
    const displayName =
      this.state.status?.state === 'online'
        ? this.state.status.user.displayName
        : (this.state.myName ?? a.username);
    return { user_id: a.userId, displayName, username: a.username };
  }

  /** Runs a user's action; a failure is shown as the notice instead of thrown. */
  attempt<T>(what: () => Promise<T>): Promise<T | undefined> {
    return this.accounts.attempt(what);
  }

  dismissNotice(): void {
    this.set({ notice: undefined });
  }

  async start(): Promise<void> {
    const b = this.bridge;
    const route = eventRouter({
      conversations: this.conversations,
      messages: this.messages,
      threads: this.threads,
      members: this.members,
      getState: this.getState,
      set: this.set,
      me: () => this.me,
    });
    const subscriptions = [
      b.on('account:status', ({ accountId, status }) => this.accounts.onStatus(accountId, status)),
      b.on('server:event', ({ accountId, frame }) => {
        if (accountId === this.state.accountId) route(frame);
      }),
      b.on('outbox:changed', ({ accountId, items }) => {
        if (accountId === this.state.accountId) this.set({ outbox: items });
      }),
      b.on('conversation:changed', (c) => {
        if (c.accountId === this.state.accountId) this.conversations.onChanged(c);
      }),
      b.on('notification:open', ({ accountId, conversation }) => {
        if (accountId !== this.state.accountId) this.accounts.useAccount(accountId);
        void this.conversations.open(conversation);
      }),
    ];
    for (const unsubscribe of subscriptions) this.disposables.addFn(unsubscribe);
    try {
      const [info, accounts, settings] = await Promise.all([
        this.invoke('app:info', {}),
        this.invoke('accounts:list', {}),
        this.invoke('settings:get', {}),
      ]);
      this.set({ info, accounts, settings, ready: true });
      if (accounts[0]) this.accounts.useAccount(accounts[0].id);
    } catch (err) {
      this.set({ fatal: describe(err).message, ready: true });
    }
  }

  /** Stops following the bridge, uploads and timers. React's own subscriptions end with it. */
  override dispose(): void {
    super.dispose();
    this.attachments.dispose();
    this.conversations.dispose();
  }
}
