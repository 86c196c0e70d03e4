// The chat store in Node, over a fake bridge: what the page does with the core's answers and
// pushes, without a browser.
import { describe, expect, it } from 'vitest';
import type { AccountView, ConnectionStatus } from '../../../shared/ipc';
import type { EventDataMap, HistoryMessage } from '../../../shared/protocol';
import { ChatStore } from './chat-store';
import type { Uploader } from './slices/attachments';
import { fakeBridge, manualScheduler, memoryStorage, type Answers } from './testing/fake-bridge';

const online: ConnectionStatus = {
  state: 'online',
  user: { userId: 'u_me', username: 'me', displayName: 'Me' },
  cid: 'c_1',
  limits: { maxTextBytes: 16_384, maxFileBytes: 1000 },
};
const account: AccountView = {
  id: 'a1',
  serverUrl: 'http://localhost:1',
  username: 'me',
  userId: 'u_me',
  status: online,
};

function historyMessage(seq: number, text: string, extra: Partial<HistoryMessage> = {}) {
  return {
    messageId: `m_${seq}`,
    conversation: 'group:team',
    seq,
    lastSeq: seq,
    ts: 1000 + seq,
    from: { user_id: 'u_bob', displayName: 'Bob' },
    body: { text },
    clientMsgId: `c_${seq}`,
    removed: false,
    ...extra,
  } as HistoryMessage;
}

function sent(seq: number, text: string, thread?: string): EventDataMap['message:send'] {
  return {
    messageId: `m_${seq}`,
    conversation: 'group:team',
    seq,
    ts: 1000 + seq,
    from: { user_id: 'u_bob', cid: 'c_b', displayName: 'Bob' },
    body: { text, ...(thread ? { thread } : {}) },
    clientMsgId: `c_${seq}`,
  };
}

const noUploads: Uploader = {
  preview: () => Promise.resolve(undefined),
  upload: () => Promise.reject(new Error('no uploads in this test')),
  cancelled: () => false,
};

async function started(answers: Answers = {}) {
  const fake = fakeBridge({
    'app:info': () => ({ name: 'Parley', version: '0', platform: 'test' }),
    'accounts:list': () => [account],
    'settings:get': () => ({
      level: 'all',
      muted: [],
      doNotDisturb: false,
      startAtLogin: false,
      iceServers: [],
      relayOnly: false,
      theme: 'system',
      density: 'comfortable',
    }),
    'chat:outbox': () => [],
    'conversations:list': () => [
      {
        conversation: 'group:team',
        lastSeq: 2,
        lastTs: 1002,
        readSeq: 0,
        unread: 2,
        mentions: 0,
      },
    ],
    'groups:members': () => ({ list: [] }),
    'groups:search': () => ({ list: [{ group: 'team', number_of_users: 2 }], endOfList: true }),
    'chat:history': () => ({
      messages: [historyMessage(1, 'one'), historyMessage(2, 'two')],
      endOfList: true,
    }),
    ...answers,
  });
  const scheduler = manualScheduler();
  const store = new ChatStore(fake.bridge, {
    schedule: scheduler.schedule,
    storage: memoryStorage(),
    uploader: () => noUploads,
  });
  let renders = 0;
  store.subscribe(() => renders++);
  await store.start();
  await until(() => store.getState().conversations.has('group:team'));
  scheduler.flush();
  return { fake, store, scheduler, renders: () => renders };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(check()).toBe(true);
}

describe('ChatStore over a fake bridge', () => {
  it('starts on the first account and lists its conversations', async () => {
    const { store } = await started();
    const s = store.getState();
    expect(s.ready).toBe(true);
    expect(s.accountId).toBe('a1');
    expect(s.conversations.get('group:team')).toMatchObject({
      kind: 'group',
      name: 'team',
      unread: 2,
    });
    expect(store.me).toEqual({ user_id: 'u_me', displayName: 'Me', username: 'me' });
  });

  it('opens a conversation with its newest page, and a live message joins it', async () => {
    const { store, fake, scheduler } = await started();
    await store.conversations.open('group:team');
    expect(
      store
        .getState()
        .messages.get('group:team')
        ?.list.map((m) => m.text),
    ).toEqual(['one', 'two']);
    fake.push('server:event', {
      accountId: 'a1',
      frame: { type: 'event', event: 'message:send', data: sent(3, 'three') },
    });
    scheduler.flush();
    expect(
      store
        .getState()
        .messages.get('group:team')
        ?.list.map((m) => m.text),
    ).toEqual(['one', 'two', 'three']);
  });

  it('a flood of live messages costs one publish a frame, and an edit in the same frame lands', async () => {
    const { store, fake, scheduler, renders } = await started();
    await store.conversations.open('group:team');
    scheduler.flush();
    const before = renders();
    for (let seq = 3; seq < 1003; seq++) {
      fake.push('server:event', {
        accountId: 'a1',
        frame: { type: 'event', event: 'message:send', data: sent(seq, `m${seq}`) },
      });
    }
    fake.push('server:event', {
      accountId: 'a1',
      frame: {
        type: 'event',
        event: 'message:updated',
        data: {
          messageId: 'm_1002',
          conversation: 'group:team',
          seq: 1003,
          ts: 5,
          body: { text: 'edited' },
        },
      },
    });
    expect(scheduler.flush()).toBe(1);
    expect(renders() - before).toBe(1);
    const list = store.getState().messages.get('group:team')!.list;
    expect(list).toHaveLength(1002);
    expect(list.at(-1)).toMatchObject({ text: 'edited', editedTs: 5 });
  });

  it('posts through the outbox with the quoted message', async () => {
    const { store, fake } = await started({
      'chat:post': (a) => ({
        clientMsgId: 'c_new',
        to: a.to,
        body: { text: a.text },
        createdAt: 1,
        state: 'queued',
      }),
    });
    await store.conversations.open('group:team');
    const quoted = store.getState().messages.get('group:team')!.list[0]!;
    store.messages.replyTo('group:team', quoted);
    await store.messages.post('group:team', 'hello');
    const post = fake.calls.find((c) => c.channel === 'chat:post');
    expect(post?.args).toEqual({
      accountId: 'a1',
      to: { group: 'team' },
      text: 'hello',
      replyTo: 'm_1',
    });
    expect(store.getState().outbox.map((o) => o.clientMsgId)).toEqual(['c_new']);
    expect(store.getState().replyingTo.size).toBe(0);
  });

  it('opens a thread, and a live reply goes into it and is counted on its root', async () => {
    const { store, fake, scheduler } = await started({
      'chat:history': (a) =>
        a.thread
          ? {
              messages: [historyMessage(3, 'reply', { body: { text: 'reply', thread: 'm_1' } })],
              endOfList: true,
              root: historyMessage(1, 'one'),
            }
          : { messages: [historyMessage(1, 'one')], endOfList: true },
    });
    await store.conversations.open('group:team');
    await store.threads.open('group:team', 'm_1');
    expect(
      store
        .getState()
        .threads.get('m_1')
        ?.list.map((m) => m.text),
    ).toEqual(['reply']);
    fake.push('server:event', {
      accountId: 'a1',
      frame: { type: 'event', event: 'message:send', data: sent(4, 'again', 'm_1') },
    });
    scheduler.flush();
    expect(
      store
        .getState()
        .threads.get('m_1')
        ?.list.map((m) => m.text),
    ).toEqual(['reply', 'again']);
    const root = store.getState().messages.get('group:team')!.list[0]!;
    expect(root.replies).toMatchObject({ lastSeq: 4 });
  });

  it('refuses a file past the server limit with the reason, and never uploads it', async () => {
    const { store, fake } = await started();
    store.attachments.attach('group:team', [new File([new Uint8Array(2000)], 'big.bin')]);
    const [picked] = store.getState().attachments.get('group:team') ?? [];
    expect(picked).toMatchObject({ state: 'failed', name: 'big.bin' });
    expect(picked?.error).toMatch(/files are at most 1\.0 KB/);
    expect(fake.calls.some((c) => c.channel === 'files:uploadStart')).toBe(false);
  });

  it('shows a refused action as the notice, with its code', async () => {
    const { store } = await started();
    await store.messages.react('m_1', '👍', true);
    expect(store.getState().notice).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('dispose lets go of every bridge listener', async () => {
    const { store, fake } = await started();
    expect(fake.listeners()).toBeGreaterThan(0);
    store.dispose();
    expect(fake.listeners()).toBe(0);
  });
});
