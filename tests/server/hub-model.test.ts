// A model-based test of the hub (fast-check): random sequences of join, leave, post, edit,
// remove and reconnect by three users in two groups, each step run against a real server and
// a few lines of model that say what should be true. After every sequence, the server's own
// answers (history through a watcher who stays a member, `conversations`, member counts) must
// equal the model. A fresh server per sequence: the model starts from nothing.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryItem, ProtoClient } from '../helpers/proto-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const USERS = ['ana', 'ben', 'cai'] as const;
const GROUPS = ['north', 'south'] as const;
type User = (typeof USERS)[number];
type Group = (typeof GROUPS)[number];

interface ModelMessage {
  messageId: string;
  from: User;
  text: string;
  removed: boolean;
}

interface Model {
  members: Map<Group, Set<User>>;
  messages: Map<Group, ModelMessage[]>;
  nextText: number;
}

interface Real {
  server: TestServer;
  clients: Map<User, ProtoClient>;
  ids: Map<User, string>;
}

function freshModel(): Model {
  return {
    members: new Map(GROUPS.map((g) => [g, new Set<User>()])),
    messages: new Map(GROUPS.map((g) => [g, []])),
    nextText: 0,
  };
}

/** What the hub does with an edit or removal: NOT_FOUND unless visible, FORBIDDEN unless yours. */
function expectedChange(
  m: Model,
  u: User,
  g: Group,
  target: ModelMessage,
  removing = false,
): 'ok' | string {
  if (target.removed) return 'NOT_FOUND';
  // An author may remove their own message after leaving the group (review L8), not edit it.
  if (removing && target.from === u) return 'ok';
  if (!m.members.get(g)!.has(u)) return 'NOT_FOUND';
  return target.from === u ? 'ok' : 'FORBIDDEN';
}

class Join implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly u: User,
    readonly g: Group,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const res = await r.clients.get(this.u)!.ok<{ number_of_users: number }>('join', {
      group: this.g,
    });
    m.members.get(this.g)!.add(this.u);
    // The watcher is a member of both groups all along.
    expect(res.number_of_users).toBe(m.members.get(this.g)!.size + 1);
  }
  toString = () => `join(${this.u}, ${this.g})`;
}

class Leave implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly u: User,
    readonly g: Group,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const c = r.clients.get(this.u)!;
    if (m.members.get(this.g)!.delete(this.u)) await c.ok('leave', { group: this.g });
    else expect((await c.fails('leave', { group: this.g })).code).toBe('NOT_JOINED');
  }
  toString = () => `leave(${this.u}, ${this.g})`;
}

class Post implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly u: User,
    readonly g: Group,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const text = `t${m.nextText++}`;
    const c = r.clients.get(this.u)!;
    const params = { to: { group: this.g }, body: { text }, clientMsgId: `${this.u}-${text}` };
    if (!m.members.get(this.g)!.has(this.u)) {
      expect((await c.fails('post', params)).code).toBe('NOT_JOINED');
      return;
    }
    const res = await c.ok<{ messageId: string }>('post', params);
    m.messages.get(this.g)!.push({ messageId: res.messageId, from: this.u, text, removed: false });
  }
  toString = () => `post(${this.u}, ${this.g})`;
}

class Edit implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly u: User,
    readonly g: Group,
    readonly pick: number,
  ) {}
  check = (m: Readonly<Model>) => m.messages.get(this.g)!.length > 0;
  async run(m: Model, r: Real): Promise<void> {
    const list = m.messages.get(this.g)!;
    const target = list[this.pick % list.length]!;
    const text = `e${m.nextText++}`;
    const want = expectedChange(m, this.u, this.g, target);
    const c = r.clients.get(this.u)!;
    const params = { messageId: target.messageId, body: { text } };
    if (want !== 'ok') {
      expect((await c.fails('edit', params)).code).toBe(want);
      return;
    }
    await c.ok('edit', params);
    target.text = text;
  }
  toString = () => `edit(${this.u}, ${this.g}, #${this.pick})`;
}

class Remove implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly u: User,
    readonly g: Group,
    readonly pick: number,
  ) {}
  check = (m: Readonly<Model>) => m.messages.get(this.g)!.length > 0;
  async run(m: Model, r: Real): Promise<void> {
    const list = m.messages.get(this.g)!;
    const target = list[this.pick % list.length]!;
    const want = expectedChange(m, this.u, this.g, target, true);
    const c = r.clients.get(this.u)!;
    if (want !== 'ok') {
      expect((await c.fails('remove', { messageId: target.messageId })).code).toBe(want);
      return;
    }
    await c.ok('remove', { messageId: target.messageId });
    target.removed = true;
  }
  toString = () => `remove(${this.u}, ${this.g}, #${this.pick})`;
}

class Reconnect implements fc.AsyncCommand<Model, Real> {
  constructor(readonly u: User) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.clients.get(this.u)!.close();
    const c = await r.server.client(this.u);
    r.clients.set(this.u, c);
    // Membership belongs to the user, not the connection: it survives.
    const { list } = await c.ok<{ list: { conversation: string }[] }>('conversations');
    const groups = list.map((x) => x.conversation).filter((k) => k.startsWith('group:'));
    const expected = GROUPS.filter((g) => m.members.get(g)!.has(this.u)).map((g) => `group:${g}`);
    expect(groups.sort()).toEqual(expected.sort());
  }
  toString = () => `reconnect(${this.u})`;
}

const user = fc.constantFrom(...USERS);
const group = fc.constantFrom(...GROUPS);
const commands = [
  fc.tuple(user, group).map(([u, g]) => new Join(u, g)),
  fc.tuple(user, group).map(([u, g]) => new Leave(u, g)),
  fc.tuple(user, group).map(([u, g]) => new Post(u, g)),
  fc.tuple(user, group).map(([u, g]) => new Post(u, g)),
  fc.tuple(user, group, fc.nat(50)).map(([u, g, i]) => new Edit(u, g, i)),
  fc.tuple(user, group, fc.nat(50)).map(([u, g, i]) => new Remove(u, g, i)),
  user.map((u) => new Reconnect(u)),
];

let open: Real | undefined;
afterEach(async () => {
  await closeReal(open);
  open = undefined;
});

async function closeReal(r: Real | undefined): Promise<void> {
  if (!r) return;
  for (const c of r.clients.values()) await c.close().catch(() => undefined);
  await r.server.stop();
}

/** The server's state, through its own answers, against the model. */
async function compare(m: Model, r: Real, watcher: ProtoClient): Promise<void> {
  for (const g of GROUPS) {
    const history: HistoryItem[] = await watcher.allHistory(`group:${g}`);
    expect(
      history.map((h) => ({
        messageId: h.messageId,
        from: h.from.user_id,
        text: h.removed ? null : h.body.text,
        removed: h.removed,
      })),
    ).toEqual(
      m.messages.get(g)!.map((x) => ({
        messageId: x.messageId,
        from: r.ids.get(x.from),
        text: x.removed ? null : x.text,
        removed: x.removed,
      })),
    );
    // Seqs only go up, and each message's last change is at or after it.
    for (let i = 1; i < history.length; i++)
      expect(history[i]!.seq).toBeGreaterThan(history[i - 1]!.seq);
    for (const h of history) expect(h.lastSeq).toBeGreaterThanOrEqual(h.seq);
    const counted = await watcher.ok<{ list: { group: string; number_of_users: number }[] }>(
      'groups',
      { searchFor: 'group', value: g, condition: '=' },
    );
    expect(counted.list[0]?.number_of_users).toBe(m.members.get(g)!.size + 1);
  }
  for (const u of USERS) {
    const { list } = await r.clients
      .get(u)!
      .ok<{ list: { conversation: string }[] }>('conversations');
    const groups = list.map((x) => x.conversation).filter((k) => k.startsWith('group:'));
    const expected = GROUPS.filter((g) => m.members.get(g)!.has(u)).map((g) => `group:${g}`);
    expect(groups.sort()).toEqual(expected.sort());
  }
}

describe('the hub against a model', () => {
  it('random join, leave, post, edit, remove and reconnect agree with the model', async () => {
    let steps = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: 'large' }), async (cmds) => {
        await closeReal(open);
        const server = await startTestServer({
          limits: { requestsPerSecond: 10_000, requestBurst: 10_000 },
        });
        const clients = new Map<User, ProtoClient>();
        const ids = new Map<User, string>();
        for (const u of USERS) {
          const c = await server.client(u);
          clients.set(u, c);
          ids.set(u, c.userId);
        }
        const watcher = await server.client('watcher');
        for (const g of GROUPS) await watcher.ok('join', { group: g });
        open = { server, clients: new Map([...clients, ['watcher' as User, watcher]]), ids };
        const real: Real = { server, clients, ids };
        const model = freshModel();
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        steps += [...cmds].length;
        await compare(model, real, watcher);
        for (const c of real.clients.values()) await c.close();
        await watcher.close();
        await server.stop();
        open = undefined;
      }),
      { numRuns: 60, seed: 11 },
    );
    console.log(`hub model: 60 sequences, ${steps} steps, every one agreed with the model`);
  }, 120_000);
});
