// "Should this message raise a native notification?" as a pure function of the message, what
// the user is looking at, their settings and their status. No timers, no platform objects.
import type { PresenceStatus } from '../../shared/protocol.js';

export type NotifyLevel = 'all' | 'direct-and-mentions' | 'none';

export interface IncomingMessage {
  conversation: string;
  kind: 'group' | 'dm';
  fromSelf: boolean;
  /** The text names the user (@username). */
  mentionsMe: boolean;
  /** The sender asked for `notification.always`. */
  always: boolean;
  /** A reply quoting the user's message, or a reply in a thread they started or wrote in. */
  toMe?: boolean;
  /** A reply in a thread (shown in the thread panel, not the conversation). */
  inThread?: boolean;
}

export interface Attention {
  /** A Parley window has the OS focus. */
  windowFocused: boolean;
  /** The conversation open in the focused window, if any. */
  activeConversation?: string;
}

export interface NotifySettings {
  level: NotifyLevel;
  muted: ReadonlySet<string>;
  /** Parley's own Do Not Disturb. */
  doNotDisturb: boolean;
  /** The OS's Do Not Disturb / Focus, where Electron can tell; undefined where it cannot. */
  osDoNotDisturb?: boolean;
}

export type NotifyDecision = { notify: true; reason: string } | { notify: false; reason: string };

export function shouldNotify(
  msg: IncomingMessage,
  attention: Attention,
  settings: NotifySettings,
  myStatus: PresenceStatus,
): NotifyDecision {
  if (msg.fromSelf) return { notify: false, reason: 'own message' };
  // The user's own "leave me alone" choices win over everything, `always` included.
  if (settings.doNotDisturb) return { notify: false, reason: 'Do Not Disturb' };
  if (settings.osDoNotDisturb) return { notify: false, reason: 'the system is in Do Not Disturb' };
  if (settings.muted.has(msg.conversation) && !msg.mentionsMe) {
    return { notify: false, reason: 'muted conversation' };
  }
  // Notifications off and Busy are the user's choices too: a sender's `always` cannot override
  // them (review M4). It only breaks through focus.
  if (settings.level === 'none') return { notify: false, reason: 'notifications are off' };
  const direct = msg.kind === 'dm' || msg.mentionsMe || msg.toMe === true;
  if (myStatus === 'busy' && !direct) return { notify: false, reason: 'busy' };
  if (msg.always) return { notify: true, reason: 'the sender asked to always notify' };
  if (attention.windowFocused && attention.activeConversation === msg.conversation) {
    return { notify: false, reason: 'already looking at it' };
  }
  if (direct) {
    const reason =
      msg.kind === 'dm' ? 'direct message' : msg.mentionsMe ? 'mention' : 'reply to you';
    return { notify: true, reason };
  }
  // A thread is a side conversation: only those in it hear of its replies.
  if (msg.inThread) return { notify: false, reason: 'a thread the user is not in' };
  if (settings.level === 'direct-and-mentions') {
    return { notify: false, reason: 'only direct messages and mentions notify' };
  }
  return { notify: true, reason: 'new message' };
}

export { mentions } from '../../shared/mentions.js';
