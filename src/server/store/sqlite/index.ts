// The embedded default Store: one SQLite file in WAL mode, through better-sqlite3, composed
// from one repository per domain (the files beside this one).
//
// Durability: a write is committed before the hub replies ok. With synchronous=NORMAL a WAL
// commit survives the death of the process (SIGKILL included) but not a power cut; `fsync: true`
// selects synchronous=FULL for that.
import Database from 'better-sqlite3';
import { asyncStore, type Store, type SyncStore } from '../store.js';
import { sqliteConversations } from './conversations.js';
import { sqliteFiles } from './files.js';
import { sqliteGroups } from './groups.js';
import {
  SEARCH_SQL,
  searchParams,
  sqliteHistory,
  toSearchRow,
  type SearchDbRow,
} from './history.js';
import { sqliteMessages } from './messages.js';
import { sqliteNotifications } from './notifications.js';
import { migrate } from './schema.js';
import { registerSearchFunctions } from './search-index.js';
import { SearchWorker } from './search-worker.js';
import { sqliteTokens } from './tokens.js';
import { sqliteUsers } from './users.js';

/**
 * The server's store: every call answers at once, except searches, which run in a worker thread
 * with their own connection (search-worker.ts) so that one cannot hold the event loop.
 */
export function openSqliteStore(
  file: string,
  opts: { fsync?: boolean; searchDeadlineMs?: number } = {},
): Store {
  const sync = openSqliteSyncStore(file, opts);
  const store = asyncStore(sync);
  const worker = new SearchWorker({
    file,
    sql: SEARCH_SQL,
    ...(opts.searchDeadlineMs !== undefined ? { deadlineMs: opts.searchDeadlineMs } : {}),
  });
  return {
    ...store,
    async searchMessages(s) {
      if (s.words.length === 0 || s.convIds.length === 0) return [];
      const rows = (await worker.run(searchParams(s), s.limit)) as SearchDbRow[];
      return rows.map(toSearchRow);
    },
    async close() {
      await worker.close();
      await store.close();
    },
  };
}

/** The SQLite store as it is: every call answers at once (tests and tools may use it directly). */
export function openSqliteSyncStore(file: string, opts: { fsync?: boolean } = {}): SyncStore {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.fsync ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Freed pages are zeroed, so a removed message's text does not linger in the file (H2).
  db.pragma('secure_delete = ON');
  registerSearchFunctions(db);
  migrate(db, file);

  const { purgeRevoked, ...tokens } = sqliteTokens(db);
  const { purgeInvites, ...groups } = sqliteGroups(db);
  const { compactSearchIndex, ...messages } = sqliteMessages(db);
  return {
    ...sqliteUsers(db),
    ...tokens,
    ...groups,
    ...messages,
    ...sqliteHistory(db),
    ...sqliteConversations(db),
    ...sqliteNotifications(db),
    ...sqliteFiles(db),
    purgeExpired(now) {
      purgeRevoked(now);
      purgeInvites(now);
      compactSearchIndex();
    },
    close() {
      if (db.open) db.close();
    },
  };
}
