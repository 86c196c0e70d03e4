// The search worker against a real SQLite file: answers off the event loop, stops reading at its
// deadline, gives up on a worker stuck in one step, and bounds the searches that wait.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../tests/helpers/test-server.js';
import { StoreBusyError } from '../store.js';
import { SearchWorker } from './search-worker.js';

const workers: SearchWorker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.close();
});

function numbersFile(): string {
  const file = join(tempDir(), 'numbers.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE n (x INTEGER)');
  const insert = db.prepare('INSERT INTO n VALUES (?)');
  db.transaction(() => {
    for (let i = 1; i <= 1000; i++) insert.run(i);
  })();
  db.close();
  return file;
}

function worker(opts: Partial<ConstructorParameters<typeof SearchWorker>[0]> & { sql: string }) {
  const w = new SearchWorker({ file: numbersFile(), ...opts });
  workers.push(w);
  return w;
}

/** Counts up to `n` in one SQLite step: a query that holds its thread for a while. */
const SLOW = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
  SELECT max(x) AS x FROM c`;

describe('SearchWorker', () => {
  it('answers rows, at most the limit', async () => {
    const w = worker({ sql: 'SELECT x FROM n WHERE x > ? ORDER BY x' });
    expect(await w.run([990], 100)).toEqual([...Array(10)].map((_, i) => ({ x: 991 + i })));
    expect(await w.run([0], 3)).toHaveLength(3);
  });

  it('stops reading at its deadline and answers what it found', async () => {
    const w = worker({ sql: 'SELECT x FROM n ORDER BY x', deadlineMs: 0 });
    expect(await w.run([], 1000)).toEqual([{ x: 1 }]);
  });

  it('runs off the event loop; a worker stuck in one step is abandoned, the next search works', async () => {
    const w = worker({ sql: SLOW, deadlineMs: 0, abandonAfterMs: 300 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await expect(w.run([6_000_000], 1)).rejects.toBeInstanceOf(StoreBusyError);
    } finally {
      clearInterval(timer);
    }
    // On the event loop, not one timer could have fired while SQLite counted.
    expect(ticks).toBeGreaterThan(10);
    expect(await w.run([10], 1)).toEqual([{ x: 10 }]);
  });

  it('refuses searches past the waiting bound with a busy error', async () => {
    const w = worker({ sql: SLOW, maxWaiting: 1 });
    const first = w.run([2_000_000], 1);
    const second = w.run([10], 1);
    await expect(w.run([10], 1)).rejects.toBeInstanceOf(StoreBusyError);
    expect(await first).toEqual([{ x: 2_000_000 }]);
    expect(await second).toEqual([{ x: 10 }]);
  });
});
