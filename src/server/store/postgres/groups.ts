// Groups: membership, listings, invites, and the join/leave/topic lines shown in the chat.
import type { GroupSummary } from '../../../shared/protocol.js';
import type { GroupQuery } from '../records.js';
import type { GroupRepo } from '../store.js';
import type { PgQuery } from './query.js';

/** An invite is good only while the member who made it still is one (F2). */
const MAKER_IS_MEMBER =
  'EXISTS (SELECT 1 FROM memberships m WHERE m.group_name = invites.group_name AND m.user_id = invites.created_by)';

export function postgresGroups({ pool, one, all, tx }: PgQuery): GroupRepo {
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

  return {
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
    privateGroupsOf: async (userId) =>
      (
        await all<{ group_name: string }>(
          `SELECT m.group_name FROM memberships m JOIN groups g ON g.name = m.group_name
            WHERE m.user_id = $1 AND g.private`,
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
          `SELECT group_name FROM invites WHERE code = $1 AND expires_at > $2
             AND ${MAKER_IS_MEMBER}`,
          [code, now],
        )
      )?.group_name,
    invitesOf: async (group, now) =>
      (
        await pool.query<{ code: string; created_by: string; expires_at: string }>(
          `SELECT code, created_by, expires_at FROM invites
            WHERE group_name = $1 AND expires_at > $2 AND ${MAKER_IS_MEMBER}
            ORDER BY expires_at DESC`,
          [group, now],
        )
      ).rows.map((r) => ({
        code: r.code,
        createdBy: r.created_by,
        expiresAt: Number(r.expires_at),
      })),
    revokeInvite: async (group, code) =>
      ((await pool.query('DELETE FROM invites WHERE group_name = $1 AND code = $2', [group, code]))
        .rowCount ?? 0) > 0,
    groupCreator: async (group) =>
      (
        await one<{ user_id: string }>(
          `SELECT user_id FROM group_events WHERE group_name = $1 AND action = 'joined'
            ORDER BY ts LIMIT 1`,
          [group],
        )
      )?.user_id,
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
  };
}
