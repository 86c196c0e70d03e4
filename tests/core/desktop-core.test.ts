// The desktop core through its IPC entry point, against a real server: what the renderer will do.
import { afterEach, describe, expect, it } from 'vitest';
import { DesktopCore, type NativeNotification } from '../../src/main/core/desktop-core.js';
import { handleInvoke } from '../../src/main/core/ipc-handler.js';
import { wsSocketFactory } from '../../src/main/core/ws-socket.js';
import type { IpcEvents } from '../../src/shared/ipc.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/test-server.js';
import { memorySecrets, until } from '../helpers/wait.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function desktop(dataDir = tempDir(), secrets = memorySecrets()) {
  const notifications: NativeNotification[] = [];
  const opened: string[] = [];
  const core = new DesktopCore({
    dataDir,
    secrets,
    socketFactory: wsSocketFactory,
    appInfo: { name: 'Parley', version: '0.1.0', platform: 'test' },
    openExternal: (url) => void opened.push(url),
    notify: (n) => void notifications.push(n),
  });
  cleanups.push(() => core.dispose());
  const pushed: { [K in keyof IpcEvents]?: IpcEvents[K][] } = {};
  for (const ch of [
    'account:status',
    'server:event',
    'outbox:changed',
    'unread:changed',
    'conversation:changed',
  ] as const) {
    core.on(ch, (v) => ((pushed[ch] ??= []) as unknown[]).push(v));
  }
  const invoke = async <T = unknown>(channel: string, args: unknown = {}) => {
    const outcome = await handleInvoke(core, channel, args);
    if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), outcome.error);
    return outcome.result as T;
  };
  return { core, invoke, notifications, opened, pushed, dataDir, secrets };
}

let server: TestServer;

describe('handleInvoke', () => {
  it('refuses unknown channels and malformed arguments with codes', async () => {
    const { core } = desktop();
    expect(await handleInvoke(core, 'fs:readFile', {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_CHANNEL' },
    });
    expect(await handleInvoke(core, 42, {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_CHANNEL' },
    });
    expect(
      await handleInvoke(core, 'chat:post', { accountId: 'x', to: { group: 'g' } }),
    ).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    expect(await handleInvoke(core, 'app:info', { extra: true })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    expect(
      await handleInvoke(core, 'chat:post', {
        accountId: 'nobody',
        to: { group: 'g' },
        text: 'hi',
      }),
    ).toEqual({
      ok: false,
      error: { code: 'NO_ACCOUNT', message: 'That account is not signed in on this computer.' },
    });
    expect(await handleInvoke(core, 'app:info', undefined)).toEqual({
      ok: true,
      result: { name: 'Parley', version: '0.1.0', platform: 'test' },
    });
  });

  it('passes call wake-locks and the start-at-login setting to the platform', async () => {
    const calls: string[] = [];
    const core = new DesktopCore({
      dataDir: tempDir(),
      secrets: memorySecrets(),
      socketFactory: wsSocketFactory,
      appInfo: { name: 'Parley', version: '0', platform: 'test' },
      openExternal: () => undefined,
      notify: () => undefined,
      keepAwake: (on) => void calls.push(`awake:${on}`),
      setStartAtLogin: (on) => void calls.push(`login:${on}`),
      screenChosen: (requestId, sourceId) => {
        calls.push(`screen:${requestId}:${sourceId}`);
        return sourceId !== null;
      },
    });
    cleanups.push(() => core.dispose());
    expect(await handleInvoke(core, 'calls:keepAwake', { on: true })).toEqual({
      ok: true,
      result: {},
    });
    expect(await handleInvoke(core, 'calls:keepAwake', { on: 'yes' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    await handleInvoke(core, 'calls:keepAwake', { on: false });
    await handleInvoke(core, 'settings:set', { startAtLogin: true });
    await handleInvoke(core, 'settings:set', { doNotDisturb: true });
    expect(
      await handleInvoke(core, 'screen:chosen', { requestId: 'r1', sourceId: 'screen:1' }),
    ).toEqual({ ok: true, result: { shared: true } });
    expect(await handleInvoke(core, 'screen:chosen', { requestId: 'r2', sourceId: null })).toEqual({
      ok: true,
      result: { shared: false },
    });
    expect(calls).toEqual([
      'awake:true',
      'awake:false',
      'login:true',
      'screen:r1:screen:1',
      'screen:r2:null',
    ]);
  });

  it('opens only safe external links', async () => {
    const { invoke, opened } = desktop();
    expect(await invoke('shell:openExternal', { url: 'javascript:alert(1)' })).toEqual({
      opened: false,
      reason: 'javascript links are not opened',
    });
    expect(await invoke('shell:openExternal', { url: 'https://example.org/a' })).toEqual({
      opened: true,
    });
    expect(opened).toEqual(['https://example.org/a']);
  });
});

describe('DesktopCore', () => {
  it('signs up, chats both ways, counts unread, notifies only when not looking, signs out', async () => {
    server = await startTestServer();
    cleanups.push(() => server.stop());
    const me = desktop();
    const account = await me.invoke<{ id: string; userId: string }>('accounts:signUp', {
      server: server.url,
      username: 'desk',
      password: 'desk password',
    });
    await until(() => me.core.listAccounts()[0]?.status.state === 'online', 'online');
    expect(me.pushed['account:status']?.map((s) => s.status.state)).toContain('online');
    await me.invoke('groups:join', { accountId: account.id, group: 'team' });

    const bob = await server.client('bobby');
    cleanups.push(() => bob.close());
    await bob.ok('join', { group: 'team' });
    const got = bob.event<{ body: { text: string } }>(
      'message:send',
      (d) => d.body.text === 'from the desktop',
    );
    const queued = await me.invoke<{ state: string }>('chat:post', {
      accountId: account.id,
      to: { group: 'team' },
      text: 'from the desktop',
    });
    expect(queued.state).toBe('queued');
    await got;
    await until(
      () => (me.pushed['outbox:changed']?.at(-1)?.items.length ?? 1) === 0,
      'outbox emptied',
    );

    // Not looking: a message from bob notifies and counts as unread.
    await bob.ok('post', {
      to: { group: 'team' },
      body: { text: 'hello desk' },
      clientMsgId: 'b1',
    });
    await until(() => me.notifications.length === 1, 'a notification');
    expect(me.notifications[0]).toEqual({
      accountId: account.id,
      conversation: 'group:team',
      title: 'bobby in team',
      body: 'hello desk',
    });
    expect(me.core.totalUnread).toBe(1);
    expect(me.pushed['unread:changed']?.at(-1)).toEqual({ total: 1 });
    expect(me.pushed['conversation:changed']?.at(-1)).toMatchObject({
      accountId: account.id,
      conversation: 'group:team',
      unread: 1,
    });

    // Looking at the conversation in a focused window: no notification.
    await me.invoke('ui:attention', {
      focused: true,
      accountId: account.id,
      conversation: 'group:team',
    });
    await bob.ok('post', { to: { group: 'team' }, body: { text: 'seen live' }, clientMsgId: 'b2' });
    await until(() => me.core.totalUnread === 2, 'second unread');
    expect(me.notifications).toHaveLength(1);

    const list = await me.invoke<{ conversation: string; lastSeq: number; unread: number }[]>(
      'conversations:list',
      {
        accountId: account.id,
      },
    );
    const team = list.find((c) => c.conversation === 'group:team')!;
    expect(team.unread).toBe(2);
    await me.invoke('chat:read', {
      accountId: account.id,
      conversation: 'group:team',
      seq: team.lastSeq,
    });
    expect(me.core.totalUnread).toBe(0);
    const history = await me.invoke<{ messages: { body: { text: string } }[] }>('chat:history', {
      accountId: account.id,
      conversation: 'group:team',
    });
    expect(history.messages.map((m) => m.body.text)).toEqual([
      'from the desktop',
      'hello desk',
      'seen live',
    ]);

    // Presence: bob's members row, then his change of status.
    await me.invoke('groups:members', { accountId: account.id, group: 'team' });
    expect(await me.invoke('presence:list', { accountId: account.id })).toContainEqual({
      userId: bob.userId,
      status: 'online',
    });
    await bob.ok('presence', { status: 'away', text: 'lunch' });
    await until(
      () =>
        me.core
          .presenceList(account.id)
          .some((p) => p.userId === bob.userId && p.status === 'away'),
      'bob away',
    );

    await me.invoke('accounts:signOut', { accountId: account.id });
    expect(me.core.listAccounts()).toEqual([]);
    expect(await me.secrets.get(account.id)).toBeNull();
    await until(() => server.hub.connectionCount === 1, 'the desktop connection closed');
  });

  it('threads and quotes notify the people in them, three people', async () => {
    server = await startTestServer();
    cleanups.push(() => server.stop());
    const me = desktop();
    const account = await me.invoke<{ id: string; userId: string }>('accounts:signUp', {
      server: server.url,
      username: 'threader',
      password: 'threader password',
    });
    await until(() => me.core.listAccounts()[0]?.status.state === 'online', 'online');
    await me.invoke('groups:join', { accountId: account.id, group: 't' });
    const bob = await server.client('bob-t');
    const carol = await server.client('carol-t');
    cleanups.push(
      () => bob.close(),
      () => carol.close(),
    );
    for (const c of [bob, carol]) await c.ok('join', { group: 't' });
    let n = 0;
    const post = (c: ProtoClient, text: string, extra: Record<string, unknown> = {}) =>
      c.ok<{ messageId: string }>('post', {
        to: { group: 't' },
        body: { text },
        clientMsgId: `t-${++n}`,
        ...extra,
      });
    /** Waits until the desktop has had the event of `text`, then answers the notifications. */
    const arrived = async (text: string) => {
      await until(
        () =>
          (me.pushed['server:event'] ?? []).some(
            (e) =>
              e.frame.event === 'message:send' &&
              (e.frame.data.body as { text?: string } | null)?.text === text,
          ),
        text,
      );
      return me.notifications.map((x) => x.body);
    };

    const root = await post(carol, 'carol starts a thread');
    expect(await arrived('carol starts a thread')).toEqual(['carol starts a thread']);
    // A reply in a thread the user is not in: no notification, and not unread either.
    await post(bob, 'bob answers carol', { thread: root.messageId });
    expect(await arrived('bob answers carol')).toEqual(['carol starts a thread']);
    expect(me.core.totalUnread).toBe(1);
    // Once the user wrote in it, its replies notify.
    await me.invoke('chat:post', {
      accountId: account.id,
      to: { group: 't' },
      text: 'me too',
      thread: root.messageId,
    });
    await arrived('me too');
    await post(carol, 'carol to both', { thread: root.messageId });
    expect((await arrived('carol to both')).at(-1)).toBe('carol to both');

    // With only direct messages and mentions notifying: a plain group message does not, a
    // quote of the user's message does, and so does a reply in a thread the user started.
    await me.invoke('settings:set', { level: 'direct-and-mentions' });
    const mine = await me.invoke<{ clientMsgId: string }>('chat:post', {
      accountId: account.id,
      to: { group: 't' },
      text: 'my own root',
    });
    await arrived('my own root');
    const myRoot = (
      await bob.ok<{ messages: { messageId: string; clientMsgId: string }[] }>('history', {
        conversation: 'group:t',
      })
    ).messages.find((m) => m.clientMsgId === mine.clientMsgId)!;
    const before = me.notifications.length;
    await post(bob, 'plain chatter');
    await arrived('plain chatter');
    await post(bob, 'quoting you', { replyTo: myRoot.messageId });
    await post(carol, 'in your thread', { thread: myRoot.messageId });
    await arrived('in your thread');
    await until(() => me.notifications.length >= before + 2, 'two notifications');
    expect(me.notifications.slice(before).map((x) => x.body)).toEqual([
      'quoting you',
      'in your thread',
    ]);
  });

  it('sends a reply typed into a notification; accepts a network-change nudge', async () => {
    server = await startTestServer();
    cleanups.push(() => server.stop());
    const me = desktop();
    const account = await me.invoke<{ id: string; userId: string }>('accounts:signUp', {
      server: server.url,
      username: 'roamer',
      password: 'roamer password',
    });
    await until(() => me.core.listAccounts()[0]?.status.state === 'online', 'online');
    await me.invoke('groups:join', { accountId: account.id, group: 'replies' });
    me.core.replyFromNotification(account.id, 'group:replies', 'answered from the notification');
    const reader = await server.client('reader');
    cleanups.push(() => reader.close());
    await reader.ok('join', { group: 'replies' });
    let texts: string[] = [];
    for (let i = 0; i < 100 && texts.length === 0; i++) {
      const h = await reader.ok<{ messages: { body: { text: string } }[] }>('history', {
        conversation: 'group:replies',
      });
      texts = h.messages.map((m) => m.body.text);
      if (texts.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(texts).toEqual(['answered from the notification']);
    // The dispatch only: what a nudge does is proven in realtime-client.test.ts.
    expect(await me.invoke('app:networkChanged')).toEqual({});

    // A ringing call notifies natively, except under Do Not Disturb.
    const ring = { accountId: account.id, userId: 'u_caller', name: 'Caller', video: true };
    expect(await me.invoke('calls:ringing', ring)).toEqual({ notified: true });
    expect(me.notifications.at(-1)).toEqual({
      accountId: account.id,
      conversation: 'dm:u_caller',
      title: 'Caller is calling',
      body: 'Video call: open Parley to answer.',
    });
    // A group call names the group and opens it; a group name that is not one is refused.
    await me.invoke('calls:ringing', { ...ring, video: false, group: 'standup' });
    expect(me.notifications.at(-1)).toEqual({
      accountId: account.id,
      conversation: 'group:standup',
      title: 'Caller is calling #standup',
      body: 'Call: open Parley to answer.',
    });
    await expect(me.invoke('calls:ringing', { ...ring, group: '../x' })).rejects.toThrow();
    await me.invoke('settings:set', { doNotDisturb: true });
    const before = me.notifications.length;
    expect(await me.invoke('calls:ringing', ring)).toEqual({ notified: false });
    expect(me.notifications).toHaveLength(before);
  });

  it('keeps accounts and settings across a restart, and reconnects by itself', async () => {
    server = await startTestServer();
    cleanups.push(() => server.stop());
    const dataDir = tempDir();
    const secrets = memorySecrets();
    const first = desktop(dataDir, secrets);
    const account = await first.invoke<{ id: string }>('accounts:signUp', {
      server: server.url,
      username: 'restarter',
      password: 'restart password',
    });
    await first.invoke('settings:set', {
      level: 'direct-and-mentions',
      muted: ['group:noise'],
      relayOnly: true,
      iceServers: [{ urls: 'turn:turn.example.org', username: 'u', credential: 'c' }],
      theme: 'dark',
      density: 'compact',
    });
    first.core.dispose();

    const second = desktop(dataDir, secrets);
    await second.core.start();
    expect(await second.invoke('settings:get')).toEqual({
      level: 'direct-and-mentions',
      muted: ['group:noise'],
      doNotDisturb: false,
      startAtLogin: false,
      iceServers: [{ urls: 'turn:turn.example.org', username: 'u', credential: 'c' }],
      relayOnly: true,
      theme: 'dark',
      density: 'compact',
    });
    await until(
      () => second.core.listAccounts()[0]?.status.state === 'online',
      'online after restart',
    );
    expect(second.core.listAccounts().map((a) => a.id)).toEqual([account.id]);
    const probe = await ProtoClient.connect(server.wsUrl, (await secrets.get(account.id))!);
    await probe.close();
  });

  it('names the sign-in failures a person meets', async () => {
    server = await startTestServer();
    cleanups.push(() => server.stop());
    const me = desktop();
    await me.invoke('accounts:signUp', {
      server: server.url,
      username: 'exists',
      password: 'exists password',
    });
    const outcome = await handleInvoke(me.core, 'accounts:signIn', {
      server: server.url,
      username: 'exists',
      password: 'wrong password',
    });
    expect(outcome).toEqual({
      ok: false,
      error: { code: 'INVALID_CREDENTIALS', message: 'Wrong username or password.' },
    });
    expect(
      await handleInvoke(me.core, 'accounts:signUp', {
        server: server.url,
        username: 'exists',
        password: 'whatever pw',
      }),
    ).toMatchObject({ ok: false, error: { code: 'USERNAME_TAKEN' } });
    expect(
      await handleInvoke(me.core, 'accounts:signIn', {
        server: 'ftp://x',
        username: 'a',
        password: 'b',
      }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_URL' } });
  });
});

describe('history in the desktop core', () => {
  it('opens a conversation from the cache once fetched: current with live events, and offline too', async () => {
    const s = await startTestServer();
    cleanups.push(() => s.stop());
    const me = desktop();
    const account = await me.invoke<{ id: string }>('accounts:signUp', {
      server: s.url,
      username: 'reader2',
      password: 'reader password',
    });
    await until(() => me.core.listAccounts()[0]?.status.state === 'online', 'online');
    await me.invoke('groups:join', { accountId: account.id, group: 'lib' });
    const bob = await s.client('bob-lib');
    cleanups.push(() => bob.close());
    await bob.ok('join', { group: 'lib' });
    await bob.ok('post', { to: { group: 'lib' }, body: { text: 'first' }, clientMsgId: '1' });
    const texts = async () =>
      (
        await me.invoke<{ messages: { body: { text: string } | null }[] }>('chat:history', {
          accountId: account.id,
          conversation: 'group:lib',
        })
      ).messages.map((m) => m.body?.text ?? '(removed)');
    expect(await texts()).toEqual(['first']);
    const second = await bob.ok<{ messageId: string }>('post', {
      to: { group: 'lib' },
      body: { text: 'second' },
      clientMsgId: '2',
    });
    await until(() => me.core.totalUnread === 2, 'the live message');
    await bob.ok('edit', { messageId: second.messageId, body: { text: 'second, edited' } });
    await until(
      () => me.pushed['server:event']?.some((e) => e.frame.event === 'message:updated'),
      'the edit',
    );
    expect(await texts()).toEqual(['first', 'second, edited']);
    // The server goes away: the conversation is still there to read.
    await s.stop();
    cleanups.pop();
    await until(() => me.core.listAccounts()[0]?.status.state !== 'online', 'offline');
    expect(await texts()).toEqual(['first', 'second, edited']);
  });
});
