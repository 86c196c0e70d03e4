// What is known of other people and groups: members and their presence, pictures, names as
// they change, and group topics with their lines in the chat.
import type { EventDataMap, GroupEvent, GroupUser } from '../../../../shared/protocol';
import type { ChatState } from '../chat-state';
import { mergeGroupEvents } from '../messages';
import type { MessagesSlice } from './messages';
import { Slice, type SliceContext } from './slice';
import { dmKey, groupKey } from '../../../../shared/conversation-key';

export class MembersSlice extends Slice {
  constructor(
    ctx: SliceContext,
    private readonly messages: MessagesSlice,
  ) {
    super(ctx);
  }

  /** Someone's name or picture changed: everywhere it shows. */
  onProfile(userId: string, profile: { displayName: string; avatar: string | null }): void {
    this.learnAvatar(userId, profile.avatar);
    const patch: Partial<ChatState> = {};
    const status = this.state.status;
    if (status?.state === 'online' && status.user.userId === userId) {
      patch.status = { ...status, user: { ...status.user, displayName: profile.displayName } };
    }
    const dm = this.state.conversations.get(dmKey(userId));
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

  learnAvatar(userId: string, avatar: string | null): void {
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
      const { list } = await this.invoke('groups:search', {
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
    const r = await this.invoke('groups:topic', { accountId, group, topic });
    this.putTopic(group, r.topic);
  }

  /** Adds someone to the group by their id (the server says whether they may be added). */
  async add(group: string, userId: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    await this.invoke('groups:add', { accountId, group, user_id: userId });
    await this.loadMembers(group);
  }

  putTopic(group: string, topic: string): void {
    if (this.state.topics.get(group) === topic) return;
    const topics = new Map(this.state.topics);
    topics.set(group, topic);
    this.set({ topics });
  }

  /** A join, leave or topic change, as a line in the group's loaded messages. */
  addGroupEvent(group: string, e: GroupEvent): void {
    const key = groupKey(group);
    this.messages.applyAppends();
    const held = this.state.messages.get(key);
    if (held)
      this.messages.putMessages(key, {
        ...held,
        groupEvents: mergeGroupEvents(held.groupEvents, [e]),
      });
  }

  async loadMembers(group: string): Promise<void> {
    const accountId = this.state.accountId;
    if (!accountId) return;
    try {
      const { list } = await this.invoke('groups:members', { accountId, group });
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

  /** Someone's status changed (or their name or picture, with it). */
  onPresence(d: EventDataMap['presence:update']): void {
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
  }
}
