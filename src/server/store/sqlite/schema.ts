// The SQLite schema: a fresh database's tables and the migrations from every earlier version.
import type Database from 'better-sqlite3';
import { DROP_V4_SEARCH, INDEX_STORED_MESSAGES, V5_SEARCH } from './search-index.js';

export const SCHEMA_VERSION = 5;

/** Tables new in schema 2, shared by a fresh database and the migration from 1. */
const V2_TABLES = `
CREATE TABLE revoked_tokens (
  jti        TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE invites (
  code       TEXT PRIMARY KEY,
  group_name TEXT NOT NULL REFERENCES groups(name),
  created_by TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX invites_by_group ON invites(group_name);
`;

/**
 * Schema 1 → 2 (security review fixes): per-message event rows (so an edit or removal can rewrite
 * every stored version, H2), dm acceptance flags (M5), token versions and revoked token ids (M11),
 * private groups and invites (D1), the sender of a queued notification (M2).
 */
const MIGRATE_1_TO_2 = `
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN a_posted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN b_posted INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET
  a_posted = EXISTS (SELECT 1 FROM messages m WHERE m.conv_id = conversations.conv_id
                       AND m.sender_id = conversations.user_a),
  b_posted = EXISTS (SELECT 1 FROM messages m WHERE m.conv_id = conversations.conv_id
                       AND m.sender_id = conversations.user_b)
  WHERE user_a IS NOT NULL;
ALTER TABLE events ADD COLUMN message_id TEXT;
UPDATE events SET message_id = json_extract(data, '$.messageId');
CREATE INDEX events_by_message ON events(message_id) WHERE message_id IS NOT NULL;
ALTER TABLE queued_notifications ADD COLUMN sender_id TEXT;
UPDATE queued_notifications SET sender_id = json_extract(data, '$.from.user_id');
${V2_TABLES}
`;

/** Schema 2 → 3: reactions, a message's current list as JSON (null when there are none). */
const MIGRATE_2_TO_3 = `
ALTER TABLE messages ADD COLUMN reactions TEXT;
`;

/**
 * Tables and triggers new in schema 4, shared by a fresh database and the migration from 3:
 * - threads: replies are found by the root id in their body (`thread`, written by the server);
 * - files: attachments (their bytes are in the BlobStore);
 * - users' pictures (avatar: a blob id);
 * - group topics, and group_events: joins, leaves and topic changes, shown as lines in the chat;
 *
 * Full-text search (schema 4 had an index over every conversation) is schema 5's, in
 * search-index.ts: contentless with deletes, so a removal or an edit takes the old words out of
 * the results at once.
 */
const V4_TABLES = `
CREATE INDEX messages_by_thread ON messages(conv_id, json_extract(body, '$.thread'), seq);
ALTER TABLE groups ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN avatar TEXT;
CREATE TABLE group_events (
  group_name TEXT NOT NULL,
  ts         INTEGER NOT NULL,
  user_id    TEXT NOT NULL,
  action     TEXT NOT NULL,
  topic      TEXT
);
CREATE INDEX group_events_by_ts ON group_events(group_name, ts);
CREATE TABLE files (
  file_id     TEXT PRIMARY KEY,
  conv_id     TEXT NOT NULL,
  uploader_id TEXT NOT NULL,
  name        TEXT NOT NULL,
  type        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  sha256      TEXT NOT NULL,
  created_at  INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Schema 5, files (F4, F8): the message a file was posted in (set when the message is stored, by
 * a trigger, so every path does it), for deleting a removed message's files and collecting
 * uploads never posted; and the indexes for a user's storage used.
 */
const V5_FILES = `
ALTER TABLE files ADD COLUMN message_id TEXT;
CREATE INDEX files_by_message ON files(message_id) WHERE message_id IS NOT NULL;
CREATE INDEX files_by_uploader ON files(uploader_id);
CREATE INDEX files_unattached ON files(created_at) WHERE message_id IS NULL;
CREATE TRIGGER messages_attach_files AFTER INSERT ON messages
  WHEN json_extract(new.body, '$.files') IS NOT NULL BEGIN
  UPDATE files SET message_id = new.message_id
   WHERE message_id IS NULL AND uploader_id = new.sender_id AND conv_id = new.conv_id
     AND file_id IN (SELECT json_extract(j.value, '$.fileId') FROM json_each(new.body, '$.files') j
                     UNION ALL
                     SELECT json_extract(j.value, '$.thumbFileId')
                       FROM json_each(new.body, '$.files') j);
END;
`;

/** Files already posted before schema 5: found in their messages' bodies. */
const ATTACH_STORED_FILES = `
UPDATE files SET message_id = (
  SELECT m.message_id FROM messages m, json_each(m.body, '$.files') j
   WHERE m.conv_id = files.conv_id AND m.body IS NOT NULL
     AND files.file_id IN (json_extract(j.value, '$.fileId'), json_extract(j.value, '$.thumbFileId'))
   LIMIT 1);
`;

/** Schema 3 → 5: threads, files and topics (V4_TABLES), then schema 5's search index, filled. */
const MIGRATE_3_TO_5 = `
${V4_TABLES}
${V5_FILES}
${V5_SEARCH}
${INDEX_STORED_MESSAGES}
`;

/** Schema 4 → 5: files know their message; the search index is keyed by conversation. */
const MIGRATE_4_TO_5 = `
${V5_FILES}
${ATTACH_STORED_FILES}
${DROP_V4_SEARCH}
${V5_SEARCH}
${INDEX_STORED_MESSAGES}
`;

export const SCHEMA = `
CREATE TABLE users (
  user_id      TEXT PRIMARY KEY,
  username     TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL,
  pass_hash    TEXT NOT NULL,
  is_admin     INTEGER NOT NULL DEFAULT 0,
  status       TEXT NOT NULL DEFAULT 'online',
  status_text  TEXT,
  created_at   INTEGER NOT NULL,
  token_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE groups (
  name         TEXT PRIMARY KEY,
  member_count INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  private      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX groups_by_count ON groups(member_count, name);
CREATE TABLE memberships (
  group_name TEXT NOT NULL REFERENCES groups(name),
  user_id    TEXT NOT NULL REFERENCES users(user_id),
  joined_at  INTEGER NOT NULL,
  PRIMARY KEY (group_name, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships(user_id, group_name);
CREATE TABLE conversations (
  conv_id  TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL DEFAULT 0,
  last_ts  INTEGER NOT NULL DEFAULT 0,
  user_a   TEXT,
  user_b   TEXT,
  a_posted INTEGER NOT NULL DEFAULT 0,
  b_posted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX conversations_by_a ON conversations(user_a) WHERE user_a IS NOT NULL;
CREATE INDEX conversations_by_b ON conversations(user_b) WHERE user_b IS NOT NULL;
CREATE TABLE messages (
  message_id    TEXT PRIMARY KEY,
  conv_id       TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  last_seq      INTEGER NOT NULL,
  sender_id     TEXT NOT NULL,
  sender_name   TEXT NOT NULL,
  client_msg_id TEXT NOT NULL,
  body          TEXT,
  ts            INTEGER NOT NULL,
  edited_ts     INTEGER,
  removed       INTEGER NOT NULL DEFAULT 0,
  reactions     TEXT,
  UNIQUE (sender_id, client_msg_id)
);
CREATE INDEX messages_by_seq ON messages(conv_id, seq);
CREATE INDEX messages_by_last_seq ON messages(conv_id, last_seq);
CREATE TABLE events (
  conv_id TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  event   TEXT NOT NULL,
  data    TEXT NOT NULL,
  message_id TEXT,
  PRIMARY KEY (conv_id, seq)
) WITHOUT ROWID;
CREATE INDEX events_by_message ON events(message_id) WHERE message_id IS NOT NULL;
CREATE TABLE reads (
  user_id TEXT NOT NULL,
  conv_id TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (user_id, conv_id)
) WITHOUT ROWID;
CREATE TABLE queued_notifications (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  data    TEXT NOT NULL,
  ts      INTEGER NOT NULL,
  sender_id TEXT
);
CREATE INDEX queued_by_user ON queued_notifications(user_id, id);
${V2_TABLES}
${V4_TABLES}
${V5_FILES}
${V5_SEARCH}
`;

/** Creates or migrates the schema; refuses a database newer than this server. */
export function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === 0) {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  } else if (version >= 1 && version < SCHEMA_VERSION) {
    db.transaction(() => {
      if (version === 1) db.exec(MIGRATE_1_TO_2);
      if (version <= 2) db.exec(MIGRATE_2_TO_3);
      db.exec(version <= 3 ? MIGRATE_3_TO_5 : MIGRATE_4_TO_5);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
    if (version === 1) scrubRemovedMessages(db);
  } else if (version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `database ${file} has schema version ${version}; this server reads ${SCHEMA_VERSION}`,
    );
  }
}

/** Schema 1 kept every version of edited and removed messages in the log; scrub them once. */
function scrubRemovedMessages(db: Database.Database): void {
  db.exec(`
    UPDATE events SET data = json_set(json_remove(data, '$.notification'),
        '$.body', json('null'), '$.removed', json('true'))
      WHERE event = 'message:send'
        AND message_id IN (SELECT message_id FROM messages WHERE removed = 1);
    UPDATE events SET data = json_set(data, '$.body', json('null'))
      WHERE event = 'message:updated'
        AND message_id IN (SELECT message_id FROM messages WHERE removed = 1);
    UPDATE events SET data = json_remove(json_set(data, '$.body',
        json((SELECT body FROM messages m WHERE m.message_id = events.message_id))),
        '$.notification')
      WHERE message_id IN (SELECT message_id FROM messages
                            WHERE edited_ts IS NOT NULL AND removed = 0);
  `);
  // Rewrites the file so that no freed page keeps old text.
  db.exec('VACUUM');
}
