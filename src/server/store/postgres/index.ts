// The Store on PostgreSQL, for several Parley servers sharing one database (cluster mode),
// composed from one repository per domain (the files beside this one, named as in ../sqlite/).
// The same contract as SQLite (tests/server/store-contract.test.ts runs against both).
//
// seq: a counter row per conversation, bumped inside the transaction that writes the event. The
// row lock is held to commit, so seqs are gapless, a rollback gives its seq back, commit order is
// seq order, and a reader that saw seq N can fetch 1..N-1 (shared/reviews/scaleout.md §3.3).
// A SEQUENCE would not do: nextval is not transactional.
//
// Loaded only when a `postgres://` store is asked for, so the embedded server never imports pg.
import pg from 'pg';
import type { Store } from '../store.js';
import { createAppender } from './append.js';
import { postgresConversations } from './conversations.js';
import { postgresFiles } from './files.js';
import { postgresGroups } from './groups.js';
import { postgresHistory } from './history.js';
import { postgresMessages } from './messages.js';
import { postgresNotifications } from './notifications.js';
import { pgQuery, TYPES } from './query.js';
import { migrate } from './schema.js';
import { postgresTokens } from './tokens.js';
import { postgresUsers } from './users.js';

export interface PostgresStoreOptions {
  /** Connections in the pool (default 10). */
  max?: number;
  /**
   * A batch of appends failed and its messages were stored one by one instead: nothing is lost,
   * but a batch that keeps failing costs a round trip per message, so it is worth a log line.
   */
  onBatchError?: (err: unknown, size: number) => void;
}

/** Connects, creates the schema on an empty database, refuses one of another version. */
export async function openPostgresStore(
  url: string,
  opts: PostgresStoreOptions = {},
): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, types: TYPES });
  // A connection the database dropped (restart, failover) is replaced on the next query; the
  // error must not end the process.
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const q = pgQuery(pool);
  let closed: Promise<void> | undefined;
  return {
    ...postgresUsers(q),
    ...postgresTokens(q),
    ...postgresGroups(q),
    ...postgresMessages(q, createAppender(q, opts.onBatchError)),
    ...postgresHistory(q),
    ...postgresConversations(q),
    ...postgresNotifications(q),
    ...postgresFiles(q),
    purgeExpired: async (now) => {
      await pool.query('DELETE FROM revoked_tokens WHERE expires_at < $1', [now]);
      await pool.query('DELETE FROM invites WHERE expires_at < $1', [now]);
    },
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}
