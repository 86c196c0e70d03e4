// Conversations: heads (last seq), dm acceptance, read markers and the sidebar's listing.
import type Database from 'better-sqlite3';
import { UNREAD_CAP } from '../../../shared/protocol.js';
import type { ConversationRow } from '../records.js';
import { toConversation, type ConversationDbRow } from '../rows.js';
import type { ConversationRepo, Sync } from '../store.js';

/** Events looked through for unread messages, at most, per conversation and listing. */
const UNREAD_SCAN = 2_000;

export function sqliteConversations(db: Database.Database): Sync<ConversationRepo> {
  const q = {
    conv: db.prepare<[string], { last_seq: number; last_ts: number }>(
      'SELECT last_seq, last_ts FROM conversations WHERE conv_id = ?',
    ),
    dmAccepted: db.prepare<[string], { accepted: number }>(
      'SELECT a_posted AND b_posted AS accepted FROM conversations WHERE conv_id = ?',
    ),
    readSeq: db.prepare<[string, string], { seq: number }>(
      'SELECT seq FROM reads WHERE user_id = ? AND conv_id = ?',
    ),
    upsertRead: db.prepare(
      `INSERT INTO reads (user_id, conv_id, seq) VALUES (?, ?, ?)
       ON CONFLICT (user_id, conv_id) DO UPDATE SET seq = max(seq, excluded.seq)`,
    ),
    // Unread: at most UNREAD_CAP messages, looked for among the last UNREAD_SCAN events only
    // (the user's own posts, thread replies and removals are skipped, and must not make one
    // listing read without end: F13). Mentions: the message_mentions index (search-index.ts).
    conversationsOf: db.prepare<{ user: string }, ConversationDbRow>(
      `SELECT c.conv_id, c.last_seq, c.last_ts, r.seq AS read_seq,
              (SELECT count(*) FROM (SELECT 1 FROM messages m
                WHERE m.conv_id = c.conv_id
                  AND m.seq > max(coalesce(r.seq, 0), c.last_seq - ${UNREAD_SCAN})
                  AND m.sender_id != @user AND m.removed = 0
                  AND json_extract(m.body, '$.thread') IS NULL LIMIT ${UNREAD_CAP})) AS unread,
              (SELECT count(*) FROM (SELECT 1 FROM message_mentions mm
                WHERE mm.user_id = @user AND mm.conv_id = c.conv_id
                  AND mm.seq > coalesce(r.seq, 0) LIMIT ${UNREAD_CAP})) AS mentions
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
  };
  return {
    lastSeq: (convId) => q.conv.get(convId)?.last_seq ?? 0,
    conversationExists: (convId) => q.conv.get(convId) !== undefined,
    dmAccepted: (convId) => q.dmAccepted.get(convId)?.accepted === 1,
    markRead(userId, convId, seq) {
      q.upsertRead.run(userId, convId, seq);
      return q.readSeq.get(userId, convId)?.seq ?? seq;
    },
    conversationsOf: (userId): ConversationRow[] =>
      q.conversationsOf.all({ user: userId }).map(toConversation),
    dmPartners: (userId) => q.dmPartners.all(userId, userId).map((r) => r.other),
    recentHeads: (sinceTs) =>
      q.recentHeads.all(sinceTs).map((r) => ({ convId: r.conv_id, lastSeq: r.last_seq })),
    dmHeads: (userId) =>
      new Map(q.dmHeads.all(userId, userId).map((r) => [r.other, r.last_seq] as const)),
  };
}
