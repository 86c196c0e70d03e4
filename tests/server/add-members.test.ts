// Adding people to a group by name (UX-3 gap 7): a member adds someone they already share a
// group or an accepted dm with; the added person's connections hear of it and of what follows;
// strangers and unknown ids get the same refusal. Runs in the base run and the cluster run.
import { describe, expect, it } from 'vitest';
import type { ProtoClient } from '../helpers/proto-client.js';
import { testScope } from '../helpers/test-scope.js';
import { until } from '../helpers/wait.js';

const { server, client, team } = testScope();

const events = (c: ProtoClient, event: string) =>
  c.frames.filter((f) => f.event === event).map((f) => f.data as Record<string, unknown>);

describe('add: a member adds someone to a group', () => {
  it('adds a group-mate to a private group: they hear the join and what is said after', async () => {
    const [ann, ben] = await team(await server(), 'team', 'ann', 'ben');
    const { group: plans } = await ann.ok<{ group: string }>('join', {
      group: 'plans',
      private: true,
    });
    await ann.ok('add', { group: plans, user_id: ben.userId });
    await until(
      () => events(ben, 'group:member').some((d) => d.group === plans && d.user_id === ben.userId),
      'Ben hears he joined',
    );
    const joined = events(ben, 'group:member').find((d) => d.group === plans);
    expect(joined).toMatchObject({ action: 'joined', displayName: 'ben', private: true });
    await ann.ok('post', {
      to: { group: plans },
      body: { text: 'hello plans' },
      clientMsgId: 'p1',
    });
    await until(
      () =>
        events(ben, 'message:send').some(
          (d) => (d.body as { text: string }).text === 'hello plans',
        ),
      'Ben hears the message',
    );
    const { list } = await ben.ok<{ list: { conversation: string; private?: boolean }[] }>(
      'conversations',
      {},
    );
    expect(list.find((c) => c.conversation === `group:${plans}`)?.private).toBe(true);
    expect(list.find((c) => c.conversation === 'group:team')?.private).toBeUndefined();
    // Adding again says so.
    expect((await ann.fails('add', { group: plans, user_id: ben.userId })).code).toBe(
      'BAD_REQUEST',
    );
  });

  it('refuses strangers and unknown ids alike, and non-members', async () => {
    const s = await server();
    const ann = await client(s, 'ann');
    const eve = await client(s, 'eve');
    const { group: plans } = await ann.ok<{ group: string }>('join', {
      group: 'plans',
      private: true,
    });
    const stranger = await ann.fails('add', { group: plans, user_id: eve.userId });
    const unknown = await ann.fails('add', { group: plans, user_id: 'u_nobody_at_all' });
    expect(stranger.code).toBe('FORBIDDEN');
    expect(unknown).toEqual(stranger);
    // Eve, not a member, cannot add herself (nor learn the group exists).
    expect((await eve.fails('add', { group: plans, user_id: eve.userId })).code).toBe('NOT_FOUND');
    expect(events(eve, 'group:member')).toEqual([]);
  });
});
