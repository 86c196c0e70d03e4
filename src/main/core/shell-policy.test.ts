import { describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../shared/ipc.js';
import {
  isTrustedSender,
  parseDeepLink,
  permissionAllowed,
  restoreBounds,
  trayState,
} from './shell-policy.js';

const isOurPage = (url: string) => url.startsWith('file:///app/');

describe('isTrustedSender', () => {
  it.each([
    [{ fromOurWindow: true, isMainFrame: true, url: 'file:///app/index.html' }, true],
    [{ fromOurWindow: true, isMainFrame: false, url: 'file:///app/index.html' }, false],
    [{ fromOurWindow: false, isMainFrame: true, url: 'file:///app/index.html' }, false],
    [{ fromOurWindow: true, isMainFrame: true, url: 'https://evil.example/' }, false],
    [{ fromOurWindow: true, isMainFrame: true, url: '' }, false],
  ])('%j → %s', (sender, expected) => expect(isTrustedSender(sender, isOurPage)).toBe(expected));
});

describe('permissionAllowed', () => {
  it.each([
    ['media', 'file:///app/index.html', true],
    ['display-capture', 'file:///app/index.html', true],
    ['media', 'https://evil.example/', false],
    ['geolocation', 'file:///app/index.html', false],
    ['notifications', 'file:///app/index.html', false],
    ['clipboard-read', 'file:///app/index.html', false],
    ['openExternal', 'file:///app/index.html', false],
  ])('%s for %s → %s', (permission, url, expected) =>
    expect(permissionAllowed(permission, url, isOurPage)).toBe(expected),
  );
});

describe('trayState', () => {
  const online: ConnectionStatus = {
    state: 'online',
    user: { userId: 'u', username: 'u', displayName: 'u' },
    cid: 'c',
  };
  const waiting: ConnectionStatus = { state: 'waiting', attempt: 1, retryAt: 0, reason: 'x' };
  const offline: ConnectionStatus = { state: 'offline', reason: 'signed out' };
  it.each([
    [[], 0, { icon: 'normal', tooltip: 'Parley' }],
    [[online], 0, { icon: 'normal', tooltip: 'Parley' }],
    [[online], 1, { icon: 'unread', tooltip: 'Parley — 1 unread message' }],
    [[online, waiting], 3, { icon: 'unread', tooltip: 'Parley — 3 unread messages' }],
    [[waiting], 3, { icon: 'offline', tooltip: 'Parley — reconnecting…' }],
    [[offline], 0, { icon: 'offline', tooltip: 'Parley — offline' }],
  ] as const)('%j with %i unread', (statuses, unread, expected) =>
    expect(trayState(statuses, unread)).toEqual(expected),
  );
});

describe('parseDeepLink', () => {
  it.each([
    [
      'parley://open?server=https://chat.example&conversation=group:general',
      { action: 'open', server: 'https://chat.example', conversation: 'group:general' },
    ],
    [
      'parley://open?server=http://127.0.0.1:7420&conversation=dm:u_42',
      { action: 'open', server: 'http://127.0.0.1:7420', conversation: 'dm:u_42' },
    ],
    [
      'parley://join?server=https://chat.example&group=team-a',
      { action: 'join', server: 'https://chat.example', group: 'team-a' },
    ],
    [
      // An invite link to a private group, as the app makes it (src/shared/invite-link.ts).
      'parley://join?server=https%3A%2F%2Fchat.example&group=board&invite=Ab-9_x',
      { action: 'join', server: 'https://chat.example', group: 'board', invite: 'Ab-9_x' },
    ],
  ])('accepts %s', (raw, link) => expect(parseDeepLink(raw)).toEqual(link));

  it.each([
    'parley://delete?everything=1',
    'parley://open?server=javascript:alert(1)&conversation=group:x',
    'parley://open?server=https://chat.example/path&conversation=group:x',
    'parley://open?server=https://chat.example&conversation=evil',
    'parley://join?server=https://chat.example&group=../../etc',
    'parley://join?server=https://chat.example&group=a&invite=<script>',
    'https://open?server=https://chat.example&group=x',
    'not a url',
    `parley://join?server=https://chat.example&group=${'a'.repeat(3000)}`,
  ])('refuses %s', (raw) => expect(parseDeepLink(raw)).toBeNull());
});

describe('restoreBounds', () => {
  const screen = { x: 0, y: 0, width: 1920, height: 1080 };
  const right = { x: 1920, y: 0, width: 1280, height: 1024 };
  it('keeps saved bounds that are on a display', () => {
    expect(restoreBounds({ x: 2000, y: 100, width: 900, height: 700 }, [screen, right])).toEqual({
      x: 2000,
      y: 100,
      width: 900,
      height: 700,
    });
  });
  it('recentres a window whose display was unplugged', () => {
    expect(restoreBounds({ x: 2000, y: 100, width: 900, height: 700 }, [screen])).toEqual({
      x: 510,
      y: 190,
      width: 900,
      height: 700,
    });
  });
  it('centres the default size when nothing was saved, and never exceeds the display', () => {
    expect(restoreBounds(undefined, [screen])).toEqual({
      x: 410,
      y: 180,
      width: 1100,
      height: 720,
    });
    expect(restoreBounds({ x: 0, y: 0, width: 5000, height: 5000 }, [screen])).toMatchObject({
      width: 1920,
      height: 1080,
    });
  });
});
