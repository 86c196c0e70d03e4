// The Store contract, run against every implementation: SQLite (the embedded default) and
// PostgreSQL (cluster mode; a private instance on a free loopback port). The hub relies on each
// of these answers; the concurrent cases matter where the database is shared by several servers.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/server/store/postgres/index.js';
import { openSqliteStore } from '../../src/server/store/sqlite/index.js';
import {
  dmConvId,
  type AppendMessage,
  type Store,
  type StoredEvent,
} from '../../src/server/store/store.js';
import { HAVE_POSTGRES, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/test-server.js';

interface Kind {
  name: string;
  available: boolean;
  /** A fresh, empty store. */
  open(): Promise<Store>;
}

let pgServer: TestPostgres | undefined;
let databases = 0;
/** Batches of appends PostgreSQL refused (each then stored one by one): none are expected. */
const batchErrors: unknown[] = [];

const KINDS: Kind[] = [
  {
    name: 'SQLite',
    available: true,
    open: async () => openSqliteStore(join(tempDir(), 'parley.db')),
  },
  {
    name: 'PostgreSQL',
    available: HAVE_POSTGRES,
    open: async () =>
      openPostgresStore(await pgServer!.database(`contract_${++databases}`), {
        onBatchError: (err) => batchErrors.push(err),
      }),
  },
];

if (!HAVE_POSTGRES) {
  console.log(
    'skipping the PostgreSQL store contract: no PostgreSQL here (apt-get install postgresql)',
  );
}

beforeAll(async () => {
  if (HAVE_POSTGRES) pgServer = await startPostgres();
}, 30_000);
afterAll(async () => {
  await pgServer?.stop();
});

const sender = (userId: string) => ({ user_id: userId, cid: 'c', displayName: userId });
function message(
  convId: string,
  from: string,
  clientMsgId: string,
  text = clientMsgId,
): AppendMessage {
  return { convId, sender: sender(from), clientMsgId, body: { text }, ts: Date.now() };
}

describe.each(KINDS)('$name store', (kind) => {
  let store: Store;
  beforeAll(async () => {
    if (kind.available) store = await kind.open();
  });
  afterAll(async () => {
    await store?.close();
  });
  const test = kind.available ? it : it.skip;

  test('accounts: the first is administrator, names are unique whatever the case', async () => {
    const a = await store.createUser({ username: 'Alice', displayName: 'Alice', passHash: 'h' });
    const b = await store.createUser({ username: 'bob', displayName: 'Bob', passHash: 'h' });
    expect(a?.isAdmin).toBe(true);
    expect(b?.isAdmin).toBe(false);
    expect(
      await store.createUser({ username: 'ALICE', displayName: 'x', passHash: 'h' }),
    ).toBeNull();
    expect((await store.userByName('alice'))?.userId).toBe(a!.userId);
    expect((await store.userById(b!.userId))?.username).toBe('bob');
    expect(await store.setPassword(b!.userId, 'h2')).toBe(1);
    expect(await store.bumpTokenVersion(b!.userId)).toBe(2);
    expect((await store.userById(b!.userId))?.tokenVersion).toBe(2);
    await store.setPresence(b!.userId, 'busy', 'dentist');
    expect(await store.userById(b!.userId)).toMatchObject({
      status: 'busy',
      statusText: 'dentist',
    });
    await store.revokeToken('jti-1', Date.now() - 1);
    await store.revokeToken('jti-2', Date.now() + 60_000);
    expect(await store.isRevoked('jti-1')).toBe(true);
    await store.purgeExpired(Date.now());
    expect(await store.isRevoked('jti-1')).toBe(false);
    expect(await store.isRevoked('jti-2')).toBe(true);
  });

  test('a fresh store makes exactly one administrator when 10 sign up at once', async () => {
    const fresh = await kind.open();
    try {
      const made = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          fresh.createUser({ username: `first${i}`, displayName: 'x', passHash: 'h' }),
        ),
      );
      expect(made.filter((u) => u?.isAdmin)).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });

  test('groups: join, count, leave, search in code-point order, private ones hidden', async () => {
    const u = (await store.createUser({ username: 'grouper', displayName: 'g', passHash: 'h' }))!;
    const v = (await store.createUser({ username: 'outsider', displayName: 'o', passHash: 'h' }))!;
    expect(await store.joinGroup('alpha', u.userId)).toEqual({ changed: true, members: 1 });
    expect(await store.joinGroup('alpha', u.userId)).toEqual({ changed: false, members: 1 });
    expect(await store.joinGroup('alpha', v.userId)).toEqual({ changed: true, members: 2 });
    for (const g of ['Beta', 'a_b', 'a%c', 'azz']) await store.joinGroup(g, u.userId);
    await store.joinGroup('secret', u.userId, true);
    expect(await store.group('secret', u.userId)).toEqual({
      members: 1,
      private: true,
      member: true,
      topic: '',
    });
    expect(await store.group('secret', v.userId)).toMatchObject({ member: false });
    expect(await store.leaveGroup('alpha', v.userId)).toEqual({ members: 1 });
    expect(await store.leaveGroup('alpha', v.userId)).toBeNull();
    expect(await store.groupMembers('nowhere')).toBeUndefined();
    expect(await store.groupMembers('alpha')).toEqual([u.userId]);
    expect(await store.isMember('alpha', u.userId)).toBe(true);
    expect(await store.userGroups(v.userId)).toEqual([]);
    const names = async (q: Parameters<Store['searchGroups']>[0]) =>
      (await store.searchGroups(q)).map((g) => g.group);
    // Code-point order: upper case before lower case.
    expect(await names({ limit: 50, viewer: v.userId })).toEqual([
      'Beta',
      'a%c',
      'a_b',
      'alpha',
      'azz',
    ]);
    expect(await names({ limit: 50, viewer: u.userId })).toContain('secret');
    // % and _ are literal in a prefix.
    expect(await names({ value: 'a_', limit: 50, viewer: v.userId })).toEqual(['a_b']);
    expect(await names({ value: 'a', condition: '>', limit: 2, viewer: v.userId })).toEqual([
      'a%c',
      'a_b',
    ]);
    expect(await names({ value: 'a', limit: 50, viewer: v.userId, after: 'a_b' })).toEqual([
      'alpha',
      'azz',
    ]);
    expect(
      await names({
        searchFor: 'number_of_users',
        value: 1,
        range: 1,
        limit: 50,
        viewer: v.userId,
      }),
    ).toEqual(['Beta', 'a%c', 'a_b', 'alpha', 'azz']);
    await store.createInvite('code-1', 'secret', u.userId, Date.now() + 60_000);
    await store.createInvite('code-old', 'secret', u.userId, Date.now() - 1);
    expect(await store.inviteGroup('code-1', Date.now())).toBe('secret');
    expect(await store.inviteGroup('code-old', Date.now())).toBeUndefined();
  });

  test('messages: seq 1..N per conversation, idempotent by clientMsgId', async () => {
    const r1 = await store.appendMessage(message('group:seq', 'u1', 'a'));
    const r2 = await store.appendMessage(message('group:seq', 'u1', 'b'));
    const again = await store.appendMessage(message('group:seq', 'u1', 'a'));
    expect([r1.seq, r2.seq]).toEqual([1, 2]);
    expect(again).toMatchObject({ duplicate: true, seq: 1, messageId: r1.messageId });
    expect(await store.lastSeq('group:seq')).toBe(2);
    expect(await store.lastSeq('group:none')).toBe(0);
    expect(await store.conversationExists('group:seq')).toBe(true);
  });

  test('50 writers at once into one conversation: seqs 1..50, none lost, none twice', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.appendMessage(message('group:hot', `w${i % 5}`, `h${i}`)),
      ),
    );
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    const events = await store.eventsAfter('group:hot', 0, 100);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  test('the same message retried 10 times at once is stored once', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.appendMessage(message('group:retry', 'r', 'same'))),
    );
    expect(new Set(results.map((r) => r.messageId)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await store.lastSeq('group:retry')).toBe(1);
  });

  test('an edit rewrites every stored version; a removal leaves only a tombstone', async () => {
    const { messageId } = await store.appendMessage({
      ...message('group:h2', 'author', 'x', 'first text'),
      notification: { title: 't', body: 'first text' },
    });
    await store.editMessage(messageId, { text: 'second text' }, Date.now());
    let events: StoredEvent[] = await store.eventsAfter('group:h2', 0, 10);
    expect(JSON.stringify(events)).not.toContain('first text');
    expect(events.map((e) => (e.data.body as { text: string }).text)).toEqual([
      'second text',
      'second text',
    ]);
    await store.removeMessage(messageId, Date.now());
    events = await store.eventsAfter('group:h2', 0, 10);
    expect(JSON.stringify(events)).not.toContain('second text');
    expect(events[0]!.data).toMatchObject({ body: null, removed: true });
    expect(events[0]!.data).not.toHaveProperty('notification');
    expect(events.map((e) => e.event)).toEqual([
      'message:send',
      'message:updated',
      'message:removed',
    ]);
    const [h] = await store.history('group:h2', { limit: 10 });
    expect(h).toMatchObject({ messageId, removed: true, body: null, seq: 1, lastSeq: 3 });
    expect((await store.message(messageId))?.removed).toBe(true);
  });

  test('history pages back by seq and forward by last change', async () => {
    for (let i = 0; i < 5; i++) await store.appendMessage(message('group:pages', 'p', `p${i}`));
    const newest = await store.history('group:pages', { limit: 2 });
    expect(newest.map((m) => m.seq)).toEqual([4, 5]);
    const older = await store.history('group:pages', { before: 4, limit: 2 });
    expect(older.map((m) => m.seq)).toEqual([2, 3]);
    await store.editMessage(newest[0]!.messageId, { text: 'edited' }, Date.now());
    const changed = await store.history('group:pages', { after: 5, limit: 10 });
    expect(changed.map((m) => [m.seq, m.lastSeq, m.body?.text])).toEqual([[4, 6, 'edited']]);
  });

  test('read markers only rise; unread counts others’ live messages, at most 100', async () => {
    const reader = (await store.createUser({
      username: 'reader',
      displayName: 'r',
      passHash: 'h',
    }))!;
    await store.joinGroup('many', reader.userId);
    await store.joinGroup('quiet', reader.userId);
    for (let i = 0; i < 105; i++)
      await store.appendMessage(message('group:many', 'talker', `t${i}`));
    await store.appendMessage(message('group:many', reader.userId, 'mine'));
    expect(await store.markRead(reader.userId, 'group:many', 3)).toBe(3);
    expect(await store.markRead(reader.userId, 'group:many', 1)).toBe(3);
    const rows = await store.conversationsOf(reader.userId, 'reader');
    expect(rows.find((r) => r.convId === 'group:many')).toMatchObject({
      lastSeq: 106,
      readSeq: 3,
      unread: 100,
      mentions: 0,
    });
    // A group without messages is listed too.
    expect(rows.find((r) => r.convId === 'group:quiet')).toMatchObject({ lastSeq: 0, unread: 0 });
  });

  test('mentions: unread messages naming @username (any case), not longer names or addresses', async () => {
    const reader = (await store.createUser({
      username: 'mia.k',
      displayName: 'Mia',
      passHash: 'h',
    }))!;
    await store.joinGroup('mentions', reader.userId);
    const texts = [
      'hi @mia.k', // yes
      '@MIA.K, look', // yes, any case
      'ask (@mia.k)', // yes
      'mail mia.k@example.org', // no: an address
      '@mia.kay is someone else', // no: a longer name
      '@miaxk', // no: the dot is not a wildcard
      'no mention here',
    ];
    for (const [i, text] of texts.entries()) {
      await store.appendMessage(message('group:mentions', 'talker', `mention-${i}`, text));
    }
    // A thread reply is not counted (it is not unread in the conversation either).
    await store.appendMessage({
      ...message('group:mentions', 'talker', 'mention-thread'),
      body: { text: '@mia.k in a thread', thread: 'm_root' },
    });
    const rows = await store.conversationsOf(reader.userId, 'mia.k');
    expect(rows.find((r) => r.convId === 'group:mentions')).toMatchObject({
      unread: 7,
      mentions: 3,
    });
    await store.markRead(reader.userId, 'group:mentions', 2);
    const after = await store.conversationsOf(reader.userId, 'mia.k');
    expect(after.find((r) => r.convId === 'group:mentions')).toMatchObject({ mentions: 1 });
    // Editing the mention away, or removing the message, takes it out of the count; an edit that
    // adds one (sentence-ending dot included) puts it in; mentioning oneself never counts.
    const third = await store.appendMessage(
      message('group:mentions', 'talker', 'mention-late', '@mia.k again'),
    );
    const fourth = await store.appendMessage(
      message('group:mentions', 'talker', 'mention-later', 'nothing yet'),
    );
    await store.appendMessage({
      ...message('group:mentions', 'x', 'self'),
      sender: { user_id: reader.userId, cid: 'c', displayName: 'Mia' },
      body: { text: 'me, @mia.k' },
    });
    const mentionsNow = async () =>
      (await store.conversationsOf(reader.userId, 'mia.k')).find(
        (r) => r.convId === 'group:mentions',
      )?.mentions;
    expect(await mentionsNow()).toBe(2);
    await store.editMessage(third.messageId, { text: 'edited away' }, Date.now());
    expect(await mentionsNow()).toBe(1);
    await store.editMessage(fourth.messageId, { text: 'now for @mia.k.' }, Date.now());
    expect(await mentionsNow()).toBe(2);
    await store.removeMessage(fourth.messageId, Date.now());
    expect(await mentionsNow()).toBe(1);
  });

  test('group events: joins, leaves and topics by time; a topic becomes the group’s', async () => {
    const u = (await store.createUser({ username: 'eventful', displayName: 'Ev', passHash: 'h' }))!;
    await store.joinGroup('events', u.userId);
    await store.logGroupEvent('events', { ts: 100, userId: u.userId, action: 'joined' });
    await store.logGroupEvent('events', {
      ts: 200,
      userId: u.userId,
      action: 'topic',
      topic: 'plans',
    });
    await store.logGroupEvent('events', { ts: 300, userId: u.userId, action: 'left' });
    expect((await store.group('events', u.userId))?.topic).toBe('plans');
    expect(await store.groupEvents('events', 150, 300, 10)).toEqual([
      { ts: 200, userId: u.userId, displayName: 'Ev', action: 'topic', topic: 'plans' },
      { ts: 300, userId: u.userId, displayName: 'Ev', action: 'left' },
    ]);
    expect(await store.groupEvents('events', 0, 1000, 1)).toHaveLength(1);
  });

  test('profiles: a new name, and a picture that answers the one it replaced', async () => {
    const u = (await store.createUser({ username: 'pictured', displayName: 'P', passHash: 'h' }))!;
    expect(u.avatar).toBeNull();
    await store.setDisplayName(u.userId, 'Pia');
    expect(await store.setAvatar(u.userId, 'av_1')).toBeNull();
    expect(await store.setAvatar(u.userId, 'av_2')).toBe('av_1');
    expect(await store.userById(u.userId)).toMatchObject({ displayName: 'Pia', avatar: 'av_2' });
    expect(await store.setAvatar(u.userId, null)).toBe('av_2');
  });

  test('a dm is accepted once both have written; partners are the accepted ones', async () => {
    const conv = dmConvId('ua', 'ub');
    const pair: [string, string] = ['ua', 'ub'];
    await store.appendMessage({ ...message(conv, 'ua', 'd1'), dmPair: pair });
    expect(await store.dmAccepted(conv)).toBe(false);
    expect(await store.dmPartners('ua')).toEqual([]);
    await store.appendMessage({ ...message(conv, 'ub', 'd2'), dmPair: pair });
    expect(await store.dmAccepted(conv)).toBe(true);
    expect(await store.dmPartners('ua')).toEqual(['ub']);
    expect(await store.dmPartners('ub')).toEqual(['ua']);
  });

  test('appends at once over groups and a dm, with retries among them: each conversation 1..N', async () => {
    // On PostgreSQL these go in batches (group commit): one batch holds several conversations,
    // a dm written from both sides, and a retry of a message in the same or an earlier batch.
    const conv = dmConvId('mx', 'my');
    const pair: [string, string] = ['mx', 'my'];
    const posts = Array.from({ length: 90 }, (_, i) => {
      const id = `b${i % 75}`; // the last 15 repeat earlier ones
      if (i % 3 === 2) return { ...message(conv, (i % 75) % 2 ? 'mx' : 'my', id), dmPair: pair };
      return message(i % 3 ? 'group:mix-b' : 'group:mix-a', 'mx', id);
    });
    const results = await Promise.all(posts.map((p) => store.appendMessage(p)));
    const firsts = results.filter((r) => !r.duplicate);
    expect(firsts).toHaveLength(75);
    expect(new Set(firsts.map((r) => r.messageId)).size).toBe(75);
    for (const key of ['group:mix-a', 'group:mix-b', conv]) {
      const seqs = firsts.filter((r) => r.convId === key).map((r) => r.seq);
      expect(seqs.sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i + 1));
      expect(await store.lastSeq(key)).toBe(seqs.length);
    }
    // Of a message and its retry (whichever committed first), one is stored, both answer it.
    for (let i = 75; i < 90; i++) {
      const [a, b] = [results[i - 75]!, results[i]!];
      expect(a.messageId).toBe(b.messageId);
      expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    }
    expect(await store.dmAccepted(conv)).toBe(true);
    // Stored in batches, not message by message after a failed batch.
    expect(batchErrors).toEqual([]);
  });

  test('30 people react at once: none lost, one seq each; repeats and the 21st emoji change nothing', async () => {
    const { messageId } = await store.appendMessage(message('group:react', 'author', 'r1'));
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        store.react(messageId, `fan${i}`, i % 2 ? '👍' : '🎉', true, Date.now()),
      ),
    );
    const seqs = results.map((r) => (r === 'full' ? -1 : r.seq)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    const [h] = await store.history('group:react', { limit: 1 });
    expect(h!.lastSeq).toBe(31);
    expect(Object.fromEntries(h!.reactions!.map((r) => [r.emoji, r.user_ids.length]))).toEqual({
      '👍': 15,
      '🎉': 15,
    });
    expect(await store.react(messageId, 'fan1', '👍', true, Date.now())).toMatchObject({
      changed: false,
      seq: 31,
    });
    for (let i = 0; i < 18; i++)
      await store.react(messageId, 'fan0', `emoji${i}`, true, Date.now());
    expect(await store.react(messageId, 'fan0', 'one-too-many', true, Date.now())).toBe('full');
    await store.removeMessage(messageId, Date.now());
    const [gone] = await store.history('group:react', { limit: 1 });
    expect(gone).not.toHaveProperty('reactions');
  });

  test('reactions and edits of one message at once all succeed, each with its own seq', async () => {
    // Edits lock the conversation, then the message; reactions must take the same order or
    // PostgreSQL aborts one of the two as a deadlock.
    const { messageId } = await store.appendMessage(message('group:mixed', 'author', 'x1'));
    const work = Array.from({ length: 40 }, (_, i) =>
      i % 4 === 0
        ? store.editMessage(messageId, { text: `edit ${i}` }, Date.now())
        : store.react(messageId, `r${i}`, '👍', true, Date.now()),
    );
    const results = await Promise.all(work);
    const seqs = results.map((r) => (r === 'full' ? -1 : r.seq)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
    const [h] = await store.history('group:mixed', { limit: 1 });
    expect(h!.reactions![0]!.user_ids).toHaveLength(30);
  });

  test('the offline queue keeps the newest per sender and in all, and is taken once', async () => {
    const caps = { total: 4, perSender: 2 };
    for (let i = 0; i < 5; i++) {
      await store.queueNotification('q', { from: { user_id: 's1' }, n: i }, i, caps);
    }
    for (let i = 5; i < 8; i++) {
      await store.queueNotification('q', { from: { user_id: 's2' }, n: i }, i, caps);
    }
    const taken = await Promise.all([store.takeNotifications('q'), store.takeNotifications('q')]);
    const all = [...taken[0], ...taken[1]].map((d) => d.n);
    expect(all).toEqual([3, 4, 6, 7]);
    expect(await store.takeNotifications('q')).toEqual([]);
    await store.queueNotification('old', { from: { user_id: 's' } }, 1, caps);
    expect(await store.purgeNotifications(2)).toBe(1);
  });
});
