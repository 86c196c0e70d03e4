// Security review 3, F5 and F6, on the embedded SQLite store: a search walks only the index of
// the conversations the user may read, so its time tells nothing of what others wrote. (The
// benchmark, `npm run bench:search`, measures the cost at 1,000,000 messages.)
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openSqliteSyncStore } from '../../src/server/store/sqlite/index.js';
import { tempDir } from '../helpers/test-server.js';
import { testScope } from '../helpers/test-scope.js';

const scope = testScope();

/** 40,000 messages saying "merger", in 20 private conversations nobody in the test can read. */
function seedOthersSecrets(dataDir: string): void {
  const store = openSqliteSyncStore(join(dataDir, 'parley.db'));
  for (let i = 0; i < 40_000; i++) {
    store.appendMessage({
      convId: `group:board-${i % 20}`,
      sender: { user_id: 'u_board', cid: 'seed', displayName: 'Board' },
      clientMsgId: `seed-${i}`,
      body: { text: `the merger price is ${i} per share` },
      ts: Date.now(),
    });
  }
  store.close();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

it('F6: a word frequent in conversations the user cannot read costs no more than an absent one', async () => {
  const dataDir = tempDir();
  seedOthersSecrets(dataDir);
  const s = await scope.server(
    { limits: { requestsPerSecond: 10_000, requestBurst: 10_000 } },
    { dataDir },
  );
  const mallory = await scope.client(s, 'mallory');
  await mallory.ok('join', { group: 'mine' });
  await mallory.ok('post', { to: { group: 'mine' }, body: { text: 'hello' }, clientMsgId: 'h' });

  const timed = async (query: string) => {
    const t0 = performance.now();
    const r = await mallory.ok<{ results: unknown[] }>('search', { query });
    expect(r.results).toEqual([]);
    return performance.now() - t0;
  };
  const frequent: number[] = [];
  const absent: number[] = [];
  await timed('merger'); // warm-up: the index's pages into the cache
  // Interleaved, so both meet the same moments of a shared machine.
  for (let i = 0; i < 15; i++) {
    frequent.push(await timed('merger'));
    absent.push(await timed('mergex'));
  }
  // Before the fix the frequent word walked 40,000 unreadable hits: median 11.7 ms against
  // 0.6 ms here (it failed this line); now neither walks any (0.68 and 0.72 ms). The slack
  // covers a busy machine, not a walk.
  expect(median(frequent)).toBeLessThan(2 * median(absent) + 3);
  // Seeding 40,000 indexed messages one append at a time takes 14 s on a quiet 2-core machine
  // and 24 s while the rest of the suite runs beside it (the default 20 s was too little).
}, 90_000);
