// The embedded default Store: one SQLite file in WAL mode, through better-sqlite3.
//
// Durability: a write is committed before the hub replies ok. With synchronous=NORMAL a WAL
// commit survives the death of the process (SIGKILL included) but not a power cut; `fsync: true`
// selects synchronous=FULL for that.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { GroupSummary, MessageBody, PresenceStatus } from '../../shared/protocol.js';
import type {
  AppendMessage,
  AppendResult,
  ConvId,
  ConversationRow,
  GroupQuery,
  MessageRecord,
  Store,
  StoredEvent,
  UserRecord,
} from './store.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE users (
  user_id      TEXT PRIMARY KEY,
  username     TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL,
  pass_hash    TEXT NOT NULL,
  is_admin     INTEGER NOT NULL DEFAULT 0,
  status       TEXT NOT NULL DEFAULT 'online',
  status_text  TEXT,
  created_at   INTEGER NOT NULL
);
CREATE TABLE groups (
  name         TEXT PRIMARY KEY,
  member_count INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL
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
  user_b   TEXT
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
  UNIQUE (sender_id, client_msg_id)
);
CREATE INDEX messages_by_seq ON messages(conv_id, seq);
CREATE INDEX messages_by_last_seq ON messages(conv_id, last_seq);
CREATE TABLE events (
  conv_id TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  event   TEXT NOT NULL,
  data    TEXT NOT NULL,
  PRIMARY KEY (conv_id, seq)
) WITHOUT ROWID;
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
  ts      INTEGER NOT NULL
);
CREATE INDEX queued_by_user ON queued_notifications(user_id, id);
`;

/** Comparison operators already normalised by the hub (gt → >, ...). */
const SQL_OPS = new Set(['>', '>=', '=', '<', '<=', '!=']);

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString('base64url')}`;
}

interface UserRow {
  user_id: string;
  username: string;
  display_name: string;
  pass_hash: string;
  is_admin: number;
  status: string;
  status_text: string | null;
}

function toUser(r: UserRow | undefined): UserRecord | undefined {
  if (!r) return undefined;
  return {
    userId: r.user_id,
    username: r.username,
    displayName: r.display_name,
    passHash: r.pass_hash,
    isAdmin: r.is_admin === 1,
    status: r.status as PresenceStatus,
    statusText: r.status_text,
  };
}

interface MessageRow {
  message_id: string;
  conv_id: string;
  seq: number;
  last_seq: number;
  sender_id: string;
  sender_name: string;
  client_msg_id: string;
  body: string | null;
  ts: number;
  edited_ts: number | null;
  removed: number;
}

export function openSqliteStore(file: string, opts: { fsync?: boolean } = {}): Store {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.fsync ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === 0) {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  } else if (version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `database ${file} has schema version ${version}; this server reads ${SCHEMA_VERSION}`,
    );
  }

  const q = {
    countUsers: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users'),
    insertUser: db.prepare(
      `INSERT INTO users (user_id, username, display_name, pass_hash, is_admin, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    userByName: db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
    userById: db.prepare<[string], UserRow>('SELECT * FROM users WHERE user_id = ?'),
    setPresence: db.prepare('UPDATE users SET status = ?, status_text = ? WHERE user_id = ?'),
    insertGroup: db.prepare(
      'INSERT INTO groups (name, member_count, created_at) VALUES (?, 0, ?) ON CONFLICT DO NOTHING',
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
    insertEvent: db.prepare('INSERT INTO events (conv_id, seq, event, data) VALUES (?, ?, ?, ?)'),
    message: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE message_id = ?'),
    editMessage: db.prepare(
      'UPDATE messages SET body = ?, edited_ts = ?, last_seq = ? WHERE message_id = ?',
    ),
    removeMessage: db.prepare(
      'UPDATE messages SET body = NULL, removed = 1, last_seq = ? WHERE message_id = ?',
    ),
    historyBefore: db.prepare<[string, number, number], MessageRow>(
      'SELECT * FROM messages WHERE conv_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    ),
    historyAfter: db.prepare<[string, number, number], MessageRow>(
      'SELECT * FROM messages WHERE conv_id = ? AND last_seq > ? ORDER BY last_seq ASC LIMIT ?',
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
      [string, string, string, string, string, string],
      {
        conv_id: string;
        last_seq: number;
        last_ts: number;
        read_seq: number | null;
        unread: number;
      }
    >(
      `SELECT c.conv_id, c.last_seq, c.last_ts, r.seq AS read_seq,
              (SELECT count(*) FROM messages m
                WHERE m.conv_id = c.conv_id AND m.seq > coalesce(r.seq, 0)
                  AND m.sender_id != ? AND m.removed = 0) AS unread
         FROM conversations c LEFT JOIN reads r ON r.user_id = ? AND r.conv_id = c.conv_id
        WHERE c.conv_id IN (SELECT 'group:' || group_name FROM memberships WHERE user_id = ?)
           OR c.user_a = ? OR c.user_b = ?
       UNION ALL
       SELECT 'group:' || m.group_name, 0, 0, NULL, 0 FROM memberships m
        WHERE m.user_id = ? AND NOT EXISTS
          (SELECT 1 FROM conversations c2 WHERE c2.conv_id = 'group:' || m.group_name)`,
    ),
    dmPartners: db.prepare<[string, string], { other: string }>(
      `SELECT user_b AS other FROM conversations WHERE user_a = ?
       UNION SELECT user_a FROM conversations WHERE user_b = ?`,
    ),
    hasQueued: db.prepare<[string], { one: number }>(
      'SELECT 1 AS one FROM queued_notifications WHERE user_id = ? LIMIT 1',
    ),
    queueNotification: db.prepare(
      'INSERT INTO queued_notifications (user_id, data, ts) VALUES (?, ?, ?)',
    ),
    queuedFor: db.prepare<[string], { id: number; data: string }>(
      'SELECT id, data FROM queued_notifications WHERE user_id = ? ORDER BY id',
    ),
    dropQueuedFor: db.prepare('DELETE FROM queued_notifications WHERE user_id = ?'),
    purgeQueued: db.prepare('DELETE FROM queued_notifications WHERE ts < ?'),
  };

  function toHistory(r: MessageRow) {
    return {
      messageId: r.message_id,
      seq: r.seq,
      lastSeq: r.last_seq,
      ts: r.ts,
      ...(r.edited_ts !== null ? { editedTs: r.edited_ts } : {}),
      removed: r.removed === 1,
      from: { user_id: r.sender_id, displayName: r.sender_name },
      body: r.body === null ? null : (JSON.parse(r.body) as MessageBody),
      clientMsgId: r.client_msg_id,
    };
  }

  function toMessage(r: MessageRow): MessageRecord {
    return {
      messageId: r.message_id,
      convId: r.conv_id,
      seq: r.seq,
      lastSeq: r.last_seq,
      senderId: r.sender_id,
      clientMsgId: r.client_msg_id,
      ts: r.ts,
      removed: r.removed === 1,
    };
  }

  /** Takes the conversation's next seq and writes the event to its log. */
  function appendEvent(convId: ConvId, event: string, data: object, ts: number): number {
    const row = q.bumpConv.get(ts, convId);
    if (!row) throw new Error(`conversation ${convId} does not exist`);
    q.insertEvent.run(convId, row.last_seq, event, JSON.stringify(data));
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

  const joinGroup = db.transaction((group: string, userId: string) => {
    q.insertGroup.run(group, Date.now());
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
    const messageId = newId('m');
    const data = {
      messageId,
      ts: m.ts,
      from: m.sender,
      body: m.body,
      clientMsgId: m.clientMsgId,
      ...(m.notification ? { notification: m.notification } : {}),
    };
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
    return { seq };
  });

  const removeMessage = db.transaction((messageId: string, ts: number) => {
    const msg = q.message.get(messageId)!;
    const seq = appendEvent(msg.conv_id, 'message:removed', { messageId, ts }, ts);
    q.removeMessage.run(seq, messageId);
    return { seq };
  });

  const takeQueued = db.transaction((userId: string) => {
    const rows = q.queuedFor.all(userId);
    if (rows.length) q.dropQueuedFor.run(userId);
    return rows.map((r) => JSON.parse(r.data) as Record<string, unknown>);
  });
  // Every connection asks on authentication; almost always there is nothing, so look first.
  const takeNotifications = (userId: string) => (q.hasQueued.get(userId) ? takeQueued(userId) : []);

  function searchGroups(query: GroupQuery): GroupSummary[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
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
    const sql = `SELECT name, member_count FROM groups ${
      where.length ? `WHERE ${where.join(' AND ')}` : ''
    } ORDER BY name LIMIT ?`;
    args.push(query.limit);
    return db
      .prepare<(string | number)[], { name: string; member_count: number }>(sql)
      .all(...args)
      .map((r) => ({ group: r.name, number_of_users: r.member_count }));
  }

  return {
    createUser,
    userByName: (username) => toUser(q.userByName.get(username)),
    userById: (userId) => toUser(q.userById.get(userId)),
    setPresence: (userId, status, text) => void q.setPresence.run(status, text, userId),

    joinGroup,
    leaveGroup,
    groupMembers: (group) =>
      q.memberCount.get(group) ? q.members.all(group).map((r) => r.user_id) : undefined,
    userGroups: (userId) => q.userGroups.all(userId).map((r) => r.group_name),
    isMember: (group, userId) => q.isMember.get(group, userId) !== undefined,
    searchGroups,
    memberCount: (group) => q.memberCount.get(group)?.member_count,

    appendMessage,
    message: (messageId) => {
      const r = q.message.get(messageId);
      return r ? toMessage(r) : undefined;
    },
    editMessage,
    removeMessage,
    history(convId, page) {
      if (page.after !== undefined) {
        return q.historyAfter.all(convId, page.after, page.limit).map(toHistory);
      }
      const before = page.before ?? Number.MAX_SAFE_INTEGER;
      return q.historyBefore.all(convId, before, page.limit).map(toHistory).reverse();
    },
    eventsAfter: (convId, seq, limit): StoredEvent[] =>
      q.eventsAfter.all(convId, seq, limit).map((r) => ({
        seq: r.seq,
        event: r.event as StoredEvent['event'],
        data: JSON.parse(r.data) as Record<string, unknown>,
      })),
    lastSeq: (convId) => q.conv.get(convId)?.last_seq ?? 0,
    conversationExists: (convId) => q.conv.get(convId) !== undefined,
    markRead(userId, convId, seq) {
      q.upsertRead.run(userId, convId, seq);
      return q.readSeq.get(userId, convId)?.seq ?? seq;
    },
    conversationsOf: (userId): ConversationRow[] =>
      q.conversationsOf.all(userId, userId, userId, userId, userId, userId).map((r) => ({
        convId: r.conv_id,
        lastSeq: r.last_seq,
        lastTs: r.last_ts,
        readSeq: r.read_seq ?? 0,
        unread: r.unread,
      })),

    dmPartners: (userId) => q.dmPartners.all(userId, userId).map((r) => r.other),
    queueNotification: (userId, data, ts) =>
      void q.queueNotification.run(userId, JSON.stringify(data), ts),
    takeNotifications,
    purgeNotifications: (olderThanTs) => q.purgeQueued.run(olderThanTs).changes,

    close() {
      if (db.open) db.close();
    },
  };
}
