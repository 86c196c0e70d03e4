// The offline notification queue: what a user missed while no connection of theirs was open,
// bounded per user and per sender (review M2).
import type Database from 'better-sqlite3';
import type { QueueCaps } from '../records.js';
import type { NotificationRepo, Sync } from '../store.js';

export function sqliteNotifications(db: Database.Database): Sync<NotificationRepo> {
  const q = {
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

  return {
    queueNotification,
    // Every connection asks on authentication; almost always there is nothing, so look first.
    takeNotifications: (userId) => (q.hasQueued.get(userId) ? takeQueued(userId) : []),
    purgeNotifications: (olderThanTs) => q.purgeQueued.run(olderThanTs).changes,
  };
}
