// A database written by the previous schema (before reactions) opens, is upgraded in place, and
// keeps its messages: SQLite 2 → 3, PostgreSQL 1 → 2.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/server/store/postgres.js';
import { openSqliteStore } from '../../src/server/store/sqlite.js';
import type { Store } from '../../src/server/store/store.js';
import { HAVE_POSTGRES, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/test-server.js';

const post = (store: Store) =>
  store.appendMessage({
    convId: 'group:old',
    sender: { user_id: 'u1', cid: 'c1', displayName: 'One' },
    clientMsgId: 'old-1',
    body: { text: 'written before reactions' },
    ts: Date.now(),
  });

async function reactsAfterUpgrade(store: Store, messageId: string): Promise<void> {
  const r = await store.react(messageId, 'u2', '👍', true, Date.now());
  expect(r).toMatchObject({ changed: true, seq: 2 });
  const [m] = await store.history('group:old', { limit: 1 });
  expect(m).toMatchObject({
    body: { text: 'written before reactions' },
    reactions: [{ emoji: '👍', user_ids: ['u2'] }],
  });
}

describe('schema upgrades for reactions', () => {
  it('SQLite: a schema 2 file becomes 3 and keeps its messages', async () => {
    const file = join(tempDir(), 'parley.db');
    const before = openSqliteStore(file);
    const { messageId } = await post(before);
    await before.close();
    // What a schema 2 file looks like: no reactions column.
    const db = new Database(file);
    db.exec('ALTER TABLE messages DROP COLUMN reactions');
    db.pragma('user_version = 2');
    db.close();
    const after = openSqliteStore(file);
    await reactsAfterUpgrade(after, messageId);
    await after.close();
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(3);
    check.close();
  });

  describe.skipIf(!HAVE_POSTGRES)('PostgreSQL', () => {
    let server: TestPostgres;
    beforeAll(async () => {
      server = await startPostgres();
    }, 30_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('a schema 1 database becomes 2 and keeps its messages', async () => {
      const url = await server.database('migration');
      const before = await openPostgresStore(url);
      const { messageId } = await post(before);
      await before.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('ALTER TABLE messages DROP COLUMN reactions');
      await client.query('UPDATE parley_schema SET version = 1');
      await client.end();
      const after = await openPostgresStore(url);
      await reactsAfterUpgrade(after, messageId);
      await after.close();
    });
  });
});
