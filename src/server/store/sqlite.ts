// The embedded default Store: one SQLite file in WAL mode, through better-sqlite3.
//
// Durability: a write is committed before the hub replies ok. With synchronous=NORMAL a WAL
// commit survives the death of the process (SIGKILL included) but not a power cut; `fsync: true`
// selects synchronous=FULL for that.
import Database from 'better-sqlite3';
import type { GroupSummary, MessageBody, ThreadSummary } from '../../shared/protocol.js';
import { mentions } from '../../shared/mentions.js';
import { UNREAD_CAP } from '../../shared/protocol.js';
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
import { asyncStore } from './store.js';
import type {
  AppendMessage,
  AppendResult,
  ConvId,
  ConversationRow,
  GroupEventRow,
  GroupQuery,
  QueueCaps,
  SearchRow,
  Store,
  StoredEvent,
  SyncStore,
  UserRecord,
} from './store.js';

const SCHEMA_VERSION = 4;

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
 * - full-text search: an FTS5 index of the text of every message not removed. It is contentless
 *   (the text is in messages already; FTS5 keeps only its index) with deletes, so a removal or
 *   an edit takes the old words out of the results at once. Tokens: unicode61 without
 *   diacritics, so "cafe" finds "café"; prefix indexes make "hel" find "hello" cheaply.
 */
const V4_TABLES = `
CREATE INDEX messages_by_thread ON messages(conv_id, json_extract(body, '$.thread'), seq);
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.body IS NOT NULL BEGIN
  INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, json_extract(new.body, '$.text'));
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
  DELETE FROM messages_fts WHERE rowid = old.rowid;
  INSERT INTO messages_fts(rowid, text)
    SELECT new.rowid, json_extract(new.body, '$.text') WHERE new.body IS NOT NULL;
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  DELETE FROM messages_fts WHERE rowid = old.rowid;
END;
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

/** Schema 3 → 4: threads and full-text search (V4_TABLES), indexing the messages already kept. */
const MIGRATE_3_TO_4 = `
${V4_TABLES}
INSERT INTO messages_fts(rowid, text)
  SELECT rowid, json_extract(body, '$.text') FROM messages WHERE body IS NOT NULL;
`;

const SCHEMA = `
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
`;

/** Comparison operators already normalised by the hub (gt → >, ...). */
const SQL_OPS = new Set(['>', '>=', '=', '<', '<=', '!=']);

export function openSqliteStore(file: string, opts: { fsync?: boolean } = {}): Store {
  return asyncStore(openSqliteSyncStore(file, opts));
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
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === 0) {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  } else if (version >= 1 && version < SCHEMA_VERSION) {
    db.transaction(() => {
      if (version === 1) db.exec(MIGRATE_1_TO_2);
      if (version <= 2) db.exec(MIGRATE_2_TO_3);
      db.exec(MIGRATE_3_TO_4);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
    if (version === 1) scrubRemovedMessages(db);
  } else if (version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `database ${file} has schema version ${version}; this server reads ${SCHEMA_VERSION}`,
    );
  }

  // The mention rule of the desktop (shared/mentions.ts), for counting unread mentions.
  db.function('parley_mentions', { deterministic: true }, (text: unknown, username: unknown) =>
    typeof text === 'string' && typeof username === 'string' && mentions(text, username) ? 1 : 0,
  );

  const q = {
    countUsers: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users'),
    insertUser: db.prepare(
      `INSERT INTO users (user_id, username, display_name, pass_hash, is_admin, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    userByName: db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
    userById: db.prepare<[string], UserRow>('SELECT * FROM users WHERE user_id = ?'),
    setPresence: db.prepare('UPDATE users SET status = ?, status_text = ? WHERE user_id = ?'),
    setDisplayName: db.prepare('UPDATE users SET display_name = ? WHERE user_id = ?'),
    avatarOf: db.prepare<[string], { avatar: string | null }>(
      'SELECT avatar FROM users WHERE user_id = ?',
    ),
    setAvatar: db.prepare('UPDATE users SET avatar = ? WHERE user_id = ?'),
    insertGroup: db.prepare(
      `INSERT INTO groups (name, member_count, created_at, private) VALUES (?, 0, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    group: db.prepare<
      [string, string],
      { member_count: number; private: number; member: number; topic: string }
    >(
      `SELECT member_count, private, topic,
         EXISTS (SELECT 1 FROM memberships WHERE group_name = name AND user_id = ?) AS member
       FROM groups WHERE name = ?`,
    ),
    setPassword: db.prepare<[string, string], { token_version: number }>(
      `UPDATE users SET pass_hash = ?, token_version = token_version + 1 WHERE user_id = ?
       RETURNING token_version`,
    ),
    bumpTokenVersion: db.prepare<[string], { token_version: number }>(
      'UPDATE users SET token_version = token_version + 1 WHERE user_id = ? RETURNING token_version',
    ),
    revokeToken: db.prepare(
      'INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
    ),
    isRevoked: db.prepare<[string], { one: number }>(
      'SELECT 1 AS one FROM revoked_tokens WHERE jti = ?',
    ),
    purgeRevoked: db.prepare('DELETE FROM revoked_tokens WHERE expires_at < ?'),
    insertInvite: db.prepare(
      'INSERT INTO invites (code, group_name, created_by, expires_at) VALUES (?, ?, ?, ?)',
    ),
    invite: db.prepare<[string, number], { group_name: string }>(
      'SELECT group_name FROM invites WHERE code = ? AND expires_at > ?',
    ),
    purgeInvites: db.prepare('DELETE FROM invites WHERE expires_at < ?'),
    markPosted: db.prepare(
      `UPDATE conversations SET a_posted = a_posted | (user_a = ?), b_posted = b_posted | (user_b = ?)
       WHERE conv_id = ?`,
    ),
    dmAccepted: db.prepare<[string], { accepted: number }>(
      'SELECT a_posted AND b_posted AS accepted FROM conversations WHERE conv_id = ?',
    ),
    insertMember: db.prepare(
      'INSERT INTO memberships (group_name, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    deleteMember: db.prepare('DELETE FROM memberships WHERE group_name = ? AND user_id = ?'),
    bumpCount: db.prepare('UPDATE groups SET member_count = member_count + ? WHERE name = ?'),
    memberCount: db.prepare<[string], { member_count: number }>(
      'SELECT member_count FROM groups WHERE name = ?',
    ),
    members: db.prepare<[string], { user_id: string }>(
      'SELECT user_id FROM memberships WHERE group_name = ?',
    ),
    userGroups: db.prepare<[string], { group_name: string }>(
      'SELECT group_name FROM memberships WHERE user_id = ? ORDER BY group_name',
    ),
    isMember: db.prepare<[string, string], { one: number }>(
      'SELECT 1 AS one FROM memberships WHERE group_name = ? AND user_id = ?',
    ),
    byClientId: db.prepare<[string, string], MessageRow>(
      'SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?',
    ),
    conv: db.prepare<[string], { last_seq: number; last_ts: number }>(
      'SELECT last_seq, last_ts FROM conversations WHERE conv_id = ?',
    ),
    insertConv: db.prepare(
      `INSERT INTO conversations (conv_id, last_seq, last_ts, user_a, user_b) VALUES (?, 0, 0, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    bumpConv: db.prepare<[number, string], { last_seq: number }>(
      `UPDATE conversations SET last_seq = last_seq + 1, last_ts = ? WHERE conv_id = ?
       RETURNING last_seq`,
    ),
    insertMessage: db.prepare(
      `INSERT INTO messages (message_id, conv_id, seq, last_seq, sender_id, sender_name,
         client_msg_id, body, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertEvent: db.prepare(
      'INSERT INTO events (conv_id, seq, event, data, message_id) VALUES (?, ?, ?, ?, ?)',
    ),
    // Every earlier stored version of an edited message takes its current body (H2).
    rewriteBodies: db.prepare(
      `UPDATE events SET data = json_remove(json_set(data, '$.body', json(?)), '$.notification')
       WHERE message_id = ? AND seq < ?`,
    ),
    // A removed message keeps only its tombstone in the log (H2).
    tombstoneSend: db.prepare(
      `UPDATE events SET data = json_set(json_remove(data, '$.notification'),
         '$.body', json('null'), '$.removed', json('true'))
       WHERE message_id = ? AND event = 'message:send'`,
    ),
    tombstoneEdits: db.prepare(
      `UPDATE events SET data = json_set(data, '$.body', json('null'))
       WHERE message_id = ? AND event = 'message:updated'`,
    ),
    message: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE message_id = ?'),
    editMessage: db.prepare(
      'UPDATE messages SET body = ?, edited_ts = ?, last_seq = ? WHERE message_id = ?',
    ),
    removeMessage: db.prepare(
      'UPDATE messages SET body = NULL, removed = 1, reactions = NULL, last_seq = ? WHERE message_id = ?',
    ),
    setReactions: db.prepare(
      'UPDATE messages SET reactions = ?, last_seq = ? WHERE message_id = ?',
    ),
    historyBefore: db.prepare<[string, number, number], MessageRow>(
      'SELECT * FROM messages WHERE conv_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    ),
    historyAfter: db.prepare<[string, number, number], MessageRow>(
      'SELECT * FROM messages WHERE conv_id = ? AND last_seq > ? ORDER BY last_seq ASC LIMIT ?',
    ),
    threadBefore: db.prepare<[string, string, number, number], MessageRow>(
      `SELECT * FROM messages WHERE conv_id = ? AND json_extract(body, '$.thread') = ?
         AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
    threadAfter: db.prepare<[string, string, number, number], MessageRow>(
      `SELECT * FROM messages WHERE conv_id = ? AND json_extract(body, '$.thread') = ?
         AND seq > ? ORDER BY seq ASC LIMIT ?`,
    ),
    threadSummaries: db.prepare<
      [string, string],
      { root: string; n: number; last_seq: number; last_ts: number }
    >(
      `SELECT json_extract(body, '$.thread') AS root, count(*) AS n, max(seq) AS last_seq,
              max(ts) AS last_ts
         FROM messages
        WHERE conv_id = ? AND json_extract(body, '$.thread') IN (SELECT value FROM json_each(?))
        GROUP BY root`,
    ),
    // Newest first, by rowid (the order messages were stored): FTS5 walks its index in rowid
    // order, so the first page stops early instead of ranking every hit.
    search: db.prepare<[string, number, string, number], MessageRow & { rowid: number }>(
      `SELECT m.rowid, m.* FROM messages_fts f JOIN messages m ON m.rowid = f.rowid
        WHERE messages_fts MATCH ? AND f.rowid < ?
          AND m.conv_id IN (SELECT value FROM json_each(?))
        ORDER BY f.rowid DESC LIMIT ?`,
    ),
    insertGroupEvent: db.prepare(
      `INSERT INTO group_events (group_name, ts, user_id, action, topic)
       VALUES (@group, @ts, @userId, @action, @topic)`,
    ),
    setTopic: db.prepare('UPDATE groups SET topic = ? WHERE name = ?'),
    groupEvents: db.prepare<
      [string, number, number, number],
      {
        ts: number;
        user_id: string;
        display_name: string | null;
        action: string;
        topic: string | null;
      }
    >(
      `SELECT e.ts, e.user_id, u.display_name, e.action, e.topic
         FROM group_events e LEFT JOIN users u ON u.user_id = e.user_id
        WHERE e.group_name = ? AND e.ts >= ? AND e.ts <= ? ORDER BY e.ts LIMIT ?`,
    ),
    insertFile: db.prepare(
      `INSERT INTO files (file_id, conv_id, uploader_id, name, type, size, sha256, created_at)
       VALUES (@fileId, @convId, @uploaderId, @name, @type, @size, @sha256, @createdAt)`,
    ),
    file: db.prepare<[string], FileRow>('SELECT * FROM files WHERE file_id = ?'),
    searchPeople: db.prepare<[string, string, string, number], UserRow>(
      `SELECT * FROM users
        WHERE username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\'
           OR display_name LIKE ? ESCAPE '\\'
        ORDER BY username LIMIT ?`,
    ),
    eventsAfter: db.prepare<[string, number, number], { seq: number; event: string; data: string }>(
      'SELECT seq, event, data FROM events WHERE conv_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    readSeq: db.prepare<[string, string], { seq: number }>(
      'SELECT seq FROM reads WHERE user_id = ? AND conv_id = ?',
    ),
    upsertRead: db.prepare(
      `INSERT INTO reads (user_id, conv_id, seq) VALUES (?, ?, ?)
       ON CONFLICT (user_id, conv_id) DO UPDATE SET seq = max(seq, excluded.seq)`,
    ),
    conversationsOf: db.prepare<
      { user: string; username: string },
      {
        conv_id: string;
        last_seq: number;
        last_ts: number;
        read_seq: number | null;
        unread: number;
        mentions: number;
      }
    >(
      `SELECT c.conv_id, c.last_seq, c.last_ts, r.seq AS read_seq,
              (SELECT count(*) FROM (SELECT 1 FROM messages m
                WHERE m.conv_id = c.conv_id AND m.seq > coalesce(r.seq, 0)
                  AND m.sender_id != @user AND m.removed = 0
                  AND json_extract(m.body, '$.thread') IS NULL LIMIT ${UNREAD_CAP})) AS unread,
              (SELECT count(*) FROM (SELECT 1 FROM messages m
                WHERE m.conv_id = c.conv_id AND m.seq > coalesce(r.seq, 0)
                  AND m.sender_id != @user AND m.removed = 0
                  AND json_extract(m.body, '$.thread') IS NULL
                  AND parley_mentions(json_extract(m.body, '$.text'), @username)
                LIMIT ${UNREAD_CAP})) AS mentions
         FROM conversations c LEFT JOIN reads r ON r.user_id = @user AND r.conv_id = c.conv_id
        WHERE c.conv_id IN (SELECT 'group:' || group_name FROM memberships WHERE user_id = @user)
           OR c.user_a = @user OR c.user_b = @user
       UNION ALL
       SELECT 'group:' || m.group_name, 0, 0, NULL, 0, 0 FROM memberships m
        WHERE m.user_id = @user AND NOT EXISTS
          (SELECT 1 FROM conversations c2 WHERE c2.conv_id = 'group:' || m.group_name)`,
    ),
    recentHeads: db.prepare<[number], { conv_id: string; last_seq: number }>(
      'SELECT conv_id, last_seq FROM conversations WHERE last_ts >= ? AND last_seq > 0',
    ),
    dmHeads: db.prepare<[string, string], { other: string; last_seq: number }>(
      `SELECT user_b AS other, last_seq FROM conversations WHERE user_a = ?
       UNION ALL SELECT user_a, last_seq FROM conversations WHERE user_b = ? AND user_a <> user_b`,
    ),
    dmPartners: db.prepare<[string, string], { other: string }>(
      `SELECT user_b AS other FROM conversations WHERE user_a = ? AND a_posted AND b_posted
       UNION SELECT user_a FROM conversations WHERE user_b = ? AND a_posted AND b_posted`,
    ),
    hasQueued: db.prepare<[string], { one: number }>(
      'SELECT 1 AS one FROM queued_notifications WHERE user_id = ? LIMIT 1',
    ),
    queueNotification: db.prepare(
      'INSERT INTO queued_notifications (user_id, data, ts, sender_id) VALUES (?, ?, ?, ?)',
    ),
    trimQueuedFromSender: db.prepare(
      `DELETE FROM queued_notifications WHERE user_id = ? AND sender_id = ? AND id NOT IN
         (SELECT id FROM queued_notifications WHERE user_id = ? AND sender_id = ?
           ORDER BY id DESC LIMIT ?)`,
    ),
    trimQueued: db.prepare(
      `DELETE FROM queued_notifications WHERE user_id = ? AND id NOT IN
         (SELECT id FROM queued_notifications WHERE user_id = ? ORDER BY id DESC LIMIT ?)`,
    ),
    queuedFor: db.prepare<[string], { id: number; data: string }>(
      'SELECT id, data FROM queued_notifications WHERE user_id = ? ORDER BY id',
    ),
    dropQueuedFor: db.prepare('DELETE FROM queued_notifications WHERE user_id = ?'),
    purgeQueued: db.prepare('DELETE FROM queued_notifications WHERE ts < ?'),
  };

  /** Takes the conversation's next seq and writes the event to its log. */
  function appendEvent(
    convId: ConvId,
    event: string,
    data: { messageId: string; [key: string]: unknown },
    ts: number,
  ): number {
    const row = q.bumpConv.get(ts, convId);
    if (!row) throw new Error(`conversation ${convId} does not exist`);
    q.insertEvent.run(convId, row.last_seq, event, JSON.stringify(data), data.messageId);
    return row.last_seq;
  }

  const createUser = db.transaction(
    (u: { username: string; displayName: string; passHash: string }): UserRecord | null => {
      if (q.userByName.get(u.username)) return null;
      // The first account of a fresh server administers it (metrics, closed registration).
      const isAdmin = q.countUsers.get()!.n === 0;
      const userId = newId('u');
      q.insertUser.run(userId, u.username, u.displayName, u.passHash, isAdmin ? 1 : 0, Date.now());
      return toUser(q.userById.get(userId))!;
    },
  );

  const joinGroup = db.transaction((group: string, userId: string, isPrivate = false) => {
    q.insertGroup.run(group, Date.now(), isPrivate ? 1 : 0);
    const changed = q.insertMember.run(group, userId, Date.now()).changes === 1;
    if (changed) q.bumpCount.run(1, group);
    return { changed, members: q.memberCount.get(group)!.member_count };
  });

  const leaveGroup = db.transaction((group: string, userId: string) => {
    if (q.deleteMember.run(group, userId).changes === 0) return null;
    q.bumpCount.run(-1, group);
    return { members: q.memberCount.get(group)!.member_count };
  });

  const appendMessage = db.transaction((m: AppendMessage): AppendResult => {
    const seen = q.byClientId.get(m.sender.user_id, m.clientMsgId);
    if (seen) {
      return {
        messageId: seen.message_id,
        convId: seen.conv_id,
        seq: seen.seq,
        ts: seen.ts,
        duplicate: true,
      };
    }
    q.insertConv.run(m.convId, m.dmPair?.[0] ?? null, m.dmPair?.[1] ?? null);
    if (m.dmPair) q.markPosted.run(m.sender.user_id, m.sender.user_id, m.convId);
    const messageId = newId('m');
    const data = sendEventData(messageId, m);
    const seq = appendEvent(m.convId, 'message:send', data, m.ts);
    q.insertMessage.run(
      messageId,
      m.convId,
      seq,
      seq,
      m.sender.user_id,
      m.sender.displayName,
      m.clientMsgId,
      JSON.stringify(m.body),
      m.ts,
    );
    return { messageId, convId: m.convId, seq, ts: m.ts, duplicate: false };
  });

  const editMessage = db.transaction((messageId: string, body: MessageBody, ts: number) => {
    const msg = q.message.get(messageId)!;
    const seq = appendEvent(msg.conv_id, 'message:updated', { messageId, ts, body }, ts);
    q.editMessage.run(JSON.stringify(body), ts, seq, messageId);
    q.rewriteBodies.run(JSON.stringify(body), messageId, seq);
    return { seq };
  });

  const removeMessage = db.transaction((messageId: string, ts: number) => {
    const msg = q.message.get(messageId)!;
    const seq = appendEvent(msg.conv_id, 'message:removed', { messageId, ts }, ts);
    q.removeMessage.run(seq, messageId);
    q.tombstoneSend.run(messageId);
    q.tombstoneEdits.run(messageId);
    return { seq };
  });
  const react = db.transaction(
    (messageId: string, userId: string, emoji: string, on: boolean, ts: number) => {
      const msg = q.message.get(messageId)!;
      const current = reactionsOf(msg);
      const next = applyReaction(current, userId, emoji, on);
      if (next === 'full') return 'full' as const;
      if (next === 'unchanged') return { changed: false, seq: msg.last_seq, reactions: current };
      const seq = appendEvent(
        msg.conv_id,
        'message:reactions',
        { messageId, ts, reactions: next },
        ts,
      );
      q.setReactions.run(next.length ? JSON.stringify(next) : null, seq, messageId);
      return { changed: true, seq, reactions: next };
    },
  );

  /**
   * The old text also sits in WAL frames and in pages of the main file until a checkpoint copies
   * the scrubbed pages over them; removals are rare, so checkpoint at once.
   */
  /**
   * FTS5 takes a removed or edited message's words out of its results at once, but their bytes
   * stay in the index's pages until its segments are merged: the next purge (hourly) rewrites
   * the index when anything was removed or edited since (security review H2).
   */
  let searchIndexDirty = false;
  function compactSearchIndex(): void {
    if (!searchIndexDirty) return;
    searchIndexDirty = false;
    db.exec("INSERT INTO messages_fts(messages_fts) VALUES('optimize')");
    db.pragma('wal_checkpoint(TRUNCATE)');
  }

  function removeAndScrub(messageId: string, ts: number) {
    const result = removeMessage(messageId, ts);
    searchIndexDirty = true;
    db.pragma('wal_checkpoint(TRUNCATE)');
    return result;
  }

  const queueNotification = db.transaction(
    (userId: string, data: Record<string, unknown>, ts: number, caps: QueueCaps) => {
      const sender = (data.from as { user_id?: string } | undefined)?.user_id ?? null;
      q.queueNotification.run(userId, JSON.stringify(data), ts, sender);
      if (sender !== null) {
        q.trimQueuedFromSender.run(userId, sender, userId, sender, caps.perSender);
      }
      q.trimQueued.run(userId, userId, caps.total);
    },
  );

  const takeQueued = db.transaction((userId: string) => {
    const rows = q.queuedFor.all(userId);
    if (rows.length) q.dropQueuedFor.run(userId);
    return rows.map((r) => JSON.parse(r.data) as Record<string, unknown>);
  });
  // Every connection asks on authentication; almost always there is nothing, so look first.
  const takeNotifications = (userId: string) => (q.hasQueued.get(userId) ? takeQueued(userId) : []);

  function searchGroups(query: GroupQuery): GroupSummary[] {
    // Private groups are listed to their members only (D1).
    const where: string[] = [
      '(private = 0 OR name IN (SELECT group_name FROM memberships WHERE user_id = ?))',
    ];
    const args: (string | number)[] = [query.viewer];
    const column = query.searchFor === 'number_of_users' ? 'member_count' : 'name';
    if (query.value !== undefined) {
      if (query.range !== undefined) {
        where.push(`${column} >= ? AND ${column} <= ?`);
        args.push(query.value, query.range);
      } else if (query.condition !== undefined && SQL_OPS.has(query.condition)) {
        where.push(`${column} ${query.condition} ?`);
        args.push(query.value);
      } else if (column === 'name') {
        // A prefix match. Escaped so that % and _ in a name are literal.
        where.push(`name LIKE ? ESCAPE '\\'`);
        args.push(`${String(query.value).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      } else {
        where.push('member_count = ?');
        args.push(query.value);
      }
    }
    if (query.after !== undefined) {
      where.push('name > ?');
      args.push(query.after);
    }
    const sql = `SELECT name, member_count, topic FROM groups WHERE ${where.join(
      ' AND ',
    )} ORDER BY name LIMIT ?`;
    args.push(query.limit);
    return db
      .prepare<(string | number)[], { name: string; member_count: number; topic: string }>(sql)
      .all(...args)
      .map((r) => ({
        group: r.name,
        number_of_users: r.member_count,
        ...(r.topic ? { topic: r.topic } : {}),
      }));
  }

  return {
    createUser,
    userByName: (username) => toUser(q.userByName.get(username)),
    userById: (userId) => toUser(q.userById.get(userId)),
    setPresence: (userId, status, text) => void q.setPresence.run(status, text, userId),
    setDisplayName: (userId, name) => void q.setDisplayName.run(name, userId),
    setAvatar: db.transaction((userId: string, avatar: string | null) => {
      const old = q.avatarOf.get(userId)?.avatar ?? null;
      q.setAvatar.run(avatar, userId);
      return old;
    }),
    setPassword: (userId, passHash) => q.setPassword.get(passHash, userId)?.token_version ?? 0,
    bumpTokenVersion: (userId) => q.bumpTokenVersion.get(userId)?.token_version ?? 0,
    revokeToken: (jti, expiresAt) => void q.revokeToken.run(jti, expiresAt),
    isRevoked: (jti) => q.isRevoked.get(jti) !== undefined,
    purgeExpired(now) {
      q.purgeRevoked.run(now);
      q.purgeInvites.run(now);
      compactSearchIndex();
    },

    joinGroup,
    leaveGroup,
    groupMembers: (group) =>
      q.memberCount.get(group) ? q.members.all(group).map((r) => r.user_id) : undefined,
    userGroups: (userId) => q.userGroups.all(userId).map((r) => r.group_name),
    isMember: (group, userId) => q.isMember.get(group, userId) !== undefined,
    searchGroups,
    memberCount: (group) => q.memberCount.get(group)?.member_count,
    group(name, viewer) {
      const r = q.group.get(viewer, name);
      return r
        ? {
            members: r.member_count,
            private: r.private === 1,
            member: r.member === 1,
            topic: r.topic,
          }
        : undefined;
    },
    createInvite: (code, group, createdBy, expiresAt) =>
      void q.insertInvite.run(code, group, createdBy, expiresAt),
    inviteGroup: (code, now) => q.invite.get(code, now)?.group_name,

    appendMessage,
    message: (messageId) => {
      const r = q.message.get(messageId);
      return r ? toMessage(r) : undefined;
    },
    editMessage: (messageId, body, ts) => {
      searchIndexDirty = true;
      return editMessage(messageId, body, ts);
    },
    removeMessage: removeAndScrub,
    react,
    history(convId, page) {
      if (page.thread !== undefined) {
        if (page.after !== undefined) {
          return q.threadAfter.all(convId, page.thread, page.after, page.limit).map(toHistory);
        }
        const before = page.before ?? Number.MAX_SAFE_INTEGER;
        return q.threadBefore.all(convId, page.thread, before, page.limit).map(toHistory).reverse();
      }
      if (page.after !== undefined) {
        return q.historyAfter.all(convId, page.after, page.limit).map(toHistory);
      }
      const before = page.before ?? Number.MAX_SAFE_INTEGER;
      return q.historyBefore.all(convId, before, page.limit).map(toHistory).reverse();
    },
    threadSummaries(convId, rootIds) {
      const out = new Map<string, ThreadSummary>();
      if (rootIds.length === 0) return out;
      for (const r of q.threadSummaries.all(convId, JSON.stringify(rootIds))) {
        out.set(r.root, { count: r.n, lastSeq: r.last_seq, lastTs: r.last_ts });
      }
      return out;
    },
    searchMessages(s): SearchRow[] {
      if (s.words.length === 0 || s.convIds.length === 0) return [];
      // Each word quoted (no FTS5 syntax from users) and a prefix: every one must match.
      const match = s.words.map((w) => `"${w.replaceAll('"', '""')}"*`).join(' ');
      const before = s.before !== undefined ? Number(s.before) : Number.MAX_SAFE_INTEGER;
      return q.search
        .all(match, Number.isSafeInteger(before) ? before : 0, JSON.stringify(s.convIds), s.limit)
        .map((r) => ({ ...toHistory(r), convId: r.conv_id, cursor: String(r.rowid) }));
    },
    logGroupEvent: db.transaction(
      (
        group: string,
        e: { ts: number; userId: string; action: GroupEventRow['action']; topic?: string },
      ) => {
        q.insertGroupEvent.run({ group, ...e, topic: e.topic ?? null });
        if (e.action === 'topic') q.setTopic.run(e.topic ?? '', group);
      },
    ),
    groupEvents: (group, fromTs, toTs, limit) =>
      q.groupEvents.all(group, fromTs, toTs, limit).map((r) => ({
        ts: r.ts,
        userId: r.user_id,
        displayName: r.display_name ?? 'Someone',
        action: r.action as GroupEventRow['action'],
        ...(r.topic !== null ? { topic: r.topic } : {}),
      })),
    addFile: (f) => void q.insertFile.run(f),
    file: (fileId) => toFile(q.file.get(fileId)),
    searchPeople(prefix, limit) {
      const p = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
      return q.searchPeople.all(`${p}%`, `${p}%`, `% ${p}%`, limit).map((r) => ({
        userId: r.user_id,
        username: r.username,
        displayName: r.display_name,
      }));
    },
    eventsAfter: (convId, seq, limit): StoredEvent[] =>
      q.eventsAfter.all(convId, seq, limit).map((r) => ({
        seq: r.seq,
        event: r.event as StoredEvent['event'],
        data: JSON.parse(r.data) as Record<string, unknown>,
      })),
    lastSeq: (convId) => q.conv.get(convId)?.last_seq ?? 0,
    conversationExists: (convId) => q.conv.get(convId) !== undefined,
    dmAccepted: (convId) => q.dmAccepted.get(convId)?.accepted === 1,
    markRead(userId, convId, seq) {
      q.upsertRead.run(userId, convId, seq);
      return q.readSeq.get(userId, convId)?.seq ?? seq;
    },
    conversationsOf: (userId, username): ConversationRow[] =>
      q.conversationsOf.all({ user: userId, username }).map((r) => ({
        convId: r.conv_id,
        lastSeq: r.last_seq,
        lastTs: r.last_ts,
        readSeq: r.read_seq ?? 0,
        unread: r.unread,
        mentions: r.mentions,
      })),

    dmPartners: (userId) => q.dmPartners.all(userId, userId).map((r) => r.other),
    recentHeads: (sinceTs) =>
      q.recentHeads.all(sinceTs).map((r) => ({ convId: r.conv_id, lastSeq: r.last_seq })),
    dmHeads: (userId) =>
      new Map(q.dmHeads.all(userId, userId).map((r) => [r.other, r.last_seq] as const)),
    queueNotification,
    takeNotifications,
    purgeNotifications: (olderThanTs) => q.purgeQueued.run(olderThanTs).changes,

    close() {
      if (db.open) db.close();
    },
  };
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
