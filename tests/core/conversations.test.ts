// ConversationState fed by a real RealtimeClient: unread counts follow what happens on the server.
import { afterEach, expect, it } from 'vitest';
import { ConversationState } from '../../src/main/core/conversations.js';
import { RealtimeClient } from '../../src/main/core/realtime-client.js';
import { wsSocketFactory } from '../../src/main/core/ws-socket.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { startTestServer } from '../helpers/test-server.js';
import { until } from '../helpers/wait.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('unread follows posts, removals, reads on another device, and a reload from the server', async () => {
  const s = await startTestServer();
  cleanups.push(() => s.stop());
  const me = await s.user('myself');
  const bob = await s.client('bob');
  cleanups.push(() => bob.close());
  await bob.ok('join', { group: 'team' });

  const state = new ConversationState(me.userId);
  const client = new RealtimeClient({
    url: s.wsUrl,
    token: () => me.token,
    socketFactory: wsSocketFactory,
    resumeFrom: () => state.lastSeqs(),
  });
  cleanups.push(() => client.dispose());
  client.on('event', (e) => state.apply(e));
  client.start();
  await until(() => client.status.state === 'online', 'online');
  await client.request('join', { group: 'team' });

  const a = await bob.ok<{ messageId: string }>('post', {
    to: { group: 'team' },
    body: { text: '1' },
    clientMsgId: '1',
  });
  await bob.ok('post', { to: { group: 'team' }, body: { text: '2' }, clientMsgId: '2' });
  await bob.ok('post', { to: { user: me.userId }, body: { text: 'dm' }, clientMsgId: '3' });
  await until(() => state.totalUnread === 3, 'three unread');
  await bob.ok('remove', { messageId: a.messageId });
  await until(() => state.totalUnread === 2, 'a removal taken off');

  // Another of my devices reads the group.
  const phone = await ProtoClient.connect(s.wsUrl, me.token);
  cleanups.push(() => phone.close());
  await phone.ok('read', { conversation: 'group:team', seq: state.get('group:team')!.lastSeq });
  await until(() => state.totalUnread === 1, 'read elsewhere');

  // A fresh start agrees with the server.
  const fresh = new ConversationState(me.userId);
  fresh.load((await client.request('conversations', {})).list);
  expect(fresh.totalUnread).toBe(1);
  expect(fresh.get(`dm:${bob.userId}`)).toMatchObject({ unread: 1 });
  expect(fresh.lastSeqs()).toEqual(state.lastSeqs());
});
