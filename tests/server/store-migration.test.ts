// A database written by an earlier schema (before reactions, threads and search) opens, is
// upgraded in place, keeps its messages and finds them by search: SQLite 2 → 5 and 4 → 5, PostgreSQL 1 → 4.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/server/store/postgres/index.js';
import { openSqliteStore } from '../../src/server/store/sqlite/index.js';
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
  // Indexed for search by the upgrade, and threads work.
  const hits = await store.searchMessages({ convIds: ['group:old'], words: ['befo'], limit: 5 });
  expect(hits.map((h) => h.messageId)).toEqual([messageId]);
  await store.appendMessage({
    convId: 'group:old',
    sender: { user_id: 'u2', cid: 'c2', displayName: 'Two' },
    clientMsgId: 'old-2',
    body: { text: 'a reply', thread: messageId },
    ts: Date.now(),
  });
  expect((await store.threadSummaries('group:old', [messageId])).get(messageId)?.count).toBe(1);
  // And attachments can be recorded.
  const file = {
    fileId: 'f_1',
    convId: 'group:old',
    uploaderId: 'u1',
    name: 'a.txt',
    type: 'text/plain',
    size: 3,
    sha256: 'x',
    createdAt: 1,
  };
  await store.addFile(file);
  expect(await store.file('f_1')).toEqual(file);
}

describe('schema upgrades for reactions', () => {
  it('SQLite: a schema 2 file becomes 5 and keeps its messages', async () => {
    const file = join(tempDir(), 'parley.db');
    const before = openSqliteStore(file);
    const { messageId } = await post(before);
    await before.close();
    // What a schema 2 file looks like: no reactions column, no thread index, no search index.
    const db = new Database(file);
    db.exec(`DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_update;
             DROP TRIGGER messages_fts_delete; DROP TABLE messages_fts;
             DROP TABLE message_mentions; DROP INDEX messages_by_thread;
             DROP TRIGGER messages_attach_files; DROP TABLE files; DROP TABLE group_events;
             ALTER TABLE groups DROP COLUMN topic; ALTER TABLE users DROP COLUMN avatar;`);
    db.exec('ALTER TABLE messages DROP COLUMN reactions');
    db.pragma('user_version = 2');
    db.close();
    const after = openSqliteStore(file);
    await reactsAfterUpgrade(after, messageId);
    await after.close();
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(5);
    check.close();
  });

  it('SQLite: a schema 4 file (one search index for all) is re-indexed by conversation', async () => {
    const file = join(tempDir(), 'parley.db');
    const before = openSqliteStore(file);
    await post(before);
    await before.close();
    // Schema 4's index: the bare words of every message, and no mentions table.
    const db = new Database(file);
    db.exec(`DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_update;
             DROP TRIGGER messages_fts_delete; DROP TABLE messages_fts; DROP TABLE message_mentions;
             DROP TRIGGER messages_attach_files; DROP INDEX files_by_message;
             DROP INDEX files_by_uploader; DROP INDEX files_unattached;
             ALTER TABLE files DROP COLUMN message_id;
             CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='', contentless_delete=1);
             CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN SELECT 1; END;
             CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN SELECT 1; END;
             CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN SELECT 1; END;
             INSERT INTO messages_fts(rowid, text)
               SELECT rowid, json_extract(body, '$.text') FROM messages WHERE body IS NOT NULL;`);
    db.pragma('user_version = 4');
    db.close();
    const after = openSqliteStore(file);
    const hits = await after.searchMessages({ convIds: ['group:old'], words: ['reac'], limit: 5 });
    expect(hits.map((h) => h.body?.text)).toEqual(['written before reactions']);
    await after.close();
  });

  describe.skipIf(!HAVE_POSTGRES)('PostgreSQL', () => {
    let server: TestPostgres;
    beforeAll(async () => {
      server = await startPostgres();
    }, 30_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('a schema 1 database becomes 4 and keeps its messages', async () => {
      const url = await server.database('migration');
      const before = await openPostgresStore(url);
      const { messageId } = await post(before);
      await before.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(
        'DROP INDEX messages_by_thread; DROP INDEX messages_fts; DROP TABLE files; DROP TABLE group_events; ALTER TABLE groups DROP COLUMN topic; ALTER TABLE users DROP COLUMN avatar',
      );
      await client.query('ALTER TABLE messages DROP COLUMN reactions');
      await client.query('UPDATE parley_schema SET version = 1');
      await client.end();
      const after = await openPostgresStore(url);
      await reactsAfterUpgrade(after, messageId);
      await after.close();
    });
  });
});
