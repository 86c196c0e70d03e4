// Server events, as the desktop core pushes them, handed to the slices that care. The table is
// typed by the protocol's event union: a new event without an entry fails the typecheck (null
// says "the chat state ignores it", on purpose).
import { isDmKey } from '../../../shared/conversation-key';
import type { EventDataMap, EventFrame, EventName } from '../../../shared/protocol';
import type { ChatState } from './chat-state';
import { fromSend } from './messages';
import type { ConversationsSlice } from './slices/conversations';
import type { MembersSlice } from './slices/members';
import type { MessagesSlice } from './slices/messages';
import type { Me } from './slices/slice';
import type { ThreadsSlice } from './slices/threads';

export interface RouterSlices {
  conversations: ConversationsSlice;
  messages: MessagesSlice;
  threads: ThreadsSlice;
  members: MembersSlice;
  getState(): ChatState;
  set(patch: Partial<ChatState>): void;
  me(): Me | undefined;
}

type EventTable = { readonly [E in EventName]: ((d: EventDataMap[E]) => void) | null };

export function eventRouter(s: RouterSlices): (frame: EventFrame) => void {
  const table: EventTable = {
    'message:send': (d) => {
      if (isDmKey(d.conversation)) s.conversations.nameDm(d.conversation, d.from);
      s.messages.clearTypist(d.conversation, d.from.user_id);
      const m = fromSend(d);
      if (m.thread) {
        s.threads.onReply(m);
        s.messages.countReply(d.conversation, m);
      }
      s.messages.onSend(d.conversation, m);
    },
    'message:updated': (d) => {
      // A body of null is a removed message's scrubbed edit; its removal follows.
      if (d.body) patch(d.conversation, d.messageId, { text: d.body.text, editedTs: d.ts });
    },
    'message:removed': (d) => patch(d.conversation, d.messageId, { removed: true, text: null }),
    'message:reactions': (d) => {
      s.messages.onReactions(d);
      s.threads.onReactions(d);
    },
    'message:compose': (d) => s.messages.onCompose(d),
    'message:read': (d) => s.conversations.onRead(d),
    'group:updated': (d) => {
      s.members.putTopic(d.group, d.topic);
      s.members.addGroupEvent(d.group, {
        ts: d.ts,
        user_id: d.by.user_id,
        displayName: d.by.displayName,
        action: 'topic',
        topic: d.topic,
      });
    },
    'group:member': (d) => {
      if (d.ts !== undefined) {
        s.members.addGroupEvent(d.group, {
          ts: d.ts,
          user_id: d.user_id,
          displayName: d.displayName ?? 'Someone',
          action: d.action,
        });
      }
      if (d.user_id === s.me()?.user_id) {
        s.conversations.onMembership(d.group, d.action, d.private === true);
      }
      if (s.getState().members.has(d.group)) void s.members.loadMembers(d.group);
    },
    'presence:update': (d) => s.members.onPresence(d),
    // Handled by the desktop core (notifications, resume) or the call store (signals).
    notification: null,
    resume: null,
    'rtc:signal': null,
    // The group-call store (features/call/group) follows these itself.
    'sfu:event': null,
    'call:state': null,
    // The administrators' feed; the app does not subscribe to it.
    metrics: null,
  };

  function patch(
    conversation: string,
    messageId: string,
    p: Parameters<MessagesSlice['patch']>[2],
  ) {
    s.messages.patch(conversation, messageId, p);
    s.threads.patchMessage(messageId, p);
  }

  return (frame) => {
    const handle = table[frame.event] as ((d: unknown) => void) | null;
    handle?.(frame.data);
  };
}
