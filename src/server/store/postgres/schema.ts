// The PostgreSQL schema, the append function (group commit), and the migrations from every
// earlier version.
import type pg from 'pg';
import { FIRST_ACCOUNT_LOCK } from './query.js';

export const SCHEMA_VERSION = 4;

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

/**
 * New in schema 4 (security review 3, F4/F8): the message a file was posted in (set by the append
 * function), for deleting a removed message's files and collecting uploads never posted; and the
 * index for a user's storage used.
 */
const V4_FILES = `
ALTER TABLE files ADD COLUMN message_id text;
CREATE INDEX files_by_message ON files (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX files_by_uploader ON files (uploader_id);
CREATE INDEX files_unattached ON files (created_at) WHERE message_id IS NULL;
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
${V4_FILES}
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

/** Schema 3 → 4: files know their message; those posted already are found in the bodies. */
const MIGRATE_3_TO_4 = `
${V4_FILES}
UPDATE files f SET message_id = m.message_id
  FROM messages m, jsonb_array_elements(m.body->'files') j
 WHERE m.conv_id = f.conv_id AND jsonb_typeof(m.body->'files') = 'array'
   AND f.file_id IN (j->>'fileId', j->>'thumbFileId');
UPDATE parley_schema SET version = 4;
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
    IF jsonb_typeof(item->'body'->'files') = 'array' THEN
      UPDATE files f SET message_id = item->>'id'
       WHERE f.message_id IS NULL AND f.uploader_id = item->>'sender'
         AND f.conv_id = item->>'conv'
         AND f.file_id IN (SELECT j->>'fileId' FROM jsonb_array_elements(item->'body'->'files') j
                           UNION ALL
                           SELECT j->>'thumbFileId'
                             FROM jsonb_array_elements(item->'body'->'files') j);
    END IF;
    RETURN QUERY SELECT i, item->>'id', item->>'conv', s, (item->>'ts')::bigint, false;
  END LOOP;
END
$fn$;
`;

/** Creates the schema on an empty database; refuses a database of another schema version. */
export async function migrate(pool: pg.Pool): Promise<void> {
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
      if (version === 3) {
        await client.query(MIGRATE_3_TO_4);
        version = 4;
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
