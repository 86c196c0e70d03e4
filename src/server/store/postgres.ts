// The Store on PostgreSQL, for several Parley servers sharing one database (cluster mode). The
// same contract as SQLite (tests/server/store-contract.test.ts runs against both).
//
// seq: a counter row per conversation, bumped inside the transaction that writes the event. The
// row lock is held to commit, so seqs are gapless, a rollback gives its seq back, commit order is
// seq order, and a reader that saw seq N can fetch 1..N-1 (shared/reviews/scaleout.md §3.3).
// A SEQUENCE would not do: nextval is not transactional.
//
// Loaded only when a `postgres://` store is asked for, so the embedded server never imports pg.
import pg from 'pg';
import type { GroupSummary, ThreadSummary } from '../../shared/protocol.js';
import { mentionPatternPostgres } from '../../shared/mentions.js';
import { UNREAD_CAP } from '../../shared/protocol.js';
import { GroupCommit } from './group-commit.js';
import {
  applyReaction,
  newId,
  reactionsOf,
  sendEventData,
  toFile,
  toHistory,
  toMessage,
  toUser,
  type FileRow,
  type MessageRow,
  type UserRow,
} from './rows.js';
import type {
  AppendMessage,
  AppendResult,
  ConversationRow,
  GroupQuery,
  QueueCaps,
  SearchRow,
  Store,
  StoredEvent,
} from './store.js';

const SCHEMA_VERSION = 3;

/**
 * New in schema 3: attachments (`files`; their bytes are in the BlobStore), and indexes for threads (replies name their root in the body, written by the
 * server) and full-text search over the text of messages (GIN on a 'simple' tsvector: no
 * stemming, any language; a removed message has no body and drops out).
 */
const V3_INDEXES = `
CREATE INDEX messages_by_thread ON messages (conv_id, (body->>'thread'), seq);
CREATE INDEX messages_fts ON messages USING gin (to_tsvector('simple', body->>'text'));
ALTER TABLE groups ADD COLUMN topic text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN avatar text;
CREATE TABLE group_events (
  group_name text COLLATE "C" NOT NULL,
  ts         bigint NOT NULL,
  user_id    text NOT NULL,
  action     text NOT NULL,
  topic      text
);
CREATE INDEX group_events_by_ts ON group_events (group_name, ts);
CREATE TABLE files (
  file_id     text PRIMARY KEY,
  conv_id     text COLLATE "C" NOT NULL,
  uploader_id text NOT NULL,
  name        text NOT NULL,
  type        text NOT NULL,
  size        bigint NOT NULL,
  sha256      text NOT NULL,
  created_at  bigint NOT NULL
);
`;

/** Names compare by code point (`COLLATE "C"`), as protocol.md promises for group names. */
const SCHEMA = `
CREATE TABLE parley_schema (version integer NOT NULL);
CREATE TABLE users (
  user_id       text PRIMARY KEY,
  username      text NOT NULL,
  display_name  text NOT NULL,
  pass_hash     text NOT NULL,
  is_admin      boolean NOT NULL DEFAULT false,
  status        text NOT NULL DEFAULT 'online',
  status_text   text,
  created_at    bigint NOT NULL,
  token_version integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_by_name ON users (lower(username));
CREATE TABLE groups (
  name         text COLLATE "C" PRIMARY KEY,
  member_count integer NOT NULL DEFAULT 0,
  created_at   bigint NOT NULL,
  private      boolean NOT NULL DEFAULT false
);
CREATE INDEX groups_by_count ON groups (member_count, name);
CREATE TABLE memberships (
  group_name text COLLATE "C" NOT NULL REFERENCES groups (name),
  user_id    text NOT NULL REFERENCES users (user_id),
  joined_at  bigint NOT NULL,
  PRIMARY KEY (group_name, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id, group_name);
CREATE TABLE conversations (
  conv_id  text COLLATE "C" PRIMARY KEY,
  last_seq bigint NOT NULL DEFAULT 0,
  last_ts  bigint NOT NULL DEFAULT 0,
  user_a   text,
  user_b   text,
  a_posted boolean NOT NULL DEFAULT false,
  b_posted boolean NOT NULL DEFAULT false
);
CREATE INDEX conversations_by_a ON conversations (user_a) WHERE user_a IS NOT NULL;
CREATE INDEX conversations_by_b ON conversations (user_b) WHERE user_b IS NOT NULL;
CREATE INDEX conversations_by_ts ON conversations (last_ts);
CREATE TABLE messages (
  message_id    text PRIMARY KEY,
  conv_id       text COLLATE "C" NOT NULL,
  seq           bigint NOT NULL,
  last_seq      bigint NOT NULL,
  sender_id     text NOT NULL,
  sender_name   text NOT NULL,
  client_msg_id text NOT NULL,
  body          jsonb,
  ts            bigint NOT NULL,
  edited_ts     bigint,
  removed       boolean NOT NULL DEFAULT false,
  reactions     jsonb,
  UNIQUE (sender_id, client_msg_id)
);
CREATE INDEX messages_by_seq ON messages (conv_id, seq);
CREATE INDEX messages_by_last_seq ON messages (conv_id, last_seq);
CREATE TABLE events (
  conv_id      text COLLATE "C" NOT NULL,
  seq          bigint NOT NULL,
  event        text NOT NULL,
  data         jsonb NOT NULL,
  message_id   text,
  committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (conv_id, seq)
);
CREATE INDEX events_by_message ON events (message_id) WHERE message_id IS NOT NULL;
CREATE TABLE reads (
  user_id text NOT NULL,
  conv_id text COLLATE "C" NOT NULL,
  seq     bigint NOT NULL,
  PRIMARY KEY (user_id, conv_id)
);
CREATE TABLE queued_notifications (
  id        bigserial PRIMARY KEY,
  user_id   text NOT NULL,
  data      jsonb NOT NULL,
  ts        bigint NOT NULL,
  sender_id text
);
CREATE INDEX queued_by_user ON queued_notifications (user_id, id);
CREATE TABLE revoked_tokens (jti text PRIMARY KEY, expires_at bigint NOT NULL);
CREATE TABLE invites (
  code       text PRIMARY KEY,
  group_name text COLLATE "C" NOT NULL REFERENCES groups (name),
  created_by text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX invites_by_group ON invites (group_name);
${V3_INDEXES}
INSERT INTO parley_schema (version) VALUES (${SCHEMA_VERSION});
`;

/** Schema 1 → 2: reactions, a message's current list (null when there are none). */
const MIGRATE_1_TO_2 = `
ALTER TABLE messages ADD COLUMN reactions jsonb;
UPDATE parley_schema SET version = 2;
`;

const MIGRATE_2_TO_3 = `
${V3_INDEXES}
UPDATE parley_schema SET version = 3;
`;

/**
 * Appends messages in one call and one transaction (group commit, see group-commit.ts), per item:
 * the conversation's counter (created with the first message; a dm also records who has
 * written), the message and its event. The counter row stays locked to commit, so seqs are
 * gapless and in commit order. Items are taken in conversation order so two
 * batches lock counter rows in the same order (no deadlock between them); an item whose
 * (sender, clientMsgId) is stored already, or earlier in the batch, writes nothing and answers
 * the stored message. A duplicate committed meanwhile by another transaction still fails the
 * batch with a unique violation: the caller then appends each item alone.
 *
 * `use_column`: the result's names (seq, ts, ...) are also the tables' columns, and a bare name
 * in a statement means the column. Functions are code, not data: replaced at every start,
 * whatever the schema version.
 */
const FUNCTIONS = `
CREATE OR REPLACE FUNCTION parley_append_messages(batch jsonb)
RETURNS TABLE (ord integer, message_id text, conv_id text, seq bigint, ts bigint, duplicate boolean)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  item jsonb;
  i integer;
  s bigint;
  seen record;
BEGIN
  FOR item, i IN
    SELECT value, ordinality::integer FROM jsonb_array_elements(batch) WITH ORDINALITY
    ORDER BY value->>'conv' COLLATE "C", ordinality
  LOOP
    SELECT m.message_id, m.conv_id, m.seq, m.ts INTO seen FROM messages m
      WHERE m.sender_id = item->>'sender' AND m.client_msg_id = item->>'cmid';
    IF FOUND THEN
      RETURN QUERY SELECT i, seen.message_id, seen.conv_id::text, seen.seq, seen.ts, true;
      CONTINUE;
    END IF;
    INSERT INTO conversations AS c (conv_id, last_seq, last_ts, user_a, user_b, a_posted, b_posted)
    VALUES (item->>'conv', 1, (item->>'ts')::bigint, item->>'a', item->>'b',
            COALESCE(item->>'a' = item->>'sender', false),
            COALESCE(item->>'b' = item->>'sender', false))
    ON CONFLICT (conv_id) DO UPDATE SET
      last_seq = c.last_seq + 1,
      last_ts = excluded.last_ts,
      a_posted = c.a_posted OR COALESCE(c.user_a = item->>'sender', false),
      b_posted = c.b_posted OR COALESCE(c.user_b = item->>'sender', false)
    RETURNING c.last_seq INTO s;
    INSERT INTO messages (message_id, conv_id, seq, last_seq, sender_id, sender_name,
                          client_msg_id, body, ts)
    VALUES (item->>'id', item->>'conv', s, s, item->>'sender', item->>'name', item->>'cmid',
            item->'body', (item->>'ts')::bigint);
    INSERT INTO events (conv_id, seq, event, data, message_id)
    VALUES (item->>'conv', s, 'message:send', item->'data', item->>'id');
    RETURN QUERY SELECT i, item->>'id', item->>'conv', s, (item->>'ts')::bigint, false;
  END LOOP;
END
$fn$;
`;

/** Every `bigint` here is a count, a seq or a millisecond time: well within 2^53. */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** Same unique-key answer as SQLite's ON CONFLICT paths. */
const UNIQUE_VIOLATION = '23505';
/** The advisory lock under which the first account is made administrator (one admin only). */
const FIRST_ACCOUNT_LOCK = 7420_0001;

type Queryable = Pick<pg.PoolClient, 'query'>;

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

  async function one<R extends pg.QueryResultRow>(
    sql: string,
    args: unknown[] = [],
    db: Queryable = pool,
  ): Promise<R | undefined> {
    return (await db.query<R>(sql, args)).rows[0];
  }

  async function all<R extends pg.QueryResultRow>(
    sql: string,
    args: unknown[] = [],
    db: Queryable = pool,
  ): Promise<R[]> {
    return (await db.query<R>(sql, args)).rows;
  }

  async function tx<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Takes the conversation's next seq (the row stays locked to commit) and writes the event. */
  async function appendEvent(
    db: Queryable,
    convId: string,
    event: string,
    data: { messageId: string; [key: string]: unknown },
    ts: number,
  ): Promise<number> {
    const row = await one<{ last_seq: number }>(
      `UPDATE conversations SET last_seq = last_seq + 1, last_ts = $2 WHERE conv_id = $1
       RETURNING last_seq`,
      [convId, ts],
      db,
    );
    if (!row) throw new Error(`conversation ${convId} does not exist`);
    await db.query(
      'INSERT INTO events (conv_id, seq, event, data, message_id) VALUES ($1, $2, $3, $4, $5)',
      [convId, row.last_seq, event, JSON.stringify(data), data.messageId],
    );
    return row.last_seq;
  }

  /** A message the hub has already checked exists (edit, removal), inside their transaction. */
  async function messageRow(db: Queryable, messageId: string): Promise<MessageRow> {
    const row = await one<MessageRow>(
      'SELECT * FROM messages WHERE message_id = $1',
      [messageId],
      db,
    );
    if (!row) throw new Error(`message ${messageId} does not exist`);
    return row;
  }

  async function storedDuplicate(m: AppendMessage): Promise<AppendResult | undefined> {
    const seen = await one<MessageRow>(
      'SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2',
      [m.sender.user_id, m.clientMsgId],
    );
    return seen
      ? {
          messageId: seen.message_id,
          convId: seen.conv_id,
          seq: seen.seq,
          ts: seen.ts,
          duplicate: true,
        }
      : undefined;
  }

  /**
   * One message alone: a lone post's batch, or each message of a batch that failed. A duplicate
   * committed meanwhile by another connection or server fails it with a unique violation:
   * nothing was written, so it answers the stored one.
   */
  async function appendOne(m: AppendMessage): Promise<AppendResult> {
    try {
      return (await appendBatch([m]))[0]!;
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        const stored = await storedDuplicate(m);
        if (stored) return stored;
      }
      throw err;
    }
  }

  /** Many messages in one call and one transaction (group commit); see FUNCTIONS. */
  async function appendBatch(items: AppendMessage[]): Promise<AppendResult[]> {
    const rows = await all<{
      ord: number;
      message_id: string;
      conv_id: string;
      seq: number;
      ts: number;
      duplicate: boolean;
    }>('SELECT * FROM parley_append_messages($1::jsonb)', [
      JSON.stringify(
        items.map((m) => {
          const id = newId('m');
          return {
            conv: m.convId,
            ts: m.ts,
            a: m.dmPair?.[0] ?? null,
            b: m.dmPair?.[1] ?? null,
            sender: m.sender.user_id,
            id,
            name: m.sender.displayName,
            cmid: m.clientMsgId,
            body: m.body,
            data: sendEventData(id, m),
          };
        }),
      ),
    ]);
    const byOrd = new Map(rows.map((r) => [r.ord, r]));
    return items.map((_, i) => {
      const r = byOrd.get(i + 1);
      if (!r) throw new Error('a batched append answered fewer rows than it was given');
      return {
        messageId: r.message_id,
        convId: r.conv_id,
        seq: r.seq,
        ts: r.ts,
        duplicate: r.duplicate,
      };
    });
  }

  // One batch at a time keeps appends in the order they were asked for; under load a batch
  // takes whatever arrived during the previous one's round trip.
  const appends = new GroupCommit(appendBatch, appendOne, {
    maxBatch: 200,
    ...(opts.onBatchError ? { onBatchError: opts.onBatchError } : {}),
  });

  async function searchGroups(query: GroupQuery): Promise<GroupSummary[]> {
    const args: unknown[] = [query.viewer];
    const arg = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    const where = [
      '(private = false OR name IN (SELECT group_name FROM memberships WHERE user_id = $1))',
    ];
    const byCount = query.searchFor === 'number_of_users';
    const column = byCount ? 'member_count' : 'name';
    const value = (v: string | number) => (byCount ? Number(v) : String(v));
    if (query.value !== undefined) {
      if (query.range !== undefined) {
        where.push(
          `${column} >= ${arg(value(query.value))} AND ${column} <= ${arg(value(query.range))}`,
        );
      } else if (query.condition !== undefined) {
        where.push(`${column} ${query.condition} ${arg(value(query.value))}`);
      } else if (!byCount) {
        // A prefix match, with % and _ in the name taken literally.
        const prefix = String(query.value).replace(/[\\%_]/g, (c) => `\\${c}`);
        where.push(`name LIKE ${arg(`${prefix}%`)}`);
      } else {
        where.push(`member_count = ${arg(Number(query.value))}`);
      }
    }
    if (query.after !== undefined) where.push(`name > ${arg(query.after)}`);
    const rows = await all<{ name: string; member_count: number; topic: string }>(
      `SELECT name, member_count, topic FROM groups WHERE ${where.join(' AND ')}
       ORDER BY name LIMIT ${arg(query.limit)}`,
      args,
    );
    return rows.map((r) => ({
      group: r.name,
      number_of_users: r.member_count,
      ...(r.topic ? { topic: r.topic } : {}),
    }));
  }

  let closed: Promise<void> | undefined;
  return {
    createUser: (u) =>
      tx(async (db) => {
        await db.query('SELECT pg_advisory_xact_lock($1)', [FIRST_ACCOUNT_LOCK]);
        if (await one('SELECT 1 FROM users WHERE lower(username) = lower($1)', [u.username], db)) {
          return null;
        }
        // The first account of a fresh server administers it; the lock makes "first" one account
        // even when several servers take sign-ups at once.
        const isAdmin = !(await one('SELECT 1 FROM users LIMIT 1', [], db));
        const row = await one<UserRow>(
          `INSERT INTO users (user_id, username, display_name, pass_hash, is_admin, created_at)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
          [newId('u'), u.username, u.displayName, u.passHash, isAdmin, Date.now()],
          db,
        );
        return toUser(row)!;
      }),
    userByName: async (username) =>
      toUser(
        await one<UserRow>('SELECT * FROM users WHERE lower(username) = lower($1)', [username]),
      ),
    userById: async (userId) =>
      toUser(await one<UserRow>('SELECT * FROM users WHERE user_id = $1', [userId])),
    setPresence: async (userId, status, text) => {
      await pool.query('UPDATE users SET status = $1, status_text = $2 WHERE user_id = $3', [
        status,
        text,
        userId,
      ]);
    },
    setDisplayName: async (userId, name) => {
      await pool.query('UPDATE users SET display_name = $1 WHERE user_id = $2', [name, userId]);
    },
    setAvatar: async (userId, avatar) =>
      (
        await one<{ old: string | null }>(
          `UPDATE users u SET avatar = $1 FROM (SELECT avatar FROM users WHERE user_id = $2 FOR UPDATE) o
           WHERE u.user_id = $2 RETURNING o.avatar AS old`,
          [avatar, userId],
        )
      )?.old ?? null,
    setPassword: async (userId, passHash) =>
      (
        await one<{ token_version: number }>(
          `UPDATE users SET pass_hash = $1, token_version = token_version + 1 WHERE user_id = $2
           RETURNING token_version`,
          [passHash, userId],
        )
      )?.token_version ?? 0,
    bumpTokenVersion: async (userId) =>
      (
        await one<{ token_version: number }>(
          'UPDATE users SET token_version = token_version + 1 WHERE user_id = $1 RETURNING token_version',
          [userId],
        )
      )?.token_version ?? 0,
    revokeToken: async (jti, expiresAt) => {
      await pool.query(
        'INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [jti, expiresAt],
      );
    },
    isRevoked: async (jti) =>
      Boolean(await one('SELECT 1 FROM revoked_tokens WHERE jti = $1', [jti])),
    purgeExpired: async (now) => {
      await pool.query('DELETE FROM revoked_tokens WHERE expires_at < $1', [now]);
      await pool.query('DELETE FROM invites WHERE expires_at < $1', [now]);
    },

    joinGroup: (group, userId, isPrivate = false) =>
      tx(async (db) => {
        await db.query(
          `INSERT INTO groups (name, member_count, created_at, private) VALUES ($1, 0, $2, $3)
           ON CONFLICT DO NOTHING`,
          [group, Date.now(), isPrivate],
        );
        const inserted = await db.query(
          `INSERT INTO memberships (group_name, user_id, joined_at) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING`,
          [group, userId, Date.now()],
        );
        const changed = inserted.rowCount === 1;
        const row = await one<{ member_count: number }>(
          changed
            ? 'UPDATE groups SET member_count = member_count + 1 WHERE name = $1 RETURNING member_count'
            : 'SELECT member_count FROM groups WHERE name = $1',
          [group],
          db,
        );
        return { changed, members: row!.member_count };
      }),
    leaveGroup: (group, userId) =>
      tx(async (db) => {
        const gone = await db.query(
          'DELETE FROM memberships WHERE group_name = $1 AND user_id = $2',
          [group, userId],
        );
        if (gone.rowCount === 0) return null;
        const row = await one<{ member_count: number }>(
          'UPDATE groups SET member_count = member_count - 1 WHERE name = $1 RETURNING member_count',
          [group],
          db,
        );
        return { members: row!.member_count };
      }),
    groupMembers: async (group) => {
      if (!(await one('SELECT 1 FROM groups WHERE name = $1', [group]))) return undefined;
      const rows = await all<{ user_id: string }>(
        'SELECT user_id FROM memberships WHERE group_name = $1',
        [group],
      );
      return rows.map((r) => r.user_id);
    },
    userGroups: async (userId) =>
      (
        await all<{ group_name: string }>(
          'SELECT group_name FROM memberships WHERE user_id = $1 ORDER BY group_name',
          [userId],
        )
      ).map((r) => r.group_name),
    isMember: async (group, userId) =>
      Boolean(
        await one('SELECT 1 FROM memberships WHERE group_name = $1 AND user_id = $2', [
          group,
          userId,
        ]),
      ),
    searchGroups,
    memberCount: async (group) =>
      (
        await one<{ member_count: number }>('SELECT member_count FROM groups WHERE name = $1', [
          group,
        ])
      )?.member_count,
    group: async (name, viewer) => {
      const r = await one<{
        member_count: number;
        private: boolean;
        member: boolean;
        topic: string;
      }>(
        `SELECT member_count, private, topic,
           EXISTS (SELECT 1 FROM memberships WHERE group_name = name AND user_id = $2) AS member
         FROM groups WHERE name = $1`,
        [name, viewer],
      );
      return r
        ? { members: r.member_count, private: r.private, member: r.member, topic: r.topic }
        : undefined;
    },
    createInvite: async (code, group, createdBy, expiresAt) => {
      await pool.query(
        'INSERT INTO invites (code, group_name, created_by, expires_at) VALUES ($1, $2, $3, $4)',
        [code, group, createdBy, expiresAt],
      );
    },
    inviteGroup: async (code, now) =>
      (
        await one<{ group_name: string }>(
          'SELECT group_name FROM invites WHERE code = $1 AND expires_at > $2',
          [code, now],
        )
      )?.group_name,

    appendMessage: (m) => appends.submit(m),
    message: async (messageId) => {
      const r = await one<MessageRow>('SELECT * FROM messages WHERE message_id = $1', [messageId]);
      return r ? toMessage(r) : undefined;
    },
    editMessage: (messageId, body, ts) =>
      tx(async (db) => {
        const msg = await messageRow(db, messageId);
        const seq = await appendEvent(
          db,
          msg.conv_id,
          'message:updated',
          { messageId, ts, body },
          ts,
        );
        await db.query(
          'UPDATE messages SET body = $1, edited_ts = $2, last_seq = $3 WHERE message_id = $4',
          [JSON.stringify(body), ts, seq, messageId],
        );
        // Every earlier stored version takes the current body (security review H2).
        await db.query(
          `UPDATE events SET data = jsonb_set(data, '{body}', $1::jsonb) - 'notification'
           WHERE message_id = $2 AND seq < $3 AND conv_id = $4`,
          [JSON.stringify(body), messageId, seq, msg.conv_id],
        );
        return { seq };
      }),
    removeMessage: (messageId, ts) =>
      tx(async (db) => {
        const msg = await messageRow(db, messageId);
        const seq = await appendEvent(db, msg.conv_id, 'message:removed', { messageId, ts }, ts);
        await db.query(
          `UPDATE messages SET body = NULL, removed = true, reactions = NULL, last_seq = $1
           WHERE message_id = $2`,
          [seq, messageId],
        );
        // Only the tombstone stays (H2). The old row versions are dead tuples until VACUUM.
        await db.query(
          `UPDATE events SET data = jsonb_set(jsonb_set(data - 'notification', '{body}', 'null'),
             '{removed}', 'true') WHERE message_id = $1 AND event = 'message:send'`,
          [messageId],
        );
        await db.query(
          `UPDATE events SET data = jsonb_set(data, '{body}', 'null')
           WHERE message_id = $1 AND event = 'message:updated'`,
          [messageId],
        );
        return { seq };
      }),
    react: (messageId, userId, emoji, on, ts) =>
      tx(async (db) => {
        // Two reactions at once must not both start from the same list. Every change to a
        // message first locks its conversation's counter (appendEvent), so lock that row, then
        // read the message again: the same lock order as edit and remove, so no deadlock.
        const { conv_id: convId } = await messageRow(db, messageId);
        await db.query('SELECT 1 FROM conversations WHERE conv_id = $1 FOR UPDATE', [convId]);
        const msg = await messageRow(db, messageId);
        const current = reactionsOf(msg);
        const next = applyReaction(current, userId, emoji, on);
        if (next === 'full') return 'full' as const;
        if (next === 'unchanged') return { changed: false, seq: msg.last_seq, reactions: current };
        const seq = await appendEvent(
          db,
          msg.conv_id,
          'message:reactions',
          { messageId, ts, reactions: next },
          ts,
        );
        await db.query('UPDATE messages SET reactions = $1, last_seq = $2 WHERE message_id = $3', [
          next.length ? JSON.stringify(next) : null,
          seq,
          messageId,
        ]);
        return { changed: true, seq, reactions: next };
      }),
    async history(convId, page) {
      if (page.thread !== undefined) {
        if (page.after !== undefined) {
          const rows = await all<MessageRow>(
            `SELECT * FROM messages WHERE conv_id = $1 AND body->>'thread' = $2 AND seq > $3
             ORDER BY seq ASC LIMIT $4`,
            [convId, page.thread, page.after, page.limit],
          );
          return rows.map(toHistory);
        }
        const rows = await all<MessageRow>(
          `SELECT * FROM messages WHERE conv_id = $1 AND body->>'thread' = $2 AND seq < $3
           ORDER BY seq DESC LIMIT $4`,
          [convId, page.thread, page.before ?? Number.MAX_SAFE_INTEGER, page.limit],
        );
        return rows.map(toHistory).reverse();
      }
      if (page.after !== undefined) {
        const rows = await all<MessageRow>(
          `SELECT * FROM messages WHERE conv_id = $1 AND last_seq > $2 ORDER BY last_seq ASC LIMIT $3`,
          [convId, page.after, page.limit],
        );
        return rows.map(toHistory);
      }
      const rows = await all<MessageRow>(
        'SELECT * FROM messages WHERE conv_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3',
        [convId, page.before ?? Number.MAX_SAFE_INTEGER, page.limit],
      );
      return rows.map(toHistory).reverse();
    },
    async threadSummaries(convId, rootIds) {
      const out = new Map<string, ThreadSummary>();
      if (rootIds.length === 0) return out;
      const rows = await all<{ root: string; n: string; last_seq: string; last_ts: string }>(
        `SELECT body->>'thread' AS root, count(*) AS n, max(seq) AS last_seq, max(ts) AS last_ts
           FROM messages WHERE conv_id = $1 AND body->>'thread' = ANY($2::text[])
          GROUP BY root`,
        [convId, rootIds],
      );
      for (const r of rows) {
        out.set(r.root, {
          count: Number(r.n),
          lastSeq: Number(r.last_seq),
          lastTs: Number(r.last_ts),
        });
      }
      return out;
    },
    async searchMessages(q): Promise<SearchRow[]> {
      if (q.words.length === 0 || q.convIds.length === 0) return [];
      // Words are letters and digits only (searchWords), quoted anyway; each a prefix.
      const tsquery = q.words.map((w) => `'${w.replaceAll("'", "''")}':*`).join(' & ');
      const [ts, id] = q.before?.split(':') ?? [];
      const rows = await all<MessageRow>(
        `SELECT * FROM messages
          WHERE to_tsvector('simple', body->>'text') @@ to_tsquery('simple', $1)
            AND conv_id = ANY($2::text[])
            AND (ts, message_id) < ($3::bigint, $4::text)
          ORDER BY ts DESC, message_id DESC LIMIT $5`,
        [
          tsquery,
          q.convIds,
          ts && /^\d+$/.test(ts) ? ts : String(Number.MAX_SAFE_INTEGER),
          id ?? '',
          q.limit,
        ],
      );
      return rows.map((r) => ({
        ...toHistory(r),
        convId: r.conv_id,
        cursor: `${r.ts}:${r.message_id}`,
      }));
    },
    logGroupEvent: (group, e) =>
      tx(async (db) => {
        await db.query(
          `INSERT INTO group_events (group_name, ts, user_id, action, topic)
           VALUES ($1, $2, $3, $4, $5)`,
          [group, e.ts, e.userId, e.action, e.topic ?? null],
        );
        if (e.action === 'topic') {
          await db.query('UPDATE groups SET topic = $1 WHERE name = $2', [e.topic ?? '', group]);
        }
      }),
    groupEvents: async (group, fromTs, toTs, limit) =>
      (
        await all<{
          ts: string;
          user_id: string;
          display_name: string | null;
          action: string;
          topic: string | null;
        }>(
          `SELECT e.ts, e.user_id, u.display_name, e.action, e.topic
             FROM group_events e LEFT JOIN users u ON u.user_id = e.user_id
            WHERE e.group_name = $1 AND e.ts >= $2 AND e.ts <= $3 ORDER BY e.ts LIMIT $4`,
          [group, fromTs, toTs, limit],
        )
      ).map((r) => ({
        ts: Number(r.ts),
        userId: r.user_id,
        displayName: r.display_name ?? 'Someone',
        action: r.action as 'joined' | 'left' | 'topic',
        ...(r.topic !== null ? { topic: r.topic } : {}),
      })),
    addFile: async (f) => {
      await pool.query(
        `INSERT INTO files (file_id, conv_id, uploader_id, name, type, size, sha256, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [f.fileId, f.convId, f.uploaderId, f.name, f.type, f.size, f.sha256, f.createdAt],
      );
    },
    file: async (fileId) =>
      toFile(await one<FileRow>('SELECT * FROM files WHERE file_id = $1', [fileId])),
    searchPeople: async (prefix, limit) => {
      const p = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
      const rows = await all<UserRow>(
        `SELECT * FROM users
          WHERE username ILIKE $1 OR display_name ILIKE $1 OR display_name ILIKE $2
          ORDER BY username LIMIT $3`,
        [`${p}%`, `% ${p}%`, limit],
      );
      return rows.map((r) => ({
        userId: r.user_id,
        username: r.username,
        displayName: r.display_name,
      }));
    },
    eventsAfter: async (convId, seq, limit): Promise<StoredEvent[]> =>
      (
        await all<{ seq: number; event: StoredEvent['event']; data: Record<string, unknown> }>(
          'SELECT seq, event, data FROM events WHERE conv_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
          [convId, seq, limit],
        )
      ).map((r) => ({ seq: r.seq, event: r.event, data: r.data })),
    lastSeq: async (convId) =>
      (
        await one<{ last_seq: number }>('SELECT last_seq FROM conversations WHERE conv_id = $1', [
          convId,
        ])
      )?.last_seq ?? 0,
    conversationExists: async (convId) =>
      Boolean(await one('SELECT 1 FROM conversations WHERE conv_id = $1', [convId])),
    dmAccepted: async (convId) =>
      (
        await one<{ accepted: boolean }>(
          'SELECT a_posted AND b_posted AS accepted FROM conversations WHERE conv_id = $1',
          [convId],
        )
      )?.accepted === true,
    markRead: async (userId, convId, seq) =>
      (
        await one<{ seq: number }>(
          `INSERT INTO reads AS r (user_id, conv_id, seq) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, conv_id) DO UPDATE SET seq = greatest(r.seq, excluded.seq)
           RETURNING seq`,
          [userId, convId, seq],
        )
      )?.seq ?? seq,
    conversationsOf: async (userId, username): Promise<ConversationRow[]> =>
      (
        await all<{
          conv_id: string;
          last_seq: number;
          last_ts: number;
          read_seq: number | null;
          unread: number;
          mentions: number;
        }>(
          `SELECT c.conv_id, c.last_seq, c.last_ts, r.seq AS read_seq,
                  (SELECT count(*) FROM (SELECT 1 FROM messages m
                    WHERE m.conv_id = c.conv_id AND m.seq > coalesce(r.seq, 0)
                      AND m.sender_id <> $1 AND NOT m.removed AND NOT (m.body ? 'thread')
                      LIMIT ${UNREAD_CAP}) AS u) AS unread,
                  (SELECT count(*) FROM (SELECT 1 FROM messages m
                    WHERE m.conv_id = c.conv_id AND m.seq > coalesce(r.seq, 0)
                      AND m.sender_id <> $1 AND NOT m.removed AND NOT (m.body ? 'thread')
                      AND (m.body->>'text') ~* $2
                      LIMIT ${UNREAD_CAP}) AS u) AS mentions
             FROM conversations c LEFT JOIN reads r ON r.user_id = $1 AND r.conv_id = c.conv_id
            WHERE c.conv_id IN (SELECT 'group:' || group_name FROM memberships WHERE user_id = $1)
               OR c.user_a = $1 OR c.user_b = $1
           UNION ALL
           SELECT 'group:' || m.group_name, 0, 0, NULL, 0, 0 FROM memberships m
            WHERE m.user_id = $1 AND NOT EXISTS
              (SELECT 1 FROM conversations c2 WHERE c2.conv_id = 'group:' || m.group_name)`,
          [userId, mentionPatternPostgres(username)],
        )
      ).map((r) => ({
        convId: r.conv_id,
        lastSeq: r.last_seq,
        lastTs: r.last_ts,
        readSeq: r.read_seq ?? 0,
        unread: r.unread,
        mentions: Number(r.mentions),
      })),
    dmPartners: async (userId) =>
      (
        await all<{ other: string }>(
          `SELECT user_b AS other FROM conversations WHERE user_a = $1 AND a_posted AND b_posted
           UNION SELECT user_a FROM conversations WHERE user_b = $1 AND a_posted AND b_posted`,
          [userId],
        )
      ).map((r) => r.other),

    recentHeads: async (sinceTs) =>
      (
        await all<{ conv_id: string; last_seq: number }>(
          'SELECT conv_id, last_seq FROM conversations WHERE last_ts >= $1 AND last_seq > 0',
          [sinceTs],
        )
      ).map((r) => ({ convId: r.conv_id, lastSeq: Number(r.last_seq) })),
    dmHeads: async (userId) =>
      new Map(
        (
          await all<{ other: string; last_seq: number }>(
            `SELECT user_b AS other, last_seq FROM conversations WHERE user_a = $1
             UNION ALL SELECT user_a, last_seq FROM conversations WHERE user_b = $1 AND user_a <> user_b`,
            [userId],
          )
        ).map((r) => [r.other, Number(r.last_seq)] as const),
      ),

    queueNotification: (userId, data, ts, caps: QueueCaps) =>
      tx(async (db) => {
        const sender = (data.from as { user_id?: string } | undefined)?.user_id ?? null;
        await db.query(
          'INSERT INTO queued_notifications (user_id, data, ts, sender_id) VALUES ($1, $2, $3, $4)',
          [userId, JSON.stringify(data), ts, sender],
        );
        if (sender !== null) {
          await db.query(
            `DELETE FROM queued_notifications WHERE user_id = $1 AND sender_id = $2 AND id NOT IN
               (SELECT id FROM queued_notifications WHERE user_id = $1 AND sender_id = $2
                 ORDER BY id DESC LIMIT $3)`,
            [userId, sender, caps.perSender],
          );
        }
        await db.query(
          `DELETE FROM queued_notifications WHERE user_id = $1 AND id NOT IN
             (SELECT id FROM queued_notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2)`,
          [userId, caps.total],
        );
      }),
    // One statement takes and forgets them: two servers attaching the same user at once cannot
    // both deliver a notification.
    takeNotifications: async (userId) =>
      (
        await all<{ id: number; data: Record<string, unknown> }>(
          'DELETE FROM queued_notifications WHERE user_id = $1 RETURNING id, data',
          [userId],
        )
      )
        .sort((a, b) => a.id - b.id)
        .map((r) => r.data),
    purgeNotifications: async (olderThanTs) =>
      (await pool.query('DELETE FROM queued_notifications WHERE ts < $1', [olderThanTs]))
        .rowCount ?? 0,

    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}

/** Creates the schema on an empty database; refuses a database of another schema version. */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // One server at a time creates or checks the schema.
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [FIRST_ACCOUNT_LOCK + 1]);
    const exists = await client.query(
      "SELECT 1 FROM information_schema.tables WHERE table_name = 'parley_schema'",
    );
    if (exists.rowCount === 0) {
      await client.query(SCHEMA);
      await client.query(FUNCTIONS);
    } else {
      const { rows } = await client.query<{ version: number }>('SELECT version FROM parley_schema');
      let version = rows[0]?.version;
      if (version === 1) {
        await client.query(MIGRATE_1_TO_2);
        version = 2;
      }
      if (version === 2) {
        await client.query(MIGRATE_2_TO_3);
        version = 3;
      }
      if (version !== SCHEMA_VERSION) {
        throw new Error(
          `the database has Parley schema version ${version}; this server reads ${SCHEMA_VERSION}`,
        );
      }
      await client.query(FUNCTIONS);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
