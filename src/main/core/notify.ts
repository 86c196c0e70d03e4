// What the desktop tells the user of a new message: whether to raise a notification (the pure
// policy in notification-policy.ts, fed from the session, the window and the settings) and what
// it says.
import { groupNameOf, isDmKey } from '../../shared/conversation-key.js';
import type { IpcEvents, NotifySettingsView } from '../../shared/ipc.js';
import { mentions, shouldNotify } from './notification-policy.js';
import type { SentMessage, Session } from './session.js';

export type NativeNotification = IpcEvents['notification:show'];

/** Where the user is looking: the focused window's account and conversation. */
export interface Attention {
  focused: boolean;
  accountId?: string;
  conversation?: string;
}

const PREVIEW_CHARS = 200;

/** The notification a new message raises, or null when it raises none. */
export function notificationFor(
  session: Session,
  m: SentMessage,
  attention: Attention,
  settings: NotifySettingsView,
): NativeNotification | null {
  const { account } = session;
  if (m.body === null) return null; // a replayed tombstone: the message was removed
  const looking =
    attention.focused && attention.accountId === account.id ? attention.conversation : undefined;
  const decision = shouldNotify(
    {
      conversation: m.conversation,
      kind: isDmKey(m.conversation) ? 'dm' : 'group',
      fromSelf: m.from.user_id === account.userId,
      mentionsMe: mentions(m.body.text, account.username),
      always: m.notification?.always === true,
      toMe: session.isToMe(m.body),
      inThread: typeof m.body.thread === 'string',
    },
    {
      windowFocused: attention.focused,
      ...(looking ? { activeConversation: looking } : {}),
    },
    {
      level: settings.level,
      muted: new Set(settings.muted),
      doNotDisturb: settings.doNotDisturb,
    },
    session.myStatus,
  );
  if (!decision.notify) return null;
  return {
    accountId: account.id,
    conversation: m.conversation,
    ...notificationText(m.conversation, m.from.displayName, m.body.text, m.notification),
  };
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
  const group = groupNameOf(conversation);
  const where = group !== null ? ` in ${group}` : '';
  const note = custom ? [custom.title, custom.body].filter((t) => t.trim()).join(': ') : '';
  const extra = note && note !== text ? `\n${sender} adds: “${clip(note, PREVIEW_CHARS / 2)}”` : '';
  return { title: `${sender}${where}`, body: clip(text, PREVIEW_CHARS) + extra };
}
