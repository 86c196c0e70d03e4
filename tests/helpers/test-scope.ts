// What one test starts, stopped after it (newest first): servers, clients, sockets, anything.
// Call at module level; it registers its own afterEach.
import { afterEach } from 'vitest';
import type { ConfigOverrides } from '../../src/server/config.js';
import type { StartOptions } from '../../src/server/server.js';
import type { ProtoClient } from './proto-client.js';
import { startTestServer, type TestServer } from './test-server.js';

export function testScope() {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    /** Runs `stop` after the test. */
    defer(stop: () => unknown): void {
      cleanups.push(stop);
    },
    async server(
      overrides: ConfigOverrides = {},
      opts: StartOptions & { dataDir?: string } = {},
    ): Promise<TestServer> {
      const s = await startTestServer(overrides, opts);
      cleanups.push(() => s.stop());
      return s;
    },
    /** A user of `s`, signed in and connected. */
    async client(s: TestServer, name: string): Promise<ProtoClient> {
      const c = await s.client(name);
      cleanups.push(() => c.close());
      return c;
    },
    /** Users of `s`, connected and all members of `group` (so they share a conversation). */
    async team<N extends string[]>(
      s: TestServer,
      group: string,
      ...names: N
    ): Promise<{ [K in keyof N]: ProtoClient }> {
      const clients: ProtoClient[] = [];
      for (const name of names) {
        const c = await s.client(name);
        cleanups.push(() => c.close());
        await c.ok('join', { group });
        clients.push(c);
      }
      return clients as { [K in keyof N]: ProtoClient };
    },
  };
}
