// Replies with a quote, threads, full-text search and people search (docs/protocol.md
// "Extension: replies and threads", "Extension: search"), against a real server and sockets.
// Runs on SQLite, and on PostgreSQL in vitest.postgres.config.ts.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProtoClient } from '../helpers/proto-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { until } from '../helpers/wait.js';

let server: TestServer;
let alice: ProtoClient;
let bob: ProtoClient;
let carol: ProtoClient;
const open: ProtoClient[] = [];

async function connect(name: string, extra: Record<string, unknown> = {}) {
  const c = await server.client(name, extra);
  open.push(c);
  return c;
}

interface Msg {
  messageId: string;
  seq: number;
  conversation: string;
  body: {
    text: string;
    reply?: { messageId: string; from: { user_id: string; displayName: string }; text: string };
    thread?: string;
    threadFrom?: string;
  } | null;
  replies?: { count: number; lastSeq: number; lastTs: number };
}

let n = 0;
function post(c: ProtoClient, group: string, text: string, extra: Record<string, unknown> = {}) {
  return c.ok<{ messageId: string; seq: number }>('post', {
    to: { group },
    body: { text },
    clientMsgId: `ts-${++n}`,
    ...extra,
  });
}

beforeAll(async () => {
  // Searches cost 5 requests each (gateway extraCost): this file's pace is not what it tests.
  server = await startTestServer({ limits: { requestsPerSecond: 500, requestBurst: 500 } });
  await server.user('admin');
  alice = await connect('alice');
  bob = await connect('bob');
  carol = await connect('carol');
  for (const c of [alice, bob]) await c.ok('join', { group: 'talk' });
  await carol.ok('join', { group: 'elsewhere' });
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await server.stop();
});

describe('replies and threads', () => {
  it('a reply carries a quote written by the server, live and in history; edits keep it', async () => {
    const long = 'x'.repeat(250);
    const original = await post(alice, 'talk', long);
    const seen = alice.event<Msg>('message:send', (d) => d.body?.text === 'agreed');
    const reply = await post(bob, 'talk', 'agreed', { replyTo: original.messageId });
    const live = (await seen).data;
    expect(live.body!.reply).toEqual({
      messageId: original.messageId,
      from: { user_id: alice.userId, displayName: expect.any(String) },
      text: `${'x'.repeat(200)}…`,
    });
    expect(live.body!.thread).toBeUndefined();
    // The author edits the text; the quote stays even though the edit's body does not name it.
    await bob.ok('edit', { messageId: reply.messageId, body: { text: 'agreed, mostly' } });
    const hist = await alice.ok<{ messages: Msg[] }>('history', { conversation: 'group:talk' });
    const stored = hist.messages.find((m) => m.messageId === reply.messageId)!;
    expect(stored.body).toEqual({ text: 'agreed, mostly', reply: live.body!.reply });
  });

  it('refuses a body naming the server fields, a quote from elsewhere and a deleted message', async () => {
    const err = await bob.fails('post', {
      to: { group: 'talk' },
      body: { text: 'forged', reply: { messageId: 'm_x', from: {}, text: 'never said' } },
      clientMsgId: 'forged-1',
    });
    expect(err.code).toBe('BAD_REQUEST');
    const there = await post(carol, 'elsewhere', 'private words');
    const cross = await bob.fails('post', {
      to: { group: 'talk' },
      body: { text: 'leak?' },
      clientMsgId: 'cross-1',
      replyTo: there.messageId,
    });
    expect(cross.code).toBe('NOT_FOUND');
    const gone = await post(alice, 'talk', 'soon gone');
    await alice.ok('remove', { messageId: gone.messageId });
    const late = await bob.fails('post', {
      to: { group: 'talk' },
      body: { text: 'too late' },
      clientMsgId: 'late-1',
      thread: gone.messageId,
    });
    expect(late.code).toBe('NOT_FOUND');
    const edited = await post(bob, 'talk', 'plain');
    const forgedEdit = await bob.fails('edit', {
      messageId: edited.messageId,
      body: { text: 'now in a thread', thread: gone.messageId },
    });
    expect(forgedEdit.code).toBe('BAD_REQUEST');
  });

  it('thread replies: counted on the root, listed by history with thread, not unread', async () => {
    const root = await post(alice, 'talk', 'thread root');
    const r1 = await post(bob, 'talk', 'first reply', { thread: root.messageId });
    // A reply to a reply in the thread lands in the same thread, quoting it.
    const r2 = await post(alice, 'talk', 'second reply', {
      thread: r1.messageId,
      replyTo: r1.messageId,
    });
    const r3 = await post(bob, 'talk', 'third reply', { thread: root.messageId });
    await bob.ok('remove', { messageId: r3.messageId });

    const thread = await bob.ok<{ messages: Msg[]; root: Msg; endOfList: boolean }>('history', {
      conversation: 'group:talk',
      thread: root.messageId,
    });
    expect(thread.root.messageId).toBe(root.messageId);
    // A removed reply leaves its thread (its tombstone stays in the conversation's history).
    expect(thread.messages.map((m) => m.body?.text)).toEqual(['first reply', 'second reply']);
    expect(thread.messages.every((m) => m.body?.thread === root.messageId)).toBe(true);
    expect(thread.messages[1]!.body!.threadFrom).toBe(alice.userId);
    expect(thread.messages[1]!.body!.reply?.messageId).toBe(r1.messageId);
    // A root changed after its replies (a reaction) is still found as the thread's root.
    await alice.ok('react', { messageId: root.messageId, emoji: '👍', on: true });
    const again = await bob.ok<{ root?: Msg }>('history', {
      conversation: 'group:talk',
      thread: root.messageId,
    });
    expect(again.root?.messageId).toBe(root.messageId);
    // Removed replies are not counted; the summary names the last one left.
    expect(thread.root.replies).toMatchObject({ count: 2, lastSeq: r2.seq });

    const main = await bob.ok<{ messages: Msg[] }>('history', { conversation: 'group:talk' });
    expect(main.messages.find((m) => m.messageId === root.messageId)?.replies?.count).toBe(2);
    // Paging a thread backwards.
    const older = await bob.ok<{ messages: Msg[] }>('history', {
      conversation: 'group:talk',
      thread: root.messageId,
      before: r2.seq,
    });
    expect(older.messages.map((m) => m.messageId)).toEqual([r1.messageId]);
    // A reply's id is not a thread's root.
    const notRoot = await bob.fails('history', {
      conversation: 'group:talk',
      thread: r1.messageId,
    });
    expect(notRoot.code).toBe('BAD_REQUEST');

    // Thread replies do not count as unread in the conversation: only the root does.
    const dave = await connect('dave-threads');
    await dave.ok('join', { group: 'quiet' });
    await alice.ok('join', { group: 'quiet' });
    const q = await post(alice, 'quiet', 'root in quiet');
    for (let i = 0; i < 3; i++) await post(alice, 'quiet', `reply ${i}`, { thread: q.messageId });
    const list = await dave.ok<{ list: { conversation: string; unread: number }[] }>(
      'conversations',
    );
    expect(list.list.find((c) => c.conversation === 'group:quiet')?.unread).toBe(1);
  });

  it('thread replies replay on resume with their thread field', async () => {
    const root = await post(alice, 'talk', 'resume root');
    const again = await connect('bob', { resume: { 'group:talk': root.seq } });
    await until(
      () =>
        again
          .events<{ conversation: string }>('resume')
          .some((d) => d.conversation === 'group:talk'),
      'the resume of group:talk',
    );
    const seen = again.event<Msg>('message:send', (d) => d.body?.text === 'live in thread');
    await post(alice, 'talk', 'live in thread', { thread: root.messageId });
    expect((await seen).data.body!.thread).toBe(root.messageId);
  });
});

describe('search', () => {
  it('finds words and word starts in readable conversations only, newest first, with pages', async () => {
    await alice.ok('join', { group: 'search-a' });
    await bob.ok('join', { group: 'search-a' });
    await carol.ok('join', { group: 'search-secret' });
    await post(carol, 'search-secret', 'pineapple secret recipe');
    const first = await post(alice, 'search-a', 'The Pineapple pizza debate');
    await post(bob, 'search-a', 'I like pineapples on nothing');
    await post(bob, 'search-a', 'pizza without fruit');
    await post(alice, 'search-a', 'Crème brûlée for dessert');
    const dm = await alice.ok<{ messageId: string }>('post', {
      to: { user: bob.userId },
      body: { text: 'pineapple smoothie tomorrow?' },
      clientMsgId: 'search-dm',
    });

    type Hits = { results: Msg[]; endOfList: boolean; cursor?: string };
    const all = await bob.ok<Hits>('search', { query: 'pineapple' });
    expect(all.results.map((m) => m.body!.text)).toEqual([
      'pineapple smoothie tomorrow?',
      'I like pineapples on nothing',
      'The Pineapple pizza debate',
    ]);
    // The dm is named as bob sees it; carol's group is not searched.
    expect(all.results[0]!.conversation).toBe(`dm:${alice.userId}`);
    expect(all.results[0]!.messageId).toBe(dm.messageId);

    // Every word must match; a prefix finds longer words.
    const both = await bob.ok<Hits>('search', { query: 'pine piz' });
    expect(both.results.map((m) => m.messageId)).toEqual([first.messageId]);
    // Case is ignored on both stores; accents only on SQLite (protocol.md says so).
    const onPostgres = Boolean(inject('postgresUrl'));
    const creme = await bob.ok<Hits>('search', { query: onPostgres ? 'CRÈME' : 'creme brulee' });
    expect(creme.results.map((m) => m.body!.text)).toEqual(['Crème brûlée for dessert']);
    const inOne = await bob.ok<Hits>('search', {
      query: 'pineapple',
      conversation: 'group:search-a',
    });
    expect(inOne.results).toHaveLength(2);

    // Pages: one hit at a time, with a cursor, to the end.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page: Hits = await bob.ok<Hits>('search', {
        query: 'pineapple',
        limit: 1,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.results.map((m) => m.body!.text));
      if (page.endOfList) break;
      cursor = page.cursor;
    }
    expect(seen).toEqual(all.results.map((m) => m.body!.text));

    // Edits and removals change what is found.
    await alice.ok('edit', { messageId: first.messageId, body: { text: 'The mango debate' } });
    expect((await bob.ok<Hits>('search', { query: 'mango' })).results).toHaveLength(1);
    expect(
      (await bob.ok<Hits>('search', { query: 'pizza debate' })).results.map((m) => m.messageId),
    ).toEqual([]);
    await alice.ok('remove', { messageId: dm.messageId });
    expect((await bob.ok<Hits>('search', { query: 'smoothie' })).results).toEqual([]);
  });

  it('refuses an empty query and a conversation the user cannot read', async () => {
    expect((await bob.fails('search', { query: '  ?! ' })).code).toBe('BAD_REQUEST');
    expect(
      (await bob.fails('search', { query: 'secret', conversation: 'group:search-secret' })).code,
    ).toBe('FORBIDDEN');
    // Query syntax is taken as words, never as FTS5 or tsquery syntax. What the last test left:
    // one "pineapples".
    for (const query of ['"pine', 'ab OR cd', 'NEAR(xy z)', "it's", 'xy:*', 'ab & !cd', 'pine*)']) {
      const r = await bob.ok<{ results: unknown[] }>('search', { query });
      expect(Array.isArray(r.results)).toBe(true);
    }
    expect(
      (await bob.ok<{ results: unknown[] }>('search', { query: '"pine' })).results,
    ).toHaveLength(1);
    expect((await bob.fails('search', { query: '"*"' })).code).toBe('BAD_REQUEST');
    // One letter would match the start of almost every word (security review 3, F5).
    expect((await bob.fails('search', { query: 'a b c' })).code).toBe('BAD_REQUEST');
  });
});

describe('mentions', () => {
  it('users names each member by username; conversations counts unread mentions apart', async () => {
    await alice.ok('join', { group: 'mentions' });
    await bob.ok('join', { group: 'mentions' });
    const members = await alice.ok<{ list: { user_id: string; username: string }[] }>('users', {
      group: 'mentions',
    });
    expect(members.list.find((m) => m.user_id === bob.userId)?.username).toBe('bob');
    await post(alice, 'mentions', 'hello @bob');
    await post(alice, 'mentions', 'hello everyone');
    await post(alice, 'mentions', 'mail bob@example.org');
    type List = { list: { conversation: string; unread: number; mentions: number }[] };
    const row = (await bob.ok<List>('conversations')).list.find(
      (c) => c.conversation === 'group:mentions',
    );
    expect(row).toMatchObject({ unread: 3, mentions: 1 });
  });
});

describe('group topics and join/leave lines', () => {
  it('a member sets the topic; members see it change; listings and history carry it', async () => {
    await alice.ok('join', { group: 'topical' });
    const changed = alice.event<{ topic: string; by: { user_id: string } }>('group:updated');
    await bob.ok('join', { group: 'topical' });
    await post(alice, 'topical', 'before the topic');
    expect(await bob.ok('topic', { group: 'topical', topic: '  Launch plans  ' })).toEqual({
      group: 'topical',
      topic: 'Launch plans',
    });
    expect((await changed).data).toMatchObject({
      topic: 'Launch plans',
      by: { user_id: bob.userId },
    });
    const listed = await carol.ok<{ list: { group: string; topic?: string }[] }>('groups', {
      searchFor: 'group',
      value: 'topical',
      condition: '=',
    });
    expect(listed.list[0]?.topic).toBe('Launch plans');
    expect(await carol.ok('join', { group: 'topical' })).toMatchObject({ topic: 'Launch plans' });
    await carol.ok('leave', { group: 'topical' });
    expect((await carol.fails('topic', { group: 'topical', topic: 'mine now' })).code).toBe(
      'NOT_JOINED',
    );
    expect((await alice.fails('topic', { group: 'topical', topic: 'x'.repeat(251) })).code).toBe(
      'BAD_REQUEST',
    );
    // The newest page of history has every line since its first message, in order.
    const hist = await alice.ok<{
      groupEvents: { user_id: string; action: string; topic?: string; displayName: string }[];
    }>('history', { conversation: 'group:topical' });
    expect(hist.groupEvents.map((e) => [e.user_id, e.action, e.topic])).toEqual([
      [alice.userId, 'joined', undefined],
      [bob.userId, 'joined', undefined],
      [bob.userId, 'topic', 'Launch plans'],
      [carol.userId, 'joined', undefined],
      [carol.userId, 'left', undefined],
    ]);
    expect(hist.groupEvents[1]!.displayName).toBe('bob');
  });

  it('pages read back to back carry each line once, in the page where its time falls', async () => {
    await alice.ok('join', { group: 'paged-lines' });
    // Apart in time: a line at the very millisecond of a message belongs to that message's page.
    await new Promise((r) => setTimeout(r, 5));
    const first = await post(alice, 'paged-lines', 'one');
    await new Promise((r) => setTimeout(r, 5));
    await bob.ok('join', { group: 'paged-lines' });
    await new Promise((r) => setTimeout(r, 5));
    await post(alice, 'paged-lines', 'two');
    type Page = { messages: { seq: number }[]; groupEvents?: { action: string }[] };
    const newest = await alice.ok<Page>('history', { conversation: 'group:paged-lines', limit: 1 });
    const older = await alice.ok<Page>('history', {
      conversation: 'group:paged-lines',
      limit: 1,
      before: newest.messages[0]!.seq,
    });
    expect(older.messages[0]!.seq).toBe(first.seq);
    // Bob's join falls between "one" and "two": carried by the older page (up to "two");
    // Alice's, before "one", by the last page, the one that reaches the start.
    expect(newest.groupEvents ?? []).toEqual([]);
    expect(older.groupEvents?.map((e) => e.action)).toEqual(['joined']);
    const start = await alice.ok<Page & { endOfList: boolean }>('history', {
      conversation: 'group:paged-lines',
      limit: 1,
      before: first.seq,
    });
    expect(start.endOfList).toBe(true);
    expect(start.messages).toEqual([]);
    expect(start.groupEvents?.map((e) => e.action)).toEqual(['joined']);
  });
});

describe('people', () => {
  it('finds anyone by the start of their username or of a word of their name', async () => {
    const created = await server.post('/v1/users', {
      username: 'zed-person',
      password: 'correct horse battery',
      displayName: 'Zed Longname',
    });
    expect(created.status).toBe(201);
    const zed = (await created.json()) as { userId: string };
    const r = await bob.ok<{ list: { user_id: string; username: string; displayName: string }[] }>(
      'people',
      { query: 'long' },
    );
    expect(r.list).toEqual([
      { user_id: zed.userId, username: 'zed-person', displayName: 'Zed Longname' },
    ]);
    expect((await bob.ok<{ list: unknown[] }>('people', { query: 'ZED' })).list).toHaveLength(1);
    expect((await bob.ok<{ list: unknown[] }>('people', { query: '%' })).list).toEqual([]);
    expect((await bob.fails('people', { query: '' })).code).toBe('BAD_REQUEST');
    // Blanks are no query: not a way to list everyone.
    expect((await bob.fails('people', { query: '   ' })).code).toBe('BAD_REQUEST');
  });
});
