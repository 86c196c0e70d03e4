// Resume under an asynchronous store: the connection subscribes first, holds live events while
// its replay is read, then releases those the replay did not carry. With a store whose replay
// reads take 50 ms (real SQLite behind a delay, as a networked database would answer), readers
// reconnect again and again while a writer keeps posting: every session must see each seq once,
// in order, with nothing missing from where it resumed.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/server/store/sqlite/index.js';
import type { Store } from '../../src/server/store/store.js';
import { ProtoClient, quiet } from '../helpers/proto-client.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/test-server.js';
import { until } from '../helpers/wait.js';

/** The real store, with its replay reads slowed down. */
function slowReplay(store: Store, ms: number): Store {
  const later = <T>(p: Promise<T>) => new Promise<T>((r) => setTimeout(() => r(p), ms));
  return {
    ...store,
    lastSeq: (convId) => later(store.lastSeq(convId)),
    eventsAfter: (convId, seq, limit) => later(store.eventsAfter(convId, seq, limit)),
  };
}

let server: TestServer;
beforeAll(async () => {
  const dataDir = tempDir();
  const store = slowReplay(openSqliteStore(join(dataDir, 'parley.db')), 50);
  server = await startTestServer(
    { limits: { requestsPerSecond: 1000, requestBurst: 1000 } },
    { dataDir, store },
  );
});
afterAll(() => server.stop());

describe('resume with a slow store', () => {
  it('each session sees every seq after its resume point once, in order', async () => {
    const writer = await server.client('writer');
    await writer.ok('join', { group: 'busy' });
    const reader = await server.user('reader');
    const first = await ProtoClient.connect(server.wsUrl, reader.token);
    await first.ok('join', { group: 'busy' });
    await first.close();

    let posting = true;
    let sent = 0;
    const writing = (async () => {
      while (posting && sent < 2000) {
        await writer.ok('post', {
          to: { group: 'busy' },
          body: { text: `m${sent}` },
          clientMsgId: `m${sent}`,
        });
        sent++;
        await quiet(2);
      }
    })();

    let from = 0;
    let sessions = 0;
    let seen = 0;
    for (; sessions < 8; sessions++) {
      const c = await ProtoClient.open(server.wsUrl);
      await c.auth(reader.token, { resume: { 'group:busy': from } });
      // The replay's reads take 50 ms each; on a loaded machine more. Wait for it (bounded),
      // then for some live traffic after it.
      await until(() => c.events('resume').length > 0, 'the resume event', 5000);
      await quiet(120);
      await c.close();
      const seqs = c
        .events<{ seq: number; conversation: string }>('message:send')
        .filter((d) => d.conversation === 'group:busy')
        .map((d) => d.seq);
      const resumed = c.events<{ toSeq: number; complete: boolean }>('resume')[0];
      expect(resumed?.complete, `session ${sessions}: the replay was complete`).toBe(true);
      // Contiguous from the resume point, no repeats: replay and live joined exactly.
      expect(seqs, `session ${sessions}`).toEqual(
        Array.from({ length: seqs.length }, (_, i) => from + 1 + i),
      );
      seen += seqs.length;
      if (seqs.length) from = seqs[seqs.length - 1]!;
    }
    posting = false;
    await writing;
    console.log(
      `[resume] ${sessions} sessions, ${seen} events seen once each while ${sent} were posted`,
    );
    expect(seen).toBeGreaterThan(50);
    await writer.close();
  }, 30_000);
});
