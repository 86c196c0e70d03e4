// Conversations: heads (last seq), dm acceptance, read markers and the sidebar's listing.
import { mentionPatternPostgres } from '../../../shared/mentions.js';
import { UNREAD_CAP } from '../../../shared/protocol.js';
import type { ConversationRow } from '../records.js';
import { toConversation, type ConversationDbRow } from '../rows.js';
import type { ConversationRepo } from '../store.js';
import type { PgQuery } from './query.js';

export function postgresConversations({ one, all }: PgQuery): ConversationRepo {
  return {
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
        await all<ConversationDbRow>(
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
      ).map(toConversation),
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
  };
}
