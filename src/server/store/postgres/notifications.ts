// The offline notification queue: what a user missed while no connection of theirs was open, bounded per user and per sender (review M2).
import type { QueueCaps } from '../records.js';
import type { NotificationRepo } from '../store.js';
import type { PgQuery } from './query.js';

export function postgresNotifications({ pool, all, tx }: PgQuery): NotificationRepo {
  return {
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
  };
}
