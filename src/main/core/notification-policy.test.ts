import { describe, expect, it } from 'vitest';
import type { PresenceStatus } from '../../shared/protocol.js';
import {
  mentions,
  shouldNotify,
  type Attention,
  type IncomingMessage,
  type NotifySettings,
} from './notification-policy.js';

const groupMsg: IncomingMessage = {
  conversation: 'group:general',
  kind: 'group',
  fromSelf: false,
  mentionsMe: false,
  always: false,
};
const dm: IncomingMessage = { ...groupMsg, conversation: 'dm:u_bob', kind: 'dm' };
const away: Attention = { windowFocused: false };
const lookingAtGeneral: Attention = { windowFocused: true, activeConversation: 'group:general' };
const defaults: NotifySettings = { level: 'all', muted: new Set(), doNotDisturb: false };

type Row = [
  string,
  IncomingMessage,
  Attention,
  Partial<NotifySettings>,
  PresenceStatus,
  boolean,
  string,
];
const table: Row[] = [
  [
    'a reply in a thread I am not in',
    { ...groupMsg, inThread: true },
    away,
    {},
    'online',
    false,
    'a thread the user is not in',
  ],
  [
    'a reply in my thread, with only direct messages and mentions on',
    { ...groupMsg, inThread: true, toMe: true },
    away,
    { level: 'direct-and-mentions' },
    'online',
    true,
    'reply to you',
  ],
  [
    'a quote of my message in a muted group (only mentions break mute)',
    { ...groupMsg, toMe: true },
    away,
    { muted: new Set(['group:general']) },
    'online',
    false,
    'muted conversation',
  ],
  ['a group message while away', groupMsg, away, {}, 'online', true, 'new message'],
  ['my own message', { ...groupMsg, fromSelf: true }, away, {}, 'online', false, 'own message'],
  [
    'looking at that conversation',
    groupMsg,
    lookingAtGeneral,
    {},
    'online',
    false,
    'already looking at it',
  ],
  ['looking at another conversation', dm, lookingAtGeneral, {}, 'online', true, 'direct message'],
  [
    'that conversation open but the window unfocused',
    groupMsg,
    { windowFocused: false, activeConversation: 'group:general' },
    {},
    'online',
    true,
    'new message',
  ],
  [
    'always, while looking at it',
    { ...groupMsg, always: true },
    lookingAtGeneral,
    {},
    'online',
    true,
    'the sender asked to always notify',
  ],
  [
    'always, while busy (review M4: the sender cannot override Busy)',
    { ...groupMsg, always: true },
    away,
    {},
    'busy',
    false,
    'busy',
  ],
  [
    'always, with notifications off (review M4)',
    { ...groupMsg, always: true },
    away,
    { level: 'none' },
    'online',
    false,
    'notifications are off',
  ],
  [
    'always, in Do Not Disturb',
    { ...groupMsg, always: true },
    away,
    { doNotDisturb: true },
    'online',
    false,
    'Do Not Disturb',
  ],
  ['Do Not Disturb', dm, away, { doNotDisturb: true }, 'online', false, 'Do Not Disturb'],
  [
    'the OS in Do Not Disturb',
    dm,
    away,
    { osDoNotDisturb: true },
    'online',
    false,
    'the system is in Do Not Disturb',
  ],
  [
    'the OS state unknown',
    dm,
    away,
    { osDoNotDisturb: undefined },
    'online',
    true,
    'direct message',
  ],
  [
    'a muted conversation',
    groupMsg,
    away,
    { muted: new Set(['group:general']) },
    'online',
    false,
    'muted conversation',
  ],
  [
    'a mention in a muted conversation',
    { ...groupMsg, mentionsMe: true },
    away,
    { muted: new Set(['group:general']) },
    'online',
    true,
    'mention',
  ],
  ['busy, a group message', groupMsg, away, {}, 'busy', false, 'busy'],
  ['busy, a direct message', dm, away, {}, 'busy', true, 'direct message'],
  ['busy, a mention', { ...groupMsg, mentionsMe: true }, away, {}, 'busy', true, 'mention'],
  [
    'level direct-and-mentions, a group message',
    groupMsg,
    away,
    { level: 'direct-and-mentions' },
    'online',
    false,
    'only direct messages and mentions notify',
  ],
  [
    'level direct-and-mentions, a dm',
    dm,
    away,
    { level: 'direct-and-mentions' },
    'online',
    true,
    'direct message',
  ],
  ['level none, a dm', dm, away, { level: 'none' }, 'online', false, 'notifications are off'],
  ['away status changes nothing', groupMsg, away, {}, 'away', true, 'new message'],
];

describe('shouldNotify', () => {
  it.each(table)('%s', (_name, msg, attention, settings, status, notify, reason) => {
    expect(shouldNotify(msg, attention, { ...defaults, ...settings }, status)).toEqual({
      notify,
      reason,
    });
  });
});

describe('mentions', () => {
  it.each([
    ['hi @alice', true],
    ['@alice: look', true],
    ['(@Alice)', true],
    ['@alice.', true],
    ['hi alice', false],
    ['mail alice@alice.org', false],
    ['@alice_b is someone else', false],
    ['@alice-b is someone else', false],
    ['x@alice', false],
  ])('%j → %s', (text, expected) => {
    expect(mentions(text, 'alice')).toBe(expected);
  });

  it('treats regex characters in a username literally', () => {
    expect(mentions('hey @a.b', 'a.b')).toBe(true);
    expect(mentions('hey @axb', 'a.b')).toBe(false);
  });
});
