// The conversation list and each conversation's pages: opening, paging back, starting dms,
// joining and leaving groups, read markers (throttled), and the core's unread counts.
import {
  dmKey,
  dmPeerOf,
  groupKey,
  groupNameOf,
  isDmKey,
} from '../../../../shared/conversation-key';
import type { EventDataMap } from '../../../../shared/protocol';
import type { ConversationView } from '../../../../shared/ipc';
import type { ConversationItem } from '../chat-state';
import { describe } from '../invoke';
import { EMPTY_MESSAGES, fromHistory, mergeGroupEvents, mergeMessages } from '../messages';
import type { MembersSlice } from './members';
import type { MessagesSlice } from './messages';
import { Slice, type SliceContext } from './slice';

/** The newest page of a conversation opened. */
const HISTORY_PAGE = 50;
/** Scrolling back asks for more at a time: fewer round trips while the wheel spins. */
const OLDER_PAGE = 100;
/** At most one read marker a conversation is sent this often. */
const READ_EVERY_MS = 1_000;

export class ConversationsSlice extends Slice {
  private readonly loadingOlder = new Set<string>();
  /** Read markers waiting to be sent, by conversation (at most one request per READ_EVERY_MS). */
  private readonly readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly readWanted = new Map<string, number>();

  constructor(
    ctx: SliceContext,
    private readonly messages: MessagesSlice,
    private readonly members: MembersSlice,
  ) {
    super(ctx);
  }

  /** Loads the conversation list, the outbox and the presence known so far. */
  async refresh(): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    const outbox = await this.invoke('chat:outbox', { accountId }).catch(() => undefined);
    if (outbox && accountId === this.state.accountId) this.set({ outbox });
    if (this.state.status?.state !== 'online') return;
    try {
      const list = await this.invoke('conversations:list', { accountId });
      if (accountId !== this.state.accountId) return;
      const conversations = new Map(this.state.conversations);
      const presence = new Map(this.state.presence);
      for (const c of list) {
        const old = conversations.get(c.conversation);
        const peerId = dmPeerOf(c.conversation) ?? undefined;
        const dm = peerId !== undefined;
        conversations.set(c.conversation, {
          key: c.conversation,
          kind: dm ? 'dm' : 'group',
          name: dm
            ? (c.peer?.displayName ?? old?.name ?? 'Someone')
            : (groupNameOf(c.conversation) ?? ''),
          ...(peerId ? { peerId } : {}),
          ...(c.private ? { private: true } : {}),
          unread: c.unread,
          mentions: c.mentions ?? 0,
          lastSeq: c.lastSeq,
          readSeq: c.readSeq,
          lastTs: c.lastTs,
        });
        if (c.peer) {
          this.members.learnAvatar(c.peer.user_id, c.peer.avatar ?? null);
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

  /** Opens a conversation and loads its newest page (from the core's cache when it has it). */
  async open(conversation: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    this.set({ active: conversation });
    this.ensure(conversation);
    const group = groupNameOf(conversation);
    if (group !== null) {
      void this.members.loadMembers(group);
      void this.members.loadTopic(group);
    }
    const held = this.state.messages.get(conversation);
    if (held && held.list.length > 0) return;
    this.messages.putMessages(conversation, {
      ...(held ?? EMPTY_MESSAGES),
      loading: true,
      error: undefined,
    });
    try {
      const page = await this.invoke('chat:history', {
        accountId,
        conversation,
        limit: HISTORY_PAGE,
      });
      const current = this.state.messages.get(conversation) ?? EMPTY_MESSAGES;
      this.messages.putMessages(conversation, {
        ...current,
        list: mergeMessages(current.list, page.messages.map(fromHistory)),
        hasOlder: !page.endOfList,
        loading: false,
        groupEvents: mergeGroupEvents(current.groupEvents, page.groupEvents),
      });
    } catch (err) {
      const current = this.state.messages.get(conversation) ?? EMPTY_MESSAGES;
      this.messages.putMessages(conversation, {
        ...current,
        loading: false,
        error: describe(err).message,
      });
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
      const page = await this.invoke('chat:history', {
        accountId,
        conversation,
        before: first.seq,
        limit: OLDER_PAGE,
      });
      const current = this.state.messages.get(conversation) ?? EMPTY_MESSAGES;
      const older = page.messages
        .map(fromHistory)
        .filter((m) => m.seq < (current.list[0]?.seq ?? Infinity));
      this.messages.putMessages(conversation, {
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
    const key = dmKey(userId);
    if (!this.state.conversations.has(key)) {
      const conversations = new Map(this.state.conversations);
      conversations.set(key, newItem(key, displayName, userId));
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
      await this.invoke('chat:read', { accountId, conversation, seq: wanted }).catch(
        () => undefined,
      );
    };
    await send();
  }

  /** Joins (or creates: `private` makes it invite-only); `invite` is a member's code. */
  async joinGroup(
    group: string,
    opts: { private?: boolean; invite?: string } = {},
  ): Promise<string> {
    const accountId = this.state.accountId;
    if (!accountId) throw new Error('no account');
    // A new private group's name is the server's (the name asked for and a random tail).
    const joined = await this.invoke('groups:join', { accountId, group, ...opts });
    const key = groupKey(joined.group);
    this.ensure(key);
    if (joined.private) this.markPrivate(key);
    await this.open(key);
    // The group's name: for a new private group, the server's.
    return joined.group;
  }

  private markPrivate(key: string): void {
    const item = this.state.conversations.get(key);
    if (!item || item.private) return;
    this.set({
      conversations: new Map(this.state.conversations).set(key, { ...item, private: true }),
    });
  }

  async leaveGroup(group: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    await this.invoke('groups:leave', { accountId, group });
    this.drop(groupKey(group));
  }

  onChanged(c: ConversationView): void {
    const old = this.state.conversations.get(c.conversation);
    if (!old) {
      this.ensure(c.conversation);
      return this.onChanged(c);
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

  ensure(key: string): void {
    if (this.state.conversations.has(key)) return;
    const peerId = dmPeerOf(key);
    const dm = peerId !== null;
    const conversations = new Map(this.state.conversations);
    conversations.set(key, newItem(key, dm ? 'Someone' : (groupNameOf(key) ?? key), peerId));
    this.set({ conversations });
    // A dm we knew nothing about: the server's list names the other party.
    if (dm) void this.refresh();
  }

  drop(key: string): void {
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

  nameDm(conversation: string, from: { user_id: string; displayName: string }): void {
    if (conversation !== dmKey(from.user_id)) return;
    const c = this.state.conversations.get(conversation);
    if (!c || c.name === from.displayName) return;
    const conversations = new Map(this.state.conversations);
    conversations.set(conversation, { ...c, name: from.displayName });
    this.set({ conversations });
  }

  /** Someone read a conversation: the user on another device, or the other side of a dm. */
  onRead(d: EventDataMap['message:read']): void {
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
    if (!isDmKey(d.conversation)) return;
    const peerRead = new Map(this.state.peerRead);
    peerRead.set(d.conversation, Math.max(peerRead.get(d.conversation) ?? 0, d.seq));
    this.set({ peerRead });
  }

  /** The user joined or left a group (here or on another device). */
  onMembership(group: string, action: 'joined' | 'left', isPrivate: boolean): void {
    if (action === 'left') return this.drop(groupKey(group));
    this.ensure(groupKey(group));
    if (isPrivate) this.markPrivate(groupKey(group));
  }

  /** Stops the read markers waiting to be sent. */
  dispose(): void {
    for (const t of this.readTimers.values()) clearTimeout(t);
    this.readTimers.clear();
    this.readWanted.clear();
  }
}

/** A conversation the list did not hold yet: nothing unread, nothing read. */
function newItem(key: string, name: string, peerId: string | null): ConversationItem {
  return {
    key,
    kind: peerId !== null ? 'dm' : 'group',
    name,
    ...(peerId !== null ? { peerId } : {}),
    unread: 0,
    mentions: 0,
    lastSeq: 0,
    readSeq: 0,
    lastTs: Date.now(),
  };
}
