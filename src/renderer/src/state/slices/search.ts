// Finding things: full-text search of messages, people by name, and jumping to a message in
// its conversation or thread.
import type { ConversationsSlice } from './conversations';
import { Slice, type SliceContext } from './slice';
import type { ThreadsSlice } from './threads';

/** Jumping to an old message loads at most this many older pages (2,000 messages) to reach it. */
const JUMP_PAGES = 20;
/** How long a message jumped to stays marked. */
const HIGHLIGHT_MS = 4_000;

export class SearchSlice extends Slice {
  constructor(
    ctx: SliceContext,
    private readonly conversations: ConversationsSlice,
    private readonly threads: ThreadsSlice,
  ) {
    super(ctx);
  }

  /** Full-text search of what the user can read: one conversation, or everywhere. */
  messages(query: string, conversation?: string, cursor?: string) {
    return this.invoke('chat:search', {
      accountId: this.state.accountId!,
      query,
      ...(conversation ? { conversation } : {}),
      ...(cursor ? { cursor } : {}),
    });
  }

  /** Anyone on the server by name, to start a dm with. */
  async people(query: string) {
    return (await this.invoke('people:search', { accountId: this.state.accountId!, query })).list;
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
    await this.conversations.open(conversation);
    if (thread) {
      await this.threads.open(conversation, thread);
    } else {
      for (let page = 0; page < JUMP_PAGES; page++) {
        const held = this.state.messages.get(conversation);
        if (!held || held.list.some((m) => m.messageId === messageId)) break;
        if (!held.hasOlder || (held.list[0]?.seq ?? 0) <= seq) break;
        await this.conversations.loadOlder(conversation);
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
}
