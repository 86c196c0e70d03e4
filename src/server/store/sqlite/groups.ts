// Groups: membership, listings, invites, and the join/leave/topic lines shown in the chat.
import type Database from 'better-sqlite3';
import type { GroupSummary } from '../../../shared/protocol.js';
import type { GroupEventRow, GroupQuery } from '../records.js';
import type { GroupRepo, Sync } from '../store.js';

/** Comparison operators already normalised by the hub (gt → >, ...). */
const SQL_OPS = new Set(['>', '>=', '=', '<', '<=', '!=']);

/** An invite is good only while the member who made it still is one. */
const MAKER_IS_MEMBER =
  'EXISTS (SELECT 1 FROM memberships m WHERE m.group_name = invites.group_name AND m.user_id = invites.created_by)';

export function sqliteGroups(db: Database.Database): Sync<GroupRepo> & {
  purgeInvites(now: number): void;
} {
  const q = {
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
    insertInvite: db.prepare(
      'INSERT INTO invites (code, group_name, created_by, expires_at) VALUES (?, ?, ?, ?)',
    ),
    // An invite dies with its maker's membership (F2).
    invite: db.prepare<[string, number], { group_name: string }>(
      `SELECT group_name FROM invites WHERE code = ? AND expires_at > ? AND ${MAKER_IS_MEMBER}`,
    ),
    invitesOf: db.prepare<
      [string, number],
      { code: string; created_by: string; expires_at: number }
    >(
      `SELECT code, created_by, expires_at FROM invites
        WHERE group_name = ? AND expires_at > ? AND ${MAKER_IS_MEMBER} ORDER BY expires_at DESC`,
    ),
    revokeInvite: db.prepare('DELETE FROM invites WHERE group_name = ? AND code = ?'),
    creator: db.prepare<[string], { user_id: string }>(
      `SELECT user_id FROM group_events WHERE group_name = ? AND action = 'joined'
        ORDER BY ts, rowid LIMIT 1`,
    ),
    purgeInvites: db.prepare('DELETE FROM invites WHERE expires_at < ?'),
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
    privateGroupsOf: db.prepare<[string], { group_name: string }>(
      `SELECT m.group_name FROM memberships m JOIN groups g ON g.name = m.group_name
        WHERE m.user_id = ? AND g.private = 1`,
    ),
    isMember: db.prepare<[string, string], { one: number }>(
      'SELECT 1 AS one FROM memberships WHERE group_name = ? AND user_id = ?',
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
  };

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
    joinGroup,
    leaveGroup,
    groupMembers: (group) =>
      q.memberCount.get(group) ? q.members.all(group).map((r) => r.user_id) : undefined,
    userGroups: (userId) => q.userGroups.all(userId).map((r) => r.group_name),
    privateGroupsOf: (userId) => q.privateGroupsOf.all(userId).map((r) => r.group_name),
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
    invitesOf: (group, now) =>
      q.invitesOf.all(group, now).map((r) => ({
        code: r.code,
        createdBy: r.created_by,
        expiresAt: r.expires_at,
      })),
    revokeInvite: (group, code) => q.revokeInvite.run(group, code).changes > 0,
    groupCreator: (group) => q.creator.get(group)?.user_id,
    purgeInvites: (now) => void q.purgeInvites.run(now),
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
  };
}
