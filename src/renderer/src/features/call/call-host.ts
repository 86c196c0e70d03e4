// What the call store needs of the rest of the page: a narrow port, not the whole chat store.
import { dmKey, groupKey } from '../../../../shared/conversation-key';
import type { ChatStore } from '../../state/chat-store';
import type { Invoke } from '../../state/invoke';

export interface CallHost {
  invoke: Invoke;
  accountId(): string | undefined;
  /** The user's own name, for the ring. */
  myName(): string;
  /** A person's name as this page knows it: a dm's peer or a member list's entry. */
  knownName(userId: string): string | undefined;
  /** The user is in this group (its conversation is listed). */
  inGroup(group: string): boolean;
  /** A 1:1 call the user made (missed, or answered and how long), left in the dm as a message. */
  recordCall(userId: string, call: { missed: boolean; video: boolean; durationMs?: number }): void;
}

export function chatCallHost(chat: ChatStore): CallHost {
  return {
    invoke: chat.invoke,
    accountId: () => chat.getState().accountId,
    myName: () => chat.me?.displayName ?? 'Someone',
    knownName(userId) {
      const state = chat.getState();
      const dm = state.conversations.get(dmKey(userId));
      if (dm) return dm.name;
      for (const list of state.members.values()) {
        const m = list.find((u) => u.user_id === userId);
        if (m) return m.displayName;
      }
      return undefined;
    },
    inGroup: (group) => chat.getState().conversations.has(groupKey(group)),
    recordCall: (userId, call) => void chat.messages.postCallRecord(userId, call),
  };
}
