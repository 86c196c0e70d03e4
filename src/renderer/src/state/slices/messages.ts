// Messages: sending (with quotes, threads and files), editing, reacting, removing, typing, and
// live messages batched so that a flood costs one list copy a frame.
import { formatDuration } from '../../ui/duration';
import { recipientOf } from '../../../../shared/conversation-key';
import type { EventDataMap } from '../../../../shared/protocol';
import { composerKey, splitComposerKey } from '../chat-state';
import { describe } from '../invoke';
import {
  countReply,
  type ConversationMessages,
  mergeMessages,
  patchMessage,
  reactMessage,
  type UiMessage,
} from '../messages';
import type { AttachmentsSlice } from './attachments';
import { Slice, type SliceContext } from './slice';

/** How long a typing indicator shows without news. */
const TYPING_SHOWN_MS = 6_000;

export class MessagesSlice extends Slice {
  /** Live messages waiting for the next publish, by conversation: one list copy a frame. */
  private appends = new Map<string, UiMessage[]>();

  constructor(
    ctx: SliceContext,
    private readonly attachments: AttachmentsSlice,
  ) {
    super(ctx);
    attachments.onSettled = (key) => void this.sendWaiting(key);
  }

  /**
   * Sends from a composer; `thread` posts into that thread. Answers its quoted message, if any,
   * and carries its uploaded files. While some are still uploading it waits for them, and goes as
   * soon as they are done, as Slack and Signal do (UX-3 gap 3).
   */
  async post(conversation: string, text: string, thread?: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    const key = composerKey(conversation, thread);
    const picked = this.state.attachments.get(key) ?? [];
    if (picked.some((a) => a.state === 'uploading')) {
      // A second Enter meanwhile adds to the same message (one message carries the files).
      const before = this.state.waitingSends.get(key);
      const joined = before && !before.failed && before.text ? `${before.text}\n${text}` : text;
      this.setWaiting(key, { text: joined });
      return;
    }
    await this.postNow(conversation, key, text, thread);
  }

  /** The text of a message waiting for its uploads, taken back (it is not sent). */
  takeBackWaiting(conversation: string, thread?: string): string {
    const key = composerKey(conversation, thread);
    const text = this.state.waitingSends.get(key)?.text ?? '';
    this.setWaiting(key, undefined);
    return text;
  }

  private async sendWaiting(key: string): Promise<void> {
    const waiting = this.state.waitingSends.get(key);
    if (!waiting || waiting.failed) return;
    const picked = this.state.attachments.get(key) ?? [];
    const failed = picked.find((a) => a.state === 'failed');
    if (failed) {
      this.setWaiting(key, { ...waiting, failed: `${failed.name} could not be uploaded` });
      return;
    }
    this.setWaiting(key, undefined);
    const [conversation, thread] = splitComposerKey(key);
    try {
      await this.postNow(conversation, key, waiting.text, thread);
    } catch (err) {
      this.setWaiting(key, { ...waiting, failed: describe(err).message });
    }
  }

  private setWaiting(key: string, value: { text: string; failed?: string } | undefined): void {
    const waitingSends = new Map(this.state.waitingSends);
    if (value) waitingSends.set(key, value);
    else waitingSends.delete(key);
    this.set({ waitingSends });
  }

  private async postNow(
    conversation: string,
    key: string,
    text: string,
    thread: string | undefined,
  ): Promise<void> {
    const accountId = this.state.accountId!;
    const quoted = this.state.replyingTo.get(key);
    const picked = this.state.attachments.get(key) ?? [];
    const files = picked.flatMap((a) => (a.state === 'ready' && a.file ? [a.file] : []));
    const item = await this.invoke('chat:post', {
      accountId,
      to: recipientOf(conversation),
      text,
      ...(quoted?.messageId ? { replyTo: quoted.messageId } : {}),
      ...(thread ? { thread } : {}),
      ...(files.length ? { files } : {}),
    });
    if (quoted) this.replyTo(key, undefined);
    if (picked.length) this.attachments.put(key, []);
    // Shown at once as "sending"; the outbox:changed push says the same a moment later.
    if (!this.state.outbox.some((o) => o.clientMsgId === item.clientMsgId)) {
      this.set({ outbox: [...this.state.outbox, item] });
    }
  }

  /** A call record in the dm with `userId` (a missed call), as a message from the user. */
  postCallRecord(
    userId: string,
    call: { missed: boolean; video: boolean; durationMs?: number },
  ): Promise<unknown> {
    const kind = call.video ? 'Video call' : 'Call';
    // What clients that do not read body.call show.
    const text = call.missed
      ? `Missed ${kind.toLowerCase()}`
      : `${kind}, ${formatDuration(call.durationMs ?? 0)}`;
    return this.attempt(() =>
      this.invoke('chat:post', {
        accountId: this.state.accountId!,
        to: { user: userId },
        text,
        call,
      }),
    );
  }

  retry(clientMsgId: string): Promise<unknown> {
    return this.attempt(() =>
      this.invoke('chat:retry', { accountId: this.state.accountId!, clientMsgId }),
    );
  }

  discard(clientMsgId: string): Promise<unknown> {
    return this.attempt(() =>
      this.invoke('chat:discard', { accountId: this.state.accountId!, clientMsgId }),
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
      this.invoke('chat:edit', { accountId: this.state.accountId!, messageId, text }),
    );
  }

  /** Adds (`on`) or takes back the user's reaction. */
  react(messageId: string, emoji: string, on: boolean): Promise<unknown> {
    return this.attempt(() =>
      this.invoke('chat:react', { accountId: this.state.accountId!, messageId, emoji, on }),
    );
  }

  remove(messageId: string): Promise<unknown> {
    return this.attempt(() =>
      this.invoke('chat:remove', { accountId: this.state.accountId!, messageId }),
    );
  }

  /** Sets (or with undefined clears) the message a composer answers with a quote. */
  replyTo(composer: string, message: UiMessage | undefined): void {
    const replyingTo = new Map(this.state.replyingTo);
    if (message) replyingTo.set(composer, message);
    else replyingTo.delete(composer);
    this.set({ replyingTo });
  }

  compose(conversation: string, state: 'typing' | 'paused'): void {
    const accountId = this.state.accountId;
    if (!accountId || this.state.status?.state !== 'online') return;
    // Typing is a hint: a refusal (rate limit, offline) is not worth telling anyone about.
    void this.invoke('chat:compose', { accountId, to: recipientOf(conversation), state }).catch(
      () => undefined,
    );
  }

  /**
   * Applies an edit or removal to a held message (the threads slice patches its copies). Live
   * messages still waiting for the frame are applied first: an edit may follow its message
   * within the same frame.
   */
  patch(conversation: string, messageId: string, patch: Partial<UiMessage>): void {
    this.applyAppends();
    const held = this.state.messages.get(conversation);
    if (held) {
      this.putMessages(conversation, { ...held, list: patchMessage(held.list, messageId, patch) });
    }
  }

  /** A live message: held conversations get it at the next publish, with any others. */
  onSend(conversation: string, m: UiMessage): void {
    if (!this.state.messages.has(conversation)) return;
    const batch = this.appends.get(conversation);
    if (batch) batch.push(m);
    else this.appends.set(conversation, [m]);
    this.set({});
  }

  /** A live thread reply, counted on its root wherever the root is held. */
  countReply(conversation: string, m: UiMessage): void {
    this.applyAppends();
    const held = this.state.messages.get(conversation);
    if (held) this.putMessages(conversation, { ...held, list: countReply(held.list, m) });
  }

  /** A message's reactions changed. */
  onReactions(d: EventDataMap['message:reactions']): void {
    this.applyAppends();
    const held = this.state.messages.get(d.conversation);
    if (held) this.putMessages(d.conversation, { ...held, list: reactMessage(held.list, d) });
  }

  /** Someone is typing (or stopped); the user's own typing on other devices is not shown. */
  onCompose(d: EventDataMap['message:compose']): void {
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
  }

  applyAppends(): void {
    if (this.appends.size === 0) return;
    const messages = new Map(this.state.messages);
    for (const [conversation, batch] of this.appends) {
      const held = messages.get(conversation);
      if (held) messages.set(conversation, { ...held, list: mergeMessages(held.list, batch) });
    }
    this.appends = new Map();
    this.ctx.fold({ messages });
  }

  putMessages(conversation: string, value: ConversationMessages): void {
    const messages = new Map(this.state.messages);
    messages.set(conversation, value);
    this.set({ messages });
  }

  clearTypist(conversation: string, userId: string): void {
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
