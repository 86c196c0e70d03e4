// Everything that subscribes lets go when disposed: the hub's broker topics, the desktop core's
// sessions and their sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { DesktopCore } from '../../src/main/core/desktop-core.js';
import { handleInvoke } from '../../src/main/core/ipc-handler.js';
import { wsSocketFactory } from '../../src/main/core/ws-socket.js';
import { InProcessBroker } from '../../src/server/broker.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/test-server.js';
import { memorySecrets, until } from '../helpers/wait.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(broker?: InProcessBroker): Promise<TestServer> {
  const s = await startTestServer({}, broker ? { broker } : {});
  cleanups.push(() => s.stop());
  return s;
}

describe('disposal', () => {
  it('the hub lets go of every broker topic it subscribed for its connections', async () => {
    const broker = new InProcessBroker();
    const s = await server(broker);
    const ann = await s.client('ann');
    const bob = await s.client('bob');
    cleanups.push(
      () => ann.close(),
      () => bob.close(),
    );
    await ann.request('join', { group: 'team' });
    await bob.request('join', { group: 'team' });
    expect(broker.topicCount()).toBeGreaterThanOrEqual(3); // two users' topics and the group's
    s.hub.dispose();
    expect(broker.topicCount()).toBe(0);
    expect(s.hub.connectionCount).toBe(0);
  });

  it('the desktop core closes its sessions and stops its pushes', async () => {
    const s = await server();
    const core = new DesktopCore({
      dataDir: tempDir(),
      secrets: memorySecrets(),
      socketFactory: wsSocketFactory,
      appInfo: { name: 'Parley', version: '0', platform: 'test' },
      openExternal: () => undefined,
      notify: () => undefined,
    });
    const outcome = await handleInvoke(core, 'accounts:signUp', {
      server: s.url,
      username: 'cat',
      password: 'a long password',
    });
    expect(outcome.ok).toBe(true);
    await until(() => s.hub.connectionCount === 1, 'the session connected');
    let pushes = 0;
    core.on('unread:changed', () => pushes++);
    core.dispose();
    await until(() => s.hub.connectionCount === 0, 'the session closed');
    core.push('unread:changed', { total: 1 });
    expect(pushes).toBe(0);
  });
});
